"""What the app remembers between runs (QSettings "Netwright"/"Netwright"): window geometry and dock
layout, theme, recent files, the batch size of the memory estimate.

`NETWRIGHT_CONFIG_DIR` (used by the tests) keeps settings and the recovery file in another folder, so
a test run never touches the user's own.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 10


def qsettings() -> QSettings:
    folder = os.environ.get("NETWRIGHT_CONFIG_DIR")
    if folder:
        return QSettings(str(Path(folder) / "Netwright.ini"), QSettings.Format.IniFormat)
    return QSettings("Netwright", "Netwright")


def data_dir() -> Path:
    """Where the app keeps its own files (the crash-recovery copy)."""
    folder = os.environ.get("NETWRIGHT_CONFIG_DIR")
    if folder:
        return Path(folder)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".netwright")


class Settings:
    def __init__(self):
        self.q = qsettings()

    # ---- values -----------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        value = self.q.value("theme", "light")
        return value if value in ("light", "dark") else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.q.setValue("theme", value)

    @property
    def batch_size(self) -> int:
        try:
            return max(1, int(self.q.value("summary/batch_size", 64)))
        except (TypeError, ValueError):
            return 64

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self.q.setValue("summary/batch_size", int(value))

    @property
    def layout_direction(self) -> str:
        """How the canvas lays networks out: "lr" (left to right, the default) or "tb" (top to bottom)."""
        value = self.q.value("canvas/layout_direction", "lr")
        return value if value in ("lr", "tb") else "lr"

    @layout_direction.setter
    def layout_direction(self, value: str) -> None:
        self.q.setValue("canvas/layout_direction", value)

    @property
    def show_minimap(self) -> bool:
        return str(self.q.value("canvas/show_minimap", "true")).lower() not in ("false", "0")

    @show_minimap.setter
    def show_minimap(self, value: bool) -> None:
        self.q.setValue("canvas/show_minimap", "true" if value else "false")

    @property
    def docks_locked(self) -> bool:
        return str(self.q.value("window/docks_locked", "false")).lower() in ("true", "1")

    @docks_locked.setter
    def docks_locked(self, value: bool) -> None:
        self.q.setValue("window/docks_locked", "true" if value else "false")

    @property
    def last_folder(self) -> str:
        """The folder the file dialogs used last (they start there)."""
        return str(self.q.value("files/last_folder", "") or "")

    @last_folder.setter
    def last_folder(self, value) -> None:
        self.q.setValue("files/last_folder", str(value or ""))

    # ---- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.q.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path) -> list[str]:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.q.setValue("recent_files", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def remove_recent(self, path) -> None:
        self.q.setValue("recent_files", [f for f in self.recent_files() if f != str(path)])

    def clear_recent(self) -> None:
        self.q.setValue("recent_files", [])

    # ---- window -------------------------------------------------------------------------------
    def save_window(self, window) -> None:
        self.q.setValue("window/geometry", window.saveGeometry())
        self.q.setValue("window/state", window.saveState())

    def restore_window(self, window) -> bool:
        geometry = self.q.value("window/geometry")
        state = self.q.value("window/state")
        ok = bool(geometry) and window.restoreGeometry(geometry)
        if state:
            window.restoreState(state)
        return ok

    def restore_dock_state(self, window) -> None:
        """Re-apply the saved panel layout (for panels added after the window was restored)."""
        state = self.q.value("window/state")
        if state:
            window.restoreState(state)

    def sync(self) -> None:
        self.q.sync()
