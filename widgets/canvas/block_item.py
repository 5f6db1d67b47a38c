"""One block on the canvas: a rounded card with its id, type, output shape and parameter count.

The item is dumb: it knows its node id, its block spec and the last shape result it was given,
nothing about the network. `set_result` only decides whether anything shown changed; the texts are
formatted and elided once, when the card is next painted, and Qt caches the painted card as a pixmap
until the next change. Ports sit left and right when the network flows left to right (`horizontal`),
top and bottom otherwise. Zoomed far out, a card shows only its type and output shape, in a font
that fills the card so it stays legible; it is never blank.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine import fmt_shape

from .style import BLOCK_H, BLOCK_W, MULTI_PORT_W, PORT_HIT, PORT_R, RADIUS, STRIPE_W, Fonts, group_colour, theme

PAD = 12.0
DETAIL_LOD = 0.5     # below this zoom, cards show only their type and shape, large, and no ports
TILE_LOD = 0.15      # below this, even those would be specks: a tile in the block's colour (the tooltip names it)
CARD = QRectF(-BLOCK_W / 2, -BLOCK_H / 2, BLOCK_W, BLOCK_H)
BOUNDS = CARD.adjusted(-PORT_R - 4, -PORT_R - 4, PORT_R + 4, PORT_R + 4)      # the card, its halo and its ports
OVERVIEW_TYPE_PX, OVERVIEW_SHAPE_PX = 40, 34     # the overview texts' largest sizes (scene pixels)


def _stripe_path() -> QPainterPath:
    card = QPainterPath()
    card.addRoundedRect(CARD, RADIUS, RADIUS)
    band = QPainterPath()
    band.addRect(QRectF(CARD.left(), CARD.top(), STRIPE_W, BLOCK_H))
    return card.intersected(band)


def _shown(r) -> tuple:
    """What of a result the card shows (the tooltip's arithmetic is made only when a tooltip is shown)."""
    return (r.shape, r.params, r.error, r.blocked, r.warnings)


class Metrics:
    """Font metrics made once (text widths for eliding)."""
    _made = False

    @classmethod
    def ensure(cls) -> None:
        if not cls._made:
            Fonts.ensure()
            cls.title, cls.kind = QFontMetricsF(Fonts.title), QFontMetricsF(Fonts.kind)
            cls.shape, cls.detail = QFontMetricsF(Fonts.shape), QFontMetricsF(Fonts.detail)
            cls.kind_small = QFontMetricsF(Fonts.kind_small)
            cls._fits = {}
            cls._made = True

    @classmethod
    def fit(cls, text: str, size: int, bold: bool, width: float) -> int:
        """The largest pixel size (at most `size`) at which `text` fits in `width`."""
        key = (text, size, bold)
        if key not in cls._fits:
            advance = QFontMetricsF(Fonts.overview(size, bold)).horizontalAdvance(text)
            cls._fits[key] = max(8, min(size, int(size * width / advance))) if advance > width else size
        return cls._fits[key]


def _elide(metrics: QFontMetricsF, text: str, width: float = BLOCK_W - 2 * PAD - STRIPE_W) -> str:
    if len(text) * metrics.maxWidth() <= width:
        return text                     # certainly fits: skip measuring
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


def _without_name(message: str, label: str, node_id: str) -> str:
    """"Conv2d 'c1': kernel 5×5 is …" → "Kernel 5×5 is …"."""
    for prefix in (f"{label} '{node_id}': ", f"{label} '{node_id}' "):
        if message.startswith(prefix):
            rest = message[len(prefix):]
            return rest[:1].upper() + rest[1:]
    return message


def _wrap2(metrics: QFontMetricsF, text: str, width: float) -> tuple[str, str]:
    """The text on two lines of `width`: words on the first, the rest elided on the second."""
    if metrics.horizontalAdvance(text) <= width:
        return text, ""
    words = text.split(" ")
    first = ""
    for i, word in enumerate(words):
        trial = f"{first} {word}" if first else word
        if metrics.horizontalAdvance(trial) > width:
            rest = " ".join(words[i:])
            break
        first = trial
    else:
        return first, ""
    if not first:                       # one very long word
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width), ""
    return first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)


def format_count(n: int) -> str:
    """156 → '156 params'; 61706 → '61.7k params'; 2.3 million → '2.3M params'."""
    if n < 10_000:
        return f"{n:,} param" + ("" if n == 1 else "s")
    if n < 1_000_000:
        return f"{n / 1000:.1f}k params"
    return f"{n / 1_000_000:.1f}M params"


class BlockItem(QGraphicsItem):
    """A block card. Position = centre of the card; input port on top, output port at the bottom."""

    STRIPE = None

    def __init__(self, node_id: str, spec, horizontal: bool = False):
        super().__init__()
        self.horizontal = horizontal    # ports left and right (left-to-right layout), else top and bottom
        Metrics.ensure()
        if BlockItem.STRIPE is None:
            BlockItem.STRIPE = _stripe_path()
        self.spec = spec
        self.node_id = node_id
        self.links_in: list = []        # LinkItems into the input port, in the network's input order
        self.links_out: list = []
        self.result = None
        self.field_warnings: tuple[str, ...] = ()     # the receptive field's (engine.core.receptive), as Problems lists
        self.state = "none"             # none, ok, warning, error, blocked
        self._texts: tuple[str, str, str] | None = None
        self.hover_port: str | None = None
        self._tip_stale = True
        self.colour = group_colour(spec.group)
        self._multi = spec.max_inputs > 1
        self._has_input = spec.max_inputs > 0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self._set_title()

    # ---- content -------------------------------------------------------------------------------
    def set_node_id(self, node_id: str) -> None:
        self.node_id = node_id
        self._set_title()
        self._tip_stale = True
        self.update()

    def _set_title(self) -> None:
        """The id and the type on the title line. The type is never cut: in a smaller font when both do not
        fit, and then the id gives way (elided; the tooltip and the inspector have it whole)."""
        inner = BLOCK_W - 2 * PAD - STRIPE_W
        id_w = Metrics.title.horizontalAdvance(self.node_id) + 1
        self.kind_font, metrics = Fonts.kind, Metrics.kind
        if id_w + metrics.horizontalAdvance(self.spec.label) + 8 > inner:
            self.kind_font, metrics = Fonts.kind_small, Metrics.kind_small
        kind_w = min(metrics.horizontalAdvance(self.spec.label) + 1, inner * 0.7)
        self.title_text = Metrics.title.elidedText(self.node_id, Qt.TextElideMode.ElideRight, inner - kind_w - 8)
        self.kind_text = metrics.elidedText(self.spec.label, Qt.TextElideMode.ElideRight, kind_w)

    def set_result(self, result) -> bool:
        """Take a shape result; returns whether what the card shows changed (False: nothing to repaint).
        Only the state is worked out here; the texts are formatted when the card is next painted or
        read, so an edit that changes hundreds of blocks out of view costs next to nothing. The card is
        not repainted here: the scene repaints the cards in view and the rest as they come into view."""
        if result is self.result:
            return False
        before, self.result = self.result, result
        self._tip_stale = True          # the tooltip is rebuilt when it is next shown
        if before is not None and _shown(before) == _shown(result):
            return False                # recomputed downstream of an edit, but shows the same
        self._set_state()
        return True

    def set_field_warnings(self, warnings) -> bool:
        """Take the receptive field's warnings (a field too short for the classifier, misaligned merges);
        returns whether what the card shows changed. They count as the shape check's warnings do."""
        warnings = tuple(warnings)
        if warnings == self.field_warnings:
            return False
        self.field_warnings = warnings
        self._tip_stale = True
        self._set_state()
        return True

    @property
    def warnings(self) -> list[str]:
        """Every warning the card counts: the shape check's, then the receptive field's."""
        return (list(self.result.warnings) if self.result is not None else []) + list(self.field_warnings)

    def _set_state(self) -> None:
        result = self.result
        if result is None:
            self.state = "none"
        elif result.error:
            self.state = "blocked" if result.blocked else "error"
        else:
            self.state = "warning" if result.warnings or self.field_warnings else "ok"
        self._texts = None

    def _format(self) -> tuple[str, str, str]:
        """(shape, detail, badge): the detail is the parameter count or the error; the badge counts warnings."""
        if self._texts is None:
            r = self.result
            badge = ""
            if r is None:
                shape, detail = "…", ""
            elif r.blocked:
                shape, detail = "no shape", "its input has a problem"
            elif r.error:               # two lines in place of shape and count; the card already names the block
                first, second = _wrap2(Metrics.detail, _without_name(r.error, self.spec.label, self.node_id),
                                       BLOCK_W - 2 * PAD - STRIPE_W)
                self._texts = (first, second, "")
                return self._texts
            else:
                shape, detail = fmt_shape(r.shape), format_count(r.params or 0)
                if self.warnings:   # the sentences are long: the tooltip and the Problems list hold them
                    n = len(self.warnings)
                    badge = f"⚠ {n} warning" + ("" if n == 1 else "s")
                    room = BLOCK_W - 2 * PAD - STRIPE_W - 8
                    if Metrics.detail.horizontalAdvance(detail) + Metrics.detail.horizontalAdvance(badge) > room:
                        badge = f"⚠ {n}"
            width = BLOCK_W - 2 * PAD - STRIPE_W - (Metrics.detail.horizontalAdvance(badge) + 8 if badge else 0)
            self._texts = (_elide(Metrics.shape, shape), _elide(Metrics.detail, detail, width), badge)
        return self._texts

    @property
    def shape_text(self) -> str:
        return self._format()[0]

    @property
    def detail_text(self) -> str:
        """The bottom line of the card: parameter count (and warning count), or the error."""
        _, detail, badge = self._format()
        return f"{detail}  {badge}" if badge else detail

    def tooltip_text(self) -> str:
        r = self.result
        lines = [f"{self.node_id} — {self.spec.label}"]
        if r is not None:
            if r.shape is not None:
                lines.append(f"Output: {fmt_shape(r.shape)}   ({format_count(r.params or 0)})")
            if r.formula:
                lines += ["", r.formula]
            if r.error:
                lines += ["", r.error]
            if self.warnings:
                lines += [""] + ["⚠ " + w for w in self.warnings]
        return "\n".join(lines)

    def refresh_tooltip(self) -> None:
        """Bring the tooltip up to date (the scene calls this when a tooltip is about to show)."""
        if self._tip_stale:
            self.setToolTip(self.tooltip_text())
            self._tip_stale = False

    def toolTip(self) -> str:
        self.refresh_tooltip()
        return super().toolTip()

    # ---- geometry --------------------------------------------------------------------------------
    def set_horizontal(self, horizontal: bool) -> None:
        """Put the ports left and right (True) or top and bottom (False); the scene re-routes the links."""
        if horizontal != self.horizontal:
            self.prepareGeometryChange()
            self.horizontal = horizontal
            self.update()

    def boundingRect(self) -> QRectF:
        return BOUNDS

    def _port_point(self, port: str, offset: float = 0.0) -> QPointF:
        """A port's centre in item coordinates (`offset` along the edge, for the wide port)."""
        if self.horizontal:
            return QPointF(CARD.right() if port == "out" else CARD.left(), offset)
        return QPointF(offset, CARD.bottom() if port == "out" else CARD.top())

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(CARD, RADIUS, RADIUS)
        path.addEllipse(self._port_point("out"), PORT_HIT, PORT_HIT)
        if self._has_input:
            path.addEllipse(self._port_point("in"), PORT_HIT, PORT_HIT)
        return path

    def input_anchor(self, link=None) -> QPointF:
        """Where a link arrives, in scene coordinates (spread along the wide port of Add/Concat)."""
        offset = 0.0
        if self._multi and link in self.links_in and len(self.links_in) > 1:
            i, n = self.links_in.index(link), len(self.links_in)
            offset = -MULTI_PORT_W / 2 + (i + 1) * MULTI_PORT_W / (n + 1)
        return self.mapToScene(self._port_point("in", offset))

    def output_anchor(self) -> QPointF:
        return self.mapToScene(self._port_point("out"))

    def port_at(self, scene_pos: QPointF, reach: float = PORT_HIT) -> str | None:
        """'in' or 'out' when scene_pos is on one of the ports, else None."""
        p = self.mapFromScene(scene_pos)
        along, across = (p.y(), p.x()) if self.horizontal else (p.x(), p.y())
        out_edge = CARD.right() if self.horizontal else CARD.bottom()
        in_edge = CARD.left() if self.horizontal else CARD.top()
        if abs(along) <= reach and abs(across - out_edge) <= reach:
            return "out"
        half = MULTI_PORT_W / 2 + reach if self._multi else reach
        if self._has_input and abs(along) <= half and abs(across - in_edge) <= reach:
            return "in"
        return None

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            scene = self.scene()
            if scene is not None:
                scene.block_geometry_changed(self)
            for link in self.links_in:
                link.update_path()
            for link in self.links_out:
                link.update_path()
        return super().itemChange(change, value)

    # ---- painting --------------------------------------------------------------------------------
    def paint(self, painter, option, widget=None) -> None:
        t = theme()
        selected = self.isSelected()
        if selected:
            halo = t.accent.lighter(100)
            halo.setAlpha(55)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo)
            painter.drawRoundedRect(CARD.adjusted(-4, -4, 4, 4), RADIUS + 3, RADIUS + 3)
        border = {"error": t.error, "warning": t.warning, "blocked": t.blocked}.get(self.state, t.border)
        pen = QPen(t.accent if selected else border, 2.0 if selected or self.state in ("error", "warning") else 1.2)
        if self.state == "blocked" and not selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(t.card_error if self.state == "error" else t.card)
        painter.drawRoundedRect(CARD, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawPath(self.STRIPE)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < TILE_LOD:
            tile = QColor(self.colour)
            tile.setAlpha(150)
            painter.setBrush(tile)
            painter.drawRoundedRect(CARD.adjusted(STRIPE_W, 0, 0, 0), RADIUS, RADIUS)
            return
        if lod < DETAIL_LOD:
            self._paint_overview(painter, t)    # zoomed out: the normal texts would be specks
            return
        self._paint_text(painter, t)
        self._paint_ports(painter, t)

    def overview_texts(self) -> tuple[str, str]:
        """What a card shows zoomed out: its type, and its output shape (or what is wrong)."""
        r = self.result
        if r is None:
            return self.spec.label, "…"
        if r.blocked:
            return self.spec.label, "no shape"
        if r.error:
            return self.spec.label, "error"
        return self.spec.label, fmt_shape(r.shape).replace(" ", "")      # "256×13×13": compact, so it stays large

    def _paint_overview(self, painter, t) -> None:
        """Type and shape in fonts as large as the card allows, the lines reaching a little past its edges
        into the margin kept for ports (drawn only zoomed out, where that margin is a pixel or two)."""
        kind, shape = self.overview_texts()
        left = CARD.left() + STRIPE_W + 2
        width = BLOCK_W - STRIPE_W - 4
        for text, size, bold, top, height, colour in (
                (kind, OVERVIEW_TYPE_PX, True, CARD.top() - 7, 44, t.text),
                (shape, OVERVIEW_SHAPE_PX, False, CARD.top() + 35, 40,
                 t.error if self.state == "error" else t.muted if self.state in ("blocked", "none") else t.text)):
            f = Fonts.overview(size, bold, Metrics.fit(text, size, bold, width))
            painter.setFont(f)
            painter.setPen(colour)
            painter.drawText(QRectF(left, top, width, height), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_text(self, painter, t) -> None:
        left = CARD.left() + STRIPE_W + PAD
        width = BLOCK_W - STRIPE_W - 2 * PAD
        top = CARD.top() + 7
        painter.setFont(Fonts.title)
        painter.setPen(t.text)
        painter.drawText(QRectF(left, top, width, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.title_text)
        painter.setFont(self.kind_font)
        painter.setPen(t.muted)
        painter.drawText(QRectF(left, top, width, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self.kind_text)
        shape_text, detail_text, badge = self._format()
        if self.state == "error":
            painter.setFont(Fonts.detail)
            painter.setPen(t.error)
            for i, line in enumerate((shape_text, detail_text)):
                painter.drawText(QRectF(left, top + 20 + 16 * i, width, 16),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
            return
        painter.setFont(Fonts.shape)
        painter.setPen(t.muted if self.state in ("blocked", "none") else t.text)
        painter.drawText(QRectF(left, top + 17, width, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         shape_text)
        painter.setFont(Fonts.detail)
        painter.setPen(t.muted)
        painter.drawText(QRectF(left, top + 38, width, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         detail_text)
        if badge:
            painter.setPen(t.warning)
            painter.drawText(QRectF(left, top + 38, width, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, badge)

    def set_hover_port(self, port: str | None) -> None:
        """Highlight the port under the mouse ('in', 'out' or None), to show where a link can start."""
        if port != self.hover_port:
            self.hover_port = port
            self.update()

    def _paint_ports(self, painter, t) -> None:
        normal, hot = QPen(t.port, 1.4), QPen(t.accent, 2.0)
        for port in ("out", "in"):
            if port == "in" and not self._has_input:
                continue
            lit = port == self.hover_port
            painter.setPen(hot if lit else normal)
            painter.setBrush(t.accent if lit else t.port_fill)
            r = PORT_R + 1.5 if lit else PORT_R
            c = self._port_point(port)
            if port == "in" and self._multi:
                w = MULTI_PORT_W + (3 if lit else 0)
                box = QRectF(c.x() - r, -w / 2, 2 * r, w) if self.horizontal else QRectF(-w / 2, c.y() - r, w, 2 * r)
                painter.drawRoundedRect(box, r, r)
            else:
                painter.drawEllipse(c, r, r)
