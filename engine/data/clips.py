"""`clips`: generated video clips [C, D, H, W] (D frames of H×W) of a shape that moves, at whatever size
the Input asks for (D ≥ 4 frames, H, W ≥ 8).

Five classes: the shape (a disc or a square, of a random size and brightness) moves left, right, up or
down at a random speed from a random place, or stays still, on noise drawn afresh for every frame. No
single frame tells the classes apart: a network must compare frames (a Conv3d over time, or a CNN per
frame before an LSTM). Vectorised numpy, seeded: the same seed gives the same clips.
"""
from __future__ import annotations

import numpy as np

from .base import CLASSIFICATION, DataError, Dataset, InputSpec, need_float_input

MOTIONS = ["left", "right", "up", "down", "still"]      # where the shape goes, one class each
STEPS = [(0, -1), (0, 1), (-1, 0), (1, 0), (0, 0)]      # (dy, dx) per frame of each motion, times the speed
DEFAULT_SAMPLES = 3000


def make_clips(inp: InputSpec, n: int = DEFAULT_SAMPLES, seed: int = 0) -> Dataset:
    need_float_input(inp, "The 'clips' data set")
    if len(inp.shape) != 4 or inp.shape[0] not in (1, 3):
        raise DataError(f"The 'clips' data set makes clips [C, D, H, W] (1 or 3 channels, D frames of H×W), but Input "
                        f"'{inp.node_id}' has shape {inp.shape_text()}; set it to e.g. [1, 8, 16, 16].")
    c, d, h, w = inp.shape
    if d < 4 or min(h, w) < 8:
        raise DataError(f"The 'clips' data set needs at least 4 frames of 8×8 to show a motion, but Input "
                        f"'{inp.node_id}' asks for {d} frames of {h}×{w}; set its shape to e.g. [{c}, 8, 16, 16].")
    rng = np.random.default_rng(seed)
    kind = np.arange(n) % len(MOTIONS)
    rng.shuffle(kind)
    side = min(h, w)
    r = rng.uniform(0.12, 0.2, n) * side                     # the shape's radius (half side of the square)
    square = rng.random(n) < 0.5
    step = np.array(STEPS, np.float64)[kind]                # (n, 2): the direction, (0, 0) when still
    room = np.array([h, w], np.float64) - 2 * r[:, None] - 2  # how far the shape can go and stay whole
    speed = rng.uniform(0.5, 1.0, n) * room.min(1) / (d - 1)
    travel = np.abs(step) * (speed * (d - 1))[:, None]      # (n, 2): the distance covered on each axis
    start = r[:, None] + 1 + rng.uniform(0, 1, (n, 2)) * (room - travel)
    start += np.where(step < 0, travel, 0)                  # moving up or left starts that far from the edge
    frames = np.arange(d, dtype=np.float64)
    cy = start[:, 0, None] + step[:, 0, None] * speed[:, None] * frames      # (n, d)
    cx = start[:, 1, None] + step[:, 1, None] * speed[:, None] * frames
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dy = np.abs(yy - cy[:, :, None, None].astype(np.float32))             # (n, d, h, w)
    dx = np.abs(xx - cx[:, :, None, None].astype(np.float32))
    rr = r[:, None, None, None].astype(np.float32)
    mask = np.where(square[:, None, None, None], np.maximum(dy, dx) <= rr * 0.85, dy ** 2 + dx ** 2 <= rr ** 2)
    bright = rng.uniform(0.6, 1.0, (n, c, 1, 1, 1)).astype(np.float32)
    x = mask[:, None].astype(np.float32) * bright
    x += rng.normal(0.0, 0.15, x.shape).astype(np.float32)
    np.clip(x, 0.0, 1.0, out=x)
    return Dataset("clips", x, kind.astype(np.int64), CLASSIFICATION, "clip", list(MOTIONS))
