"""The stepper's picture: the padded input with the window on it, the kernel, and the output filling in
cell by cell. Padding is shaded, the positions no window reaches (PyTorch drops them) are greyed and
crossed, and the current output cell is outlined in the window's colour."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.core.stepper import AVG, MAX, TRANSPOSED, Stepper, fmt_value

WINDOW = QColor(40, 120, 220)
CURRENT = QColor(230, 120, 20)
PAD = QColor(236, 236, 236)
INSERTED = QColor(246, 240, 226)
DROPPED = QColor(200, 200, 200)
GAP = 28          # pixels between the three grids


class GridCanvas(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.stepper: Stepper | None = None
        self.index = -1                 # the step shown; −1 = none yet (the output empty)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(420, 200)

    def sizeHint(self) -> QSize:
        return QSize(820, 320)

    def show_step(self, stepper: Stepper | None, index: int) -> None:
        self.stepper, self.index = stepper, index
        self.update()

    def _cell(self) -> float:
        st = self.stepper
        rows = max(len(st.padded), st.k[0], st.out_shape[0])
        cols = len(st.padded[0]) + st.k[1] + st.out_shape[1]
        return max(12.0, min(56.0, (self.width() - 2 * GAP - 20) / max(1, cols), (self.height() - 40) / max(1, rows)))

    def paintEvent(self, _event) -> None:
        st = self.stepper
        if st is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        cell = self._cell()
        font = QFont(self.font())
        font.setPixelSize(max(8, int(cell * 0.36)))
        painter.setFont(font)
        top = 24.0
        step = st.steps[self.index] if 0 <= self.index < len(st.steps) else None
        taps = {(r, c): w for r, c, _, w in step.taps} if step else {}
        x0 = 10.0
        title = "input with zeros inserted and padding" if st.mode == TRANSPOSED else "padded input"
        self._title(painter, x0, top, title)
        unused_rows, unused_cols = set(st.sizes[0].unused), set(st.sizes[1].unused)
        for r, row in enumerate(st.padded):
            for c, v in enumerate(row):
                rect = QRectF(x0 + c * cell, top + r * cell, cell, cell)
                inside = st.is_input[r][c]
                fill = Qt.GlobalColor.white if inside else (INSERTED if st.mode == TRANSPOSED and _in_spread(st, r, c)
                                                             else PAD)
                if r in unused_rows or c in unused_cols:
                    fill = DROPPED
                painter.fillRect(rect, fill)
                if (r, c) in taps:
                    painter.fillRect(rect, QColor(WINDOW.red(), WINDOW.green(), WINDOW.blue(), 70))
                painter.setPen(QPen(QColor(170, 170, 170)))
                painter.drawRect(rect)
                if r in unused_rows or c in unused_cols:
                    painter.drawLine(rect.topLeft(), rect.bottomRight())
                painter.setPen(QPen(QColor(30, 30, 30) if inside else QColor(120, 120, 120)))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, fmt_value(v))
                if (r, c) in taps and taps[(r, c)] is not None:
                    small = QFont(font)
                    small.setPixelSize(max(7, int(cell * 0.24)))
                    painter.setFont(small)
                    painter.setPen(QPen(WINDOW.darker(140)))
                    painter.drawText(rect.adjusted(2, 1, -2, -1), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                                     "·" + fmt_value(taps[(r, c)]))
                    painter.setFont(font)
        if step:
            rs, cs = [t[0] for t in step.taps], [t[1] for t in step.taps]
            painter.setPen(QPen(WINDOW, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(x0 + min(cs) * cell, top + min(rs) * cell, (max(cs) - min(cs) + 1) * cell,
                                    (max(rs) - min(rs) + 1) * cell))
        x1 = x0 + len(st.padded[0]) * cell + GAP
        if st.mode in (MAX, AVG):
            self._title(painter, x1, top, "window")
            for u in range(st.k[0]):
                for v in range(st.k[1]):
                    rect = QRectF(x1 + v * cell * st.d[1], top + u * cell * st.d[0], cell, cell)
                    painter.fillRect(rect, QColor(WINDOW.red(), WINDOW.green(), WINDOW.blue(), 70))
                    painter.setPen(QPen(QColor(170, 170, 170)))
                    painter.drawRect(rect)
                    painter.setPen(QPen(QColor(30, 30, 30)))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "max" if st.mode == MAX else "avg")
            kw = (st.k[1] - 1) * st.d[1] + 1
        else:
            self._title(painter, x1, top, "kernel turned 180°" if st.mode == TRANSPOSED else "kernel")
            for u, row in enumerate(st.w):
                for v, w in enumerate(row):
                    rect = QRectF(x1 + v * cell, top + u * cell, cell, cell)
                    painter.fillRect(rect, QColor(WINDOW.red(), WINDOW.green(), WINDOW.blue(), 40))
                    painter.setPen(QPen(QColor(170, 170, 170)))
                    painter.drawRect(rect)
                    painter.setPen(QPen(QColor(30, 30, 30)))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, fmt_value(w))
            kw = st.k[1]
        x2 = x1 + kw * cell + GAP
        rows, cols = st.out_shape
        self._title(painter, x2, top, f"output {rows}×{cols}")
        for i in range(rows):
            for j in range(cols):
                n = i * cols + j
                rect = QRectF(x2 + j * cell, top + i * cell, cell, cell)
                painter.fillRect(rect, QColor(255, 243, 224) if n <= self.index else Qt.GlobalColor.white)
                painter.setPen(QPen(QColor(170, 170, 170)))
                painter.drawRect(rect)
                if n <= self.index:
                    painter.setPen(QPen(QColor(30, 30, 30)))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, fmt_value(st.steps[n].value))
        if step:
            painter.setPen(QPen(CURRENT, 2.5))
            painter.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            painter.drawRect(QRectF(x2 + step.col * cell, top + step.row * cell, cell, cell))
        painter.end()

    def _title(self, painter: QPainter, x: float, top: float, text: str) -> None:
        painter.setPen(QPen(self.palette().windowText().color()))
        painter.drawText(QRectF(x, 2, 400, top - 4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)


def _in_spread(st: Stepper, r: int, c: int) -> bool:
    """A zero the transposed convolution inserts between input cells (not padding around them)."""
    (top, _), (left, _) = st.pads
    rows = (st.n[0] - 1) * st.s[0] + 1
    cols = (st.n[1] - 1) * st.s[1] + 1
    return max(0, top) <= r < max(0, top) + rows and max(0, left) <= c < max(0, left) + cols
