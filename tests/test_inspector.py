"""The inspector builds proper editors from each block's parameter specs and sends edits as intents."""
from __future__ import annotations

import engine
import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from widgets.inspector import Inspector
from widgets.param_editors import PaddingEditor, PairEditor, parse_int_list


@pytest.fixture
def inspector(qtbot):
    w = Inspector()
    qtbot.addWidget(w)
    edits = []
    w.param_edit_requested.connect(lambda nid, name, value: edits.append((nid, name, value)))
    w.edits = edits
    return w


def show(inspector, chain, *steps, node="b1"):
    net = chain(*steps)
    results = engine.infer_shapes(net)
    inspector.show_node(net, node, results[node])
    return net, results


def test_every_block_type_gets_an_editor_per_parameter_showing_its_value(inspector, chain):
    for type_name, spec in engine.BLOCKS.items():
        net = engine.Network()
        from app.editing import starter_params
        net.add_node(type_name, starter_params(type_name), "x")
        inspector.show_node(net, "x", engine.infer_shapes(net)["x"])
        assert set(inspector.editors) == {p.name for p in spec.params}, type_name
        resolved = spec.resolved(net.nodes["x"].params)
        for name, editor in inspector.editors.items():
            assert editor.value() == resolved[name], (type_name, name)
    assert inspector.edits == []                 # showing a block never sends edits


def test_conv2d_editors_are_spin_boxes_pairs_padding_and_checkbox(inspector, chain):
    show(inspector, chain, ("Input", {"shape": [3, 32, 32]}), ("Conv2d", {"out_channels": 8, "kernel_size": 5}))
    ed = inspector.editors
    spin = ed["out_channels"].findChild(QSpinBox)
    assert (spin.minimum(), spin.maximum(), spin.value()) == (1, 65536, 8)
    assert isinstance(ed["kernel_size"], PairEditor) and ed["kernel_size"].square
    assert isinstance(ed["padding"], PaddingEditor)
    assert ed["bias"].findChild(QCheckBox).isChecked()
    assert "32 − 5 + 2·0" in inspector.formula.text() and "8 × 28 × 28" in inspector.output.text()
    ed["kernel_size"].h.setValue(3)
    assert inspector.edits[-1] == ("b1", "kernel_size", 3)
    ed["kernel_size"].link.setChecked(False)
    ed["kernel_size"].w.setValue(1)
    assert inspector.edits[-1] == ("b1", "kernel_size", [3, 1])
    ed["padding"].mode.setCurrentIndex(ed["padding"].mode.findData("same"))
    assert inspector.edits[-1] == ("b1", "padding", "same")


def test_pooling_stride_defaults_to_auto_and_none_means_the_kernel(inspector, chain):
    show(inspector, chain, ("Input", {"shape": [3, 32, 32]}), ("MaxPool2d", {"kernel_size": 2}))
    stride = inspector.editors["stride"]
    assert stride.value() is None and stride.h.text() == "auto"
    stride.h.setValue(1)
    assert inspector.edits[-1] == ("b1", "stride", 1)
    stride.h.setValue(stride.h.minimum())
    assert inspector.edits[-1] == ("b1", "stride", None)


def test_float_choice_and_bool_editors(inspector, chain):
    show(inspector, chain, ("Input", {"shape": [10, 4]}), ("RNN", {"hidden_size": 8}))
    ed = inspector.editors
    assert isinstance(ed["dropout"].findChild(QDoubleSpinBox), QDoubleSpinBox)
    combo = ed["nonlinearity"].findChild(QComboBox)
    combo.setCurrentIndex(combo.findData("relu"))
    assert inspector.edits[-1] == ("b1", "nonlinearity", "relu")
    ed["return_sequences"].findChild(QCheckBox).setChecked(False)
    assert inspector.edits[-1] == ("b1", "return_sequences", False)
    ed["dropout"].findChild(QDoubleSpinBox).setValue(0.25)
    assert inspector.edits[-1] == ("b1", "dropout", 0.25)


def test_a_shape_is_typed_as_comma_separated_numbers_checked_live(inspector, chain, qtbot):
    show(inspector, chain, ("Input", {"shape": [1, 28, 28]}), ("ReLU", {}), node="b0")
    edit = inspector.editors["shape"].edit
    assert edit.text() == "1, 28, 28"
    edit.clear()
    qtbot.keyClicks(edit, "3, 32, x")
    assert inspector.edits[-1] == ("b0", "shape", [3, 32])      # the last valid value typed
    assert "whole numbers" in inspector.error.text()
    qtbot.keyClick(edit, "\b")
    qtbot.keyClicks(edit, "32")
    assert inspector.edits[-1] == ("b0", "shape", [3, 32, 32])
    assert parse_int_list("[2, -1]") == [2, -1] and parse_int_list("a") is None


def test_the_block_error_is_shown_under_the_form(inspector, chain):
    show(inspector, chain, ("Input", {"shape": [1, 4, 4]}), ("Conv2d", {"out_channels": 2, "kernel_size": 7}))
    assert inspector.error.isVisibleTo(inspector)
    assert "b1" in inspector.error.text() and "7" in inspector.error.text()


def test_rename_is_requested_on_enter_and_empty_state_when_nothing_selected(inspector, chain, qtbot):
    show(inspector, chain, ("Input", {"shape": [4]}), ("Linear", {"out_features": 2}))
    renames = []
    inspector.rename_requested.connect(lambda a, b: renames.append((a, b)))
    inspector.id_edit.setText("head")
    inspector.id_edit.editingFinished.emit()
    assert renames == [("b1", "head")]
    inspector.show_node(None, None, None)
    assert inspector.empty.isVisibleTo(inspector) and not inspector.form_host.isVisibleTo(inspector)


def test_several_selected_blocks_are_counted(inspector):
    inspector.show_node(None, None, None, 3)
    assert inspector.empty.text().startswith("3 blocks selected")
