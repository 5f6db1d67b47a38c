"""Crash recovery: a copy of the unsaved document, written a couple of seconds after each change,
removed on a clean exit, and offered back on the next start."""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer

import engine
from engine.files import atomic_write_text

DELAY_MS = 2000
PATTERN = "recovery*.json"      # recovery-<pid>-<n>.json; "recovery.json" from older versions


class Recovery(QObject):
    """One copy per running window, locked while its window lives, so a second Netwright never takes
    the first one's live work for a crash's leftovers."""
    _count = itertools.count(1)

    def __init__(self, doc, folder: Path, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.folder = Path(folder)
        self.path = self.folder / f"recovery-{os.getpid()}-{next(Recovery._count)}.json"
        self.lock = _lock_for(self.path)
        self.found: tuple[Path, QLockFile] | None = None     # a crashed session's copy, while offered
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
            self.folder.mkdir(parents=True, exist_ok=True)
            if not self.lock.isLocked():
                self.lock.tryLock(0)
            atomic_write_text(self.path, json.dumps(data, indent=1))
        except OSError:
            pass   # recovery is best effort; the user's own file is untouched either way

    def discard(self) -> None:
        """This window's copy is not needed (saved, or a clean exit)."""
        self.timer.stop()
        _remove(self.path)
        if self.lock.isLocked():
            self.lock.unlock()

    def pending(self) -> tuple[engine.Network, Path | None] | None:
        """The newest network left by a session that did not end cleanly (its window is gone), and its
        original file, if any. Copies of windows that are still open are left alone."""
        self.forget_found()
        copies = sorted((p for p in self.folder.glob(PATTERN) if p != self.path),
                        key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
        for path in copies:
            lock = _lock_for(path)
            if not lock.tryLock(0):          # its window is still running
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                meta = data.pop("netwright_recovery", {}) or {}
                net = engine.network_from_dict(data)
            except (OSError, ValueError, engine.NetworkFileError):
                lock.unlock()
                continue
            self.found = (path, lock)
            original = meta.get("path")
            return net, (Path(original) if original else None)
        return None

    def drop_found(self) -> None:
        """The offered copy was restored (this window now keeps its own) or declined: remove it."""
        if self.found is not None:
            path, lock = self.found
            _remove(path)
            lock.unlock()
            self.found = None

    def forget_found(self) -> None:
        if self.found is not None:
            self.found[1].unlock()
            self.found = None


def _lock_for(path: Path) -> QLockFile:
    lock = QLockFile(str(path.with_suffix(".lock")))
    lock.setStaleLockTime(0)       # stale only when the process that held it is gone, never by age
    return lock


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
