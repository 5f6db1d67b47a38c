"""Blocks that keep the shape: activations, dropout, normalization, softmax. None of them takes int64
token ids (accepts_int is False), which shape inference checks before calling them."""
from __future__ import annotations

from .spec import (FLOAT, INT, KEEP, LOG_PROBABILITIES, PROBABILITIES, BlockOut, BlockSpec, Module, Param, ShapeError,
                   Tensor, fmt_shape, prod)


def _same(x: Tensor, **kw) -> BlockOut:
    return BlockOut(x, formula=lambda: [f"out = in = {fmt_shape(x.shape)}"], **kw)   # tensors are never modified


def activation(name: str, help: str, params=(), build_args=lambda p: {}, group="Activations",
               output_warning=None) -> BlockSpec:
    def infer(node_id, ins, p):
        return _same(ins[0])

    return BlockSpec(name, name, group, help, "unchanged", tuple(params), infer,
                     lambda ins, p: Module(f"nn.{name}", (), build_args(p)), output_warning=output_warning,
                     receptive=KEEP)


def _softmax_like(name: str, help: str, warning: str | None, output_is: str) -> BlockSpec:
    def infer(node_id, ins, p):
        x = ins[0]
        r, dim = len(x.shape), p["dim"]
        if not -r <= dim < r:
            raise ShapeError(f"{name} '{node_id}': dim {dim} is outside the input's {r} axes "
                             f"({fmt_shape(x.shape)}); use a number from {-r} to {r - 1} (-1 = last axis).")
        return _same(x)

    def module(ins, p) -> Module:
        return Module(f"nn.{name}", (), {"dim": _batched_dim(p["dim"])})

    def receptive(ins, p):       # over the channels each position stays its own; over an axis of space it mixes
        return KEEP if p["dim"] % len(ins[0].shape) == 0 else None

    return BlockSpec(name, name, "Activations", help, "unchanged",
                     (Param("dim", INT, -1, "Axis whose values are turned into probabilities.", -8, 7),),
                     infer, module, output_warning=warning, receptive=receptive, output_is=output_is)


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

    return BlockSpec(name, name, "Normalization and regularization", help, "unchanged",
                     (Param("p", FLOAT, 0.5, "Probability of zeroing each value while training.", 0.0, 1.0),),
                     infer, lambda ins, p: Module(f"nn.{name}", (p["p"],)), receptive=KEEP)


def _batchnorm(nd: int) -> BlockSpec:
    name = f"BatchNorm{nd}d"
    ok_ranks = (1, 2) if nd == 1 else (nd + 1,)
    text = {1: "[C] or [C, L]", 2: "[C, H, W]", 3: "[C, D, H, W]"}[nd]

    def infer(node_id, ins, p):
        x = ins[0]
        if len(x.shape) not in ok_ranks:
            other = {3: "BatchNorm2d", 4: "BatchNorm3d"}.get(len(x.shape), "BatchNorm1d")
            raise ShapeError(f"{name} '{node_id}' expects {text}, but gets {fmt_shape(x.shape)} "
                             f"({len(x.shape)} axes); use {other} here.")
        c = x.shape[0]
        return BlockOut(
            Tensor(x.shape, x.dtype, x.layout), params=2 * c, macs=prod(x.shape),
            formula=lambda: [f"out = in = {fmt_shape(x.shape)}", f"params = 2·{c} = {2 * c} (scale and shift per channel)"])

    return BlockSpec(name, name, "Normalization and regularization",
                     "Normalizes each channel over the batch, then scales and shifts it; speeds up training.",
                     f"{text} unchanged", (), infer, lambda ins, p: Module(f"nn.{name}", (ins[0].shape[0],)),
                     learnable=True, receptive=KEEP, spatial=nd)


def _layernorm(node_id, ins, p):
    x = ins[0]
    f = x.shape[-1]
    return BlockOut(Tensor(x.shape, x.dtype, x.layout), params=2 * f, macs=prod(x.shape),
                    formula=lambda: [f"out = in = {fmt_shape(x.shape)}", f"params = 2·{f} = {2 * f} (over the last axis)"])


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
    _softmax_like("Softmax", "Turns scores into probabilities that add up to 1.", SOFTMAX_WARNING, PROBABILITIES),
    _softmax_like("LogSoftmax", "Logarithm of Softmax, numerically stable.", None, LOG_PROBABILITIES),
    _dropout("Dropout", "Zeroes random values while training, against overfitting.", False),
    _dropout("Dropout2d", "Zeroes random whole channels of an image while training.", True),
    _batchnorm(1),
    _batchnorm(2),
    _batchnorm(3),
    BlockSpec("LayerNorm", "LayerNorm", "Normalization and regularization",
              "Normalizes each sample over its last axis; common in sequence models.",
              "unchanged (normalizes the last axis)", (), _layernorm,
              lambda ins, p: Module("nn.LayerNorm", (ins[0].shape[-1],)), learnable=True),
]
