"""`shapes`: generated images of simple shapes with noise, at whatever size the Input asks for.

Ten classes (so the classic 10-output examples train on it unchanged): circle, ring, square, frame,
triangle, cross, horizontal, vertical and the two diagonal bars, drawn at a random place, size and
brightness on a noisy background. Telling them apart needs oriented edges, so the first
convolution's filters come out as edge detectors. Vectorised numpy, seeded:
the same seed gives the same images.
"""
from __future__ import annotations

import numpy as np

from .base import CLASSIFICATION, DataError, Dataset, InputSpec, need_float_input

CLASSES = ["circle", "ring", "square", "frame", "triangle", "cross", "horizontal bar", "vertical bar",
           "diagonal bar \\", "diagonal bar /"]
DEFAULT_SAMPLES = 3000


def masks(kind: np.ndarray, cy, cx, r, t, yy, xx) -> np.ndarray:
    """Boolean (N, H, W) masks; every argument but yy, xx is per sample, shaped (N, 1, 1)."""
    dy, dx = yy - cy, xx - cx
    out = np.zeros(np.broadcast_shapes(dy.shape, dx.shape), bool)
    ady, adx = np.abs(dy), np.abs(dx)
    box = np.maximum(ady, adx)
    dist = np.sqrt(dy ** 2 + dx ** 2)
    rules = [
        dist <= r,
        (dist <= r) & (dist >= r - 2 * t),
        box <= r * 0.8,
        (box <= r * 0.8) & (box >= r * 0.8 - 2 * t),
        (dy <= r * 0.8) & (adx <= (dy + r) * 0.55),
        ((ady <= t) | (adx <= t)) & (box <= r),
        (ady <= t) & (adx <= r * 1.1),
        (adx <= t) & (ady <= r * 1.1),
        (np.abs(dx - dy) <= t * 1.4) & (np.abs(dx + dy) <= r * 1.6),
        (np.abs(dx + dy) <= t * 1.4) & (np.abs(dx - dy) <= r * 1.6),
    ]
    for k, rule in enumerate(rules):
        out |= rule & (kind == k)
    return out


def make_shapes(inp: InputSpec, n: int = DEFAULT_SAMPLES, seed: int = 0) -> Dataset:
    need_float_input(inp, "The 'shapes' data set")
    rows = len(inp.shape) == 2 and min(inp.shape) >= 8      # [H, W]: grey images read as sequences of rows
    if not rows and (len(inp.shape) != 3 or inp.shape[0] not in (1, 3)):
        raise DataError(f"The 'shapes' data set makes images [1, H, W] or [3, H, W] (or [H, W], read as rows), "
                        f"but Input '{inp.node_id}' has shape {inp.shape_text()}; set it to e.g. [1, 28, 28].")
    c, h, w = (1, *inp.shape) if rows else inp.shape
    if min(h, w) < 8:
        raise DataError(f"The 'shapes' data set needs images of at least 8×8 to draw on, but Input '{inp.node_id}' "
                        f"asks for {h}×{w}; set its shape to e.g. [{c}, 28, 28].")
    rng = np.random.default_rng(seed)
    kind = (np.arange(n) % len(CLASSES))
    rng.shuffle(kind)
    side = min(h, w)
    r = rng.uniform(0.18, 0.32, n) * side
    cy = rng.uniform(r + 1, h - r - 1)
    cx = rng.uniform(r + 1, w - r - 1)
    t = np.maximum(0.75, rng.uniform(0.04, 0.07, n) * side)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    col = lambda v: v.reshape(n, 1, 1).astype(np.float32)   # noqa: E731
    m = masks(col(kind), col(cy), col(cx), col(r), col(t), yy[None], xx[None])
    bright = rng.uniform(0.6, 1.0, (n, c, 1, 1)).astype(np.float32)
    if c == 3:
        bright *= rng.uniform(0.3, 1.0, (n, 3, 1, 1)).astype(np.float32)
    x = m[:, None].astype(np.float32) * bright
    x += rng.normal(0.0, 0.12, x.shape).astype(np.float32)
    np.clip(x, 0.0, 1.0, out=x)
    return Dataset("shapes", x[:, 0] if rows else x, kind.astype(np.int64), CLASSIFICATION, "image", list(CLASSES))
