"""Blocks with several inputs: Add (residual connections) and Concat."""
from __future__ import annotations

from .spec import INT, KEEP, BlockOut, BlockSpec, Module, Param, ShapeError, Tensor, fmt_shape, prod


def _dtype(ins):
    return "int64" if all(x.dtype == "int64" for x in ins) else "float32"


def _shapes(ins) -> str:
    return ", ".join(fmt_shape(x.shape) for x in ins)


def _add(node_id, ins, p):
    first = ins[0].shape
    if all(x.shape == first for x in ins):      # the usual case: a residual connection of equal shapes
        n = len(ins)
        return BlockOut(Tensor(first, _dtype(ins), ins[0].layout), macs=prod(first) * (n - 1),
                        formula=lambda: [" + ".join([fmt_shape(first)] * n) + f" = {fmt_shape(first)}"])
    ranks = {len(x.shape) for x in ins}
    shapes = ", ".join(fmt_shape(x.shape) for x in ins)
    if len(ranks) > 1:
        raise ShapeError(f"Add '{node_id}' needs inputs of the same shape, but gets {shapes}; make the branches "
                         "agree (a 1×1 Conv2d or a Dense layer can match the channels).")
    out, warnings = [], []
    for sizes in zip(*(x.shape for x in ins)):
        big = {s for s in sizes if s != 1}
        if len(big) > 1:
            raise ShapeError(f"Add '{node_id}' needs inputs of the same shape, but gets {shapes}; make the "
                             "branches agree (a 1×1 Conv2d can match the channels, stride or pooling the size).")
        out.append(big.pop() if big else 1)
    if any(x.shape != tuple(out) for x in ins):
        warnings.append(f"Add '{node_id}': inputs {shapes} differ and are broadcast to {fmt_shape(out)}; "
                        "check that this is what you meant.")
    shape = tuple(out)
    return BlockOut(Tensor(shape, _dtype(ins), ins[0].layout), macs=prod(shape) * (len(ins) - 1),
                    formula=lambda: [" + ".join(fmt_shape(x.shape) for x in ins) + f" = {fmt_shape(shape)}"],
                    warnings=warnings)


def _concat(node_id, ins, p):
    r, dim = len(ins[0].shape), p["dim"]
    if any(len(x.shape) != r for x in ins):
        raise ShapeError(f"Concat '{node_id}' needs inputs with the same number of axes, but gets {_shapes(ins)}.")
    if not -r <= dim < r:
        raise ShapeError(f"Concat '{node_id}': dim {dim} is outside the inputs' {r} axes; use 0 to {r - 1}.")
    d = dim % r
    for axis in range(r):
        if axis != d and len({x.shape[axis] for x in ins}) > 1:
            raise ShapeError(f"Concat '{node_id}' joins along axis {d}, so every other axis must match, but "
                             f"axis {axis} differs: {_shapes(ins)}.")
    total = sum(x.shape[d] for x in ins)
    shape = ins[0].shape[:d] + (total,) + ins[0].shape[d + 1:]
    return BlockOut(Tensor(shape, _dtype(ins), ins[0].layout),
                    formula=lambda: [f"axis {d}: " + " + ".join(str(x.shape[d]) for x in ins) + f" = {total}",
                                     f"out = {fmt_shape(shape)}"])


SPECS = [
    BlockSpec("Add", "Add", "Reshape and merge", "Adds its inputs element by element (residual connections).",
              "2+ inputs of equal shape → that shape", (), _add, lambda ins, p: Module("Add"), min_inputs=2,
              max_inputs=64, accepts_int=True, receptive=KEEP),
    BlockSpec("Concat", "Concat", "Reshape and merge", "Joins its inputs along one axis (0 = channels).",
              "2+ inputs equal except along dim → sizes along dim add up",
              (Param("dim", INT, 0, "Axis to join along (per sample; 0 = channels).", -8, 7),),
              _concat, lambda ins, p: Module("Concat", (p["dim"] % len(ins[0].shape) + 1,)), min_inputs=2,
              max_inputs=64, accepts_int=True, receptive=lambda ins, p: KEEP if p["dim"] % len(ins[0].shape) == 0 else None),
]
