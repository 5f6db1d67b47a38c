"""Loading is linear: big network files load and check in time proportional to their size. For chains of
1,000 to 20,000 blocks (and a 3,000-block cycle) it measures `engine.loads` (parse, validate, build the
Network), shape inference, the layout of a file without positions, and `main.py check` end to end, each as
a ratio to `json.loads` of the same text measured in this run. A quadratic step shows as a ratio that grows
with the size (it took 30 s to check 20,000 blocks before, some 1,500× json.loads).

Run: .venv/bin/python benchmarks/load.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.core.layout import layered_layout  # noqa: E402


def chain_text(n: int, cycle: bool = False) -> str:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [64]}}]
    kinds = [("Linear", {"out_features": 64}), ("ReLU", {}), ("Dropout", {"p": 0.1})]
    nodes += [{"id": f"b{i}", "type": kinds[i % 3][0], "params": kinds[i % 3][1]} for i in range(n)]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    if cycle:
        edges.append({"source": f"b{n - 1}", "target": "b0"})
    return json.dumps({"format": "netwright.network", "version": 1, "name": f"chain {n}", "nodes": nodes,
                       "edges": edges})


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"{'network':>18}  {'json.loads':>10}  {'load':>13}  {'infer':>13}  {'layout':>13}  {'check (CLI)':>15}")
    with tempfile.TemporaryDirectory() as folder:
        for n, cycle in ((1000, False), (5000, False), (20000, False), (3000, True)):
            text = chain_text(n, cycle)
            path = Path(folder) / "net.json"
            path.write_text(text)
            ref = best(lambda: json.loads(text))
            load = best(lambda: engine.loads(text))
            net = engine.loads(text)
            engine.infer_shapes(net)
            infer = best(lambda: engine.infer_shapes(net))
            layout = best(lambda: layered_layout(net), 1)
            t = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(path)], cwd=ROOT, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cli = time.perf_counter() - t
            name = f"{n:,} blocks" + (" (cycle)" if cycle else "")
            print(f"{name:>18}  {ref * 1000:8.1f}ms  {load * 1000:6.0f}ms {load / ref:4.1f}×  "
                  f"{infer * 1000:6.0f}ms {infer / ref:4.1f}×  {layout * 1000:6.0f}ms {layout / ref:4.1f}×  "
                  f"{cli:6.2f}s {cli / ref:6.0f}×")
    print("\nratios against json.loads of the same file in this run; the CLI includes starting Python "
          "(about 0.1–0.2 s)")


if __name__ == "__main__":
    main()
