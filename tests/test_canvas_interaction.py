"""Gestures on the real canvas widgets turn into intent signals, never into edits of the network:
dropping a block from the palette, linking port to port (and refusing bad links with the reason),
moving, selecting, deleting, zooming, panning and the minimap."""
import pytest
from PySide6.QtCore import QByteArray, QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import engine
from widgets.canvas import BLOCK_MIME, NetworkScene, NetworkView

KINDS = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove,
         "release": QEvent.Type.MouseButtonRelease, "double": QEvent.Type.MouseButtonDblClick}


def mouse(view, kind, scene_pos, button=Qt.MouseButton.LeftButton):
    """Send one mouse event to the view's viewport at a scene position (with the button held while moving)."""
    vp = view.viewport()
    local = QPointF(view.mapFromScene(scene_pos))
    glob = QPointF(vp.mapToGlobal(local.toPoint()))
    held = Qt.MouseButton.NoButton if kind == "release" else button
    QApplication.sendEvent(vp, QMouseEvent(KINDS[kind], local, glob, Qt.MouseButton.NoButton if kind == "move"
                                           else button, held, Qt.KeyboardModifier.NoModifier))


def drag(view, start, end, button=Qt.MouseButton.LeftButton, steps=6):
    mouse(view, "press", start, button)
    for i in range(1, steps + 1):
        f = i / steps
        mouse(view, "move", QPointF(start.x() + (end.x() - start.x()) * f, start.y() + (end.y() - start.y()) * f),
              button)
    mouse(view, "release", end, button)


def out_port(scene, nid):
    r = scene.block_rect(nid)
    return QPointF(r.center().x(), r.bottom())


def in_port(scene, nid):
    r = scene.block_rect(nid)
    return QPointF(r.center().x(), r.top())


class Recorder:
    def __init__(self, scene):
        self.calls = []
        for name in ("link_requested", "unlink_requested", "blocks_moved", "block_dropped", "delete_requested",
                     "status_message", "block_activated"):
            getattr(scene, name).connect(lambda *args, name=name: self.calls.append((name, *args)))

    def named(self, name):
        return [c[1:] for c in self.calls if c[0] == name]


@pytest.fixture
def canvas(qtbot):
    net = engine.Network()
    net.add_node("Input", {"shape": [1, 28, 28]}, "input", position=(0, 0))
    net.add_node("Conv2d", {"out_channels": 6, "kernel_size": 5}, "conv", position=(0, 110))
    net.add_node("ReLU", {}, "relu", position=(0, 220))
    net.add_node("Flatten", {}, "flat", position=(260, 220))
    net.connect("input", "conv")
    net.connect("conv", "relu")
    scene = NetworkScene(net)
    scene.show_results(engine.infer_shapes(net))
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    view.centerOn(130, 110)
    return net, scene, view, Recorder(scene)


def test_dropping_a_palette_block_asks_for_it_at_the_drop_point(canvas):
    net, scene, view, rec = canvas
    mime = QMimeData()
    mime.setData(BLOCK_MIME, QByteArray(b"MaxPool2d"))
    at = QPoint(300, 250)
    vp = view.viewport()
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, move)
    assert move.isAccepted()
    QApplication.sendEvent(vp, QDropEvent(QPointF(at), actions, mime, Qt.MouseButton.LeftButton,
                                          Qt.KeyboardModifier.NoModifier))
    [(type_name, pos)] = rec.named("block_dropped")
    assert type_name == "MaxPool2d"
    expected = view.mapToScene(at)
    assert abs(pos.x() - expected.x()) < 2 and abs(pos.y() - expected.y()) < 2
    assert "maxpool2d1" not in net.nodes                    # the scene asks; the app adds


def test_other_drags_are_not_accepted(canvas):
    _, _, view, rec = canvas
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(QPoint(300, 250), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    move = QDragMoveEvent(QPoint(300, 250), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), move)
    assert not move.isAccepted()
    assert rec.named("block_dropped") == []


def test_dragging_from_an_output_port_to_an_input_port_requests_the_link(canvas):
    net, scene, view, rec = canvas
    drag(view, out_port(scene, "relu"), in_port(scene, "flat"))
    assert rec.named("link_requested") == [("relu", "flat")]
    assert rec.named("status_message") == []
    assert ("relu", "flat") not in [(e.source, e.target) for e in net.edges]   # the app makes it


def test_dragging_from_an_input_port_back_to_an_output_port_works_too(canvas):
    _, scene, view, rec = canvas
    drag(view, in_port(scene, "flat"), out_port(scene, "conv"))
    assert rec.named("link_requested") == [("conv", "flat")]


def test_releasing_on_a_block_body_links_to_its_input(canvas):
    _, scene, view, rec = canvas
    drag(view, out_port(scene, "relu"), scene.block_rect("flat").center())
    assert rec.named("link_requested") == [("relu", "flat")]


def test_a_link_that_would_make_a_cycle_is_refused_with_the_reason(canvas):
    net, scene, view, rec = canvas
    net.disconnect("input", "conv")                      # conv's input is free; relu is fed by conv
    links_before = len(scene.items())
    drag(view, out_port(scene, "relu"), in_port(scene, "conv"))
    assert rec.named("link_requested") == []
    [(message,)] = rec.named("status_message")
    assert message == net.link_problem("relu", "conv")
    assert "cycle" in message
    assert len(scene.items()) == links_before          # nothing drawn, the rubber link is gone


def test_an_input_block_cannot_be_fed(canvas):
    net, scene, view, rec = canvas
    drag(view, out_port(scene, "flat"), scene.block_rect("input").center())
    [(message,)] = rec.named("status_message")
    assert message == net.link_problem("flat", "input") and "Input" in message


def test_output_to_output_is_refused(canvas):
    _, scene, view, rec = canvas
    drag(view, out_port(scene, "relu"), out_port(scene, "flat"))
    assert rec.named("link_requested") == []
    [(message,)] = rec.named("status_message")
    assert "'relu'" in message and "'flat'" in message and "output" in message


def test_a_click_on_a_port_says_nothing(canvas):
    _, scene, view, rec = canvas
    drag(view, out_port(scene, "relu"), out_port(scene, "relu"), steps=1)
    assert rec.calls == []


def test_moving_blocks_emits_one_signal_on_release_with_old_and_new_positions(canvas):
    net, scene, view, rec = canvas
    start = scene.block_rect("relu").center()
    drag(view, QPointF(start.x() - 30, start.y()), QPointF(start.x() + 90, start.y() + 40), steps=10)
    [(moved,)] = rec.named("blocks_moved")
    assert list(moved) == ["relu"]
    (old, new) = moved["relu"]
    assert old == (0.0, 220.0)
    assert new[0] == pytest.approx(120, abs=1.5) and new[1] == pytest.approx(260, abs=1.5)
    assert net.nodes["relu"].position == (0.0, 220.0)          # the app's command moves the block
    assert scene.block_rect("relu").center().x() == pytest.approx(new[0])   # the card already followed
    net.move("relu", new)                                        # what the command does: a no-op here
    assert scene.block_rect("relu").center().x() == pytest.approx(new[0])
    net.move("relu", old)                                        # undo puts it back
    assert scene.block_rect("relu").center() == QPointF(*old)


def test_rubber_band_selects_and_delete_asks_to_remove_the_selection(canvas):
    _, scene, view, rec = canvas
    seen = []
    scene.selection_ids_changed.connect(seen.append)
    a = scene.block_rect("conv").topLeft() - QPointF(30, 30)
    b = scene.block_rect("relu").bottomRight() + QPointF(30, 30)
    drag(view, a, b)
    assert sorted(scene.selected_ids()) == ["conv", "relu"]
    assert sorted(seen[-1]) == ["conv", "relu"]
    assert rec.named("blocks_moved") == []
    QTest.keyClick(view.viewport(), Qt.Key.Key_Delete)
    [(ids, links)] = rec.named("delete_requested")
    assert sorted(ids) == ["conv", "relu"] and links == []     # their links go with the blocks


def test_a_selected_link_and_delete_asks_to_unlink(canvas):
    _, scene, view, rec = canvas
    link = scene.link_item("conv", "relu")
    mid = link.mapToScene(link.path().pointAtPercent(0.25))
    mouse(view, "press", mid)
    mouse(view, "release", mid)
    assert link.isSelected()
    QTest.keyClick(view.viewport(), Qt.Key.Key_Backspace)
    assert rec.named("delete_requested") == [([], [["conv", "relu"]])]


def test_select_ids_and_double_click(canvas):
    _, scene, view, rec = canvas
    scene.select_ids(["flat", "input"])
    assert sorted(scene.selected_ids()) == ["flat", "input"]
    scene.select_ids([])
    assert scene.selected_ids() == []
    centre = scene.block_rect("conv").center()
    mouse(view, "press", centre)
    mouse(view, "release", centre)
    mouse(view, "double", centre)
    mouse(view, "release", centre)
    assert rec.named("block_activated") == [("conv",)]


def test_wheel_zooms_around_the_cursor(canvas):
    _, scene, view, _ = canvas
    target = scene.block_rect("flat").center()
    at = view.mapFromScene(target)
    before = view.zoom()
    wheel = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() > before * 1.2
    after = view.mapToScene(at)
    assert abs(after.x() - target.x()) < 3 and abs(after.y() - target.y()) < 3   # the point under the mouse stays
    view.zoom_out()
    view.zoom_in()
    for _ in range(40):
        view.zoom_in()
    assert view.zoom() == pytest.approx(NetworkView.MAX_SCALE)


def test_middle_button_drag_pans_without_selecting_or_moving(canvas):
    _, scene, view, rec = canvas
    view.setTransform(view.transform().fromScale(2, 2))
    before = view.mapToScene(view.viewport().rect().center())
    centre = scene.block_rect("conv").center()
    drag(view, centre, centre + QPointF(0, 60), button=Qt.MouseButton.MiddleButton)
    after = view.mapToScene(view.viewport().rect().center())
    assert after.y() < before.y() - 20                 # the content followed the mouse downwards
    assert rec.calls == [] and scene.selected_ids() == []


def test_minimap_appears_for_large_networks_and_a_click_jumps_there(qtbot):
    net = engine.Network()
    prev = net.add_node("Input", {"shape": [64]}, "in")
    for i in range(60):
        nid = net.add_node("Linear", {"out_features": 64})
        net.connect(prev, nid)
        prev = nid
    scene = NetworkScene(net)
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    view.centerOn(scene.block_rect("in").center())
    qtbot.waitUntil(view.minimap.isVisible)
    last = scene.block_rect(prev).center()
    mini = view.minimap
    QTest.mouseClick(mini, Qt.MouseButton.LeftButton, pos=mini.to_widget(last).toPoint())
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.y() - last.y()) < 120
    view.fit_all()
    assert not mini.isVisible() or view.zoom() == pytest.approx(NetworkView.MIN_SCALE)


def test_space_and_drag_pans_instead_of_rubber_band(canvas):
    _, scene, view, rec = canvas
    view.setTransform(view.transform().fromScale(2, 2))
    view.setFocus()
    before = view.mapToScene(view.viewport().rect().center())
    QTest.keyPress(view, Qt.Key.Key_Space)
    start = scene.block_rect("conv").center()
    drag(view, start, start + QPointF(40, 0))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    after = view.mapToScene(view.viewport().rect().center())
    assert after.x() < before.x() - 10
    assert scene.selected_ids() == [] and rec.named("blocks_moved") == []
    a, b = scene.block_rect("conv").topLeft() - QPointF(5, 5), scene.block_rect("conv").bottomRight() + QPointF(5, 5)
    drag(view, a, b)                                       # without space: rubber band again
    assert scene.selected_ids() == ["conv"]


def test_the_rubber_link_shows_whether_the_link_would_be_accepted_and_escape_cancels(canvas):
    from widgets.canvas.link_item import RubberLink
    _, scene, view, rec = canvas

    def rubber():
        [item] = [i for i in scene.items() if isinstance(i, RubberLink)]
        return item
    mouse(view, "press", out_port(scene, "relu"))
    mouse(view, "move", in_port(scene, "flat"))
    assert rubber().verdict is True
    mouse(view, "move", in_port(scene, "input"))
    assert rubber().verdict is False
    mouse(view, "move", QPointF(-400, 500))
    assert rubber().verdict is None
    QTest.keyClick(view.viewport(), Qt.Key.Key_Escape)
    assert not [i for i in scene.items() if isinstance(i, RubberLink)]
    mouse(view, "release", in_port(scene, "flat"))
    assert rec.calls == []


def test_right_click_asks_for_the_menu_of_the_block_link_or_canvas_under_the_mouse(canvas):
    from PySide6.QtGui import QContextMenuEvent
    _, scene, view, _ = canvas
    asked = []
    scene.context_menu_requested.connect(lambda item, screen, at: asked.append(item))

    def right_click(scene_point):
        at = view.mapFromScene(scene_point)
        QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                                  view.viewport().mapToGlobal(at)))
    right_click(scene.block_rect("flat").center())
    link = scene.link_item("conv", "relu")
    right_click(link.mapToScene(link.path().pointAtPercent(0.25)))
    right_click(scene.block_rect("flat").center() + QPointF(0, 400))
    assert asked == [scene.block_item("flat"), link, None]
    assert scene.selected_ids() == []           # the link was selected for its menu, the block before it not
    assert link.isSelected()


def test_zoomed_far_out_a_drag_from_the_middle_of_a_block_moves_it(canvas):
    _, scene, view, rec = canvas
    view.setTransform(view.transform().fromScale(0.15, 0.15))
    view.centerOn(scene.block_rect("conv").center())
    start = scene.block_rect("conv").center()
    drag(view, start, start + QPointF(300, 0))
    [(moved,)] = rec.named("blocks_moved")
    assert list(moved) == ["conv"] and rec.named("link_requested") == [] and rec.named("status_message") == []


def test_hovering_a_port_lights_it_up_with_a_cross_cursor(canvas):
    _, scene, view, _ = canvas
    card = scene.block_item("relu")
    mouse(view, "move", out_port(scene, "relu"), Qt.MouseButton.NoButton)
    assert card.hover_port == "out"
    assert view.viewport().cursor().shape() == Qt.CursorShape.CrossCursor
    mouse(view, "move", in_port(scene, "relu"), Qt.MouseButton.NoButton)
    assert card.hover_port == "in"
    mouse(view, "move", scene.block_rect("relu").center(), Qt.MouseButton.NoButton)
    assert card.hover_port is None
    assert view.viewport().cursor().shape() != Qt.CursorShape.CrossCursor
    mouse(view, "move", in_port(scene, "input"), Qt.MouseButton.NoButton)     # an Input has no input port
    assert scene.block_item("input").hover_port is None


def test_dragging_a_block_to_the_edge_scrolls_and_the_block_keeps_up(canvas, qtbot):
    _, scene, view, rec = canvas
    view.centerOn(scene.block_rect("conv").center())
    start = scene.block_rect("conv").center()
    edge = view.mapToScene(QPoint(view.viewport().width() - 4, view.mapFromScene(start).y()))
    mouse(view, "press", start)
    mouse(view, "move", QPointF(start.x() + 10, start.y()))
    mouse(view, "move", edge)
    left_before = view.mapToScene(QPoint(0, 0)).x()
    qtbot.waitUntil(lambda: view.mapToScene(QPoint(0, 0)).x() > left_before + 100)
    at = view.mapToScene(QPoint(view.viewport().width() - 4, view.mapFromScene(start).y()))
    mouse(view, "release", at)
    [(moved,)] = rec.named("blocks_moved")
    new_x = moved["conv"][1][0]
    assert new_x > edge.x() + 100                      # carried past where the edge was when the drag began
    assert scene.block_rect("conv").center().x() == pytest.approx(new_x)
    x_after = view.mapToScene(QPoint(0, 0)).x()
    qtbot.wait(100)
    assert view.mapToScene(QPoint(0, 0)).x() == x_after  # scrolling stops with the drag


def test_arrow_keys_nudge_the_selection_with_one_move_request_per_press(canvas):
    net, scene, view, rec = canvas
    scene.select_ids(["conv", "relu"])
    QTest.keyClick(view.viewport(), Qt.Key.Key_Right)
    QTest.keyClick(view.viewport(), Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    first, second = [m for (m,) in rec.named("blocks_moved")]
    assert first == {"conv": ((0.0, 110.0), (10.0, 110.0)), "relu": ((0.0, 220.0), (10.0, 220.0))}
    assert second["relu"] == ((10.0, 220.0), (10.0, 270.0))
    assert scene.block_rect("relu").center() == QPointF(10, 270)
    assert net.nodes["relu"].position == (0.0, 220.0)          # the app's command moves the block


def test_the_port_a_rubber_link_would_attach_to_lights_up(canvas):
    _, scene, view, _ = canvas
    flat = scene.block_item("flat")
    mouse(view, "press", out_port(scene, "relu"))
    mouse(view, "move", scene.block_rect("flat").center())
    assert flat.hover_port == "in"
    mouse(view, "move", QPointF(-400, 500))
    assert flat.hover_port is None
    mouse(view, "release", QPointF(-400, 500))


def _cards_under_minimap(view, scene) -> list[str]:
    """The blocks whose cards the minimap covers on screen (none while it is hidden)."""
    if not view.minimap.isVisible():
        return []
    box = view.minimap.geometry()
    return [nid for nid in scene.network.nodes if box.intersects(
        view.mapFromScene(scene.block_rect(nid)).boundingRect().translated(view.viewport().pos()))]


def _view_of(qtbot, net, size=(900, 600)):
    scene = NetworkScene(net, direction="lr")
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return scene, view


def _network(cols: int, count: int = 60) -> engine.Network:
    """A chain of `count` cards in rows of `cols`, 220 apart across and 150 down."""
    net = engine.Network()
    prev = net.add_node("Input", {"shape": [64]}, "in", position=(0, 0))
    for i in range(1, count):
        nid = net.add_node("Linear", {"out_features": 64}, position=((i % cols) * 220, (i // cols) * 150))
        net.connect(prev, nid)
        prev = nid
    return net


def test_the_minimap_steps_off_a_card_dragged_under_it(qtbot):
    net = _network(cols=60)                                       # one long row across the middle of the view
    scene, view = _view_of(qtbot, net)
    view.centerOn(scene.block_rect("in").center() + QPointF(300, 0))
    qtbot.waitUntil(view.minimap.isVisible)
    assert _cards_under_minimap(view, scene) == []
    place = view.minimap.geometry()
    under = view.mapToScene(place.center() - view.viewport().pos())
    nid = net.outputs_of("in")[0]
    drag(view, scene.block_rect(nid).center(), under)
    assert abs(scene.block_rect(nid).center().x() - under.x()) < 30            # the card lies where it was dropped
    qtbot.waitUntil(lambda: view.minimap.isVisible() and view.minimap.geometry() != place)
    assert _cards_under_minimap(view, scene) == []                             # and the minimap is off it


def test_the_minimap_hides_while_every_place_holds_a_card_and_comes_back(qtbot):
    net = _network(cols=6)                                        # ten rows of six: cards everywhere
    scene, view = _view_of(qtbot, net)
    view.centerOn(scene.block_rect("in").center() + QPointF(550, 700))
    qtbot.wait(20)
    assert not view.minimap.isVisible() and view.minimap_crowded  # hidden: every place would cover a card
    view.centerOn(scene.block_rect("in").center())                # the top-left card: free space above it
    qtbot.waitUntil(view.minimap.isVisible)
    assert _cards_under_minimap(view, scene) == [] and not view.minimap_crowded
