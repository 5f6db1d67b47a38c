"""Crash recovery: a copy of the unsaved document, written a couple of seconds after each change,
removed on a clean exit, and offered back on the next start."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

import engine
from engine.serialization import atomic_write_text

DELAY_MS = 2000
FILE_NAME = "recovery.json"


class Recovery(QObject):
    def __init__(self, doc, folder: Path, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.path = Path(folder) / FILE_NAME
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DELAY_MS)
        self.timer.timeout.connect(self.write)
        doc.undo_stack.indexChanged.connect(self._changed)

    def _changed(self, _index: int) -> None:
        self.timer.start()

    def write(self) -> None:
        """Save the document beside the app's data (not the user's file), or remove the copy when clean."""
        if not self.doc.modified:
            self.discard()
            return
        data = engine.network_to_dict(self.doc.network)
        data["netwright_recovery"] = {"path": str(self.doc.path) if self.doc.path else None}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, indent=1))
        except OSError:
            pass   # recovery is best effort; the user's own file is untouched either way

    def discard(self) -> None:
        self.timer.stop()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass

    def pending(self) -> tuple[engine.Network, Path | None] | None:
        """The network left by a session that did not end cleanly, and its original file, if any."""
        if not self.path.is_file():
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            meta = data.pop("netwright_recovery", {}) or {}
            net = engine.network_from_dict(data)
        except (OSError, ValueError, engine.NetworkFileError):
            return None
        original = meta.get("path")
        return net, (Path(original) if original else None)
