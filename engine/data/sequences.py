"""Built-in sequence tasks, generated with numpy and seeded.

- `sine`: forecasting. Each sample is T values of a noisy sine wave (random frequency, phase and
  amplitude), Input [T, 1]; the target is the next value, a [1] regression (MSE).
- `recall`: remember a marked symbol. Each sample is T steps of Input [T, F]: the first F-1 features
  hold a random one-hot symbol at every step, the last feature marks one step (at a random place);
  the label is the symbol at the marked step, so the output needs F-1 units. Measured here (hidden
  size 32, Adam 0.003, 3,000 samples, T = 30 or 40): an LSTM reaches 99-100% within 8-10 epochs;
  a plain RNN stays at chance (1/(F-1)), because it cannot keep the symbol through the distracting
  steps that follow and gets almost no gradient from long gaps.
"""
from __future__ import annotations

import numpy as np

from .base import CLASSIFICATION, REGRESSION, DataError, Dataset, InputSpec, need_float_input

DEFAULT_SAMPLES = 3000


def _sequence_input(inp: InputSpec, name: str, example: str) -> tuple[int, int]:
    need_float_input(inp, f"The '{name}' task")
    if len(inp.shape) != 2:
        raise DataError(f"The '{name}' task gives sequences [T, F], but Input '{inp.node_id}' has shape "
                        f"{inp.shape_text()}; set it to e.g. {example}.")
    return inp.shape


def make_sine(inp: InputSpec, n: int = DEFAULT_SAMPLES, seed: int = 0) -> Dataset:
    t, f = _sequence_input(inp, "sine", "[50, 1]")
    if f != 1:
        raise DataError(f"The 'sine' task gives one value per time step, but Input '{inp.node_id}' has {f} features "
                        f"per step; set its shape to [{t}, 1].")
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.05, 0.25, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.0, (n, 1))
    steps = np.arange(t + 1)[None, :]
    wave = amp * np.sin(2 * np.pi * freq * steps + phase) + rng.normal(0, 0.02, (n, t + 1))
    x = wave[:, :t, None].astype(np.float32)
    y = wave[:, t:].astype(np.float32)
    return Dataset("sine", x, y, REGRESSION, "sequence")


def make_recall(inp: InputSpec, n: int = DEFAULT_SAMPLES, seed: int = 0) -> Dataset:
    t, f = _sequence_input(inp, "recall", "[30, 5]")
    if f < 3 or t < 2:
        raise DataError(f"The 'recall' task needs at least 2 symbols plus a marker feature and 2 time steps, but "
                        f"Input '{inp.node_id}' has shape {inp.shape_text()}; set it to e.g. [30, 5].")
    k = f - 1
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, k, (n, t))
    x = np.zeros((n, t, f), np.float32)
    np.put_along_axis(x, symbols[:, :, None], 1.0, axis=2)
    marked = rng.integers(0, t, n)
    x[np.arange(n), marked, k] = 1.0
    y = symbols[np.arange(n), marked].astype(np.int64)
    return Dataset("recall", x, y, CLASSIFICATION, "sequence", [f"symbol {i}" for i in range(k)])
