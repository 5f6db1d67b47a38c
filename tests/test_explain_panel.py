"""'Shapes explained' follows edits of the selected block: the new numbers, drawn exactly as a freshly
opened panel draws them, without losing the reader's place; another block starts from the top."""
import engine
from widgets.explain import ExplainPanel


def network():
    net = engine.Network()
    net.add_node("Input", {"shape": [3, 32, 32]}, "input")
    net.add_node("Conv2d", {"out_channels": 8, "kernel_size": 5}, "conv")
    net.connect("input", "conv")
    return net


def panel(qtbot, net, node_id):
    p = ExplainPanel()
    qtbot.addWidget(p)
    p.resize(300, 160)             # short: the text scrolls
    p.show()
    qtbot.waitExposed(p)
    p.show_node(net, node_id, engine.infer_shapes(net))
    return p


def test_an_edit_of_the_shown_block_shows_the_new_numbers_in_place(qtbot):
    net = network()
    p = panel(qtbot, net, "conv")
    assert "28 × 28" in p.toPlainText()
    bar = p.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)
    place = bar.value()
    net.set_param("conv", "kernel_size", 3)
    p.show_node(net, "conv", engine.infer_shapes(net))
    assert "30 × 30" in p.toPlainText() and "28 × 28" not in p.toPlainText()
    assert bar.value() == place
    fresh = panel(qtbot, net, "conv")
    fresh.verticalScrollBar().setValue(place)
    assert p.toHtml() == fresh.toHtml()
    assert p.grab().toImage() == fresh.grab().toImage()


def test_another_block_is_shown_from_the_top(qtbot):
    net = network()
    p = panel(qtbot, net, "conv")
    p.verticalScrollBar().setValue(p.verticalScrollBar().maximum())
    p.show_node(net, "input", engine.infer_shapes(net))
    assert "Data enters here with the shape 3 × 32 × 32" in p.toPlainText()
    assert p.verticalScrollBar().value() == 0
