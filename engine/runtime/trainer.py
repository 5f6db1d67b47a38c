"""The trainer: one network, one data set, a seeded loop that the app, the command line and scripts share.

    result = Trainer(net, TrainSettings(dataset="shapes", epochs=3), callbacks=[...]).run()

- Data lives on the device as whole tensors and is batched by indexing with a permutation (no
  DataLoader, no per-sample Python). Per-step losses stay on the device and are read back every
  `read_every` steps (one sync), never one `.item()` per step.
- Seeded and deterministic on the CPU: the same seed gives the same loss curve. A checkpoint (every
  epoch and at stop) holds the model, optimizer, position and every random state, so a resumed run
  continues the same curve.
- Control (`control`: a queue.Queue or a multiprocessing Connection carrying protocol messages)
  is checked once per batch: PAUSE, RESUME, STOP, SET_LR; other kinds go to callbacks as
  `on_<kind>(payload)` (e.g. `on_views`).
- Callbacks are objects with any of on_start(trainer), on_after_backward(trainer) (called only for
  callbacks that define it), on_step(trainer), on_epoch_end(trainer, metrics), on_end(trainer).
- Failures raise TrainingError with a sentence for a person: kind "nan", "oom", "data", "usage".
"""
from __future__ import annotations

import math
import random
import time
import warnings

import numpy as np
import torch

from . import protocol
from engine.data import CLASSIFICATION, TEXT, DataError, Dataset, check_usable, prepare
from engine.core.graph import Network
from .runs import (RunFolder, check_run_folder, default_run_dir, load_checkpoint, random_states, restore_random_states,
                   weights_mismatch)
from engine.core.serialization import NetworkFileError, network_from_dict, network_to_dict
from .train_setup import (OPTIMIZERS, Control, TrainingError, TrainSettings, available_devices, loss_function,
                          resolve_device)

__all__ = ["OPTIMIZERS", "Trainer", "TrainingError", "TrainSettings", "available_devices", "resolve_device",
           "run_child"]

PROGRESS_INTERVAL = 0.1            # seconds between PROGRESS messages
PROBE_SIZE = 16
DIVERGED = 1e4                     # a loss this many times its first value (at least 1) means the run diverged
RISING = 10.0                      # an epoch's loss this many times the first (at least 1): noted as rising
LARGE_INPUT = 1e4                  # input values beyond this are named as the likely cause of a NaN loss


class _Stop(Exception):
    pass


class Trainer:
    def __init__(self, network, settings: TrainSettings | dict | None = None, callbacks=(), emit=None,
                 control=None, dataset: Dataset | None = None, log=None):
        self.network = network if isinstance(network, Network) else network_from_dict(network)
        self.network_dict = network_to_dict(self.network)
        self.settings = settings if isinstance(settings, TrainSettings) else TrainSettings.from_dict(settings or {})
        self.settings.check()
        self.callbacks = list(callbacks)
        self._emit_fn = emit
        self._control = Control(control)
        self._log = log
        self.dataset = dataset
        self.step = 0                 # optimizer steps taken (over all epochs)
        self.epoch = 0                # epochs completed
        self.batch = 0                # batches done in the epoch in progress
        self.losses: list[float] = []         # every step's loss, as read back
        self.history: list[dict] = []         # one metrics dict per epoch
        self.paused = False
        self.stopped = False
        self.run_folder = None
        self.checkpoint_path = None
        self.notes: list[str] = []
        self.data_scale = 0.0          # the largest input value (float data)
        self._first_loss = None       # the run's first loss: the reference for "diverged"
        self.checkpoint_saved = False  # this run has written its checkpoint
        self._flagged_rising = False   # the "may be diverging" note was given
        self._warned: set[str] = set()  # warnings already turned into notes

    # ---- plumbing ------------------------------------------------------------------------------
    def emit(self, kind: str, payload: dict) -> None:
        """Send a protocol message to the parent process (or the local handler)."""
        if self._emit_fn is not None:
            self._emit_fn(kind, payload)

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self, *args)

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def set_lr(self, lr: float) -> None:
        if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            self.log(f"Ignored learning rate {lr!r}: it must be a positive number.")
            return
        for group in self.optimizer.param_groups:
            group["lr"] = float(lr)
        self.settings.lr = float(lr)

    # ---- setup ---------------------------------------------------------------------------------
    def setup(self) -> None:
        s = self.settings
        self.device = resolve_device(s.device)
        if s.save:           # before loading data or building anything: a run folder that cannot be written
            problem = check_run_folder(s.out or default_run_dir(self.network.name))
            if problem:
                raise TrainingError(problem, "usage")
        resume_state = self._read_checkpoint(s.resume) if s.resume else None
        if s.threads:        # at most the CPU count (TrainSettings.check): torch crashes on absurd counts
            torch.set_num_threads(s.threads)
        random.seed(s.seed)
        np.random.seed(s.seed % (2 ** 32))
        torch.manual_seed(s.seed)
        from .build import training_memory_problem
        too_big = training_memory_problem(self.network, self.device, s.batch_size, s.optimizer)
        if too_big:            # before any data or weights are allocated
            raise TrainingError(too_big, "usage")
        if self.dataset is None:
            try:
                self.dataset = prepare(s.dataset, self.network, s.data_dir, s.seed, progress=self._download_progress)
            except DataError as e:
                raise TrainingError(str(e), "data") from None
        ds = self.dataset
        try:
            check_usable(ds)          # a data set given directly (scripts) is checked like a loaded one
        except DataError as e:
            raise TrainingError(str(e), "data") from None
        self.task = ds.task
        self.notes.extend(ds.notes)
        for note in ds.notes:
            self.log(note)
        self._split(ds)
        if ds.x.dtype.kind == "f" and ds.x.size:       # (no copy of the data: two passes)
            self.data_scale = max(abs(float(ds.x.max())), abs(float(ds.x.min())))
        from .build import ModelError, build_model
        try:
            self.model = build_model(self.network).to(self.device)
        except ModelError as e:
            raise TrainingError(str(e), "data") from None
        if len(self.train_x) % s.batch_size == 1 and self.steps_per_epoch > 1 and any(
                isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in self.model.modules()):
            self.steps_per_epoch -= 1      # BatchNorm cannot train on a batch of one: the last sample joins the one before
        self.loss_fn = loss_function(self.task, self.network.nodes[self.network.output_node()].spec.output_is)
        self.classifies = self.task in (CLASSIFICATION, TEXT)
        self.optimizer = self._make_optimizer()
        self.use_amp = bool(s.amp and self.device.type == "cuda")
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.perm_generator = torch.Generator().manual_seed(s.seed)
        self._epoch_perm_state = self.perm_generator.get_state()
        self._partial = {"loss": 0.0, "correct": 0.0, "count": 0, "seconds": 0.0}
        if resume_state is not None:
            self._restore(resume_state, s.resume)
        if s.save:
            self.run_folder = RunFolder(s.out or default_run_dir(self.network.name))
            self.checkpoint_path = self.run_folder.checkpoint_path
            self.run_folder.write_manifest(self.network_dict, s.dataset, s.seed, str(self.device), s.to_dict(),
                                           {"params": self.param_count, "notes": self.notes})

    def _download_progress(self, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if now - getattr(self, "_last_download_note", 0.0) > 0.5 or (total and done >= total):
            self._last_download_note = now
            size = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            self.log(f"Downloading {self.settings.dataset}: {size}")

    def _split(self, ds: Dataset) -> None:
        n = len(ds)
        order = np.random.default_rng(self.settings.seed).permutation(n)
        n_val = int(round(n * self.settings.val_split)) if n > 1 else 0
        if self.settings.val_split > 0 and n > 1:
            n_val = min(max(n_val, 1), n - 1)
        val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
        if len(train_idx) == 0:
            raise TrainingError(f"{ds.name} has no samples to train on.", "data")
        self.data_device = self.device if self._fits(ds.x.nbytes + ds.y.nbytes) else torch.device("cpu")
        if self.data_device != self.device:
            self.log(f"The data ({(ds.x.nbytes + ds.y.nbytes) / 1e9:.1f} GB) does not fit in {self.device}'s free "
                     f"memory, so it stays in RAM and each batch is copied over.")
        to = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(self.data_device)   # noqa: E731
        self.train_x, self.train_y = to(ds.x[train_idx]), to(ds.y[train_idx])
        self.val_x, self.val_y = to(ds.x[val_idx]), to(ds.y[val_idx])
        if self.data_device.type == "cpu" and self.device.type == "cuda":
            self.train_x, self.train_y = self.train_x.pin_memory(), self.train_y.pin_memory()
        src_x, src_y = (self.val_x, self.val_y) if n_val else (self.train_x, self.train_y)
        self.probe_batch = (src_x[:PROBE_SIZE].to(self.device), src_y[:PROBE_SIZE].to(self.device))
        self.steps_per_epoch = math.ceil(len(train_idx) / self.settings.batch_size)

    def _fits(self, nbytes: int) -> bool:
        """Can the whole data set live on the device (at most half of its free memory)?"""
        if self.device.type != "cuda":
            return True
        free, _total = torch.cuda.mem_get_info(self.device)
        return nbytes < free // 2

    def _make_optimizer(self):
        s, params = self.settings, self.model.parameters()
        if s.optimizer == "sgd":
            return torch.optim.SGD(params, lr=s.lr, momentum=0.9, weight_decay=s.weight_decay)
        cls = torch.optim.AdamW if s.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=s.lr, weight_decay=s.weight_decay)

    @property
    def param_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    # ---- checkpoints ---------------------------------------------------------------------------
    def state(self) -> dict:
        rng = {**random_states(self.device), "perm": self._epoch_perm_state}
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict(), "epoch": self.epoch, "batch": self.batch, "step": self.step,
                "rng": rng, "network": self.network_dict, "settings": self.settings.to_dict(),
                "history": list(self.history), "partial": dict(self._partial), "losses": list(self.losses)}

    def save_checkpoint(self) -> None:
        if self.run_folder is not None:
            self.run_folder.save_checkpoint(self.state())
            self.checkpoint_saved = True
            self.emit(protocol.CHECKPOINT, {"path": str(self.checkpoint_path)})

    def _read_checkpoint(self, path) -> dict:
        try:
            return load_checkpoint(path)
        except ValueError as e:
            raise TrainingError(str(e), "usage") from None

    def _restore(self, state: dict, path) -> None:
        problem = weights_mismatch(self.model.state_dict(), state["model"])
        if problem:
            made_for = state["network"].get("name") if isinstance(state["network"], dict) else None
            made_for = f" ('{str(made_for)[:60]}')" if isinstance(made_for, str) and made_for else ""
            raise TrainingError(f"The checkpoint {path} was saved for another network{made_for}: its weights do "
                                f"not fit this one ({problem}); resume with the network it was made for.",
                                "usage")
        try:
            self._apply_checkpoint(state)
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            first = (str(e).strip().splitlines() or [""])[0][:160]
            raise TrainingError(f"The checkpoint {path} is damaged: its weights fit, but its training state "
                                f"cannot be read ({type(e).__name__}: {first}); train again without --resume.",
                                "usage") from None
        if self.epoch >= self.settings.epochs:
            self.log(f"The checkpoint has already done {self.epoch} epoch(s); raise epochs above that to train on.")

    def _apply_checkpoint(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        if "rng" not in state:      # weights only (`import --weights-out`): a fresh run starts from them
            self.log(f"Starting from the weights in {self.settings.resume}.")
            return
        settings = state.get("settings") if isinstance(state.get("settings"), dict) else {}
        if settings.get("optimizer") == self.settings.optimizer:
            self.optimizer.load_state_dict(state["optimizer"])
        else:
            self.log(f"The checkpoint was trained with {str(settings.get('optimizer'))[:20]}; "
                     f"{self.settings.optimizer} starts with fresh optimizer state.")
        self.set_lr(self.settings.lr)
        self.scaler.load_state_dict(state.get("scaler") or {})
        for key in ("epoch", "batch", "step"):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 62:
                raise ValueError(f"its {key} is {str(value)[:20]!r}, not a count")
        self.epoch, self.batch, self.step = state["epoch"], state["batch"], state["step"]
        self.history = list(state.get("history", []))
        self.losses = [float(v) for v in state.get("losses", [])]
        self._partial = dict(state.get("partial") or self._partial)
        rng = state["rng"]
        restore_random_states(rng, self.device)
        self._epoch_perm_state = rng["perm"]
        self.perm_generator.set_state(rng["perm"])

    # ---- control -------------------------------------------------------------------------------
    def _handle(self, message) -> None:
        kind, payload = message if isinstance(message, tuple) and len(message) == 2 else (message, {})
        if kind == protocol.STOP:
            self.stopped = True
            raise _Stop
        if kind == protocol.PAUSE and not self.paused:
            self._pause()
        elif kind == protocol.SET_LR:
            self.set_lr((payload or {}).get("lr"))
        elif kind not in (protocol.RESUME, protocol.PAUSE):
            for cb in self.callbacks:
                fn = getattr(cb, f"on_{kind}", None)
                if fn is not None:
                    fn(payload)

    def _pause(self) -> None:
        self.paused = True
        began = time.perf_counter()
        self.emit(protocol.PAUSED, {"step": self.step, "epoch": self.epoch, "lr": self.lr})
        try:
            while True:
                message = self._control.get(0.05)
                if message is None:
                    continue
                kind = message[0] if isinstance(message, tuple) else message
                if kind == protocol.RESUME:
                    break
                self._handle(message)
        finally:
            self.paused = False
            self._paused_seconds += time.perf_counter() - began
        self.emit(protocol.RESUMED, {"step": self.step, "lr": self.lr})

    # ---- the loop ------------------------------------------------------------------------------
    def run(self) -> dict:
        """Train; returns the result dict (the one `main.py train` prints). Raises TrainingError.
        Warnings from torch or numpy become log notes (one each), never raw lines on stderr."""
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = self._note_warning
            return self._run()

    def _note_warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = (str(message).strip().splitlines() or [category.__name__])[0][:300]
        if text not in self._warned:
            self._warned.add(text)
            self.log(f"Note: {text}")

    def _run(self) -> dict:
        try:
            self.setup()
            return self._train()
        except OSError as e:
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            if self.run_folder is None:
                raise TrainingError(f"A file could not be read or written: {e.strerror or e}{where}.", "io") from None
            raise TrainingError(f"Writing the run folder {self.run_folder.path} failed: {e.strerror or e}{where}. "
                                f"The last checkpoint saved before is kept; free some space or choose another --out.",
                                "io") from None
        except torch.cuda.OutOfMemoryError:
            raise TrainingError(self._oom_message(), "oom") from None
        except RuntimeError as e:
            if "out of memory" in str(e).lower():
                raise TrainingError(self._oom_message(), "oom") from None
            raise
        except ValueError as e:
            if "Expected more than 1 value per channel" not in str(e):
                raise
            raise TrainingError(f"BatchNorm cannot train on batches of one sample (batch size "
                                f"{self.settings.batch_size}, {len(self.train_x)} training sample(s)); use a batch "
                                f"size of 2 or more and at least 2 training samples.", "usage") from None

    def _oom_message(self) -> str:
        b = self.settings.batch_size
        if getattr(self, "device", None) is not None and self.device.type == "cuda":
            torch.cuda.empty_cache()
        kept = f" The last checkpoint ({self.checkpoint_path}) is kept." if self.history else ""
        return (f"The {getattr(self, 'device', 'device')} ran out of memory with batch size {b}; try a smaller batch "
                f"(batch size {max(1, b // 2)}) or a smaller network.{kept}")

    def _train(self) -> dict:
        s = self.settings
        self._paused_seconds = 0.0
        self.emit(protocol.STARTED, {
            "device": str(self.device), "params": self.param_count, "train_samples": len(self.train_x),
            "val_samples": len(self.val_x), "steps_per_epoch": self.steps_per_epoch, "epochs": s.epochs,
            "task": self.task, "classes": self.dataset.classes, "run_dir": str(self.run_folder.path)
            if self.run_folder else None, "notes": list(self.notes), "epoch": self.epoch, "step": self.step})
        self._call("on_start")
        self._after_backward = [cb for cb in self.callbacks if hasattr(cb, "on_after_backward")]
        self._step_hooks = [cb.on_step for cb in self.callbacks if hasattr(cb, "on_step")]
        self._run_started = time.perf_counter()
        self._run_steps = 0
        self._first_loss = self.losses[0] if self.losses else None     # a resumed run keeps its reference
        try:
            while self.epoch < s.epochs:
                self._train_epoch()
                self._finish_epoch()
        except _Stop:
            self.save_checkpoint()
        self._call("on_end")
        return self.result()

    def _train_epoch(self) -> None:
        s, model, opt, scaler = self.settings, self.model, self.optimizer, self.scaler
        x, y, b, n = self.train_x, self.train_y, s.batch_size, len(self.train_x)
        self.perm_generator.set_state(self._epoch_perm_state)
        perm = torch.randperm(n, generator=self.perm_generator).to(self.data_device)
        copy = self.data_device != self.device       # data too big for the device: copy each batch over
        control, after_backward, step_hooks = self._control, self._after_backward, self._step_hooks
        amp, classifies, loss_fn = self.use_amp, self.classifies, self.loss_fn
        pending_loss, pending_correct, pending_size = [], [], []
        model.train()
        started = time.perf_counter() - self._partial["seconds"]
        paused_before = self._paused_seconds
        next_progress = 0.0
        try:
            for i in range(self.batch, self.steps_per_epoch):
                message = control.get()
                while message is not None:
                    self._handle(message)
                    message = control.get()
                idx = perm[i * b:(i + 1) * b if i + 1 < self.steps_per_epoch else n]   # the last takes the rest
                xb, yb = x.index_select(0, idx), y.index_select(0, idx)
                if copy:
                    xb, yb = xb.to(self.device, non_blocking=True), yb.to(self.device, non_blocking=True)
                with torch.autocast(self.device.type, enabled=amp):     # without AMP the scaler passes through
                    out = model(xb)
                    loss = loss_fn(out, yb)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                for cb in after_backward:
                    cb.on_after_backward(self)
                scaler.step(opt)
                scaler.update()
                self.step += 1
                self.batch = i + 1
                self._run_steps += 1
                pending_loss.append(loss.detach())
                pending_size.append(len(idx))
                if classifies:
                    pending_correct.append((out.detach(), yb))     # scored at read-back, k steps at once
                for hook in step_hooks:
                    hook(self)
                if len(pending_loss) >= s.read_every or i + 1 == self.steps_per_epoch:
                    self._read_back(pending_loss, pending_correct, pending_size)
                now = time.perf_counter()
                if now >= next_progress:             # at most ~10 a second, whatever the step time
                    next_progress = now + PROGRESS_INTERVAL
                    self._progress(now)
        except _Stop:
            if pending_loss:
                self._read_back(pending_loss, pending_correct, pending_size)
            raise
        finally:
            self._partial["seconds"] = time.perf_counter() - started - (self._paused_seconds - paused_before)

    def _read_back(self, losses: list, corrects: list, sizes: list) -> None:
        """One device→host transfer for the last k steps; checks for NaN; sends SCALARS."""
        k = len(losses)
        numbers = torch.stack(losses).float()
        if corrects:
            hits = torch.cat([o for o, _ in corrects]).argmax(-1) == torch.cat([y for _, y in corrects])
            per_sample = hits.reshape(len(hits), -1).sum(1)
            if len(set(sizes)) == 1:
                per_step = per_sample.view(k, -1).sum(1)
            else:
                per_step = torch.stack([c.sum() for c in per_sample.split(sizes)])
            numbers = torch.cat([numbers, per_step.float()])
        numbers = numbers.cpu().tolist()           # the one device → host transfer
        values = numbers[:k]
        first = self.step - k + 1
        per_item = self.dataset.sample_shape[0] if self.task == TEXT else 1
        payload = {"step": list(range(first, self.step + 1)), "loss": values}
        if corrects:
            correct = numbers[k:]
            payload["accuracy"] = [c / (n * per_item) for c, n in zip(correct, sizes)]
            self._partial["correct"] += sum(correct)
        for k, v in enumerate(values):
            if not math.isfinite(v):
                self._nan(first + k, v)
        if self._first_loss is None and values:
            self._first_loss = values[0]
        recent = sum(values) / len(values)
        if recent > self._diverged_above():
            self._diverged(self.step, recent, "the training loss")
        self.losses.extend(values)
        self._partial["loss"] += sum(v * n for v, n in zip(values, sizes))
        self._partial["count"] += sum(sizes)
        losses.clear(), corrects.clear(), sizes.clear()
        self.emit(protocol.SCALARS, payload)

    def _kept(self) -> str:
        return (f" The last checkpoint ({self.checkpoint_path}, epoch {self.epoch}) is kept."
                if self.history and self.checkpoint_path else "")

    def _cause(self) -> str:
        """The likely cause of a loss that became NaN or exploded (the data's values are checked already)."""
        lr = self.lr
        if self.data_scale > LARGE_INPUT:
            return (f"the input values reach {self.data_scale:.3g}; scale the data to about -1 to 1 (or mean 0, "
                    f"std 1), or lower the learning rate {lr:g}")
        return f"the learning rate {lr:g} is probably too high; try {lr / 10:g} or less"

    def _nan(self, step: int, value: float) -> None:
        raise TrainingError(f"The loss became {value} at step {step} (epoch {self.epoch + 1}), so training stopped "
                            f"(the data itself has no NaN or infinite values: that is checked before training); "
                            f"{self._cause()}.{self._kept()}", "nan")

    def _diverged_above(self) -> float:
        """The loss above which the run has diverged: DIVERGED times its first value (at least 1)."""
        return DIVERGED * max(1.0, self._first_loss) if self._first_loss is not None else math.inf

    def _flag_rising(self, train_loss: float) -> None:
        """An epoch's loss far above the first one, but not yet diverged: a note (once) that says so."""
        if self._first_loss is None or self._flagged_rising:
            return
        if train_loss > RISING * max(1.0, self._first_loss):
            self._flagged_rising = True
            note = (f"The training loss rose from {self._first_loss:.4g} at the start to {train_loss:.4g} in epoch "
                    f"{self.epoch + 1}: the run may be diverging; {self._cause()}.")
            self.notes.append(note)
            self.log(note)

    def _diverged(self, step: int, value: float, what: str) -> None:
        raise TrainingError(f"The run diverged: {what} grew from {self._first_loss:.4g} at the start to "
                            f"{value:.4g} at step {step} (epoch {self.epoch + 1}), so training stopped; "
                            f"{self._cause()}.{self._kept()}", "diverged")

    def _progress(self, now: float) -> None:
        elapsed = max(1e-9, now - self._run_started - self._paused_seconds)
        total = self.settings.epochs * self.steps_per_epoch
        done_steps = self.epoch * self.steps_per_epoch + self.batch
        rate = self._run_steps / elapsed
        self.emit(protocol.PROGRESS, {
            "epoch": self.epoch + 1, "step": self.batch, "global_step": done_steps, "total_steps": total,
            "samples_per_sec": rate * self.settings.batch_size, "eta_s": (total - done_steps) / rate if rate else None,
            "loss": self.losses[-1] if self.losses else None})

    @torch.no_grad()
    def evaluate(self) -> tuple[float | None, float | None]:
        """Validation loss and accuracy (None where there is no validation set or no accuracy)."""
        n = len(self.val_x)
        if n == 0:
            return None, None
        model, b = self.model, max(256, self.settings.batch_size)
        was_training = model.training
        model.eval()
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        for i in range(0, n, b):
            xb, yb = self.val_x[i:i + b].to(self.device), self.val_y[i:i + b].to(self.device)
            with torch.autocast(self.device.type, enabled=self.use_amp):
                out = model(xb)
                loss_sum += self.loss_fn(out, yb, reduction="sum").float()
            if self.classifies:
                correct += (out.argmax(-1) == yb).sum()
        model.train(was_training)
        per_item = self.dataset.sample_shape[0] if self.task == TEXT else 1
        if self.task not in (CLASSIFICATION, TEXT):
            per_item = int(np.prod(self.dataset.target_shape)) or 1
        loss = loss_sum.item() / (n * per_item)
        accuracy = correct.item() / (n * per_item) if self.classifies else None
        return loss, accuracy

    def _finish_epoch(self) -> None:
        p = self._partial
        train_loss = p["loss"] / max(1, p["count"])
        per_item = self.dataset.sample_shape[0] if self.task == TEXT else 1
        train_acc = p["correct"] / max(1, p["count"] * per_item) if self.classifies else None
        val_loss, val_acc = self.evaluate()
        if val_loss is not None and not math.isfinite(val_loss):
            self._nan(self.step, val_loss)
        if val_loss is not None and val_loss > self._diverged_above():
            self._diverged(self.step, val_loss, "the validation loss")
        self._flag_rising(train_loss)
        self.epoch += 1
        self.batch = 0
        self._epoch_perm_state = self.perm_generator.get_state()
        metrics = {"epoch": self.epoch, "step": self.step, "train_loss": train_loss, "train_accuracy": train_acc,
                   "val_loss": val_loss, "val_accuracy": val_acc, "lr": self.lr, "seconds": p["seconds"],
                   "samples_per_sec": p["count"] / p["seconds"] if p["seconds"] > 0 else None}
        self._partial = {"loss": 0.0, "correct": 0.0, "count": 0, "seconds": 0.0}
        self.history.append(metrics)
        if self.run_folder is not None:
            self.run_folder.append_metrics(metrics)
        self.save_checkpoint()
        self.emit(protocol.EPOCH, dict(metrics))
        self._call("on_epoch_end", metrics)

    def result(self) -> dict:
        last = self.history[-1] if self.history else {}
        seconds = sum(h["seconds"] for h in self.history) + self._partial["seconds"]
        samples = sum(h["samples_per_sec"] * h["seconds"] for h in self.history if h.get("samples_per_sec"))
        samples += self._partial["count"]
        return {"epochs": self.epoch, "steps": self.step, "train_loss": last.get("train_loss"),
                "train_accuracy": last.get("train_accuracy"), "val_loss": last.get("val_loss"),
                "val_accuracy": last.get("val_accuracy"),
                "samples_per_sec": samples / seconds if seconds > 0 else None, "device": str(self.device),
                "checkpoint": str(self.checkpoint_path) if self.checkpoint_path and self.checkpoint_path.exists()
                else None, "run_dir": str(self.run_folder.path) if self.run_folder else None,
                "stopped": self.stopped, "diverging": self._flagged_rising,
                "dataset": self.dataset.name if self.dataset else self.settings.dataset,
                "task": getattr(self, "task", None), "notes": list(self.notes)}


def run_child(conn, network_dict: dict, settings_dict: dict) -> None:
    """The training process's entry point (multiprocessing, spawn): messages go both ways on `conn`."""
    def send(kind, payload):
        try:
            conn.send((kind, payload))
        except (BrokenPipeError, OSError):
            raise SystemExit(0) from None    # the app has gone: nothing to report to
    try:
        settings = TrainSettings.from_dict(settings_dict)
        callbacks = []
        if settings.live_views is not None:
            from .live import LiveCallback
            callbacks.append(LiveCallback(settings.live_views, network_from_dict(network_dict)))
        trainer = Trainer(network_dict, settings, callbacks, emit=send, control=conn,
                          log=lambda m: send(protocol.LOG, {"message": m}))
        send(protocol.DONE, trainer.run())
    except TrainingError as e:
        send(protocol.ERROR, {"message": str(e), "kind": e.kind})
    except NetworkFileError as e:
        send(protocol.ERROR, {"message": f"The network cannot be used: {e}", "kind": "data"})
    except Exception as e:   # noqa: BLE001 - the parent shows a sentence, never a traceback
        send(protocol.ERROR, {"message": f"Training failed unexpectedly ({type(e).__name__}: {e}).",
                              "kind": "internal"})
    finally:
        conn.close()
