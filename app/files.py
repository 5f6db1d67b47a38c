"""File handling of the main window: new, open (dialog, recent, examples, dropped), save, save as,
the question before unsaved changes are lost, and the offer to restore a crash-recovery copy.

A file that fails to open shows why and leaves the current document as it was."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

import engine
from engine.core.layout import layered_layout
from widgets import folders

from . import RESOURCES

EXAMPLES = RESOURCES / "examples"
FILTER = "Netwright networks (*.json);;All files (*)"


class FileActions:
    def __init__(self, window):
        self.w = window
        self.doc = window.doc

    # ---- guarding unsaved work --------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or nothing to lose)."""
        if not self.doc.modified:
            return True
        answer = QMessageBox.question(
            self.w, "Unsaved changes",
            f"Save the changes to {self.doc.display_name} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # ---- opening ----------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.doc.new()
        self.w.recovery.discard()
        self.w.show_status("New network: drag an Input from the palette to start.")
        return True

    def open_dialog(self) -> bool:
        if not self.maybe_save():
            return False
        start = str(folders.start_folder())
        path, _ = QFileDialog.getOpenFileName(self.w, "Open network", start, FILTER)
        folders.remember(path)
        return self.open_path(path, ask=False) if path else False

    def open_path(self, path, ask: bool = True, remember: bool = True) -> bool:
        """Open a file; on failure show the reason and keep the current document. `remember`: add it
        to the recent files (not for the example opened at start-up)."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            net = engine.load_network(path)
        except engine.NetworkFileError as e:
            QMessageBox.warning(self.w, "Cannot open network", f"{e}\n\nThe current network is unchanged.")
            self.w.show_status(f"Could not open {path.name}: {e}")
            if not path.exists():
                self.w.settings.remove_recent(str(path))
            return False
        if path.resolve().parent == EXAMPLES.resolve():     # examples come laid out in the canvas's direction
            for node_id, xy in layered_layout(net, self.w.scene.direction, self.w.wrap_for(net)).items():
                net.nodes[node_id].position = xy
        self.doc.replace(net, path.resolve())
        self.w.recovery.discard()
        if remember:
            self.w.settings.add_recent(path)
            self.fill_recent_menu()
        self.w.scene.select_ids([])
        self.w.show_network_start()
        QTimer.singleShot(0, self.w, self.w.show_network_start)      # again once the window has its final size
        n = len(net.nodes)
        self.w.show_status(f"Opened {path.name}: {n} block{'s' if n != 1 else ''}. Select a block to edit it.")
        return True

    def dropped_file(self, mime) -> Path | None:
        """The first local .json file in a drop, if any."""
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
                return Path(url.toLocalFile())
        return None

    # ---- saving -----------------------------------------------------------------------------
    def save(self) -> bool:
        if self.doc.path is None or self.doc.path.parent == EXAMPLES:
            return self.save_as()
        return self._write(self.doc.path)

    def save_as(self) -> bool:
        if self.doc.path and self.doc.path.parent != EXAMPLES:
            start = str(self.doc.path)
        else:
            name = f"{(self.doc.network.name or 'network').replace(' ', '_').lower()}.json"
            start = str(folders.start_folder() / name)
        path, _ = QFileDialog.getSaveFileName(self.w, "Save network as", start, FILTER)
        folders.remember(path)
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += ".json"
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            self.doc.save(path)
        except OSError as e:
            QMessageBox.warning(self.w, "Cannot save",
                                f"Could not write {path}: {e.strerror or e}.\n\nChoose another folder with Save As; "
                                "your network is still open and unchanged.")
            return False
        self.w.settings.add_recent(path)
        self.fill_recent_menu()
        self.w.recovery.discard()
        self.w.show_status(f"Saved {path}.")
        return True

    # ---- menus ------------------------------------------------------------------------------
    def fill_recent_menu(self) -> None:
        menu = self.w.recent_menu
        menu.clear()
        files = self.w.settings.recent_files()
        for f in files:
            menu.addAction(Path(f).name, lambda p=f: self.open_path(p)).setToolTip(f)
        if files:
            menu.addSeparator()
            menu.addAction("Clear list", self._clear_recent)
        else:
            menu.addAction("No recent files").setEnabled(False)

    def _clear_recent(self) -> None:
        self.w.settings.clear_recent()
        self.fill_recent_menu()

    def fill_examples_menu(self) -> None:
        menu = self.w.examples_menu
        menu.clear()
        for path in sorted(EXAMPLES.glob("*.json")):
            title = path.stem.replace("_", " ")
            try:
                title = json.loads(path.read_text(encoding="utf-8")).get("name") or title
            except (OSError, ValueError, AttributeError):
                pass
            menu.addAction(f"{title}  ({path.name})", lambda p=path: self.open_path(p))
        if menu.isEmpty():
            menu.addAction("No examples found").setEnabled(False)

    # ---- crash recovery ---------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """If the last session left unsaved work, ask whether to restore it. A copy that cannot be read
        is reported (it was kept under another name), never skipped in silence."""
        found = self.w.recovery.pending()
        self._report_damaged(self.w.recovery.damaged)
        if found is None:
            return False
        net, original = found
        where = f" (from {original.name})" if original else ""
        answer = QMessageBox.question(
            self.w, "Restore unsaved work?",
            f"Netwright did not close cleanly last time. Restore the unsaved network '{net.name}'{where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            self.w.recovery.drop_found()
            return False
        self.doc.replace(net, original)
        self.doc.undo_stack.resetClean()
        self.w.recovery.write()              # this window's own copy first, then the old one goes
        self.w.recovery.drop_found()
        self.w.show_network_start()
        self.w.show_status("Restored the unsaved network; save it to keep it.")
        return True

    def _report_damaged(self, damaged: list[tuple[Path, str]]) -> None:
        if not damaged:
            return
        lines = [f"• {path}: {why if len(why) <= 300 else why[:300] + '…'}" for path, why in damaged]
        several = len(damaged) > 1
        QMessageBox.warning(
            self.w, "Unsaved work could not be restored",
            f"Netwright did not close cleanly last time, but {'its recovery copies' if several else 'its recovery copy'} "
            f"cannot be read, so {'they' if several else 'it'} cannot be restored:\n\n" + "\n".join(lines)
            + f"\n\n{'They were' if several else 'It was'} kept, not deleted: open "
            f"{'them' if several else 'it'} in a text editor to rescue what you can.")
        self.w.show_status(f"A recovery copy could not be read; it was kept as {damaged[0][0]}.")
