"""File → Load Weights… (a checkpoint read with weights_only=True; the next Start begins from it and the
exports use it) and File → Import PyTorch model… run in a separate process (Cancel, a time limit, one
message), driven as a user would."""
from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtCore import QTimer
from test_app import dialogs, window  # noqa: F401  (fixtures: the main window on mnist_cnn, dialogs recorded)

import engine
from engine.cli import main as cli

MODELS = Path(__file__).with_name("import_models.py")


def imported_files(tmp_path):
    """`main.py import … --weights-out`: the network file and the module's weights."""
    net, ckpt = tmp_path / "lenet.json", tmp_path / "lenet-weights.pt"
    assert cli(["import", f"{MODELS}:LeNet5", "-o", str(net), "--input-shape", "1", "32", "32",
                "--weights-out", str(ckpt)]) == 0
    return net, ckpt


def test_weights_out_loads_in_the_app_and_the_next_run_starts_from_them(window, qtbot, tmp_path, dialogs):
    net, ckpt = imported_files(tmp_path)
    module_state = torch.load(ckpt, weights_only=True)["model"]
    assert window.files.open_path(net, ask=False)
    qtbot.wait(10)
    assert window.bridge.load_weights(ckpt) and not dialogs["warning"]
    assert "Loaded the weights in lenet-weights.pt" in window.statusBar().currentMessage()
    panel = window.training_panel
    assert not panel.start_weights_row.isHidden() and "lenet-weights.pt" in panel.start_weights_label.text()

    window.bridge.export_code(tmp_path / "lenet_code.py")   # the code comes with the loaded weights beside it
    code = (tmp_path / "lenet_code.py").read_text()
    assert "def load_trained" in code and "lenet_code.pt" in code
    exported = torch.load(tmp_path / "lenet_code.pt", weights_only=True)
    assert all(torch.equal(exported[k], module_state[k]) for k in module_state)

    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("shapes"))
    panel.epochs.setValue(1)
    panel.lr.setValue(1e-6)                # Adam moves each weight by about lr a step: the run barely moves them
    controller = window.training_controller
    panel.start_button.click()
    assert controller.running, panel.message_label.text()
    qtbot.waitUntil(lambda: not controller.running, timeout=180_000)
    assert controller.run.result is not None and controller.last_checkpoint, panel.message_label.text()
    start = torch.load(controller.run.settings["resume"], weights_only=True)["model"]
    assert start.keys() == module_state.keys()      # the model's state before training is the checkpoint's
    assert all(torch.equal(start[k], module_state[k]) for k in module_state)
    trained = torch.load(controller.last_checkpoint, weights_only=True)["model"]
    fresh = engine.build_model(window.doc.network).state_dict()
    near = max(float((trained[k] - module_state[k]).abs().max()) for k in module_state)
    far = max(float((fresh[k] - module_state[k]).abs().max()) for k in module_state)
    assert near < 1e-3 < 0.05 < far                 # it trained on from the module's weights, not fresh ones

    panel.fresh_button.click()                      # "Start fresh": forgotten, the panel says nothing more
    assert window.bridge.start_weights.state is None and panel.start_weights_row.isHidden()
    assert window.bridge.start_checkpoint() is None


def test_another_networks_checkpoint_names_the_mismatched_keys(window, tmp_path, dialogs):
    _net, ckpt = imported_files(tmp_path)           # LeNet-5's weights, while mnist_cnn is open
    assert not window.bridge.load_weights(ckpt)
    text = dialogs["warning"][-1]
    assert "lenet-weights.pt was saved for another network" in text and "missing" in text and "unexpected" in text
    assert window.bridge.start_weights.state is None and window.training_panel.start_weights_row.isHidden()


def test_a_checkpoint_holding_code_is_refused_and_says_so(window, tmp_path, dialogs):
    import os
    bad = tmp_path / "bad.pt"
    torch.save({"model": {"w": torch.zeros(1)}, "hook": os.system}, bad)
    assert not window.bridge.load_weights(bad)
    assert "holds code" in dialogs["warning"][-1] and window.bridge.start_weights.state is None


HANGS = "import time\ntime.sleep(600)\n\nclass Model:\n    pass\n"


def test_cancel_stops_a_hanging_import_and_the_window_stays_responsive(window, qtbot, tmp_path, dialogs):
    path = tmp_path / "hangs.py"
    path.write_text(HANGS)
    before = engine.network_to_dict(window.doc.network)
    ticks = []
    beat = QTimer(window, interval=50)
    beat.timeout.connect(lambda: ticks.append(1))       # the window's event loop keeps running meanwhile
    beat.start()
    seen = {}
    window.bridge.import_timeout_s = 60               # a safety net: Cancel comes long before

    def cancel_once_running():
        bridge = window.bridge
        if bridge.import_process is not None and len(ticks) > 20:
            seen["dialog"] = bridge.import_progress.isVisible()
            bridge.cancel_import()
        else:
            QTimer.singleShot(50, cancel_once_running)
    QTimer.singleShot(50, cancel_once_running)
    assert not window.bridge.import_target(f"{path}:Model", [4])
    beat.stop()
    assert seen["dialog"] and len(ticks) > 20
    assert engine.network_to_dict(window.doc.network) == before and not dialogs["warning"]
    assert "Import cancelled" in window.statusBar().currentMessage()
    assert window.bridge.import_process is None


def test_a_hanging_import_is_stopped_at_the_time_limit(window, tmp_path, dialogs):
    path = tmp_path / "hangs.py"
    path.write_text(HANGS)
    before = engine.network_to_dict(window.doc.network)
    window.bridge.import_timeout_s = 1.5
    assert not window.bridge.import_target(f"{path}:Model", [4])
    assert "did not finish within 1.5 s" in dialogs["warning"][-1]
    assert engine.network_to_dict(window.doc.network) == before


def test_an_import_process_that_dies_is_one_message(window, tmp_path, dialogs):
    path = tmp_path / "dies.py"
    path.write_text("import os\nos._exit(3)\n")
    before = engine.network_to_dict(window.doc.network)
    assert not window.bridge.import_target(f"{path}:Model", [4])
    assert "exit code 3" in dialogs["warning"][-1] and "unchanged" in dialogs["warning"][-1]
    assert engine.network_to_dict(window.doc.network) == before
