"""The block catalog: one declarative `BlockSpec` per block type, looked up by type name."""
from __future__ import annotations

from . import conv, dense, elementwise, merge, pool, recurrent
from .spec import REQUIRED, BlockOut, BlockSpec, Fix, Param, ShapeError, Tensor, fmt_shape, prod

GROUPS = ("Input", "Convolution", "Pooling", "Dense", "Recurrent", "Normalization and regularization",
          "Activations", "Reshape and merge")

BLOCKS: dict[str, BlockSpec] = {}
for _module in (dense, conv, pool, recurrent, elementwise, merge):
    for _spec in _module.SPECS:
        BLOCKS[_spec.type] = _spec


def starter_params(type_name: str) -> dict:
    """Values a freshly added block starts with for its required parameters, so it has a shape at
    once (the user then edits them): each parameter's `starter` in the block's spec."""
    out = {}
    for p in BLOCKS[type_name].params:
        if not p.required:
            continue
        if p.starter is not None:
            out[p.name] = list(p.starter) if isinstance(p.starter, tuple) else p.starter
        elif p.min is not None:
            out[p.name] = int(p.min) if p.kind != "float" else p.min
    return out


__all__ = ["BLOCKS", "GROUPS", "REQUIRED", "BlockOut", "BlockSpec", "Fix", "Param", "ShapeError", "Tensor",
           "starter_params", "fmt_shape", "prod"]
