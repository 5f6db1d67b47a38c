"""The canvas view: zoom with the wheel around the cursor, pan with the middle button or space+drag,
rubber-band selection on empty space, fit-to-view, scrolling while a drag nears the edge, a zoom
indicator in the bottom-left corner, quick add (a search field at the mouse), and a minimap for
networks larger than the view (it can be switched off; it takes a corner where no card is, steps aside
while something is dragged under it, and hides while every corner holds a card)."""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsView, QToolButton

from .autoscroll import EdgeScroller
from .block_item import BlockItem
from .minimap import Minimap
from .quick_add import QuickAdd
from .style import refresh_theme, theme

GRID = 24.0
CORNERS = ("bottom-right", "top-right", "top-left")    # where the minimap may sit (the zoom indicator is bottom-left)
SLIDES = 5               # and between the right-hand corners, in this many steps (a gap between rows of cards)
MINIMAP_GAP = 10         # px between the minimap and the viewport's edges
CLEAR = 12               # px the minimap keeps from a card


class NetworkView(QGraphicsView):
    """The canvas widget. A scene given without a Qt parent becomes this view's child (it lives as long
    as the view); give the scene a parent to share it between views or keep it longer."""

    MIN_SCALE = 0.1
    MAX_SCALE = 3.0
    draws_stale = True      # paintEvent brings cards changed out of view up to date (NetworkScene.draw_stale)
    quick_add_chosen = Signal(str, QPointF)     # block type picked in quick add, scene point it was opened at

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        if scene.parent() is None:
            # A view does not own its scene; one nobody else owns lives as long as this view (as a Qt
            # child, deleted after the view has let go of it, so nothing calls back into a dying view).
            scene.setParent(self)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)   # pan, zoom and the minimap
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)     # move around instead
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._pan: QPointF | None = None
        self._space = False
        self.keep_fitted = False        # fit again on resize (a network just opened) until the user zooms or pans
        self.minimap = Minimap(self)
        self.minimap.hide()
        self._minimap_key = None
        self.minimap_enabled = True
        self.minimap_corner = CORNERS[0]    # moves to another corner when it would cover a card
        self.minimap_crowded = False    # hidden: every corner holds a card (it comes back when one is free)
        self._minimap_ducked = False    # hidden while something is dragged under it
        self._clear_rect = None         # a block just placed or selected (scene coordinates), kept clear too
        self._edge = EdgeScroller(self)
        self.zoom_button = QToolButton(self)
        self.zoom_button.setObjectName("zoom_indicator")
        self.zoom_button.setAutoRaise(True)
        self.zoom_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.zoom_button.setToolTip("Zoom. Click for 100 % (Ctrl+0); F fits the whole network.")
        self.zoom_button.clicked.connect(self.reset_zoom)
        self._shown_zoom = None
        self._show_zoom()
        self.quick_add = QuickAdd(self)
        self._quick_at = QPointF()
        self.quick_add.chosen.connect(lambda type_name: self.quick_add_chosen.emit(type_name, self._quick_at))

    # ---- quick add and the zoom indicator ----------------------------------------------------------
    def open_quick_add(self, scene_pos: QPointF) -> None:
        """The quick-add field at a scene point (where the mouse was when Tab was pressed)."""
        self._quick_at = QPointF(scene_pos)
        at = self.mapFromScene(scene_pos)
        avoid = QRect()                 # the selected cards in view stay in sight: the new block links from them
        scene = self.scene()
        if hasattr(scene, "selected_ids"):
            shown = self.viewport().rect()
            for nid in scene.selected_ids():
                rect = self.mapFromScene(scene.block_rect(nid)).boundingRect().intersected(shown)
                if not rect.isEmpty():
                    avoid = avoid.united(rect.translated(self.viewport().mapTo(self, QPoint(0, 0))))
        self.quick_add.open_at(self.viewport().mapTo(self, at), avoid)

    def event(self, event) -> bool:
        # Tab over the canvas opens quick add (Qt would otherwise move the focus to the next widget).
        if (event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab
                and not event.modifiers() and hasattr(self.scene(), "cursor_scene_pos")):
            self.open_quick_add(self.scene().cursor_scene_pos())
            event.accept()
            return True
        return super().event(event)

    def _show_zoom(self) -> None:
        percent = round(self.zoom() * 100)
        if percent != self._shown_zoom:
            self._shown_zoom = percent
            self.zoom_button.setText(f"{percent} %")
            self.zoom_button.adjustSize()
            self._place_zoom_button()

    def _place_zoom_button(self) -> None:
        area = self.viewport().geometry()
        self.zoom_button.move(area.left() + 8, area.bottom() - self.zoom_button.height() - 8)

    def set_minimap_enabled(self, enabled: bool) -> None:
        self.minimap_enabled = bool(enabled)
        self._minimap_key = None
        self._refresh_minimap()

    # ---- zoom ------------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def _zoom_by(self, factor: float) -> None:
        target = min(self.MAX_SCALE, max(self.MIN_SCALE, self.zoom() * factor))
        if abs(target - self.zoom()) > 1e-9:
            self.scale(target / self.zoom(), target / self.zoom())
            self._refresh_minimap()

    def _zoom_centred(self, factor: float) -> None:
        self.keep_fitted = False
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self._zoom_by(factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def zoom_in(self) -> None:
        self._zoom_centred(1.25)

    def zoom_out(self) -> None:
        self._zoom_centred(1 / 1.25)

    def reset_zoom(self) -> None:
        self.keep_fitted = False
        centre = self.mapToScene(self.viewport().rect().center())
        self.setTransform(QTransform())
        self.centerOn(centre)
        self._refresh_minimap()

    def fit_all(self) -> None:
        """Show the whole network, never larger than 100 %."""
        if hasattr(self.scene(), "ensure_rect"):
            self.scene().ensure_rect()
        rect = self.scene().blocks_rect()
        if rect.isNull():
            self.setTransform(QTransform())
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0 or self.zoom() < self.MIN_SCALE:
            s = min(1.0, max(self.MIN_SCALE, self.zoom()))
            self.setTransform(QTransform.fromScale(s, s))
            self.centerOn(rect.center())
        self._refresh_minimap()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if not delta:
            super().wheelEvent(event)
            return
        self.zoom_at(math.pow(1.0015, delta), event.position())
        event.accept()

    def zoom_at(self, factor: float, view_pos: QPointF) -> None:
        """Zoom keeping the scene point under view_pos (the mouse) where it is."""
        self.keep_fitted = False
        anchor = self.mapToScene(view_pos.toPoint())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self._zoom_by(factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        drift = QPointF(self.mapFromScene(anchor)) - view_pos
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(drift.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(drift.y()))

    # ---- pan ---------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.keep_fitted = False
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton
                                                             and self._space):
            self._pan = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan is not None:
            d = event.position() - self._pan
            self._pan = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(d.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._edge.track(event.position())
            if self.minimap.isVisible() and self.minimap.geometry().adjusted(-30, -30, 30, 30).contains(
                    event.position().toPoint()):
                self._minimap_ducked = True        # out of the way of what is being dragged
                self.minimap.hide()

    def mouseReleaseEvent(self, event) -> None:
        self._edge.stop()
        if self._minimap_ducked:
            self._minimap_ducked = False
            self._minimap_key = None
        if self._pan is not None:
            self._pan = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat() and not self._space:
                self._space = True
                self.setDragMode(QGraphicsView.DragMode.NoDrag)
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ---- background and minimap -------------------------------------------------------------------
    def drawBackground(self, painter, rect) -> None:
        t = theme()
        painter.fillRect(rect, t.background)
        scale = self.zoom()
        if scale < 0.4:
            return
        step = GRID if scale >= 0.8 else GRID * 2
        pen = QPen(t.grid, 2.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        x0 = math.floor(rect.left() / step) * step
        y0 = math.floor(rect.top() / step) * step
        xs = [x0 + i * step for i in range(int((rect.right() - x0) / step) + 1)]
        y = y0
        points = []
        while y <= rect.bottom():
            points.extend(QPointF(x, y) for x in xs)
            y += step
        painter.drawPoints(points)

    def paintEvent(self, event) -> None:
        scene = self.scene()
        if getattr(scene, "has_stale", False):
            margin = 4.0 / max(self.zoom(), 1e-3)
            rect = self.mapToScene(event.rect()).boundingRect().adjusted(-margin, -margin, margin, margin)
            scene.draw_stale(rect, self.zoom())
        super().paintEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._refresh_minimap()

    def drawForeground(self, painter, rect) -> None:
        # Every repaint of the canvas may change what the minimap and the zoom indicator show.
        self._refresh_minimap()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and refresh_theme() and hasattr(self.scene(), "restyle"):
            self.scene().restyle()
            self.resetCachedContent()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.keep_fitted:
            self.fit_all()
            self.keep_fitted = True
        self._place_minimap()
        self._place_zoom_button()

    def _corner_geometry(self, corner) -> QRect:
        """Where the minimap sits: a corner name, or ("right", share): on the right edge, `share` of the way
        up from the bottom corner to the top one."""
        area = self.viewport().geometry()
        w, h = self.minimap.width(), self.minimap.height()
        bottom, top = area.bottom() - h - MINIMAP_GAP, area.top() + MINIMAP_GAP
        if isinstance(corner, tuple):
            return QRect(area.right() - w - MINIMAP_GAP, round(bottom + (top - bottom) * corner[1]), w, h)
        x = area.left() + MINIMAP_GAP if corner.endswith("left") else area.right() - w - MINIMAP_GAP
        return QRect(x, top if corner.startswith("top") else bottom, w, h)

    def _place_minimap(self) -> None:
        self.minimap.setGeometry(self._corner_geometry(self.minimap_corner))

    def _covers_card(self, geometry: QRect) -> bool:
        """Whether the minimap at `geometry` (view coordinates) would cover a card, or the block just placed
        or selected."""
        box = geometry.adjusted(-CLEAR, -CLEAR, CLEAR, CLEAR).translated(-self.viewport().pos())
        scene_box = self.mapToScene(box).boundingRect()
        if self._clear_rect is not None and scene_box.intersects(self._clear_rect):
            return True
        return any(isinstance(item, BlockItem) for item in
                   self.scene().items(scene_box, Qt.ItemSelectionMode.IntersectsItemBoundingRect))

    def _free_corner(self):
        """The minimap's place, or the first other one (bottom right, up the right edge, top right, top
        left) where it covers no card; None when all do."""
        places = [CORNERS[0], *(("right", k / SLIDES) for k in range(1, SLIDES)), *CORNERS[1:]]
        order = [self.minimap_corner] + [c for c in places if c != self.minimap_corner]
        return next((c for c in order if not self._covers_card(self._corner_geometry(c))), None)

    def keep_clear(self, scene_rect=None) -> None:
        """Keep the minimap off `scene_rect` (a block just placed or selected; remembered, so a minimap that
        appears later keeps clear of it too) and off every card: it moves to a free corner, or hides."""
        if scene_rect is not None:
            self._clear_rect = QRectF(scene_rect)
        self._minimap_key = None
        self._refresh_minimap()

    def _refresh_minimap(self, *args) -> None:
        """Show the minimap when the network does not fit, and repaint it when what it shows (the
        blocks' picture or the visible area) changed: it is see-through, so each of its repaints also
        repaints the canvas under it."""
        self._show_zoom()
        scene = self.scene()
        if scene is None:
            return
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        rect = scene.blocks_rect()
        needed = (self.minimap_enabled and not self._minimap_ducked and not rect.isNull()
                  and not visible.contains(rect))
        key = (id(scene), getattr(scene, "overview_revision", None), visible, rect, self.viewport().size())
        if key == self._minimap_key and needed == (self.minimap.isVisible() or self.minimap_crowded):
            return
        self._minimap_key = key
        if self.minimap.held and self.minimap.isVisible():        # dragged in: it stays under the mouse
            self.minimap.update()
            return
        corner = self._free_corner() if needed else None          # only when the cards or the view moved
        self.minimap_crowded = needed and corner is None
        needed = needed and corner is not None
        if needed and corner != self.minimap_corner:
            self.minimap_corner = corner
            self._place_minimap()
        if needed != self.minimap.isVisible():
            self._place_minimap()
            self.minimap.setVisible(needed)
            self.minimap.raise_()
        elif needed:
            self.minimap.update()
