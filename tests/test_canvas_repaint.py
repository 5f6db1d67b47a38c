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


def zoom_to(view, scene, scale: float, node_id: str) -> None:
    from PySide6.QtGui import QTransform
    view.setTransform(QTransform.fromScale(scale, scale))
    look_at(view, scene, node_id)


def test_tiles_far_out_stay_as_they_are_until_zoomed_in_then_show_the_new_shapes(canvas):
    net, scene, cache, view = canvas
    zoom_to(view, scene, 0.1, "c20")            # cards are tiles in their block's colour
    before = picture(view)
    net.set_param("input", "shape", [4, 7, 7])  # every shape changes, no state does
    assert len(scene.show_results(cache.infer(net))) == len(net)
    assert picture(view) == before == drawn_from_scratch(view)
    zoom_to(view, scene, 0.3, "c20")            # type and shape, large
    assert picture(view) == drawn_from_scratch(view)
    assert scene.block_item("c20").overview_texts()[1] == "4×7×7"
    zoom_to(view, scene, 1.0, "c20")
    assert picture(view) == drawn_from_scratch(view)


def test_a_tile_that_turns_red_or_grey_shows_it_in_and_out_of_view(canvas):
    net, scene, cache, view = canvas
    view.resize(300, 200)
    zoom_to(view, scene, 0.1, "c5")
    before = picture(view)
    assert not view.mapToScene(view.viewport().rect()).boundingRect().intersects(scene.block_rect("c38"))
    net.set_param("c3", "kernel_size", 99)       # an error, every card below blocked
    scene.show_results(cache.infer(net))
    after = picture(view)
    assert after != before and after == drawn_from_scratch(view)
    zoom_to(view, scene, 0.1, "c38")             # out of view at the edit: its tile was stale
    assert picture(view) == drawn_from_scratch(view)
