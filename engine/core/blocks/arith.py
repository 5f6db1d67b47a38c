"""The size rule of convolution and pooling, per spatial axis, with the arithmetic as text.

    out = floor((n + 2p − d·(k − 1) − 1) / s) + 1      (= floor((n − k + 2p)/s) + 1 when d = 1)

with ceil in place of floor for pooling with ceil_mode, exactly as PyTorch computes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .spec import SizeRule

LETTERS = (("n", "input size along the axis"), ("k", "kernel (window) size"),
           ("p", "zeros of padding added on each side"), ("s", "stride: the step between windows"),
           ("d", "dilation: spacing between the kernel's taps (1 = next to each other)"))
WINDOW_RULE = SizeRule("out = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1", LETTERS,
                       "⌊x⌋ rounds down (⌈x⌉ up, with ceil_mode): when the windows do not fit exactly, the last rows or "
                       "columns are dropped.")
TRANSPOSED_RULE = SizeRule(
    "out = (n − 1)·s − 2p + d·(k − 1) + op + 1",
    (("n", "input size along the axis"), ("k", "kernel size"),
     ("p", "padding: positions cut from each side of the output"),
     ("s", "stride: how far apart each input position stamps the kernel on the output"),
     ("d", "dilation: spacing between the kernel's taps"),
     ("op", "output_padding: positions added at the end of the output (less than s or d)")),
    "No rounding: a transposed convolution reverses a strided convolution's sizes, and output_padding "
    "picks which of the input sizes that convolution could have come from.")


@dataclass(frozen=True)
class AxisResult:
    out: int
    dropped: int          # input rows/columns the stride never reaches
    exact: float          # (n − k + 2p)/s + 1 before rounding, for the warning
    given: tuple          # (axis, n, k, s, p, d, ceil): what the text shows

    def formula(self) -> str:
        """The arithmetic as text, "H = ⌊(32 − 5 + 2·0)/1⌋ + 1 = 28". A method, not a field: a rule puts it in
        its formula lines uncalled, and the text is made only when someone reads it."""
        return axis_formula(*self.given, self.out)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


@lru_cache(maxsize=4096)
def axis_out(axis: str, n: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> AxisResult:
    """Output length of one spatial axis, or a negative/zero `out` when the kernel does not fit.
    Cached: networks repeat the same layer sizes, and the result depends only on these."""
    span = n + 2 * p - d * (k - 1) - 1
    if ceil:
        out = -((-span) // s) + 1
        if (out - 1) * s >= n + p:       # PyTorch: the last window must start inside the input or left padding
            out -= 1
    else:
        out = span // s + 1
    dropped = span % s if (span >= 0 and not ceil) else 0
    return AxisResult(out, dropped, span / s + 1, (axis, n, k, s, p, d, ceil))


@lru_cache(maxsize=1024)
def axis_formula(axis: str, n: int, k: int, s: int, p: int, d: int, ceil: bool, out: int) -> str:
    span = n + 2 * p - d * (k - 1) - 1
    if d == 1:
        inner = f"({n} − {k} + 2·{p})/{s}"
    else:
        inner = f"({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}"
    bracket = "⌈{}⌉" if ceil else "⌊{}⌋"
    text = f"{axis} = {bracket.format(inner)} + 1"
    if span % s and span >= 0:
        text += f" = {bracket.format(_num(span / s))} + 1"
    return text + f" = {out}"


def by_axes(label: str, node_id: str, per_axis: list[tuple[str, str]]) -> list[str]:
    """[(axis, text)] -> one warning per distinct text, naming every axis it holds for:
    "Conv2d 'c1': along H and W, (224 − 11 + 2·0)/4 is not a whole number, ..."."""
    grouped: dict[str, list[str]] = {}
    for axis, text in per_axis:
        grouped.setdefault(text, []).append(axis)
    return [f"{label} '{node_id}': along {' and '.join(axes)}, {text}" for text, axes in grouped.items()]


def same_padding_formula(axis: str, n: int) -> str:
    return f"{axis} = {n} (padding 'same' keeps the size)"
