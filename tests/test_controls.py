"""Controls that don't surprise: the wheel over an unfocused combo or spin box in a scrolled panel
scrolls the panel and changes no setting; a number typed out of range says the range where it is typed."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea

from widgets.training_panel import TrainingPanel

# Qt's offscreen platform says this on every top-level show; it is not about these widgets.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints", "This plugin does not support raise")


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


def test_the_wheel_over_the_training_panel_scrolls_it_and_changes_no_setting(panel, qtbot, monkeypatch):
    monkeypatch.setattr(panel, "ask_for_file", lambda: pytest.fail("the wheel opened a file dialog"))
    bar = panel.findChild(QScrollArea).verticalScrollBar()
    before = panel.settings()
    boxes = [panel.dataset_combo, panel.epochs, panel.batch_size, panel.lr, panel.optimizer, panel.weight_decay,
             panel.val_split, panel.seed, panel.device]
    for box in boxes:
        for _ in range(12):
            wheel(box, -1)
    assert panel.settings() == before
    assert bar.value() > 0                       # the panel scrolled instead
    panel.epochs.setFocus()                      # a box the person clicked into takes the wheel
    qtbot.waitUntil(panel.epochs.hasFocus)
    wheel(panel.epochs, 1)
    assert panel.epochs.value() == before["epochs"] + 1


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
