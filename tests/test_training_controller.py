"""The controller runs training in a child process: signals for the views, pause / learning rate /
resume / stop through the pipe, a stuck child is terminated, and a crash becomes a sentence."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import engine
from app.training_controller import TrainingController
from engine.runtime.runs import load_checkpoint

WAIT_MS = 180_000


@pytest.fixture
def net_dict(chain):
    net = chain(("input", "Input", {"shape": [1, 12, 12]}),
                ("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3}), ("ReLU", {}), ("Flatten", {}),
                ("fc", "Linear", {"out_features": 10}))
    return engine.network_to_dict(net)


@pytest.fixture
def controller(qtbot):
    c = TrainingController(stop_timeout=1.0)
    yield c
    c.shutdown()


def collect(controller):
    seen = {"scalars": [], "epochs": [], "frames": [], "states": []}
    controller.scalars.connect(seen["scalars"].append)
    controller.epoch_finished.connect(seen["epochs"].append)
    controller.state_changed.connect(seen["states"].append)
    controller.frame.connect(seen["frames"].append)
    return seen


def test_a_run_in_the_child_reports_scalars_epochs_and_the_result(qtbot, controller, net_dict, tmp_path):
    seen = collect(controller)
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as done:
        assert controller.start(net_dict, {"dataset": "shapes", "epochs": 2, "batch_size": 100,
                                           "out": str(tmp_path / "run")})
        assert not controller.start(net_dict, {})          # one run at a time
    result = done.args[0]
    assert result["epochs"] == 2 and not result["stopped"] and Path(result["checkpoint"]).exists()
    assert [e["epoch"] for e in seen["epochs"]] == [1, 2]
    assert sum(len(s["loss"]) for s in seen["scalars"]) == result["steps"]
    assert seen["states"][0] == "starting" and seen["states"][-1] == "idle" and not controller.running
    assert seen["frames"] and "views" in seen["frames"][-1]      # the live views' frames come through
    assert controller.last_frame["serial"] == seen["frames"][-1]["serial"]


def test_pause_change_lr_resume_and_stop_through_the_pipe(qtbot, controller, net_dict, tmp_path):
    with qtbot.waitSignal(controller.started, timeout=WAIT_MS):
        controller.start(net_dict, {"dataset": "shapes", "epochs": 500, "batch_size": 20, "out": str(tmp_path / "r")})
    with qtbot.waitSignal(controller.paused, timeout=WAIT_MS) as paused:
        controller.pause()
    assert controller.state == "paused" and paused.args[0]["lr"] == pytest.approx(1e-3)
    controller.set_lr(0.02)
    with qtbot.waitSignal(controller.resumed, timeout=WAIT_MS) as resumed:
        controller.resume()
    assert resumed.args[0]["lr"] == pytest.approx(0.02)
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as done:
        controller.stop()
    result = done.args[0]
    assert result["stopped"] and result["epochs"] < 500
    state = load_checkpoint(result["checkpoint"])
    assert state["step"] == result["steps"] and state["settings"]["lr"] == pytest.approx(0.02)


def test_a_child_that_does_not_stop_is_terminated_and_the_checkpoint_kept(qtbot, controller, net_dict, tmp_path):
    saved = []
    controller.checkpoint_saved.connect(saved.append)
    with qtbot.waitSignal(controller.epoch_finished, timeout=WAIT_MS):
        controller.start(net_dict, {"dataset": "shapes", "epochs": 500, "batch_size": 100, "out": str(tmp_path / "r")})
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT_MS)
    os.kill(controller.process.pid, signal.SIGSTOP)          # frozen: it cannot honour STOP
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as done:
        controller.stop()
    assert done.args[0]["stopped"] and not controller.running
    assert load_checkpoint(saved[-1])["epoch"] >= 1          # the file on disk is whole and loads


def test_data_mismatch_and_a_crash_become_sentences(qtbot, controller, net_dict, tmp_path):
    with qtbot.waitSignal(controller.failed, timeout=WAIT_MS) as failed:
        controller.start(net_dict, {"dataset": "recall", "out": str(tmp_path / "a")})
    assert "The 'recall' task gives sequences [T, F]" in failed.args[0] and not controller.running
    with qtbot.waitSignal(controller.started, timeout=WAIT_MS):
        controller.start(net_dict, {"dataset": "shapes", "epochs": 500, "out": str(tmp_path / "b")})
    with qtbot.waitSignal(controller.failed, timeout=WAIT_MS) as crashed:
        os.kill(controller.process.pid, signal.SIGKILL)
    assert "ended unexpectedly" in crashed.args[0] and "nothing in the editor is lost" in crashed.args[0]
