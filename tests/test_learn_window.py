"""The Learn window: stepping the lecture grid forward and back with the buttons and keys, the output
filling in cell by cell with PyTorch's numbers, the size formula with a case that does not fit, and the
kernel lab's image against F.conv2d."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt

from engine.runtime.kernels import PRESETS, apply_kernel, builtin_picture, parse_kernel
from engine.core.stepper import GRID, KERNEL

# the offscreen platform, showing a top-level window and raising it
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                        "This plugin does not support raise")


@pytest.fixture
def learn(qtbot):
    from widgets.learn.window import LearnWindow
    w = LearnWindow()
    qtbot.addWidget(w)
    w.show()
    return w


def test_stepping_forward_and_back_fills_and_empties_the_output(learn, qtbot):
    s = learn.stepper
    assert s.stepper.out_shape == (2, 3) and s.index == -1
    assert not s.back_button.isEnabled()
    qtbot.mouseClick(s.forward_button, Qt.MouseButton.LeftButton)
    assert s.index == 0 and s.canvas.index == 0
    assert "= 32" in s.step_text.text() and "Output cell (0, 0)" in s.step_text.text()
    qtbot.mouseClick(s.forward_button, Qt.MouseButton.LeftButton)
    assert "= −15" in s.step_text.text()
    qtbot.mouseClick(s.back_button, Qt.MouseButton.LeftButton)
    assert s.index == 0
    qtbot.keyClick(s.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(s.canvas, Qt.Key.Key_Right)
    assert s.index == 2
    qtbot.mouseClick(s.last_button, Qt.MouseButton.LeftButton)
    assert s.index == 5 and not s.forward_button.isEnabled() and s.position.text() == "step 6 of 6"
    assert [st.value for st in s.stepper.steps] == [32, -15, 16, 8, -15, 35]
    qtbot.mouseClick(s.first_button, Qt.MouseButton.LeftButton)
    assert s.index == -1


def test_play_runs_to_the_end_and_stops(learn, qtbot):
    s = learn.stepper
    s.timer.setInterval(5)
    qtbot.mouseClick(s.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.index == 5 and not s.timer.isActive(), timeout=3000)
    assert s.play_button.text() == "▶ Play"


def test_the_four_settings_of_the_issue(learn):
    s = learn.stepper
    s.padding_box.setCurrentText("same")
    assert s.stepper.out_shape == (4, 5)
    s.padding_box.setCurrentText("full")
    assert s.stepper.out_shape == (6, 7) and s.stepper.output()[0] == [-16, -8, 7, -6, -22, -1, 10]
    s.load_preset("Lecture grid with a fifth row")
    s.padding_box.setCurrentText("number")
    s.padding_number.setText("1")
    s.stride_edit.setText("2")
    assert s.stepper.output() == [[-2, 6, -18], [31, -15, 3], [-7, -6, 28]]


def test_a_size_that_does_not_fit_is_flagged(learn):
    s = learn.stepper
    s.load_preset("10×10 (stride 2 does not fit a 3×3 kernel)")
    s.stride_edit.setText("2")
    assert "4.5 does not fit" in s.size_text.text() and "never used" in s.size_text.text()
    assert s.stepper.sizes[0].unused == (9,)


def test_editing_a_cell_recomputes_and_a_bad_value_is_named(learn):
    s = learn.stepper
    s.input_grid.item(0, 0).setText("5")
    x = torch.tensor(s.input_grid.values(), dtype=torch.float64)[None, None]
    want = F.conv2d(x, torch.tensor(KERNEL, dtype=torch.float64)[None, None])[0, 0].tolist()
    assert s.stepper.output() == want and s.stepper.output()[0][0] == 38
    s.input_grid.item(0, 0).setText("x")
    assert s.stepper is None and "must hold a number" in s.step_text.text()
    s.input_grid.item(0, 0).setText("4")
    assert s.stepper.output()[0][0] == 32


def test_pooling_and_transposed_modes_on_the_grid(learn):
    s = learn.stepper
    s.mode_box.setCurrentIndex(1)             # max pooling
    s.window_rows.setValue(2)
    s.window_cols.setValue(2)
    s.stride_edit.setText("2")
    s.padding_box.setCurrentText("valid")
    x = torch.tensor(GRID, dtype=torch.float64)[None, None]
    assert s.stepper.output() == F.max_pool2d(x, 2, 2)[0, 0].tolist()
    s.mode_box.setCurrentIndex(2)             # average pooling
    assert [[float(v) for v in r] for r in s.stepper.output()] == F.avg_pool2d(x, 2, 2)[0, 0].tolist()
    s.mode_box.setCurrentIndex(3)             # transposed convolution
    assert s.padding_box.currentText() == "number"
    k = torch.tensor(s.kernel_grid.values(), dtype=torch.float64)[None, None]
    assert s.stepper.output() == F.conv_transpose2d(x, k, stride=2)[0, 0].tolist()


def test_configure_from_a_blocks_settings(learn):
    s = learn.stepper
    s.configure("conv", (3, 3), 1, (2, 2), (1, 1))
    assert s.padding_box.currentText() == "number" and s.stride_edit.text() == "2"
    assert s.stepper.out_shape == (2, 3)
    s.configure("max", (2, 2), 0, (2, 2), (1, 1))
    assert s.mode == "max" and s.stepper.out_shape == (2, 2)


def test_the_kernel_lab_equals_conv2d(learn, qtbot):
    lab = learn.lab
    learn.show_lab()
    picture = builtin_picture()
    for name, kernel in PRESETS.items():
        lab.set_preset(name)
        want = F.conv2d(torch.tensor(picture, dtype=torch.float64)[None, None],
                        torch.tensor(kernel, dtype=torch.float64)[None, None], padding=1)[0, 0].numpy()
        assert np.allclose(lab.output, want), name
    lab.editor.setPlainText("1 0\n0 -1")
    assert lab.preset_box.currentText() == "Typed values"
    qtbot.waitUntil(lambda: not lab._typing.isActive())
    padded = F.pad(torch.tensor(picture, dtype=torch.float64)[None, None], (0, 1, 0, 1))   # 'same' for 2×2
    want = F.conv2d(padded, torch.tensor([[1.0, 0], [0, -1]], dtype=torch.float64)[None, None])[0, 0].numpy()
    assert np.allclose(lab.output, want)
    lab.editor.setPlainText("1 2\n3")
    qtbot.waitUntil(lambda: "same number of values" in lab.message.text())


def test_a_learned_colour_filter_on_a_colour_picture():
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(3, 12, 10)), rng.normal(size=(3, 5, 5))
    want = F.conv2d(torch.tensor(image)[None], torch.tensor(kernel)[None], padding=2)[0, 0].numpy()
    assert np.allclose(apply_kernel(image, kernel), want)
    assert parse_kernel("1/9 1/9\n-1, 2").tolist() == [[1 / 9, 1 / 9], [-1, 2]]


def test_clicking_a_feature_map_unit_draws_its_receptive_field_on_the_probe_image(qtbot):
    """A frame as the trainer sends it for conv2 of mnist_cnn (8 channels of 14×14, field 8×8, jump 2, start
    0.5): a click on unit (3, 5) of channel 1 draws input rows 6.5 ± 3.5, columns 10.5 ± 3.5 on the image."""
    from PySide6.QtCore import QPointF

    from engine.runtime.probes import feature_view
    from widgets.plots.features import FeaturesView
    view = FeaturesView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    act = torch.rand(8, 14, 14)
    frame = {"block": "conv2", "sample": {"image": np.zeros((28, 28), np.float32), "label": "7", "prediction": "7",
                                          "index": 0, "count": 4},
             **feature_view(act), "receptive_field": {"size": [8, 8], "jump": [2, 2], "start": [0.5, 0.5],
                                                      "input_size": [28, 28], "source": "input"}}
    view.show_frame(frame)
    qtbot.wait(50)
    h, w = frame["tile"]
    unit_x, unit_y = 1 * (w + 1) + 5 + 0.5, 0 * (h + 1) + 3 + 0.5       # channel 1 is the second tile
    scene = view.map_plot.vb.mapViewToScene(QPointF(unit_x, unit_y))
    pos = view.graphics.mapFromScene(scene)
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    overlay = view.receptive
    assert overlay.unit == ("conv2", 1, 3, 5)
    assert overlay.region == (3, 7, 10, 14)
    assert overlay.box.isVisible() and overlay.box.rect().getCoords() == (7.0, 3.0, 15.0, 11.0)
    assert "unit (3, 5) sees input rows 3–10, columns 7–14 (8×8 pixels)" in view.info.text()
    view.show_frame(frame)                          # the next frame keeps it
    assert overlay.box.isVisible() and overlay.unit == ("conv2", 1, 3, 5)
    view.show_frame({**frame, "block": "conv1"})    # another block clears it
    assert not overlay.box.isVisible()


@pytest.mark.parametrize("in_ch, out_ch, k", [(1, 6, 3), (2, 3, 3), (3, 4, 5)])
def test_a_filter_picked_in_the_filters_view_carries_its_learned_weights(qtbot, in_ch, out_ch, k):
    from engine.runtime.probes import conv_filters
    from widgets.plots.filters import FiltersView
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(in_ch, out_ch, k)
    view = FiltersView()
    qtbot.addWidget(view)
    view.show_frame({**conv_filters(conv), "block": "c1", "choices": ["c1"]})
    picker = view.picker
    assert not picker.button.isEnabled()
    w = conv.weight.detach().double().numpy()
    if in_ch == 3:                       # RGB tiles: filter 1 is the second tile of the first row
        assert picker.pick(1, (k + 1) + 2)
        assert np.allclose(picker.picked[1], w[1], atol=1e-6) and picker.picked[0] == "c1: filter 1"
    elif in_ch == 1:
        assert picker.pick(k + 1, 0)     # second row of tiles: filter cols (3 for 6 filters)
        assert np.allclose(picker.picked[1], w[3, 0], atol=1e-6) and picker.picked[0] == "c1: filter 3"
    else:
        assert picker.pick(k + 2, k + 1 + 1)     # row of filter 1, tile of input channel 1
        assert np.allclose(picker.picked[1], w[1, 1], atol=1e-6)
        assert picker.picked[0] == "c1: filter 1, input channel 1"
    assert picker.button.isEnabled()
    with qtbot.waitSignal(picker.open_requested) as sent:
        qtbot.mouseClick(picker.button, Qt.MouseButton.LeftButton)
    assert sent.args[0] == picker.picked[0]
    assert not picker.pick(0, k)          # a gap between tiles picks nothing


def test_a_depth_slice_of_a_3d_filter_can_be_picked_for_the_kernel_lab(qtbot):
    """A Conv3d's filters show a row per (output, input) channel and a tile per depth: a click picks one
    depth slice, a 2-D kernel the lab can apply, named so that it says which slice it is."""
    from engine.runtime.probes import conv_filters
    from widgets.plots.filters import FiltersView
    torch.manual_seed(0)
    conv = torch.nn.Conv3d(2, 3, (2, 3, 3))
    view = FiltersView()
    qtbot.addWidget(view)
    view.show_frame({**conv_filters(conv), "block": "c3", "choices": ["c3"]})
    picker = view.picker
    row, col = (1 * 2 + 1) * (3 + 2) + 1, 1 * (3 + 1) + 2          # filter 1, input channel 1, slice 1
    assert picker.pick(row, col)
    assert np.allclose(picker.picked[1], conv.weight.detach().double().numpy()[1, 1, 1], atol=1e-6)
    assert picker.picked[0] == "c3: filter 1, input channel 1, depth slice 1"
    assert picker.button.isEnabled()
    assert not picker.pick(row, 3)        # the gap between two slices picks nothing


def test_the_filters_view_says_which_filters_its_image_holds(qtbot):
    from engine.runtime.probes import conv_filters
    from widgets.plots.filters import FiltersView
    view = FiltersView()
    qtbot.addWidget(view)
    view.show_frame({**conv_filters(torch.nn.Conv2d(20, 70, 3)), "block": "c", "choices": ["c"]})
    assert "(shown: the first 64 filters, their first 16 input channels)" in view.info.text()
    view.show_frame({**conv_filters(torch.nn.Conv3d(16, 8, 3)), "block": "c", "choices": ["c"]})
    assert "(shown: the first 4 filters)" in view.info.text()        # 64 (output, input) pairs of 16 inputs
    view.show_frame({**conv_filters(torch.nn.Conv2d(3, 8, 3)), "block": "c", "choices": ["c"]})
    assert "shown:" not in view.info.text()


def test_a_learned_filter_in_the_kernel_lab_is_applied_to_the_probe_image(learn):
    rng = np.random.default_rng(1)
    probe, weights = rng.random((3, 20, 16)).astype(np.float32), rng.normal(size=(3, 5, 5))
    learn.lab.add_picture("Probe image", probe)
    learn.lab.choose_picture("Probe image")
    learn.lab.set_kernel(weights, "c1: filter 1")
    want = F.conv2d(torch.tensor(probe, dtype=torch.float64)[None], torch.tensor(weights)[None], padding=2)[0, 0]
    assert np.allclose(learn.lab.output, want.numpy(), atol=1e-5)
    assert learn.lab.preset_box.currentText() == "c1: filter 1"
