"""Pick a learned filter in the Filters view: a click outlines one tile (one output channel, one input
channel of it, or one depth slice of a 3-D filter), double-click or "Open in kernel lab" sends its weights
to the kernel lab. The weights are
read back from the frame's mosaic: tiles of raw weights separated by NaN gaps, or RGB tiles of
0.5 + 0.5·w / vmax for filters over three input channels."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QPushButton


def tile_at(frame: dict, row: int, col: int):
    """((top, left, height, width), kernel, label) of the tile under mosaic pixel (row, col), or None.
    The kernel is (kh, kw), or (3, kh, kw) for a colour filter; a 3-D filter's tile is one depth slice
    (kh, kw) of it, which the kernel lab applies to its 2-D image."""
    image = np.asarray(frame["image"])
    kernel = list(frame.get("kernel", []))
    if len(kernel) == 3:
        kernel = kernel[1:]
    elif len(kernel) != 2:
        return None
    if not (0 <= row < image.shape[0] and 0 <= col < image.shape[1]):
        return None
    kh, kw = kernel
    out_ch = frame["channels"][0]
    if frame.get("rgb"):
        cols = math.ceil(math.sqrt(min(out_ch, 64)))
        tr, r = divmod(row, kh + 1)
        tc, c = divmod(col, kw + 1)
        channel = tr * cols + tc
        if r >= kh or c >= kw or tc >= cols or channel >= out_ch:
            return None
        top, left = tr * (kh + 1), tc * (kw + 1)
        rgb = image[top:top + kh, left:left + kw]
        weights = (np.transpose(rgb, (2, 0, 1)) - 0.5) * 2.0 * float(frame["vmax"])
        if not np.isfinite(weights).all():          # a run that diverged: nothing to apply
            return None
        return (top, left, kh, kw), weights, f"filter {channel}"
    if not np.isfinite(image[row, col]):
        return None
    finite = np.isfinite(image)
    top, left = row, col
    while top > 0 and finite[top - 1, col]:
        top -= 1
    while left > 0 and finite[row, left - 1]:
        left -= 1
    if (row - top) >= kh or (col - left) >= kw:          # tiles side by side with no gap: count from the edge
        top, left = row - (row - top) % kh, col - (col - left) % kw
    weights = image[top:top + kh, left:left + kw].astype(np.float64)
    if weights.shape != (kh, kw) or not np.isfinite(weights).all():
        return None
    return (top, left, kh, kw), weights, _label(frame, top, left, kh, kw)


def _label(frame, top, left, kh, kw) -> str:
    out_ch, in_ch = frame["channels"]
    if len(frame.get("kernel", [])) == 3:        # a row per (output, input) channel pair, a tile per depth
        shown = max(1, int(frame["inputs_shown"]))
        out, inp = divmod(top // (kh + 2), shown)
        return f"filter {out}, input channel {inp}, depth slice {left // (kw + 1)}"
    if in_ch == 1:
        cols = math.ceil(math.sqrt(min(out_ch, 64)))
        return f"filter {(top // (kh + 1)) * cols + left // (kw + 1)}"
    gap = 2 if kh > 2 else 1
    return f"filter {top // (kh + gap)}, input channel {left // (kw + 1)}"


class FilterPicker(QObject):
    open_requested = Signal(str, object)      # (name, weights): show this filter in the kernel lab

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.frame: dict | None = None
        self.picked = None                    # (label, weights)
        self.marks = {}
        for plot in (view.plot, view.rgb_plot):
            mark = QGraphicsRectItem()
            pen = QPen(QColor(255, 140, 0), 2)
            pen.setCosmetic(True)
            mark.setPen(pen)
            mark.setZValue(10)
            mark.hide()
            plot.addItem(mark)
            self.marks[id(plot)] = mark
        self.button = QPushButton("Open in kernel lab")
        self.button.setToolTip("Apply the picked filter to the probe image in the kernel lab (or double-click a filter)")
        self.button.setEnabled(False)
        self.button.clicked.connect(self.open)
        view.graphics.scene().sigMouseClicked.connect(self._clicked)

    def update(self, frame: dict) -> None:
        block = self.frame.get("block") if self.frame else None
        self.frame = frame
        if frame.get("block") != block and self.picked is not None:
            self.clear()

    def clear(self) -> None:
        self.picked = None
        self.button.setEnabled(False)
        for mark in self.marks.values():
            mark.hide()

    def _plot(self):
        return self.view.rgb_plot if self.frame and self.frame.get("rgb") else self.view.plot

    def _clicked(self, event) -> None:
        if self.frame is None or event.button() != Qt.MouseButton.LeftButton:
            return
        plot = self._plot()
        if not plot.sceneBoundingRect().contains(event.scenePos()):
            return
        p = plot.vb.mapSceneToView(event.scenePos())
        if p.x() < 0 or p.y() < 0:
            return
        self.pick(int(p.y()), int(p.x()))
        if event.double() and self.picked is not None:
            self.open()

    def pick(self, row: int, col: int) -> bool:
        found = tile_at(self.frame, row, col)
        if found is None:
            return False
        (top, left, kh, kw), weights, label = found
        self.picked = (f"{self.frame['block']}: {label}", weights)
        for mark in self.marks.values():
            mark.hide()
        mark = self.marks[id(self._plot())]
        mark.setRect(QRectF(left, top, kw, kh))
        mark.show()
        self.button.setEnabled(True)
        return True

    def open(self) -> None:
        if self.picked is not None:
            self.open_requested.emit(*self.picked)
