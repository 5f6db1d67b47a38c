"""A GPU proof, in under 3 minutes on a CUDA machine: LeNet-5 trains through the app's own training
process (engine.runtime.child.run_child, started with multiprocessing's spawn exactly as the app's
TrainingController starts it) with mixed precision (AMP) and every live view on, and

1. its samples/s are compared with a plain PyTorch loop (same model, data, batch, AMP) on the same GPU
   in the same run (target: at least 0.90× with all views on, as benchmarks/live_overhead.py asks);
2. a second run with the same seed gives the same loss curve (identical, or how far apart);
3. an absurd batch size stops with the out-of-memory advice (a sentence with the estimate), no crash.

    .venv/bin/python benchmarks/gpu_check.py [--epochs 4] [--batch 256] [--device cuda]

Without CUDA it prints one line, "no CUDA: skipped", and exits 0. `--device cpu` runs every step on the
CPU instead (AMP is CUDA-only, so it is off there; a slow dry run that exercises the script where no GPU
is). Exit status 1 when a check fails or the whole check took longer than 3 minutes on CUDA.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NETWORK = ROOT / "resources" / "examples" / "lenet5.json"
LIMIT_S = 180.0
SPEED_TARGET = 0.90
VIEWS_CONFIG = {"every_steps": 20, "max_fps": 15.0, "block": None, "probe_index": 0,   # the app's defaults
                "filters_block": None, "gates_block": None}                          # (widgets/live_views.py)


def child_run(network_dict: dict, settings: dict, timeout: float) -> dict:
    """One run in the training process the app uses; what the parent saw: the messages by kind."""
    from engine.runtime import protocol
    from engine.runtime.child import run_child
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe(duplex=True)
    process = ctx.Process(target=run_child, args=(child_conn, network_dict, settings), daemon=True,
                          name="netwright-training")
    start = time.perf_counter()
    process.start()
    child_conn.close()
    seen = {"losses": [], "frames": 0, "views": set(), "overhead": None, "done": None, "error": None,
            "started": None}
    try:
        while time.perf_counter() - start < timeout:
            if not conn.poll(0.5):
                if not process.is_alive():
                    break
                continue
            try:
                kind, payload = conn.recv()
            except EOFError:
                break
            if kind == protocol.STARTED:
                seen["started"] = payload
            elif kind == protocol.SCALARS:
                seen["losses"] += payload["loss"]
            elif kind == protocol.FRAME:
                seen["frames"] += 1
                seen["views"] |= {name for name, data in payload["views"].items() if data is not None}
                seen["overhead"] = payload.get("overhead")
            elif kind == protocol.DONE:
                seen["done"] = payload
            elif kind == protocol.ERROR:
                seen["error"] = payload
            if kind in (protocol.DONE, protocol.ERROR):
                break
        else:
            seen["error"] = {"message": f"no result within {timeout:.0f} s", "kind": "timeout"}
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        conn.close()
    seen["exitcode"] = process.exitcode
    seen["seconds"] = time.perf_counter() - start
    return seen


def plain_rate(net, data, batch: int, epochs: int, device, amp: bool) -> float:
    """samples/s of the textbook loop on the same device: data on the device, a permutation per epoch,
    autocast + GradScaler when AMP is on, Adam, cross-entropy; the first epoch is a warm-up."""
    import torch
    import torch.nn.functional as F

    import engine
    torch.manual_seed(0)
    model = engine.build_model(net).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    x, y = torch.from_numpy(data.x).to(device), torch.from_numpy(data.y).to(device)
    n = len(x)
    rates = []
    for _ in range(epochs + 1):
        sync(device)
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            with torch.autocast(device.type, enabled=amp):
                loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        loss.item()
        sync(device)
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates[1:])


def sync(device) -> None:
    import torch
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def curve_difference(a: list[float], b: list[float]) -> tuple[bool, float]:
    """(identical, the largest difference of two steps' losses relative to the loss)."""
    if len(a) != len(b) or not a:
        return False, float("inf")
    worst = max(abs(p - q) / max(abs(p), 1e-8) for p, q in zip(a, b))
    return a == b, worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu for a dry run")
    parser.add_argument("--epochs", type=int, default=4, help="epochs of each training run (default 4)")
    parser.add_argument("--batch", type=int, default=256, help="batch size (default 256)")
    args = parser.parse_args(argv)
    import torch
    on_cuda = args.device.startswith("cuda")
    if on_cuda and not torch.cuda.is_available():
        print("no CUDA: skipped")
        return 0

    import engine
    from engine.data import prepare
    from engine.runtime.protocol import FRAME_VIEWS
    from engine.runtime.train_setup import BATCH_MAX
    begin = time.perf_counter()
    device = torch.device(args.device)
    net = engine.load_network(NETWORK)
    network_dict = engine.network_to_dict(net)
    name = torch.cuda.get_device_name(device) if on_cuda else "CPU"
    print(f"gpu_check: {name}, torch {torch.__version__}, LeNet-5 on 'shapes', batch {args.batch}, "
          f"{args.epochs} epochs, AMP {'on' if on_cuda else 'off (CPU)'}")
    failures = []
    with tempfile.TemporaryDirectory(prefix="netwright-gpu-check-") as tmp:
        def settings(seed: int, batch: int, out: str) -> dict:
            return {"dataset": "shapes", "epochs": args.epochs, "batch_size": batch, "device": args.device,
                    "seed": seed, "amp": True, "out": str(Path(tmp) / out),
                    "live_views": {**VIEWS_CONFIG, "enabled": {v: True for v in FRAME_VIEWS}}}

        # 1. The app's training process, every live view on, against the plain loop.
        first = child_run(network_dict, settings(0, args.batch, "run1"), timeout=120)
        if first["done"] is None:
            print(f"  training failed: {first['error']}")
            return 1
        app = first["done"]["samples_per_sec"]
        data = prepare("shapes", net, None, 0)
        split = int(len(data.x) * 0.9)                 # the trainer's default split keeps 90 % for training
        data.x, data.y = data.x[:split], data.y[:split]
        plain = plain_rate(net, data, args.batch, args.epochs, device, amp=on_cuda)
        ratio = app / plain
        print(f"  speed: app's training process {app:,.0f} samples/s with all views on "
              f"({first['frames']} frames: {', '.join(sorted(first['views']))}; view overhead "
              f"{(first['overhead'] or 0) * 100:.1f} %), plain loop {plain:,.0f} samples/s: ratio {ratio:.2f} "
              + (f"(target ≥ {SPEED_TARGET:.2f})" if on_cuda else "(CPU dry run: not judged)"))
        if ratio < SPEED_TARGET and on_cuda:           # the target is the GPU's; a CPU dry run only reports
            failures.append(f"speed ratio {ratio:.2f} < {SPEED_TARGET:.2f}")
        if first["frames"] == 0:
            failures.append("no live-view frames arrived")

        # 2. The same seed, the same curve.
        second = child_run(network_dict, settings(0, args.batch, "run2"), timeout=120)
        if second["done"] is None:
            failures.append(f"the second run failed: {second['error']}")
        else:
            same, worst = curve_difference(first["losses"], second["losses"])
            print(f"  seed: two runs with seed 0, {len(first['losses'])} steps each: "
                  + ("identical loss curves" if same else f"curves differ by at most {worst:.2e} of the loss"))
            if not same and worst > 1e-2:
                failures.append(f"the same seed gave another curve (up to {worst:.2e} apart)")

        # 3. An absurd batch size: the out-of-memory advice, before anything is allocated; no crash.
        absurd = child_run(network_dict, settings(0, BATCH_MAX, "run3"), timeout=60)
        err = absurd["error"] or {}
        print(f"  absurd batch {BATCH_MAX:,}: {err.get('kind')}: {err.get('message')} "
              f"({absurd['seconds']:.1f} s, child exit {absurd['exitcode']})")
        message = err.get("message") or ""
        advice = "memory" in message or ("needs at least" in message and "available" in message)
        if err.get("kind") not in ("oom", "usage") or not advice or absurd["exitcode"] != 0:
            failures.append("the absurd batch size did not stop with the out-of-memory advice")
    total = time.perf_counter() - begin
    if on_cuda and total > LIMIT_S:
        failures.append(f"took {total:.0f} s (limit {LIMIT_S:.0f} s)")
    print(f"gpu_check: {'PASS' if not failures else 'FAIL: ' + '; '.join(failures)} ({total:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
