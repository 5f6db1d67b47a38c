"""`python main.py train NET.json --dataset SPEC [options]`: train from the command line.

Progress goes to stderr (a bar on a terminal, one line per epoch otherwise); the last line on stdout
is one JSON object with the result. Exit status: 0 trained (or stopped with Ctrl+C, checkpoint
kept); 1 training failed (the data does not fit the network, the loss became NaN, out of memory);
2 the command line, the network file or the checkpoint cannot be used. Never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

OK, FAILED, UNUSABLE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{self.format_usage()}{self.prog}: error: {message}\n")

    def exit(self, status=0, message=None):
        if message:
            (sys.stderr if status else sys.stdout).write(message)
        raise SystemExit(status)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python main.py train", description="Train a network file on a data set. Data sets: shapes "
                "(default, generated), sine, recall, mnist, fashion-mnist, cifar10, npz:PATH, csv:PATH, "
                "folder:PATH, text:PATH.")
    p.add_argument("network", metavar="NET.json")
    p.add_argument("--dataset", default="shapes", metavar="SPEC", help="the data set (default: shapes)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 0.001)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--val-split", type=float, default=0.1, help="share of the data kept for validation")
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
    except _UsageError as e:
        sys.stderr.write(str(e))
        return UNUSABLE
    except SystemExit as e:
        return int(e.code or 0)
    import engine
    try:
        net = engine.load_network(ns.network)
    except engine.NetworkFileError as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    from .trainer import TrainingError, TrainSettings, Trainer
    settings = TrainSettings(dataset=ns.dataset, epochs=ns.epochs, batch_size=ns.batch_size, lr=ns.lr,
                             optimizer=ns.optimizer, weight_decay=ns.weight_decay, device=ns.device, seed=ns.seed,
                             val_split=ns.val_split, out=ns.out, data_dir=ns.data_dir, resume=ns.resume,
                             amp=not ns.no_amp, threads=ns.threads)
    bar = ProgressBar()
    control = _Interrupts()
    try:
        trainer = Trainer(net, settings, emit=bar, control=control.queue, log=bar.line)
        with control:
            result = trainer.run()
    except TrainingError as e:
        bar.line(f"netwright: {e}")
        return UNUSABLE if e.kind == "usage" else FAILED
    except Exception as e:   # noqa: BLE001 - a sentence, never a traceback
        bar.line(f"netwright: training failed unexpectedly ({type(e).__name__}: {e}).")
        return FAILED
    if result["stopped"]:
        bar.line(f"Stopped after {result['steps']} steps; the checkpoint {result['checkpoint']} can be resumed with "
                 f"--resume.")
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return OK


class _Interrupts:
    """Ctrl+C becomes a STOP message: the trainer stops within a batch and saves its checkpoint."""

    def __init__(self):
        import queue
        self.queue = queue.Queue()

    def __enter__(self):
        import signal
        self.previous = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, self._stop)
        except ValueError:          # not the main thread: leave Ctrl+C alone
            self.previous = None
        return self

    def _stop(self, *_):
        from .protocol import STOP
        self.queue.put((STOP, {}))

    def __exit__(self, *exc):
        import signal
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False
