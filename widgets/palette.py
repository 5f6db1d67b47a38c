"""The block palette: every block type, grouped, with icons and a search box. Dragging a block carries
its type name (BLOCK_MIME) to the canvas; double-clicking asks to add it after the selection."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine import BLOCKS, GROUPS

from .canvas.scene import BLOCK_MIME          # the canvas's drop format: it owns it
from .icons import group_icon

TYPE_ROLE = Qt.ItemDataRole.UserRole


def block_tooltip(spec) -> str:
    lines = [f"<b>{spec.label}</b> <span style='color:gray'>({spec.type})</span>", spec.help,
             f"<i>{spec.rule_text}</i>"]
    if spec.params:
        lines.append("Parameters: " + ", ".join(p.name for p in spec.params))
    lines.append("<span style='color:gray'>Drag onto the canvas, or double-click to add after the selection.</span>")
    return "<br>".join(lines)


class _BlockTree(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIconSize(QSize(20, 20))
        self.setIndentation(12)
        self.setAnimated(True)
        self.setUniformRowHeights(True)

    def mimeData(self, items):
        types = [it.data(0, TYPE_ROLE) for it in items if it.data(0, TYPE_ROLE)]
        mime = QMimeData()
        if types:
            mime.setData(BLOCK_MIME, types[0].encode("utf-8"))
            mime.setText(types[0])
        return mime

    def mimeTypes(self):
        return [BLOCK_MIME]

    def startDrag(self, actions):
        item = self.currentItem()
        if item is None or not item.data(0, TYPE_ROLE):
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(item.icon(0).pixmap(32, 32))
        drag.exec(Qt.DropAction.CopyAction)


class BlockPalette(QWidget):
    """Emits `add_requested(type)` on double-click or Enter."""
    add_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.tree = _BlockTree(self)
        # a narrow panel cuts names in the middle: "Adaptiv…Pool2d", not three alike "AdaptiveAvgPoo…"
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.search)
        lay.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.group_items: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)

    def _fill(self) -> None:
        for group in GROUPS:
            g = QTreeWidgetItem(self.tree, [group])
            g.setIcon(0, group_icon(group))
            g.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = g.font(0)
            font.setBold(True)
            g.setFont(0, font)
            self.group_items[group] = g
        for spec in BLOCKS.values():
            parent = self.group_items.get(spec.group)
            if parent is None:
                continue
            it = QTreeWidgetItem(parent, [spec.label])
            it.setIcon(0, group_icon(spec.group))
            it.setData(0, TYPE_ROLE, spec.type)
            it.setToolTip(0, block_tooltip(spec))
            it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.items[spec.type] = it
        self.tree.expandAll()

    def filter(self, text: str) -> None:
        """Show the blocks whose type, label or help mention every word typed."""
        words = text.lower().split()
        for type_name, it in self.items.items():
            spec = BLOCKS[type_name]
            hay = f"{spec.type} {spec.label} {spec.help} {spec.group}".lower()
            it.setHidden(not all(w in hay for w in words))
        for g in self.group_items.values():
            visible = any(not g.child(i).isHidden() for i in range(g.childCount()))
            g.setHidden(not visible)
            if visible and words:
                g.setExpanded(True)

    def visible_types(self) -> list[str]:
        return [t for t, it in self.items.items() if not it.isHidden() and not it.parent().isHidden()]

    def _activated(self, item, _column=0) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.add_requested.emit(type_name)
