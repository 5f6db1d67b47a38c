"""Links on the canvas: a smooth curve from an output port to an input port (rightwards when the
network flows left to right, downwards when it flows top to bottom), labelled with the shape of the
tensor it carries where there is room; and the rubber link that follows the mouse while linking."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from engine.core.layout import LAYER_GAP, LR_LAYER_GAP

from .block_item import CARD, DETAIL_LOD, BlockItem
from .style import Fonts, theme

ARROW = 5.0
LABEL_MAX_W = 150.0
LABEL_CHECK_W = 96.0   # a typical label's width, for finding a free spot on long links
SKIP_DY = 1.6 * LAYER_GAP   # links longer than this (along the flow) skip past other blocks
SKIP_DX = 1.6 * LR_LAYER_GAP
BEND = 40.0            # height of the bends of a link that goes around blocks
LANE_GAP = 36.0        # distance between a detouring link and the blocks it passes
CARD_H = CARD.height()
LABEL_LOD = DETAIL_LOD   # below this zoom, shape labels on links are not drawn (nor repainted when they change)


def _t(p: QPointF, horizontal: bool) -> QPointF:
    """Swap x and y for a left-to-right link: the curves below are written for top to bottom."""
    return QPointF(p.y(), p.x()) if horizontal else p


def curve(p0: QPointF, p1: QPointF, horizontal: bool = False) -> QPainterPath:
    """A cubic curve leaving p0 downwards and entering p1 from above (rightwards, from the left, when
    `horizontal`)."""
    a, b = _t(p0, horizontal), _t(p1, horizontal)
    bend = max(36.0, abs(b.y() - a.y()) * 0.5, abs(b.x() - a.x()) * 0.25)
    path = QPainterPath(p0)
    path.cubicTo(_t(QPointF(a.x(), a.y() + bend), horizontal), _t(QPointF(b.x(), b.y() - bend), horizontal), p1)
    return path


def detour(p0: QPointF, p1: QPointF, x: float, horizontal: bool = False) -> QPainterPath:
    """Down from p0, over to the lane at x, along it, and back into p1 from above (for a horizontal
    link: right from p0, to the lane at y = x, along it and into p1 from the left)."""
    a, b = _t(p0, horizontal), _t(p1, horizontal)
    y0, y1 = a.y() + BEND, b.y() - BEND
    path = QPainterPath(p0)
    path.cubicTo(_t(QPointF(a.x(), a.y() + BEND * 0.7), horizontal), _t(QPointF(x, y0 - BEND * 0.7), horizontal),
                 _t(QPointF(x, y0), horizontal))
    path.lineTo(_t(QPointF(x, y1), horizontal))
    path.cubicTo(_t(QPointF(x, y1 + BEND * 0.7), horizontal), _t(QPointF(b.x(), b.y() - BEND * 0.7), horizontal), p1)
    return path


class LinkItem(QGraphicsItem):
    """A link between two BlockItems; `source.node_id → target.node_id`."""

    metrics: QFontMetricsF | None = None

    def __init__(self, source, target):
        super().__init__()
        if LinkItem.metrics is None:
            Fonts.ensure()
            LinkItem.metrics = QFontMetricsF(Fonts.link)
        self.source = source
        self.target = target
        self.label = ""
        self._path = QPainterPath()
        self._rect = QRectF()
        self._mid = QPointF()
        self._label_rect: QRectF | None = None
        self.lit = False                # a block dragged over the link would be inserted into it
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton)

    @property
    def ends(self) -> tuple[str, str]:
        return self.source.node_id, self.target.node_id

    def set_label(self, text: str) -> bool:
        """The shape shown on the link; returns whether it changed. The bounding box always has room for
        a label, so a new label is only a repaint, not a geometry change; the scene asks for that repaint
        when the link is in view (or as soon as it comes into view)."""
        if text == self.label:
            return False
        self.label = text
        self._label_rect = None
        return True

    def label_rect(self) -> QRectF:
        if self._label_rect is None:
            w = min(LinkItem.metrics.horizontalAdvance(self.label) + 10, LABEL_MAX_W) if self.label else 0.0
            self._label_rect = QRectF(self._mid.x() - w / 2, self._mid.y() - 8, w, 16)
        return self._label_rect

    def update_path(self) -> None:
        p0, p1 = self.source.output_anchor(), self.target.input_anchor(self)
        # Ask the scene everything first: the scene's index must never see this item between
        # prepareGeometryChange() and the new bounding rectangle (a stale index entry crashes Qt later).
        path = self._route(p0, p1)
        mid = self._label_spot(path, p0, p1)
        room = QRectF(mid.x() - LABEL_MAX_W / 2 - 1, mid.y() - 9, LABEL_MAX_W + 2, 18)
        self.prepareGeometryChange()
        self._path, self._mid = path, mid
        self._rect = path.boundingRect().adjusted(-ARROW - 2, -2, ARROW + 2, 2).united(room)
        self._label_rect = None
        self.update()

    def _blockers(self, path: QPainterPath) -> list[QRectF]:
        """Cards (other than its own ends) that a path runs across."""
        stroker = QPainterPathStroker()
        stroker.setWidth(4)
        ends = (self.source, self.target)
        return [item.mapRectToScene(item.boundingRect()) for item in self.scene().items(stroker.createStroke(path))
                if isinstance(item, BlockItem) and item not in ends]

    def _route(self, p0: QPointF, p1: QPointF) -> QPainterPath:
        """The plain curve; for a long link that would run hidden under other blocks, a lane beside them
        (so a skip connection is never mistaken for the chain it skips)."""
        h = self.horizontal
        if h and p1.x() < p0.x() - BEND and self.scene() is not None:
            return self._back(p0, p1)
        path = curve(p0, p1, h)
        if self.scene() is None or not self._long(p0, p1):
            return path
        blocked = self._blockers(path)
        middle = (p0.y() + p1.y()) / 2 if h else (p0.x() + p1.x()) / 2
        for _ in range(3):
            if not blocked:
                return path
            right = max(r.bottom() if h else r.right() for r in blocked) + LANE_GAP
            left = min(r.top() if h else r.left() for r in blocked) - LANE_GAP
            x = right if right - middle <= middle - left else left
            path = detour(p0, p1, x, h)
            blocked = self._blockers(path)
        return path

    def _back(self, p0: QPointF, p1: QPointF) -> QPainterPath:
        """A left-to-right link to a block further left (the next band of a wrapped layout): out to the
        right, back along a lane between the cards, and into the target from the left."""
        lanes = [(p0.y() + p1.y()) / 2, p1.y() - CARD_H / 2 - LANE_GAP, p0.y() + CARD_H / 2 + LANE_GAP]
        path = detour(p0, p1, lanes[0], True)
        for lane in lanes:
            path = detour(p0, p1, lane, True)
            if not self._blockers(path):
                break
        return path

    @property
    def horizontal(self) -> bool:
        return self.source.horizontal

    def _long(self, p0: QPointF, p1: QPointF) -> bool:
        """Whether a link skips past other blocks (longer than a step from one layer to the next)."""
        return p1.x() - p0.x() >= SKIP_DX if self.horizontal else p1.y() - p0.y() >= SKIP_DY

    def _label_spot(self, path: QPainterPath, p0: QPointF, p1: QPointF) -> QPointF:
        """The middle of the path, or for a link that skips past blocks, the point nearest the middle
        where the label does not sit on a block."""
        middle = path.pointAtPercent(0.5)
        scene = self.scene()
        if scene is None or not self._long(p0, p1):
            return middle
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88):
            p = path.pointAtPercent(t)
            box = QRectF(p.x() - LABEL_CHECK_W / 2, p.y() - 9, LABEL_CHECK_W, 18)
            if not any(isinstance(item, BlockItem) for item in scene.items(box)):
                return p
        return middle

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_lit(self, lit: bool) -> None:
        """Light the link up (a block dropped here now would be inserted into it)."""
        if lit != self.lit:
            self.lit = lit
            self.update()

    def label_shown(self) -> bool:
        """Whether the shape label has room: between two cards side by side there may be too little
        (the card before it shows the same shape)."""
        if not self.label:
            return False
        if not self.horizontal:
            return True
        p0, p1 = self.source.output_anchor(), self.target.input_anchor(self)
        return self._long(p0, p1) or abs(p1.x() - p0.x()) >= self.label_rect().width() + 2 * ARROW + 6

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        out = stroker.createStroke(self._path)
        if self.label_shown():
            out.addRect(self.label_rect())
        return out

    def paint(self, painter, option, widget=None) -> None:
        t = theme()
        colour = t.accent if self.isSelected() or self.lit else t.link
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 4.0 if self.lit else 2.4 if self.isSelected() else 1.6))
        painter.drawPath(self._path)
        end = self._path.currentPosition()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        if self.horizontal:
            tip = [QPointF(end.x() - ARROW - 4, end.y() - ARROW), QPointF(end.x() - ARROW - 4, end.y() + ARROW),
                   QPointF(end.x() - 3, end.y())]
        else:
            tip = [QPointF(end.x() - ARROW, end.y() - ARROW - 4), QPointF(end.x() + ARROW, end.y() - ARROW - 4),
                   QPointF(end.x(), end.y() - 3)]
        painter.drawPolygon(QPolygonF(tip))
        if option.levelOfDetailFromTransform(painter.worldTransform()) >= LABEL_LOD and self.label_shown():
            painter.setPen(QPen(t.link if not self.isSelected() else t.accent, 1.0))
            painter.setBrush(t.link_label_bg)
            box = self.label_rect()
            painter.drawRoundedRect(box, 8, 8)
            painter.setFont(Fonts.link)
            painter.setPen(t.link_label_text)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


class RubberLink(QGraphicsItem):
    """The link being drawn: from a port to the mouse, green over a port that accepts it, red otherwise."""

    def __init__(self, anchor: QPointF, from_output: bool, horizontal: bool = False):
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.horizontal = horizontal
        self.verdict: bool | None = None      # None: over nothing; True: would link; False: refused
        self._path = QPainterPath()
        self.setZValue(3)
        self.set_end(anchor)

    def set_end(self, pos: QPointF, verdict: bool | None = None) -> None:
        self.prepareGeometryChange()
        self.verdict = verdict
        h = self.horizontal
        self._path = curve(self.anchor, pos, h) if self.from_output else curve(pos, self.anchor, h)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-3, -3, 3, 3)

    def paint(self, painter, option, widget=None) -> None:
        t = theme()
        colour = {True: t.ok_link, False: t.bad_link}.get(self.verdict, t.accent)
        pen = QPen(colour, 2.0)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
