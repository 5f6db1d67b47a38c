"""The convolution stepper: an editable input grid and kernel, the operation (convolution, max or average
pooling, transposed convolution) with its padding, stride and dilation, and steps forward, back or played:
the window on the padded input, the products and their sum with the numbers, the output cell filled in,
and the size formula with the numbers (a size that does not fit is said so, its dropped rows greyed)."""
from __future__ import annotations

import math
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from engine.core.stepper import (AVG, CONV, FIFTH_ROW, GRID, KERNEL, MAX, TRANSPOSED, StepError, Stepper)

MODES = [("Convolution", CONV), ("Max pooling", MAX), ("Average pooling", AVG),
         ("Transposed convolution", TRANSPOSED)]
PADDINGS = ["valid", "same", "full", "number"]
PRESETS = {
    "Lecture grid 4×5": (GRID, KERNEL),
    "Lecture grid with a fifth row": (GRID + [FIFTH_ROW], KERNEL),
    "10×10 (stride 2 does not fit a 3×3 kernel)": ([[(r * 10 + c) % 7 - 3 for c in range(10)] for r in range(10)],
                                                   [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
}
PLAY_MS = 600
MAX_SIDE = 16


def parse_pair(text: str):
    """'2' -> 2, '2, 1' -> (2, 1); None when it is not one or two whole numbers."""
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        return None
    if len(values) == 1:
        return values[0]
    return tuple(values) if len(values) == 2 else None


def _number(text: str):
    text = text.strip().replace("−", "-")
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None


class NumberGrid(QTableWidget):
    """A small editable table of numbers; `values()` is None while a cell holds something else."""
    edited = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.horizontalHeader().setDefaultSectionSize(38)
        self.verticalHeader().setDefaultSectionSize(24)
        self.itemChanged.connect(lambda _item: self.edited.emit())

    def set_values(self, rows) -> None:
        self.blockSignals(True)
        self.setRowCount(len(rows))
        self.setColumnCount(len(rows[0]) if rows else 0)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                item = QTableWidgetItem(str(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(r, c, item)
        self.blockSignals(False)
        self.edited.emit()

    def resize_to(self, rows: int, cols: int) -> None:
        old = self.values(lenient=True)
        self.set_values([[old[r][c] if r < len(old) and c < len(old[0]) else 0 for c in range(cols)]
                         for r in range(rows)])

    def values(self, lenient: bool = False):
        out = []
        for r in range(self.rowCount()):
            row = []
            for c in range(self.columnCount()):
                item = self.item(r, c)
                v = _number(item.text()) if item is not None else None
                if v is None:
                    if not lenient:
                        return None
                    v = 0
                row.append(v)
            out.append(row)
        return out


class StepperPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        from .grid_canvas import GridCanvas
        self.stepper: Stepper | None = None
        self.index = -1
        self.probe_patch = None          # a patch of the probe image offered as an input
        self.mode_box = QComboBox()
        for text, mode in MODES:
            self.mode_box.addItem(text, mode)
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(PRESETS))
        self.preset_box.activated.connect(lambda _i: self.load_preset(self.preset_box.currentText()))
        self.padding_box = QComboBox()
        self.padding_box.addItems(PADDINGS)
        self.padding_number = QLineEdit("1")
        self.stride_edit = QLineEdit("1")
        self.dilation_edit = QLineEdit("1")
        self.output_padding = QLineEdit("0")
        self.window_rows, self.window_cols = QSpinBox(), QSpinBox()
        self.in_rows, self.in_cols = QSpinBox(), QSpinBox()
        for spin in (self.window_rows, self.window_cols):
            spin.setRange(1, 7)
        for spin in (self.in_rows, self.in_cols):
            spin.setRange(1, MAX_SIDE)
        self.input_grid, self.kernel_grid = NumberGrid(), NumberGrid()
        self.canvas = GridCanvas()
        self.step_text = QLabel()
        self.step_text.setWordWrap(True)
        self.step_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lines = self.fontMetrics().lineSpacing()
        self.step_text.setMinimumHeight(4 * lines)       # the buttons above stay put while the text changes
        self.step_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.size_text = QLabel()
        self.size_text.setMinimumHeight(5 * lines)
        self.size_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.size_text.setWordWrap(True)
        self.size_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.first_button, self.back_button = QPushButton("« First"), QPushButton("◀ Back")
        self.play_button, self.forward_button = QPushButton("▶ Play"), QPushButton("Forward ▶")
        self.last_button = QPushButton("Last »")
        self.back_button.setToolTip("One step back (Left)")
        self.forward_button.setToolTip("One step forward (Right)")
        self.play_button.setToolTip("Step through every output cell (Space)")
        self.position = QLabel()
        self.timer = QTimer(self)
        self.timer.setInterval(PLAY_MS)
        self.timer.timeout.connect(self._tick)

        form = QFormLayout()
        form.addRow("Operation:", self.mode_box)
        form.addRow("Input:", self.preset_box)
        form.addRow("Input size:", _row(self.in_rows, QLabel("×"), self.in_cols))
        form.addRow("Padding:", _row(self.padding_box, self.padding_number))
        form.addRow("Stride:", self.stride_edit)
        form.addRow("Dilation:", self.dilation_edit)
        form.addRow("Output padding:", self.output_padding)
        form.addRow("Kernel size:", _row(self.window_rows, QLabel("×"), self.window_cols))
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(QLabel("Input (edit any cell):"))
        left.addWidget(self.input_grid, 2)
        left.addWidget(QLabel("Kernel:"))
        left.addWidget(self.kernel_grid, 1)
        left_box = QWidget()
        left_box.setLayout(left)
        buttons = QHBoxLayout()
        for b in (self.first_button, self.back_button, self.play_button, self.forward_button, self.last_button):
            buttons.addWidget(b)
        buttons.addWidget(self.position, 1)
        right = QVBoxLayout()
        right.addWidget(self.canvas, 1)
        right.addLayout(buttons)
        right.addWidget(self.step_text)
        right.addWidget(self.size_text)
        right_box = QWidget()
        right_box.setLayout(right)
        split = QSplitter()
        split.addWidget(left_box)
        split.addWidget(right_box)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.addWidget(split)

        self.first_button.clicked.connect(lambda: self.go(-1))
        self.back_button.clicked.connect(lambda: self.go(self.index - 1))
        self.forward_button.clicked.connect(lambda: self.go(self.index + 1))
        self.last_button.clicked.connect(lambda: self.go(len(self.stepper.steps) - 1 if self.stepper else -1))
        self.play_button.clicked.connect(self.toggle_play)
        for key, slot in (("Right", lambda: self.go(self.index + 1)), ("Left", lambda: self.go(self.index - 1)),
                          ("Space", self.toggle_play)):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        self.padding_box.currentIndexChanged.connect(self.rebuild)
        for edit in (self.padding_number, self.stride_edit, self.dilation_edit, self.output_padding):
            edit.textChanged.connect(self.rebuild)
        self.input_grid.edited.connect(self.rebuild)
        self.kernel_grid.edited.connect(self.rebuild)
        self.in_rows.valueChanged.connect(lambda _v: self.input_grid.resize_to(self.in_rows.value(), self.in_cols.value()))
        self.in_cols.valueChanged.connect(lambda _v: self.input_grid.resize_to(self.in_rows.value(), self.in_cols.value()))
        self.window_rows.valueChanged.connect(self._window_resized)
        self.window_cols.valueChanged.connect(self._window_resized)
        self.load_preset(next(iter(PRESETS)))
        self._mode_changed()

    # ---- settings
    @property
    def mode(self) -> str:
        return self.mode_box.currentData()

    def load_preset(self, name: str) -> None:
        if name == "Probe image patch" and self.probe_patch is not None:
            x, k = self.probe_patch, self.kernel_grid.values(lenient=True) or KERNEL
        else:
            x, k = PRESETS[name]
        self.preset_box.setCurrentText(name)
        self.set_grids(x, k)

    def set_grids(self, x, kernel) -> None:
        self._quiet = True
        for spin, v in ((self.in_rows, len(x)), (self.in_cols, len(x[0])), (self.window_rows, len(kernel)),
                        (self.window_cols, len(kernel[0]))):
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
        self.input_grid.set_values(x)
        self.kernel_grid.set_values(kernel)
        self._quiet = False
        self.rebuild()

    def offer_probe_patch(self, patch) -> None:
        """A patch of the probe image (a small grid of numbers) becomes one of the inputs to choose."""
        self.probe_patch = [list(r) for r in patch]
        if self.preset_box.findText("Probe image patch") < 0:
            self.preset_box.addItem("Probe image patch")

    def configure(self, mode: str, kernel_size, padding, stride, dilation, one_row: bool = False,
                  output_padding=0) -> None:
        """The settings of a block ('Step through this layer'): the window size, padding, stride, dilation
        (and a transposed convolution's output_padding) per axis; the lecture grid (repeated where the window
        needs more room; its first row for a 1-D block) as the input."""
        kh, kw = kernel_size
        dh, dw = dilation
        pads = padding
        need = [d * (k - 1) + 1 for k, d in ((kh, dh), (kw, dw))]
        rows = 1 if one_row else min(MAX_SIDE, max(len(GRID), need[0] + 1))
        cols = min(MAX_SIDE, max(len(GRID[0]), need[1] + 1))
        x = [[GRID[r % len(GRID)][c % len(GRID[0])] for c in range(cols)] for r in range(rows)]
        kernel = [[KERNEL[u % 3][v % 3] for v in range(kw)] for u in range(kh)]
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(next(i for i, (_t, m) in enumerate(MODES) if m == mode))
        self.mode_box.blockSignals(False)
        self._quiet = True
        if isinstance(pads, str):
            self.padding_box.setCurrentText(pads)
        else:
            self.padding_box.setCurrentText("number")
            self.padding_number.setText(_pair_text(pads))
        self.stride_edit.setText(_pair_text(stride))
        self.dilation_edit.setText(_pair_text(dilation))
        self.output_padding.setText(_pair_text(output_padding))
        self._quiet = False
        self._mode_changed()
        self.set_grids(x, kernel)

    def _window_resized(self) -> None:
        self.kernel_grid.resize_to(self.window_rows.value(), self.window_cols.value())

    def _mode_changed(self) -> None:
        mode = self.mode
        self.kernel_grid.setEnabled(mode in (CONV, TRANSPOSED))
        self.dilation_edit.setEnabled(mode != AVG)
        self.output_padding.setEnabled(mode == TRANSPOSED)
        for i in range(3):      # valid / same / full are the convolution's names for paddings
            self.padding_box.model().item(i).setEnabled(mode != TRANSPOSED)
        if mode == TRANSPOSED and self.padding_box.currentText() != "number":
            self.padding_box.setCurrentText("number")
            self.padding_number.setText("0")
        self.rebuild()

    def _settings(self):
        pad_name = self.padding_box.currentText()
        self.padding_number.setEnabled(pad_name == "number")
        padding = parse_pair(self.padding_number.text()) if pad_name == "number" else pad_name
        values = {"padding": padding, "stride": parse_pair(self.stride_edit.text()),
                  "dilation": parse_pair(self.dilation_edit.text()) if self.mode != AVG else 1,
                  "output_padding": parse_pair(self.output_padding.text()) if self.mode == TRANSPOSED else 0}
        bad = [k.replace("_", " ") for k, v in values.items() if v is None]
        if bad:
            raise StepError(f"{', '.join(bad)}: type one whole number, or two separated by a comma")
        return values

    def rebuild(self) -> None:
        if getattr(self, "_quiet", False):
            return
        self.stop()
        x, kernel = self.input_grid.values(), self.kernel_grid.values()
        try:
            if x is None or kernel is None:
                raise StepError("every cell of the input and the kernel must hold a number")
            if self.mode in (MAX, AVG):
                kernel = [[1] * self.window_cols.value() for _ in range(self.window_rows.value())]
            self.stepper = Stepper(x, kernel, self.mode, **self._settings())
        except StepError as e:
            self.stepper = None
            self.index = -1
            self.canvas.show_step(None, -1)
            self.step_text.setText(f"<span style='color:#c33'>{escape(str(e))}</span>")
            self.size_text.setText("")
            self._update_buttons()
            return
        self.index = -1
        self.size_text.setText(self._size_html())
        self.go(-1)

    def _size_html(self) -> str:
        st = self.stepper
        lines = [escape(a.text) for a in st.sizes]
        html = "<b>Output size:</b><br>" + "<br>".join(f"<code>{t}</code>" for t in lines)
        if not st.fits:
            dropped = [f"{len(a.unused)} {'row' if a.name == 'H′' else 'column'}(s)" for a in st.sizes if a.unused]
            html += ("<br><span style='color:#c33'>The windows do not fit exactly: PyTorch rounds down, so "
                     f"{' and '.join(dropped) or 'nothing'} of the padded input (greyed, crossed) are never used.</span>")
        return html

    # ---- stepping
    def go(self, index: int) -> None:
        st = self.stepper
        if st is None:
            return
        self.index = max(-1, min(index, len(st.steps) - 1))
        self.canvas.show_step(st, self.index)
        if self.index < 0:
            self.step_text.setText("Press <b>Forward</b> (or the Right key) to place the window on the first "
                                   "output cell, or <b>Play</b>.")
        else:
            step = st.steps[self.index]
            what = {CONV: "products and their sum", TRANSPOSED: "products with the turned kernel and their sum",
                    MAX: "the largest value in the window", AVG: "the average of the window (padding counts as 0)"}
            self.step_text.setText(f"<b>Output cell ({step.row}, {step.col})</b>, {what[self.mode]}:<br>"
                                   f"<code>{escape(step.text)}</code>")
        if self.index >= len(st.steps) - 1:
            self.stop()
        self._update_buttons()

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.stop()
            return
        if self.stepper is None:
            return
        if self.index >= len(self.stepper.steps) - 1:
            self.go(-1)
        self.timer.start()
        self.play_button.setText("⏸ Pause")

    def stop(self) -> None:
        self.timer.stop()
        self.play_button.setText("▶ Play")

    def _tick(self) -> None:
        self.go(self.index + 1)

    def _update_buttons(self) -> None:
        n = len(self.stepper.steps) if self.stepper else 0
        self.back_button.setEnabled(self.index >= 0)
        self.first_button.setEnabled(self.index >= 0)
        self.forward_button.setEnabled(self.index < n - 1)
        self.last_button.setEnabled(self.index < n - 1)
        self.play_button.setEnabled(n > 0)
        self.position.setText(f"step {self.index + 1} of {n}" if n else "")


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row


def _pair_text(v) -> str:
    if isinstance(v, (list, tuple)):
        return str(v[0]) if v[0] == v[1] else f"{v[0]}, {v[1]}"
    return str(v)
