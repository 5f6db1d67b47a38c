"""A training run's folder: manifest.json, metrics.csv (one row per epoch) and checkpoint.pt.

Every write is atomic (engine/core/files.py: a temporary file in the same folder, then os.replace), so a
crash or a kill during a save leaves the previous checkpoint intact.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
import time
from pathlib import Path

from engine.core.files import atomic_write, atomic_write_text
from engine.core.serialization import network_to_dict

METRIC_COLUMNS = ("epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                  "samples_per_sec")
CHECKPOINT = "checkpoint.pt"


def file_digest(network_dict: dict) -> str:
    """sha256 of the network file's canonical JSON (sorted keys, no spaces): the manifest's "network_hash",
    which changes with any edit (names and positions too). Compare widgets.live_views.structure_key."""
    text = json.dumps(network_dict, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_run_dir(name: str, root="runs") -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "network"
    return Path(root) / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


def versions() -> dict:
    import numpy
    import torch
    from engine import __version__
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "netwright": __version__}


class RunFolder:
    def __init__(self, path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.metrics_path = self.path / "metrics.csv"
        self.checkpoint_path = self.path / CHECKPOINT

    def write_manifest(self, network, dataset: str, seed: int, device: str, settings: dict, extra=None) -> dict:
        net_dict = network if isinstance(network, dict) else network_to_dict(network)
        manifest = {"network_name": net_dict.get("name"), "network_hash": file_digest(net_dict),
                    "dataset": dataset, "seed": seed, "device": device, "versions": versions(),
                    "settings": settings, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **(extra or {})}
        atomic_write_text(self.path / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        return manifest

    def append_metrics(self, row: dict) -> None:
        """Add one epoch's row (rewrites the whole small file atomically)."""
        rows = self.read_metrics()
        rows = [r for r in rows if int(r["epoch"]) < int(row["epoch"])] + [row]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, METRIC_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in METRIC_COLUMNS})
        atomic_write_text(self.metrics_path, buf.getvalue())

    def read_metrics(self) -> list[dict]:
        if not self.metrics_path.exists():
            return []
        with open(self.metrics_path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def save_checkpoint(self, state: dict) -> Path:
        return save_checkpoint(state, self.checkpoint_path)


def save_checkpoint(state: dict, path) -> Path:
    """torch.save to a temporary file beside `path`, then replace it in one step."""
    import torch
    return atomic_write(path, lambda f: torch.save(state, f))


def random_states(device) -> dict:
    """Every random generator's state a resumed run needs (Python, numpy, torch, and the CUDA device's),
    as plain values, so that the checkpoint loads with weights_only=True."""
    import random

    import numpy as np
    import torch
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    rng = {"torch": torch.get_rng_state(),
           "numpy": {"name": name, "keys": keys.tolist(), "pos": pos, "has_gauss": has_gauss, "gauss": gauss},
           "python": [version, list(internal), gauss_next]}
    if device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return rng


def restore_random_states(rng: dict, device) -> None:
    """Put back what random_states saved (numpy's state is a tuple holding an array in older checkpoints)."""
    import random

    import numpy as np
    import torch
    torch.set_rng_state(rng["torch"])
    numpy_state = rng["numpy"]
    if isinstance(numpy_state, dict):
        numpy_state = (numpy_state["name"], np.array(numpy_state["keys"], np.uint32), numpy_state["pos"],
                       numpy_state["has_gauss"], numpy_state["gauss"])
    np.random.set_state(numpy_state)
    version, internal, gauss_next = rng["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in rng and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"], device)


def _numpy_array_globals() -> list:
    """What pickle needs to rebuild a plain numpy array (data only, no code runs): checkpoints from
    before the random states were stored as lists hold numpy's as an array."""
    import numpy as np
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:                 # numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return [_reconstruct, np.ndarray, np.dtype, type(np.dtype(np.uint32))]


def torch_load(path):
    """torch.load(weights_only=True): tensors and plain values only, so reading a file never runs code.
    Older Netwright checkpoints (numpy's random state as an array) are read with numpy arrays allowed too.
    A file that holds code (a pickled class or function weights_only refuses) raises ValueError saying so;
    a damaged file raises pickle.UnpicklingError with torch's reason in one line."""
    import pickle
    import warnings

    import torch
    refused = "unsupported global"        # torch's words for a class or function it does not allow (any case:
    #                                       "Unsupported global: GLOBAL x", "unsupported GLOBAL os.system whose module os is blocked")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Detected pickle protocol")   # torch's note on foreign files
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            if refused not in str(e).lower():
                raise _damaged(e) from None
        try:
            with torch.serialization.safe_globals(_numpy_array_globals()):
                return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            if refused not in str(e).lower():
                raise _damaged(e) from None
            raise ValueError(f"{path} holds code ({_refused_global(str(e))}), so it was refused: it holds Python "
                             f"objects other than weights and numbers, and loading them could run any program; use "
                             f"a checkpoint written by Netwright or a file that holds only a state_dict.") from None


def _refused_global(text: str) -> str:
    """The class or function torch refused, from its message ("Unsupported global: GLOBAL os.system ...")."""
    import re
    found = re.search(r"unsupported global:? GLOBAL ([\w.]+)", text, re.IGNORECASE)
    return f"it asks for {found.group(1)[:80]}" if found else "a pickled class or function"


def _damaged(e: Exception) -> Exception:
    """torch's long weights-only message cut to its reason (e.g. "Unsupported operand 110")."""
    import pickle
    text = str(e)
    reason = text.partition("WeightsUnpickler error:")[2].strip().splitlines()
    return pickle.UnpicklingError((reason[0].strip() if reason else (text.strip().splitlines() or ["?"])[0])[:200])


def load_checkpoint(path) -> dict:
    """A checkpoint written by the trainer; a missing, damaged or unsafe file raises ValueError naming it."""
    import pickle
    import struct
    import zipfile
    path = Path(path)
    if not path.exists():
        raise ValueError(f"The checkpoint {path} does not exist; check the path.")
    if not path.is_file():
        raise ValueError(f"The checkpoint {path} is a folder, not a file; give the checkpoint.pt inside it.")
    try:
        state = torch_load(path)
    except ValueError as e:
        raise ValueError(f"The checkpoint {e}") from None
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, KeyError, TypeError,
            IndexError, struct.error, MemoryError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ValueError(f"The checkpoint {path} is damaged (cut short or not a PyTorch file: {first}); use "
                         f"another checkpoint or train again.") from None
    if not isinstance(state, dict) or "model" not in state or "network" not in state:
        raise ValueError(f"{path} is not a Netwright checkpoint (it has no 'model' and 'network'); to start from "
                         f"other weights, import them with the network they belong to.")
    return state


def weights_mismatch(expected: dict, got, few: int = 3) -> str | None:
    """Why the state_dict `got` does not fit a model whose state_dict is `expected`: the missing,
    unexpected and shape-mismatched keys, a few of each, with the counts; None when it fits."""
    import torch
    if not isinstance(got, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in got.items()):
        return "it holds no state_dict of weights (names and tensors)"

    def name(key: str) -> str:
        return repr(key) if len(key) <= 60 else repr(key[:57] + "…")

    def listed(keys: list[str]) -> str:
        shown = ", ".join(name(k) for k in keys[:few])
        return shown + (f" and {len(keys) - few} more" if len(keys) > few else "")
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    reshaped = [k for k in expected if k in got and tuple(got[k].shape) != tuple(expected[k].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing: {listed(missing)}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected: {listed(unexpected)}")
    if reshaped:
        shown = ", ".join(f"{name(k)} is {list(got[k].shape)} in the checkpoint but {list(expected[k].shape)} here"
                          for k in reshaped[:few])
        parts.append(f"{len(reshaped)} of another shape: {shown}" + (f" and {len(reshaped) - few} more"
                                                                     if len(reshaped) > few else ""))
    return "; ".join(parts) or None


def check_run_folder(path) -> str | None:
    """Why `path` cannot become a run folder (a sentence), or None; creates nothing and leaves nothing."""
    import os
    import tempfile
    target = Path(path)
    if target.exists() and not target.is_dir():
        return f"The run folder {target} is a file, not a folder; give --out a folder (a new name is created)."
    probe = target
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return f"The run folder {target} cannot be created: {probe} is a file, not a folder."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".netwright-probe-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        return f"The run folder {target} cannot be written ({e.strerror or e} in {probe}); choose another --out."
    return None
