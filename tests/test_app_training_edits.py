"""Training choices are document state: changing only the data set or a setting marks the network
modified (its `training` object is saved with it), closing asks to save it, and undo brings the old
choice back into the panel."""
from __future__ import annotations

import json

from test_app import EXAMPLES, dialogs, window  # noqa: F401  (the main window on mnist_cnn, dialogs recorded)


def test_changing_epochs_marks_modified_and_is_saved_and_reopened(window, qtbot, tmp_path, dialogs):
    panel = window.training_panel
    qtbot.wait(10)                                    # the example's training object has been applied
    assert not window.doc.modified and not window.isWindowModified()
    before = panel.epochs.value()
    panel.epochs.setValue(before + 4)
    assert window.doc.modified and window.isWindowModified() and "[*]" in window.windowTitle()
    assert window.doc.undo_stack.undoText() == f"set training epochs to {before + 4}"
    path = tmp_path / "mine.json"
    assert window.files._write(path)
    assert not window.doc.modified and not window.isWindowModified()
    assert json.loads(path.read_text())["training"]["epochs"] == before + 4
    assert window.files.open_path(EXAMPLES / "mnist_cnn.json", ask=False)
    qtbot.wait(10)
    assert panel.epochs.value() == before
    assert window.files.open_path(path, ask=False)
    qtbot.wait(10)
    assert panel.epochs.value() == before + 4 and not window.doc.modified


def test_closing_after_a_training_change_asks_to_save(window, qtbot, dialogs):
    qtbot.wait(10)
    window.training_panel.dataset_combo.setCurrentIndex(window.training_panel.dataset_combo.findData("recall"))
    assert window.doc.modified
    dialogs["answer"] = dialogs["answer"].Cancel
    assert not window.close()                          # cancelled: the window and the choice stay
    assert dialogs["question"] and window.training_panel.dataset_spec() == "recall"


def test_undo_and_redo_bring_the_choice_back_into_the_panel(window, qtbot):
    panel = window.training_panel
    qtbot.wait(10)
    start = panel.epochs.value()
    for v in range(start + 1, start + 4):               # steps of one setting: one undo step
        panel.epochs.setValue(v)
    panel.optimizer.setCurrentText("sgd")
    stack = window.doc.undo_stack
    assert stack.count() == 2
    stack.undo()
    assert panel.optimizer.currentText() != "sgd" and panel.epochs.value() == start + 3
    stack.undo()
    assert panel.epochs.value() == start and not window.doc.modified
    assert window.doc.network.extra["training"]["epochs"] == start
    stack.redo()
    assert panel.epochs.value() == start + 3 and window.doc.network.extra["training"]["epochs"] == start + 3
    assert window.doc.modified


def test_typing_a_number_tells_the_number_typed_in_the_status_bar(window, qtbot):
    """Typing 40 into Epochs sets 4, then 40 (one undo step); the status bar tells 40, not the 4 on the way,
    and an undo after it says so."""
    panel = window.training_panel
    qtbot.wait(10)
    panel.epochs.setFocus()
    panel.epochs.selectAll()
    qtbot.keyClicks(panel.epochs, "40")
    assert panel.epochs.value() == 40
    assert window.statusBar().currentMessage() == "Set training epochs to 40."
    window.doc.undo_stack.undo()
    assert window.statusBar().currentMessage() == "Undone: set training epochs to 40."
