"""Network → one standalone training script (`python main.py export NET.json --script train.py`).

The script holds the exported `class Net` (engine/core/codegen.py), the data of the network's `training`
object (generated sets built inside the script; files read from `--data PATH`), the optimizer and
settings, a checkpoint every epoch that a rerun resumes from, and a metrics CSV. It runs as
`python train.py` and as `torchrun --nproc_per_node=N train.py` (DistributedDataParallel, NCCL on
GPUs, Gloo on CPUs; rank 0 logs and writes). Its functions are copied from engine/runtime/script_parts.py;
every value from the network file enters the script through repr() of a checked value, and the
script is compiled (never run) before it is returned.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from engine.core.codegen import ExportError, export_code
from engine.core.blocks.spec import LOG_PROBABILITIES
from engine.core.graph import Network
from engine.core.shapes import infer_shapes
from engine.core.training_object import DEFAULTS
from engine.core.training_object import training_of as file_training

PARTS = Path(__file__).with_name("script_parts.py")
DATASETS = Path(__file__).resolve().parents[1] / "data"
BASE = ("CLASSIFICATION,REGRESSION,TEXT", "DataError", "InputSpec", "Dataset", "need_float_input")
TEXT_CODE = ("files.py", ("text_dataset",))    # every script reads text: files (and shakespeare) with it
FILES = Path(__file__).resolve().parents[1] / "core" / "files.py"
ATOMIC_WRITE = ("TMP_SUFFIX", "STALE_AFTER_S", "_LEGACY_AFTER_S", "atomic_write", "remove_stale_temporaries",
                "_mode_for", "_chmod", "_running", "_sync_folder", "_unlink")     # the app's one atomic write
FILE_KINDS = ("npz:", "csv:", "text:")
SETTINGS = tuple(k for k in DEFAULTS if k != "dataset")     # the script's SETTINGS (DATASET is its own line)
FUNCTIONS = ("read_idx", "load_idx_folder", "load_data", "split", "pick_device", "make_optimizer", "loss_of",
             "correct", "parameters_digest", "save_atomic", "parse_args", "evaluate", "main")
IMPORTS = ["from __future__ import annotations", "", "import argparse", "import csv", "import datetime", "import gzip",
           "import hashlib", "import os", "import re", "import secrets", "import stat", "import struct", "import time",
           "from collections.abc import Callable", "from dataclasses import dataclass, field", "from pathlib import Path",
           "from typing import BinaryIO", "", "import numpy as np", "import torch",
           "import torch.distributed as dist", "import torch.nn.functional as F", "from torch import nn"]


class ScriptUnusable(ExportError):
    """The script cannot be made for this network's data or inputs (not an error of the network)."""


def training_of(net: Network) -> dict:
    """The network's `training` object (spec §1) as checked by engine/core/training_object.py, with the
    defaults for what it leaves out (a value the checks refuse never reaches the script)."""
    return {**DEFAULTS, **file_training(net)}


def _segments(path: Path, names) -> dict[str, str]:
    """The source of the named top-level functions, classes (with their decorators) and constants of a file."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Tuple) for t in node.targets):
            name = ",".join(e.id for e in node.targets[0].elts if isinstance(e, ast.Name))
        else:
            continue
        if name in names:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            found[name] = "\n".join(lines[first - 1:node.end_lineno])
    return found


@lru_cache(maxsize=1)
def _functions() -> dict[str, str]:
    return _segments(PARTS, FUNCTIONS)


def data_sources(dataset: str) -> list[str]:
    """The engine's own code the script needs for its data: the Dataset it returns, the generator of a
    generated set (what its registry entry copies) and the text reader."""
    from engine.data.registry import GENERATED, SETS
    named = SETS.get(dataset)
    code = [(f"{named.module}.py", named.copies)] if named is not None and named.kind == GENERATED else []
    parts = [_segments(DATASETS / "base.py", BASE)[n] for n in BASE]
    for file, names in code + [TEXT_CODE]:
        seg = _segments(DATASETS / file, names)
        parts += [seg[n] for n in names]
    return parts


def model_section(net: Network) -> str:
    """The exported file's helper classes and `class Net`, without its docstring, imports and __main__."""
    code = export_code(net)
    tree = ast.parse(code)
    parts = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue                                                  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.If):                                  # if __name__ == "__main__":
            continue
        parts.append(ast.get_source_segment(code, node))
    return "\n\n\n".join(parts)


def _dataset(net: Network, spec: str) -> tuple[str, str | None]:
    """(DATASET, DATA_PATH) for the script, or ExportError when the script cannot get that data."""
    from engine.data import DataError, input_spec
    from engine.data.registry import GENERATED, SETS, and_list
    spec = spec.strip()
    name = spec.lower()
    named = SETS.get(name)
    if named is not None and named.kind == GENERATED:
        try:
            named.load(input_spec(net), n=4, seed=0)       # the engine's own check of the Input's shape
        except DataError as e:
            raise ScriptUnusable(str(e)) from None
        return name, None
    if named is not None and named.script_reads is not None:
        return named.script_reads
    if name.startswith(FILE_KINDS):
        kind, _, path = spec.partition(":")
        return kind.lower(), path or None
    made = [s.name for s in SETS.values() if s.kind == GENERATED]
    read = [s.name for s in SETS.values() if s.kind != GENERATED and s.script_reads is not None]
    raise ScriptUnusable(f"The training script generates {and_list(made)}, and reads {', '.join(read)} and "
                         f"text:, npz: or csv: files; this network trains on {spec!r}. Choose one of those in the "
                         f"training settings to export a script.")


def _generator(dataset: str) -> str:
    """The name of the generated set's maker in the script (copied there by data_sources), or 'None'."""
    from engine.data.registry import GENERATED, SETS
    named = SETS.get(dataset)
    return named.function if named is not None and named.kind == GENERATED else "None"


def _idx_norm() -> dict:
    from engine.data.remote import IDX_SETS
    return {name: (entry["norm"][0][0], entry["norm"][1][0]) for name, entry in IDX_SETS.items()}


def _plain(text: str) -> str:
    """A name for the script's docstring: printable, no quotes or backslashes, one line."""
    return "".join(c for c in text if c.isprintable() and c not in "\"\\'")[:120] or "Untitled"


def export_script(net: Network, source: str | None = None) -> str:
    """The training script's source. Raises ExportError when the network or its data cannot be exported."""
    results = infer_shapes(net)
    inputs = net.input_nodes()
    if len(inputs) != 1:
        raise ScriptUnusable(f"The training script feeds one Input, but this network has {len(inputs)}.")
    model = model_section(net)          # raises ExportError for a network with errors
    training = training_of(net)
    dataset, data_path = _dataset(net, training["dataset"])
    settings = {k: training[k] for k in SETTINGS}
    inp = results[inputs[0]]
    output_is = net.nodes[net.output_node()].spec.output_is
    functions = _functions()
    name = _plain(net.name or "Untitled")
    lines = [f'"""{name}: a training script exported from Netwright'
             + (f" ({_plain(source)})" if source else "") + ". Needs torch and numpy.",
             "",
             "One process:    python train.py [--epochs N] [--batch-size B] [--lr LR] [--out DIR] [--data PATH]",
             "Many processes: torchrun --nproc_per_node=N train.py [the same options]",
             "                (DistributedDataParallel: NCCL on GPUs, Gloo on CPUs; rank 0 logs and writes)",
             "",
             "Each epoch writes DIR/checkpoint.pt and a row of DIR/metrics.csv (DIR is --out, default run);",
             "running again with the same DIR resumes from the checkpoint. --batch-size is the batch over all",
             "processes, so one process and N processes take the same steps.",
             '"""']
    lines += IMPORTS + ["", ""]
    lines += [model, "", ""]
    lines += [f"DATASET = {dataset!r}",
              f"DATA_PATH = {data_path!r}   # for data sets read from a file or folder; --data overrides it",
              f"INPUT_SHAPE = {tuple(inp.shape)!r}",
              f"INPUT_DTYPE = {inp.dtype!r}",
              f"LOG_SOFTMAX_OUTPUT = {output_is == LOG_PROBABILITIES!r}",
              f"SETTINGS = {settings!r}",
              f"IDX_NORM = {_idx_norm()!r}   # mean and std of the IDX image sets", "", ""]
    lines += ["# ---- the data: Netwright's own code (engine/data), copied ----", "", ""]
    for part in data_sources(dataset):
        lines += [part, "", ""]
    lines += [f"GENERATE = {_generator(dataset)}   # the built-in data set's generator, if any", "", ""]
    lines += ["# ---- writing files: Netwright's own atomic write (engine/core/files.py), copied ----", "", ""]
    files = _segments(FILES, ATOMIC_WRITE)
    constants = [n for n in ATOMIC_WRITE if n.lstrip("_").isupper()]
    lines += ["\n".join(files[n] for n in constants), "", ""]
    lines += [x for n in ATOMIC_WRITE if n not in constants for x in (files[n], "", "")]
    lines += ["# ---- training ----", "", ""]
    for fn in FUNCTIONS:
        lines += [functions[fn], "", ""]
    lines += ['if __name__ == "__main__":', "    main()", ""]
    script = "\n".join(lines)
    try:
        compile(script, "train.py", "exec")          # checked, never run here
    except SyntaxError as e:
        raise ScriptUnusable(f"internal error: the training script does not compile ({e.msg}, line {e.lineno}); "
                          "please report it with the network file.") from None
    return script
