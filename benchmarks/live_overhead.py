"""What the live views cost: training samples/s with all views on, curves only, and none, against a
plain PyTorch loop on the same model and data in the same run; and the GUI event loop's latency (a
QTimer's lateness, p50 and p99) while training runs in a child process with all views on.

    .venv/bin/python benchmarks/live_overhead.py [--steps 300] [--rounds 3] [--seconds 15]

Targets: curves only ≥ 0.97×, all views at the default cadence ≥ 0.90× the plain loop; event-loop
lateness p99 ≤ 16 ms. LeNet-5 on the generated shapes (1×32×32), batch 64, CPU.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine import load_network, network_to_dict  # noqa: E402
from engine.runtime.live import FRAME_VIEWS, LiveCallback  # noqa: E402
from engine.runtime.trainer import Trainer, TrainSettings  # noqa: E402

NETWORK = ROOT / "resources" / "examples" / "lenet5.json"
BATCH = 64


class Clock:
    """Times the training loop from on_start to on_end (setup and data generation excluded), in wall
    time and in this process's CPU time (which other programs on a shared machine disturb far less)."""

    def on_start(self, trainer):
        self.t0, self.c0, self.steps0 = time.perf_counter(), time.process_time(), trainer.step

    def on_end(self, trainer):
        self.seconds, self.steps = time.perf_counter() - self.t0, trainer.step - self.steps0
        self.cpu = time.process_time() - self.c0


def pipe_emit(kind, payload, sink=[0]):
    """What sending to the parent costs in the child: the message is pickled (bytes counted)."""
    sink[0] += len(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))


def trainer_rate(dataset, steps: int, views: str) -> tuple[float, float, float]:
    net = load_network(NETWORK)
    clock = Clock()
    callbacks = [clock]
    live = None
    if views != "none":
        enabled = {n: views == "all" for n in FRAME_VIEWS}
        live = LiveCallback({"enabled": enabled}, network_to_dict(net))
        callbacks.insert(0, live)
    epochs = max(1, round(steps * BATCH / len(dataset)))
    s = TrainSettings(epochs=epochs, batch_size=BATCH, lr=1e-3, save=False, val_split=0.0, device="cpu")
    Trainer(net, s, callbacks, emit=pipe_emit if views != "none" else None, dataset=dataset).run()
    samples = clock.steps * BATCH
    return samples / clock.seconds, samples / clock.cpu, (live.overhead if live else 0.0)


def plain_rate(dataset, steps: int) -> tuple[float, float]:
    """The same model, data on the device, batches by index, Adam, cross-entropy: nothing else."""
    import engine
    torch.manual_seed(0)
    model = engine.build_model(load_network(NETWORK))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.from_numpy(dataset.x), torch.from_numpy(dataset.y)
    n = len(x)
    epochs = max(1, round(steps * BATCH / n))
    done = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        perm = torch.randperm(n)
        losses = []
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            out = model(x.index_select(0, idx))
            loss = torch.nn.functional.cross_entropy(out, y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
            done += 1
            if len(losses) == 20:
                torch.stack(losses).tolist()
                losses.clear()
    return done * BATCH / (time.perf_counter() - t0), done * BATCH / (time.process_time() - c0)


def throughput(steps: int, rounds: int) -> None:
    from engine.data import prepare
    torch.set_num_threads(1)      # no spinning worker threads: CPU time is work, even on a busy machine
    dataset = prepare("shapes", load_network(NETWORK))
    wall = {"plain": [], "none": [], "curves": [], "all": []}
    cpu = {k: [] for k in wall}
    overhead = []
    plain_rate(dataset, 40)                            # warm-up
    variants = ["plain", "none", "curves", "all"]
    for r in range(rounds):                  # interleaved, in a rotating order, so a busy moment or a
        for views in variants[r % 4:] + variants[:r % 4]:        # warm-up favours no variant
            if views == "plain":
                w, c = plain_rate(dataset, steps)
            else:
                w, c, share = trainer_rate(dataset, steps, views)
                if views == "all":
                    overhead.append(share)
            wall[views].append(w)
            cpu[views].append(c)
    print(f"LeNet-5 on shapes 1×32×32, batch {BATCH}, CPU threads {torch.get_num_threads()}, ~{steps} steps × "
          f"{rounds} rounds, interleaved; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("  ratio = median samples/s of the variant / median of the plain loop; samples per CPU-second "
          "count only this process's work, wall-clock samples/s also count waiting for the CPU")
    print(f"  {'':<29}{'per CPU-s':>10} {'ratio':>6}   {'wall /s':>8} {'ratio':>6}")
    labels = {"plain": "plain PyTorch loop", "none": "trainer, no views", "curves": "curves only",
              "all": "all views (default cadence)"}
    targets = {"curves": 0.97, "all": 0.90}
    for k in ("plain", "none", "curves", "all"):
        rc = np.median(cpu[k]) / np.median(cpu["plain"])
        rw = np.median(wall[k]) / np.median(wall["plain"])
        target = f"   (target ≥ {targets[k]:.2f}×)" if k in targets else ""
        print(f"  {labels[k]:<29}{np.median(cpu[k]):10.0f} {rc:5.2f}×   {np.median(wall[k]):8.0f} {rw:5.2f}×{target}")
    for k in ("curves", "all"):
        rc = np.median(cpu[k]) / np.median(cpu["none"])
        print(f"  {labels[k]} against the same trainer without views: {rc:.2f}× (CPU)")
    print(f"  view overhead meter with all views on: {100 * np.median(overhead):.1f}% of training time")


def latency(seconds: float) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from demo_views import ChildRun
    from app.training_controller import threads_beside_window
    from widgets.live_views import TABS, LiveViews
    app = QApplication.instance() or QApplication([])
    net = load_network(NETWORK)
    views = LiveViews()
    views.resize(1400, 900)
    views.set_network(net)
    views.ensure_views()
    views.screen_box.setChecked(False)                 # every view computed, not only the one on screen
    views.show()
    settings = {"dataset": "shapes", "epochs": 1000, "batch_size": BATCH, "lr": 1e-3, "save": False,
                "live_views": views.views_settings(),
                "threads": threads_beside_window()}      # as the app starts runs: a core left to the window
    run = ChildRun(network_to_dict(net), settings)
    views.attach(run)
    lateness, state = [], {"measuring": False}
    handler_ms = {"poll": [], "refresh": []}

    drawn: dict[str, list[float]] = {}

    def timed(name, fn):
        def wrapper(*args):
            had_frame = views._dirty        # the run model holds a frame not drawn yet
            t = time.perf_counter()
            fn(*args)
            ms = 1000 * (time.perf_counter() - t)
            if state["measuring"]:
                handler_ms[name].append(ms)
                if name == "refresh" and had_frame:
                    drawn.setdefault(views.current_view(), []).append(ms)
        return wrapper

    run.timer.timeout.disconnect()
    run.timer.timeout.connect(timed("poll", run.poll))
    views.timer.timeout.disconnect()
    views.timer.timeout.connect(timed("refresh", views.refresh))
    clock = QElapsedTimer()
    interval = 10

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if state["measuring"]:
            lateness.append(max(0.0, now - state["due"]))
        state["due"] = now + interval

    def begin(_payload):
        QTimer.singleShot(2000, lambda: state.update(measuring=True))     # let the child warm up
        QTimer.singleShot(int(2000 + seconds * 1000), app.quit)

    tab = {"i": 0}

    def next_tab():
        tab["i"] = (tab["i"] + 1) % len(TABS)
        views.tabs.setCurrentIndex(tab["i"])

    timer = QTimer()
    timer.setInterval(interval)
    timer.timeout.connect(tick)
    rotate = QTimer()
    rotate.setInterval(3000)
    rotate.timeout.connect(next_tab)
    run.started.connect(begin)
    clock.start()
    state["due"] = interval
    timer.start()
    rotate.start()
    run.start()
    QTimer.singleShot(120_000, app.quit)
    app.exec()
    run.stop()
    a = np.array(lateness)
    print(f"GUI event loop while training in a child process with all views on ({seconds:.0f} s, tabs rotating, "
          f"{run.frames} frames drawn): QTimer({interval} ms) lateness p50 {np.percentile(a, 50):.1f} ms, "
          f"p99 {np.percentile(a, 99):.1f} ms, max {a.max():.1f} ms   (target p99 ≤ 16 ms); "
          f"load average {os.getloadavg()[0]:.1f}")
    print("  drawing a frame, per view: " + ", ".join(f"{k} {np.median(v):.0f} ms (max {max(v):.0f}, {len(v)}×)"
                                                       for k, v in sorted(drawn.items())))
    for name, ms in handler_ms.items():
        if ms:
            print(f"  {name:<8} handler: p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms, "
                  f"max {max(ms):.1f} ms over {len(ms)} calls")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--skip-gui", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_throughput:
        throughput(args.steps, args.rounds)
    if not args.skip_gui:
        latency(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
