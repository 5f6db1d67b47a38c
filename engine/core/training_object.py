"""The `training` object of a network file (spec §1): the run a network is meant for, so that opening
it (an example above all) brings its data. Every key is optional:

    {"dataset": "shakespeare", "epochs": 5, "batch_size": 64, "lr": 0.001, "optimizer": "adam",
     "weight_decay": 0.0, "val_split": 0.1, "seed": 0}

A file's values are checked like everything else in it: a wrong type or a value out of range is
refused with a sentence that names the key, the value and what is allowed. `dataset` is a named set
(`shapes`, `mnist`, `shakespeare`, …) or `KIND:PATH`; a relative PATH is relative to the network file.
Unknown keys inside the object are kept (a newer Netwright may add some).
"""
from __future__ import annotations

import math
from pathlib import Path

from .blocks.checks import excerpt
from .dataset_names import NAMES

OPTIMIZERS = ("adam", "adamw", "sgd")
FILE_KINDS = ("npz", "csv", "folder", "text")
DEFAULTS = {"dataset": "shapes", "epochs": 5, "batch_size": 64, "lr": 1e-3, "optimizer": "adam",
            "weight_decay": 0.0, "val_split": 0.1, "seed": 0}
# key → (kind, lowest, highest); the ranges are the training panel's and the command line's
RANGES = {"epochs": ("int", 1, 10_000), "batch_size": ("int", 1, 65_536), "lr": ("float", 1e-6, 10.0),
          "weight_decay": ("float", 0.0, 1.0), "val_split": ("float", 0.0, 0.9), "seed": ("int", 0, 2 ** 31 - 1)}
MAX_SPEC = 1000


def training_problem(value) -> str | None:
    """Why a file's `training` value cannot be used, or None."""
    if not isinstance(value, dict):
        return f"'training' must be an object such as {{\"dataset\": \"shapes\", \"epochs\": 5}}, not {excerpt(value)}."
    for key, (kind, low, high) in RANGES.items():
        if key not in value:
            continue
        v = value[key]
        ok_type = isinstance(v, int) if kind == "int" else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type or (isinstance(v, float) and not math.isfinite(v)):
            return f"training.{key} must be {'a whole number' if kind == 'int' else 'a number'}, not {excerpt(v)}."
        if not low <= v <= high:
            return f"training.{key} is {excerpt(v)}, but it must be from {low:g} to {high:g}."
    if "optimizer" in value and value["optimizer"] not in OPTIMIZERS:
        return f"training.optimizer is {excerpt(value['optimizer'])}; use one of {', '.join(OPTIMIZERS)}."
    if "dataset" in value:
        return dataset_problem(value["dataset"])
    return None


def dataset_problem(spec) -> str | None:
    if not isinstance(spec, str) or not spec.strip():
        return f"training.dataset must be the name of a data set or KIND:PATH, not {excerpt(spec)}."
    if len(spec) > MAX_SPEC or any(ord(ch) < 32 for ch in spec):
        return f"training.dataset {excerpt(spec)} is not a data set name or a file path (too long, or control characters)."
    kind, colon, path = spec.partition(":")
    if not colon:
        if spec not in NAMES:
            return f"training.dataset {excerpt(spec)} is not a known data set; use one of {', '.join(NAMES)}, " \
                   f"or {', '.join(k + ':PATH' for k in FILE_KINDS)}."
        return None
    if kind not in FILE_KINDS or not path.strip():
        return f"training.dataset {excerpt(spec)} must be a named data set or one of " \
               f"{', '.join(k + ':PATH' for k in FILE_KINDS)}."
    if "://" in path:
        return f"training.dataset {excerpt(spec)} names a web address; the data must be a file on this machine."
    return None


def training_of(net, base_dir=None) -> dict:
    """The network's `training` settings (only the keys it gives), with a relative file path made
    relative to `base_dir` (the network file's folder). The file's loader has checked them."""
    value = net.extra.get("training")
    if not isinstance(value, dict) or training_problem(value):
        return {}
    out = {k: value[k] for k in DEFAULTS if k in value}
    if "dataset" in out and base_dir is not None:
        out["dataset"] = resolve(out["dataset"], base_dir)
    return out


def resolve(spec: str, base_dir) -> str:
    kind, colon, path = spec.partition(":")
    if colon and path and not Path(path).expanduser().is_absolute():
        return f"{kind}:{(Path(base_dir) / path).resolve()}"
    return spec


def relative(spec: str, base_dir) -> str:
    """A file data set's path relative to the network file's folder when it lies inside it."""
    kind, colon, path = spec.partition(":")
    if colon and path and base_dir is not None:
        try:
            return f"{kind}:{Path(path).resolve().relative_to(Path(base_dir).resolve()).as_posix()}"
        except ValueError:
            pass
    return spec


def set_training(net, settings: dict, base_dir=None) -> None:
    """Write what the user chose back into the network (saved with it); unknown keys the file had stay."""
    old = net.extra.get("training") if isinstance(net.extra.get("training"), dict) else {}
    new = dict(old)
    for key in DEFAULTS:
        if settings.get(key) is not None:
            new[key] = relative(settings[key], base_dir) if key == "dataset" else settings[key]
    if training_problem(new) is None:
        net.extra["training"] = new


def fill_from_network(ns, net, base_dir=None) -> None:
    """Command-line options left out (None) take the network's `training` value, else the default."""
    training = training_of(net, base_dir)
    for key, default in DEFAULTS.items():
        if getattr(ns, key, None) is None:
            setattr(ns, key, training.get(key, default))
