"""`export NET.json --script train.py`: one readable script (torch and numpy) that trains the network on the
data of its `training` object, as one process or under torchrun with DistributedDataParallel (Gloo here)."""
from __future__ import annotations

import ast
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import engine
from engine import cli
from engine.data import input_spec, load_dataset
from engine.data.registry import GENERATED, SETS, names
from engine.core.codegen import ExportError
from engine.runtime.script_export import export_script, training_of

ROOT = Path(__file__).resolve().parents[1]
TORCHRUN = Path(sys.executable).with_name("torchrun")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TINY = {"format": "netwright.network", "version": 1, "name": "tiny \"\"\" net\nprint('x')",
        "nodes": [{"id": "input", "type": "Input", "params": {"shape": [1, 8, 8]}},
                  {"id": "flat", "type": "Flatten", "params": {}},
                  {"id": "fc1", "type": "Linear", "params": {"out_features": 16}},
                  {"id": "act", "type": "Tanh", "params": {}},
                  {"id": "fc2", "type": "Linear", "params": {"out_features": 10}}],
        "edges": [{"source": "input", "target": "flat"}, {"source": "flat", "target": "fc1"},
                  {"source": "fc1", "target": "act"}, {"source": "act", "target": "fc2"}],
        "training": {"dataset": "shapes", "batch_size": 60, "lr": 0.02, "epochs": 1, "seed": 3}}


def script_for(tmp_path, data=TINY) -> Path:
    path = tmp_path / "train.py"
    path.write_text(export_script(engine.network_from_dict(data)), encoding="utf-8")
    return path


def run(args, cwd, timeout=240):
    """A run that hangs (a stuck collective) fails at the timeout instead of blocking the suite."""
    return subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


def metrics(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def weights(folder: Path) -> dict:
    return torch.load(folder / "checkpoint.pt", map_location="cpu", weights_only=True)


def test_script_needs_only_torch_and_numpy_and_carries_the_training_object(tmp_path):
    path = script_for(tmp_path)
    text = path.read_text()
    tree = ast.parse(text)
    imported = {(n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert imported <= {"__future__", "argparse", "collections", "csv", "dataclasses", "datetime", "gzip", "hashlib",
                        "os", "pathlib", "re", "secrets", "stat", "struct", "time", "typing",
                        "numpy", "torch"}          # the standard library, numpy and torch
    assert "class Net(nn.Module):" in text and "DistributedDataParallel" in text and "DistributedSampler" in text
    assert "DATASET = 'shapes'" in text and "'batch_size': 60" in text and "'seed': 3" in text
    # the name with quotes and a newline stays text: only the docstring's first line and a repr() hold it
    assert not any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) for n in tree.body)


def script_module(path: Path):
    """The exported script as a module (its main() does not run), to call its data loading."""
    import importlib.util
    name = f"exported_train_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module                  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SMALL = {"shapes": [1, 8, 8], "sine": [9, 1], "recall": [6, 4], "waves": [2, 16], "clips": [3, 4, 8, 10]}


@pytest.mark.parametrize("dataset", names(GENERATED))      # every generated set of the registry
def test_generated_data_in_the_script_equals_the_apps(tmp_path, dataset):
    shape = SMALL.get(dataset, list(SETS[dataset].fits))
    data = {**TINY, "nodes": [{"id": "input", "type": "Input", "params": {"shape": shape}}, *TINY["nodes"][1:]],
            "training": {"dataset": dataset, "seed": 4}}
    if dataset == "sine":
        data["nodes"][-1] = {"id": "fc2", "type": "Linear", "params": {"out_features": 1}}
    net = engine.network_from_dict(data)
    x, y, task = script_module(script_for(tmp_path, data)).load_data(None)
    ds = load_dataset(dataset, input_spec(net), seed=4)
    assert np.array_equal(x, ds.x) and np.array_equal(y, ds.y) and task == ds.task


def test_text_data_in_the_script_equals_the_apps(tmp_path):
    data = {**TINY, "nodes": [{"id": "input", "type": "Input", "params": {"shape": [20], "dtype": "int64"}},
                              {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 40, "embedding_dim": 8}},
                              {"id": "fc2", "type": "Linear", "params": {"out_features": 40}}],
            "edges": [{"source": "input", "target": "emb"}, {"source": "emb", "target": "fc2"}],
            "training": {"dataset": "text:story.txt"}}
    (tmp_path / "story.txt").write_text("the quick brown fox jumps over the lazy dog. " * 20)
    module = script_module(script_for(tmp_path, data))
    assert module.DATA_PATH == "story.txt"
    x, y, task = module.load_data(str(tmp_path / "story.txt"))
    ds = load_dataset(f"text:{tmp_path / 'story.txt'}", input_spec(engine.network_from_dict(data)))
    assert np.array_equal(x, ds.x) and np.array_equal(y, ds.y) and task == ds.task == "text"


def test_values_from_a_hostile_training_object_never_reach_the_script_unchecked():
    net = engine.network_from_dict(TINY)
    net.extra["training"] = {"epochs": "__import__('os')", "lr": float("nan"), "optimizer": "os.system('x')",
                             "batch_size": True}          # (the loader refuses these; a net built in code may not)
    t = training_of(net)
    assert (t["epochs"], t["lr"], t["optimizer"], t["batch_size"]) == (5, 0.001, "adam", 64)
    with pytest.raises(ExportError, match="folder:x"):
        export_script(engine.network_from_dict({**TINY, "training": {"dataset": "folder:x"}}))


@pytest.mark.skipif(not TORCHRUN.exists() or not torch.distributed.is_gloo_available(),
                    reason="needs torchrun and Gloo")
def test_torchrun_with_two_processes_equals_one_process_on_the_full_batch_and_resumes(tmp_path):
    path = script_for(tmp_path)
    two = run([str(TORCHRUN), "--standalone", "--nproc_per_node=2", str(path), "--out", "two"], tmp_path)
    assert two.returncode == 0, two.stderr[-3000:]
    out = two.stdout
    assert out.count("epoch 1/1:") == 1 and "on 2 × cpu" in out                      # rank 0 alone logs
    assert "parameters identical on all 2 processes" in out
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["checkpoint.pt", "metrics.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name not in ("train.py", "two")]   # nothing else written

    one = run([sys.executable, str(path), "--out", "one"], tmp_path)
    assert one.returncode == 0, one.stderr[-3000:]
    a, b = weights(tmp_path / "one"), weights(tmp_path / "two")
    assert a["step"] == b["step"] == 45                        # 2,700 training samples / 60
    for k in a["model"]:
        assert torch.allclose(a["model"][k], b["model"][k], atol=1e-6, rtol=0), k
    first = metrics(tmp_path / "two")[0]
    assert float(first["val_loss"]) < np.log(10) - 0.05       # the loss falls from chance

    shutil.copytree(tmp_path / "two", tmp_path / "resumed")
    again = run([sys.executable, str(path), "--out", "resumed", "--epochs", "2"], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming from" in again.stdout and "epoch 2/2" in again.stdout and "epoch 1/2" not in again.stdout
    rows = metrics(tmp_path / "resumed")
    assert [r["epoch"] for r in rows] == ["1", "2"] and rows[1]["step"] == "90"
    assert float(rows[1]["train_loss"]) < float(rows[0]["train_loss"])


def test_export_script_command(tmp_path, capsys, load_example):
    net_file = tmp_path / "tiny.json"
    engine.save_network(engine.network_from_dict(TINY), net_file)
    assert cli.main(["export", str(net_file), "--script", str(tmp_path / "t.py")]) == 0
    compile((tmp_path / "t.py").read_text(), "t.py", "exec")
    text_net = tmp_path / "text.json"
    engine.save_network(engine.network_from_dict({**TINY, "training": {"dataset": "folder:imgs"}}), text_net)
    assert cli.main(["export", str(text_net), "--script", str(tmp_path / "u.py")]) == 2
    err = capsys.readouterr().err
    assert "folder:imgs" in err and "Traceback" not in err and not (tmp_path / "u.py").exists()


def test_the_script_reads_other_data_given_on_its_command_line(tmp_path):
    module = script_module(script_for(tmp_path))            # exported for 'shapes'
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 256, (30, 8, 8)).astype(np.uint8), y=np.arange(30) % 10)
    x, y, task = module.load_data(str(tmp_path / "d.npz"), "npz")
    ds = load_dataset(f"npz:{tmp_path / 'd.npz'}", input_spec(engine.network_from_dict(TINY)))
    assert np.allclose(x, ds.x) and np.array_equal(y, ds.y) and task == ds.task
    with pytest.raises(SystemExit, match="--data PATH"):
        module.load_data(None, "mnist")
    assert module.parse_args(["--dataset", "mnist", "--data", "digits"]).dataset == "mnist"
