"""PySide6 6.12.0 drops a reference to None on every QPainter.drawPath under Python 3.11; after enough
paints None's count reaches zero and Python aborts. The canvas draws a path per link per paint, so the
pinned PySide6 must not have that bug."""
import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen


def test_drawing_paths_keeps_the_reference_count_of_none(qapp):
    image = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    path = QPainterPath(QPointF(2, 2))
    path.cubicTo(QPointF(2, 40), QPointF(60, 20), QPointF(60, 60))
    painter = QPainter(image)
    painter.setPen(QPen(QColor("black"), 1.5))
    before = sys.getrefcount(None)
    for _ in range(50_000):
        painter.drawPath(path)
    after = sys.getrefcount(None)
    painter.end()
    assert after - before > -100, f"None lost {before - after} references over 50,000 drawPath calls"
    assert image.pixelColor(60, 60) != QColor("white")   # the paths were really drawn
