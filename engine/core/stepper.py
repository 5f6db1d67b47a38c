"""The arithmetic of one convolution, pooling or transposed convolution on a small 2-D grid, step by step:
for every output cell, the window on the padded input, the products (or the values pooled) and the
result, with the output-size formula and its numbers. Pure Python (no torch, no numpy); the tests hold
every cell against F.conv2d, F.max_pool2d, F.avg_pool2d and F.conv_transpose2d.

Cross-correlation as in PyTorch: out[i][j] = Σ x_padded[i·s + u·d][j·s + v·d] · w[u][v].
A transposed convolution is shown as what it equals: the input with s − 1 zeros between its cells, padded
by d·(k − 1) − p on each side (output_padding more at the end), swept by the kernel turned 180°.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

CONV, MAX, AVG, TRANSPOSED = "conv", "max", "avg", "transposed"
MODES = (CONV, MAX, AVG, TRANSPOSED)
PADDING_NAMES = ("valid", "same", "full")

# The lecture notes' grid (4×5) and kernel, with the fifth row of the stride example.
GRID = [[4, 1, 0, 2, 5], [1, -1, 6, -2, 4], [-3, 4, 1, 3, 2], [0, -3, 0, 5, -1]]
FIFTH_ROW = [5, 2, -2, 1, 0]
KERNEL = [[6, 2, 1], [0, -2, 3], [2, -1, -4]]


class StepError(ValueError):
    """Settings that cannot be applied (the message says why, with the numbers)."""


def _pair(v) -> tuple[int, int]:
    return (v[0], v[1]) if isinstance(v, (list, tuple)) else (v, v)


def resolve_padding(padding, k: tuple[int, int], d: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((before, after) of rows, (before, after) of columns): 'valid' 0, 'same' d·(k − 1) split as PyTorch
    does (the smaller half first), 'full' d·(k − 1) on each side, or a number (a pair) on each side."""
    out = []
    for i in range(2):
        span = d[i] * (k[i] - 1)
        if padding == "valid":
            out.append((0, 0))
        elif padding == "same":
            out.append((span // 2, span - span // 2))
        elif padding == "full":
            out.append((span, span))
        else:
            p = _pair(padding)[i]
            if not isinstance(p, int) or p < 0:
                raise StepError(f"padding must be valid, same, full or a whole number ≥ 0, not {padding!r}")
            out.append((p, p))
    return out[0], out[1]


@dataclass(frozen=True)
class Step:
    """One output cell: where the window sits and what it computes."""
    row: int
    col: int
    taps: tuple          # ((padded row, padded col, input value, weight or None), ...) in kernel order
    value: object        # the cell's result (int, Fraction for averages, float)
    text: str            # '4·6 + 1·2 + … = 32'


@dataclass(frozen=True)
class AxisSize:
    name: str
    out: int
    exact: Fraction      # before rounding down
    text: str            # 'H′ = ⌊(4 + 2·0 − 1·(3 − 1) − 1)/1⌋ + 1 = 2'
    unused: tuple        # padded positions no window reaches (PyTorch drops them)

    @property
    def fits(self) -> bool:
        return self.exact.denominator == 1


class Stepper:
    """All steps of one operation on one grid. `padded` is the grid the window slides over (zeros, or −∞ for
    max pooling, in the padding; for a transposed convolution the zero-inserted, padded input)."""

    def __init__(self, x, kernel, mode: str = CONV, padding=0, stride=1, dilation=1, output_padding=0):
        if mode not in MODES:
            raise StepError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not x or not x[0] or any(len(r) != len(x[0]) for r in x):
            raise StepError("the input must be a rectangle of numbers with at least one cell")
        if not kernel or not kernel[0] or any(len(r) != len(kernel[0]) for r in kernel):
            raise StepError("the kernel must be a rectangle of numbers with at least one cell")
        self.x = [list(r) for r in x]
        self.kernel = [list(r) for r in kernel]
        self.mode = mode
        self.k = (len(kernel), len(kernel[0]))
        self.s = _pair(stride)
        self.d = _pair(dilation) if mode != AVG else (1, 1)
        if min(self.s) < 1 or min(self.d) < 1:
            raise StepError("stride and dilation must be at least 1")
        self.n = (len(x), len(x[0]))
        self.padding = padding
        if mode == TRANSPOSED:
            self._transposed(padding, _pair(output_padding))
        else:
            self.pads = resolve_padding(padding, self.k, self.d)
            if mode in (MAX, AVG) and any(self.pads[i][0] > self.k[i] // 2 or self.pads[i][1] > self.k[i] // 2
                                          for i in range(2)):
                raise StepError(f"pooling pads at most half the window on each side (PyTorch's rule): "
                                f"padding {self._pad_text()} with a {self.k[0]}×{self.k[1]} window")
            fill = float("-inf") if mode == MAX else 0
            self.padded, self.is_input = _pad(self.x, self.pads, fill)
            self.sizes = tuple(self._axis(i) for i in range(2))
            self.w = self.kernel
        if min(a.out for a in self.sizes) < 1:
            raise StepError("the kernel does not fit: " + "; ".join(a.text for a in self.sizes if a.out < 1))
        self.steps = [self._step(i, j) for i in range(self.sizes[0].out) for j in range(self.sizes[1].out)]

    # ---- sizes
    def _pad_text(self) -> str:
        (a, b), (c, e) = self.pads
        return str(a) if a == b == c == e else f"{self.pads}"

    def _axis(self, i: int) -> AxisSize:
        name = "H′" if i == 0 else "W′"
        n, k, s, d = self.n[i], self.k[i], self.s[i], self.d[i]
        before, after = self.pads[i]
        span = n + before + after - d * (k - 1) - 1
        exact = Fraction(span, s) + 1
        out = span // s + 1 if span >= 0 else 0
        pad = f"2·{before}" if before == after else f"{before} + {after}"
        if d == 1:
            inner = f"({n} + {pad} − {k})/{s}"
        else:
            inner = f"({n} + {pad} − {d}·({k} − 1) − 1)/{s}"
        value = fmt_value(Fraction(span, s))
        text = f"{name} = ⌊{inner}⌋ + 1 = ⌊{value}⌋ + 1 = {out}" if exact.denominator != 1 else \
            f"{name} = {inner} + 1 = {value} + 1 = {out}"
        if exact.denominator != 1:
            text += f"  ({fmt_value(exact)} does not fit: PyTorch rounds down)"
        last = (out - 1) * s + d * (k - 1) if out > 0 else -1
        unused = tuple(range(last + 1, n + before + after))
        return AxisSize(name, out, exact, text, unused)

    def _transposed(self, padding, out_pad) -> None:
        if padding in PADDING_NAMES:
            raise StepError("a transposed convolution takes a number for padding (it removes rows of the output)")
        p = _pair(padding)
        k, s, d, n = self.k, self.s, self.d, self.n
        if any(out_pad[i] >= max(s[i], d[i]) or out_pad[i] < 0 for i in range(2)):
            raise StepError("output_padding must be smaller than the stride or the dilation (PyTorch's rule)")
        # the input with s − 1 zeros between cells
        rows = (n[0] - 1) * s[0] + 1
        cols = (n[1] - 1) * s[1] + 1
        spread = [[0] * cols for _ in range(rows)]
        mark = [[False] * cols for _ in range(rows)]
        for a in range(n[0]):
            for b in range(n[1]):
                spread[a * s[0]][b * s[1]] = self.x[a][b]
                mark[a * s[0]][b * s[1]] = True
        pads = tuple((d[i] * (k[i] - 1) - p[i], d[i] * (k[i] - 1) - p[i] + out_pad[i]) for i in range(2))
        self.pads = pads
        self.padded, self.is_input = _pad(spread, pads, 0, mark)
        self.w = [row[::-1] for row in self.kernel[::-1]]
        sizes = []
        for i, name in enumerate(("H′", "W′")):
            out = (n[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + out_pad[i] + 1
            text = (f"{name} = ({n[i]} − 1)·{s[i]} − 2·{p[i]} + {d[i]}·({k[i]} − 1) + {out_pad[i]} + 1 = {out}")
            sizes.append(AxisSize(name, out, Fraction(out), text, ()))
        self.sizes = tuple(sizes)
        self.s_sweep = (1, 1)

    # ---- steps
    def _step(self, i: int, j: int) -> Step:
        s = getattr(self, "s_sweep", self.s)
        taps = []
        for u in range(self.k[0]):
            for v in range(self.k[1]):
                r, c = i * s[0] + u * self.d[0], j * s[1] + v * self.d[1]
                taps.append((r, c, self.padded[r][c], self.w[u][v] if self.mode in (CONV, TRANSPOSED) else None))
        values = [t[2] for t in taps]
        if self.mode in (CONV, TRANSPOSED):
            value = sum(a * w for _, _, a, w in taps)
            text = " + ".join(f"{_factor(a)}·{_factor(w)}" for _, _, a, w in taps)
        elif self.mode == MAX:
            value = max(values)
            text = "max(" + ", ".join(fmt_value(a) for a in values) + ")"
        else:
            total = sum(values)
            value = Fraction(total, len(values)) if all(isinstance(a, int) for a in values) else total / len(values)
            text = "(" + " + ".join(_factor(a) for a in values) + f")/{len(values)}"
        return Step(i, j, tuple(taps), value, f"{text} = {fmt_value(value)}")

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.sizes[0].out, self.sizes[1].out

    def output(self) -> list[list]:
        rows, cols = self.out_shape
        return [[self.steps[i * cols + j].value for j in range(cols)] for i in range(rows)]

    @property
    def fits(self) -> bool:
        return all(a.fits for a in self.sizes)


def _pad(x, pads, fill, mark=None):
    (top, bottom), (left, right) = pads
    cols = len(x[0])
    if min(top, bottom, left, right) < 0:          # a transposed convolution's padding larger than d·(k − 1)
        x = [r[max(0, -left):cols - max(0, -right)] for r in x[max(0, -top):len(x) - max(0, -bottom)]]
        if mark is not None:
            mark = [r[max(0, -left):cols - max(0, -right)] for r in mark[max(0, -top):len(mark) - max(0, -bottom)]]
        cols = max(0, cols - max(0, -left) - max(0, -right))
        top, bottom, left, right = (max(0, v) for v in (top, bottom, left, right))
    width = left + cols + right
    padded = [[fill] * width for _ in range(top)]
    inside = [[False] * width for _ in range(top)]
    for r, row in enumerate(x):
        padded.append([fill] * left + list(row) + [fill] * right)
        flags = mark[r] if mark is not None else [True] * cols
        inside.append([False] * left + list(flags) + [False] * right)
    padded += [[fill] * width for _ in range(bottom)]
    inside += [[False] * width for _ in range(bottom)]
    return padded, inside


def _factor(v) -> str:
    t = fmt_value(v)
    return f"({t})" if t.startswith("−") and t != "−∞" else t


def fmt_value(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{float(v):.4g}"
    if isinstance(v, float):
        if v == float("-inf"):
            return "−∞"
        return f"{v:.4g}"
    return str(v).replace("-", "−")
