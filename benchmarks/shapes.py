"""How fast shapes are known: `main.py check` against importing torch, full shape inference against
PyTorch computing the same shapes on the meta device, and re-validation after one edit with ShapeCache.

Run: .venv/bin/python benchmarks/shapes.py   (prints a table; every figure is measured in this run)
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def best(fn, repeat: int) -> float:
    """Best of `repeat` calls, in seconds (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def best_pair(fn_a, fn_b, repeat: int, rounds: int = 3) -> tuple[float, float]:
    """Best times of two functions, measured in alternating rounds (each function warm within its round),
    so that both meet much the same load on a shared machine."""
    a, b = [], []
    for _ in range(rounds):
        a.append(best(fn_a, repeat))
        b.append(best(fn_b, max(2, repeat // 3)))
    return min(a), min(b)


def deep_network(blocks: int) -> engine.Network:
    """A ResNet-like chain of about `blocks` blocks: conv–batchnorm–relu units with a residual Add every
    second unit, pooling now and then, and a Dense head."""
    net = engine.Network(f"{blocks} blocks")
    prev = net.add_node("Input", {"shape": [3, 64, 64]}, "input")
    i, since_add, skip, size = 0, 0, prev, 64
    while len(net) < blocks - 3:
        i += 1
        conv = net.add_node("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, f"conv{i}")
        net.connect(prev, conv)
        bn = net.add_node("BatchNorm2d", {}, f"bn{i}")
        net.connect(conv, bn)
        prev = net.add_node("ReLU", {}, f"relu{i}")
        net.connect(bn, prev)
        since_add += 1
        if since_add == 2 and i > 2:
            add = net.add_node("Add", {}, f"add{i}")
            net.connect(prev, add)
            net.connect(skip, add)
            prev = skip = add
            since_add = 0
        elif i == 2:
            skip, since_add = prev, 0
        if i % 40 == 0 and size > 4:
            pool = net.add_node("MaxPool2d", {"kernel_size": 2}, f"pool{i}")
            net.connect(prev, pool)
            prev = skip = pool
            size //= 2
            since_add = 0
    for typ, params, nid in [("AdaptiveAvgPool2d", {"output_size": 1}, "gap"), ("Flatten", {}, "flatten"),
                             ("Linear", {"out_features": 10}, "dense")]:
        node = net.add_node(typ, params, nid)
        net.connect(prev, node)
        prev = node
    return net


def conv_pool_chain(blocks: int, distinct: bool = False) -> engine.Network:
    """Input [3, 64, 64], then Conv2d (3×3, padding 1) and MaxPool2d (3×3, stride 1, padding 1) in turn, and a
    Flatten–Dense head: `blocks` blocks. The sizes stay, so each unit repeats the one before it (what shape
    inference may compute once per walk); with `distinct`, every convolution has its own number of filters, so
    no two blocks see the same input and each is inferred on its own."""
    net = engine.Network(f"{blocks}-block conv/pool chain")
    prev = net.add_node("Input", {"shape": [3, 64, 64]}, "input")
    i = 0
    while len(net) < blocks - 2:
        i += 1
        conv = net.add_node("Conv2d", {"out_channels": 8 + i if distinct else 16, "kernel_size": 3, "padding": 1},
                            f"conv{i}")
        net.connect(prev, conv)
        prev = net.add_node("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, f"pool{i}")
        net.connect(conv, prev)
    for typ, params, nid in [("Flatten", {}, "flatten"), ("Linear", {"out_features": 10}, "dense")]:
        node = net.add_node(typ, params, nid)
        net.connect(prev, node)
        prev = node
    return net


def cold_infer(net: engine.Network):
    """Full inference as for a network never seen before: the engine's small caches of per-axis
    arithmetic and shape text are emptied first (they only help within the network)."""
    from engine.core.shapes import clear_caches
    clear_caches()
    return engine.infer_shapes(net)


def torch_meta_shapes(net: engine.Network):
    """PyTorch computing the same shapes: build the model on the meta device and run it."""
    import torch
    with torch.device("meta"):
        model = engine.build_model(net)
        x = torch.empty(1, *model.input_shapes[0])
        return tuple(model(x).shape[1:])


def main() -> None:
    py = sys.executable
    rows = []
    check = wall([py, "main.py", "check", "resources/examples/lenet5.json"], 7)
    torch_import = wall([py, "-c", "import torch"], 5)
    rows.append(("`main.py check lenet5.json` (wall, median of 7)", f"{check * 1000:.0f} ms",
                 f"`import torch` alone: {torch_import * 1000:.0f} ms ({torch_import / check:.1f}× longer)"))

    import torch  # noqa: F401  (imported once here, so the PyTorch timings below exclude the import)
    for n in (10, 100, 1000):
        net = deep_network(n)
        results = engine.infer_shapes(net)
        assert all(r.ok for r in results.values()), [r.error for r in results.values() if r.error][:3]
        assert torch_meta_shapes(net) == results[net.output_node()].shape
        reps = 30 if n < 1000 else 15
        ours, theirs = best_pair(lambda: cold_infer(net), lambda: torch_meta_shapes(net), reps)
        rows.append((f"full inference, {len(net)} blocks", f"{ours * 1000:.2f} ms",
                     f"PyTorch on meta device: {theirs * 1000:.1f} ms ({theirs / ours:.0f}× slower)"))

    for distinct in (False, True):
        net = conv_pool_chain(400, distinct)
        results = engine.infer_shapes(net)
        assert all(r.ok for r in results.values()), [r.error for r in results.values() if r.error][:3]
        assert torch_meta_shapes(net) == results[net.output_node()].shape
        ours, theirs = best_pair(lambda: cold_infer(net), lambda: torch_meta_shapes(net), 30)
        rows.append((f"full inference, {len(net)}-block conv/pool chain" + (", no two blocks alike" if distinct else ""),
                     f"{ours * 1000:.2f} ms", f"{ours / len(net) * 1e6:.1f} µs per block; PyTorch on meta device: "
                     f"{theirs * 1000:.1f} ms ({theirs / ours:.0f}× slower)"))

    net = deep_network(1000)
    cache = engine.ShapeCache()
    cache.infer(net)
    middle = f"conv{len([k for k in net.nodes if k.startswith('conv')]) // 2}"
    edits = iter(range(10 ** 6))

    def edit_and_revalidate(node, name, values):
        net.set_param(node, name, values[next(edits) % len(values)])
        cache.infer(net)

    full, theirs = best_pair(lambda: cold_infer(net), lambda: torch_meta_shapes(net), 5)
    kernel = best(lambda: edit_and_revalidate(middle, "kernel_size", [3, 5]), 20)
    head = best(lambda: edit_and_revalidate("dense", "out_features", [10, 12]), 20)
    bias = best(lambda: edit_and_revalidate(middle, "bias", [False, True]), 20)
    rows.append((f"ShapeCache: edit kernel_size of {middle} (all later shapes change)", f"{kernel * 1000:.2f} ms",
                 f"full inference {full * 1000:.1f} ms; PyTorch meta {theirs / kernel:.0f}× slower"))
    rows.append((f"ShapeCache: edit bias of {middle} (later shapes stay)", f"{bias * 1000:.2f} ms",
                 f"PyTorch meta {theirs / bias:.0f}× slower"))
    rows.append(("ShapeCache: edit out_features of the last Dense", f"{head * 1000:.2f} ms",
                 f"PyTorch meta {theirs / head:.0f}× slower; target for all three: ≤ 16 ms (one frame)"))

    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    print(f"{'measurement'.ljust(widths[0])}  {'time'.rjust(widths[1])}  reference (same run)")
    for a, b, c in rows:
        print(f"{a.ljust(widths[0])}  {b.rjust(widths[1])}  {c}")


if __name__ == "__main__":
    main()
