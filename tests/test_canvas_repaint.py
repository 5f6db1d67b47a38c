"""An edit repaints only the cards and links in view at once; the rest are repainted when they come
into view. What a user sees must never lag: a card scrolled or zoomed into view after an edit shows
its new shape, exactly as a canvas drawn from scratch would."""
import pytest
from PySide6.QtGui import QImage

import engine
from widgets.canvas import NetworkScene, NetworkView


def chain(blocks: int) -> engine.Network:
    """Input, then convolutions that keep the size: a new input size changes every card and link."""
    net = engine.Network()
    prev = net.add_node("Input", {"shape": [4, 8, 8]}, "input")
    for i in range(blocks - 1):
        nid = net.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, f"c{i}")
        net.connect(prev, nid)
        prev = nid
    return net


@pytest.fixture
def canvas(qtbot):
    net = chain(40)
    scene = NetworkScene(net)
    cache = engine.ShapeCache()
    scene.show_results(cache.infer(net))
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    qtbot.waitExposed(view)
    return net, scene, cache, view


def picture(view) -> QImage:
    return view.viewport().grab().toImage()


def drawn_from_scratch(view) -> QImage:
    """The same place drawn with every cached picture thrown away."""
    view.scene().restyle()
    view.resetCachedContent()
    return picture(view)


def look_at(view, scene, node_id: str) -> None:
    view.centerOn(scene.block_rect(node_id).center())


def test_a_card_changed_out_of_view_shows_its_new_shape_when_scrolled_into_view(canvas):
    net, scene, cache, view = canvas
    view.reset_zoom()
    look_at(view, scene, "c35")
    before = picture(view)                       # cached pictures of the old shapes exist down here
    look_at(view, scene, "input")
    picture(view)
    net.set_param("input", "shape", [4, 6, 6])
    changed = scene.show_results(cache.infer(net))
    assert len(changed) == len(net)
    look_at(view, scene, "c35")
    after = picture(view)
    assert scene.block_item("c35").shape_text == "4 × 6 × 6"
    assert after != before                       # the new shapes are drawn...
    assert after == drawn_from_scratch(view)     # ...exactly as a fresh canvas draws them


def test_cards_changed_while_zoomed_far_out_show_their_new_shapes_when_zoomed_in(canvas):
    net, scene, cache, view = canvas
    view.reset_zoom()
    look_at(view, scene, "c10")
    before = picture(view)
    view.fit_all()
    assert view.zoom() < 0.35                    # too small to read: cards are drawn without text
    picture(view)
    net.set_param("input", "shape", [4, 5, 5])
    scene.show_results(cache.infer(net))
    assert picture(view) == drawn_from_scratch(view)
    view.reset_zoom()
    look_at(view, scene, "c10")
    after = picture(view)
    assert after != before
    assert after == drawn_from_scratch(view)


def test_a_card_that_turns_red_far_out_of_reading_size_is_redrawn_at_once(canvas):
    net, scene, cache, view = canvas
    view.fit_all()
    before = picture(view)
    net.set_param("c3", "kernel_size", 99)       # larger than the input: an error, every card below blocked
    scene.show_results(cache.infer(net))
    after = picture(view)
    assert after != before
    assert after == drawn_from_scratch(view)


def test_edits_in_a_scene_without_a_view_are_shown_by_a_view_opened_later(qtbot):
    net = chain(12)
    scene = NetworkScene(net)
    cache = engine.ShapeCache()
    scene.show_results(cache.infer(net))
    net.set_param("input", "shape", [4, 3, 3])
    scene.show_results(cache.infer(net))
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    qtbot.waitExposed(view)
    view.reset_zoom()
    look_at(view, scene, "c8")
    assert picture(view) == drawn_from_scratch(view)
    assert scene.link_item("c7", "c8").label == "4 × 3 × 3"
