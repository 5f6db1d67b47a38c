"""Controls that don't surprise: the wheel over a combo or spin box in a scrolled panel, focused or not,
scrolls the panel and changes no setting; a number typed out of range says the range where it is typed
and changes nothing."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea

from widgets.training_panel import TrainingPanel

# Qt's offscreen platform says this on every top-level show; it is not about these widgets.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints", "This plugin does not support raise",
                                      "This plugin does not support grabbing")


def wheel(widget, steps: int = -1) -> None:
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(320, 300)                 # shorter than its contents: it scrolls
    p.show()
    qtbot.waitExposed(p)
    return p


def boxes_of(panel):
    return [panel.dataset_combo, panel.epochs, panel.batch_size, panel.lr, panel.optimizer, panel.weight_decay,
            panel.val_split, panel.seed, panel.device]


def test_the_wheel_over_the_training_panel_scrolls_it_and_changes_no_setting(panel, qtbot, monkeypatch):
    monkeypatch.setattr(panel, "ask_for_file", lambda: pytest.fail("the wheel opened a file dialog"))
    bar = panel.findChild(QScrollArea).verticalScrollBar()
    before = panel.settings()
    for box in boxes_of(panel):
        for _ in range(12):
            wheel(box, -1)
    assert panel.settings() == before
    assert bar.value() > 0                       # the panel scrolled instead


def test_a_box_clicked_a_moment_ago_keeps_its_value_when_the_panel_is_scrolled(panel, qtbot, monkeypatch):
    """After a choice made with the mouse the box keeps the focus: the next scroll of the panel must not
    change it (the data set once became 'sine' so). The arrow keys still step a focused box."""
    monkeypatch.setattr(panel, "ask_for_file", lambda: pytest.fail("the wheel opened a file dialog"))
    bar = panel.findChild(QScrollArea).verticalScrollBar()
    before = panel.settings()
    for box in boxes_of(panel):
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus        # a real wheel never focuses it either
        panel.findChild(QScrollArea).ensureWidgetVisible(box)
        QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
        if QApplication.activePopupWidget() is not None:               # a combo's list opened: close it
            QTest.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_Escape)
        box.setFocus()
        qtbot.waitUntil(box.hasFocus)
        bar.setValue(0)
        for _ in range(12):
            wheel(box, -1)
        assert box.hasFocus() and panel.settings() == before, box
        assert bar.value() > 0, box                                   # the panel scrolled instead
    panel.epochs.setFocus()
    qtbot.waitUntil(panel.epochs.hasFocus)
    QTest.keyClick(panel.epochs, Qt.Key.Key_Up)
    assert panel.epochs.value() == before["epochs"] + 1


def test_a_box_made_later_in_a_scrolled_panel_is_guarded_too(panel, qtbot):
    from PySide6.QtWidgets import QComboBox
    body = panel.findChild(QScrollArea).widget()
    late = QComboBox(body)
    late.addItems(["a", "b", "c"])
    body.layout().addWidget(late)
    late.show()
    qtbot.waitExposed(late)
    late.setFocus()
    qtbot.waitUntil(late.hasFocus)
    wheel(late, -1)
    assert late.currentIndex() == 0 and late.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_a_number_typed_out_of_range_says_the_range_where_it_was_typed(panel, qtbot):
    said = []
    panel.epochs.out_of_range.connect(said.append)
    panel.epochs.setFocus()
    panel.epochs.lineEdit().selectAll()
    QTest.keyClicks(panel.epochs, "0")
    QTest.keyClick(panel.epochs, Qt.Key.Key_Return)
    assert said == ["0 is out of range: Epochs takes 1 to 10,000."]
    assert panel.epochs.value() == 5            # the last valid value, and the person knows why


def test_an_inspector_number_typed_out_of_range_says_its_range(qtbot):
    import engine
    from widgets.param_editors import make_editor
    param = next(p for p in engine.BLOCKS["Conv2d"].params if p.name == "out_channels")
    editor = make_editor(param, "Conv2d")
    qtbot.addWidget(editor)
    editor.show()
    editor.set_value(8)
    said = []
    editor.spin.out_of_range.connect(said.append)
    editor.spin.setFocus()
    editor.spin.lineEdit().selectAll()
    QTest.keyClicks(editor.spin, "1000000000")
    QTest.keyClick(editor.spin, Qt.Key.Key_Return)
    assert len(said) == 1 and said[0].startswith("1,000,000,000 is out of range: out_channels takes 1 to ")
    assert 1 <= editor.value() <= param.max                  # never a value outside the range


@pytest.fixture
def window(open_window):
    return open_window("mnist_cnn", (1300, 850))


def type_in(spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)


def test_a_number_typed_out_of_range_in_the_inspector_changes_nothing(window, qtbot):
    """Typing 1.5 for a dropout's p passes through 1, a valid p: it is taken back, no step is left to undo."""
    from PySide6.QtCore import QPointF
    window.scene.block_dropped.emit("Dropout", QPointF(300.0, 40.0))
    p_before = window.doc.network.nodes["dropout1"].params.get("p")
    steps, undo_text = window.doc.undo_stack.count(), window.doc.undo_stack.undoText()
    spin = window.inspector.editors["p"].spin
    said = []
    spin.out_of_range.connect(said.append)
    type_in(spin, "1.5")
    assert said == ["1.5 is out of range: p takes 0 to 1."]
    assert window.doc.network.nodes["dropout1"].params.get("p") == p_before
    assert (window.doc.undo_stack.count(), window.doc.undo_stack.undoText()) == (steps, undo_text)
    assert spin.value() == pytest.approx(p_before if p_before is not None else 0.5)     # the old value shown
    assert window.statusBar().currentMessage() == "Set p of 'dropout1': back as it was (no step to undo)."
    type_in(spin, "0.25")                        # a number in range is taken as before
    assert window.doc.network.nodes["dropout1"].params["p"] == 0.25
    assert window.doc.undo_stack.count() == steps + 1


def test_a_whole_number_typed_out_of_range_in_the_inspector_changes_nothing(window, qtbot):
    window.scene.select_ids(["conv1"])
    spin = window.inspector.editors["out_channels"].spin
    said = []
    spin.out_of_range.connect(said.append)
    type_in(spin, "1000000000")
    assert len(said) == 1 and said[0].startswith("1,000,000,000 is out of range: out_channels takes 1 to ")
    assert window.doc.network.nodes["conv1"].params["out_channels"] == 8
    assert window.doc.undo_stack.count() == 0 and not window.isWindowModified()
    assert spin.value() == 8 and window.scene.block_item("conv1").shape_text == "8 × 28 × 28"
