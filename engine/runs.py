"""A training run's folder: manifest.json, metrics.csv (one row per epoch) and checkpoint.pt.

Every write is atomic (engine/files.py: a temporary file in the same folder, then os.replace), so a
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

from .files import atomic_write, atomic_write_text
from .serialization import network_to_dict

METRIC_COLUMNS = ("epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                  "samples_per_sec")
CHECKPOINT = "checkpoint.pt"


def network_hash(network_dict: dict) -> str:
    """sha256 of the network's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(network_dict, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_run_dir(name: str, root="runs") -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "network"
    return Path(root) / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


def versions() -> dict:
    import numpy
    import torch
    from . import __version__
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
        manifest = {"network_name": net_dict.get("name"), "network_hash": network_hash(net_dict),
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
    A file holding anything else raises ValueError saying why it is not read."""
    import pickle
    import torch
    refused = "Unsupported global"        # torch's words for a class or function it does not allow
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if refused not in str(e):
            raise _damaged(e) from None
    try:
        with torch.serialization.safe_globals(_numpy_array_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if refused not in str(e):
            raise _damaged(e) from None
        raise ValueError(f"{path} holds Python objects other than weights and numbers, so it is not read (loading "
                         f"them could run any code); use a checkpoint written by Netwright or a file that holds "
                         f"only a state_dict.") from None


def _damaged(e: Exception) -> Exception:
    """torch's long weights-only message cut to its reason (e.g. "Unsupported operand 110")."""
    import pickle
    text = str(e)
    reason = text.partition("WeightsUnpickler error:")[2].strip().splitlines()
    return pickle.UnpicklingError(reason[0].strip() if reason else text.strip().splitlines()[0])


def load_checkpoint(path) -> dict:
    """A checkpoint written by the trainer; a missing, damaged or unsafe file raises ValueError naming it."""
    import pickle
    import zipfile
    path = Path(path)
    if not path.exists():
        raise ValueError(f"The checkpoint {path} does not exist; check the path.")
    try:
        state = torch_load(path)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as e:
        raise ValueError(f"The checkpoint {path} is damaged or not a Netwright checkpoint ({e}).") from None
    if not isinstance(state, dict) or "model" not in state or "network" not in state:
        raise ValueError(f"{path} is not a Netwright checkpoint (it has no 'model' and 'network').")
    return state
