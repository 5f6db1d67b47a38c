"""Training curves: loss and the task's metric per step (raw and smoothed) and per epoch (train and
validation), live; log scale; hover to read values; earlier runs of the same network drawn faintly;
export as PNG or CSV."""
from __future__ import annotations

import csv
import io

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QVBoxLayout,
                               QWidget)

from engine.core.files import atomic_write_bytes, atomic_write_text

from .. import folders
from .common import (LegendStrip, Series, StickyRange, cache_axes, ema, graphics_layout, grid_plot, info_label,
                     note_label, set_title, show_grid)

SMOOTHING = 0.1        # EMA weight of a new step's value
MAX_EARLIER_RUNS = 3
SAMPLES_PER_PIXEL = 1.0  # a long run's steps are drawn as each pixel column's lowest and highest value


def series_styles() -> dict[str, dict]:
    """Each series' pen and symbol, shared by both plots and their legend strip."""
    blue, red = "#1f77b4", "#d62728"
    return {"raw": {"pen": pg.mkPen(QColor(31, 119, 180, 60), width=1)},
            "smoothed": {"pen": pg.mkPen(blue, width=2)},
            "train": {"pen": pg.mkPen(blue, width=1, style=Qt.PenStyle.DotLine), "symbol": "o", "symbolSize": 6,
                      "symbolBrush": blue},
            "val": {"pen": pg.mkPen(red, width=2), "symbol": "s", "symbolSize": 7, "symbolBrush": red},
            "earlier": {"pen": pg.mkPen(QColor(120, 120, 120, 90), width=1.5, style=Qt.PenStyle.DashLine)}}


EMPTY = "The loss and accuracy curves appear here when training starts (Start, or F5)."
LEGEND = (("smoothed", "train (smoothed)"), ("train", "train, per epoch"), ("val", "validation, per epoch"),
          ("earlier", "earlier run of this network"))


class CurvePanel:
    """One quantity (loss or a metric): step values, their EMA, and per-epoch train/validation points."""

    def __init__(self, plot: pg.PlotItem, name: str):
        self.plot, self.name = plot, name
        show_grid(plot, x=True, y=True)
        plot.setLabel("bottom", "step")
        plot.setTitle(name)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        style = series_styles()
        self.earlier = [plot.plot(**style["earlier"]) for _ in range(MAX_EARLIER_RUNS)]
        self.raw_item = plot.plot(**style["raw"])
        self.ema_item = plot.plot(**style["smoothed"])
        self.train_item = plot.plot(**style["train"])
        self.val_item = plot.plot(**style["val"])
        for item in (self.raw_item, self.ema_item):     # pyqtgraph's default draws up to 5 per pixel
            item.opts["autoDownsampleFactor"] = SAMPLES_PER_PIXEL
        cache_axes(plot)
        self.raw, self.smooth, self.train, self.val = Series(), Series(), Series(), Series()
        self._ema_last = None
        self.xr = StickyRange(plot, "x", floor=0.0)
        self.yr = StickyRange(plot, "y")
        self.earlier_max = 0.0
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#999", width=1))
        self.cursor.setVisible(False)
        plot.addItem(self.cursor, ignoreBounds=True)

    def clear(self) -> None:
        for s in (self.raw, self.smooth, self.train, self.val):
            s.clear()
        self._ema_last = None
        self.redraw()

    def add_steps(self, steps, values) -> None:
        values = np.asarray(values, np.float64)
        smoothed, self._ema_last = ema(values, SMOOTHING, self._ema_last)
        self.raw.extend(steps, values)
        self.smooth.extend(steps, smoothed)

    def add_epoch(self, step, train, val) -> None:
        if train is not None:
            self.train.append(step, train)
        if val is not None:
            self.val.append(step, val)

    def set_log(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.yr.log = on
        self.yr.range = None
        self.redraw()

    def show_earlier(self, runs: list[dict]) -> None:
        self.earlier_max = 0.0
        for item, run in zip(self.earlier, runs + [None] * MAX_EARLIER_RUNS):
            data = run.get(self.name) if run else None
            if data is None or len(data[0]) == 0:
                item.setData([], [])
            else:
                item.setData(data[0], data[1])
                self.earlier_max = max(self.earlier_max, float(data[0][-1]))

    def redraw(self) -> None:
        self.raw_item.setData(self.raw.x, self.raw.y)
        self.ema_item.setData(self.smooth.x, self.smooth.y)
        self.train_item.setData(self.train.x, self.train.y)
        self.val_item.setData(self.val.x, self.val.y)
        shown = [a for a in (self.smooth.y, self.train.y, self.val.y) if len(a)]
        if shown:
            values = np.concatenate(shown)
            values = values[np.isfinite(values)]
            if self.yr.log:
                values = values[values > 0]
            if len(values):
                self.yr.update(float(values.min()), float(values.max()))
        if self.smooth.n or self.earlier_max:
            self.xr.update(0.0, max(self.earlier_max, float(self.smooth.x[-1]) if self.smooth.n else 0.0))

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed curve, kept to show this run faintly behind later runs."""
        return self.smooth.x.copy(), self.smooth.y.copy()

    def read(self, x: float) -> str:
        """The values nearest to step x, as text."""
        parts = []
        if self.smooth.n:
            i = int(np.clip(np.searchsorted(self.smooth.x, x), 0, self.smooth.n - 1))
            parts.append(f"step {self.smooth.x[i]:.0f}: {self.name} {self.raw.y[i]:.4g} "
                         f"(smoothed {self.smooth.y[i]:.4g})")
        for label, s in (("train", self.train), ("validation", self.val)):
            if s.n:
                j = int(np.argmin(np.abs(s.x - x)))
                parts.append(f"epoch {j + 1} {label} {s.y[j]:.4g}")
        return ";  ".join(parts)


class CurvesView(QWidget):
    REDRAW_HZ = 10          # curves need no more: a step's loss is a dot among thousands

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graphics = graphics_layout()
        self.panels = {"loss": CurvePanel(self._add_plot(0), "loss")}
        self.metric_name = "accuracy"
        self.panels["metric"] = CurvePanel(self._add_plot(1), self.metric_name)
        self.archive: dict[str, list[dict]] = {}      # network hash -> earlier runs' smoothed curves
        self.run_key = None
        self.last_step = 0
        self._dirty: list[str] = []        # panels with data not drawn yet, waiting longest first
        self._drawn: dict[str, float] = {}  # panel -> when refresh(now) last redrew it
        self.log_box = QCheckBox("log scale (loss)")
        self.log_box.toggled.connect(self.panels["loss"].set_log)
        png, csv_button = QPushButton("Export PNG…"), QPushButton("Export CSV…")
        png.clicked.connect(self._ask_png)
        csv_button.clicked.connect(self._ask_csv)
        self.exports = (png, csv_button)
        self.readout = info_label("Hover over a plot to read its values.")
        self.readout.setStyleSheet("color: #444;")
        bar = QHBoxLayout()
        bar.addWidget(self.log_box)
        bar.addWidget(self.readout, 1)
        bar.addWidget(png)
        bar.addWidget(csv_button)
        self.legend = LegendStrip()            # one for both plots: they draw their series alike
        style = series_styles()
        for key, text in LEGEND:
            self.legend.add(key, text, style[key]["pen"], style[key].get("symbol"), style[key].get("symbolBrush"))
        self.legend.set_shown("earlier", False)
        self.plots_box = QWidget()              # the plots and their legend, as Export PNG writes them
        box = QVBoxLayout(self.plots_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.legend)
        box.addWidget(self.graphics, 1)
        self.note = note_label(EMPTY)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(self.note)
        lay.addWidget(self.plots_box, 1)
        self._show_plots(False)
        self.graphics.scene().sigMouseMoved.connect(self._hover)

    def _add_plot(self, col: int) -> pg.PlotItem:
        plot = grid_plot()
        self.graphics.addItem(plot, row=0, col=col)
        return plot

    # ------------------------------------------------------------------------------------ runs
    def start_run(self, run_key: str | None, metric: str = "accuracy") -> None:
        """A new run begins: the previous run's curves join the earlier runs of its network."""
        if self.run_key is not None and self.panels["loss"].smooth.n:
            runs = self.archive.setdefault(self.run_key, [])
            runs.insert(0, {p.name: p.snapshot() for p in self.panels.values()})
            del runs[MAX_EARLIER_RUNS:]
        self.run_key = run_key
        self.metric_name = metric
        self.panels["metric"].name = metric
        set_title(self.panels["metric"].plot, metric)
        earlier = self.archive.get(run_key, [])
        for p in self.panels.values():
            p.xr.range = p.yr.range = None
            p.show_earlier(earlier)
            p.clear()
        self._show_plots(True)
        self.legend.set_shown("earlier", bool(earlier))
        self.legend.set_text("earlier", "earlier runs of this network" if len(earlier) > 1 else
                             "earlier run of this network")
        self.last_step = 0

    def clear(self, note: str) -> None:
        """Another network: its curves have not been drawn yet; a note says so instead of empty axes."""
        self.start_run(None)
        self.note.setText(note)
        self._show_plots(False)

    def _show_plots(self, shown: bool) -> None:
        """The plots (with data or a run going), or the note in their place (empty axes squeezed into a
        low panel read as a broken view)."""
        self.plots_box.setVisible(shown)
        self.note.setVisible(not shown)
        for button in self.exports:
            button.setEnabled(shown)

    def earlier_runs(self) -> int:
        return len(self.archive.get(self.run_key, []))

    # ------------------------------------------------------------------------------------ data
    def add_scalars(self, payload: dict) -> None:
        steps = payload.get("step") or []
        if not len(steps):
            return
        self.panels["loss"].add_steps(steps, payload.get("loss", []))
        metric = payload.get(self.metric_name)
        if metric is not None and len(metric) == len(steps):
            self.panels["metric"].add_steps(steps, metric)
        self.last_step = float(steps[-1])
        self._mark_dirty()

    def add_epoch(self, payload: dict) -> None:
        step = float(payload.get("step", payload.get("global_step", self.last_step)))
        self.panels["loss"].add_epoch(step, payload.get("train_loss"), payload.get("val_loss"))
        self.panels["metric"].add_epoch(step, payload.get(f"train_{self.metric_name}"),
                                        payload.get(f"val_{self.metric_name}"))
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        for name in self.panels:
            if name not in self._dirty:
                self._dirty.append(name)

    def refresh(self, now: float | None = None) -> None:
        """Redraw what changed since the last refresh. Given the container's clock `now` (its timer calls
        this ~30 times a second), it redraws at most one plot, the one waiting longest, and each plot at
        most REDRAW_HZ times a second: one repaint never draws both plots' curves (each costs about
        5–10 ms on a large window)."""
        if now is None:
            names = list(self._dirty)
        else:
            names = [n for n in self._dirty if now - self._drawn.get(n, -np.inf) >= 1.0 / self.REDRAW_HZ][:1]
        for name in names:
            self.panels[name].redraw()
            self._dirty.remove(name)
            if now is not None:
                self._drawn[name] = now

    # ----------------------------------------------------------------------------------- hover
    def _hover(self, pos) -> None:
        for p in self.panels.values():
            inside = p.plot.sceneBoundingRect().contains(pos)
            p.cursor.setVisible(inside)
            if inside:
                x = p.plot.vb.mapSceneToView(pos).x()
                p.cursor.setPos(x)
                text = p.read(x)
                self.readout.setText(text or "No values yet.")

    # ---------------------------------------------------------------------------------- export
    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves as PNG", str(folders.start_folder() / "curves.png"),
                                              "PNG image (*.png)")
        folders.remember(path)
        if path:
            try:
                if not self.export_png(path):
                    self._export_failed(path, "the image could not be encoded")
            except OSError as e:
                self._export_failed(path, e.strerror or str(e))

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves as CSV", str(folders.start_folder() / "curves.csv"),
                                              "CSV (*.csv)")
        folders.remember(path)
        if path:
            try:
                self.export_csv(path)
            except OSError as e:
                self._export_failed(path, e.strerror or str(e))

    def _export_failed(self, path: str, why: str) -> None:
        QMessageBox.warning(self, "Export failed", f"The curves were not saved to {path}: {why}. "
                                                   "Choose a folder you can write to.")

    def export_png(self, path: str) -> bool:
        """Write the plots as a PNG (atomically, with normal permissions); False when Qt cannot encode it."""
        self.refresh()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not self.plots_box.grab().save(buffer, "PNG"):
            return False
        atomic_write_bytes(path, bytes(data))
        return True

    def export_csv(self, path: str) -> None:
        """One row per value: series (e.g. loss/step, loss/val), step, value."""
        atomic_write_text(path, self.csv_text())

    def csv_text(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["series", "step", "value"])
        for p in self.panels.values():
            for label, s in (("step", p.raw), ("smoothed", p.smooth), ("train_epoch", p.train),
                             ("val_epoch", p.val)):
                for x, y in zip(s.x, s.y):
                    w.writerow([f"{p.name}/{label}", f"{x:g}", f"{y:.6g}"])
        return buf.getvalue()
