"""The problems list: every error and warning of the network (the shape checks' and the receptive fields',
engine.core.receptive), one row each, naming its block.
Selecting a row asks to select the block; a problem with a quick fix offers it (button and
context menu) through `fix_requested(node_id, fix)`."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .follow import on_screen, when_shown
from .icons import severity_icon

NODE_ROLE = Qt.ItemDataRole.UserRole
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
VERIFY_DELAY_MS = 200       # quick fixes are tried on copies once typing pauses, while the list is on screen


class ProblemsPanel(QWidget):
    block_selected = Signal(str)
    fix_requested = Signal(str, object)      # node id, engine.Fix
    counted = Signal(int)                    # errors and warnings listed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setSpacing(2)
        self.list.setAlternatingRowColors(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.fix_button = QPushButton("Apply fix", self)
        self.fix_button.setEnabled(False)
        self.count = QLabel("", self)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.fix_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        self.entries: list[tuple[str, str, str, list]] = []
        self._listed = False
        self.list.itemSelectionChanged.connect(self._selected)
        self.list.customContextMenuRequested.connect(self._menu)
        self.fix_button.clicked.connect(self._apply_current)
        self._network = self._results = None
        self.verified = False            # whether the listed quick fixes have been tried on a copy yet
        self._last_fixes: dict = {}
        self._verify_timer = QTimer(self, singleShot=True, interval=VERIFY_DELAY_MS)
        self._verify_timer.timeout.connect(self._verify)
        when_shown(self, self._shown)        # behind the Summary tab the fixes wait until the tab is raised

    def follow(self, doc) -> None:
        """Follow the document's problems from now on (a large network once typing pauses)."""
        from .follow import follow_document
        self.doc = doc
        follow_document(self, doc, self.refresh, delay_large=True)

    def refresh(self) -> None:
        self.show_results(self.doc.network, self.doc.results)

    def show_results(self, network, results: dict) -> None:
        """List the errors (not those caused only by a broken input) and warnings, inputs first; the quick
        fixes follow once typing pauses, each tried on a copy first (engine.core.quick_fixes), while the list is
        on screen (else when it comes on screen, or at once when a fix is asked for)."""
        self._network, self._results = network, results
        self.verified = False
        self._list(network, results, self._last_fixes)      # until they are tried again, the last ones
        if on_screen(self):
            self._verify_timer.start()
        else:
            self._verify_timer.stop()

    def _shown(self) -> None:
        if not self.verified and self._network is not None:
            self._verify_timer.start()

    def _verify(self) -> None:
        """Offer only the fixes that, applied to a copy, remove the problem and create no other."""
        from engine.core.quick_fixes import safe_warning_fixes, verified_fix_map
        if self._network is None:
            return
        self._verify_timer.stop()
        fixes = verified_fix_map(self._network, self._results)
        fixes.update(safe_warning_fixes(self._network, self._results))
        self._last_fixes = fixes
        self._list(self._network, self._results, fixes)
        self.verified = True

    def _list(self, network, results: dict, verified: dict) -> None:
        from engine.core.receptive import fields_for
        fields = fields_for(network, results)     # receptive-field warnings (a short field, misaligned merges)
        order = network.topological_order()
        placed = set(order)
        ids = order + [n for n in network.nodes if n not in placed]
        entries = []
        for nid in ids:
            r = results.get(nid)
            if r is None:
                continue
            if r.error and not r.blocked:
                entries.append((nid, "error", r.error, list(verified.get(nid, []))))
            for w in r.warnings:
                entries.append((nid, "warning", w, list(verified.get(nid, [])) if not r.error else []))
            field = fields.get(nid)
            for w in field.warnings if field is not None else ():
                entries.append((nid, "warning", w, []))
        if self._listed and self._same(entries):
            self.entries = entries      # the same rows (an edit that changed shapes, no problem): the list stays
            return
        self._listed = True
        selected = self.current()
        self.entries = entries
        self.list.blockSignals(True)
        self.list.clear()
        for i, (nid, kind, text, fixes) in enumerate(entries):
            it = QListWidgetItem(severity_icon(kind), text + (f"  [quick fix: {fixes[0].label}]" if fixes else ""))
            it.setToolTip(text + ("\n\nQuick fix: " + "; ".join(f.label for f in fixes) if fixes else ""))
            it.setData(NODE_ROLE, nid)
            it.setData(INDEX_ROLE, i)
            self.list.addItem(it)
            if selected and selected[:3] == (nid, kind, text):
                it.setSelected(True)
        self.list.blockSignals(False)
        errors = sum(1 for e in entries if e[1] == "error")
        warnings = len(entries) - errors
        self.counted.emit(len(entries))
        if not entries:
            self.count.setText("No problems: every block has a shape.")
        else:
            self.count.setText(f"{errors} error{'s' if errors != 1 else ''}, "
                               f"{warnings} warning{'s' if warnings != 1 else ''}")
        self._update_button()

    def _same(self, entries: list) -> bool:
        """Whether `entries` would list exactly what is listed (a quick fix compared by its label)."""
        def key(rows):
            return [(nid, kind, text, [f.label for f in fixes]) for nid, kind, text, fixes in rows]
        return self.list.count() == len(entries) and key(entries) == key(self.entries)

    def current(self):
        items = self.list.selectedItems()
        if not items:
            return None
        return self.entries[items[0].data(INDEX_ROLE)]

    def _selected(self) -> None:
        entry = self.current()
        self._update_button()
        if entry:
            self.block_selected.emit(entry[0])

    def _update_button(self) -> None:
        entry = self.current()
        fixes = entry[3] if entry else []
        self.fix_button.setEnabled(bool(fixes))
        self.fix_button.setText(fixes[0].label if fixes else "Apply fix")

    def _apply_current(self) -> None:
        if not self.verified:        # clicked before the pause: try the fixes now, apply only a tried one
            self._verify()
        entry = self.current()
        if entry and entry[3]:
            self.fix_requested.emit(entry[0], entry[3][0])

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        nid, _kind, _text, fixes = self.entries[item.data(INDEX_ROLE)]
        if not self.verified:
            self._verify()
            nid, _kind, _text, fixes = self.entries[item.data(INDEX_ROLE)]
        menu = QMenu(self)
        for fix in fixes:
            menu.addAction(fix.label, lambda f=fix: self.fix_requested.emit(nid, f))
        menu.addAction(f"Select '{nid}'", lambda: self.block_selected.emit(nid))
        menu.exec(self.list.viewport().mapToGlobal(pos))
