"""Open the live views fed by a real training run in a child process (as the app runs it).

    .venv/bin/python benchmarks/demo_views.py --example edge_cnn --tab filters --optimizer adamw \
        --weight-decay 2 --lr 5e-3
    .venv/bin/python benchmarks/demo_views.py --example char_lstm_small --tab gates \
        --dataset text:../shared/data/tinyshakespeare.txt --text-chars 150000

Used for the screenshots in docs/view-*.png (with ../shared/tools/shot.sh). `ChildRun` is a minimal
stand-in for the app's training controller: a spawn child running engine.runtime.trainer.run_child, a pipe
polled ~30 times a second, the newest FRAME kept and the rest delivered in order.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QObject, QTimer, Signal  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import load_network, network_to_dict  # noqa: E402
from engine.runtime import protocol  # noqa: E402


class ChildRun(QObject):
    started = Signal(dict)
    scalars = Signal(dict)
    epoch_finished = Signal(dict)
    frame = Signal(dict)
    finished = Signal(dict)
    failed = Signal(dict)

    def __init__(self, network_dict: dict, settings: dict, parent=None):
        super().__init__(parent)
        from engine.runtime.trainer import run_child
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=run_child, args=(child, network_dict, settings), daemon=True)
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self.poll)
        self.frames = 0
        self.done = False
        from engine.runtime.run_model import RunModel
        self.run = RunModel()            # what the live views mirror, fed as the app's controller feeds it
        for signal, slot in ((self.started, self.run.on_started), (self.scalars, self.run.on_scalars),
                             (self.epoch_finished, self.run.on_epoch), (self.frame, self.run.on_frame),
                             (self.finished, self.run.on_finished)):
            signal.connect(slot)

    def start(self) -> None:
        self.process.start()
        self.timer.start()

    def send_views(self, payload: dict) -> None:
        if not self.done:
            self.conn.send((protocol.VIEWS, payload))

    def poll(self) -> None:
        newest = None
        slots = {protocol.STARTED: self.started, protocol.SCALARS: self.scalars, protocol.EPOCH: self.epoch_finished,
                 protocol.DONE: self.finished, protocol.ERROR: self.failed}
        try:
            while self.conn.poll():
                kind, payload = self.conn.recv()
                if kind == protocol.FRAME:
                    newest = payload
                elif kind in slots:
                    if kind in (protocol.DONE, protocol.ERROR):
                        self.done = True
                        self.timer.stop()
                        if kind == protocol.ERROR:
                            print("training failed:", payload.get("message"), file=sys.stderr)
                    slots[kind].emit(payload)
        except (EOFError, OSError):
            self.done = True
            self.timer.stop()
        if newest is not None:
            self.frames += 1
            self.frame.emit(newest)

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self.conn.send((protocol.STOP, {}))
            except (BrokenPipeError, OSError):
                pass
            self.process.join(3)
            if self.process.is_alive():
                self.process.terminate()


def shorten_text(net, path: str, chars: int) -> str:
    """The first `chars` characters of a text in a temporary file, and the network resized to fit it."""
    import tempfile
    text = Path(path).read_text(encoding="utf-8")[:chars]
    vocab = len(set(text))
    out = Path(tempfile.mkdtemp(prefix="netwright-demo-")) / Path(path).name
    out.write_text(text, encoding="utf-8")
    for node in net.nodes.values():
        if node.type == "Embedding":
            net.set_param(node.id, "num_embeddings", vocab)
    net.set_param(net.output_node(), "out_features", vocab)
    return "text:" + str(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--example", default="lenet5", help="a network in resources/examples, or a path")
    ap.add_argument("--dataset", default="shapes")
    ap.add_argument("--tab", default="curves", help="curves, filters, features, gates, weights or outcome")
    ap.add_argument("--block", default=None, help="block whose feature maps to show")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--size", default="1500x950")
    ap.add_argument("--runs", type=int, default=1, help="train again after each run (earlier runs show faintly)")
    ap.add_argument("--next-lr", type=float, default=None, help="learning rate of the later runs")
    ap.add_argument("--text-chars", type=int, default=0,
                    help="with text:PATH, train on its first N characters (the Embedding and the output "
                         "block are resized to their vocabulary), so an epoch ends within a minute")
    args = ap.parse_args(argv)
    path = Path(args.example)
    for folder in (ROOT / "resources" / "examples", ROOT / "benchmarks" / "networks"):
        if not path.exists():
            path = folder / f"{args.example}.json"
    net = load_network(path)
    if args.text_chars and args.dataset.startswith("text:"):
        args.dataset = shorten_text(net, args.dataset[5:], args.text_chars)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from widgets.live_views import TABS, LiveViews
    views = LiveViews()
    views.setWindowTitle(f"Netwright live views — {net.name} on {args.dataset}")
    w, h = (int(v) for v in args.size.split("x"))
    views.resize(w, h)
    views.set_network(net)
    views.ensure_views()
    views.tabs.setCurrentIndex([n for n, _ in TABS].index(args.tab))
    if args.block:
        views.set_block(args.block)
    settings = {"dataset": args.dataset, "epochs": args.epochs, "batch_size": args.batch, "lr": args.lr,
                "optimizer": args.optimizer, "weight_decay": args.weight_decay, "save": False,
                "live_views": views.views_settings()}
    runs = []

    def start_run(_result=None):
        if len(runs) >= args.runs:
            return
        if runs and args.next_lr:
            settings["lr"] = args.next_lr
        settings["live_views"] = views.views_settings()
        run = ChildRun(network_to_dict(net), settings)
        runs.append(run)
        views.attach(run)
        run.finished.connect(start_run)
        app.aboutToQuit.connect(run.stop)
        run.start()

    start_run()
    views.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
