"""Network → one standalone training script (`python main.py export NET.json --script train.py`).

The script holds the exported `class Net` (engine/export.py), the data of the network's `training`
object (generated sets built inside the script; files read from `--data PATH`), the optimizer and
settings, a checkpoint every epoch that a rerun resumes from, and a metrics CSV. It runs as
`python train.py` and as `torchrun --nproc_per_node=N train.py` (DistributedDataParallel, NCCL on
GPUs, Gloo on CPUs; rank 0 logs and writes). Its functions are copied from engine/script_parts.py;
every value from the network file enters the script through repr() of a checked value, and the
script is compiled (never run) before it is returned.
"""
from __future__ import annotations

import ast
import math
from functools import lru_cache
from pathlib import Path

from .export import ExportError, export_code
from .graph import Network
from .shapes import infer_shapes

PARTS = Path(__file__).with_name("script_parts.py")
GENERATED = Path(__file__).parent / "datasets" / "generated.py"
GENERATED_SETS = ("shapes", "sine", "recall")
FOLDER_SETS = ("mnist", "fashion-mnist")
FILE_KINDS = ("npz:", "csv:")
DEFAULTS = {"epochs": 5, "batch_size": 64, "lr": 0.001, "optimizer": "adam", "weight_decay": 0.0,
            "val_split": 0.1, "seed": 0}
FUNCTIONS = ("masks", "make_shapes", "make_sine", "make_recall", "read_idx", "load_idx_folder", "load_data", "split",
             "pick_device", "make_optimizer", "loss_of", "parameters_digest", "save_atomic", "parse_args",
             "evaluate", "main")
IMPORTS = ["import argparse", "import csv", "import datetime", "import gzip", "import hashlib", "import os",
           "import struct", "import time", "from pathlib import Path", "", "import numpy as np", "import torch",
           "import torch.distributed as dist", "import torch.nn.functional as F", "from torch import nn"]


def training_of(net: Network) -> dict:
    """The network's `training` object (spec §1) with every value checked: what is missing or not
    usable takes the default (a file's values never reach the script unchecked)."""
    raw = net.extra.get("training") if isinstance(getattr(net, "extra", None), dict) else None
    raw = raw if isinstance(raw, dict) else {}
    out = dict(DEFAULTS)

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    for key in ("epochs", "batch_size"):
        v = raw.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1_000_000:
            out[key] = v
    if number(raw.get("lr")) and raw["lr"] > 0:
        out["lr"] = float(raw["lr"])
    if number(raw.get("weight_decay")) and raw["weight_decay"] >= 0:
        out["weight_decay"] = float(raw["weight_decay"])
    if number(raw.get("val_split")) and 0 <= raw["val_split"] < 1:
        out["val_split"] = float(raw["val_split"])
    if isinstance(raw.get("seed"), int) and not isinstance(raw.get("seed"), bool) and 0 <= raw["seed"] < 2 ** 32:
        out["seed"] = raw["seed"]
    if raw.get("optimizer") in ("adam", "adamw", "sgd"):
        out["optimizer"] = raw["optimizer"]
    dataset = raw.get("dataset")
    out["dataset"] = dataset if isinstance(dataset, str) and dataset.strip() else "shapes"
    return out


@lru_cache(maxsize=1)
def _functions() -> dict[str, str]:
    found = {}
    for path in (GENERATED, PARTS):
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
                found[node.name] = ast.get_source_segment(text, node)
    return found


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
    from .datasets import DataError, input_spec
    from .datasets import generated, sequences
    spec = spec.strip()
    name = spec.lower()
    if name in GENERATED_SETS:
        maker = {"shapes": generated.make_shapes, "sine": sequences.make_sine, "recall": sequences.make_recall}[name]
        try:
            maker(input_spec(net), n=4, seed=0)       # the engine's own check of the Input's shape
        except DataError as e:
            raise ExportError(str(e)) from None
        return name, None
    if name in FOLDER_SETS:
        return name, None
    if name.startswith(FILE_KINDS):
        return name[:4], spec[4:] or None
    raise ExportError(f"The training script generates shapes, sine and recall, and reads mnist and fashion-mnist "
                      f"(IDX files) and npz: or csv: files; this network trains on {spec!r}. Choose one of those in "
                      "the training settings to export a script.")


def _idx_norm() -> dict:
    from .datasets.remote import IDX_SETS
    return {name: (IDX_SETS[name]["norm"][0][0], IDX_SETS[name]["norm"][1][0]) for name in FOLDER_SETS}


def _plain(text: str) -> str:
    """A name for the script's docstring: printable, no quotes or backslashes, one line."""
    return "".join(c for c in text if c.isprintable() and c not in "\"\\'")[:120] or "Untitled"


def export_script(net: Network, source: str | None = None) -> str:
    """The training script's source. Raises ExportError when the network or its data cannot be exported."""
    results = infer_shapes(net)
    inputs = net.input_nodes()
    if len(inputs) != 1:
        raise ExportError(f"The training script feeds one Input, but this network has {len(inputs)}.")
    model = model_section(net)          # raises ExportError for a network with errors
    training = training_of(net)
    dataset, data_path = _dataset(net, training["dataset"])
    settings = {k: training[k] for k in DEFAULTS}
    inp = results[inputs[0]]
    output_type = net.nodes[net.output_node()].type
    from .datasets.generated import DEFAULT_SAMPLES
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
    lines += [f"NETWORK_NAME = {net.name or 'Untitled'!r}",
              f"DATASET = {dataset!r}",
              f"DATA_PATH = {data_path!r}   # for data sets read from a file or folder; --data overrides it",
              f"INPUT_SHAPE = {tuple(inp.shape)!r}",
              f"INPUT_DTYPE = {inp.dtype!r}",
              f"LOG_SOFTMAX_OUTPUT = {output_type == 'LogSoftmax'!r}",
              f"SETTINGS = {settings!r}",
              f"SAMPLES = {DEFAULT_SAMPLES!r}   # samples of a generated data set",
              f"IDX_NORM = {_idx_norm()!r}   # mean and std of the IDX image sets", "", ""]
    for fn in FUNCTIONS:
        lines += [functions[fn], "", ""]
    lines += ['if __name__ == "__main__":', "    main()", ""]
    script = "\n".join(lines)
    try:
        compile(script, "train.py", "exec")          # checked, never run here
    except SyntaxError as e:
        raise ExportError(f"internal error: the training script does not compile ({e.msg}, line {e.lineno}); "
                          "please report it with the network file.") from None
    return script
