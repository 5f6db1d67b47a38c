"""One editor widget per parameter kind of a block spec (engine/core/blocks/spec.py), each with
`value()`, `set_value(v)` and a `changed(value)` signal emitted only for valid values.

A parameter whose default is None ("same as kernel_size") shows its spin box at one below the
minimum, labelled "auto"; that value means None.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QWidget,
)

from .bounded_spin import BoundedDoubleSpinBox, BoundedSpinBox

INT_LIMIT = 2_000_000_000


class ParamEditor(QWidget):
    changed = Signal(object)

    def __init__(self, param, parent=None):
        super().__init__(parent)
        self.param = param
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)

    def _emit(self, *_):
        self.changed.emit(self.value())   # each kind below defines value() and set_value()


def make_spin(param, parent=None) -> QSpinBox:
    box = BoundedSpinBox(parent, what=param.name)      # a number out of range says the range where it is typed
    lo = int(param.min) if param.min is not None else -INT_LIMIT
    hi = int(param.max) if param.max is not None else INT_LIMIT
    if param.default is None:
        lo -= 1
        box.setSpecialValueText("auto")
    box.setRange(lo, hi)
    box.setMinimumWidth(64)          # may shrink below its size hint in a narrow inspector
    box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    box.setAccelerated(True)
    box.setKeyboardTracking(True)
    return box


def _spin_value(box: QSpinBox):
    if box.specialValueText() and box.value() == box.minimum():
        return None
    return box.value()


def _set_spin(box: QSpinBox, v) -> None:
    box.setValue(box.minimum() if v is None else int(v))


class IntEditor(ParamEditor):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = make_spin(param, self)
        self._lay.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def value(self):
        return _spin_value(self.spin)

    def set_value(self, value) -> None:
        _set_spin(self.spin, value)


class FloatEditor(ParamEditor):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = BoundedDoubleSpinBox(self, what=param.name)
        self.spin.setDecimals(4)
        lo = param.min if param.min is not None else -1e9
        hi = param.max if param.max is not None else 1e9
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(0.05 if hi - lo <= 1 else 0.1)
        self._lay.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def value(self):
        return round(self.spin.value(), 6)

    def set_value(self, value) -> None:
        value = float(value if value is not None else 0.0)
        if value != self.spin.value():      # the same value again would write "0.0000" over a "0." being typed
            self.spin.setValue(value)


class BoolEditor(ParamEditor):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.box = QCheckBox(self)
        self._lay.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def value(self):
        return self.box.isChecked()

    def set_value(self, value) -> None:
        self.box.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.combo = QComboBox(self)
        for c in param.choices:
            self.combo.addItem(str(c), c)
        self._lay.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._emit)

    def value(self):
        return self.combo.currentData()

    def set_value(self, value) -> None:
        i = self.combo.findData(value)
        self.combo.setCurrentIndex(max(i, 0))


class PairEditor(ParamEditor):
    """An int, or one value per spatial axis ([h, w] for a 2-D block, [d, h, w] for a 3-D one): a spin box per
    axis and a toggle that keeps them equal (one int)."""

    def __init__(self, param, parent=None, axes: int = 2):
        super().__init__(param, parent)
        self.axes = max(1, axes)
        self.spins = [make_spin(param, self)]
        if self.axes > 2:
            self.spins[0].setMinimumWidth(50)
        self._lay.addWidget(self.spins[0])
        self.link = None
        if self.axes > 1:
            names = {2: "H and W", 3: "D, H and W"}.get(self.axes, "every axis")
            for _ in range(self.axes - 1):
                spin = make_spin(param, self)
                if self.axes > 2:            # three boxes and the toggle fit a narrow inspector
                    spin.setMinimumWidth(50)
                self._lay.addWidget(QLabel("×", self))
                self._lay.addWidget(spin)
                spin.valueChanged.connect(self._other_changed)
                spin.setEnabled(False)
                self.spins.append(spin)
            self.link = QToolButton(self)
            self.link.setText("1:1")
            self.link.setCheckable(True)
            self.link.setChecked(True)
            self.link.setToolTip(f"The same size along {names} (one number). Untick to set them apart.")
            self._lay.addWidget(self.link)
            self.link.toggled.connect(self._link_toggled)
        self.spins[0].valueChanged.connect(self._first_changed)

    @property
    def h(self):
        return self.spins[0]

    @property
    def w(self):
        return self.spins[1] if len(self.spins) > 1 else None

    @property
    def square(self) -> bool:
        return self.link is None or self.link.isChecked()

    def _copy_first(self) -> None:
        for spin in self.spins[1:]:
            spin.blockSignals(True)
            spin.setValue(self.spins[0].value())
            spin.blockSignals(False)

    def _first_changed(self, _v):
        if self.square:
            self._copy_first()
        self._emit()

    def _other_changed(self, _v):
        self._emit()

    def _link_toggled(self, on):
        for spin in self.spins[1:]:
            spin.setEnabled(not on)
        if on:
            self._copy_first()
        self._emit()

    def value(self):
        first = _spin_value(self.spins[0])
        if self.square or first is None:
            return first
        values = [_spin_value(s) for s in self.spins]
        return None if None in values else values

    def set_value(self, value) -> None:
        apart = isinstance(value, (list, tuple))
        values = list(value) if apart else [value] * len(self.spins)
        for i, spin in enumerate(self.spins):
            spin.blockSignals(True)
            _set_spin(spin, values[i] if i < len(values) else values[-1])
            spin.blockSignals(False)
            spin.setEnabled(i == 0 or apart)
        if self.link is not None:
            self.link.blockSignals(True)
            self.link.setChecked(not apart)
            self.link.blockSignals(False)


class PaddingEditor(ParamEditor):
    """Padding: a number (or [h, w]) of zeros, or 'same' / 'valid'."""

    def __init__(self, param, parent=None, axes: int = 2):
        super().__init__(param, parent)
        self.mode = QComboBox(self)
        self.mode.addItem("zeros", "number")
        self.mode.addItem("same", "same")
        self.mode.addItem("valid", "valid")
        self.mode.setToolTip("zeros: pad by the number given; same: keep the size (stride 1); valid: no padding")
        self.pair = PairEditor(param, self, axes)
        if axes >= 2:                # the mode above the numbers keeps the inspector narrow
            self._lay.setDirection(QBoxLayout.Direction.TopToBottom)
        self._lay.addWidget(self.mode)
        self._lay.addWidget(self.pair, 1)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.pair.changed.connect(self._emit)

    def _mode_changed(self, _i):
        self.pair.setEnabled(self.mode.currentData() == "number")
        self._emit()

    def value(self):
        mode = self.mode.currentData()
        return self.pair.value() if mode == "number" else mode

    def set_value(self, value) -> None:
        self.mode.blockSignals(True)
        if isinstance(value, str):
            self.mode.setCurrentIndex(max(self.mode.findData(value), 0))
            self.pair.setEnabled(False)
        else:
            self.mode.setCurrentIndex(0)
            self.pair.setEnabled(True)
            self.pair.blockSignals(True)
            self.pair.set_value(value if value is not None else 0)
            self.pair.blockSignals(False)
        self.mode.blockSignals(False)


def parse_int_list(text: str) -> list[int] | None:
    """'1, 28, 28' or '[1, 28, 28]' -> [1, 28, 28]; None when it is not a list of whole numbers."""
    text = text.strip().strip("[]()").strip()
    if not text:
        return None
    parts = [t for t in text.replace(";", ",").replace(" ", ",").split(",") if t]
    try:
        return [int(t) for t in parts]
    except ValueError:
        return None


class IntListEditor(ParamEditor):
    """A shape or an axis order as comma-separated whole numbers, checked as you type."""
    invalid = Signal(str)

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("e.g. 1, 28, 28" if param.kind == "shape" else "e.g. 1, 0")
        self._lay.addWidget(self.edit)
        self.edit.textEdited.connect(self._edited)

    def _edited(self, text):
        v = parse_int_list(text)
        if v is None:
            self.edit.setProperty("invalid", True)
            self.edit.setStyleSheet("border: 1px solid #d9534f;")
            self.invalid.emit(f"{self.param.name}: write whole numbers separated by commas, e.g. "
                              f"{self.edit.placeholderText()[5:]}.")
            return
        self.edit.setStyleSheet("")
        self.changed.emit(v)

    def value(self):
        return parse_int_list(self.edit.text())

    def set_value(self, value) -> None:
        if isinstance(value, (list, tuple)):
            if parse_int_list(self.edit.text()) != list(value):
                self.edit.setText(", ".join(str(v) for v in value))
            self.edit.setStyleSheet("")
        elif value is None:
            self.edit.setText("")


def make_editor(param, axes: int, parent=None) -> ParamEditor:
    """The editor of one parameter; `axes` is the block's spatial axes (BlockSpec.spatial): a kernel size of a
    2-D block gets two boxes, of a 3-D block three."""
    kind = param.kind
    if kind == "int":
        return IntEditor(param, parent)
    if kind == "float":
        return FloatEditor(param, parent)
    if kind == "bool":
        return BoolEditor(param, parent)
    if kind == "choice":
        return ChoiceEditor(param, parent)
    if kind == "int_or_pair":
        return PairEditor(param, parent, axes)
    if kind == "padding":
        return PaddingEditor(param, parent, axes)
    return IntListEditor(param, parent)
