"""The Learn window: stepping the lecture grid forward and back with the buttons and keys, the output
filling in cell by cell with PyTorch's numbers, the size formula with a case that does not fit, and the
kernel lab's image against F.conv2d."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt

from engine.kernels import PRESETS, apply_kernel, builtin_picture, parse_kernel
from engine.stepper import GRID, KERNEL

# the offscreen platform, showing a top-level window and raising it
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                        "This plugin does not support raise")


@pytest.fixture
def learn(qtbot):
    from widgets.learn import LearnWindow
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
