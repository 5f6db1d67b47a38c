"""What a training run needs before it starts: its settings (checked, with sentences for mistakes),
the device (auto: CUDA, then MPS, then CPU), the loss for the data's task, and the control channel
that carries PAUSE / RESUME / STOP / SET_LR into the loop."""
from __future__ import annotations

import math
import queue
import time
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F

from . import protocol
from .datasets import CLASSIFICATION, TEXT

OPTIMIZERS = ("adam", "adamw", "sgd")


class TrainingError(Exception):
    def __init__(self, message: str, kind: str = "internal"):
        super().__init__(message)
        self.kind = kind


@dataclass
class TrainSettings:
    dataset: str = "shapes"
    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    device: str = "auto"
    seed: int = 0
    val_split: float = 0.1
    out: str | None = None            # run folder; None: runs/<network name>-<timestamp>
    data_dir: str | None = None
    resume: str | None = None         # a checkpoint to continue from
    amp: bool = True                  # mixed precision on CUDA
    read_every: int = 20              # steps between reading losses back from the device
    save: bool = True                 # write the run folder (manifest, metrics, checkpoints)
    live_views: dict | None = None    # configuration of engine.live.LiveCallback in the child process
    threads: int = 0                  # CPU threads for torch; 0: torch's choice

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise TrainingError(f"Unknown training setting(s): {', '.join(unknown)}.", "usage")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> None:
        def bad(what):
            raise TrainingError(what, "usage")
        if self.epochs < 1:
            bad(f"epochs must be at least 1, not {self.epochs}.")
        if self.batch_size < 1:
            bad(f"The batch size must be at least 1, not {self.batch_size}.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            bad(f"The learning rate must be a positive number, not {self.lr}.")
        if self.weight_decay < 0:
            bad(f"The weight decay must be 0 or more, not {self.weight_decay}.")
        if not 0 <= self.val_split < 1:
            bad(f"The validation split must be a fraction from 0 up to (not including) 1, not {self.val_split}.")
        if self.threads < 0:
            bad(f"threads must be 0 (automatic) or more, not {self.threads}.")
        if self.optimizer not in OPTIMIZERS:
            bad(f"Unknown optimizer '{self.optimizer}'; use one of {', '.join(OPTIMIZERS)}.")


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


def loss_function(task: str, output_type: str):
    if task == TEXT:
        return lambda out, y, reduction="mean": F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction=reduction)
    if task == CLASSIFICATION:
        if output_type == "LogSoftmax":
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
