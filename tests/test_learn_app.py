"""Receptive fields and the Learn window in the main window: the inspector, Shapes explained and the
Summary show the selected block's field; Help → Learn opens the stepper; "Step through this layer" sets
it to the block's own settings."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from test_app import dialogs, window  # noqa: F401  (the main window on mnist_cnn, dialogs recorded)

from widgets.explain import PICTURE_URL, STEP_URL
from widgets.summary import RF_COLUMN

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                        "This plugin does not support raise")


def test_the_selected_blocks_receptive_field_is_shown_everywhere(window):
    window.select_block("conv2")
    assert "<b>Receptive field</b>&nbsp; 8×8 of the 28×28 input" in window.inspector.receptive.text()
    assert window.inspector.receptive.isVisible()
    html = window.explain.toHtml()
    assert "Receptive field" in html and "8×8" in window.explain.toPlainText()
    assert "H: r = 4 + (3 − 1)·1·2 = 8" in window.explain.toPlainText()
    picture = window.explain.document().resource(2, QUrl(PICTURE_URL))       # 2 = an image resource
    assert picture is not None and not picture.isNull()
    rows = {window.summary.table.item(r, 0).text(): window.summary.table.item(r, RF_COLUMN).text()
            for r in range(window.summary.table.rowCount())}
    assert rows["conv1"] == "3×3" and rows["pool2"] == "10×10" and rows["dense1"] == "—"
    window.select_block("pool2")
    assert "units see 10×10 of the 28×28 input each" in window.inspector.receptive.text()
    window.select_block("dense1")
    assert not window.inspector.receptive.isVisible()


def test_an_edit_before_a_block_updates_its_receptive_field(window):
    window.select_block("conv1")
    window.editor.set_param("conv1", "kernel_size", 5)
    window.editor.set_param("conv1", "padding", 2)
    rows = {window.summary.table.item(r, 0).text(): window.summary.table.item(r, RF_COLUMN).text()
            for r in range(window.summary.table.rowCount())}
    assert rows["conv1"] == "5×5" and rows["pool2"] == "12×12"      # the shapes after conv1 did not change
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    rows = {window.summary.table.item(r, 0).text(): window.summary.table.item(r, RF_COLUMN).text()
            for r in range(window.summary.table.rowCount())}
    assert rows["pool2"] == "10×10"


def test_help_learn_opens_the_stepper_on_the_lecture_grid(window, qtbot):
    assert window.learn_action in window.help_menu.actions()
    window.learn_action.trigger()
    learn = window.learn_window
    qtbot.waitExposed(learn)
    assert learn.tabs.currentWidget() is learn.stepper and learn.stepper.stepper.out_shape == (2, 3)


def test_step_through_this_layer_uses_the_blocks_settings(window, qtbot):
    window.select_block("pool1")
    assert "Step through this layer" in window.explain.toPlainText()
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    s = window.learn_window.stepper
    assert s.mode == "max" and s.window_rows.value() == 2 and s.stride_edit.text() == "2"
    assert s.stepper.out_shape == (2, 2)
    window.select_block("conv1")
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    assert s.mode == "conv" and s.padding_number.text() == "1" and s.stepper.out_shape == (4, 5)
    window.select_block("dense1")
    assert "Step through this layer" not in window.explain.toPlainText()


def test_a_filter_from_the_filters_view_opens_in_the_kernel_lab(window, qtbot):
    import numpy as np
    weights = np.arange(9, dtype=np.float64).reshape(3, 3) - 4
    window.live_views.open_in_lab.emit("conv1: filter 2", weights)
    learn = window.learn_window
    assert learn.tabs.currentWidget() is learn.lab
    assert learn.lab.preset_box.currentText() == "conv1: filter 2"
    assert learn.lab.editor.toPlainText().splitlines()[0].split() == ["-4", "-3", "-2"]


def test_a_patch_of_the_probe_image_is_offered_as_the_steppers_input(window, monkeypatch):
    import numpy as np

    import app.learn as learn_module
    image = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)
    monkeypatch.setattr(learn_module, "probe_image", lambda w: image)
    window.learn_action.trigger()
    s = window.learn_window.stepper
    assert s.preset_box.findText("Probe image patch") >= 0
    s.load_preset("Probe image patch")
    grid = s.input_grid.values()
    assert len(grid) == 6 and len(grid[0]) == 6 and grid[0][0] == 0 and grid[-1][-1] == 9
    assert s.stepper.out_shape == (4, 4)


def test_a_1d_block_is_stepped_through_on_one_row(window):
    from test_app import EXAMPLES
    assert window.files.open_path(EXAMPLES / "conv1d_signal.json", ask=False)
    window.select_block("conv1")
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    s = window.learn_window.stepper
    k = window.doc.network.nodes["conv1"].params["kernel_size"]
    assert s.input_grid.rowCount() == 1 and s.window_rows.value() == 1 and s.window_cols.value() == k
    assert s.stepper.out_shape[0] == 1


def _open_steps(window, tmp_path, steps):
    import engine
    nodes = [{"id": nid, "type": t, "params": p} for nid, t, p in steps]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    path = tmp_path / "net.json"
    path.write_text(engine.dumps(engine.network_from_dict({"format": "netwright.network", "version": 1,
                                                           "nodes": nodes, "edges": edges})), encoding="utf-8")
    assert window.files.open_path(path, ask=False)


def test_a_transposed_convolution_is_stepped_through_with_its_output_padding(window, tmp_path):
    _open_steps(window, tmp_path, [("x", "Input", {"shape": [4, 5, 5]}),
                                   ("up", "ConvTranspose2d", {"out_channels": 2, "kernel_size": 3, "stride": 2,
                                                              "padding": 1, "output_padding": 1})])
    window.select_block("up")
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    s = window.learn_window.stepper
    assert s.mode == "transposed" and s.stride_edit.text() == "2" and s.output_padding.text() == "1"
    assert s.padding_number.text() == "1" and s.window_rows.value() == 3


def test_a_3d_block_is_stepped_through_over_one_depth_slice(window, tmp_path):
    _open_steps(window, tmp_path, [("x", "Input", {"shape": [1, 6, 12, 12]}),
                                   ("c", "Conv3d", {"out_channels": 2, "kernel_size": [2, 3, 5], "stride": [1, 1, 2]})])
    window.select_block("c")
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    s = window.learn_window.stepper
    assert s.mode == "conv" and (s.window_rows.value(), s.window_cols.value()) == (3, 5)
    assert s.stride_edit.text() == "1, 2" and "one depth slice" in window.statusBar().currentMessage()


def test_a_1d_transposed_convolution_is_stepped_through_on_one_row(window, tmp_path):
    _open_steps(window, tmp_path, [("x", "Input", {"shape": [2, 6]}),
                                   ("up", "ConvTranspose1d", {"out_channels": 2, "kernel_size": 3, "stride": 2,
                                                              "output_padding": 1})])
    window.select_block("up")
    window.explain.anchorClicked.emit(QUrl(STEP_URL))
    s = window.learn_window.stepper
    assert s.mode == "transposed" and s.input_grid.rowCount() == 1 and s.output_padding.text() == "0, 1"
    assert s.stepper.out_shape[0] == 1 and s.stepper.out_shape[1] > 0
