"""The training panel: previews follow the data set and the Input, buttons follow the run's state,
the learning rate is editable while paused, and intents carry the chosen settings."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data import InputSpec
from widgets.training_panel import TrainingPanel, image_tile, sequence_tile


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel(devices=["cpu", "cuda:0"])
    qtbot.addWidget(p)
    return p


def refresh(qtbot, panel):
    """Ask for the preview and wait for it (files are read in a worker thread)."""
    panel.refresh_preview()
    qtbot.waitUntil(lambda: not panel.preview_busy, timeout=20_000)


def test_start_carries_the_settings_and_devices_are_listed(qtbot, panel):
    assert [panel.device.itemText(i) for i in range(panel.device.count())] == ["auto", "cpu", "cuda:0"]
    panel.epochs.setValue(3)
    panel.batch_size.setValue(32)
    panel.lr.setValue(0.005)
    panel.optimizer.setCurrentText("sgd")
    panel.device.setCurrentText("cpu")
    with qtbot.waitSignal(panel.start_requested) as started:
        panel.start_button.click()
    s = started.args[0]
    assert s["dataset"] == "shapes" and s["epochs"] == 3 and s["batch_size"] == 32
    assert s["lr"] == pytest.approx(0.005) and s["optimizer"] == "sgd" and s["device"] == "cpu"


def test_buttons_follow_the_state_and_lr_is_editable_while_paused(qtbot, panel):
    panel.set_state("running")
    assert not panel.start_button.isEnabled() and panel.pause_button.isEnabled() and panel.stop_button.isEnabled()
    assert not panel.lr.isEnabled() and not panel.dataset_combo.isEnabled()
    panel.set_state("paused")
    assert panel.resume_button.isEnabled() and panel.lr.isEnabled() and not panel.pause_button.isEnabled()
    with qtbot.waitSignal(panel.lr_change_requested) as changed:
        panel.lr.setValue(0.0002)
    assert changed.args[0] == pytest.approx(0.0002)
    with qtbot.waitSignal(panel.resume_requested):
        panel.resume_button.click()
    panel.set_state("idle")
    with qtbot.assertNotEmitted(panel.lr_change_requested):
        panel.lr.setValue(0.01)              # idle: a setting for the next run, nothing to send


def test_preview_draws_images_for_shapes_and_explains_what_cannot_be_shown(qtbot, panel):
    panel.set_input(InputSpec("input", (1, 28, 28)))
    refresh(qtbot, panel)
    assert panel.preview_label.pixmap() is not None and not panel.preview_label.pixmap().isNull()
    assert "no download" in panel.preview_text.text()
    panel.set_input(InputSpec("input", (40, 5)))
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("recall"))
    refresh(qtbot, panel)
    assert not panel.preview_label.pixmap().isNull()
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("shapes"))
    refresh(qtbot, panel)
    assert "Input 'input' has shape [40, 5]" in panel.preview_text.text()
    panel.set_input(None, "Training needs a network with exactly one Input block; this one has 0.")
    refresh(qtbot, panel)
    assert "exactly one Input" in panel.preview_text.text()


def test_downloadable_sets_can_be_read_from_a_folder_instead(qtbot, panel, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("NETWRIGHT_CACHE", str(tmp_path / "cache"))     # an empty cache
    panel.set_input(InputSpec("input", (1, 28, 28)))
    assert panel.data_dir_row.isHidden() and panel.settings()["data_dir"] is None
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("mnist"))
    assert not panel.data_dir_row.isHidden()
    refresh(qtbot, panel)
    assert "downloaded into" in panel.preview_text.text()       # nothing there yet: says where it will go
    monkeypatch.setattr(panel, "ask_for_data_dir", lambda: str(data_dir))
    panel._choose_data_dir()
    refresh(qtbot, panel)
    assert panel.preview_label.pixmap() is not None and not panel.preview_label.pixmap().isNull()
    assert "mnist" in panel.preview_text.text()
    assert panel.settings()["data_dir"] == str(data_dir)
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("shapes"))
    assert panel.data_dir_row.isHidden() and panel.settings()["data_dir"] is None   # generated: no folder


def test_a_text_file_is_added_to_the_chooser_and_previewed(qtbot, panel, tmp_path):
    (tmp_path / "poem.txt").write_text("the quick brown fox jumps over the lazy dog " * 10)
    panel.set_input(InputSpec("input", (20,), "int64"))
    panel.add_file_dataset(f"text:{tmp_path / 'poem.txt'}")
    assert panel.dataset_spec() == f"text:{tmp_path / 'poem.txt'}" and "poem.txt" in panel.dataset_combo.currentText()
    refresh(qtbot, panel)
    assert "vocabulary of 27" in panel.preview_text.text() and "the quick" in panel.preview_text.text()


def test_open_folder_item_adds_a_folder_data_set(qtbot, panel, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    index = panel.dataset_combo.findText("Open folder of class folders…")
    panel.dataset_combo.setCurrentIndex(index)
    panel.dataset_combo.activated.emit(index)
    assert panel.dataset_spec() == f"folder:{tmp_path}"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    index = panel.dataset_combo.findText("Open file (npz, csv, text)…")
    panel.dataset_combo.setCurrentIndex(index)
    panel.dataset_combo.activated.emit(index)                # cancelled: the folder chosen before stays
    assert panel.dataset_spec() == f"folder:{tmp_path}"


def test_progress_snapshot_and_outcomes_are_shown(qtbot, panel):
    panel.set_state("starting")
    panel.show_snapshot(0)
    assert "snapshot of the network taken at" in panel.snapshot_label.text()
    assert "edits apply to the next run" in panel.snapshot_label.text()
    panel.on_started({"device": "cpu", "train_samples": 2700, "params": 1234, "notes": ["padded to 32×32"]})
    assert "padded to 32×32" in panel.message_label.text()
    panel.on_progress({"epoch": 2, "step": 10, "global_step": 50, "total_steps": 100, "samples_per_sec": 4321.0,
                       "eta_s": 75, "loss": 0.5})
    assert panel.progress_bar.value() == 500
    assert "epoch 2 · step 10 · 4,321 samples/s · 1:15 left" in panel.progress_label.text()
    panel.on_failed("The loss became nan at step 12; try 0.0001.")
    assert "try 0.0001" in panel.message_label.text()
    panel.on_finished({"epochs": 3, "val_loss": 0.25, "val_accuracy": 0.9, "checkpoint": "/tmp/c.pt"})
    assert "accuracy 90.0%" in panel.message_label.text() and "/tmp/c.pt" in panel.message_label.text()


def test_tiles_scale_images_and_plot_sequences():
    grey = image_tile(np.random.rand(1, 28, 28))
    colour = image_tile(np.random.rand(3, 32, 32))
    assert grey.width() == 56 and colour.height() == 56
    seq = sequence_tile(np.sin(np.linspace(0, 6, 50))[:, None])
    assert seq.width() == 56 and len({seq.pixel(x, y) for x in range(56) for y in range(56)}) > 1


def test_panel_in_the_main_window_follows_the_document(qtbot, tmp_path, monkeypatch, examples_dir):
    from app.main_window import MainWindow
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    window = MainWindow(recovery_folder=tmp_path / "recovery")
    qtbot.addWidget(window)
    assert window.files.open_path(examples_dir / "mnist_cnn.json", ask=False)
    panel = window.training_panel
    assert panel.input == InputSpec("input", (1, 28, 28))
    window.doc.network.set_param("input", "shape", [1, 20, 20])
    window.doc.recompute()
    assert panel.input == InputSpec("input", (1, 20, 20))
    assert window.training_controller.state == "idle" and window.training_dock.windowTitle() == "Training"
    started, real_start = [], window.training_controller.start
    window.training_controller.start = lambda net, settings: started.append((net, settings))
    panel.start_button.click()
    net, settings = started[0]
    assert net["nodes"][0]["params"]["shape"] == [1, 20, 20]          # a snapshot of the network as it is now
    assert settings["threads"] >= 1 and settings["out"].startswith(str(tmp_path / "config"))
    window.training_controller.start = real_start
    window.doc.network.set_param("dense2", "out_features", 0)          # an error: nothing is started
    window.doc.recompute()
    panel.start_button.click()
    assert window.training_controller.state == "idle"
    assert panel.message_label.text().startswith("Fix the network before training: ")
    assert "dense2" in panel.message_label.text()
    window.doc.new()                                                   # no Input at all: no process either
    panel.start_button.click()
    assert window.training_controller.state == "idle" and window.training_controller.process is None
    assert "exactly one Input" in panel.message_label.text() and panel.progress_label.text() == "Not started."


def test_files_are_previewed_in_a_worker_and_only_the_newest_request_is_shown(qtbot, panel, monkeypatch):
    import threading
    import time as time_module

    import widgets.training_panel as tp
    release = threading.Event()

    def slow_preview(spec, inp, data_dir=None):
        if spec == "npz:/slow.npz":
            release.wait(10)              # a large file: the window must not wait for it
            return "image", [(np.zeros((1, 8, 8)), "a")], "the slow file"
        return "image", [(np.zeros((1, 8, 8)), "a")], "the quick file"
    monkeypatch.setattr(tp, "preview", slow_preview)
    panel.set_input(InputSpec("input", (1, 28, 28)))
    panel.add_file_dataset("npz:/slow.npz")
    started = time_module.perf_counter()
    panel.refresh_preview()
    assert time_module.perf_counter() - started < 1.0
    assert panel.preview_busy and panel.preview_text.text() == "Reading a few samples…"
    panel.add_file_dataset("npz:/quick.npz")            # the user picks another file meanwhile
    refresh(qtbot, panel)
    assert panel.preview_text.text() == "the quick file"
    release.set()                                      # the slow answer arrives late and is dropped
    qtbot.wait(200)
    assert panel.preview_text.text() == "the quick file"


def test_a_new_run_starts_with_an_empty_progress_bar_and_a_refusal_says_not_started(qtbot, panel):
    panel.progress_bar.setValue(1000)
    panel.set_state("starting")
    assert panel.progress_bar.value() == 0
    panel.set_state("idle")
    panel.refuse("Training needs a network with exactly one Input block; this one has 0.")
    assert panel.progress_label.text() == "Not started." and "exactly one Input" in panel.message_label.text()

