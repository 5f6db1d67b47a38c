"""'Shapes explained': for the selected block, the size rule with its own numbers (n, k, p, s, d of a
convolution or pooling window, taken from the block's parameters and its input shape), the
arithmetic lines from shape inference, what each letter means, and a legend of axis orders."""
from __future__ import annotations

from fractions import Fraction
from html import escape

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser

from engine import fmt_shape
from engine.core.blocks.conv import AXES
from engine.core.receptive import fields_for, num

LAYOUTS = {
    "image": ("C × H × W", "an image: channels, height, width"),
    "signal": ("C × L", "a 1-D signal: channels, length"),
    "sequence": ("T × F", "a sequence: time steps, features per step"),
    "tokens": ("[T]", "token ids (whole numbers), one per time step"),
    "vector": ("[F]", "a vector of features"),
    "volume": ("C × D × H × W", "a volume or a clip of frames: channels, depth (or time), height, width"),
}


def _axis_values(value, axes: int, axis: int, fallback=None):
    if value is None:
        value = fallback
    if isinstance(value, (list, tuple)):
        return value[axis] if axis < len(value) else value[-1]
    return value


def window_table(spec, params: dict, in_shape) -> str:
    """Rows of n, k, p, s, d per spatial axis, for blocks that slide a window (they have kernel_size)."""
    axes = spec.spatial
    names = AXES[axes]
    p = spec.resolved(params)
    extra = "output_padding" in p      # a transposed convolution: out = (n − 1)·s − 2p + d·(k − 1) + op + 1
    spatial = list(in_shape[1:]) if in_shape is not None and len(in_shape) == axes + 1 else [None] * axes
    rows = []
    for i, a in enumerate(names):
        k = _axis_values(p.get("kernel_size"), axes, i)
        s = _axis_values(p.get("stride"), axes, i, k)
        pad = p.get("padding", 0)
        pad_text = pad if isinstance(pad, str) else _axis_values(pad, axes, i)
        d = _axis_values(p.get("dilation", 1), axes, i)
        cells = [a, spatial[i], k, pad_text, s, d] + ([_axis_values(p["output_padding"], axes, i)] if extra else [])
        rows.append("<tr>" + "".join(f"<td align='center'>{escape(str(c if c is not None else '?'))}</td>"
                                     for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("axis", "n", "k", "p", "s", "d") + (("op",) if extra else ()))
    return f"<table cellspacing='0' cellpadding='3' border='1'><tr>{head}</tr>{''.join(rows)}</table>"


PICTURE_URL = "netwright-rf://unit"
STEP_URL = "netwright-step://layer"


def receptive_html(field) -> str:
    """The receptive field section: the three rules, this block's numbers, a picture of one unit's region."""
    if field is None:
        return ""
    whole = "×".join(map(str, field.input_size))
    centre = tuple(n // 2 for n in field.input_size)
    lines = "<br>".join(escape(line) for line in field.formula)
    parts = ["<h4>Receptive field</h4>",
             (f"<p>Each output unit depends on <b>{field.text()}</b> pixels of the {whole} input "
             f"(neighbouring units {'×'.join(str(num(v)) for v in field.jump)} pixels apart, the first unit's "
             f"region centred at {', '.join(str(num(v)) for v in field.start)}).</p>"),
             ("<p><code>r = r<sub>in</sub> + (k − 1)·d·j<sub>in</sub>,&nbsp; j = j<sub>in</sub>·s,&nbsp; start = "
             "start<sub>in</sub> + ((k − 1)·d/2 − p)·j<sub>in</sub></code></p>"),
             f"<p><code>{lines}</code></p>",
             (f"<p><img src='{PICTURE_URL}'><br><small>the region of the unit nearest the centre of the input "
             f"(around pixel {', '.join(map(str, centre))}) on the {whole} input"
             + (" (its H × W plane, one depth slice)" if len(field.input_size) == 3 else "")
             + "; dashed where it reaches into the padding</small></p>")]
    parts += [f"<p style='color:#c98a12'>⚠ {escape(w)}</p>" for w in field.warnings]
    return "".join(parts)


def unit_picture(field, side: int = 132) -> QImage:
    """The input as a grey frame and the region of the unit nearest its centre in blue (of a volume, its
    H × W plane: one depth slice)."""
    dims = list(field.input_size[-2:]) if len(field.input_size) >= 2 else [1, field.input_size[0]]
    scale = side / max(dims)
    w, h = max(4, round(dims[1] * scale)), max(4, round(dims[0] * scale))
    margin = 10
    img = QImage(w + 2 * margin, h + 2 * margin, QImage.Format.Format_ARGB32)
    img.fill(QColor(0, 0, 0, 0))
    p = QPainter(img)
    try:
        _draw_region(p, field, QRectF(margin, margin, w, h), scale)
    finally:
        p.end()
    return img


def _draw_region(p: QPainter, field, frame: QRectF, scale: float) -> None:
    margin, w, h = frame.left(), frame.width(), frame.height()
    p.fillRect(QRectF(margin, margin, w, h), QColor(235, 235, 235))
    p.setPen(QPen(QColor(120, 120, 120)))
    p.drawRect(QRectF(margin, margin, w, h))
    unit = unit_near_centre(field)
    region = field.region(unit)[-2:]
    if len(region) == 1:
        region = [(Fraction(0), Fraction(0)), region[0]]
    (r0, r1), (c0, c1) = region
    box = QRectF(margin + float(c0) * scale, margin + float(r0) * scale, float(c1 - c0 + 1) * scale,
                 float(r1 - r0 + 1) * scale)
    inside = box.intersected(QRectF(margin, margin, w, h))
    p.fillRect(inside, QColor(40, 120, 220, 110))
    pen = QPen(QColor(40, 120, 220), 1.5)
    if inside != box:
        pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.drawRect(box)


def unit_near_centre(field) -> tuple:
    """The output unit whose region's centre lies nearest the centre of the input, per axis."""
    out = []
    for n, j, s in zip(field.input_size, field.jump, field.start):
        out.append(max(0, round((Fraction(n - 1, 2) - s) / j)))
    return tuple(out)


def explain_html(network, node_id: str | None, results: dict) -> str:
    legend = "".join(f"<tr><td><code>{escape(t)}</code></td><td>{escape(d)}</td></tr>" for t, d in LAYOUTS.values())
    legend_html = ("<h4>Axis order (per sample, no batch axis)</h4>"
                   f"<table cellpadding='2'>{legend}</table>")
    if network is None or node_id not in network.nodes:
        about = ""
        description = network.extra.get("description") if network is not None else None
        if isinstance(description, str) and description:
            about = f"<h3>{escape(network.name)}</h3><p>{escape(description)}</p>"
        return (about + "<p>Select a block to see how its output shape follows from its input and settings.</p>"
                + legend_html)
    node = network.nodes[node_id]
    spec = node.spec
    r = results.get(node_id)
    srcs = network.inputs_of(node_id)
    ins = [results.get(s) for s in srcs]
    parts = [f"<h3>{escape(spec.label)} '{escape(node_id)}'</h3>"]
    in_text = ", ".join(fmt_shape(x.shape) if x is not None and x.shape is not None else "?" for x in ins)
    out_text = fmt_shape(r.shape) if r is not None and r.shape is not None else "?"
    if spec.max_inputs == 0:
        parts.append(f"<p>Data enters here with the shape <b>{out_text}</b> per sample.</p>")
    else:
        parts.append(f"<p><b>{escape(in_text or 'no input')}</b> → <b>{escape(out_text)}</b></p>")
    for x in ins[:1]:
        if x is not None and x.layout in LAYOUTS:
            order, meaning = LAYOUTS[x.layout]
            parts.append(f"<p>The input is read as <code>{order}</code>: {escape(meaning)}.</p>")
    parts.append(f"<p><i>{escape(spec.rule_text)}</i></p>")
    rule = spec.size_rule
    if rule is not None:
        in_shape = ins[0].shape if ins and ins[0] is not None else None
        parts.append("<h4>The size rule, per axis</h4>")
        parts.append(f"<p><code>{escape(rule.formula)}</code></p>")
        parts.append(window_table(spec, node.params, in_shape))
        parts.append("<p>" + "<br>".join(f"<b>{a}</b> = {escape(b)}" for a, b in rule.letters) + "</p>")
        parts.append(f"<p>{escape(rule.note)}</p>")
    if r is not None and r.formula:
        lines = "<br>".join(escape(line) for line in r.formula.splitlines())
        parts.append(f"<h4>With this block's numbers</h4><p><code>{lines}</code></p>")
    if r is not None and r.error:
        parts.append(f"<p style='color:#d9534f'><b>Problem:</b> {escape(r.error)}</p>")
    if spec.arithmetic and r is not None and r.ok:
        parts.append(f"<p><a href='{STEP_URL}'>Step through this layer</a> in the Learn window: its window on a "
                     "small grid of numbers, one output cell at a time.</p>")
    if r is not None and r.ok:
        parts.append(receptive_html(fields_for(network, results).get(node_id)))
    return "".join(parts) + legend_html


class ExplainPanel(QTextBrowser):
    step_requested = Signal(str)          # "Step through this layer": the block's id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._link)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.document().setUndoRedoEnabled(False)
        self._html = None
        self._node_id = None
        self.show_node(None, None, {})

    def _link(self, url: QUrl) -> None:
        if url.toString() == STEP_URL and self._node_id is not None:
            self.step_requested.emit(self._node_id)

    def follow(self, doc, selection) -> None:
        """Explain the selected block of the document from now on (`selection`: the canvas scene)."""
        from .follow import follow_selection
        self.doc, self.selection = doc, selection
        follow_selection(self, doc, selection, self.refresh, delay_large=True)     # it walks the network

    def refresh(self) -> None:
        from .follow import selected_node
        node_id, _count = selected_node(self.doc, self.selection)
        self.show_node(self.doc.network, node_id, self.doc.results)

    def show_node(self, network, node_id: str | None, results: dict) -> None:
        html = explain_html(network, node_id, results)
        if html == self._html:          # an edit elsewhere in the network leaves this text as it is
            return
        self._html = html
        if PICTURE_URL in html:
            field = fields_for(network, results).get(node_id)
            self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(PICTURE_URL),
                                        unit_picture(field))
        if node_id is None or node_id != self._node_id:
            self._node_id = node_id
            self.setHtml(html)          # another block: from the top
            return
        # The same block after an edit: the text is replaced in place, in one step, which keeps the reader's
        # place and costs a third of setHtml (that empties the document first and lays the panel out twice).
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertHtml(html)
        cursor.endEditBlock()
