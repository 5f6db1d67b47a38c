"""The convolution stepper's arithmetic: every output cell equals PyTorch's (F.conv2d, F.max_pool2d,
F.avg_pool2d, F.conv_transpose2d) on random grids and settings, and the lecture notes' grid gives the
numbers of the issue in all four settings; an output size that does not fit is flagged."""
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.stepper import (AVG, CONV, FIFTH_ROW, GRID, KERNEL, MAX, TRANSPOSED, StepError, Stepper)


def T(rows):
    return torch.tensor(rows, dtype=torch.float64)[None, None]


def as_float(rows):
    return [[float(v) for v in r] for r in rows]


def test_the_lecture_grid_gives_the_issue_numbers():
    assert Stepper(GRID, KERNEL, padding="valid").output() == [[32, -15, 16], [8, -15, 35]]
    same = Stepper(GRID, KERNEL, padding="same")
    assert same.out_shape == (4, 5)
    full = Stepper(GRID, KERNEL, padding="full")
    assert full.out_shape == (6, 7) and full.output()[0] == [-16, -8, 7, -6, -22, -1, 10]
    strided = Stepper(GRID + [FIFTH_ROW], KERNEL, padding=1, stride=2)
    assert strided.output() == [[-2, 6, -18], [31, -15, 3], [-7, -6, 28]]
    for st_ in (same, full, strided):
        assert st_.output() == F.conv2d(T(st_.x), T(KERNEL), padding=st_.pads[0][0], stride=st_.s)[0, 0].int().tolist()


def test_the_products_and_the_size_formula_are_written_out_with_numbers():
    first = Stepper(GRID, KERNEL).steps[0]
    assert first.text == "4·6 + 1·2 + 0·1 + 1·0 + (−1)·(−2) + 6·3 + (−3)·2 + 4·(−1) + 1·(−4) = 32"
    assert [(r, c) for r, c, _, _ in first.taps][:3] == [(0, 0), (0, 1), (0, 2)]
    assert Stepper(GRID, KERNEL).sizes[1].text == "W′ = (5 + 2·0 − 3)/1 + 1 = 2 + 1 = 3"


def test_a_size_that_does_not_fit_is_flagged_and_the_dropped_rows_named():
    st_ = Stepper([[1] * 10 for _ in range(10)], [[1] * 3 for _ in range(3)], stride=2)
    h = st_.sizes[0]
    assert not st_.fits and h.exact == Fraction(9, 2) and h.out == 4
    assert "⌊3.5⌋ + 1 = 4" in h.text and "4.5 does not fit" in h.text
    assert h.unused == (9,)      # the last row: PyTorch never reaches it
    assert st_.out_shape == tuple(F.conv2d(torch.ones(1, 1, 10, 10), torch.ones(1, 1, 3, 3), stride=2).shape[2:])


def test_settings_that_cannot_work_say_why():
    with pytest.raises(StepError, match="does not fit"):
        Stepper([[1, 2]], KERNEL)
    with pytest.raises(StepError, match="half the window"):
        Stepper(GRID, [[1, 1], [1, 1]], MAX, padding=2)
    with pytest.raises(StepError, match="rectangle"):
        Stepper([[1, 2], [3]], KERNEL)


grids = st.integers(1, 7).flatmap(lambda h: st.integers(1, 7).flatmap(
    lambda w: st.lists(st.lists(st.integers(-9, 9), min_size=w, max_size=w), min_size=h, max_size=h)))
kernels = st.integers(1, 3).flatmap(lambda h: st.integers(1, 3).flatmap(
    lambda w: st.lists(st.lists(st.integers(-5, 5), min_size=w, max_size=w), min_size=h, max_size=h)))


@settings(max_examples=120, deadline=None)
@given(grids, kernels, st.sampled_from([CONV, MAX, AVG, TRANSPOSED]), st.sampled_from(["valid", "same", "full", 0, 1, 2]),
       st.integers(1, 3), st.integers(1, 2), st.integers(0, 2))
def test_every_cell_equals_pytorchs(x, k, mode, padding, stride, dilation, output_padding):
    if mode == TRANSPOSED and isinstance(padding, str):
        padding = 0
    if mode != TRANSPOSED:
        output_padding = 0
    try:
        st_ = Stepper(x, k, mode, padding=padding, stride=stride, dilation=dilation, output_padding=output_padding)
    except StepError:
        return
    kh, kw = len(k), len(k[0])
    if mode == CONV:
        pads = st_.pads
        xp = F.pad(T(x), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        want = F.conv2d(xp, T(k), stride=stride, dilation=dilation)
    elif mode == TRANSPOSED:
        want = F.conv_transpose2d(T(x), T(k), stride=stride, padding=padding, dilation=dilation,
                                  output_padding=output_padding)
    else:
        (top, bottom), (left, right) = st_.pads
        if top != bottom or left != right:
            return                              # 'same' with an even window pads unevenly: no pooling call for it
        if mode == MAX:
            want = F.max_pool2d(T(x), (kh, kw), stride, (top, left), dilation=dilation)
        else:
            want = F.avg_pool2d(T(x), (kh, kw), stride, (top, left))
    assert st_.out_shape == tuple(want.shape[2:])
    got = [v for row in as_float(st_.output()) for v in row]
    assert got == pytest.approx(want[0, 0].reshape(-1).tolist(), abs=1e-9)
