"""A small overview of the whole network in a corner of the view: every block as a dot in its group
colour (red when it has an error), the visible area as a frame. Click or drag in it to jump there.
Shown only when the network does not fit in the view."""
from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from .style import theme

SIZE = (180, 130)
INSET = 8.0
REDRAW_S = 0.15     # at most this often while blocks move


class Minimap(QWidget):
    def __init__(self, view):
        super().__init__(view)
        self.resize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._world = QRectF()
        self._scale = 1.0
        self._key = None
        self._drawn_at = 0.0
        self._picture = QPixmap()
        self.held = False       # the mouse is pressed in it (the view does not move it from under the mouse)

    @property
    def view(self):
        """The NetworkView this minimap sits in (its parent; no Python reference, so no cycle)."""
        return self.parentWidget()

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
        scene = self.view.scene()
        if not hasattr(scene, "overview"):
            return
        key = (id(scene), scene.overview_revision, self.width(), self.height(), self.devicePixelRatioF())
        if key != self._key:
            now = time.monotonic()
            if self._key is None or key[0] != self._key[0] or now - self._drawn_at >= REDRAW_S:
                self._frame()
                self._picture = self._draw_blocks(scene)
                self._key, self._drawn_at = key, now
            else:       # a block being dragged: redraw the overview a few times a second, not every frame
                QTimer.singleShot(int(REDRAW_S * 1000), self.update)
        t = theme()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        a, b = self.to_widget(visible.topLeft()), self.to_widget(visible.bottomRight())
        painter.setPen(QPen(t.accent, 1.5))
        painter.drawRect(QRectF(a, b).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1)))
        painter.end()

    def _draw_blocks(self, scene) -> QPixmap:
        """The background and every block, drawn once per change of the network's picture."""
        t = theme()
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setPen(QPen(t.border, 1.0))
        painter.setBrush(t.minimap_bg)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setPen(Qt.PenStyle.NoPen)
        k, left, top = self._scale, self._world.left(), self._world.top()
        for colour, rect in scene.overview():       # at least 2 × 2 pixels, so long networks stay visible
            painter.setBrush(colour)
            painter.drawRect(QRectF(INSET + (rect.left() - left) * k, INSET + (rect.top() - top) * k,
                                    max(2.0, rect.width() * k), max(2.0, rect.height() * k)))
        painter.end()
        return pixmap

    def mousePressEvent(self, event) -> None:
        self.held = True
        self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        self.held = False
        self.view.keep_clear()          # now it may step off a card the jump brought under it
        event.accept()
