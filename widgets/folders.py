"""Where file dialogs start: the folder last used in any of them, else the user's documents, never the
folder the app happened to be started from (often its source tree). The app loads and saves the
remembered folder with its settings."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

_last: Path | None = None
_kept_out: list[Path] = []      # the app's own folders (its examples): a dialog never starts in them


def documents() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def keep_out(folder) -> None:
    """Never start a dialog in this folder or below it (the app's own examples, inside its source tree or
    installed copy): after opening an example, Save As offers the user's documents, not the examples."""
    _kept_out.append(Path(folder).resolve())


def start_folder() -> Path:
    """The folder a file dialog opens in."""
    if _last is not None and _last.is_dir() and not any(_last == k or k in _last.parents for k in _kept_out):
        return _last
    return documents()


def remember(path) -> None:
    """A file or folder the user chose: dialogs start next to it from now on."""
    global _last
    if not path:
        return
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if folder.is_dir():
        _last = folder.resolve()


def last() -> Path | None:
    return _last
