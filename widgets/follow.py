"""How a panel follows the document by itself: it is given the document (and, for the panels that show
one block, the canvas selection) when made, subscribes, and redraws from them; nobody pushes results
into it. A panel whose redraw grows with the network (summary, problems) follows a large network once
typing pauses, so each keystroke stays quick."""
from __future__ import annotations

from PySide6.QtCore import QTimer

LARGE_NETWORK = 120        # blocks; above this the tables follow edits after a pause
DELAY_MS = 150


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
