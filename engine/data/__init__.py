"""Data sets behind one interface: `prepare(spec, net)` loads the data named by `spec`, shaped for the
network's Input, and checks it against the network's output before any training starts.

Specs: a named set of registry.py (`shapes`, the default, `sine`, `recall`, `waves`, `clips`: generated;
`mnist`, `fashion-mnist`, `cifar10`: downloaded once, or read from `data_dir`; `shakespeare`), or
`npz:PATH`, `csv:PATH`, `folder:PATH`, `text:PATH`. Every problem is a `DataError` whose message
names the file or block, the rule and the numbers, and suggests a fix.
"""
from __future__ import annotations

from engine.core.blocks.spec import PROBABILITIES
from engine.core.graph import Network
from .base import (
    CLASSIFICATION,
    REGRESSION,
    TEXT,
    DataError,
    Dataset,
    InputSpec,
    non_finite,
)
from .registry import DOWNLOAD, GENERATED, SETS

BUILT_IN = {s.name: s.description for s in SETS.values()}     # name → what it is, in the table's order
FILE_KINDS = ("npz", "csv", "folder", "text")


def input_spec(net: Network) -> InputSpec:
    """The network's single Input, with its shape and dtype; several Inputs or none is a DataError."""
    from engine.core.shapes import infer_node
    inputs = net.input_nodes()
    if len(inputs) != 1:
        raise DataError(f"Training needs a network with exactly one Input block; this one has {len(inputs)}"
                        + (f" ({', '.join(inputs)})" if inputs else "") + ".")
    r = infer_node(net.nodes[inputs[0]], [], [])    # an Input's shape depends on nothing else (the app asks on every edit)
    if r.shape is None:
        raise DataError(r.error or f"Input '{inputs[0]}' has no valid shape.")
    return InputSpec(inputs[0], tuple(r.shape), r.dtype)


def load_dataset(spec: str, inp: InputSpec, data_dir=None, seed: int = 0, base_url=None, progress=None) -> Dataset:
    """Load the data named by `spec`, shaped for `inp` (see the module docstring)."""
    from . import files
    spec = (spec or "shapes").strip()
    if "\x00" in spec:
        raise DataError(f"The data set {spec[:60]!r} holds a NUL character, which no file name can hold.")
    named = SETS.get(spec)
    if named is not None:
        if data_dir is not None and named.kind == DOWNLOAD:      # only they read it
            _check_data_dir(data_dir)
        return named.load(inp, data_dir, seed, base_url, progress)
    kind, colon, path = spec.partition(":")
    if colon and kind in FILE_KINDS and not path.strip():
        raise DataError(f"'{spec}' names no file; give the path after the colon, e.g. {kind}:data.{kind}"
                        + ("" if kind != "folder" else " (a folder)") + ".")
    if path:
        loader = {"npz": files.load_npz, "csv": files.load_csv, "folder": files.load_folder,
                  "text": files.load_text}.get(kind)
        if loader is None:
            raise DataError(f"Unknown data set kind '{kind}:' in '{spec}'; use one of "
                            f"{', '.join(k + ':PATH' for k in FILE_KINDS)}.")
        return loader(path, inp)
    raise DataError(f"Unknown data set '{spec}'; use one of {', '.join(BUILT_IN)}, or "
                    f"{', '.join(k + ':PATH' for k in FILE_KINDS)}.")


def _check_data_dir(data_dir) -> None:
    from pathlib import Path
    folder = Path(data_dir)
    if "\x00" in str(data_dir) or not folder.exists():
        raise DataError(f"The data folder {str(data_dir)[:200]} does not exist; check --data-dir.")
    if not folder.is_dir():
        raise DataError(f"The data folder {folder} is a file; --data-dir takes the folder that holds the data set's "
                        f"files.")


def _sizing_block(net: Network, results: dict, node_id: str) -> str | None:
    """The block that decides the output's last size by a parameter (a Dense's out_features, BlockSpec.size_param): the output itself or the nearest one
    above it through blocks that keep that size (activations, dropout, softmax, norms); None when
    another block (an LSTM's hidden_size, a Flatten, a convolution) sets it. `results`: the
    network's inferred shapes."""
    seen = node_id
    while seen is not None:
        node = net.nodes[seen]
        if node.spec.size_param:
            return seen
        srcs = net.inputs_of(seen)
        if len(srcs) != 1 or net.nodes[srcs[0]].spec.source:
            return None
        out, inp = results[seen].shape, results[srcs[0]].shape
        if not out or not inp or out[-1] != inp[-1]:      # this block sets the size itself
            return None
        seen = srcs[0]
    return None


def _size_advice(net: Network, results: dict, out_id: str, want: int, what: str) -> str:
    block = _sizing_block(net, results, out_id)
    if block is not None:
        name = net.nodes[block].spec.size_param
        return f"set its {name} to {want}" if block == out_id else f"set {name} of '{block}' to {want}"
    return f"end the network with a Dense (Linear) block of {want} {what}"


def _check_token_ids(ds: Dataset, net: Network) -> None:
    """Every token id must have a row in each Embedding the Input feeds (else torch stops mid-training)."""
    embeddings = _vocabulary_blocks(net)
    if not embeddings or not ds.x.size or ds.x.dtype.kind not in "iu":
        return
    low, high = int(ds.x.min()), int(ds.x.max())
    if low < 0:
        raise DataError(f"{ds.name} has the token id {low}, but Embedding '{embeddings[0]}' takes ids from 0 up; "
                        f"shift the ids so the smallest is 0.")
    for emb in embeddings:
        name = net.nodes[emb].spec.vocabulary
        size = net.nodes[emb].params.get(name, 0)
        if high >= size:
            raise DataError(f"{ds.name} has token ids up to {high} but Embedding '{emb}' holds {size} "
                            f"(ids 0 to {size - 1}); set {name} to at least {high + 1}.")


def _vocabulary_blocks(net: Network) -> list[str]:
    """The blocks right after the Input that look token ids up (an Embedding: BlockSpec.vocabulary)."""
    return [n for n in net.outputs_of(net.input_nodes()[0]) if net.nodes[n].spec.vocabulary]


def check_fit(ds: Dataset, net: Network) -> list[str]:
    """Raise DataError when the network's output does not fit the data; return notes (e.g. advice)."""
    from engine.core.shapes import infer_shapes
    from engine.core.ready import not_ready
    results = infer_shapes(net)
    problem = not_ready(net, results, "trained")
    if problem:
        raise DataError(problem)
    out = net.output_node()
    shape = tuple(results[out].shape)
    label = f"the output block '{out}'"
    notes = []
    if ds.task != TEXT:        # text checks its vocabulary below, with its own words
        _check_token_ids(ds, net)
    if ds.task == CLASSIFICATION:
        k = ds.num_classes
        if len(shape) != 1:
            raise DataError(f"The data has {k} classes, so the network must end in [{k}] scores per sample, but "
                            f"{label} gives {list(shape)}; add Flatten (or set return_sequences to false on the "
                            f"recurrent block) and a Dense block of {k} units.")
        if shape[0] != k:
            raise DataError(f"The data has {k} classes but {label} gives {shape[0]} values; "
                            f"{_size_advice(net, results, out, k, 'units')}.")
        if net.nodes[out].spec.output_is == PROBABILITIES:
            notes.append(f"'{out}' is a Softmax: cross-entropy already applies one, so training is slower; "
                         f"remove it (or use LogSoftmax).")
    elif ds.task == TEXT:
        t, v = ds.sample_shape[0], len(ds.classes or [])
        for emb in _vocabulary_blocks(net):
            name = net.nodes[emb].spec.vocabulary
            size = net.nodes[emb].params.get(name, 0)
            if size < v:
                raise DataError(f"The text has {v} distinct characters but Embedding '{emb}' holds {size}; set its "
                                f"{name} to {v}.")
        if shape != (t, v):
            if len(shape) == 2 and shape[0] == t:
                raise DataError(f"The text has {v} distinct characters but {label} gives {shape[1]} values per "
                                f"step; {_size_advice(net, results, out, v, 'units')}.")
            raise DataError(f"Character-level training needs an output of [{t}, {v}] (a score for each of the {v} "
                            f"characters at each of the {t} steps), but {label} gives {list(shape)}; keep "
                            f"return_sequences on and end with a Dense block of {v} units.")
    else:
        want = ds.target_shape
        if shape != want:
            n = want[-1] if want else 1
            advice = (_size_advice(net, results, out, n, "units") if len(shape) == len(want) == 1
                      else f"make it end in {list(want)}")
            raise DataError(f"The data has targets of shape {list(want)} per sample but {label} gives "
                            f"{list(shape)}; {advice}.")
    return notes


def prepare(spec: str, net: Network, data_dir=None, seed: int = 0, base_url=None, progress=None) -> Dataset:
    """Load `spec` for `net` and check that they fit; the data set's notes say what was adapted."""
    ds = load_dataset(spec, input_spec(net), data_dir, seed, base_url, progress)
    check_usable(ds)
    ds.notes.extend(check_fit(ds, net))
    return ds


def check_usable(ds: Dataset) -> None:
    """Raise DataError for data nothing can be trained on, whatever the network: no samples, NaN or
    infinite values, a single class."""
    if len(ds) == 0:
        raise DataError(f"{ds.name} holds no samples; training needs at least two.")
    problem = non_finite(ds)
    if problem:
        raise DataError(problem)
    if ds.task == CLASSIFICATION:
        import numpy as np
        labels = np.unique(ds.y)
        if len(labels) < 2:
            hint = (" (if y holds measurements, save it as float values for regression)"
                    if ds.name.lower().endswith(".npz") else "")
            raise DataError(f"{ds.name}: all {len(ds):,} samples have the label {labels[0]}, so there is nothing to "
                            f"tell apart; classification needs at least two classes{hint}.")


def preview(spec: str, inp: InputSpec, data_dir=None, n: int = 8, seed: int = 0) -> tuple[str, list, str]:
    """(kind, [(sample, label)], description) for a few samples, cheaply: generated sets make only
    these; downloadable sets are shown only once they are on disk (nothing is downloaded here)."""
    from .download import cache_dir
    from . import remote
    spec = (spec or "shapes").strip()
    named = SETS.get(spec)
    if named is not None and named.kind == GENERATED:
        ds = named.load(inp, seed=seed, n=max(n, 10))
        return ds.kind, ds.examples(n), named.description
    if named is not None and named.kind == DOWNLOAD and data_dir is None and not remote.is_cached(spec):
        raise DataError(f"{spec} is downloaded into {cache_dir() / spec} when training starts; the preview shows "
                        f"once it is there.")
    ds = load_dataset(spec, inp, data_dir, seed)
    return ds.kind, ds.examples(n), ds.describe()


__all__ = ["BUILT_IN", "CLASSIFICATION", "REGRESSION", "TEXT", "DataError", "Dataset", "InputSpec", "check_fit",
           "check_usable", "input_spec", "load_dataset", "non_finite", "prepare", "preview"]
