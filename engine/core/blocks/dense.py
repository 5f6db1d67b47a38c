"""Input, Dense (Linear), Embedding and the blocks that only reshape: Flatten, Reshape, Permute."""
from __future__ import annotations

from .spec import (BOOL, CHOICE, DIMS, INT, SHAPE, SOURCE, BlockOut, BlockSpec, Fix, Module, Param, ShapeError, Tensor,
                   fmt_shape, prod)

LAYOUT_BY_RANK = {1: "vector", 2: None, 3: "image", 4: "volume"}


def _input(node_id, ins, p):
    shape = tuple(p["shape"])
    if not shape or any(s < 1 for s in shape):
        raise ShapeError(f"Input '{node_id}': shape {list(p['shape'])} must list one or more sizes of at least 1, "
                         "e.g. [1, 28, 28] for a grey 28×28 image.")
    if p["dtype"] == "int64":
        layout = "tokens" if len(shape) == 1 else None
    else:
        layout = LAYOUT_BY_RANK.get(len(shape))
    return BlockOut(Tensor(shape, p["dtype"], layout), formula=lambda: [f"shape = {fmt_shape(shape)} per sample"])


INPUT = BlockSpec(
    "Input", "Input", "Input", "Where data enters: one sample's shape, without the batch axis.",
    "→ shape  ([C, H, W] image, [C, L] signal, [T, F] sequence, [T] token ids)",
    (Param("shape", SHAPE, help="Per-sample shape, e.g. [1, 28, 28].", starter=(1, 28, 28)),
     Param("dtype", CHOICE, "float32", "float32 for numbers, int64 for token ids.", choices=("float32", "int64"))),
    _input, None, min_inputs=0, max_inputs=0,
    receptive=lambda ins, p: SOURCE if p["dtype"] != "int64" and len(p["shape"]) in (2, 3, 4) else None)


def need_float(label, node_id, x: Tensor):
    if x.dtype == "int64":
        raise ShapeError(f"{label} '{node_id}' needs float values, but gets token ids (int64); "
                         "put an Embedding in front to turn ids into vectors.",
                         (Fix("Insert Embedding", "insert_before", "Embedding",
                              {"num_embeddings": 256, "embedding_dim": 32}),))


def _linear(node_id, ins, p):
    x = ins[0]
    label = "Dense (Linear)"
    need_float(label, node_id, x)
    f, out = x.shape[-1], p["out_features"]
    warnings, fixes = [], []
    if len(x.shape) >= 2:
        if len(x.shape) == 3:
            warnings.append(f"{label} '{node_id}' meets an image {fmt_shape(x.shape)}: it acts on the last "
                            f"axis only ({f} values), giving {fmt_shape(x.shape[:-1] + (out,))}. Insert Flatten "
                            f"before it to connect all {prod(x.shape):,} values.")
        elif x.layout != "sequence":
            warnings.append(f"{label} '{node_id}' gets {len(x.shape)} axes {fmt_shape(x.shape)} and acts on the "
                            f"last one only, once per position. If you meant one vector per sample, insert "
                            "Flatten before it.")
        if warnings:
            fixes.append(Fix("Insert Flatten", "insert_before", "Flatten"))
    bias = out if p["bias"] else 0
    params = f * out + bias
    shape = x.shape[:-1] + (out,)
    return BlockOut(Tensor(shape, layout="vector" if len(shape) == 1 else x.layout), params=params,
                    macs=prod(shape) * f,
                    formula=lambda: [f"out = {fmt_shape(shape)} (last axis {f} → {out})",
                                     f"params = {f}·{out}" + (f" + {out}" if bias else "") + f" = {params:,}"],
                    warnings=warnings, fixes=fixes)


LINEAR = BlockSpec(
    "Linear", "Dense (Linear)", "Dense",
    "Fully connected: every output is a weighted sum of all inputs (Keras calls it Dense).",
    "[..., F] → [..., out_features]  (acts on the last axis)",
    (Param("out_features", INT, help="Number of outputs (units).", min=1, max=1 << 20, starter=10),
     Param("bias", BOOL, True, "Learn one offset per output.")),
    _linear, lambda ins, p: Module("nn.Linear", (ins[0].shape[-1], p["out_features"]), {"bias": p["bias"]},
                                   {"bias": True}),
    learnable=True, size_param="out_features")


def _embedding(node_id, ins, p):
    x = ins[0]
    n, dim = p["num_embeddings"], p["embedding_dim"]
    if x.dtype != "int64":
        raise ShapeError(f"Embedding '{node_id}' needs token ids (an Input with dtype int64), but gets float "
                         f"values {fmt_shape(x.shape)}; set the Input's dtype to int64.")
    shape = x.shape + (dim,)
    return BlockOut(Tensor(shape, layout="sequence" if len(x.shape) == 1 else None), params=n * dim,
                    formula=lambda: [f"out = {fmt_shape(x.shape)} ids → {fmt_shape(shape)}",
                                     f"params = {n}·{dim} = {n * dim:,}"])


EMBEDDING = BlockSpec(
    "Embedding", "Embedding", "Dense", "Turns each token id into a learned vector.",
    "[T] int64 → [T, embedding_dim]",
    (Param("num_embeddings", INT, help="Vocabulary size: ids go from 0 to this − 1.", min=1, max=1 << 24,
           starter=256),
     Param("embedding_dim", INT, help="Length of each token's vector.", min=1, max=1 << 16,
           starter=32)),
    _embedding, lambda ins, p: Module("nn.Embedding", (p["num_embeddings"], p["embedding_dim"])),
    accepts_int=True, learnable=True, vocabulary="num_embeddings")


def _flatten(node_id, ins, p):
    x = ins[0]
    n = prod(x.shape)
    return BlockOut(Tensor((n,), x.dtype, "vector"),
                    formula=lambda: [f"out = {' · '.join(map(str, x.shape))} = {n:,}" if len(x.shape) > 1 else f"out = {n}"])


FLATTEN = BlockSpec("Flatten", "Flatten", "Reshape and merge",
                    "Lays all values of a sample out in one vector, e.g. before a Dense layer.",
                    "any → [product of sizes]", (), _flatten, lambda ins, p: Module("nn.Flatten"),
                    accepts_int=True)


def _reshape(node_id, ins, p):
    x = ins[0]
    target = list(p["shape"])
    n = prod(x.shape)
    if not target:
        raise ShapeError(f"Reshape '{node_id}': shape is empty; give the per-sample shape, e.g. [{n}].")
    if target.count(-1) > 1:
        raise ShapeError(f"Reshape '{node_id}': shape {target} has more than one -1; only one size can be inferred.")
    if any(s == 0 or s < -1 for s in target):
        raise ShapeError(f"Reshape '{node_id}': shape {target} has a size below 1; sizes must be ≥ 1 (or one -1).")
    known = prod(s for s in target if s != -1)
    if -1 in target:
        if n % known:
            raise ShapeError(f"Reshape '{node_id}': {n:,} values ({fmt_shape(x.shape)}) cannot be split into "
                             f"{target}: {n:,} is not a multiple of {known:,}.")
        target[target.index(-1)] = n // known
    elif known != n:
        raise ShapeError(f"Reshape '{node_id}': the input has {n:,} values ({fmt_shape(x.shape)}) but shape "
                         f"{list(p['shape'])} holds {known:,}; the sizes must multiply to {n:,}.")
    shape = tuple(target)
    return BlockOut(Tensor(shape, x.dtype, LAYOUT_BY_RANK.get(len(shape)) if x.dtype != "int64" else None),
                    formula=lambda: [f"{fmt_shape(x.shape)} ({n:,} values) → {fmt_shape(shape)}"])


RESHAPE = BlockSpec("Reshape", "Reshape", "Reshape and merge",
                    "Gives the same values a new per-sample shape (one size may be -1 = inferred).",
                    "any → shape (same number of values)",
                    (Param("shape", SHAPE, help="New per-sample shape; one -1 is inferred.", starter=(-1,)),),
                    _reshape, lambda ins, p: Module("Reshape", (list(p["shape"]),)), accepts_int=True)


def _permute(node_id, ins, p):
    x = ins[0]
    r = len(x.shape)
    dims = list(p["dims"])
    norm = [d + r if d < 0 else d for d in dims]
    if len(dims) != r or sorted(norm) != list(range(r)):
        raise ShapeError(f"Permute '{node_id}': dims {dims} must list each of the {r} per-sample axes "
                         f"0…{r - 1} once (input {fmt_shape(x.shape)}); e.g. "
                         f"{list(reversed(range(r)))} reverses them.")
    shape = tuple(x.shape[d] for d in norm)
    layout = x.layout
    if r == 2 and norm == [1, 0]:
        layout = {"sequence": "signal", "signal": "sequence"}.get(x.layout)
    elif r == 3 and x.layout == "image":
        layout = None
    return BlockOut(Tensor(shape, x.dtype, layout),
                    formula=lambda: [f"{fmt_shape(x.shape)} → axes {norm} → {fmt_shape(shape)}"])


def _permute_dims(ins, p) -> list[int]:
    r = len(ins[0].shape)
    return [d + r if d < 0 else d for d in p["dims"]]


PERMUTE = BlockSpec("Permute", "Permute", "Reshape and merge",
                    "Reorders the axes, e.g. [C, L] → [L, C] to feed a Conv1d's output to an LSTM.",
                    "reorders axes: [C, H, W] with [2, 0, 1] → [W, C, H]",
                    (Param("dims", DIMS, help="New order of the per-sample axes.", starter=(1, 0)),),
                    _permute, lambda ins, p: Module("Permute", (_permute_dims(ins, p),)), accepts_int=True)

SPECS = [INPUT, LINEAR, EMBEDDING, FLATTEN, RESHAPE, PERMUTE]
