"""`python main.py train NET.json --dataset SPEC [options]`: train from the command line.

Progress goes to stderr (a bar on a terminal, one line per epoch otherwise); the last line on stdout
is one JSON object with the result, or, when the run cannot start or fails, `{"error": reason,
"kind": ..., "exit_status": ...}` (with the epochs, steps and checkpoint a failed run leaves). Exit
status: 0 trained; 1 training failed while it ran (the loss became NaN or diverged, out of memory);
2 the command line, the network file, the data (or its fit to the network) or the checkpoint cannot
be used; 130 stopped with Ctrl+C. The reason is one line on stderr, never a traceback, never a raw
numpy or torch warning.

Ctrl+C works in every phase: before training begins (importing torch, loading or downloading the
data, building the model) it stops at once; during training the trainer stops within a batch, saves
its checkpoint and the result is printed; a second Ctrl+C stops at once, keeping the last checkpoint.
A download stopped half-way resumes next time.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from engine.core.training_object import DEFAULTS, OPTIMIZERS

from .parsing import FAILED, INTERRUPTED, OK, UNUSABLE, Exit, Parser, UsageError


def make_parser() -> argparse.ArgumentParser:
    from engine.core.dataset_names import NAMES
    p = Parser(prog="python main.py train", description="Train a network file on a data set. Data sets: "
               f"{', '.join(NAMES)} (shapes, generated, is the default), npz:PATH, csv:PATH, folder:PATH, text:PATH. "
               "Options left out take the network's training object's values.")
    p.add_argument("network", metavar="NET.json")
    p.add_argument("--dataset", metavar="SPEC",
                   help=f"the data set (default: the network's training.dataset, else {DEFAULTS['dataset']})")
    p.add_argument("--epochs", type=int, help=f"default {DEFAULTS['epochs']}")
    p.add_argument("--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}")
    p.add_argument("--lr", type=float, help=f"learning rate (default {DEFAULTS['lr']:g})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {DEFAULTS['optimizer']}")
    p.add_argument("--weight-decay", type=float, help=f"default {DEFAULTS['weight_decay']:g}")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    p.add_argument("--seed", type=int, help=f"default {DEFAULTS['seed']}")
    p.add_argument("--val-split", type=float,
                   help=f"share of the data kept for validation (default {DEFAULTS['val_split']:g})")
    p.add_argument("--out", metavar="DIR", help="run folder (default: runs/<network name>-<timestamp>)")
    p.add_argument("--data-dir", metavar="DIR", help="read mnist/fashion-mnist/cifar10 files from DIR")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint (epochs = the total)")
    p.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    return p


class ProgressBar:
    """Trainer callback-style printer for the emit channel: a bar on a terminal, lines otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = 0.0

    def __call__(self, kind: str, payload: dict) -> None:
        if kind == "started":
            self.line(f"Training on {payload['device']}: {payload['train_samples']:,} samples "
                      f"({payload['val_samples']:,} for validation), {payload['params']:,} parameters, "
                      f"{payload['epochs']} epoch(s) of {payload['steps_per_epoch']} steps"
                      + (f"; run folder {payload['run_dir']}" if payload.get("run_dir") else ""))
        elif kind == "progress" and self.tty and time.monotonic() - self.last > 0.2:
            self.last = time.monotonic()
            done = payload["global_step"] / max(1, payload["total_steps"])
            bar = "#" * int(done * 30)
            eta = payload.get("eta_s")
            loss = payload.get("loss")
            self.stream.write(f"\repoch {payload['epoch']} [{bar:<30}] {done:4.0%} "
                              f"{payload['samples_per_sec']:,.0f} samples/s"
                              + (f" loss {loss:.4f}" if loss is not None else "")
                              + (f" ETA {eta:,.0f}s " if eta is not None else " "))
            self.stream.flush()
        elif kind == "epoch":
            acc = payload.get("val_accuracy")
            val = payload.get("val_loss")
            self.line(f"epoch {payload['epoch']}: train loss {payload['train_loss']:.4f}"
                      + (f", val loss {val:.4f}" if val is not None else "")
                      + (f", val accuracy {acc:.2%}" if acc is not None else "")
                      + f" ({payload['seconds']:.1f} s)")
        elif kind == "log":
            self.line(payload["message"])

    def line(self, text: str) -> None:
        self.stream.write(("\r\x1b[K" if self.tty else "") + text + "\n")
        self.stream.flush()


def main(args: list[str]) -> int:
    try:
        ns = make_parser().parse_args(args)
    except UsageError as e:
        return fail(f"{e.prog}: {e.message} (`{e.prog} --help` lists the options).", "usage", UNUSABLE, prefix="")
    except Exit as e:
        if e.message:
            (sys.stderr if e.status else sys.stdout).write(e.message)
        return int(e.status or 0)
    bar = ProgressBar()
    control = _Interrupts()
    try:
        with control:
            return _train(ns, bar, control)
    except KeyboardInterrupt:
        message = control.stopped_message()
        return fail(message.removeprefix("netwright: "), "interrupted", INTERRUPTED, stream=bar,
                    extra={"stopped": True, "checkpoint": control.kept_checkpoint()})


def fail(message: str, kind: str, status: int, stream=None, prefix: str = "netwright: ", extra=None) -> int:
    """The reason on stderr, one JSON object with an "error" key as the last line on stdout (the spec's
    promise for a run that cannot start or fails); returns the exit status."""
    line = f"{prefix}{message}"
    if stream is not None:
        stream.line(line)
    else:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    doc = {"error": message, "kind": kind, "exit_status": status, **(extra or {})}
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return status


def _train(ns, bar: ProgressBar, control: _Interrupts) -> int:
    import engine
    try:
        net = engine.load_network(ns.network)
    except engine.NetworkFileError as e:
        return fail(str(e), "network", UNUSABLE)
    from engine.core.training_object import fill_from_network
    fill_from_network(ns, net, Path(ns.network).parent)     # what the command line leaves out, from the file
    from engine.runtime.trainer import TrainingError, TrainSettings, Trainer
    settings = TrainSettings(dataset=ns.dataset, epochs=ns.epochs, batch_size=ns.batch_size, lr=ns.lr,
                             optimizer=ns.optimizer, weight_decay=ns.weight_decay, device=ns.device, seed=ns.seed,
                             val_split=ns.val_split, out=ns.out, data_dir=ns.data_dir, resume=ns.resume,
                             amp=not ns.no_amp, threads=ns.threads)
    try:
        control.trainer = Trainer(net, settings, emit=control.watch(bar), control=control.queue, log=bar.line)
        result = control.trainer.run()
    except TrainingError as e:
        status = FAILED if e.kind in TrainingError.WHILE_TRAINING else UNUSABLE
        return fail(str(e), e.kind, status, stream=bar, extra=_partial(control.trainer))
    except Exception as e:   # noqa: BLE001 - a sentence, never a traceback
        first = (str(e).strip().splitlines() or [""])[0][:300]
        return fail(f"training failed unexpectedly ({type(e).__name__}: {first}); please report it with the "
                    f"network file and the command.", "internal", FAILED, stream=bar, extra=_partial(control.trainer))
    if result["stopped"]:
        bar.line(f"Stopped with Ctrl+C after {result['steps']} steps; the checkpoint {result['checkpoint']} can be "
                 f"resumed with --resume.")
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return INTERRUPTED if result["stopped"] else OK


def _partial(trainer) -> dict:
    """What a failed run leaves: epochs and steps done, the last checkpoint kept (or None)."""
    if trainer is None:
        return {}
    path = trainer.checkpoint_path
    return {"epochs": trainer.epoch, "steps": trainer.step,
            "checkpoint": str(path) if trainer.checkpoint_saved and path.exists() else None,
            "run_dir": str(trainer.run_folder.path) if trainer.run_folder is not None else None}


class _Interrupts:
    """Ctrl+C before training begins raises KeyboardInterrupt at once (whatever is running: an import,
    a download, loading data); once training runs, the first one becomes a STOP message (the trainer
    stops within a batch and saves its checkpoint) and a second one raises KeyboardInterrupt."""

    def __init__(self):
        self.queue = _Messages()
        self.training = False         # the trainer has said STARTED
        self.stopping = False         # a STOP was sent
        self.trainer = None

    def watch(self, emit):
        """`emit`, noting when training starts."""
        def watched(kind, payload):
            if kind == "started":
                self.training = True
            emit(kind, payload)
        return watched

    def __enter__(self):
        import signal
        self.previous = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, self._stop)
        except ValueError:          # not the main thread: leave Ctrl+C alone
            self.previous = None
        return self

    def _stop(self, *_):
        if not self.training or self.stopping:
            raise KeyboardInterrupt
        from engine.runtime.protocol import STOP
        self.stopping = True
        self.queue.put((STOP, {}))

    def kept_checkpoint(self) -> str | None:
        path = getattr(self.trainer, "checkpoint_path", None)
        return str(path) if path is not None and path.exists() else None

    def stopped_message(self) -> str:
        """One line for a Ctrl+C that stopped at once: what is kept."""
        if not self.training:
            return "netwright: stopped with Ctrl+C before training began (nothing was trained)."
        path = getattr(self.trainer, "checkpoint_path", None)
        if path is not None and path.exists():
            return f"netwright: stopped with Ctrl+C; the last checkpoint {path} is kept (--resume continues from it)."
        return "netwright: stopped with Ctrl+C before the first checkpoint was saved."

    def __exit__(self, *exc):
        import signal
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


class _Messages:
    """The control queue, without locks: the signal handler adds to it in the middle of whatever the main
    thread does (a queue.Queue could be holding its lock there, and put() would wait for ever)."""

    def __init__(self):
        import collections
        self.items = collections.deque()

    def put(self, message) -> None:
        self.items.append(message)

    def get_nowait(self):
        import queue
        try:
            return self.items.popleft()
        except IndexError:
            raise queue.Empty from None

    def get(self, timeout: float = 0.0):
        import queue
        end = time.monotonic() + (timeout or 0.0)
        while True:
            try:
                return self.get_nowait()
            except queue.Empty:
                if time.monotonic() >= end:
                    raise
                time.sleep(0.01)
