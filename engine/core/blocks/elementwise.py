"""Blocks that keep the shape: activations, dropout, normalization, softmax. None of them takes int64
token ids (accepts_int is False), which shape inference checks before calling them."""
from __future__ import annotations

from .spec import FLOAT, INT, KEEP, BlockOut, BlockSpec, Param, ShapeError, Tensor, call, fmt_shape, prod


def _same(x: Tensor, **kw) -> BlockOut:
    return BlockOut(x, formula=lambda: [f"out = in = {fmt_shape(x.shape)}"], **kw)   # tensors are never modified


def activation(name: str, help: str, params=(), build_args=lambda p: {}, group="Activations",
               output_warning=None) -> BlockSpec:
    def infer(node_id, ins, p):
        return _same(ins[0])

    def build(ins, p):
        from torch import nn
        return getattr(nn, name)(**build_args(p))

    return BlockSpec(name, name, group, help, "unchanged", tuple(params), infer, build,
                     output_warning=output_warning, code=lambda ins, p: call(f"nn.{name}", (), build_args(p)),
                     receptive=KEEP)


def _softmax_like(name: str, help: str, warning: str | None) -> BlockSpec:
    def infer(node_id, ins, p):
        x = ins[0]
        r, dim = len(x.shape), p["dim"]
        if not -r <= dim < r:
            raise ShapeError(f"{name} '{node_id}': dim {dim} is outside the input's {r} axes "
                             f"({fmt_shape(x.shape)}); use a number from {-r} to {r - 1} (-1 = last axis).")
        return _same(x)

    def build(ins, p):
        from torch import nn
        return getattr(nn, name)(dim=_batched_dim(p["dim"]))

    def code(ins, p):
        return call(f"nn.{name}", (), {"dim": _batched_dim(p["dim"])})

    def receptive(ins, p):       # over the channels each position stays its own; over an axis of space it mixes
        return KEEP if p["dim"] % len(ins[0].shape) == 0 else None

    return BlockSpec(name, name, "Activations", help, "unchanged",
                     (Param("dim", INT, -1, "Axis whose values are turned into probabilities.", -8, 7),),
                     infer, build, output_warning=warning, code=code, receptive=receptive)


def _batched_dim(d: int) -> int:
    return d + 1 if d >= 0 else d   # per-sample axis → batched axis


def _dropout(name: str, help: str, spatial: bool) -> BlockSpec:
    def infer(node_id, ins, p):
        x = ins[0]
        warnings = []
        if spatial and len(x.shape) != 3:
            warnings.append(f"{name} '{node_id}' drops whole channels of [C, H, W] images, but gets "
                            f"{fmt_shape(x.shape)}; use Dropout for other shapes.")
        return _same(x, warnings=warnings)

    def build(ins, p):
        from torch import nn
        return getattr(nn, name)(p["p"])

    def code(ins, p):
        return call(f"nn.{name}", (p["p"],))

    return BlockSpec(name, name, "Normalization and regularization", help, "unchanged",
                     (Param("p", FLOAT, 0.5, "Probability of zeroing each value while training.", 0.0, 1.0),),
                     infer, build, code=code, receptive=KEEP)


def _batchnorm(nd: int) -> BlockSpec:
    name = f"BatchNorm{nd}d"
    ok_ranks = (1, 2) if nd == 1 else (3,)
    text = "[C] or [C, L]" if nd == 1 else "[C, H, W]"

    def infer(node_id, ins, p):
        x = ins[0]
        if len(x.shape) not in ok_ranks:
            other = "BatchNorm2d" if len(x.shape) == 3 else "BatchNorm1d"
            raise ShapeError(f"{name} '{node_id}' expects {text}, but gets {fmt_shape(x.shape)} "
                             f"({len(x.shape)} axes); use {other} here.")
        c = x.shape[0]
        return BlockOut(
            Tensor(x.shape, x.dtype, x.layout), params=2 * c, macs=prod(x.shape),
            formula=lambda: [f"out = in = {fmt_shape(x.shape)}", f"params = 2·{c} = {2 * c} (scale and shift per channel)"])

    def build(ins, p):
        from torch import nn
        return getattr(nn, name)(ins[0].shape[0])

    return BlockSpec(name, name, "Normalization and regularization",
                     "Normalizes each channel over the batch, then scales and shifts it; speeds up training.",
                     f"{text} unchanged", (), infer, build, learnable=True,
                     code=lambda ins, p: call(f"nn.{name}", (ins[0].shape[0],)), receptive=KEEP)


def _layernorm(node_id, ins, p):
    x = ins[0]
    f = x.shape[-1]
    return BlockOut(Tensor(x.shape, x.dtype, x.layout), params=2 * f, macs=prod(x.shape),
                    formula=lambda: [f"out = in = {fmt_shape(x.shape)}", f"params = 2·{f} = {2 * f} (over the last axis)"])


def _build_layernorm(ins, p):
    from torch import nn
    return nn.LayerNorm(ins[0].shape[-1])


SOFTMAX_WARNING = ("Softmax '{id}' is the output, but classification training applies softmax inside its "
                   "cross-entropy loss: train on the raw scores and remove this block (or use LogSoftmax).")

SPECS = [
    activation("ReLU", "max(0, x): the default non-linearity."),
    activation("LeakyReLU", "Like ReLU, with a small slope for negative values so units never die.",
               (Param("negative_slope", FLOAT, 0.01, "Slope for x < 0."),),
               lambda p: {"negative_slope": p["negative_slope"]}),
    activation("ELU", "Smooth ReLU that goes to −1 for large negative x."),
    activation("GELU", "Smooth ReLU used in transformers."),
    activation("Tanh", "Squashes values into (−1, 1)."),
    activation("Sigmoid", "Squashes values into (0, 1)."),
    _softmax_like("Softmax", "Turns scores into probabilities that add up to 1.", SOFTMAX_WARNING),
    _softmax_like("LogSoftmax", "Logarithm of Softmax, numerically stable.", None),
    _dropout("Dropout", "Zeroes random values while training, against overfitting.", False),
    _dropout("Dropout2d", "Zeroes random whole channels of an image while training.", True),
    _batchnorm(1),
    _batchnorm(2),
    BlockSpec("LayerNorm", "LayerNorm", "Normalization and regularization",
              "Normalizes each sample over its last axis; common in sequence models.",
              "unchanged (normalizes the last axis)", (), _layernorm, _build_layernorm, learnable=True,
              code=lambda ins, p: call("nn.LayerNorm", (ins[0].shape[-1],))),
]
