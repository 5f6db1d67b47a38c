"""The kernel lab's arithmetic: a kernel applied to an image as a convolution layer would (cross-correlation,
zero padding), the classic kernels to try, and a built-in picture with edges and texture to try them on.
numpy only (no torch); the tests hold `apply_kernel` against F.conv2d."""
from __future__ import annotations

import numpy as np

PRESETS: dict[str, list[list[float]]] = {
    "Identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "Edge detection": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "Sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Box blur": [[1 / 9] * 3 for _ in range(3)],
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
}
PRESET_TEXT = {"Box blur": "1/9 · ones(3, 3)", "Gaussian blur": "1/16 · [[1, 2, 1], [2, 4, 2], [1, 2, 1]]"}


def apply_kernel(image: np.ndarray, kernel: np.ndarray, padding: str = "same") -> np.ndarray:
    """Cross-correlate an image (H, W) or (C, H, W) with a kernel (kh, kw) or (C, kh, kw), summed over the
    channels, as one output channel of Conv2d with no bias. 'same' pads ⌊(k − 1)/2⌋ zeros first (PyTorch's
    split), 'valid' none. A 2-D kernel on a C-channel image is applied to every channel and summed."""
    x = np.asarray(image, np.float64)
    w = np.asarray(kernel, np.float64)
    if x.ndim == 2:
        x = x[None]
    if w.ndim == 2:
        w = np.broadcast_to(w, (x.shape[0], *w.shape))
    if w.shape[0] != x.shape[0]:
        if w.shape[0] == 3 and x.shape[0] == 1:        # a colour filter on a grey picture: the grey in every channel
            x = np.repeat(x, 3, axis=0)
        else:
            raise ValueError(f"the kernel has {w.shape[0]} input channels, the image {x.shape[0]}")
    kh, kw = w.shape[1:]
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        x = np.pad(x, ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))   # (C, H', W', kh, kw)
    return np.einsum("chwij,cij->hw", windows, w)


def parse_kernel(text: str) -> np.ndarray:
    """Typed values, one row per line, numbers separated by spaces or commas ('1/9' allowed), as a
    rectangular array; ValueError with a reason otherwise."""
    rows = []
    for line in text.replace(";", "\n").splitlines():
        cells = [c for c in line.replace(",", " ").replace("[", " ").replace("]", " ").split() if c]
        if cells:
            rows.append([_number(c) for c in cells])
    if not rows:
        raise ValueError("type the kernel's numbers, one row per line")
    if any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("every row of the kernel needs the same number of values")
    if len(rows) > 15 or len(rows[0]) > 15:
        raise ValueError("the kernel can be at most 15×15")
    return np.array(rows, np.float64)


def _number(text: str) -> float:
    text = text.replace("−", "-")
    try:
        if "/" in text:
            a, b = text.split("/", 1)
            value = float(a) / float(b)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"'{text}' is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"'{text}' is not a finite number")
    return value


def builtin_picture(size: int = 96) -> np.ndarray:
    """A grey picture in [0, 1] with hard edges (a square, a disc, a triangle), a gradient, stripes and a
    checkerboard: every preset has something to show."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = 0.15 + 0.35 * xx                                         # a soft gradient behind everything
    img = np.where((xx > 0.08) & (xx < 0.42) & (yy > 0.08) & (yy < 0.42), 0.9, img)            # square
    img = np.where((xx - 0.72) ** 2 + (yy - 0.26) ** 2 < 0.17 ** 2, 0.05, img)                 # disc
    stripes = (np.floor(xx * size / 4) % 2 == 0)
    img = np.where((yy > 0.58) & (yy < 0.92) & (xx > 0.06) & (xx < 0.46), np.where(stripes, 0.85, 0.25), img)
    checker = (np.floor(xx * size / 6) + np.floor(yy * size / 6)) % 2 == 0
    tri = (yy > 0.58) & (yy < 0.92) & (xx > 0.54) & (xx - 0.54 < (yy - 0.58) * 1.2)
    img = np.where(tri, np.where(checker, 1.0, 0.0), img)
    return img.astype(np.float32)
