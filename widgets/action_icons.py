"""Toolbar and menu icons drawn with QPainter in the current theme's text colour, so each one is as
visible on a dark window as on a light one (the style's standard pixmaps are dark glyphs). Start and
Stop keep their green and red. Draw them again after a theme switch (`themed_icon` reads the palette)."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap, QPolygonF

SIZE = 36       # drawn at twice the toolbar's 18 px, for sharp icons on high-density screens
NAMES = ("new", "open", "save", "undo", "redo", "fit", "layout", "play", "pause", "stop")


def ink() -> QColor:
    app = QGuiApplication.instance()
    return app.palette().color(QPalette.ColorRole.WindowText) if app is not None else QColor("#1f2937")


def _arrow(p: QPainter, s: float, back: bool) -> None:
    """A curved arrow (undo when `back`, else redo)."""
    path = QPainterPath()
    cx, cy, r = s * 0.5, s * 0.58, s * 0.28
    start, span = (20, 200) if back else (160, -200)
    path.arcMoveTo(QRectF(cx - r, cy - r, 2 * r, 2 * r), start)
    path.arcTo(QRectF(cx - r, cy - r, 2 * r, 2 * r), start, span)
    p.drawPath(path)
    end = path.currentPosition()
    a = math.radians(start + span)
    tangent = QPointF(math.sin(a), math.cos(a)) * (1 if back else -1)
    normal = QPointF(-tangent.y(), tangent.x())
    h = s * 0.16
    tip = end + tangent * h * 0.9
    p.drawPolygon(QPolygonF([tip, end - normal * h * 0.75, end + normal * h * 0.75]))


def _draw(p: QPainter, name: str, s: float, c: QColor) -> None:
    pen = QPen(c, s * 0.085, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    m = s * 0.16
    if name == "new":
        p.drawPolygon(QPolygonF([QPointF(m + 3, m), QPointF(s * 0.62, m), QPointF(s - m - 2, s * 0.38),
                                 QPointF(s - m - 2, s - m), QPointF(m + 3, s - m)]))
        p.drawPolyline(QPolygonF([QPointF(s * 0.62, m), QPointF(s * 0.62, s * 0.38), QPointF(s - m - 2, s * 0.38)]))
    elif name == "open":
        p.drawPolygon(QPolygonF([QPointF(m, s * 0.28), QPointF(s * 0.42, s * 0.28), QPointF(s * 0.5, s * 0.38),
                                 QPointF(s - m, s * 0.38), QPointF(s - m, s - m), QPointF(m, s - m)]))
    elif name == "save":
        p.drawRoundedRect(QRectF(m, m, s - 2 * m, s - 2 * m), s * 0.06, s * 0.06)
        p.drawRect(QRectF(s * 0.32, m, s * 0.36, s * 0.22))
        p.drawRect(QRectF(s * 0.3, s * 0.58, s * 0.4, s * 0.26))
    elif name in ("undo", "redo"):
        p.setBrush(c)
        _arrow(p, s, name == "undo")
    elif name == "fit":
        k = s * 0.2
        for x, y, dx, dy in ((m, m, 1, 1), (s - m, m, -1, 1), (m, s - m, 1, -1), (s - m, s - m, -1, -1)):
            p.drawPolyline(QPolygonF([QPointF(x, y + dy * k), QPointF(x, y), QPointF(x + dx * k, y)]))
        p.drawRect(QRectF(s * 0.36, s * 0.36, s * 0.28, s * 0.28))
    elif name == "layout":
        w, h = s * 0.26, s * 0.2
        boxes = [QRectF(m - 2, s * 0.4, w, h), QRectF(s * 0.5 - w / 2, s * 0.16, w, h),
                 QRectF(s * 0.5 - w / 2, s * 0.64, w, h), QRectF(s - m - w + 2, s * 0.4, w, h)]
        for b in boxes:
            p.drawRect(b)
        thin = QPen(c, s * 0.05)
        p.setPen(thin)
        a, b1, b2, d = boxes
        for x0, x1 in ((a, b1), (a, b2), (b1, d), (b2, d)):
            p.drawLine(QPointF(x0.right(), x0.center().y()), QPointF(x1.left(), x1.center().y()))
    elif name == "play":
        green = QColor("#22c55e")
        p.setPen(QPen(green.darker(120), s * 0.05))
        p.setBrush(green)
        p.drawPolygon(QPolygonF([QPointF(s * 0.28, m), QPointF(s - m, s * 0.5), QPointF(s * 0.28, s - m)]))
    elif name == "pause":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#f59e0b"))
        p.drawRoundedRect(QRectF(s * 0.25, m, s * 0.17, s - 2 * m), 2, 2)
        p.drawRoundedRect(QRectF(s * 0.58, m, s * 0.17, s - 2 * m), 2, 2)
    elif name == "stop":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#ef4444"))
        p.drawRoundedRect(QRectF(s * 0.2, s * 0.2, s * 0.6, s * 0.6), 3, 3)


def themed_icon(name: str, colour: QColor | None = None) -> QIcon:
    """The icon `name` (one of NAMES) in the theme's text colour (or `colour`), with a faded disabled look."""
    c = colour or ink()
    icon = QIcon()
    for mode, alpha in ((QIcon.Mode.Normal, 255), (QIcon.Mode.Disabled, 90)):
        pixmap = QPixmap(SIZE, SIZE)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if alpha < 255:
            p.setOpacity(alpha / 255)
        _draw(p, name, SIZE, QColor(c))
        p.end()
        icon.addPixmap(pixmap, mode)
    return icon
