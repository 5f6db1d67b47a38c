"""Crash recovery: a copy of the unsaved document, written shortly after a change, removed on a
clean exit, and offered back on the next start.

The copy is debounced with a ceiling: it is written once edits pause for QUIET_MS, and at the latest
CEILING_MS after the first change it does not hold yet, however often edits come, so steady editing
never starves it. Writes are atomic (engine/core/files.py). A copy that cannot be read back is never
deleted or skipped in silence: it is renamed aside (DAMAGED_PREFIX…) and reported to the user.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

import engine
from engine.core.files import atomic_write_text

QUIET_MS = 2000         # write when the edits pause this long …
CEILING_MS = 5000       # … and at the latest this long after the first change the copy lacks
PATTERN = "recovery*.json"      # recovery-<pid>-<n>.json; "recovery.json" from older versions
DAMAGED_PREFIX = "unreadable-"  # a copy that could not be read, kept for the user (never offered again)


class Recovery(QObject):
    """One copy per running window, locked while its window lives, so a second Netwright never takes
    the first one's live work for a crash's leftovers."""
    _count = itertools.count(1)
    failed = Signal(str)          # the copy could not be written (once per run of failures), for the status bar

    def __init__(self, doc, folder: Path, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.folder = Path(folder)
        self.path = self.folder / f"recovery-{os.getpid()}-{next(Recovery._count)}.json"
        self.lock = _lock_for(self.path)
        self.found: tuple[Path, QLockFile] | None = None     # a crashed session's copy, while offered
        self.damaged: list[tuple[Path, str]] = []            # unreadable copies found: (kept as, why)
        self.failing = False
        self.timer = self._single_shot(QUIET_MS)             # restarted by every change
        self.ceiling = self._single_shot(CEILING_MS)         # started by the first change, never restarted
        doc.undo_stack.indexChanged.connect(self._changed)

    def _single_shot(self, ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(self.write)
        return timer

    def _changed(self, _index: int) -> None:
        self.timer.start()
        if not self.ceiling.isActive():
            self.ceiling.start()

    def write(self) -> None:
        """Save the document beside the app's data (not the user's file), or remove the copy when clean."""
        self.timer.stop()
        self.ceiling.stop()
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
        except (OSError, ValueError) as e:
            # The user's own file is untouched either way; say so once, not at every edit.
            if not self.failing:
                self.failed.emit(f"Crash recovery is off: cannot write to {self.folder} "
                                 f"({getattr(e, 'strerror', None) or e}). Save your work to keep it.")
            self.failing = True
            return
        self.failing = False

    def discard(self) -> None:
        """This window's copy is not needed (saved, or a clean exit)."""
        self.timer.stop()
        self.ceiling.stop()
        _remove(self.path)
        if self.lock.isLocked():
            self.lock.unlock()

    def pending(self) -> tuple[engine.Network, Path | None] | None:
        """The newest network left by a session that did not end cleanly (its window is gone), and its
        original file, if any. Copies of windows that are still open are left alone; unreadable ones
        are renamed aside and listed in `damaged` for the window to report."""
        self.forget_found()
        self.damaged = []
        copies = sorted((p for p in self.folder.glob(PATTERN) if p != self.path),
                        key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
        for path in copies:
            lock = _lock_for(path)
            if not lock.tryLock(0):          # its window is still running
                continue
            try:
                net, original = read_copy(path)
            except engine.NetworkFileError as e:
                self.damaged.append((_set_aside(path), str(e)))
                lock.unlock()
                continue
            self.found = (path, lock)
            return net, original
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


def read_copy(path: Path) -> tuple[engine.Network, Path | None]:
    """The network in a recovery copy and its original file; NetworkFileError says why it is unusable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise engine.NetworkFileError(f"it cannot be read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise engine.NetworkFileError("it is not text (not UTF-8)") from None
    except ValueError as e:
        raise engine.NetworkFileError(f"it is not valid JSON ({str(e)[:200]})") from None
    except RecursionError:
        raise engine.NetworkFileError("it is nested too deeply to be a network") from None
    if not isinstance(data, dict):
        raise engine.NetworkFileError("it does not hold a network")
    meta = data.pop("netwright_recovery", None)
    original = meta.get("path") if isinstance(meta, dict) else None
    try:
        net = engine.network_from_dict(data)
    except RecursionError:
        raise engine.NetworkFileError("it is nested too deeply to be a network") from None
    return net, (Path(original) if isinstance(original, str) and original else None)


def _set_aside(path: Path) -> Path:
    """Rename an unreadable copy so it is kept for the user but not offered again; its new path."""
    target = path.with_name(f"{DAMAGED_PREFIX}{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{DAMAGED_PREFIX}{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}-{n}{path.suffix}")
    try:
        os.replace(path, target)
    except OSError:
        return path           # cannot rename (read-only folder): it stays where it is, still reported
    return target


def _lock_for(path: Path) -> QLockFile:
    lock = QLockFile(str(path.with_suffix(".lock")))
    lock.setStaleLockTime(0)       # stale only when the process that held it is gone, never by age
    return lock


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
