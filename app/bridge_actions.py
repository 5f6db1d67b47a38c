"""File → Import PyTorch model… and File → Export ▸ (PyTorch code…, Trained weights…, Training script…,
ONNX…), plus the Code panel dock. Every failure is a message with its reason; nothing open is lost.

Import runs the chosen Python file (as `python FILE.py` would), which the dialog says; the classes
and functions it offers are read from the file's text without running it."""
from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)

from widgets.code_panel import CodePanel


def candidates(path: Path) -> list[str]:
    """Top-level classes and functions of a Python file, read with ast (the file is not run)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and not n.name.startswith("_")]


def parse_shape(text: str) -> list[int] | None:
    parts = [p for p in text.replace(",", " ").replace("×", " ").replace("[", " ").replace("]", " ").split() if p]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        return None
    return shape if shape and all(s >= 1 for s in shape) else None


class ImportDialog(QDialog):
    """The file, the class or function in it, and one sample's input shape."""

    def __init__(self, parent=None, folder: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch model")
        self.setMinimumWidth(560)
        self.folder = folder
        self.file = QLineEdit(self)
        self.file.setPlaceholderText("models.py")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        holder = QWidget(self)
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        self.name = QComboBox(self)
        self.name.setEditable(True)
        self.shape = QLineEdit("1, 28, 28", self)
        self.shape.setToolTip("One sample's shape without the batch axis, e.g. 3, 32, 32 for a colour image")
        self.dtype = QComboBox(self)
        self.dtype.addItems(["float32", "int64"])
        note = QLabel("Importing runs this Python file, as <tt>python FILE.py</tt> would: import only files you "
                      "trust. The module is built with no arguments and traced with torch.fx.", self)
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Python file", holder)
        form.addRow("Class or function", self.name)
        form.addRow("Input shape", self.shape)
        form.addRow("Input dtype", self.dtype)
        form.addRow(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.file.editingFinished.connect(self.fill_names)
        self.file.textChanged.connect(self._validate)
        self.shape.textChanged.connect(self._validate)
        self.name.editTextChanged.connect(self._validate)
        self._validate()

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with the model", self.folder,
                                              "Python files (*.py);;All files (*)")
        if path:
            self.file.setText(path)
            self.fill_names()

    def fill_names(self) -> None:
        names = candidates(Path(self.file.text()))
        current = self.name.currentText()
        self.name.clear()
        self.name.addItems(names)
        if current in names:
            self.name.setCurrentText(current)

    def _validate(self, *_args) -> None:
        ok = Path(self.file.text()).is_file() and bool(self.name.currentText().strip()) \
            and parse_shape(self.shape.text()) is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def target(self) -> str:
        return f"{self.file.text()}:{self.name.currentText().strip()}"


class BridgeActions:
    """The window's import and export commands; `weights` are the newest ones the window knows (a finished
    run's checkpoint, or an imported module's)."""

    def __init__(self, window):
        self.w = window
        self.imported_state: dict | None = None
        self.imported_for: object = None

    # ---- import ---------------------------------------------------------------------------------
    def import_dialog(self) -> bool:
        dialog = ImportDialog(self.w, self._folder())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        return self.import_target(dialog.target(), parse_shape(dialog.shape.text()), dialog.dtype.currentText())

    def import_target(self, target: str, shape, dtype: str = "float32") -> bool:
        if not self.w.files.maybe_save():
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from engine.import_cli import LoadError, load_target
            from engine.importer import ImportProblem, import_module
            try:
                module = load_target(target)
                imported = import_module(module, shape, dtype, target.rpartition(":")[2])
                state = imported.state_dict()
            except (LoadError, ImportProblem) as e:
                problem = str(e)
            except Exception as e:       # a bug of ours: the reason in one line, the window stays as it was
                problem = f"internal error while importing ({type(e).__name__}: {e}); please report it with the file."
            else:
                problem = None
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problem:
            QMessageBox.warning(self.w, "Cannot import the model", f"{problem}\n\nThe current network is unchanged.")
            self.w.show_status("Import failed: " + problem.splitlines()[0])
            return False
        net = imported.network
        from engine.layout import layered_layout
        for nid, xy in layered_layout(net, self.w.scene.direction).items():
            net.nodes[nid].position = xy
        self.w.doc.replace(net, None)
        self.w.doc.undo_stack.resetClean()          # not saved yet: closing asks
        self.imported_state, self.imported_for = state, self.w.doc.snapshot()
        self.w.scene.select_ids([])
        self.w.show_network_start()
        self.w.show_status(f"Imported {target.rpartition(':')[2]}: {len(net.nodes)} blocks with its weights "
                           "(File → Export ▸ Trained weights… saves them).")
        return True

    # ---- the weights the window has -------------------------------------------------------------
    def weights(self) -> dict | None:
        """The state_dict of the last run's checkpoint, or of the imported module while the network is unchanged."""
        from engine.export import ExportError, checkpoint_state, weights_problem
        controller = getattr(self.w, "training_controller", None)
        path = getattr(controller, "last_checkpoint", None)
        if path and Path(path).is_file():
            try:
                state = checkpoint_state(path)
                if weights_problem(self.w.doc.network, state) is None:   # a run of this network, as it is now
                    return state
            except ExportError:
                pass
        if self.imported_state is not None and self.imported_for == self.w.doc.snapshot():
            return self.imported_state
        return None

    # ---- export ---------------------------------------------------------------------------------
    def _folder(self) -> str:
        doc = self.w.doc
        return str(doc.path.parent) if doc.path else str(Path.cwd())

    def _stem(self) -> str:
        doc = self.w.doc
        name = doc.path.stem if doc.path else (doc.network.name or "network")
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_").lower() or "network"

    def _ask(self, title: str, suffix: str, kinds: str) -> Path | None:
        start = str(Path(self._folder()) / f"{self._stem()}{suffix}")
        path, _ = QFileDialog.getSaveFileName(self.w, title, start, kinds)
        if not path:
            return None
        path = Path(path)
        return path if path.name.lower().endswith(suffix) else path.with_name(path.name + suffix)

    def _fail(self, title: str, reason: str) -> bool:
        QMessageBox.warning(self.w, title, reason)
        self.w.show_status(f"{title}: {reason.splitlines()[0]}")
        return False

    def _done(self, path: Path, what: str) -> bool:
        self.w.show_status(f"Wrote {what} {path}.")
        return True

    def _export_text(self, title: str, make, path: Path | None, what) -> bool:
        """Ask where (unless `path`), write make(network, source) atomically, report; a reason on failure."""
        from engine.export import ExportError
        from engine.files import atomic_write_text
        path = path or self._ask(title, ".py", "Python files (*.py)")
        if path is None:
            return False
        source = self.w.doc.path.name if self.w.doc.path else None
        try:
            atomic_write_text(path, make(self.w.doc.network, source=source))
        except ExportError as e:
            return self._fail("Cannot export", str(e))
        except OSError as e:
            return self._fail("Cannot export", f"Could not write {path}: {e.strerror or e}.")
        return self._done(path, what(path))

    def export_code(self, path: Path | None = None) -> bool:
        from engine.export import export_code
        return self._export_text("Export PyTorch code", export_code, path, lambda p: "the PyTorch code")

    def export_weights(self, path: Path | None = None) -> bool:
        from engine.export import save_weights
        state = self.weights()
        if state is None:
            return self._fail("No trained weights", "There are no weights for this network yet: train it (Training "
                              "panel) or import a PyTorch model with its weights first.")
        path = path or self._ask("Export trained weights", ".pt", "PyTorch state_dict (*.pt)")
        if path is None:
            return False
        try:
            save_weights(state, path)
        except OSError as e:
            return self._fail("Cannot export", f"Could not write {path}: {e.strerror or e}.")
        return self._done(path, "the weights (a state_dict for Net().load_state_dict) to")

    def export_script(self, path: Path | None = None) -> bool:
        from engine.script_export import export_script
        return self._export_text("Export training script", export_script, path,
                                 lambda p: f"the training script (python {p.name}, or torchrun --nproc_per_node=N "
                                           f"{p.name})")

    def export_onnx(self, path: Path | None = None) -> bool:
        from engine.export import ExportError
        from engine.onnx_export import MISSING, export_onnx, onnx_available
        if not onnx_available():
            return self._fail("ONNX is not installed", MISSING)
        path = path or self._ask("Export ONNX", ".onnx", "ONNX models (*.onnx)")
        if path is None:
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            export_onnx(self.w.doc.network, path, self.weights())
        except ExportError as e:
            return self._fail("Cannot export", str(e))
        except OSError as e:
            return self._fail("Cannot export", f"Could not write {path}: {e.strerror or e}.")
        finally:
            QGuiApplication.restoreOverrideCursor()
        return self._done(path, "ONNX (dynamic batch axis) to")


def install_bridge(window, file_menu, before) -> BridgeActions:
    """File → Import PyTorch model…, File → Export ▸ …, and the Code panel (tabbed with Shapes explained)."""
    bridge = BridgeActions(window)
    window.bridge = bridge
    window.import_action = window._action("&Import PyTorch Model…", bridge.import_dialog, "Ctrl+I",
                                          tip="Build a network from a torch.nn.Module in a Python file")
    file_menu.insertAction(before, window.import_action)
    menu = QMenu("E&xport", window)
    file_menu.insertMenu(before, menu)
    window.export_menu = menu
    window.export_actions = {}
    for key, text, slot, shortcut in (("code", "&PyTorch Code…", bridge.export_code, "Ctrl+E"),
                                      ("weights", "Trained &Weights…", bridge.export_weights, None),
                                      ("script", "Training &Script…", bridge.export_script, None),
                                      ("onnx", "&ONNX…", bridge.export_onnx, None)):
        action = window._action(text, slot, shortcut)
        menu.addAction(action)
        window.export_actions[key] = action
    file_menu.insertSeparator(before)
    window.code_panel = CodePanel(window.doc, window)
    window.code_dock = window.add_dock(window.code_panel, "Code", "right")
    window.tabifyDockWidget(window.explain_dock, window.code_dock)
    window.explain_dock.raise_()
    return bridge
