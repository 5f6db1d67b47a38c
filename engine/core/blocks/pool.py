"""Pooling blocks: max and average pooling (1-D, 2-D, 3-D) and their adaptive forms."""
from __future__ import annotations

from fractions import Fraction

from .arith import WINDOW_RULE, axis_out, by_axes
from .conv import AXES, LAYOUT, WHAT, axis_kind, expect_rank
from .spec import BOOL, BlockOut, BlockSpec, Fix, Module, Param, ShapeError, Tensor, Window, pair, prod


def pool_params(nd: int) -> tuple[Param, ...]:
    kind = axis_kind(nd)
    return (
        Param("kernel_size", kind, help="Size of each pooling window.", min=1, max=1024, starter=2),
        Param("stride", kind, None, "Step between windows (empty = kernel_size).", min=1, max=1024),
        Param("padding", kind, 0, "Padding on each side; at most half the kernel.", min=0, max=512),
        Param("ceil_mode", BOOL, False, "Round the output size up instead of down."),
    )


def make_pool(kind: str, nd: int) -> BlockSpec:
    label = f"{kind}Pool{nd}d"
    axes = AXES[nd]

    def infer(node_id: str, ins: list[Tensor], p: dict) -> BlockOut:
        x = ins[0]
        expect_rank(label, node_id, x, nd, f"{kind}Pool")
        c, spatial = x.shape[0], x.shape[1:]
        k = pair(p["kernel_size"], nd)
        s = pair(p["stride"] if p["stride"] is not None else p["kernel_size"], nd)
        pads = pair(p["padding"], nd)
        for i in range(nd):
            if pads[i] > k[i] // 2:
                raise ShapeError(f"{label} '{node_id}': padding {pads[i]} is more than half the kernel "
                                 f"({k[i]} // 2 = {k[i] // 2}), which PyTorch does not allow; lower the padding.")
        formula, out, dropped = [], [], []
        for i, a in enumerate(axes):
            r = axis_out(a, spatial[i], k[i], s[i], pads[i], 1, ceil=p["ceil_mode"])
            if r.out < 1:
                raise ShapeError(f"{label} '{node_id}': window {k[i]} is larger than its padded input "
                                 f"{spatial[i] + 2 * pads[i]} ({spatial[i]} + 2·{pads[i]}) along {a}, so the "
                                 f"output would be {r.out}; lower the kernel size or pool earlier.")
            formula.append(r.formula)
            out.append(r.out)
            if r.dropped:
                dropped.append((a, f"({spatial[i]} − {k[i]} + 2·{pads[i]})/{s[i]} is not a whole number, so the "
                                   f"last {r.dropped} input position(s) are dropped ({spatial[i]} → {r.exact:.4g} → "
                                   f"{r.out}); set ceil_mode to keep them."))
        shape = (c, *out)
        fixes = [Fix("Set ceil_mode to keep the last positions", "set_params", params={"ceil_mode": True})] \
            if dropped else []
        return BlockOut(Tensor(shape, layout=LAYOUT[nd][0]), macs=prod(shape) * prod(k), formula=formula,
                        warnings=by_axes(label, node_id, dropped) if dropped else [], fixes=fixes)

    def module(ins, p) -> Module:
        return Module(f"nn.{label}", (), {k: p[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")},
                      {"stride": None, "padding": 0, "ceil_mode": False})

    what = "largest" if kind == "Max" else "average"
    dims = f"{LAYOUT[nd][1]} → [C, {', '.join(a + '′' for a in AXES[nd])}]"
    return BlockSpec(label, label, "Pooling", f"Keeps the {what} value of each window, shrinking the "
                     f"{WHAT[nd]} and adding tolerance to small shifts.",
                     dims + ";  out = ⌊(n − k + 2p)/s⌋ + 1 per axis, s = k by default",
                     pool_params(nd), infer, module, receptive=lambda ins, p: pool_windows(nd, p),
                     arithmetic=kind.lower(), spatial=nd, size_rule=WINDOW_RULE)


def pool_windows(nd: int, p: dict) -> tuple[Window, ...]:
    k = pair(p["kernel_size"], nd)
    s = pair(p["stride"] if p["stride"] is not None else p["kernel_size"], nd)
    pads = pair(p["padding"], nd)
    return tuple(Window(k[i], s[i], pads[i]) for i in range(nd))


def adaptive_windows(sizes, output_size, nd: int) -> tuple[Window, ...]:
    """Adaptive pooling's windows per axis: window i covers [⌊i·n/o⌋, ⌈(i + 1)·n/o⌉), so the stride is n/o
    (a fraction when o does not divide n), k is the largest window, and the padding is chosen so that the
    first window's centre comes out right ((k0 − 1)/2 for a first window of k0)."""
    out = []
    for n, o in zip(sizes, pair(output_size, nd)):
        widths = [-((-(i + 1) * n) // o) - (i * n) // o for i in range(o)]
        k = max(widths)
        s = Fraction(n, o)
        out.append(Window(k, s if s.denominator > 1 else int(s), Fraction(k - widths[0], 2) if k != widths[0] else 0))
    return tuple(out)


def make_adaptive(kind: str, nd: int) -> BlockSpec:
    label = f"Adaptive{kind}Pool{nd}d"
    axes = AXES[nd]

    def infer(node_id: str, ins: list[Tensor], p: dict) -> BlockOut:
        x = ins[0]
        expect_rank(label, node_id, x, nd, f"Adaptive{kind}Pool", (1, 2, 3) if kind == "Avg" else (1, 2))
        size = pair(p["output_size"], nd)
        shape = (x.shape[0], *size)
        return BlockOut(Tensor(shape, layout=LAYOUT[nd][0]), macs=prod(x.shape),
                        formula=lambda: [f"{a} = {n} → {o} (windows sized to fit)"
                                         for a, n, o in zip(axes, x.shape[1:], size)])

    def module(ins, p) -> Module:
        return Module(f"nn.{label}", (p["output_size"],))

    dims = {1: "[C, L] → [C, output_size]", 2: "[C, H, W] → [C, h, w]", 3: "[C, D, H, W] → [C, d, h, w]"}[nd]
    return BlockSpec(label, label, "Pooling",
                     "Pools any input size down to a fixed output size (1 = global pooling).",
                     dims, (Param("output_size", axis_kind(nd), help="Output length per spatial axis (1 = global).",
                                  min=1, max=4096, starter=1),), infer, module,
                     receptive=lambda ins, p: adaptive_windows(ins[0].shape[1:], p["output_size"], nd), spatial=nd)


SPECS = ([make_pool(k, nd) for nd in (1, 2, 3) for k in ("Max", "Avg")]
         + [make_adaptive(k, nd) for nd in (1, 2) for k in ("Avg", "Max")] + [make_adaptive("Avg", 3)])
