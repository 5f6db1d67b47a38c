"""Click a unit of a feature map: its receptive field is drawn on the probe image beside it (the input
pixels that unit depends on; dashed where the region reaches into the padding), and the clicked unit is
outlined on the map. The frame carries the block's field (engine.core.receptive.field_table)."""
from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

COLOUR = QColor(255, 140, 0)


def unit_at(frame: dict, x: float, y: float):
    """(channel, row, col) of the map unit under view position (x, y) of a 'maps' mosaic, or None (a gap,
    outside, another kind of frame)."""
    if frame.get("kind") != "maps" or x < 0 or y < 0:
        return None
    h, w = frame["tile"]
    cols = frame["cols"]
    tile_c, col = divmod(int(x), w + 1)
    tile_r, row = divmod(int(y), h + 1)
    if col >= w or row >= h or tile_c >= cols:
        return None
    channel = tile_r * cols + tile_c
    return (channel, row, col) if channel < frame["shape"][0] else None


def region_of(field: dict, row: int, col: int) -> tuple[float, float, float, float]:
    """(top, left, bottom, right) in input pixels, inclusive, of unit (row, col)."""
    out = []
    for axis, at in enumerate((row, col)):
        centre = Fraction(field["start"][axis]) + at * Fraction(field["jump"][axis])
        half = Fraction(field["size"][axis] - 1) / 2
        out.append((float(centre - half), float(centre + half)))
    (top, bottom), (left, right) = out
    return top, left, bottom, right


class ReceptiveOverlay:
    def __init__(self, view):
        self.view = view
        self.frame: dict | None = None
        self.unit = None                       # (block, channel, row, col) clicked
        self.region = None                     # (top, left, bottom, right) in input pixels
        self.box = QGraphicsRectItem()
        self.box.setZValue(10)
        self.box.hide()
        self.marker = QGraphicsRectItem()
        self.marker.setZValue(10)
        marker_pen = QPen(COLOUR, 2)
        marker_pen.setCosmetic(True)
        self.marker.setPen(marker_pen)
        self.marker.hide()
        view.sample_plot.addItem(self.box)
        view.map_plot.addItem(self.marker)
        view.graphics.scene().sigMouseClicked.connect(self._clicked)
        view.map_image.setToolTip("Click a unit to see its receptive field on the probe image")

    def update(self, frame: dict) -> None:
        """A new frame: keep the clicked unit's region in view while the block stays the same."""
        self.frame = frame
        if self.unit is None or self.unit[0] != frame.get("block") or frame.get("kind") != "maps":
            self.clear()
            return
        self._draw()

    def clear(self) -> None:
        self.unit = self.region = None
        self.box.hide()
        self.marker.hide()

    def _clicked(self, event) -> None:
        frame = self.frame
        if frame is None or event.button() != Qt.MouseButton.LeftButton or not frame.get("receptive_field"):
            return
        plot = self.view.map_plot
        if not plot.sceneBoundingRect().contains(event.scenePos()):
            return
        p = plot.vb.mapSceneToView(event.scenePos())
        unit = unit_at(frame, p.x(), p.y())
        if unit is None:
            return
        self.select(*unit)

    def select(self, channel: int, row: int, col: int) -> None:
        """Show the region of one unit (also what a click on the map does)."""
        self.unit = (self.frame["block"], channel, row, col)
        self._draw()

    def _draw(self) -> None:
        frame = self.frame
        field = frame.get("receptive_field")
        if not field or len(field["size"]) != 2:
            self.clear()
            return
        block, channel, row, col = self.unit
        h, w = frame["tile"]
        cols = frame["cols"]
        tr, tc = divmod(channel, cols)
        self.marker.setRect(QRectF(tc * (w + 1) + col, tr * (h + 1) + row, 1, 1))
        self.marker.show()
        top, left, bottom, right = self.region = region_of(field, row, col)
        image = frame.get("sample", {}).get("image")
        in_h, in_w = field["input_size"]
        sy = image.shape[0] / in_h if image is not None else 1.0     # the preview may be a reduced copy
        sx = image.shape[1] / in_w if image is not None else 1.0
        rect = QRectF(QPointF(left * sx, top * sy), QPointF((right + 1) * sx, (bottom + 1) * sy))
        pen = QPen(COLOUR, 2)
        pen.setCosmetic(True)
        inside = top >= 0 and left >= 0 and bottom <= in_h - 1 and right <= in_w - 1
        if not inside:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.box.setPen(pen)
        self.box.setBrush(QColor(COLOUR.red(), COLOUR.green(), COLOUR.blue(), 50))
        self.box.setRect(rect)
        self.box.show()
        size = "×".join(str(v) for v in field["size"])
        rows = f"{_n(top)}–{_n(bottom)}"
        columns = f"{_n(left)}–{_n(right)}"
        self.view.info.setText(f"{block}, channel {channel}, unit ({row}, {col}) sees input rows {rows}, columns "
                               f"{columns} ({size} pixels{'' if inside else ', part of it padding'})")


def _n(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
