"""Icons drawn with QPainter (no image files): one shape and colour per block group, plus the small
marks used in the problems list."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from .canvas.style import GROUP_COLOURS as GROUP_COLORS   # the canvas's colours, so icons match blocks


def group_color(group: str) -> QColor:
    return QColor(GROUP_COLORS.get(group, "#888888"))


def _draw_group(p: QPainter, group: str, s: float) -> None:
    c = group_color(group)
    p.setPen(QPen(c.darker(130), s * 0.06))
    p.setBrush(QBrush(c))
    m = s * 0.12
    r = QRectF(m, m, s - 2 * m, s - 2 * m)
    if group == "Input":
        p.drawPolygon(QPolygonF([QPointF(r.left(), r.top() + r.height() * 0.25),
                                 QPointF(r.center().x(), r.top() + r.height() * 0.25),
                                 QPointF(r.center().x(), r.top()), QPointF(r.right(), r.center().y()),
                                 QPointF(r.center().x(), r.bottom()),
                                 QPointF(r.center().x(), r.top() + r.height() * 0.75),
                                 QPointF(r.left(), r.top() + r.height() * 0.75)]))
    elif group == "Convolution":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r)
        p.setBrush(QBrush(c))
        q = r.width() / 3
        for i in range(3):
            for j in range(3):
                if (i + j) % 2 == 0:
                    p.drawRect(QRectF(r.left() + i * q, r.top() + j * q, q, q))
    elif group == "Pooling":
        q = r.width() / 2
        for i in range(2):
            for j in range(2):
                p.setBrush(QBrush(c.lighter(100 + 25 * (i + j))))
                p.drawRect(QRectF(r.left() + i * q, r.top() + j * q, q, q))
    elif group == "Dense":
        p.setPen(QPen(c, s * 0.05))
        left = [QPointF(r.left() + r.width() * 0.15, r.top() + r.height() * f) for f in (0.15, 0.5, 0.85)]
        right = [QPointF(r.right() - r.width() * 0.15, r.top() + r.height() * f) for f in (0.3, 0.7)]
        for a in left:
            for b in right:
                p.drawLine(a, b)
        p.setPen(QPen(c.darker(130), s * 0.04))
        for pt in left + right:
            p.drawEllipse(pt, s * 0.09, s * 0.09)
    elif group == "Recurrent":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c, s * 0.12))
        p.drawArc(r.adjusted(s * 0.05, s * 0.05, -s * 0.05, -s * 0.05), 60 * 16, 290 * 16)
        p.setBrush(QBrush(c))
        p.setPen(Qt.PenStyle.NoPen)
        tip = QPointF(r.center().x() + r.width() * 0.2, r.top() + s * 0.02)
        p.drawPolygon(QPolygonF([tip, tip + QPointF(-s * 0.25, -s * 0.08), tip + QPointF(-s * 0.12, s * 0.2)]))
    elif group == "Normalization and regularization":
        path = QPainterPath(QPointF(r.left(), r.bottom()))
        for i in range(1, 21):
            x = i / 20
            y = 2.718 ** (-((x - 0.5) ** 2) / 0.03)
            path.lineTo(r.left() + x * r.width(), r.bottom() - y * r.height() * 0.9)
        path.closeSubpath()
        p.drawPath(path)
    elif group == "Activations":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c, s * 0.12, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        path = QPainterPath(QPointF(r.left(), r.bottom() - r.height() * 0.2))
        path.lineTo(r.center().x(), r.bottom() - r.height() * 0.2)
        path.lineTo(r.right(), r.top())
        p.drawPath(path)
    else:   # Reshape and merge
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(c, s * 0.1, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        mid = r.center()
        p.drawLine(QPointF(r.left(), r.top() + r.height() * 0.2), mid)
        p.drawLine(QPointF(r.left(), r.bottom() - r.height() * 0.2), mid)
        p.drawLine(mid, QPointF(r.right(), mid.y()))
        p.setBrush(QBrush(c))
        p.drawEllipse(mid, s * 0.08, s * 0.08)


@lru_cache(maxsize=None)
def group_icon(group: str) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        _draw_group(p, group, float(size))
        p.end()
        icon.addPixmap(pm)
    return icon


def block_icon(type_name: str) -> QIcon:
    from engine import BLOCKS
    spec = BLOCKS.get(type_name)
    return group_icon(spec.group if spec else "")


@lru_cache(maxsize=None)
def severity_icon(kind: str) -> QIcon:
    """A red disc with '!' for errors, an amber triangle for warnings."""
    size = 32
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    if kind == "error":
        p.setBrush(QColor("#d9534f"))
        p.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    else:
        p.setBrush(QColor("#e0a526"))
        p.drawPolygon(QPolygonF([QPointF(size / 2, 2), QPointF(size - 2, size - 3), QPointF(2, size - 3)]))
    p.setPen(QPen(QColor("white"), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(size / 2, 9), QPointF(size / 2, 18))
    p.drawPoint(QPointF(size / 2, 24))
    p.end()
    return QIcon(pm)


@lru_cache(maxsize=None)
def app_icon() -> QIcon:
    """Netwright's window icon: three blocks linked top to bottom on a rounded square."""
    icon = QIcon()
    for size in (16, 32, 64, 128, 256):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#1f2937"))
        p.drawRoundedRect(QRectF(0, 0, s, s), s * 0.2, s * 0.2)
        centres = [QPointF(s * 0.5, s * 0.22), QPointF(s * 0.3, s * 0.52), QPointF(s * 0.7, s * 0.52),
                   QPointF(s * 0.5, s * 0.8)]
        p.setPen(QPen(QColor("#94a3b8"), max(1.0, s * 0.045)))
        for a, b in ((0, 1), (0, 2), (1, 3), (2, 3)):
            p.drawLine(centres[a], centres[b])
        p.setPen(Qt.PenStyle.NoPen)
        for c, colour in zip(centres, ("#64748b", "#2563eb", "#7c3aed", "#16a34a")):
            p.setBrush(QColor(colour))
            w, h = s * 0.3, s * 0.16
            p.drawRoundedRect(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), s * 0.04, s * 0.04)
        p.end()
        icon.addPixmap(pm)
    return icon
