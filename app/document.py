"""The document being edited: one network, its undo stack, its file and its live shapes.

The network object lives as long as the document (opening a file replaces its content), so views
subscribe once. Every edit is an undo command (app/commands.py) that touches only the network; the
document listens to the network's change events and recomputes shapes with one `ShapeCache`, once
per command, then emits `results_changed`.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

import engine
from engine.core.graph import Change, ChangeKind


def needs_layout(net: engine.Network) -> bool:
    return any(n.position is None for n in net.nodes.values())


def apply_layout(net: engine.Network, direction: str = "tb") -> None:
    """Give every block without a position one (files written by hand may leave them out), leaving
    the blocks the file placed where they are; `direction`: the canvas's, "lr" or "tb"."""
    from engine.core.layout import missing_positions
    for node_id, xy in missing_positions(net, direction).items():
        net.nodes[node_id].position = (float(xy[0]), float(xy[1]))


class Document(QObject):
    results_changed = Signal(object)        # {node_id: ShapeResult}
    path_changed = Signal(object)           # Path or None
    modified_changed = Signal(bool)
    training_changed = Signal()             # the network's `training` object (data set, settings) changed

    def __init__(self, network: engine.Network | None = None, parent=None):
        super().__init__(parent)
        self.network = network or engine.Network()
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self.layout_direction = "tb"        # the canvas's ("lr" or "tb"), for blocks a file leaves unplaced
        self.cache = engine.ShapeCache()
        self.results: dict[str, engine.ShapeResult] = {}
        self._batch = 0
        self._dirty = False
        self.network.subscribe(self._on_change)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.recompute()

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # ---- state ------------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return self.path.name if self.path else f"{self.network.name or 'Untitled'} (not saved)"

    def snapshot(self) -> dict:
        """The network as a plain dict (what the training process and the exporter get)."""
        return engine.network_to_dict(self.network)

    # ---- shapes -----------------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind == ChangeKind.NODE_MOVED:
            return
        if self._batch:
            self._dirty = True
        else:
            self.recompute()

    @contextmanager
    def batch(self):
        """Group the network changes of one command: shapes are recomputed once at the end."""
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
            if not self._batch and self._dirty:
                self._dirty = False
                self.recompute()

    def recompute(self) -> None:
        self.results = self.cache.infer(self.network)
        self.results_changed.emit(self.results)

    # ---- files ------------------------------------------------------------------------------
    def replace(self, net: engine.Network, path: Path | None) -> None:
        """Show another network (opened or new): clears the undo history."""
        if needs_layout(net):
            apply_layout(net, self.layout_direction)
        with self.batch():
            self.network.replace_with(net)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.set_path(path)

    def open(self, path) -> None:
        """Load a file; raises engine.NetworkFileError and leaves the document untouched on failure."""
        path = Path(path)
        net = engine.load_network(path)
        self.replace(net, path.resolve())

    def new(self) -> None:
        self.replace(engine.Network("Untitled"), None)

    def save(self, path=None) -> Path:
        """Write atomically; raises OSError when the file cannot be written (the document stays dirty)."""
        path = Path(path) if path is not None else self.path
        if path is None:
            raise ValueError("The document has no file yet; choose where to save it.")
        old_name = self.network.name
        if self.path is None or path != self.path:
            if self.network.name in ("", "Untitled"):
                self.network.name = path.stem
        try:
            engine.save_network(self.network, path)
        except OSError:
            self.network.name = old_name        # nothing changed when nothing was saved
            raise
        self.set_path(path.resolve())
        self.undo_stack.setClean()
        return self.path

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.path_changed.emit(path)
