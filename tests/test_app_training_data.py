"""In the window: opening a network selects its data set and settings, the panel says whether data and
network fit the moment either changes (before Start), the advice names data that fits first, and a
message goes when its cause does; what the user chooses is saved with the network."""
from __future__ import annotations

import json

import pytest
from test_app import EXAMPLES, dialogs, window  # noqa: F401  (the main window on mnist_cnn, dialogs recorded)

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


def _fit(window, qtbot):
    """The panel's fit message once the newest check has come back."""
    panel = window.training_panel
    qtbot.waitUntil(lambda: not panel._fit_timer.isActive() and panel.fit_shown == panel._fit_generation
                    and panel.fit_shown > 0, timeout=10_000)
    return panel.fit_label.text()


@pytest.mark.parametrize("name", NAMES)
def test_every_example_opens_with_its_data_set_and_settings(window, qtbot, name):
    assert window.files.open_path(EXAMPLES / f"{name}.json", ask=False)
    qtbot.wait(10)
    training = json.loads((EXAMPLES / f"{name}.json").read_text())["training"]
    panel = window.training_panel
    assert panel.dataset_spec() == training["dataset"]
    assert panel.epochs.value() == training["epochs"] and panel.lr.value() == pytest.approx(training["lr"])
    text = _fit(window, qtbot)
    assert ("✔" in text) == (name != "alexnet"), text


def test_the_fit_is_shown_before_start_and_clears_after_the_fix(window, qtbot):
    panel = window.training_panel
    assert "✔ shapes fits" in _fit(window, qtbot)
    window.editor.set_param("dense2", "out_features", 7)            # 10 classes of shapes, 7 outputs
    text = _fit(window, qtbot)
    assert "✖ shapes does not fit" in text and "set its out_features to 10" in text
    panel.start_button.click()                                  # refused at once, no process started
    assert not window.training_controller.running and "does not fit" in panel.message_label.text()
    window.editor.set_param("dense2", "out_features", 10)
    assert "✔ shapes fits" in _fit(window, qtbot)
    window.editor.set_param("conv1", "kernel_size", 30)         # a network error: the message says so ...
    assert "Fix the network before training" in _fit(window, qtbot)
    panel.start_button.click()
    assert "Fix the network before training" in panel.message_label.text()
    window.doc.undo_stack.undo()                                # ... and goes with its cause
    assert "✔ shapes fits" in _fit(window, qtbot)
    assert panel.message_label.text() == ""


def test_advice_names_data_that_fits_first_and_never_a_change_that_breaks_a_block(window, qtbot):
    assert window.files.open_path(EXAMPLES / "char_lstm.json", ask=False)
    qtbot.wait(10)                       # the network's data set is selected once the file is open
    panel = window.training_panel
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("shapes"))
    text = _fit(window, qtbot)
    assert "Data that fits it as it is: shakespeare" in text and "float32" not in text


def test_the_chosen_data_and_settings_are_saved_with_the_network(window, qtbot, tmp_path):
    panel = window.training_panel
    panel.dataset_combo.setCurrentIndex(panel.dataset_combo.findData("recall"))
    panel.epochs.setValue(3)
    path = tmp_path / "mine.json"
    window.doc.save(path)
    saved = json.loads(path.read_text())["training"]
    assert saved["dataset"] == "recall" and saved["epochs"] == 3
