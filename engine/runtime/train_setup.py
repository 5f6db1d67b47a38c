"""What a training run needs before it starts: its settings (checked, with sentences for mistakes),
the device (auto: CUDA, then MPS, then CPU), the loss for the data's task, and the control channel
that carries PAUSE / RESUME / STOP / SET_LR into the loop."""
from __future__ import annotations

import math
import os
import queue
import time
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F

from . import protocol
from .protocol import TrainingError
from engine.core.blocks.spec import LOG_PROBABILITIES
from engine.core.training_object import DEFAULTS, OPTIMIZERS
from engine.data import CLASSIFICATION, TEXT


@dataclass
class TrainSettings:
    dataset: str = DEFAULTS["dataset"]           # the defaults are the network file's (engine/core/training_object.py)
    epochs: int = DEFAULTS["epochs"]
    batch_size: int = DEFAULTS["batch_size"]
    lr: float = DEFAULTS["lr"]
    optimizer: str = DEFAULTS["optimizer"]
    weight_decay: float = DEFAULTS["weight_decay"]
    device: str = "auto"
    seed: int = DEFAULTS["seed"]
    val_split: float = DEFAULTS["val_split"]
    out: str | None = None            # run folder; None: runs/<network name>-<timestamp>
    data_dir: str | None = None
    resume: str | None = None         # a checkpoint to continue from
    amp: bool = True                  # mixed precision on CUDA
    read_every: int = 20              # steps between reading losses back from the device
    save: bool = True                 # write the run folder (manifest, metrics, checkpoints)
    live_views: dict | None = None    # configuration of engine.runtime.live.LiveCallback in the child process
    threads: int = 0                  # CPU threads for torch; 0: torch's choice

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        if not isinstance(d, dict):
            raise TrainingError(f"The training settings must be a dict of names and values, not {_show(d)}.",
                                "usage")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known, key=str)
        if unknown:
            raise TrainingError(f"Unknown training setting(s): {', '.join(_show(k) for k in unknown)}.", "usage")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> None:
        """Raise TrainingError ("usage") with one sentence for the first setting that cannot be used.
        The same rules hold for the command line, the app and scripts (settings from a dict or a
        network file's `training` object: wrong types are named too)."""
        def bad(what):
            raise TrainingError(what, "usage")
        for name, low, high, what in _WHOLE_NUMBERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                bad(f"{what} must be a whole number, not {_show(value)}.")
            top = high() if callable(high) else high
            if not low <= value <= top:
                bad(f"{what} must be {_range_text(name, low, top)}, not {_show(value)}.")
        for name, low, what in (("lr", None, "The learning rate"), ("weight_decay", 0.0, "The weight decay"),
                                ("val_split", 0.0, "The validation split")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                bad(f"{what} must be a number, not {_show(value)}.")
            if not math.isfinite(value):
                bad(f"{what} must be a finite number, not {_show(value)}.")
        if not self.lr > 0:
            bad(f"The learning rate must be a positive number (e.g. 0.001), not {_show(self.lr)}.")
        if self.weight_decay < 0:
            bad(f"The weight decay must be 0 or more, not {_show(self.weight_decay)}.")
        if not 0 <= self.val_split < 1:
            bad(f"The validation split must be a fraction from 0 up to (not including) 1, not "
                f"{_show(self.val_split)}.")
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            bad(f"Unknown optimizer {_show(self.optimizer)}; use one of {', '.join(OPTIMIZERS)}.")
        for name, what in (("dataset", "The data set"), ("device", "The device")):
            if not isinstance(getattr(self, name), str):
                bad(f"{what} must be given as text (e.g. 'shapes', 'cpu'), not {_show(getattr(self, name))}.")
        for name, what in (("out", "The run folder"), ("data_dir", "The data folder"), ("resume", "The checkpoint")):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (str, os.PathLike)):
                bad(f"{what} must be a path, not {_show(value)}.")
            if isinstance(value, str) and (not value.strip() or "\x00" in value):
                bad(f"{what} path {_show(value)} is not a usable path.")
        for name in ("amp", "save"):
            if not isinstance(getattr(self, name), bool):
                bad(f"The setting {name} must be true or false, not {_show(getattr(self, name))}.")
        if self.live_views is not None and not isinstance(self.live_views, dict):
            bad(f"The live-view settings must be a dict, not {_show(self.live_views)}.")


SEED_MAX = 2 ** 63 - 1               # what every generator the run seeds (python, numpy, torch) takes
EPOCHS_MAX = 1_000_000
BATCH_MAX = 2 ** 31 - 1


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_WHOLE_NUMBERS = (("epochs", 1, EPOCHS_MAX, "The number of epochs"),
                  ("batch_size", 1, BATCH_MAX, "The batch size"),
                  ("seed", 0, SEED_MAX, "The seed"),
                  ("threads", 0, cpu_count, "The number of threads"),
                  ("read_every", 1, 1_000_000, "read_every"))


def _range_text(name: str, low: int, high: int) -> str:
    if name == "threads":
        return (f"from 0 (torch's choice) to {high:,}, the CPU cores this machine gives the run "
                f"(more would only slow it down)")
    if name == "seed":
        return f"a whole number from 0 to {high:,} (2**63 - 1)"
    return f"from {low:,} to {high:,}"


def _show(value) -> str:
    """A value in a message: short, one line, whatever it is (it may come from a file)."""
    text = repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and len(text) > 24:
        return f"a number of {len(text.lstrip('-'))} digits ({text[:8]}…)"
    return text if len(text) <= 40 else text[:37] + "…"


def available_devices() -> list[str]:
    """What torch can train on here: cpu, cuda:N, mps."""
    names = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def resolve_device(name: str) -> torch.device:
    """auto: CUDA, then MPS, then CPU. A device torch cannot see is a TrainingError."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        name = next((d for d in available_devices() if d != "cpu"), "cpu")
        name = "cuda" if name.startswith("cuda") else name
    kind = name.split(":")[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise TrainingError(f"Unknown device '{name}'; use auto, cpu, cuda, cuda:N or mps.", "usage")
    if kind == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"The device '{name}' was asked for, but torch sees no CUDA GPU here; use --device "
                            f"cpu (or auto).", "usage")
    if kind == "mps" and "mps" not in available_devices():
        raise TrainingError("The device 'mps' was asked for, but Apple's Metal is not available here; use --device "
                            "cpu (or auto).", "usage")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise TrainingError(f"'{name}' is not a device name; use auto, cpu, cuda, cuda:N or mps.", "usage") from None
    if kind == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise TrainingError(f"There is no {name}: torch sees {torch.cuda.device_count()} CUDA GPU(s).", "usage")
    return device


def loss_function(task: str, output_is: str | None):
    """The loss for the task and what the output block's values mean (BlockSpec.output_is): cross-entropy on
    scores, the negative log-likelihood on log-probabilities (a LogSoftmax output), squared error otherwise."""
    if task == TEXT:
        return lambda out, y, reduction="mean": F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction=reduction)
    if task == CLASSIFICATION:
        if output_is == LOG_PROBABILITIES:
            return lambda out, y, reduction="mean": F.nll_loss(out, y, reduction=reduction)
        return lambda out, y, reduction="mean": F.cross_entropy(out, y, reduction=reduction)
    return lambda out, y, reduction="mean": F.mse_loss(out.float(), y, reduction=reduction)


class Control:
    """Messages from a queue.Queue or a multiprocessing Connection, without blocking unless asked."""

    def __init__(self, source):
        self.source = source
        self.is_pipe = hasattr(source, "poll")

    def get(self, timeout: float = 0.0):
        src = self.source
        if src is None:
            if timeout:
                time.sleep(timeout)
            return None
        try:
            if self.is_pipe:
                return src.recv() if src.poll(timeout) else None
            return src.get(timeout=timeout) if timeout else src.get_nowait()
        except queue.Empty:
            return None
        except (EOFError, OSError):
            return (protocol.STOP, {})     # the app has gone: stop and keep the checkpoint
