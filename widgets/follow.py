"""How a panel follows the document by itself: it is given the document (and, for the panels that show
one block, the canvas selection) when made, subscribes, and redraws from them; nobody pushes results
into it. A panel whose redraw grows with the network (summary, problems) follows a large network once
typing pauses, so each keystroke stays quick. A panel whose refresh costs more than it is worth while
nobody looks (the Code panel, the quick fixes tried on copies) waits until it is on screen: `on_screen`
and `when_shown`."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDockWidget

LARGE_NETWORK = 120        # blocks; above this the tables follow edits after a pause
DELAY_MS = 250           # a pause in typing (keys come every 100–250 ms); the Code panel waits as long


def follow_document(panel, doc, refresh, delay_large: bool = False) -> None:
    """Call `refresh()` now and whenever the document's shapes change (after a pause on a large network
    when `delay_large`)."""
    timer = QTimer(panel)
    timer.setSingleShot(True)
    timer.setInterval(DELAY_MS)
    timer.timeout.connect(refresh)

    def changed(results):
        if delay_large and len(results) > LARGE_NETWORK:
            timer.start()
        else:
            timer.stop()
            refresh()
    doc.results_changed.connect(changed)
    refresh()


def selected_node(doc, selection) -> tuple[str | None, int]:
    """The one block selected (or None) and how many are selected, of those still in the network."""
    ids = [i for i in selection.selected_ids() if i in doc.network]
    return (ids[0] if len(ids) == 1 else None), len(ids)


def follow_selection(panel, doc, selection, refresh, delay_large: bool = False) -> None:
    """Call `refresh()` when the shapes change (after a pause on a large network when `delay_large`: what
    walks the whole network) or the selection does (at once)."""
    follow_document(panel, doc, refresh, delay_large)
    selection.selection_ids_changed.connect(lambda _ids: refresh())


def on_screen(widget) -> bool:
    """Whether some of the widget can be seen: a panel on a dock tab behind another is visible to Qt,
    but none of it is on screen."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class _ShownWatcher(QObject):
    """Calls back when a panel comes on screen: it is shown, or the tab of the dock holding it is raised
    (which Qt reports only on the dock, as `visibilityChanged`)."""

    def __init__(self, panel, callback):
        super().__init__(panel)
        self.callback = callback
        self.dock = None
        panel.installEventFilter(self)
        self._attach(panel)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ParentChange:        # put into a dock (or moved out of one)
            self._attach(obj)
        elif kind == QEvent.Type.Show:
            self.callback()
        return False

    def _attach(self, panel) -> None:
        dock = panel.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is self.dock:
            return
        if self.dock is not None:
            self.dock.visibilityChanged.disconnect(self._dock_visible)
        self.dock = dock
        if dock is not None:
            dock.visibilityChanged.connect(self._dock_visible)

    def _dock_visible(self, shown: bool) -> None:
        if shown:
            self.callback()


def when_shown(panel, callback) -> None:
    """Call `callback()` whenever `panel` comes on screen (shown, or its dock's tab raised)."""
    _ShownWatcher(panel, callback)
