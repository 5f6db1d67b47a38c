"""A small overview of the whole network in a corner of the view: every block as a dot in its group
colour (red when it has an error), the visible area as a frame. Click or drag in it to jump there.
Shown only when the network does not fit in the view."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

from .style import theme

SIZE = (180, 130)
INSET = 8.0


class Minimap(QWidget):
    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.resize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._world = QRectF()
        self._scale = 1.0

    def _frame(self) -> None:
        """Map the blocks' rectangle into the widget, keeping its aspect ratio."""
        world = self.view.scene().blocks_rect().adjusted(-40, -40, 40, 40)
        w, h = self.width() - 2 * INSET, self.height() - 2 * INSET
        self._scale = min(w / max(world.width(), 1.0), h / max(world.height(), 1.0))
        cx, cy = world.center().x(), world.center().y()
        self._world = QRectF(cx - w / 2 / self._scale, cy - h / 2 / self._scale, w / self._scale, h / self._scale)

    def to_widget(self, p: QPointF) -> QPointF:
        return QPointF(INSET + (p.x() - self._world.left()) * self._scale,
                       INSET + (p.y() - self._world.top()) * self._scale)

    def to_scene(self, p: QPointF) -> QPointF:
        return QPointF(self._world.left() + (p.x() - INSET) / self._scale,
                       self._world.top() + (p.y() - INSET) / self._scale)

    def paintEvent(self, event) -> None:
        if not hasattr(self.view.scene(), "overview"):
            return
        t = theme()
        self._frame()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(t.border, 1.0))
        painter.setBrush(t.minimap_bg)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, rect in self.view.scene().overview():
            a, b = self.to_widget(rect.topLeft()), self.to_widget(rect.bottomRight())
            painter.setBrush(colour)
            painter.drawRect(QRectF(a, b))
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        a, b = self.to_widget(visible.topLeft()), self.to_widget(visible.bottomRight())
        painter.setPen(QPen(t.accent, 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(a, b).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1)))
        painter.end()

    def mousePressEvent(self, event) -> None:
        self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        event.accept()
