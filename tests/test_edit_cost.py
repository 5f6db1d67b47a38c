"""What one keystroke in the inspector costs on a large network: the panels that walk the whole network
(receptive fields, the Code panel's export, the quick fixes tried on copies) do not run per keystroke;
they follow once typing pauses, and a panel behind another dock's tab waits until its tab is raised,
then shows the network as it is."""
from __future__ import annotations

import pytest
from test_app import dialogs, window  # noqa: F401  (the main window, dialogs recorded)

import engine
import engine.core.codegen
import engine.core.quick_fixes
import engine.core.receptive
from widgets.follow import on_screen


def chain(blocks: int) -> engine.Network:
    """Input, convolutions and ReLUs (each shape follows the Input's), a Linear head: `blocks` blocks."""
    net = engine.Network(f"{blocks} blocks")
    prev = net.add_node("Input", {"shape": [3, 16, 16]}, "input")
    while len(net) < blocks - 2:
        nid = net.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}) if len(net) % 2 \
            else net.add_node("ReLU", {})
        net.connect(prev, nid)
        prev = nid
    for type_name, params in (("Flatten", {}), ("Linear", {"out_features": 10})):
        nid = net.add_node(type_name, params)
        net.connect(prev, nid)
        prev = nid
    return net


@pytest.fixture
def counted(monkeypatch):
    """How often each whole-network computation runs."""
    calls = {"receptive": 0, "export": 0, "fixes": 0}

    def counting(name, module, attr):
        real = getattr(module, attr)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, attr, wrapper)
    counting("receptive", engine.core.receptive, "receptive_fields")
    counting("export", engine.core.codegen, "export_code")
    counting("fixes", engine.core.quick_fixes, "verified_fix_map")
    return calls


def test_a_keystroke_on_300_blocks_walks_nothing_extra_and_hidden_panels_wait(window, qtbot, counted):  # noqa: F811
    window.doc.replace(chain(300), None)
    window.scene.select_ids(["input"])
    window.explain_dock.raise_()          # the Code panel is a tab behind "Shapes explained"
    window.summary_dock.raise_()          # and the Problems behind Summary
    qtbot.wait(700)                       # everything follows the new network
    assert not on_screen(window.code_panel) and not on_screen(window.problems)
    assert counted["export"] == 0         # the window's first show reached the Code panel; it still waited
    for key in counted:
        counted[key] = 0
    for i, shape in enumerate(([3, 15, 15], [3, 14, 14], [3, 13, 13])):      # typed: one value per key
        window.inspector.param_edit_requested.emit("input", "shape", shape)
        qtbot.wait(20)
        assert counted == {"receptive": 0, "export": 0, "fixes": 0}, f"keystroke {i + 1}"
        assert window.doc.results["input"].shape == tuple(shape)
    qtbot.waitUntil(lambda: counted["receptive"] == 1)        # the pause: the receptive fields, once
    qtbot.wait(400)
    assert counted == {"receptive": 1, "export": 0, "fixes": 0}   # nobody sees the code or the fixes
    assert window.summary.table.rowCount() == 300

    window.code_dock.raise_()                                  # its tab raised: the code of the network now
    qtbot.waitUntil(lambda: counted["export"] == 1)
    assert "3, 13, 13" in window.code_panel.editor.toPlainText()
    assert window.code_panel.editor.toPlainText() == engine.core.codegen.export_code(window.doc.network)
    window.problems_dock.raise_()
    qtbot.waitUntil(lambda: window.problems.verified)          # the fixes are tried once it is on screen
    assert counted["fixes"] == 1
