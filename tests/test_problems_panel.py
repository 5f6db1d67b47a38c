"""The problems list follows edits: an edit that leaves the problems as they are keeps the list (and
the user's selected row, with its quick fix up to date); one that changes them lists the new ones."""
import pytest

import engine
from widgets.problems import ProblemsPanel


def network():
    net = engine.Network()
    net.add_node("Input", {"shape": [3, 32, 32]}, "input")
    net.add_node("Linear", {"out_features": 10}, "fc")          # an image into Linear: a warning with a fix
    net.add_node("Dropout", {"p": 0.1}, "drop")
    net.connect("input", "fc")
    net.connect("fc", "drop")
    return net


@pytest.mark.qt_log_ignore("propagateSizeHints")      # a bare top-level panel on the offscreen platform
def test_the_list_keeps_the_selected_problem_through_edits_that_leave_it(qtbot):
    net = network()
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    cache = engine.ShapeCache()
    panel.show_results(net, cache.infer(net))
    qtbot.waitUntil(lambda: panel.verified)                      # the fixes are tried on a copy first
    assert panel.list.count() == 1 and panel.count.text() == "0 errors, 1 warning"
    panel.list.item(0).setSelected(True)
    assert panel.fix_button.text() == "Insert Flatten" and panel.fix_button.isEnabled()
    net.set_param("drop", "p", 0.3)                              # the same problem after this edit
    results = cache.infer(net)
    panel.show_results(net, results)
    qtbot.waitUntil(lambda: panel.verified)
    assert panel.list.count() == 1 and panel.list.item(0).isSelected()
    assert panel.current()[3] == list(results["fc"].fixes) and panel.fix_button.isEnabled()
    net.set_param("input", "shape", [3, 30, 30])                 # the warning's numbers change
    results = cache.infer(net)
    panel.show_results(net, results)
    assert panel.list.count() == 1 and "3 × 30 × 30" in panel.list.item(0).text()
    net.set_param("input", "shape", [30])                        # a vector: the problem is gone
    panel.show_results(net, cache.infer(net))
    assert panel.list.count() == 0
    assert panel.count.text() == "No problems: every block has a shape."


def test_an_empty_list_says_there_are_no_problems_from_the_start(qtbot):
    net = engine.Network()
    net.add_node("Input", {"shape": [4]}, "input")
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show_results(net, engine.infer_shapes(net))
    assert panel.count.text() == "No problems: every block has a shape."
