"""Training speed of Netwright's trainer against a plain hand-written PyTorch loop.

Same model, same data (random, in memory), same batch size, same device, in the same process. The
two alternate for several rounds (one epoch each) and the medians are compared; the first round of
each is a warm-up and is dropped. Prints samples/s and the ratio trainer / plain (target ≥ 0.97), by wall clock and per CPU-second
(the second is steadier on a machine that other processes keep busy).

    .venv/bin/python benchmarks/train_overhead.py [--rounds 9] [--device cpu] [--samples 6000] [--threads 1]

On a machine shared with other work, --threads 1 gives far steadier figures: with two threads each
step waits for the slower thread, and a busy core makes that wait vary tenfold between rounds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import engine  # noqa: E402
from engine.data import CLASSIFICATION, Dataset  # noqa: E402
from engine.runtime.trainer import Trainer, TrainSettings, resolve_device  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def lstm_network():
    return engine.network_from_dict({"format": "netwright.network", "version": 1, "name": "LSTM rows", "nodes": [
        {"id": "input", "type": "Input", "params": {"shape": [28, 28]}},
        {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 64, "return_sequences": False}},
        {"id": "out", "type": "Linear", "params": {"out_features": 10}}],
        "edges": [{"source": "input", "target": "lstm"}, {"source": "lstm", "target": "out"}]})


def random_data(shape, n, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, 10, n).astype(np.int64)
    return Dataset("random", x, y, CLASSIFICATION, "image" if len(shape) == 3 else "sequence",
                   [str(i) for i in range(10)])


def plain_loop(net, data: Dataset, batch: int, device, seed: int) -> tuple[float, float]:
    """samples/s of the textbook loop: tensors on the device, a permutation, forward, loss, backward, step."""
    torch.manual_seed(seed)
    model = engine.build_model(net).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.from_numpy(data.x).to(device), torch.from_numpy(data.y).to(device)
    n = len(x)
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    perm = torch.randperm(n, device=device)
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        out = model(x[idx])
        loss = F.cross_entropy(out, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    loss.item()
    sync(device)
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


class LoopClock:
    """Trainer callback: wall and CPU time from the start of the loop to the end of the epoch's steps."""

    def on_start(self, trainer):
        sync(trainer.device)
        self.start, self.cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, trainer, metrics):     # no validation (val_split 0) and no saving
        self.wall, self.cpu = time.perf_counter() - self.start, time.process_time() - self.cpu


def app_trainer(net, data: Dataset, batch: int, device, seed: int) -> tuple[float, float]:
    clock = LoopClock()
    t = Trainer(net, TrainSettings(epochs=1, batch_size=batch, val_split=0.0, device=str(device), seed=seed,
                                   save=False), callbacks=[clock], dataset=data)
    t.run()
    return len(data) / clock.wall, len(data) / clock.cpu


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def compare(name, net, data, batch, device, rounds) -> float:
    plain, app = [], []
    for r in range(rounds + 1):
        order = [(plain_loop, plain), (app_trainer, app)] if r % 2 == 0 else [(app_trainer, app), (plain_loop, plain)]
        for fn, store in order:
            rates = fn(net, data, batch, device, seed=r)
            if r > 0:                      # round 0 warms up both
                store.append(rates)
    med = lambda runs, k: statistics.median(v[k] for v in runs)   # noqa: E731
    p, a = med(plain, 0), med(app, 0)
    paired = statistics.median(b[0] / q[0] for q, b in zip(plain, app))
    cpu = statistics.median(b[1] / q[1] for q, b in zip(plain, app))
    print(f"{name:<24} plain {p:>8,.0f}/s  trainer {a:>8,.0f}/s  ratio of medians {a / p:.3f}  "
          f"median of paired ratios {paired:.3f}  per CPU-second {cpu:.3f}")
    print(f"{'':<24} rounds (samples/s): plain {', '.join(f'{v[0]:,.0f}' for v in plain)}; "
          f"trainer {', '.join(f'{v[0]:,.0f}' for v in app)}")
    spread = max(v[0] for v in plain) / min(v[0] for v in plain)
    if spread > 1.3:
        print(f"{'':<24} note: the plain loop's speed varied {spread:.1f}× between rounds (load average "
              f"{os.getloadavg()[0]:.1f}): the machine is busy. The paired ratio absorbs slow changes"
              + ("; for steadier figures use --threads 1 (threads that wait for each other suffer most)"
                 if torch.get_num_threads() > 1 else ""))
    return paired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"{args.rounds} rounds (medians)")
    ratios = [
        compare("LeNet-5 on 1×32×32", engine.load_network(EXAMPLES / "lenet5.json"),
                random_data((1, 32, 32), args.samples), args.batch_size, device, args.rounds),
        compare("LSTM(64) on 28×28 rows", lstm_network(), random_data((28, 28), args.samples // 2), args.batch_size,
                device, args.rounds),
    ]
    print(f"worst paired ratio {min(ratios):.3f} (target ≥ 0.97)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
