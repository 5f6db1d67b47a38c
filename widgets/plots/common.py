"""Pieces shared by the plot views: growing arrays for long curves, colour maps, image panels."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QHBoxLayout, QLabel, QSizePolicy, QWidget

DIVERGING = pg.colormap.get("CET-D1A")      # blue - white - red, zero in the middle
SEQUENTIAL = pg.colormap.get("viridis")
GREY = pg.colormap.get("CET-L1")             # black to white, for input images
RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


class Series:
    """x, y values that grow without reallocating on every append (capacity doubles)."""

    def __init__(self, capacity: int = 1024):
        self._x = np.empty(capacity, np.float64)
        self._y = np.empty(capacity, np.float64)
        self.n = 0

    def extend(self, xs, ys) -> None:
        xs, ys = np.asarray(xs, np.float64).reshape(-1), np.asarray(ys, np.float64).reshape(-1)
        need = self.n + len(xs)
        if need > len(self._x):
            cap = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, cap)
            self._y = np.resize(self._y, cap)
        self._x[self.n:need] = xs
        self._y[self.n:need] = ys
        self.n = need

    def append(self, x, y) -> None:
        self.extend([x], [y])

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.n]

    def clear(self) -> None:
        self.n = 0


def ema(values: np.ndarray, alpha: float, start: float | None = None) -> tuple[np.ndarray, float]:
    """Exponential moving average of new values, continuing from `start`; returns (smoothed, last)."""
    out = np.empty(len(values), np.float64)
    s = start
    for i, v in enumerate(values):
        s = v if s is None or not np.isfinite(s) else (1 - alpha) * s + alpha * v
        out[i] = s
    return out, s


def graphics_layout() -> pg.GraphicsLayoutWidget:
    """The canvas of a plot view. It repaints the one rectangle around what changed: pyqtgraph's
    default (the exact region) clips curves to a many-rectangle region, which makes Qt's painter draw
    a long noisy curve ten times slower (a 100–300 ms repaint of the curves, the hitches of a run)."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
    return graphics


class GridAxis(pg.AxisItem):
    """An axis whose grid lines are solid colours, pyqtgraph's translucent ones mixed with the plot's
    background, lying under the curves: Qt's painter draws a translucent line ten times slower
    (4 ms an axis on a large plot, at each change of range and each time the plot comes on screen)."""

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None or self.grid is False:
            return specs
        axis, ticks, texts = specs
        background = pg.mkColor(pg.getConfigOption("background"))
        return axis, [(_solid(pen, background), a, b) for pen, a, b in ticks], texts


def _solid(pen, background: QColor):
    colour = pen.color()
    alpha = colour.alphaF()
    if alpha >= 1.0:
        return pen
    mixed = QColor.fromRgbF(*(alpha * getattr(colour, c)() + (1 - alpha) * getattr(background, c)()
                              for c in ("redF", "greenF", "blueF")))
    solid = QPen(pen)
    solid.setColor(mixed)
    return solid


def grid_plot(**kwargs) -> pg.PlotItem:
    """A plot (PlotItem arguments) whose grid, once shown, is drawn by GridAxis under the curves."""
    return pg.PlotItem(axisItems={"left": GridAxis("left"), "bottom": GridAxis("bottom")}, **kwargs)


def show_grid(plot: pg.PlotItem, x: bool = False, y: bool = False, alpha: float = 0.2) -> None:
    """A grid_plot's grid: solid lines under the curves (the axes' labels stay where they are)."""
    plot.showGrid(x=x, y=y, alpha=alpha)
    for name in ("left", "bottom"):
        plot.getAxis(name).setZValue(plot.vb.zValue() - 1)


def cache_axes(*plots: pg.PlotItem) -> None:
    """Keep each axis of these plots (its ticks, labels and grid lines) as a pixmap, redrawn only when
    its range, size or colours change: redrawn with every frame, the axes of a large plot cost more
    than its curves (about 5 ms an axis with a grid)."""
    for plot in plots:
        for axis in plot.axes.values():
            axis["item"].setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def note_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: #666; padding: 6px;")
    return label


def image_plot(title: str = "", colormap=DIVERGING, bar: bool = True, levels=(-1.0, 1.0)):
    """A plot with one ImageItem (y pointing down, square pixels, no axes) and optionally a colour bar.
    Returns (PlotItem, ImageItem, ColorBarItem | None)."""
    plot = pg.PlotItem(title=title)
    plot.invertY(True)
    plot.setAspectLocked(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    image = pg.ImageItem()
    image.setColorMap(colormap)
    plot.addItem(image)
    cbar = None
    if bar:
        cbar = pg.ColorBarItem(values=levels, colorMap=colormap, interactive=False, width=12)
        cbar.setImageItem(image, insert_in=plot)
    return plot, image, cbar


def set_image(image: pg.ImageItem, data: np.ndarray, levels, cbar=None) -> None:
    """Show an array with fixed levels (RGB arrays in [0, 1] are shown as they are)."""
    data = np.asarray(data, np.float32)
    if data.ndim == 3:
        image.setImage(data, levels=(0.0, 1.0), autoLevels=False)
        return
    lo, hi = levels
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    image.setImage(data, levels=(lo, hi), autoLevels=False)
    if cbar is not None:
        cbar.setLevels((lo, hi))


def escape(s: str) -> str:
    """Text for a rich-text label: HTML characters escaped, line breaks shown as ⏎."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "⏎")


def set_title(plot: pg.PlotItem, text: str, **opts) -> None:
    """Change a plot's title only when the text changes (a new title re-lays out the plot)."""
    if plot.titleLabel.text != text:
        plot.setTitle(text, **opts)


class StickyRange:
    """Sets an axis range that changes rarely: it grows with room to spare when the data leaves it and
    shrinks only when the data fills less than a third of it, so axes are not redrawn every frame."""

    def __init__(self, plot: pg.PlotItem, axis: str, floor: float | None = None, log: bool = False,
                 room: float = 0.35):
        self.plot, self.axis, self.floor, self.log, self.room = plot, axis, floor, log, room
        self.range = None
        plot.enableAutoRange(axis=axis, enable=False)

    def update(self, lo: float, hi: float) -> None:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return
        if self.log:
            lo, hi = np.log10(max(lo, 1e-12)), np.log10(max(hi, 1e-12))
        if self.floor is not None:
            lo = min(lo, self.floor)
        if hi <= lo:
            hi = lo + (abs(lo) * 0.1 or 1.0)
        if self.range is not None:
            a, b = self.range
            if a <= lo and hi <= b and (hi - lo) >= (b - a) / 3:
                return
        span = hi - lo
        a = lo if self.floor is not None and lo == self.floor else lo - min(0.1, self.room) * span
        self.range = (a, hi + self.room * span)
        if self.axis == "x":
            self.plot.setXRange(*self.range, padding=0)
        else:
            self.plot.setYRange(*self.range, padding=0)


class StickyLevels:
    """Colour levels that change rarely: a rounded bound that grows when values exceed it and
    shrinks when they fall under 80% of it, so the colour bar's axis is not redrawn every frame."""

    def __init__(self):
        self.bound = None

    def symmetric(self, vmax: float) -> tuple[float, float]:
        b = self._bound(abs(vmax))
        return -b, b

    def upper(self, vmax: float) -> tuple[float, float]:
        return 0.0, self._bound(vmax)

    def _bound(self, v: float) -> float:
        v = float(v) if np.isfinite(v) and v > 0 else 1.0
        if self.bound is None or v > self.bound or v < 0.8 * self.bound:
            exp = 10 ** np.floor(np.log10(v * 1.05))
            self.bound = float(np.ceil(v * 1.05 / exp * 4) / 4 * exp)     # 1.05·v rounded up to a quarter step
        return self.bound


class LegendStrip(QWidget):
    """A legend as a row beside the plots, never over their data (inside a small plot a legend covered the
    newest steps): each entry a drawn sample of its line and symbol, and its text."""

    SAMPLE = (26, 12)           # px: a sample's size

    def __init__(self, parent=None):
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(6, 0, 6, 0)
        self._row.setSpacing(14)
        self._row.addStretch(1)
        self.entries: dict[str, tuple[QWidget, QLabel]] = {}

    def add(self, key: str, text: str, pen, symbol: str | None = None, brush=None) -> None:
        sample = QLabel()
        sample.setPixmap(self._sample(pen, symbol, brush))
        label = QLabel(text)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        label.setFont(font)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(sample)
        row.addWidget(label)
        self._row.insertWidget(self._row.count() - 1, box)
        self.entries[key] = (box, label)

    def set_text(self, key: str, text: str) -> None:
        self.entries[key][1].setText(text)

    def set_shown(self, key: str, shown: bool) -> None:
        self.entries[key][0].setVisible(shown)

    def texts(self) -> list[str]:
        """The texts of the entries shown (for tests)."""
        return [label.text() for box, label in self.entries.values() if not box.isHidden()]

    def _sample(self, pen, symbol, brush) -> QPixmap:
        w, h = self.SAMPLE
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(w * ratio), int(h * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(pg.mkPen(pen))
        p.drawLine(QPointF(1, h / 2), QPointF(w - 1, h / 2))
        if symbol is not None:
            p.setPen(pg.mkPen(brush))
            p.setBrush(pg.mkBrush(brush))
            r = QRectF(w / 2 - 3.5, h / 2 - 3.5, 7, 7)
            if symbol == "s":
                p.drawRect(r)
            else:
                p.drawEllipse(r)
        p.end()
        return pixmap


def info_label(text: str = "") -> QLabel:
    """A one-line label whose text changes often without re-laying out the window."""
    label = QLabel(text)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    label.setMinimumWidth(50)
    return label


class CellLabels(pg.GraphicsObject):
    """Many short texts at data positions, drawn by one item (far cheaper than one TextItem per text).
    Each label: (x, y, text, colour) or (x, y, text, colour, width, height); `align` is where the text
    sits relative to its point ("center" or "below-left"). A label with a width and height (in data
    units) stays inside that box on screen: its font shrinks to the box's height (down to MIN_PX, below
    which it is left out) and its text is cut with "…" to the box's width, so neighbours never overlap."""

    POINT_SIZE = 8.5
    MIN_PX = 7

    def __init__(self, align: str = "center"):
        super().__init__()
        self.labels: list[tuple] = []
        self.align = align
        self._rect = QRectF()

    def set_labels(self, labels, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.labels = list(labels)
        self._rect = QRectF(rect)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def boxes(self, transform, font: QFont) -> list[tuple[QRectF, str, str, QFont]]:
        """Where each label is drawn in device pixels under `transform`: (rect, text, colour, font)."""
        out = []
        for label in self.labels:
            x, y, text, colour = label[:4]
            p = transform.map(QPointF(x, y))
            f = QFont(font)
            if len(label) == 6:
                corner = transform.map(QPointF(x + label[4], y + label[5]))
                w, h = abs(corner.x() - p.x()), abs(corner.y() - p.y())
                px = min(h * 0.8, QFontMetricsF(font).height() * 0.8)
                if px < self.MIN_PX or w < 2 * self.MIN_PX:
                    continue
                f.setPixelSize(max(1, int(px)))
                # cut in the middle: labels alike but for their ends (a diagonal and its mirror) stay apart
                text = QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideMiddle, w - 1)
                box = QRectF(p.x(), p.y(), w - 1, h)
            elif self.align == "center":
                box = QRectF(p.x() - 40, p.y() - 9, 80, 18)
            else:
                box = QRectF(p.x(), p.y(), 120, 18)
            out.append((box, text, colour, f))
        return out

    def paint(self, painter, *_args) -> None:
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        font = QFont(painter.font())
        font.setPointSizeF(self.POINT_SIZE)
        flags = Qt.AlignmentFlag.AlignCenter if self.align == "center" else \
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        for box, text, colour, f in self.boxes(transform, font):
            painter.setFont(f)
            painter.setPen(QColor(colour))
            painter.drawText(box, flags, text)
        painter.restore()


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at whole decades only (0.01, 0.1, 1, …) with unlabelled 2…9 ticks between,
    so its labels never crowd (pyqtgraph labels every minor tick when fewer than three decades show)."""

    def __init__(self, orientation: str = "left", **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = int(np.floor(minVal)), int(np.ceil(maxVal))
        decades = [float(v) for v in range(lo, hi + 1) if minVal <= v <= maxVal]
        minor = [v + np.log10(k) for v in range(lo, hi) for k in range(2, 10) if minVal < v + np.log10(k) < maxVal]
        return [(1.0, decades), (None, minor)]
