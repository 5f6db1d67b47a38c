"""benchmarks/gpu_check.py: without CUDA it skips cleanly (one line, exit 0); its curve comparison says
identical only for identical curves. (The GPU run itself is a benchmark: see the README.)"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def test_without_cuda_it_prints_one_line_and_exits_0(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}          # no GPU, even on a machine that has one
    p = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=300)
    assert (p.returncode, p.stdout, p.stderr) == (0, "no CUDA: skipped\n", "")
    assert list(tmp_path.iterdir()) == []


def test_the_seed_check_compares_whole_curves():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.curve_difference([2.0, 1.5, 1.0], [2.0, 1.5, 1.0]) == (True, 0.0)
    same, worst = module.curve_difference([2.0, 1.5, 1.0], [2.0, 1.5, 1.01])
    assert not same and abs(worst - 0.01) < 1e-9
    assert module.curve_difference([2.0, 1.5], [2.0]) == (False, float("inf"))
    assert module.curve_difference([], []) == (False, float("inf"))
