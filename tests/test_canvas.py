"""The canvas mirrors the network: one card per block and one curve per link, following every edit,
and shows shape results (shape, parameter count, errors, the arithmetic) on the cards and links."""
import pytest
from PySide6.QtCore import QPointF

import engine
from engine.core.layout import LAYER_GAP
from widgets.canvas import NetworkScene, NetworkView
from widgets.canvas.block_item import BlockItem
from widgets.canvas.link_item import LinkItem


def counts(scene):
    items = scene.items()
    return (sum(isinstance(i, BlockItem) for i in items), sum(isinstance(i, LinkItem) for i in items))


@pytest.fixture
def lenet(qapp, load_example):
    net = load_example("lenet5")
    scene = NetworkScene(net)
    cache = engine.ShapeCache()
    scene.show_results(cache.infer(net))
    return net, scene, cache


def test_scene_has_one_card_per_block_and_one_curve_per_link(lenet):
    net, scene, _ = lenet
    assert counts(scene) == (len(net.nodes), len(net.edges))
    for nid, node in net.nodes.items():
        if node.position is not None:
            assert scene.block_rect(nid).center() == QPointF(*node.position)


def test_cards_and_links_follow_edits_of_the_network(lenet):
    net, scene, _ = lenet
    n, e = counts(scene)
    nid = net.add_node("ReLU", {}, position=(400, 0))
    assert counts(scene) == (n + 1, e)
    net.connect("c1", nid)
    assert counts(scene) == (n + 1, e + 1)
    assert scene.link_item("c1", nid).target is scene.block_item(nid)
    net.disconnect("c1", nid)
    assert counts(scene) == (n + 1, e)
    net.remove_node("c1")                       # its links go with it
    assert counts(scene) == (n, e - 2)
    with pytest.raises(KeyError):
        scene.block_item("c1")
    net.rename("s2", "pool2")
    assert scene.block_item("pool2").node_id == "pool2"
    assert scene.link_item("pool2", net.outputs_of("pool2")[0]).ends[0] == "pool2"


def test_switching_networks_drops_the_old_one(lenet, load_example):
    old, scene, _ = lenet
    new = load_example("residual")
    scene.set_network(new)
    assert counts(scene) == (len(new.nodes), len(new.edges))
    old.add_node("ReLU", {})
    assert counts(scene) == (len(new.nodes), len(new.edges))


def test_reset_rebuilds_everything(lenet, load_example):
    net, scene, _ = lenet
    net.replace_with(load_example("crnn"))
    assert counts(scene) == (len(net.nodes), len(net.edges))


def test_moving_a_block_in_the_network_moves_its_card_and_links(lenet):
    net, scene, _ = lenet
    link = scene.link_item("c1", net.outputs_of("c1")[0])
    before = link.boundingRect()
    net.move("c1", (300.0, 50.0))
    assert scene.block_rect("c1").center() == QPointF(300, 50)
    assert link.boundingRect() != before
    net.move("c1", (300.0, 50.0))              # already there: nothing to do
    assert scene.block_rect("c1").center() == QPointF(300, 50)


def test_parameter_edit_updates_the_shape_on_the_card_and_on_its_outgoing_link(lenet):
    net, scene, cache = lenet
    card = scene.block_item("c1")
    target = net.outputs_of("c1")[0]
    assert card.shape_text == "6 × 28 × 28"
    assert card.detail_text == "156 params"
    assert scene.link_item("c1", target).label == "6 × 28 × 28"
    net.set_param("c1", "out_channels", 8)
    changed = scene.show_results(cache.infer(net))
    assert card.shape_text == "8 × 28 × 28"
    assert card.detail_text == "208 params"
    assert scene.link_item("c1", target).label == "8 × 28 × 28"
    assert "c1" in changed


def test_only_blocks_whose_shown_result_changed_are_repainted(lenet):
    net, scene, cache = lenet
    last = net.output_node()
    net.set_param(last, "out_features", 12)
    assert scene.show_results(cache.infer(net)) == [last]
    assert scene.show_results(cache.infer(net)) == []


def test_errors_are_red_with_the_full_sentence_in_the_tooltip_and_blocked_blocks_grey(qapp, chain):
    net = chain(("input", "Input", {"shape": [1, 4, 4]}), ("conv", "Conv2d", {"out_channels": 2, "kernel_size": 5}),
                ("relu", "ReLU", {}))
    scene = NetworkScene(net)
    results = engine.infer_shapes(net)
    scene.show_results(results)
    conv, relu = scene.block_item("conv"), scene.block_item("relu")
    assert conv.state == "error" and relu.state == "blocked"
    # The card names the block already: it shows the rule and the numbers on two lines.
    assert conv.shape_text.startswith("Kernel 5×5 is larger") and conv.detail_text
    assert relu.shape_text == "no shape" and relu.detail_text == "its input has a problem"
    assert results["conv"].error in conv.toolTip()
    assert scene.link_item("conv", "relu").label == ""
    net.set_param("conv", "padding", 1)
    scene.show_results(engine.infer_shapes(net))
    assert conv.state == "ok" and relu.state == "ok"
    assert relu.shape_text == "2 × 2 × 2"


def test_tooltip_shows_the_arithmetic_with_numbers(lenet):
    net, scene, cache = lenet
    tip = scene.block_item("c1").toolTip()
    formula = cache.infer(net)["c1"].formula
    assert formula and formula in tip
    assert "28" in tip


def test_warnings_are_shown_on_the_card(qapp, chain):
    net = chain(("input", "Input", {"shape": [3, 224, 224]}),
                ("conv", "Conv2d", {"out_channels": 96, "kernel_size": 11, "stride": 4}))
    scene = NetworkScene(net)
    results = engine.infer_shapes(net)
    assert results["conv"].warnings
    scene.show_results(results)
    card = scene.block_item("conv")
    n = len(results["conv"].warnings)
    assert card.state == "warning" and card.detail_text.startswith("34.9k params")
    assert card.detail_text.endswith(f"⚠ {n}") or card.detail_text.endswith(f"⚠ {n} warnings")
    assert results["conv"].warnings[0] in card.toolTip()


def test_blocks_without_positions_are_laid_out_below_their_inputs(qapp, chain):
    net = chain(("Input", {"shape": [1, 8, 8]}), ("Conv2d", {"out_channels": 2, "kernel_size": 3}), ("ReLU", {}),
                ("Flatten", {}))
    assert all(n.position is None for n in net.nodes.values())
    scene = NetworkScene(net)
    centres = [scene.block_rect(f"b{i}").center() for i in range(4)]
    for upper, lower in zip(centres, centres[1:]):
        assert lower.y() >= upper.y() + LAYER_GAP
    added = net.add_node("Dropout", {})
    assert not any(scene.block_rect(added).intersects(scene.block_rect(f"b{i}")) for i in range(4))
    assert all(n.position is None for n in net.nodes.values())     # the scene never edits the network


def test_multi_input_block_spreads_its_links_in_input_order(qapp, load_example):
    net = load_example("residual")
    scene = NetworkScene(net)
    ins = net.inputs_of("add")
    xs = [scene.link_item(s, "add").target.input_anchor(scene.link_item(s, "add")).x() for s in ins]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_fit_all_shows_every_block(qtbot, load_example):
    net = load_example("alexnet")
    scene = NetworkScene(net)
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.fit_all()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(scene.blocks_rect())
    assert not view.minimap.isVisible()
    view.reset_zoom()
    assert view.zoom() == 1.0
    assert view.minimap.isVisible()            # alexnet is taller than the view at 100 %


def test_the_canvas_follows_a_switch_to_a_dark_palette_and_back(qtbot, qapp, load_example):
    from PySide6.QtGui import QColor, QPalette

    from widgets.canvas import style
    scene = NetworkScene(load_example("lenet5"))
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)

    def corner_lightness():
        return view.viewport().grab().toImage().pixelColor(3, 3).lightnessF()

    old = qapp.palette()
    light = corner_lightness()
    dark = QPalette(old)
    dark.setColor(QPalette.ColorRole.Window, QColor("#23262d"))
    try:
        qapp.setPalette(dark)
        qtbot.waitUntil(lambda: style.theme().background.lightnessF() < 0.3)
        assert corner_lightness() < 0.3 < light
    finally:
        qapp.setPalette(old)
    qtbot.waitUntil(lambda: style.theme().background.lightnessF() > 0.7)
    assert corner_lightness() == pytest.approx(light, abs=0.02)


@pytest.mark.qt_log_ignore("This plugin does not support raise")     # the offscreen platform, showing a tooltip
def test_hovering_a_block_shows_its_arithmetic_after_an_edit(qtbot, lenet):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip
    net, scene, cache = lenet
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    view.centerOn(scene.block_rect("c1").center())
    net.set_param("c1", "kernel_size", 3)
    result = cache.infer(net)["c1"]
    scene.show_results({"c1": result})
    at = view.mapFromScene(scene.block_rect("c1").center())
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, at, view.viewport().mapToGlobal(at)))
    qtbot.waitUntil(QToolTip.isVisible)
    assert result.formula in QToolTip.text() and "30 × 30" in QToolTip.text()
    QToolTip.hideText()


def residual_units(units: int) -> engine.Network:
    net = engine.Network()
    prev = net.add_node("Input", {"shape": [4, 8, 8]}, "input")
    for u in range(units):
        last = prev
        for i in range(3):
            nid = net.add_node("Conv2d" if i != 1 else "ReLU", {"out_channels": 4, "kernel_size": 3, "padding": 1}
                               if i != 1 else {}, f"u{u}_{i}")
            net.connect(last, nid)
            last = nid
        add = net.add_node("Add", {}, f"add{u}")
        net.connect(last, add)
        net.connect(prev, add)
        prev = add
    return net


def test_no_shape_label_on_a_link_sits_on_a_block(qapp):
    net = residual_units(4)                         # laid out by the scene: skip links run past the units
    scene = NetworkScene(net)
    scene.show_results(engine.infer_shapes(net))
    cards = [scene.block_rect(nid) for nid in net.nodes]
    for e in net.edges:
        link = scene.link_item(e.source, e.target)
        assert link.label == "4 × 8 × 8"
        box = link.mapRectToScene(link.label_rect())
        assert not any(box.intersects(card) for card in cards), (e, box)


def test_a_skip_link_placed_behind_a_column_of_blocks_goes_around_them(qapp):
    from PySide6.QtGui import QPainterPathStroker
    net = residual_units(1)
    for i, nid in enumerate(["input", "u0_0", "u0_1", "u0_2", "add0"]):
        net.move(nid, (0.0, 100.0 * i))            # all in one column: the skip would hide under the unit
    scene = NetworkScene(net)
    skip = scene.link_item("input", "add0")
    stroker = QPainterPathStroker()
    stroker.setWidth(2)
    route = skip.mapToScene(stroker.createStroke(skip.path()))
    for nid in ("u0_0", "u0_1", "u0_2"):
        assert not route.intersects(scene.block_rect(nid)), nid
    assert skip.path().pointAtPercent(0.0) == scene.block_item("input").output_anchor()
    assert skip.path().pointAtPercent(1.0) == scene.block_item("add0").input_anchor(skip)
    chain = scene.link_item("u0_0", "u0_1")          # short links keep their plain curve
    assert chain.path().boundingRect().width() < 1


def test_fit_all_follows_blocks_moved_far_away_and_back(qtbot, lenet):
    net, scene, _ = lenet
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    home = net.nodes["c1"].position
    net.move("c1", (5000.0, 0.0))
    assert scene.blocks_rect().right() > 5000
    net.move("c1", home)                              # undo
    assert scene.blocks_rect().right() < 1000
    view.fit_all()
    assert view.zoom() > 0.3


def test_many_moves_and_removals_with_rerouted_links_keep_the_scene_sound(qtbot):
    """Links re-route (asking the scene where blocks are) while blocks move; the scene must stay sound
    through moves, removals and rebuilds. (The sequence that once left a stale index entry is covered by
    tests/test_app.py's undo-all/redo-all test.)"""
    net = residual_units(3)
    scene = NetworkScene(net)
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.show()
    column = list(net.nodes)
    for round_ in range(4):
        for i, nid in enumerate(column):
            if nid in net.nodes:
                net.move(nid, ((round_ % 2) * 40.0, 100.0 * i))
        victim = column[2 + round_]
        snapshot = net.copy()
        net.remove_node(victim)
        scene.items(view.mapToScene(view.viewport().rect()))
        net.replace_with(snapshot)                     # what undo does for a file-level change
        qtbot.wait(1)
    for nid in net.nodes:
        assert scene.items(scene.block_rect(nid).center())
    assert len(scene.items()) == len(net.nodes) + len(net.edges)


def test_a_card_whose_only_warning_is_its_receptive_field_turns_amber(qapp, load_example, monkeypatch):
    """The Problems list names the receptive-field warning of mnist_cnn's pool2 (the classifier's units see
    10×10 of 28×28); its card shows it too, worked out once per results, never on a repaint."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QGraphicsView

    from app.document import Document
    from engine.core import receptive
    from widgets.canvas.style import theme
    walks = []
    real = receptive.receptive_fields
    monkeypatch.setattr(receptive, "receptive_fields", lambda *a, **k: walks.append(1) or real(*a, **k))
    doc = Document(load_example("mnist_cnn"))
    scene = NetworkScene(doc.network)
    doc.results_changed.connect(scene.show_results)
    scene.show_results(doc.results)
    scene.follow_fields(doc)
    card = scene.block_item("pool2")
    assert not doc.results["pool2"].warnings                    # the shape check has none for it
    assert card.state == "warning" and card.detail_text.endswith("⚠ 1 warning")
    assert "last layer with spatial axes" in card.tooltip_text()
    assert all(scene.block_item(n).state == "ok" for n in doc.network.nodes if n != "pool2")

    view = QGraphicsView(scene)
    view.resize(300, 160)
    view.show()

    def amber_pixels() -> int:                                   # the card as it is on screen
        view.centerOn(card)
        image = view.viewport().grab().toImage()
        amber = theme().warning
        colours = (QColor(image.pixel(x, y)) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
        return sum(1 for c in colours if abs(c.hue() - amber.hue()) < 8 and c.saturation() > 120)
    walked = len(walks)
    assert amber_pixels() > 40                                   # its border is drawn amber
    assert amber_pixels() > 40 and len(walks) == walked          # repaints walk nothing
    # a larger conv2 kernel gives the classifier enough of the input: the card goes back to neutral
    doc.network.set_param("conv2", "kernel_size", 9)
    assert card.state == "ok" and "⚠" not in card.detail_text and amber_pixels() == 0
    assert len(walks) == walked + 1                              # once for the new results
