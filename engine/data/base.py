"""What every data set gives the trainer: arrays that fit the network's Input, the task, and names.

A `Dataset` holds all samples in memory as numpy arrays, already shaped like the network's Input
(per sample, without the batch axis) so the trainer can move them to the device once and batch them
by indexing. Loaders raise `DataError` with a sentence that names the file or block, the rule and the
numbers, and suggests a fix.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CLASSIFICATION, REGRESSION, TEXT = "classification", "regression", "text"


class DataError(ValueError):
    """The data cannot be used with this network (or at all); the message says why and what to do."""


@dataclass
class InputSpec:
    """The network's Input block, as a loader needs it."""
    node_id: str
    shape: tuple[int, ...]
    dtype: str = "float32"

    def shape_text(self) -> str:
        return "[" + ", ".join(str(s) for s in self.shape) + "]"


@dataclass
class Dataset:
    name: str
    x: np.ndarray                      # (N, *input shape), float32 or int64
    y: np.ndarray                      # (N,) int64 classes; (N, T) int64 next tokens; (N, ...) float32 targets
    task: str                          # CLASSIFICATION, REGRESSION or TEXT
    kind: str = "vector"               # how to preview a sample: image, clip, sequence, text or vector
    classes: list[str] | None = None   # class names (classification) or the vocabulary (text)
    notes: list[str] = field(default_factory=list)   # adaptations made, e.g. padding 28×28 to 32×32

    def __len__(self) -> int:
        return len(self.x)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int | None:
        return len(self.classes) if self.classes is not None and self.task != REGRESSION else None

    @property
    def target_shape(self) -> tuple[int, ...]:
        return tuple(self.y.shape[1:])

    def label_text(self, i: int) -> str:
        if self.task == CLASSIFICATION and self.classes:
            return self.classes[int(self.y[i])]
        if self.task == TEXT and self.classes:
            return "".join(self.classes[int(t)] for t in self.x[i][:40])
        return ", ".join(f"{v:.3g}" for v in np.ravel(self.y[i])[:4])

    def examples(self, n: int = 8) -> list[tuple[np.ndarray, str]]:
        """A few samples for a preview: evenly spread (so several classes show), with their labels."""
        if len(self) == 0:
            return []
        idx = np.linspace(0, len(self) - 1, num=min(n, len(self))).astype(int)
        if self.task == CLASSIFICATION:
            firsts = [int(np.argmax(self.y == c)) for c in np.unique(self.y)[:n]]
            idx = np.array(firsts + [i for i in idx if i not in firsts])[:n]
        return [(self.x[i], self.label_text(i)) for i in idx]

    def describe(self) -> str:
        n = f"{len(self):,} samples of {list(self.sample_shape)}"
        if self.task == CLASSIFICATION:
            return f"{self.name}: {n}, {self.num_classes} classes"
        if self.task == TEXT:
            return f"{self.name}: {n} characters each, vocabulary of {len(self.classes or [])}"
        return f"{self.name}: {n}, regression on {list(self.target_shape)} targets"


def as_images(x: np.ndarray, source: str, inp: InputSpec, notes: list[str]) -> np.ndarray:
    """Images (N, H, W) or (N, C, H, W), uint8 or float, to float32 [0, 1] of the Input's [C, H, W].
    Smaller images are padded with zeros (centred) to the Input's size, with a note; larger ones or
    another channel count are an error that says how to set the Input. An Input of [H, W] reads grey
    images as sequences of H rows of W pixels (an LSTM that reads MNIST rows): (N, H, W)."""
    if len(inp.shape) == 2 and (x.ndim == 3 or x.shape[1] == 1):
        rows = as_images(x, source, InputSpec(inp.node_id, (1, *inp.shape), inp.dtype), notes)[:, 0]
        notes.append(f"{source}'s images are read as sequences of {inp.shape[0]} rows of {inp.shape[1]} pixels "
                     f"(Input '{inp.node_id}' is [T, F]).")
        return np.ascontiguousarray(rows)
    if x.ndim == 3:
        x = x[:, None]
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    else:
        x = x.astype(np.float32, copy=False)
    c, h, w = x.shape[1:]
    want = inp.shape
    fix = f"set Input '{inp.node_id}' to shape [{c}, {h}, {w}]"
    if len(want) != 3:
        raise DataError(f"{source} holds {c}×{h}×{w} images but Input '{inp.node_id}' has shape {inp.shape_text()}; "
                        f"{fix}.")
    wc, wh, ww = want
    if wc != c:
        raise DataError(f"{source} has {c}-channel images but Input '{inp.node_id}' asks for {wc} channels "
                        f"(shape {inp.shape_text()}); {fix}.")
    if (wh, ww) != (h, w):
        if wh < h or ww < w:
            raise DataError(f"{source} has {h}×{w} images but Input '{inp.node_id}' asks for {wh}×{ww}, which is "
                            f"smaller; {fix}.")
        top, left = (wh - h) // 2, (ww - w) // 2
        padded = np.zeros((len(x), c, wh, ww), np.float32)
        padded[:, :, top:top + h, left:left + w] = x
        x = padded
        notes.append(f"{source}'s {h}×{w} images are padded with zeros to {wh}×{ww} to meet Input "
                     f"'{inp.node_id}'.")
    return np.ascontiguousarray(x)


def need_float_input(inp: InputSpec, source: str) -> None:
    if inp.dtype != "float32":
        raise DataError(f"{source} gives float values but Input '{inp.node_id}' takes token ids ({inp.dtype}); "
                        f"set its dtype to float32.")


FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_CLASSES = 100_000


def dtype_text(dtype: np.dtype) -> str:
    """What an array holds, in words, for a message about an array that does not hold numbers."""
    return {"U": "text (strings)", "S": "bytes (strings)", "O": "Python objects", "c": "complex numbers",
            "M": "dates", "m": "time spans", "V": "records (a structured array)"}.get(dtype.kind, f"{dtype} values")


def finite_problem(a: np.ndarray, source: str, what: str, unit: str = "sample", numbers=None) -> str | None:
    """Why `a` cannot be trained on because of NaN, infinite or float32-overflowing values (a sentence
    naming `source`, how many of each and the first sample or row), or None. Only float arrays can hold
    them. `numbers[i]`: how to number sample i in the message (e.g. a csv line); default i."""
    if a.dtype.kind != "f" or a.size == 0:
        return None
    nan = np.isnan(a)
    inf = np.isinf(a)
    huge = (np.abs(np.where(nan | inf, 0, a)) > FLOAT32_MAX) if a.dtype.itemsize > 4 else None
    parts, bad = [], nan | inf
    if nan.any():
        parts.append(f"{int(nan.sum()):,} NaN value(s)")
    if inf.any():
        parts.append(f"{int(inf.sum()):,} infinite value(s)")
    if huge is not None and huge.any():
        parts.append(f"{int(huge.sum()):,} value(s) too large for float32 (beyond ±{FLOAT32_MAX:.3g})")
        bad = bad | huge
    if not parts:
        return None
    rows = bad.reshape(len(bad), -1).any(1) if bad.ndim else bad.reshape(1)
    first = int(np.argmax(rows))
    first = numbers[first] if numbers is not None else first
    count = int(rows.sum())
    return (f"{source} has {' and '.join(parts)} in {what} ({count:,} {unit}{'s' if count > 1 else ''}, the first "
            f"is {unit} {first:,}); they make the loss NaN at once, so remove those {unit}s or replace the values "
            f"(e.g. with np.nan_to_num) before training.")


def non_finite(ds: Dataset) -> str | None:
    """finite_problem for a whole data set (inputs, then targets)."""
    return finite_problem(ds.x, ds.name, "the input x") or finite_problem(ds.y, ds.name, "the target y")
