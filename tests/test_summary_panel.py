"""The summary table follows edits row by row: after any sequence of edits every cell reads (text,
tooltip, colour) exactly as in a table filled from scratch."""
import engine
from widgets.summary import SummaryPanel


def network():
    net = engine.Network()
    net.add_node("Input", {"shape": [3, 32, 32]}, "input")
    net.add_node("Conv2d", {"out_channels": 8, "kernel_size": 3}, "conv")
    net.add_node("ReLU", {}, "relu")
    net.connect("input", "conv")
    net.connect("conv", "relu")
    return net


def cells(panel):
    t = panel.table
    return [(t.item(r, c).text(), t.item(r, c).toolTip(), t.item(r, c).foreground().color().rgba())
            for r in range(t.rowCount()) for c in range(t.columnCount())]


def fresh(qtbot, net):
    panel = SummaryPanel()
    qtbot.addWidget(panel)
    panel.show_network(net, engine.infer_shapes(net))
    return panel


def test_rows_follow_an_error_and_its_fix_as_a_fresh_table_shows_them(qtbot):
    net = network()
    panel = fresh(qtbot, net)
    cache = engine.ShapeCache()
    for kernel, in_shape in ((5, [3, 32, 32]), (40, [3, 32, 32]), (40, [3, 48, 48]), (3, [3, 30, 30])):
        net.set_param("conv", "kernel_size", kernel)
        net.set_param("input", "shape", in_shape)
        results = cache.infer(net)
        panel.show_network(net, results)
        assert cells(panel) == cells(fresh(qtbot, net)), (kernel, in_shape)
    row = [panel.table.item(r, 0).text() for r in range(3)].index("conv")
    assert panel.table.item(row, 2).text() == "8 × 28 × 28"


def test_a_block_with_an_error_says_so_with_the_reason_as_tooltip(qtbot):
    net = network()
    net.set_param("conv", "kernel_size", 40)
    panel = fresh(qtbot, net)
    row = [panel.table.item(r, 0).text() for r in range(3)].index("conv")
    out = panel.table.item(row, 2)
    assert out.text() == "error" and "40" in out.toolTip()
    assert panel.table.item(row, 3).text() == ""
