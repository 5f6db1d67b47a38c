"""Convolution blocks: Conv1d, Conv2d, Conv3d and the transposed ConvTranspose1d, ConvTranspose2d."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache, partial
from typing import Callable

from .arith import TRANSPOSED_RULE, WINDOW_RULE, axis_out, by_axes, same_padding_formula
from .spec import (BOOL, INT, INT_OR_PAIR, PADDING, BlockOut, BlockSpec, Fix, Module, Param, ShapeError, Tensor,
                   Window, fmt_shape, pair, prod)

AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
LAYOUT = {1: ("signal", "[C, L]"), 2: ("image", "[C, H, W]"), 3: ("volume", "[C, D, H, W]")}
WHAT = {1: "signal", 2: "image", 3: "volume"}


def axis_kind(nd: int) -> str:
    """A window parameter of a 1-D block is one whole number; of a 2-D or 3-D block, one or a list of nd."""
    return INT if nd == 1 else INT_OR_PAIR


def conv_params(nd: int) -> tuple[Param, ...]:
    kind = axis_kind(nd)
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


def expect_rank(label: str, node_id: str, x: Tensor, nd: int, family: str = "Conv",
                variants: tuple[int, ...] = (1, 2, 3)) -> None:
    """Refuse an input without nd spatial axes, naming the variant of the same family (`family` + 1d/2d/3d,
    where `variants` has it) or a Reshape that fits."""
    text = LAYOUT[nd][1]
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
            hint = f" For an image use {family}2d." if 2 in variants else ""
        elif nd == 3 and len(x.shape) == 3:
            other = f"use {family}2d, or " if 2 in variants else ""
            hint = (f" A 3-D block reads volumes or clips [C, D, H, W]; for an image {other}Reshape it to "
                    f"[1, {x.shape[0]}, {x.shape[1]}, {x.shape[2]}] (its channels as depth).")
            fixes.append(Fix(f"Insert Reshape to [1, {x.shape[0]}, {x.shape[1]}, {x.shape[2]}]", "insert_before",
                             "Reshape", {"shape": [1, *x.shape]}))
        elif nd == 2 and len(x.shape) == 4:
            c, d, h, w = x.shape
            if 3 in variants:
                hint = f" For a volume or a clip of frames [C, D, H, W] use {family}3d."
            else:
                hint = (f" There is no {family}3d: Reshape the volume to [{c * d}, {h}, {w}] (its depth slices as "
                        "channels), or use Conv3d first.")
                fixes.append(Fix(f"Insert Reshape to [{c * d}, {h}, {w}]", "insert_before", "Reshape",
                                 {"shape": [c * d, h, w]}))
        raise ShapeError(f"{label} '{node_id}' expects {text} ({nd + 1} axes per sample), but gets "
                         f"{fmt_shape(x.shape)} ({len(x.shape)} axes).{hint}", fixes)


def conv_module(label: str, defaults: dict):
    """The torch module of a convolution block: nn.<label>(in_channels, out_channels, kernel_size=..., and the
    keywords of `defaults`, which the exported code leaves out where they keep their default)."""
    def module(ins: list[Tensor], p: dict) -> Module:
        return Module(f"nn.{label}", (ins[0].shape[0], p["out_channels"]),
                      {"kernel_size": p["kernel_size"], **{k: p[k] for k in defaults}}, defaults)
    return module


def shape_rule(nd: int) -> str:
    """'[C, H, W] → [out_channels, H′, W′]' for nd spatial axes."""
    return f"{LAYOUT[nd][1]} → [out_channels, {', '.join(a + '′' for a in AXES[nd])}]"


def check_groups(label: str, node_id: str, cin: int, cout: int, groups: int) -> None:
    """A convolution's groups must divide its input channels and its out_channels (PyTorch's rule)."""
    if cin % groups:
        raise ShapeError(f"{label} '{node_id}': groups = {groups} must divide the {cin} input channels; "
                         f"choose groups among the divisors of {cin}.")
    if cout % groups:
        raise ShapeError(f"{label} '{node_id}': groups = {groups} must divide out_channels = {cout}.")


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
        check_groups(label, node_id, cin, cout, groups)
        if nd == 1 and x.layout == "sequence":
            t, f = x.shape
            warnings.append(f"{label} '{node_id}' reads [C, L] (channels first) but gets a [T, F] sequence "
                            f"{fmt_shape(x.shape)}: it will treat the {t} time steps as channels. "
                            "Insert Permute [1, 0] first if the features should be the channels.")
            fixes.append(Fix("Insert Permute [1, 0]", "insert_before", "Permute", {"dims": [1, 0]}))
        if p["padding"] == "same":
            if any(v != 1 for v in s):
                raise ShapeError(f"{label} '{node_id}': padding 'same' works only with stride 1 (PyTorch's "
                                 f"rule), but stride is {p['stride']}; use a number for padding instead.")
            out_spatial = list(spatial)
            formula = [same_padding_formula(a, n) for a, n in zip(axes, spatial)]
        else:
            pads = (0,) * nd if p["padding"] == "valid" else pair(p["padding"], nd)
            formula, out_spatial = _sizes(label, node_id, axes, spatial, k, s, pads, d, warnings, fixes)
        per_filter = (cin // groups) * prod(k)
        params, text = _params(cout, cin // groups, k, p["bias"])
        formula.append(text)
        out_shape = (cout, *out_spatial)
        return BlockOut(Tensor(out_shape, layout=layout), params=params,
                        macs=prod(out_shape) * per_filter, formula=formula, warnings=warnings, fixes=fixes)

    module = conv_module(label, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True})

    def receptive(ins: list[Tensor], p: dict) -> tuple[Window, ...]:
        return conv_windows(nd, p)

    rule = shape_rule(nd)
    what = {1: "Slides filters along a 1-D signal (audio, sensors, text features).",
            2: "Slides small filters over an image; each filter finds one kind of pattern.",
            3: "Slides small 3-D filters through a volume (a scan) or a clip of frames [C, D, H, W], finding "
               "patterns in space and time."}[nd]
    return BlockSpec(label, label, "Convolution", what,
                     rule + ";  out = ⌊(n − k + 2p)/s⌋ + 1 per axis", conv_params(nd), infer, module,
                     learnable=True, receptive=receptive, arithmetic="conv", spatial=nd, size_rule=WINDOW_RULE)


def _sizes(label, node_id, axes, spatial, k, s, pads, d, warnings: list, fixes: list) -> tuple[list, list]:
    """The output size per axis of a convolution with numeric padding, with its formula lines; a kernel larger
    than its padded input raises (offering the padding that fits); dropped positions are warned about, and a
    stride-1 odd kernel that shrinks the size is offered the padding that keeps it."""
    nd = len(axes)
    if any(spatial[i] + 2 * pads[i] - d[i] * (k[i] - 1) < 1 for i in range(nd)):
        eff = tuple(d[i] * (k[i] - 1) + 1 for i in range(nd))
        padded = "×".join(str(spatial[i] + 2 * pads[i]) for i in range(nd))
        how = ", ".join(dict.fromkeys(f"{spatial[i]} + 2·{pads[i]}" for i in range(nd)))
        ktext = "×".join(map(str, eff)) + ("" if all(v == 1 for v in d) else " (dilated)")
        need = max((eff[i] - spatial[i] + 1) // 2 for i in range(nd))
        fixes.append(Fix(f"Set padding to {need}", "set_params", params={"padding": need}))
        raise ShapeError(f"{label} '{node_id}': kernel {ktext} is larger than its padded input "
                         f"{padded} ({how}); lower the kernel size or add padding.", fixes)
    formula, out_spatial, dropped = [], [], []
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
        value = keep[0] if len(set(keep)) == 1 else keep
        fixes.append(Fix(f"Set padding to {value} to keep the size", "set_params", params={"padding": value}))
    return formula, out_spatial


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
def _params(cout: int, cin_per_group: int, k: tuple, bias: bool, transposed: int = 0) -> tuple[int, Callable]:
    """Trainable parameters of a convolution, and the line of arithmetic that counts them (a function that
    writes it, called when the formula is shown). A transposed one (`transposed` = its input channels) holds
    cin·(cout/groups) filters of k."""
    if transposed:
        groups = transposed // cin_per_group
        n = transposed * (cout // groups) * prod(k) + (cout if bias else 0)
    else:
        n = cout * cin_per_group * prod(k) + (cout if bias else 0)
    return n, partial(_params_text, cout, cin_per_group, k, bias, transposed, n)


def _params_text(cout: int, cin_per_group: int, k: tuple, bias: bool, transposed: int, n: int) -> str:
    taps = "·".join(map(str, k))
    if transposed:
        head = f"params = {transposed}·({cout // (transposed // cin_per_group)}·{taps})"
    else:
        head = f"params = {cout}·({cin_per_group}·{taps})"
    return head + (f" + {cout}" if bias else "") + f" = {n:,}"


def transposed_params(nd: int) -> tuple[Param, ...]:
    kind = axis_kind(nd)
    return (
        Param("out_channels", INT, help="Number of filters, one output channel each.", min=1, max=65536,
              starter=16),
        Param("kernel_size", kind, help="Size of each filter.", min=1, max=1024, starter=2),
        Param("stride", kind, 1, "How much larger the output is: each input position moves the filter this far.",
              min=1, max=1024),
        Param("padding", kind, 0, "Positions cut from each side of the output.", min=0, max=1024),
        Param("output_padding", kind, 0, "Positions added at the end of the output (less than the stride or "
              "the dilation), to reach an exact size.", min=0, max=1024),
        Param("dilation", kind, 1, "Spacing between filter taps.", min=1, max=1024),
        Param("groups", INT, 1, "Split channels into independent groups.", min=1, max=65536),
        Param("bias", BOOL, True, "Learn one offset per output channel."),
    )


def make_transposed(nd: int) -> BlockSpec:
    """ConvTranspose: each input position stamps the filter onto the output, `stride` apart, so the output
    grows: out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1 per axis (PyTorch's rule)."""
    label = f"ConvTranspose{nd}d"
    axes = AXES[nd]
    layout = LAYOUT[nd][0]

    def infer(node_id: str, ins: list[Tensor], p: dict) -> BlockOut:
        x = ins[0]
        if len(x.shape) != nd + 1 or x.dtype == "int64":
            expect_rank(label, node_id, x, nd, "ConvTranspose", (1, 2))
        cin, spatial = x.shape[0], x.shape[1:]
        cout, groups = p["out_channels"], p["groups"]
        k, s, d = pair(p["kernel_size"], nd), pair(p["stride"], nd), pair(p["dilation"], nd)
        pads, extra = pair(p["padding"], nd), pair(p["output_padding"], nd)
        check_groups(label, node_id, cin, cout, groups)
        for i, a in enumerate(axes):
            if extra[i] >= max(s[i], d[i]):
                raise ShapeError(f"{label} '{node_id}': output_padding {extra[i]} along {a} must be smaller than "
                                 f"the stride ({s[i]}) or the dilation ({d[i]}) (PyTorch's rule); lower it.",
                                 (Fix("Set output_padding to 0", "set_params", params={"output_padding": 0}),))
        formula, out_spatial = [], []
        for i, a in enumerate(axes):
            n = spatial[i]
            out = (n - 1) * s[i] - 2 * pads[i] + d[i] * (k[i] - 1) + extra[i] + 1
            dil = f"{d[i]}·({k[i]} − 1)" if d[i] != 1 else f"({k[i]} − 1)"
            text = f"{a} = ({n} − 1)·{s[i]} − 2·{pads[i]} + {dil} + {extra[i]} + 1 = {out}"
            if out < 1:
                raise ShapeError(f"{label} '{node_id}': along {a}, {text[len(a) + 3:]}, below 1: the padding cuts "
                                 "away the whole output; lower the padding.",
                                 (Fix("Set padding to 0", "set_params", params={"padding": 0}),))
            formula.append(text)
            out_spatial.append(out)
        params, text = _params(cout, cin // groups, k, p["bias"], transposed=cin)
        formula.append(text)
        out_shape = (cout, *out_spatial)
        return BlockOut(Tensor(out_shape, layout=layout), params=params,
                        macs=prod(spatial) * cin * (cout // groups) * prod(k), formula=formula)

    module = conv_module(label, {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True,
                                 "dilation": 1})

    def receptive(ins: list[Tensor], p: dict) -> tuple[Window, ...]:
        return transposed_windows(nd, p)

    rule = shape_rule(nd)
    what = {1: "Upsamples a 1-D signal with learned filters (the reverse of a strided Conv1d's sizes).",
            2: "Upsamples an image with learned filters, as decoders, autoencoders and GANs do (the reverse of a "
               "strided Conv2d's sizes)."}[nd]
    return BlockSpec(label, label, "Convolution", what,
                     rule + ";  out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1 per axis",
                     transposed_params(nd), infer, module, learnable=True, receptive=receptive,
                     arithmetic="transposed", spatial=nd, size_rule=TRANSPOSED_RULE)


def transposed_windows(nd: int, p: dict) -> tuple[Window, ...]:
    """The input positions an output position of a transposed convolution reads, as a window over the input:
    output o gets input i where o = i·s − p + j·d for a tap j < k, so i runs from ⌈(o + p − d·(k − 1))/s⌉ to
    ⌊(o + p)/s⌋: a window of ⌈(d·(k − 1) + 1)/s⌉ positions moving 1/s of an input position per output."""
    k, s, d = pair(p["kernel_size"], nd), pair(p["stride"], nd), pair(p["dilation"], nd)
    pads = pair(p["padding"], nd)
    out = []
    for i in range(nd):
        span = d[i] * (k[i] - 1)
        width = max(1, -(-(span + 1) // s[i]))
        # centre of output o's inputs: (o + p − span/2)/s = o·(1/s) + (width − 1)/2 − pad
        pad = Fraction(width - 1, 2) + Fraction(span - 2 * pads[i], 2 * s[i])
        out.append(Window(width, Fraction(1, s[i]) if s[i] > 1 else 1, pad.numerator if pad.denominator == 1 else pad))
    return tuple(out)


SPECS = [make_conv(1), make_conv(2), make_conv(3), make_transposed(1), make_transposed(2)]
