"""Quick add: a search field that opens at the mouse over the canvas (Tab). Typing filters the block
types by name, type and group; Enter (or a click) picks the highlighted one, Escape closes. It only
reports the choice (`chosen(type_name)`); the app adds the block."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from engine import BLOCKS

TYPE_ROLE = Qt.ItemDataRole.UserRole
ROWS = 8


def matches(text: str) -> list[str]:
    """Block types for a search: names starting with it first, then names and groups containing it."""
    q = text.strip().lower()
    if not q:
        return list(BLOCKS)
    scored = []
    for i, (name, spec) in enumerate(BLOCKS.items()):
        label, group = spec.label.lower(), spec.group.lower()
        if label.startswith(q) or name.lower().startswith(q):
            scored.append((0, i, name))
        elif q in label or q in name.lower():
            scored.append((1, i, name))
        elif q in group or q in spec.help.lower():
            scored.append((2, i, name))
    return [name for _, _, name in sorted(scored)]


class QuickAdd(QFrame):
    chosen = Signal(str)

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName("quick_add")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Add block: type a name…")
        self.field.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.field.textChanged.connect(self._filter)
        self.field.returnPressed.connect(self._pick)
        self.field.installEventFilter(self)
        self.list.itemClicked.connect(lambda item: self._pick(item))
        self.hide()

    def open_at(self, pos: QPoint, avoid: QRect | None = None) -> None:
        """Show at `pos` (parent coordinates), kept inside the parent and off `avoid` (the selected cards)
        where there is room, with the field focused."""
        self._at = pos
        self._avoid = avoid if avoid is not None and not avoid.isEmpty() else None
        self.field.clear()
        self._filter("")
        self.show()
        self.raise_()
        self.field.setFocus(Qt.FocusReason.PopupFocusReason)

    def _filter(self, text: str) -> None:
        self.list.clear()
        for name in matches(text):
            spec = BLOCKS[name]
            item = QListWidgetItem(f"{spec.label}   ·  {spec.group}")
            item.setData(TYPE_ROLE, name)
            item.setToolTip(spec.help)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._fit()

    def _fit(self) -> None:
        """As tall as the matches (at most ROWS), beside the mouse and inside the canvas."""
        row_h = max(self.list.sizeHintForRow(0), 18)
        rows = min(max(self.list.count(), 1), ROWS)
        self.list.setFixedHeight(row_h * rows + 6)
        self.resize(300, self.field.sizeHint().height() + row_h * rows + 18)
        area = self.parentWidget().rect()
        pos = getattr(self, "_at", QPoint(0, 0))
        w, h = self.width(), self.height()

        def inside(x: int, y: int) -> QPoint:
            return QPoint(min(max(x, 0), max(area.width() - w, 0)), min(max(y, 0), max(area.height() - h, 0)))

        at = inside(pos.x() + 8, pos.y() + 8)
        avoid = getattr(self, "_avoid", None)
        if avoid is not None and QRect(at, self.size()).intersects(avoid):
            # below the cards, above them, right of them, left of them: the first place with room
            for x, y in ((at.x(), avoid.bottom() + 8), (at.x(), avoid.top() - h - 8),
                         (avoid.right() + 8, at.y()), (avoid.left() - w - 8, at.y())):
                place = inside(x, y)
                if not QRect(place, self.size()).intersects(avoid):
                    at = place
                    break
        self.move(at)

    def _pick(self, item=None) -> None:
        item = item or self.list.currentItem()
        self.close_quietly()
        if item is not None:
            self.chosen.emit(item.data(TYPE_ROLE))

    def close_quietly(self) -> None:
        self.hide()
        parent = self.parentWidget()
        if parent is not None:
            parent.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.field and event.type() == event.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.close_quietly()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
                self.list.setCurrentRow(row)
                return True
        if obj is self.field and event.type() == event.Type.FocusOut and self.isVisible():
            if not self.list.underMouse():
                self.hide()
        return super().eventFilter(obj, event)
