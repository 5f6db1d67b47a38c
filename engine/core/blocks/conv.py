"""Convolution blocks: Conv1d and Conv2d."""
from __future__ import annotations

from functools import lru_cache

from .arith import axis_out, by_axes, same_padding_formula
from .spec import (BOOL, INT, INT_OR_PAIR, PADDING, BlockOut, BlockSpec, Fix, Param, ShapeError, Tensor, Window,
                   call, fmt_shape, pair, prod)

AXES = {1: ("L",), 2: ("H", "W")}
LAYOUT = {1: ("signal", "[C, L]"), 2: ("image", "[C, H, W]")}


def conv_params(nd: int) -> tuple[Param, ...]:
    kind = INT if nd == 1 else INT_OR_PAIR
    return (
        Param("out_channels", INT, help="Number of filters, one output channel each.", min=1, max=65536,
              starter=16),
        Param("kernel_size", kind, help="Size of each filter.", min=1, max=1024, starter=3),
        Param("stride", kind, 1, "Step between filter positions.", min=1, max=1024),
        Param("padding", PADDING, 0, "Zeros added on each side ('same' keeps the size).", min=0, max=1024),
        Param("dilation", kind, 1, "Spacing between filter taps.", min=1, max=1024),
        Param("groups", INT, 1, "Split channels into independent groups.", min=1, max=65536),
        Param("bias", BOOL, True, "Learn one offset per output channel."),
    )


def expect_rank(label: str, node_id: str, x: Tensor, nd: int) -> None:
    layout, text = LAYOUT[nd]
    if x.dtype == "int64":
        raise ShapeError(f"{label} '{node_id}' needs float values, but gets token ids (int64); "
                         "put an Embedding in front to turn ids into vectors.")
    if len(x.shape) != nd + 1:
        fixes = []
        hint = ""
        if nd == 2 and len(x.shape) == 2:
            hint = " A 2-D input is usually a sequence or a 1-D signal: use Conv1d, or Reshape it to [1, H, W]."
            fixes.append(Fix(f"Insert Reshape to [1, {x.shape[0]}, {x.shape[1]}]", "insert_before", "Reshape",
                             {"shape": [1, x.shape[0], x.shape[1]]}))
        elif nd == 1 and len(x.shape) == 1:
            hint = f" A vector of {x.shape[0]} values can become one channel: Reshape it to [1, {x.shape[0]}]."
            fixes.append(Fix(f"Insert Reshape to [1, {x.shape[0]}]", "insert_before", "Reshape",
                             {"shape": [1, x.shape[0]]}))
        elif nd == 2 and len(x.shape) == 1:
            n, side = x.shape[0], round(x.shape[0] ** 0.5)
            if side * side == n:
                hint = f" A vector of {n} values can be a {side}×{side} image: Reshape it to [1, {side}, {side}]."
                fixes.append(Fix(f"Insert Reshape to [1, {side}, {side}]", "insert_before", "Reshape",
                                 {"shape": [1, side, side]}))
            else:
                hint = f" Reshape the {n} values to [C, H, W] first, or use a Dense layer."
        elif nd == 1 and len(x.shape) == 3:
            hint = " For an image use Conv2d."
        raise ShapeError(f"{label} '{node_id}' expects {text} ({nd + 1} axes per sample), but gets "
                         f"{fmt_shape(x.shape)} ({len(x.shape)} axes).{hint}", fixes)


def make_conv(nd: int) -> BlockSpec:
    label = f"Conv{nd}d"
    axes = AXES[nd]
    layout = LAYOUT[nd][0]

    def infer(node_id: str, ins: list[Tensor], p: dict) -> BlockOut:
        x = ins[0]
        if len(x.shape) != nd + 1 or x.dtype == "int64":
            expect_rank(label, node_id, x, nd)
        cin, spatial = x.shape[0], x.shape[1:]
        cout, groups = p["out_channels"], p["groups"]
        k, s, d = pair(p["kernel_size"], nd), pair(p["stride"], nd), pair(p["dilation"], nd)
        warnings, fixes = [], []
        if cin % groups:
            raise ShapeError(f"{label} '{node_id}': groups = {groups} must divide the {cin} input channels; "
                             f"choose groups among the divisors of {cin}.")
        if cout % groups:
            raise ShapeError(f"{label} '{node_id}': groups = {groups} must divide out_channels = {cout}.")
        if nd == 1 and x.layout == "sequence":
            t, f = x.shape
            warnings.append(f"{label} '{node_id}' reads [C, L] (channels first) but gets a [T, F] sequence "
                            f"{fmt_shape(x.shape)}: it will treat the {t} time steps as channels. "
                            "Insert Permute [1, 0] first if the features should be the channels.")
            fixes.append(Fix("Insert Permute [1, 0]", "insert_before", "Permute", {"dims": [1, 0]}))
        pad = p["padding"]
        formula, out_spatial = [], []
        if pad == "same":
            if any(v != 1 for v in s):
                raise ShapeError(f"{label} '{node_id}': padding 'same' works only with stride 1 (PyTorch's "
                                 f"rule), but stride is {p['stride']}; use a number for padding instead.")
            out_spatial = list(spatial)
            formula = [same_padding_formula(a, n) for a, n in zip(axes, spatial)]
        else:
            pads = (0,) * nd if pad == "valid" else pair(pad, nd)
            if any([spatial[i] + 2 * pads[i] - d[i] * (k[i] - 1) < 1 for i in range(nd)]):
                eff = tuple(d[i] * (k[i] - 1) + 1 for i in range(nd))
                padded = "×".join(str(spatial[i] + 2 * pads[i]) for i in range(nd))
                how = ", ".join(dict.fromkeys(f"{spatial[i]} + 2·{pads[i]}" for i in range(nd)))
                ktext = "×".join(map(str, eff)) + ("" if all(v == 1 for v in d) else " (dilated)")
                need = max((eff[i] - spatial[i] + 1) // 2 for i in range(nd))
                fixes.append(Fix(f"Set padding to {need}", "set_params", params={"padding": need}))
                raise ShapeError(f"{label} '{node_id}': kernel {ktext} is larger than its padded input "
                                 f"{padded} ({how}); lower the kernel size or add padding.", fixes)
            dropped = []
            for i, a in enumerate(axes):
                r = axis_out(a, spatial[i], k[i], s[i], pads[i], d[i])
                formula.append(r.formula)
                out_spatial.append(r.out)
                if r.dropped:
                    dropped.append((a, f"({spatial[i]} − {d[i] * (k[i] - 1) + 1} + 2·{pads[i]})/{s[i]} is not a "
                                       f"whole number, so the last {r.dropped} input position(s) are never used "
                                       f"({spatial[i]} → {r.exact:.4g} → {r.out}). Change the padding or stride "
                                       "to use all of them."))
            if dropped:
                warnings += by_axes(label, node_id, dropped)
            if tuple(out_spatial) != spatial and s == (1,) * nd and all(v % 2 == 1 for v in k):
                keep = [d[i] * (k[i] - 1) // 2 for i in range(nd)]
                fixes.append(Fix(f"Set padding to {keep[0] if nd == 1 or keep[0] == keep[1] else keep} "
                                 "to keep the size", "set_params",
                                 params={"padding": keep[0] if nd == 1 or keep[0] == keep[1] else keep}))
        per_filter = (cin // groups) * prod(k)
        params, text = _params(cout, cin // groups, k, p["bias"])
        formula.append(text)
        out_shape = (cout, *out_spatial)
        return BlockOut(Tensor(out_shape, layout=layout), params=params,
                        macs=prod(out_shape) * per_filter, formula=formula, warnings=warnings, fixes=fixes)

    def build(ins: list[Tensor], p: dict):
        from torch import nn
        cls = nn.Conv1d if nd == 1 else nn.Conv2d
        pad = p["padding"]
        return cls(ins[0].shape[0], p["out_channels"], _t(p["kernel_size"]), stride=_t(p["stride"]),
                   padding=pad if isinstance(pad, str) else _t(pad), dilation=_t(p["dilation"]),
                   groups=p["groups"], bias=p["bias"])

    def code(ins: list[Tensor], p: dict) -> str:
        return call(f"nn.{label}", (ins[0].shape[0], p["out_channels"]),
                    {k: p[k] for k in ("kernel_size", "stride", "padding", "dilation", "groups", "bias")},
                    {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True})

    def receptive(ins: list[Tensor], p: dict) -> tuple[Window, ...]:
        return conv_windows(nd, p)

    rule = "[C, L] → [out_channels, L′]" if nd == 1 else "[C, H, W] → [out_channels, H′, W′]"
    what = ("Slides filters along a 1-D signal (audio, sensors, text features)." if nd == 1 else
            "Slides small filters over an image; each filter finds one kind of pattern.")
    return BlockSpec(label, label, "Convolution", what,
                     rule + ";  out = ⌊(n − k + 2p)/s⌋ + 1 per axis", conv_params(nd), infer, build,
                     learnable=True, code=code, receptive=receptive, arithmetic="conv")


def conv_windows(nd: int, p: dict) -> tuple[Window, ...]:
    """The window of a convolution per spatial axis; 'same' puts ⌊d·(k − 1)/2⌋ zeros first, as PyTorch does."""
    k, s, d = pair(p["kernel_size"], nd), pair(p["stride"], nd), pair(p["dilation"], nd)
    pad = p["padding"]
    if pad == "same":
        pads = tuple(d[i] * (k[i] - 1) // 2 for i in range(nd))
    else:
        pads = (0,) * nd if pad == "valid" else pair(pad, nd)
    return tuple(Window(k[i], s[i], pads[i], d[i]) for i in range(nd))


@lru_cache(maxsize=1024)
def _params(cout: int, cin_per_group: int, k: tuple, bias: bool) -> tuple[int, str]:
    """Trainable parameters of a convolution, and the line of arithmetic that counts them."""
    n = cout * cin_per_group * prod(k) + (cout if bias else 0)
    return n, (f"params = {cout}·({cin_per_group}·{'·'.join(map(str, k))})" + (f" + {cout}" if bias else "")
               + f" = {n:,}")


def _t(v):
    return tuple(v) if isinstance(v, list) else v


SPECS = [make_conv(1), make_conv(2)]
