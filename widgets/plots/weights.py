"""Inside the weights: histograms of a layer's weights and gradients, each layer's gradient norm over
training (the vanishing-gradient view), and the share of dead ReLUs on the probe batch."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from . import legend_brush

from .common import RUN_COLOURS, DecadeAxis, StickyRange, cache_axes, graphics_layout, note_label, set_title

TITLE_SIZE = "9pt"
ROW_MIN = 170            # px: a plot row lower than this reads badly; a low dock puts all four in one row
WIDE = 900               # px: wide enough for four plots side by side


class WeightsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer_box = QComboBox()
        self.layer_box.setMinimumWidth(120)
        self.layer_box.currentIndexChanged.connect(lambda _i: self._draw_histograms())
        self.info = QLabel("")
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_box)
        top.addWidget(self.info, 1)
        self.graphics = graphics_layout()
        self.graphics.ci.setSpacing(4)
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.w_plot = self.graphics.addPlot(row=0, col=0)
        self.g_plot = self.graphics.addPlot(row=1, col=0)
        self.w_hist = self.w_plot.plot(stepMode="center", fillLevel=0, brush=(31, 119, 180, 120),
                                       pen=pg.mkPen("#1f77b4"))
        self.g_hist = self.g_plot.plot(stepMode="center", fillLevel=0, brush=(214, 39, 40, 110),
                                       pen=pg.mkPen("#d62728"))
        self.norm_plot = self.graphics.addPlot(row=0, col=1, axisItems={"left": DecadeAxis("left")})
        self.norm_plot.setLogMode(y=True)
        self.norm_plot.setLabel("bottom", "step")
        self.norm_plot.addLegend(offset=(-5, 5), labelTextSize="8pt", brush=legend_brush())
        self.norm_plot.setClipToView(True)
        self.dead_plot = self.graphics.addPlot(row=1, col=1)
        for plot, title in ((self.w_plot, "weights"), (self.g_plot, "gradients"),
                            (self.norm_plot, "gradient norm per layer (log)"),
                            (self.dead_plot, "dead ReLUs: share of units never active")):
            plot.setMenuEnabled(False)
            set_title(plot, title, size=TITLE_SIZE)
        self._cols = 2
        self.graphics.installEventFilter(self)
        self.dead_plot.setYRange(0, 1)
        self.dead_plot.enableAutoRange(enable=False)
        self._dead_names = None
        self.no_relu = pg.TextItem("This network has no ReLU blocks.", anchor=(0.5, 0.5), color="#666")
        self.no_relu.setPos(0, 0.5)
        self.dead_plot.addItem(self.no_relu)
        self.ranges = {"wx": StickyRange(self.w_plot, "x", room=0.08),
                       "wy": StickyRange(self.w_plot, "y", floor=0.0, room=0.1),
                       "gx": StickyRange(self.g_plot, "x", room=0.08),
                       "gy": StickyRange(self.g_plot, "y", floor=0.0, room=0.1),
                       "nx": StickyRange(self.norm_plot, "x", floor=0.0),
                       "ny": StickyRange(self.norm_plot, "y", log=True, room=0.05)}
        self.dead_bars = pg.BarGraphItem(x=[0], height=[0], width=0.6, brush="#7f7f7f")
        self.dead_plot.addItem(self.dead_bars)
        self.norm_lines: dict[str, pg.PlotDataItem] = {}
        self.stats: dict = {}
        self.note = note_label("Weight and gradient statistics appear here during training.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.graphics, 1)
        cache_axes(self.w_plot, self.g_plot, self.norm_plot, self.dead_plot)
        self.graphics.hide()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self._place(4 if event.size().height() < 2 * ROW_MIN and event.size().width() >= WIDE else 2)
        return False

    def _place(self, cols: int) -> None:
        """Two rows of two plots, or (a low, wide dock) the four in one row."""
        if cols == self._cols:
            return
        self._cols = cols
        grid = self.graphics.ci.layout
        while grid.count():
            grid.removeAt(0)
        cells = [(0, 0), (1, 0), (0, 1), (1, 1)] if cols == 2 else [(0, 0), (0, 1), (0, 2), (0, 3)]
        for plot, (row, col) in zip((self.w_plot, self.g_plot, self.norm_plot, self.dead_plot), cells):
            grid.addItem(plot, row, col)
        for col, stretch in enumerate((1, 1) if cols == 2 else (2, 2, 3, 2)):
            grid.setColumnStretchFactor(col, stretch)
        for col in range(cols, 4):
            grid.setColumnStretchFactor(col, 0)

    def clear(self, note: str) -> None:
        self.note.setText(note)
        self.note.show()
        self.graphics.hide()
        self.info.setText("")

    def start_run(self) -> None:
        """A new run: forget the gradient-norm history (the layers may have changed)."""
        for line in self.norm_lines.values():
            self.norm_plot.removeItem(line)
        self.norm_plot.legend.clear()
        self.norm_lines.clear()
        self.stats = {}
        for r in self.ranges.values():
            r.range = None

    def show_frame(self, data: dict) -> None:
        self.stats = data.get("blocks", {})
        names = list(self.stats)
        if [self.layer_box.itemText(i) for i in range(self.layer_box.count())] != names:
            current = self.layer_box.currentText()
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            if current in names:
                self.layer_box.setCurrentText(current)
            self.layer_box.blockSignals(False)
        lo, hi, last = np.inf, 0.0, 0.0
        for nid, (steps, norms) in data.get("grad_norms", {}).items():
            if nid not in self.norm_lines:
                colour = RUN_COLOURS[len(self.norm_lines) % len(RUN_COLOURS)]
                self.norm_lines[nid] = self.norm_plot.plot(pen=pg.mkPen(colour, width=1.5), name=nid)
            norms = np.maximum(norms, 1e-12)
            self.norm_lines[nid].setData(np.asarray(steps, np.float64), norms)
            if len(norms):
                lo, hi, last = min(lo, float(norms.min())), max(hi, float(norms.max())), max(last, float(steps[-1]))
        if hi > 0:                              # whole decades, so that the axis has labelled ticks
            self.ranges["ny"].update(10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi)))
            self.ranges["nx"].update(0.0, last)
        dead = data.get("dead_relu", {})
        names = list(dead)
        self.dead_bars.setOpts(x=np.arange(len(dead)), height=np.array(list(dead.values()), np.float32), width=0.6)
        if names != self._dead_names:
            self._dead_names = names
            self.dead_plot.getAxis("bottom").setTicks([list(enumerate(names))])
            self.dead_plot.setXRange(-0.6, max(1, len(names)) - 0.4, padding=0)
            self.no_relu.setVisible(not names)
        self.note.hide()
        self.graphics.show()
        self._draw_histograms()

    def _draw_histograms(self) -> None:
        entry = self.stats.get(self.layer_box.currentText())
        if not entry:
            return
        w = entry["weights"]
        name = self.layer_box.currentText()
        self.w_hist.setData(w["edges"], w["counts"])
        self.ranges["wx"].update(float(w["edges"][0]), float(w["edges"][-1]))
        self.ranges["wy"].update(0.0, float(np.max(w["counts"])))
        set_title(self.w_plot, f"weights of {name}", size=TITLE_SIZE)
        g = entry.get("grads")
        if g is not None:
            self.g_hist.setData(g["edges"], g["counts"])
            self.ranges["gx"].update(float(g["edges"][0]), float(g["edges"][-1]))
            self.ranges["gy"].update(0.0, float(np.max(g["counts"])))
            set_title(self.g_plot, f"gradients of {name}", size=TITLE_SIZE)
        else:
            self.g_hist.setData([], [])
            set_title(self.g_plot, "gradients: none yet", size=TITLE_SIZE)
        self.info.setText(f"{int(np.sum(w['counts'])):,} parameters; weights {w['edges'][0]:.3g} … "
                          f"{w['edges'][-1]:.3g}; gradient norm {entry.get('grad_norm', float('nan')):.3g}")
