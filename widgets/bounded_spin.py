"""Number boxes that say their range where a number is typed, and a wheel guard for scrolled panels.

- `BoundedSpinBox` / `BoundedDoubleSpinBox`: a number typed outside the range is kept while typing
  (QSpinBox would refuse the keystroke and silently stop at its maximum) and, when the edit ends, the
  box says its allowed range in a tooltip at the box and through `out_of_range(message)`, then shows
  the value it had before the typing began again (with keyboard tracking, typing 1.5 passes through 1,
  a valid value sent on at once; it is taken back, so the out-of-range number changes nothing).
- `WheelGuard`: installed on the application, it sends the wheel over a combo box or spin box inside a
  scrolled panel to the panel (it scrolls) instead of the box, focused or not: a box clicked a moment
  ago keeps its focus, and the next scroll of the panel would change it. Such boxes take focus by click
  or Tab, never by the wheel; their values step with the arrow keys, and an open combo list still
  scrolls with the wheel (it is a window of its own).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QValidator
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QSpinBox,
    QToolTip,
)

_EDIT_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)


class _Bounded:
    """What both spin boxes share: parse what was typed, keep it while out of range, say the range."""
    out_of_range = None          # the Signal, declared on each class
    _number = None               # int or float: how typed text is read, declared on each class
    what = "This value"

    def __init__(self, parent=None, what: str = "This value"):
        super().__init__(parent)
        self.what = what
        self._before_typing = None       # the value when the current typing began; None while not typing
        self.editingFinished.connect(self._check_typed)

    def keyPressEvent(self, event):
        if self._before_typing is None and (event.text().isprintable() and event.text() or event.key() in _EDIT_KEYS
                                            or event.matches(QKeySequence.StandardKey.Paste)
                                            or event.matches(QKeySequence.StandardKey.Cut)):
            self._before_typing = self.value()
        super().keyPressEvent(event)

    def validate(self, text, pos):
        if self._typed_out_of_range(text) is not None:
            return QValidator.State.Intermediate, text, pos     # typed on; said when the edit ends
        return super().validate(text, pos)

    def fixup(self, text):
        self._note_typed(text)
        return self.prefix() + self.textFromValue(self.value()) + self.suffix()

    def _bare(self, text: str) -> str:
        text = text.strip()
        for part in (self.prefix(), self.suffix()):
            if part:
                text = text.replace(part.strip(), "")
        return text.strip().replace(",", "")

    def range_text(self) -> str:
        lo, hi = self.minimum(), self.maximum()
        if self.specialValueText():
            lo = self.minimum() + (1 if isinstance(self, QSpinBox) else self.singleStep())
            return f"{self.what} takes {self._show(lo)} to {self._show(hi)}, or {self.specialValueText()}"
        return f"{self.what} takes {self._show(lo)} to {self._show(hi)}"

    def _show(self, v) -> str:
        return f"{v:,}" if isinstance(v, int) else f"{v:g}"

    def _typed_out_of_range(self, text: str):
        try:
            v = self._number(self._bare(text))
        except ValueError:
            return None
        return v if not self.minimum() <= v <= self.maximum() else None

    def _note_typed(self, text: str) -> None:
        """Called by fixup, before the box puts the last valid value back."""
        v = self._typed_out_of_range(text)
        if v is not None:
            self._pending = f"{self._show(v)} is out of range: {self.range_text()}."

    def _check_typed(self) -> None:
        self._note_typed(self.lineEdit().text())
        message, self._pending = getattr(self, "_pending", None), None
        before, self._before_typing = self._before_typing, None
        if not message:
            return
        self.setValue(self.value() if before is None else before)     # the value before the typing, shown again
        self.lineEdit().setText(self.textFromValue(self.value()) if not self.prefix() and not self.suffix()
                                else self.prefix() + self.textFromValue(self.value()) + self.suffix())
        QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), message, self)
        self.last_message = message
        self.out_of_range.emit(message)


class BoundedSpinBox(_Bounded, QSpinBox):
    out_of_range = Signal(str)
    _number = staticmethod(int)


class BoundedDoubleSpinBox(_Bounded, QDoubleSpinBox):
    out_of_range = Signal(str)
    _number = staticmethod(float)


def _scroll_area(widget) -> QAbstractScrollArea | None:
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    return area


class WheelGuard(QObject):
    """The wheel over a combo or spin box in a scrolled panel scrolls the panel, and never focuses the box.

    Qt gives a combo or spin box the focus on a real wheel event (their policy is WheelFocus) before any
    event filter sees it, so a rule "unfocused boxes pass the wheel on" never held; each box in a scrolled
    panel gets StrongFocus when it is polished (also one made or replaced later) and passes every wheel on."""

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.Wheel, QEvent.Type.Polish) or not isinstance(obj, (QComboBox, QAbstractSpinBox)):
            return False
        area = _scroll_area(obj)
        if area is None:
            return False
        if kind == QEvent.Type.Polish:
            if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        QApplication.sendEvent(area.viewport(), event.clone())     # the panel scrolls
        return True


_guard: WheelGuard | None = None


def install_wheel_guard(app=None) -> WheelGuard | None:
    """Install the guard once on the application."""
    global _guard
    app = app or QApplication.instance()
    if app is None:
        return None
    if _guard is None:
        _guard = WheelGuard(app)
        app.installEventFilter(_guard)
    return _guard
