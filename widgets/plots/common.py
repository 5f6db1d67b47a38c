"""Pieces shared by the plot views: growing arrays for long curves, colour maps, image panels."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

DIVERGING = pg.colormap.get("CET-D1A")      # blue - white - red, zero in the middle
SEQUENTIAL = pg.colormap.get("viridis")
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


def symmetric(values_range) -> tuple[float, float]:
    m = max(abs(float(values_range[0])), abs(float(values_range[1]))) or 1.0
    return -m, m
