"""`python main.py train`: the last stdout line is the JSON result, progress goes to stderr, the run
folder is filled, exit codes say what happened, and no traceback ever reaches the user."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from engine.cli import train as train_cli
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def net_file(chain, tmp_path):
    net = chain(("input", "Input", {"shape": [1, 12, 12]}),
                ("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}), ("ReLU", {}), ("Flatten", {}),
                ("fc", "Linear", {"out_features": 10}))
    net.name = "tiny net"
    path = tmp_path / "tiny.json"
    engine.save_network(net, path)
    return path


@pytest.fixture(autouse=True)
def one_thread():
    """Small models: two threads gain little and lose a lot on a busy machine."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(capsys, *args):
    code = train_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_prints_one_json_result_and_fills_the_run_folder(net_file, tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run(capsys, net_file, "--dataset", "shapes", "--epochs", "2", "--batch-size", "100",
                         "--lr", "0.003", "--optimizer", "adamw", "--weight-decay", "0.01", "--seed", "3",
                         "--val-split", "0.2", "--device", "cpu", "--out", out_dir)
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert result["epochs"] == 2 and result["device"] == "cpu"
    assert {"train_loss", "val_loss", "val_accuracy", "samples_per_sec", "checkpoint"} <= set(result)
    assert 0 <= result["val_accuracy"] <= 1 and result["samples_per_sec"] > 0
    assert Path(result["checkpoint"]) == out_dir / "checkpoint.pt"
    assert {p.name for p in out_dir.iterdir()} >= {"checkpoint.pt", "metrics.csv", "manifest.json"}
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["settings"]["val_split"] == 0.2
    assert "epoch 2: train loss" in err and "Traceback" not in err

    code, out, err = run(capsys, net_file, "--epochs", "3", "--batch-size", "100", "--lr", "0.003",
                         "--optimizer", "adamw", "--seed", "3", "--val-split", "0.2", "--out", out_dir,
                         "--resume", out_dir / "checkpoint.pt")
    assert code == 0 and json.loads(out.splitlines()[-1])["epochs"] == 3
    assert len((out_dir / "metrics.csv").read_text().splitlines()) == 4


def test_regression_has_null_accuracy(chain, tmp_path, capsys):
    net = chain(("input", "Input", {"shape": [10, 1]}), ("Flatten", {}), ("out", "Linear", {"out_features": 1}))
    engine.save_network(net, tmp_path / "sine.json")
    code, out, _ = run(capsys, tmp_path / "sine.json", "--dataset", "sine", "--epochs", "1", "--out", tmp_path / "r")
    assert code == 0 and json.loads(out.splitlines()[-1])["val_accuracy"] is None


def test_exit_codes_and_messages(net_file, tmp_path, capsys):
    code, out, err = run(capsys, net_file, "--dataset", "recall", "--out", tmp_path / "a")
    assert code == 2 and "The 'recall' task gives sequences [T, F]" in err       # data that does not fit: 2
    assert "The 'recall' task gives sequences [T, F]" in json.loads(out.splitlines()[-1])["error"]
    code, _, err = run(capsys, net_file, "--dataset", "npz:/nowhere/data.npz", "--out", tmp_path / "b")
    assert code == 2 and "/nowhere/data.npz does not exist" in err
    code, _, err = run(capsys, net_file, "--optimizer", "rmsprop")
    assert code == 2 and "invalid choice: 'rmsprop'" in err
    code, _, err = run(capsys, tmp_path / "missing.json")
    assert code == 2 and "missing.json" in err
    code, _, err = run(capsys, net_file, "--epochs", "0")
    assert code == 2 and "The number of epochs must be from 1" in err
    code, _, err = run(capsys, net_file, "--resume", tmp_path / "none.pt", "--out", tmp_path / "c")
    assert code == 2 and "none.pt does not exist" in err
    assert "Traceback" not in err


def test_main_py_train_runs_as_a_command(net_file, tmp_path):
    proc = subprocess.run([sys.executable, "main.py", "train", str(net_file), "--epochs", "1", "--batch-size", "200",
                           "--out", str(tmp_path / "cmd")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["epochs"] == 1
    assert "Training on cpu" in proc.stderr and "Traceback" not in proc.stderr


def _ctrl_c():
    signal.raise_signal(signal.SIGINT)        # its handler runs before this returns


def test_ctrl_c_while_the_data_loads_stops_at_once_with_one_line(net_file, tmp_path, capsys, monkeypatch):
    import engine.runtime.trainer

    def slow_download(*args, **kwargs):            # Ctrl+C early in a download that would go on for a minute
        _ctrl_c()
        time.sleep(60)
        raise AssertionError("Ctrl+C did not stop the download")
    monkeypatch.setattr(engine.runtime.trainer, "prepare", slow_download)
    code, out, err = run(capsys, net_file, "--dataset", "mnist", "--out", tmp_path / "run")
    assert code == 130 and json.loads(out)["error"] == "stopped with Ctrl+C before training began (nothing was trained)."
    assert err.strip() == "netwright: stopped with Ctrl+C before training began (nothing was trained)."


def test_ctrl_c_while_torch_is_imported_gives_no_traceback(net_file):
    script = ("import builtins, signal, sys\n"
              "real = builtins.__import__\n"
              "def hook(name, *a, **k):\n"
              "    if name == 'torch' and 'torch' not in sys.modules:\n"
              "        signal.raise_signal(signal.SIGINT)\n"
              "    return real(name, *a, **k)\n"
              "builtins.__import__ = hook\n"
              "from engine.cli import train as train_cli\n"
              f"sys.exit(train_cli.main([{str(net_file)!r}, '--epochs', '1']))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "netwright: stopped with Ctrl+C before training began (nothing was trained).\n"


def test_ctrl_c_during_training_saves_and_a_second_stops_at_once(net_file, tmp_path, capsys, monkeypatch):
    from engine.runtime.runs import load_checkpoint
    from engine.runtime.trainer import Trainer
    evaluate = Trainer.evaluate
    presses = {1: 1}                     # after the first epoch's training: one Ctrl+C

    def evaluate_and_press(self):
        for _ in range(presses.get(self.epoch + 1, 0)):
            _ctrl_c()
        return evaluate(self)
    monkeypatch.setattr(Trainer, "evaluate", evaluate_and_press)
    code, out, err = run(capsys, net_file, "--epochs", "3", "--batch-size", "100", "--out", tmp_path / "a")
    result = json.loads(out.splitlines()[-1])
    assert code == 130 and result["stopped"] and result["epochs"] == 1     # the trainer stopped within a batch
    assert f"Stopped with Ctrl+C after {result['steps']} steps; the checkpoint {tmp_path / 'a' / 'checkpoint.pt'}" \
        in err and "Traceback" not in err
    assert load_checkpoint(result["checkpoint"])["step"] == result["steps"]
    presses.clear()
    presses[2] = 2                       # during the second epoch's validation: two, the second stops at once
    code, out, err = run(capsys, net_file, "--epochs", "3", "--batch-size", "100", "--out", tmp_path / "b")
    assert code == 130 and json.loads(out)["checkpoint"] == str(tmp_path / "b" / "checkpoint.pt")
    assert err.splitlines()[-1] == (f"netwright: stopped with Ctrl+C; the last checkpoint "
                                    f"{tmp_path / 'b' / 'checkpoint.pt'} is kept (--resume continues from it).")
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["epoch"] == 1
