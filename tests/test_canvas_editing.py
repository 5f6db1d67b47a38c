"""Blocks land where the user means (issue 11): a block dropped or dragged onto a link goes into it,
paste lands beside the original or at the mouse, quick add from the keyboard, the context menus of
blocks, links and the canvas (each entry one undo step), Delete and reconnect, and cards that stay
legible zoomed out. Driven on the real main window, with mouse and key events."""
from __future__ import annotations

from pathlib import Path

import engine
import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from engine.core.layout import crowded
from widgets.canvas import BLOCK_MIME, NetworkScene, NetworkView
from widgets.canvas.style import theme

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
KINDS = {"press": QMouseEvent.Type.MouseButtonPress, "move": QMouseEvent.Type.MouseMove,
         "release": QMouseEvent.Type.MouseButtonRelease}


@pytest.fixture
def window(open_window):
    w = open_window("mnist_cnn", (1400, 900))
    w.view.reset_zoom()
    return w


def snapshot(w):
    return engine.network_to_dict(w.doc.network)


def links(w):
    return [(e.source, e.target) for e in w.doc.network.edges]


def link_middle(w, source, target) -> QPointF:
    link = w.scene.link_item(source, target)
    return link.mapToScene(link.path().pointAtPercent(0.5))


def mouse(view, kind, scene_pos, button=Qt.MouseButton.LeftButton):
    vp = view.viewport()
    local = QPointF(view.mapFromScene(scene_pos))
    glob = QPointF(vp.mapToGlobal(local.toPoint()))
    held = Qt.MouseButton.NoButton if kind == "release" else button
    QApplication.sendEvent(vp, QMouseEvent(KINDS[kind], local, glob, Qt.MouseButton.NoButton if kind == "move"
                                           else button, held, Qt.KeyboardModifier.NoModifier))


def palette_drag(w, type_name: str, scene_pos: QPointF, drop: bool = True):
    view, vp = w.view, w.view.viewport()
    view.centerOn(scene_pos)
    at = view.mapFromScene(scene_pos)
    mime = QMimeData()
    mime.setData(BLOCK_MIME, QByteArray(type_name.encode()))
    copy = Qt.DropAction.CopyAction
    QApplication.sendEvent(vp, QDragEnterEvent(at, copy, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(vp, QDragMoveEvent(at, copy, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    if drop:
        QApplication.sendEvent(vp, QDropEvent(QPointF(at), copy, mime, Qt.MouseButton.LeftButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_the_window_lays_networks_out_left_to_right_by_default(window):
    pos = {nid: n.position for nid, n in window.doc.network.nodes.items()}
    for s, t in links(window):
        assert pos[t][0] > pos[s][0] or pos[t][1] > pos[s][1]       # to the right, or on the next band
    item = window.scene.block_item("conv1")
    assert item.output_anchor().x() > item.input_anchor().x()       # ports left and right


def test_dropping_a_palette_block_on_a_link_inserts_it_and_one_undo_removes_it(window):
    before = snapshot(window)
    at = link_middle(window, "relu1", "pool1")
    palette_drag(window, "BatchNorm2d", at, drop=False)
    assert window.scene.link_item("relu1", "pool1").lit          # the link lights up under the cursor
    palette_drag(window, "BatchNorm2d", at)
    new = window.scene.selected_ids()
    assert len(new) == 1 and window.doc.network.nodes[new[0]].type == "BatchNorm2d"
    assert ("relu1", new[0]) in links(window) and (new[0], "pool1") in links(window)
    assert ("relu1", "pool1") not in links(window)
    assert not window.doc.results[new[0]].error
    pos = window.doc.network.nodes
    assert pos["relu1"].position[0] < pos[new[0]].position[0] < pos["pool1"].position[0]   # in the chain, room made
    others = [n.position for k, n in pos.items() if k != new[0]]
    assert not crowded(pos[new[0]].position, others, "lr")
    window.undo_action.trigger()
    assert snapshot(window) == before


def test_dropping_beside_a_link_adds_the_block_unlinked(window):
    at = window.scene.block_rect("dense2").center() + QPointF(0, 400)
    palette_drag(window, "ReLU", at)
    new = window.scene.selected_ids()[0]
    assert not window.doc.network.inputs_of(new) and not window.doc.network.outputs_of(new)


def test_dragging_a_lone_block_onto_a_link_inserts_it_with_one_undo_step(window, qtbot):
    net = window.doc.network
    window.canvas_edits.quick_add("Dropout", (400.0, 500.0), [])
    lone = window.scene.selected_ids()[0]
    before = snapshot(window)
    start = window.scene.block_rect(lone).center()
    target = link_middle(window, "pool2", "flatten")
    window.view.centerOn((start + target) / 2)
    mouse(window.view, "press", start)
    for i in range(1, 9):
        mouse(window.view, "move", start + (target - start) * (i / 8))
    assert window.scene.link_item("pool2", "flatten").lit
    mouse(window.view, "release", target)
    assert ("pool2", lone) in links(window) and (lone, "flatten") in links(window)
    assert ("pool2", "flatten") not in links(window)
    assert net.nodes["pool2"].position[0] < net.nodes[lone].position[0] < net.nodes["flatten"].position[0]
    assert not window.scene.link_item("pool2", lone).lit
    assert window.doc.undo_stack.count() == 2          # the quick add, then the drag: one step
    window.undo_action.trigger()
    assert snapshot(window) == before


def test_dragging_a_linked_block_over_a_link_only_moves_it(window):
    before = links(window)
    start = window.scene.block_rect("relu3").center()
    target = start + QPointF(0, 300)
    mouse(window.view, "press", start)
    mouse(window.view, "move", target)
    mouse(window.view, "release", target)
    assert links(window) == before


def test_paste_at_the_mouse_from_the_canvas_menu_and_the_copies_are_selected(window, monkeypatch):
    window.scene.select_ids(["conv1", "relu1"])
    window.copy_action.trigger()
    at = window.scene.block_rect("dense2").center() + QPointF(0, 500)
    menu = window.canvas_menus.build(None, at)
    action = next(a for a in menu.actions() if a.text() == "Paste here")
    action.trigger()
    new = window.scene.selected_ids()
    assert len(new) == 2 and set(new).isdisjoint({"conv1", "relu1"})
    centre = [sum(window.doc.network.nodes[n].position[k] for n in new) / 2 for k in (0, 1)]
    assert centre == pytest.approx([at.x(), at.y()], abs=1)
    assert (new[0], new[1]) in links(window)          # the link between the copies came along


def quick_add_by_keys(window, after: str, letters: str, type_name: str) -> str:
    """Select `after`, then Tab over the canvas, type `letters` and press Enter (the highlighted match must be
    `type_name`); returns the id of the block added, which is selected."""
    window.scene.select_ids([after])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    box = window.view.quick_add
    assert box.isVisible() and box.field.hasFocus()
    QTest.keyClicks(box.field, letters)
    assert box.list.currentItem().data(Qt.ItemDataRole.UserRole) == type_name
    QTest.keyClick(box.field, Qt.Key.Key_Return)
    assert not box.isVisible()
    [new] = window.scene.selected_ids()
    assert window.doc.network.nodes[new].type == type_name
    return new


def test_quick_add_with_the_keyboard_only_links_it_from_the_selected_block(window, qtbot):
    """dense2 is the last block: the new one is appended after it, linked from it."""
    new = quick_add_by_keys(window, "dense2", "softm", "Softmax")
    assert ("dense2", new) in links(window)
    assert window.doc.undo_stack.undoText() == f"add Softmax '{new}' after 'dense2'"     # named as the status names it
    window.undo_action.trigger()
    assert new not in window.doc.network


def test_quick_add_after_a_middle_block_goes_into_its_link_as_one_undo_step(window, qtbot):
    """relu3 feeds only dense2: Tab, "drop", Enter puts the Dropout between them (as Insert after does),
    not as a second branch that would give the network two outputs."""
    net = window.doc.network
    before = snapshot(window)
    new = quick_add_by_keys(window, "relu3", "drop", "Dropout")
    assert ("relu3", new) in links(window) and (new, "dense2") in links(window)
    assert ("relu3", "dense2") not in links(window)
    assert net.outputs_of("relu3") == [new] and net.output_node() == "dense2"
    along = 0 if window.canvas_edits.direction() == "lr" else 1        # one layer along the chain, in line
    assert net.nodes["relu3"].position[along] < net.nodes[new].position[along] < net.nodes["dense2"].position[along]
    assert net.nodes[new].position[1 - along] == net.nodes["relu3"].position[1 - along]
    assert window.statusBar().currentMessage() == f"Inserted Dropout '{new}' between 'relu3' and 'dense2'."
    window.undo_action.trigger()
    assert snapshot(window) == before
    assert ("relu3", "dense2") in links(window)


def test_quick_add_of_a_block_that_cannot_go_into_the_link_adds_it_at_the_mouse(window):
    """An Input cannot take relu3's output: it is added at the mouse, unlinked, and relu3 → dense2 stays."""
    window.scene.select_ids(["relu3"])
    at = window.scene.block_rect("dense2").center() + QPointF(600, 0)
    window.view.quick_add_chosen.emit("Input", at)
    [new] = window.scene.selected_ids()
    assert window.doc.network.nodes[new].position == pytest.approx((at.x(), at.y()))
    assert not window.doc.network.inputs_of(new) and ("relu3", "dense2") in links(window)


def test_quick_add_opened_over_the_selected_card_keeps_it_in_sight(window, monkeypatch):
    """Tab with the mouse on the selected card: the field opens beside the card, not over it (the new block
    links from that card, so the user keeps seeing it)."""
    from PySide6.QtGui import QCursor
    view, scene = window.view, window.scene
    scene.select_ids(["conv2"])
    view.centerOn(scene.block_rect("conv2").center())
    card = view.mapFromScene(scene.block_rect("conv2")).boundingRect().translated(view.viewport().pos())
    over = view.viewport().mapToGlobal(view.mapFromScene(scene.block_rect("conv2").center()))
    monkeypatch.setattr(QCursor, "pos", staticmethod(lambda: over))
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    box = view.quick_add
    assert box.isVisible()
    assert view.rect().contains(box.geometry())
    assert not box.geometry().intersects(card)
    QTest.keyClick(box.field, Qt.Key.Key_Escape)


def test_quick_add_escape_adds_nothing(window):
    before = snapshot(window)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    QTest.keyClicks(window.view.quick_add.field, "relu")
    QTest.keyClick(window.view.quick_add.field, Qt.Key.Key_Escape)
    assert not window.view.quick_add.isVisible()
    assert snapshot(window) == before


def find(menu, *path):
    for action in menu.actions():
        if action.text().replace("&", "") == path[0]:
            if len(path) == 1:
                return action
            return find(action.menu(), *path[1:])
    raise AssertionError(f"no {path[0]!r} in {[a.text() for a in menu.actions()]}")


def block_menu(window, nid):
    window.scene.select_ids([nid])
    return window.canvas_menus.build(window.scene.block_item(nid), QPointF())


BLOCK_EDITS = [
    (("Duplicate",), lambda w, before: len(w.doc.network.nodes) == len(before["nodes"]) + 1),
    (("Delete",), lambda w, before: "relu2" not in w.doc.network),
    (("Delete and reconnect",), lambda w, before: ("conv2", "pool2") in links(w) and "relu2" not in w.doc.network),
    (("Disconnect",), lambda w, before: not w.doc.network.inputs_of("relu2") and not w.doc.network.outputs_of("relu2")),
    (("Insert after", "Normalization and regularization", "Dropout"),
     lambda w, before: [w.doc.network.nodes[t].type for t in w.doc.network.outputs_of("relu2")] == ["Dropout"]),
]


@pytest.mark.parametrize("path,done", BLOCK_EDITS, ids=[" ▸ ".join(p) for p, _ in BLOCK_EDITS])
def test_each_block_menu_edit_is_one_undo_step(window, path, done):
    before = snapshot(window)
    find(block_menu(window, "relu2"), *path).trigger()
    assert done(window, before)
    window.undo_action.trigger()
    assert snapshot(window) == before
    window.redo_action.trigger()
    assert done(window, before)


def test_block_menu_rename_focuses_the_name_field_and_applies_as_an_undo_step(window, qtbot):
    before = snapshot(window)
    find(block_menu(window, "relu2"), "Rename…").trigger()
    field = window.inspector.id_edit
    assert field.hasFocus() and field.selectedText() == "relu2"
    QTest.keyClicks(field, "act2")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert "act2" in window.doc.network and "relu2" not in window.doc.network
    window.undo_action.trigger()
    assert snapshot(window) == before


def test_block_menu_copies_the_blocks_pytorch_code(window):
    find(block_menu(window, "conv1"), "Copy as PyTorch code").trigger()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("nn.Conv2d(") and "kernel_size" in text


def test_block_menu_offers_its_live_views(window):
    menu = block_menu(window, "conv1")
    assert find(menu, "Show its feature maps").isEnabled()
    assert find(menu, "Show its filters").isEnabled()
    assert not find(block_menu(window, "relu1"), "Show its filters").isEnabled()
    find(block_menu(window, "conv1"), "Show its feature maps").trigger()
    assert window.live_views_dock.isVisible()


def test_link_menu_inserts_a_block_and_deletes_the_link_each_undoable(window):
    before = snapshot(window)
    link = window.scene.link_item("pool1", "conv2")
    find(window.canvas_menus.build(link, QPointF()), "Insert block", "Activations", "ReLU").trigger()
    [new] = window.scene.selected_ids()
    assert ("pool1", new) in links(window) and (new, "conv2") in links(window)
    window.undo_action.trigger()
    assert snapshot(window) == before
    link = window.scene.link_item("pool1", "conv2")
    find(window.canvas_menus.build(link, QPointF()), "Delete link pool1 → conv2").trigger()
    assert ("pool1", "conv2") not in links(window)
    window.undo_action.trigger()
    assert snapshot(window) == before


def test_canvas_menu_adds_a_block_at_the_click_and_lays_out_and_fits(window):
    before = snapshot(window)
    at = window.scene.block_rect("dense2").center() + QPointF(0, 600)
    window.scene.select_ids([])
    find(window.canvas_menus.build(None, at), "Add block", "Dense", "Dense (Linear)").trigger()
    [new] = window.scene.selected_ids()
    assert window.doc.network.nodes[new].position == pytest.approx((at.x(), at.y()))
    window.undo_action.trigger()
    assert snapshot(window) == before
    window.doc.network.move("conv1", (3000.0, 3000.0))
    find(window.canvas_menus.build(None, at), "Auto Layout").trigger()
    assert window.doc.network.nodes["conv1"].position != (3000.0, 3000.0)
    window.undo_action.trigger()
    assert window.doc.network.nodes["conv1"].position == (3000.0, 3000.0)
    window.view.reset_zoom()
    find(window.canvas_menus.build(None, at), "Fit All").trigger()
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.blocks_rect())


def test_delete_and_reconnect_keeps_the_input_order_of_a_merge(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.files.open_path(EXAMPLES / "residual.json", ask=False)
    net = w.doc.network
    before = snapshot(w)
    add = next(n for n, node in net.nodes.items() if node.type == "Add")
    feeder = net.inputs_of(add)[0]
    source = net.inputs_of(feeder)[0]
    assert w.canvas_edits.dissolve_problem(feeder) is None
    w.scene.select_ids([feeder])
    w.dissolve_action.trigger()
    assert feeder not in net
    assert net.inputs_of(add)[0] == source          # took the removed block's place among Add's inputs
    w.undo_action.trigger()
    assert snapshot(w) == before
    assert w.canvas_edits.dissolve_problem(add) is not None      # two inputs: cannot reconnect


def test_a_quick_fix_inserts_its_block_in_the_chain(window):
    net = window.doc.network
    window.editor.delete(["flatten"])
    window.editor.link("pool2", "dense1")
    fixes = window.doc.results["dense1"].fixes
    fix = next(f for f in fixes if f.kind == "insert_before")
    window.canvas_edits.fix("dense1", fix)
    [new] = [n for n in net.nodes if n not in ("dense1",) and net.nodes[n].type == fix.block]
    assert net.inputs_of(new) == ["pool2"] and net.outputs_of(new) == ["dense1"]
    assert net.nodes["pool2"].position[0] < net.nodes[new].position[0] < net.nodes["dense1"].position[0]
    assert abs(net.nodes[new].position[1] - net.nodes["pool2"].position[1]) < 1      # on the chain's line


def test_a_card_zoomed_to_a_quarter_paints_its_type_and_shape(qtbot, load_example):
    net = load_example("lenet5")
    scene = NetworkScene(net, direction="lr")
    scene.show_results(engine.infer_shapes(net))
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.scale(0.25, 0.25)
    nid = next(n for n, node in net.nodes.items() if node.type == "Conv2d")
    view.centerOn(scene.block_rect(nid).center())
    item = scene.block_item(nid)
    kind, shape = item.overview_texts()
    assert kind == "Conv2d" and "×" in shape
    image = view.viewport().grab().toImage()
    card = view.mapFromScene(scene.block_rect(nid)).boundingRect().adjusted(4, 3, -3, -3)
    text_colour = theme().text
    dark = 0
    for x in range(card.left(), card.right()):
        for y in range(card.top(), card.bottom()):
            c = image.pixelColor(x, y)
            if abs(c.lightness() - text_colour.lightness()) < 90:
                dark += 1
    assert dark > 25, "the card's area holds no text"
    view.resetTransform()
    view.scale(0.25, 0.25)
    assert view.zoom_button.text() == "25 %"


def test_alexnet_opens_wrapped_fitted_and_readable_with_no_link_across_a_card(window, qtbot):
    assert window.files.open_path(EXAMPLES / "alexnet.json", ask=False)
    qtbot.wait(50)
    window.show_network_start()
    assert window.view.zoom() >= 0.3                    # the overview's type and shape are legible
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.blocks_rect())
    ys = {round(window.scene.block_item(n).pos().y()) for n in window.doc.network.nodes}
    assert len(ys) > 1                                  # wrapped into bands
    for s, t in links(window):
        link = window.scene.link_item(s, t)
        assert link._blockers(link.path()) == [], (s, t)
    assert not window.doc.modified                      # laid out on opening, not an edit


def test_the_minimap_moves_off_a_block_just_placed_under_it(window, qtbot):
    view = window.view
    view.reset_zoom()
    view.centerOn(window.scene.block_rect("conv1").center())
    qtbot.wait(20)
    assert view.minimap.isVisible()
    corner = view.minimap.geometry().center()
    at = view.mapToScene(corner - view.viewport().pos())
    window.scene.select_ids([])
    window.canvas_edits.quick_add("ReLU", (at.x(), at.y()), [])
    new = window.scene.selected_ids()[0]

    def clear():
        card = view.mapFromScene(window.scene.block_rect(new)).boundingRect().translated(view.viewport().pos())
        return view.minimap.isVisible() and not view.minimap.geometry().intersects(card)
    qtbot.waitUntil(clear, timeout=3000)
    window.view.set_minimap_enabled(False)
    qtbot.wait(20)
    assert not view.minimap.isVisible()


def test_card_titles_never_cut_the_block_type(qtbot):
    net = engine.Network()
    net.add_node("Input", {"shape": [3, 16, 16]}, "input")
    for name in ("AdaptiveMaxPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Linear", "MaxPool2d"):
        nid = net.add_node(name, {"output_size": 1} if name.startswith("Adaptive") else
                           {"out_features": 4} if name == "Linear" else
                           {"kernel_size": 2} if name == "MaxPool2d" else {}, f"{name.lower()}_block")
        net.connect("input", nid) if name != "Linear" else None
    scene = NetworkScene(net, direction="lr")
    for nid, node in net.nodes.items():
        item = scene.block_item(nid)
        assert item.kind_text == node.spec.label, (item.kind_text, node.spec.label)
