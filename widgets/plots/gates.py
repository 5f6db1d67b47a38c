"""LSTM / GRU gates for one probe sequence: heatmaps of hidden unit (down) × time (across) for every
gate, per layer and direction, on fixed colour scales ([0, 1] sigmoid gates, [−1, 1] tanh); a line plot
of chosen units over time and the mean forget (or update) gate per time step."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from engine.runtime.protocol import GATE_LETTERS, SIGMOID_GATES, gate_range

from .common import (DIVERGING, RUN_COLOURS, SEQUENTIAL, cache_axes, escape, graphics_layout, info_label,
                     note_label, set_image, set_title)

NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o", "c": "cell c",
         "h": "hidden h", "r": "reset gate r", "z": "update gate z", "n": "new gate n"}
SLOTS = 6
MIN_HEATMAP = 60         # px: a heatmap never lower than this; below it the heatmaps scroll too
GOOD_HEATMAP = 90        # px: the line plots share the screen only if the heatmaps keep this size
MIN_LINES = 150          # px: the row of line plots
ROW_OVERHEAD = 44        # px per heatmap row: its title above and the time ticks below
BARS_WIDTH = 120         # px: the two colour bars with their ticks and labels
BAR_MARGIN = 12          # px above and below a colour bar, where its end ticks' labels reach
AXIS_WIDTH = 40          # px: the unit ticks at the left of a row
TICK_ROOM = 16           # px per character tick under a heatmap


def grid_for(count: int, width: float, height: float) -> tuple[int, float]:
    """The number of columns for `count` heatmaps in width × height px that makes the smallest side
    of a heatmap largest (a wide, low dock: one row; a tall one: two or three), and that side."""
    best = (count, -1.0)
    for cols in sorted({count, -(-count // 2), -(-count // 3)}, reverse=True):
        rows = -(-count // cols)
        side = min((width - BARS_WIDTH - AXIS_WIDTH) / cols, (height - rows * ROW_OVERHEAD) / rows)
        if side > best[1]:
            best = (cols, side)
    return best


class GatesView(QWidget):
    config_requested = Signal(dict)       # {"gates_block": node id}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.data = None
        self.layer_box = QComboBox()
        self.layer_box.setMinimumWidth(150)
        self.layer_box.currentIndexChanged.connect(lambda _i: self._redraw())
        self.units_edit = QLineEdit("0, 1, 2, 3")
        self.units_edit.setMaximumWidth(140)
        self.units_edit.setToolTip("Hidden units to plot over time, separated by commas.")
        self.units_edit.editingFinished.connect(self._redraw)
        self.line_gate = QComboBox()
        self.line_gate.currentIndexChanged.connect(lambda _i: self._redraw())
        self.info = info_label()
        self.chars = QLabel("")
        self.chars.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_box)
        top.addWidget(QLabel("Plot units:"))
        top.addWidget(self.units_edit)
        top.addWidget(QLabel("of"))
        top.addWidget(self.line_gate)
        top.addWidget(self.info, 1)
        # the heatmaps: one grid, laid out again (one row, two or three) to fit the dock
        self.graphics = graphics_layout()
        self.graphics.ci.setSpacing(0)
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.cells = []
        for k in range(SLOTS):
            plot = self.graphics.addPlot(row=0, col=k)
            plot.invertY(True)
            plot.setMenuEnabled(False)
            plot.getViewBox().setDefaultPadding(0.0)
            plot.getAxis("left").setStyle(tickTextOffset=2)
            plot.getAxis("bottom").setStyle(tickTextOffset=1)
            image = pg.ImageItem()
            plot.addItem(image)
            self.cells.append((plot, image))
        self.sig_bar = pg.ColorBarItem(values=(0, 1), colorMap=SEQUENTIAL, interactive=False, width=10,
                                       label="sigmoid gates")
        self.tanh_bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False, width=10,
                                        label="tanh values")
        for bar in (self.sig_bar, self.tanh_bar):       # room above and below for the end ticks' labels ("1.0")
            bar.setContentsMargins(0, BAR_MARGIN, 0, BAR_MARGIN)
        self.graphics.addItem(self.sig_bar, row=0, col=SLOTS)
        self.graphics.addItem(self.tanh_bar, row=0, col=SLOTS + 1)
        self._grid_key = None
        self.cells[0][0].vb.sigResized.connect(self._heatmap_resized)
        # the line plots below the heatmaps
        self.lines = graphics_layout()
        self.lines.ci.setContentsMargins(2, 0, 2, 2)
        self.units_plot = self.lines.addPlot(row=0, col=0, title="chosen units over time")
        self.units_plot.setLabel("bottom", "time step")
        # no legend box over the lines (four entries did not fit the plot's height): the title names each
        # unit in its line's colour
        self.unit_lines = [self.units_plot.plot(pen=pg.mkPen(c, width=1.5)) for c in RUN_COLOURS]
        self._tick_key = None
        self._cell_names = [None] * SLOTS
        self.mean_plot = self.lines.addPlot(row=0, col=1, title="mean forget gate per step")
        self.mean_plot.setYRange(0, 1)
        self.mean_plot.setLabel("bottom", "time step")
        self.mean_line = self.mean_plot.plot(pen=pg.mkPen("#d62728", width=2))
        self.lines.ci.layout.setColumnStretchFactor(0, 2)
        self.lines.ci.layout.setColumnStretchFactor(1, 1)
        self.lines.setFixedHeight(MIN_LINES)
        cache_axes(self.units_plot, self.mean_plot, *(plot for plot, _image in self.cells))
        self.note = note_label("Gates appear here during training for networks with an LSTM or GRU block.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.chars)
        lay.addWidget(self.note)
        # the heatmaps fill what the dock shows; the line plots share it when the heatmaps keep a good
        # size, else they lie below and the view scrolls to them
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.graphics)
        column.addWidget(self.lines)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        self.scroll_area.installEventFilter(self)
        lay.addWidget(self.scroll_area, 1)
        self.scroll_area.hide()
        self._fit()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.scroll_area and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _shown(self) -> int:
        if self.data is None:
            return SLOTS
        entry = self.data["layers"][max(0, min(self.layer_box.currentIndex(), len(self.data["layers"]) - 1))]
        return max(1, len([n for n in GATE_LETTERS.get(self.data["kind"], "h") if n in entry["gates"]]))

    def _fit(self) -> None:
        """Heights and grid for the scroll area's size (the width as if its scroll bar were shown, so
        that the bar coming or going never changes the layout)."""
        count = self._shown()
        width = self.scroll_area.width() - self.scroll_area.verticalScrollBar().sizeHint().width()
        height = self.scroll_area.height()
        cols, side = grid_for(count, width, height - MIN_LINES)
        if side >= GOOD_HEATMAP:
            heat = height - MIN_LINES
        else:
            cols, side = grid_for(count, width, height)
            heat = height
        rows = -(-count // cols)
        heat = max(heat, rows * (MIN_HEATMAP + ROW_OVERHEAD))
        if self.graphics.height() != heat or self.graphics.minimumHeight() != heat:
            self.graphics.setFixedHeight(heat)
        self._place(cols, count)
        if heat + MIN_LINES <= height:                  # no scroll bar: the whole width
            width = self.scroll_area.width()
        bars = sum(b.effectiveSizeHint(Qt.SizeHint.PreferredSize).width()
                   for b in (self.sig_bar, self.tanh_bar) if b.isVisible())
        each = max(20.0, (width - 4 - bars - AXIS_WIDTH - (cols - 1) * 4) / cols)
        grid = self.graphics.ci.layout
        for c in range(cols):                           # equal heatmaps; the first column holds the ticks
            grid.setColumnFixedWidth(c, each + (AXIS_WIDTH if c == 0 else 4))

    def _place(self, cols: int, count: int) -> None:
        """Put the first `count` heatmaps in a grid of `cols` columns, the colour bars they need at the
        right; unit ticks and the "unit" label only at the left of each row."""
        names = GATE_LETTERS.get(self.data["kind"], "h") if self.data is not None else "ifgoch"
        bars = [b for b, wanted in ((self.sig_bar, any(n in SIGMOID_GATES for n in names[:count])),
                                    (self.tanh_bar, any(n not in SIGMOID_GATES for n in names[:count]))) if wanted]
        key = (cols, count, tuple(id(b) for b in bars))
        if key == self._grid_key:
            return
        self._grid_key = key
        grid = self.graphics.ci.layout
        while grid.count():
            grid.removeAt(0)
        rows = -(-count // cols)
        for k, (plot, _image) in enumerate(self.cells):
            plot.setVisible(k < count)
            if k >= count:
                continue
            grid.addItem(plot, k // cols, k % cols)
            first = k % cols == 0
            plot.getAxis("left").setStyle(showValues=first)
            plot.getAxis("left").setWidth(AXIS_WIDTH if first else 4)
            plot.setLabel("left", "unit" if first else "")
        for c in range(cols):
            grid.setColumnStretchFactor(c, 1)
        for c in range(cols, SLOTS + 2):
            grid.setColumnStretchFactor(c, 0)
        for bar in (self.sig_bar, self.tanh_bar):
            bar.setVisible(bar in bars)
        for j, bar in enumerate(bars):
            grid.addItem(bar, 0, cols + j, rows, 1)
        self._tick_key = None

    def clear(self, note: str) -> None:
        self.note.setText(note)
        self.note.show()
        self.scroll_area.hide()
        self.info.setText("")
        self.chars.setText("")
        self.data = None

    def show_frame(self, data: dict) -> None:
        self.data = data
        entries = [f"layer {e['layer'] + 1} {e['direction']}" for e in data["layers"]]
        if [self.layer_box.itemText(i) for i in range(self.layer_box.count())] != entries:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(entries)
            self.layer_box.blockSignals(False)
        names = list(GATE_LETTERS.get(data["kind"], "h"))
        if [self.line_gate.itemText(i) for i in range(self.line_gate.count())] != names:
            self.line_gate.blockSignals(True)
            self.line_gate.clear()
            self.line_gate.addItems(names)
            self.line_gate.setCurrentText("h")
            self.line_gate.blockSignals(False)
        tokens = data.get("tokens")
        chars = "sequence: <tt>" + escape("".join(tokens)) + "</tt>" if tokens else ""
        if self.chars.text() != chars:
            self.chars.setText(chars)
        self.note.hide()
        self.scroll_area.show()
        self._redraw()

    def _heatmap_resized(self, *_args) -> None:
        """The tick spacing follows the heatmaps' size (set again only when it changes enough)."""
        if self.data is not None:
            entry = self.data["layers"][max(0, min(self.layer_box.currentIndex(), len(self.data["layers"]) - 1))]
            steps, hidden = entry["gates"]["h"].shape
            self._set_ticks(self.data.get("tokens"), steps, hidden)

    def _set_ticks(self, tokens, steps: int, hidden: int) -> None:
        """Characters under the time axis and unit numbers down the side, as many as fit without
        overlapping (set only when the sequence or the size changes)."""
        width = max(1.0, self.cells[0][0].vb.width() )
        height = max(1.0, self.cells[0][0].vb.height() or MIN_HEATMAP)
        key = (tuple(tokens) if tokens else None, steps, hidden, int(width) // 8, int(height) // 8)
        if key == self._tick_key:
            return
        self._tick_key = key
        bottom = None
        if tokens and len(tokens) == steps:
            every = _step_for(steps, width / TICK_ROOM)
            bottom = [[(i + 0.5, _show(tokens[i])) for i in range(0, steps, every)]]
        else:
            every = _step_for(steps, width / 36)
            bottom = [[(i + 0.5, str(i)) for i in range(0, steps, every)]]
        every = _step_for(hidden, height / 14)
        left = [[(u + 0.5, str(u)) for u in range(0, hidden, every)]]
        for plot, _image in self.cells:
            plot.getAxis("bottom").setTicks(bottom)
            plot.getAxis("left").setTicks(left)

    def _units(self, hidden: int) -> list[int]:
        out = []
        for part in self.units_edit.text().replace(";", ",").split(","):
            part = part.strip()
            if part.isdecimal() and part.isascii() and int(part) < hidden and int(part) not in out:
                out.append(int(part))
        return out[:len(self.unit_lines)]

    def _redraw(self) -> None:
        if self.data is None:
            return
        entry = self.data["layers"][max(0, min(self.layer_box.currentIndex(), len(self.data["layers"]) - 1))]
        gates = entry["gates"]
        names = [n for n in GATE_LETTERS.get(self.data["kind"], "h") if n in gates]
        tokens = self.data.get("tokens")
        steps, hidden = gates["h"].shape
        self._fit()
        for k, (plot, image) in enumerate(self.cells):
            if k >= len(names):
                continue
            name = names[k]
            values = np.asarray(gates[name], np.float32).T          # unit (rows) × time (columns)
            if self._cell_names[k] != name:
                self._cell_names[k] = name
                image.setColorMap(SEQUENTIAL if name in SIGMOID_GATES else DIVERGING)
            levels = gate_range(name)
            if levels is None:                          # the cell state: scaled to what it holds
                m = max(1.0, float(np.abs(values).max()))
                levels = (-m, m)
            set_image(image, values, levels)
            title = NAMES[name] + (f"  (scale ±{levels[1]:.2g})" if levels[1] > 1 else "")
            set_title(plot, title, size="9pt")
        self._set_ticks(tokens, steps, hidden)
        line_name = self.line_gate.currentText() or "h"
        values = np.asarray(gates.get(line_name, gates["h"]), np.float32)
        units = self._units(hidden)
        t = np.arange(steps)
        for k, line in enumerate(self.unit_lines):
            if k < len(units):
                line.setData(t, values[:, units[k]])
            else:
                line.setData([], [])
        named = ", ".join(f'<span style="color:{RUN_COLOURS[k]}">&#9473;&nbsp;{u}</span>' for k, u in enumerate(units))
        set_title(self.units_plot, f"{escape(NAMES.get(line_name, line_name))} of units {named}")
        mean_gate = "f" if "f" in gates else "z" if "z" in gates else None
        if mean_gate:
            self.mean_line.setData(t, np.asarray(gates[mean_gate], np.float32).mean(axis=1))
            set_title(self.mean_plot, f"mean {NAMES[mean_gate].split(' ')[0]} gate per time step")
        else:
            self.mean_line.setData([], [])
        self.info.setText(f"{self.data['kind']} '{self.data['block']}': {steps} steps × {hidden} units; "
                          f"rows are hidden units, columns time steps")


def _step_for(count: int, room: float) -> int:
    """Every how many items a tick goes so that at most `room` ticks are shown (1, 2, 5, 10, 20, …)."""
    need = count / max(1.0, room)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if step >= need:
            return step
    return int(np.ceil(need))


def _show(ch: str) -> str:
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(ch, ch)
