"""Scrolling the canvas while a drag holds the mouse near the view's edge, so a block can be moved, or a
link drawn, to a place outside the visible area. After each step the mouse position is replayed, so
whatever is being dragged (blocks, a rubber link, a selection band) follows the scrolled content."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

EDGE = 28.0        # pixels from the edge where scrolling starts
SPEED = 16.0       # pixels per step with the mouse on the very edge (a step every 16 ms)


class EdgeScroller(QObject):
    def __init__(self, view):
        super().__init__(view)
        self._pos: QPointF | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._step)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def track(self, pos: QPointF) -> None:
        """The mouse moved during a left-button drag (viewport coordinates)."""
        self._pos = QPointF(pos)
        if self._delta() != (0, 0):
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        self._pos = None

    def _delta(self) -> tuple[int, int]:
        if self._pos is None:
            return 0, 0
        area = self.parent().viewport().rect()

        def speed(p: float, size: float) -> int:
            if p < EDGE:
                return -round(SPEED * min(1.0, (EDGE - p) / EDGE))
            if p > size - EDGE:
                return round(SPEED * min(1.0, (p - (size - EDGE)) / EDGE))
            return 0
        return speed(self._pos.x(), area.width()), speed(self._pos.y(), area.height())

    def _step(self) -> None:
        view = self.parent()
        dx, dy = self._delta()
        h, v = view.horizontalScrollBar(), view.verticalScrollBar()
        before = (h.value(), v.value())
        h.setValue(h.value() + dx)
        v.setValue(v.value() + dy)
        if (h.value(), v.value()) == before:        # at the end of the scene: nothing more to show
            self._timer.stop()
            return
        vp = view.viewport()
        QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, self._pos,
                                               QPointF(vp.mapToGlobal(self._pos.toPoint())), Qt.MouseButton.NoButton,
                                               Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
