"""File → Import PyTorch model… and File → Export ▸ (PyTorch code…, Trained weights…, Training script…,
ONNX…), plus the Code panel dock. Every failure is a message with its reason; nothing open is lost.

Import runs the chosen Python file (as `python FILE.py` would), which the dialog says, in a separate
process (`main.py import`), so a file that hangs or crashes never freezes the window; the classes and
functions the dialog offers are read from the file's text without running it. File → Load Weights… reads a
checkpoint with weights_only=True; the next Start begins from it and the exports use it."""
from __future__ import annotations

import ast
import shutil
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import (
    QEventLoop,
    QObject,
    QProcess,
    QProcessEnvironment,
    Qt,
    QTimer,
    Signal,
)
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
    QProgressDialog,
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


def _child_reason(stderr: str, code: int, crashed: bool) -> str:
    """The import process's reason in one sentence: its `netwright: …` line, else its last words."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith("netwright:")]
    if starts:                    # the message and the lines it continues on (the problems, one a line)
        said = lines[starts[-1]:]
        return "\n".join([said[0].removeprefix("netwright:").strip()] + said[1:])[:4000]
    last = lines[-1][:300] if lines else "no message"
    how = "crashed" if crashed else f"ended with exit code {code}"
    return f"The import process {how} ({last})."


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
                      "trust. It runs in a separate process (Cancel stops it); the module is built with no arguments "
                      "and traced with torch.fx.", self)
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


IMPORT_TIMEOUT_S = 300.0         # a file that takes longer to build and trace its module is taken to hang


class StartWeights(QObject):
    """The weights the next Start begins from (loaded with File → Load Weights… or imported with the
    module), or None; `changed(text or None)` says so to the views that show it."""
    changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state: dict | None = None
        self.source = ""
        self.when = 0.0

    def set(self, state: dict | None, source: str = "") -> None:
        self.state, self.source, self.when = state, source, time.time()
        self.changed.emit(self.describe())

    def describe(self) -> str | None:
        return None if self.state is None else f"Starts from {self.source}."


class BridgeActions:
    """The window's import, load-weights and export commands. `weights()` are the newest ones the window
    knows that fit the network: a finished run's checkpoint, or the loaded / imported ones."""

    def __init__(self, window):
        self.w = window
        self.start_weights = StartWeights(window)
        self.import_timeout_s = IMPORT_TIMEOUT_S
        self.import_process: QProcess | None = None
        self.import_progress: QProgressDialog | None = None
        self._cancel = None
        self._tmp: Path | None = None          # a folder for the start weights, removed with the window
        window.doc.network.subscribe(self._network_changed)

    def _network_changed(self, change) -> None:
        from engine.core.graph import ChangeKind
        if change.kind == ChangeKind.RESET and self.start_weights.state is not None:   # another network
            self.start_weights.set(None)

    # ---- import ---------------------------------------------------------------------------------
    def import_dialog(self) -> bool:
        dialog = ImportDialog(self.w, self._folder())
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        return self.import_target(dialog.target(), parse_shape(dialog.shape.text()), dialog.dtype.currentText())

    def import_target(self, target: str, shape, dtype: str = "float32") -> bool:
        """Import FILE.py:NAME in a separate process (`main.py import … --weights-out`), so a file that
        hangs or crashes never freezes or takes down the window: a progress dialog with Cancel, a time
        limit, and the reason in one message. The results are read back like any other file (the network
        validated by the loader, the weights with weights_only=True)."""
        if not self.w.files.maybe_save():
            return False
        file, _, name = target.rpartition(":")
        if file:
            target = f"{Path(file).expanduser().resolve()}:{name}"
        work = Path(tempfile.mkdtemp(prefix="netwright-import-"))
        try:
            outcome = self._run_import(target, shape, dtype, work)
            if outcome is None:                     # cancelled: nothing changes, nothing to say but that
                self.w.show_status("Import cancelled; the current network is unchanged.")
                return False
            if isinstance(outcome, str):
                QMessageBox.warning(self.w, "Cannot import the model", f"{outcome}\n\nThe current network is unchanged.")
                self.w.show_status("Import failed: " + outcome.splitlines()[0])
                return False
            net, state = outcome
        finally:
            shutil.rmtree(work, ignore_errors=True)
        from engine.core.layout import layered_layout
        for nid, xy in layered_layout(net, self.w.scene.direction).items():
            net.nodes[nid].position = xy
        self.w.doc.replace(net, None)
        self.w.doc.undo_stack.resetClean()          # not saved yet: closing asks
        self.start_weights.set(state, f"the weights of the imported {name}")
        self.w.scene.select_ids([])
        self.w.show_network_start()
        self.w.show_status(f"Imported {name}: {len(net.nodes)} blocks with its weights (the next Start begins "
                           "from them; File → Export ▸ Trained weights… saves them).")
        return True

    def _run_import(self, target: str, shape, dtype: str, work: Path):
        """(network, state_dict) from the child, a sentence saying why not, or None when cancelled."""
        name = target.rpartition(":")[2]
        out, weights = work / "net.json", work / "weights.pt"
        main = Path(__file__).resolve().parent.parent / "main.py"
        args = [str(main), "import", target, "-o", str(out), "--input-shape", *[str(int(v)) for v in shape],
                "--input-dtype", dtype, "--weights-out", str(weights)]
        process = QProcess(self.w)
        process.setProgram(sys.executable)
        process.setArguments(args)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(env)
        progress = QProgressDialog(f"Importing {name} from {Path(target.rpartition(':')[0]).name}…\n(its file runs "
                                   "in a separate process; the window stays usable)", "Cancel", 0, 0, self.w)
        progress.setWindowTitle("Import PyTorch model")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.import_process, self.import_progress = process, progress
        loop = QEventLoop(self.w)
        why = {"ended": None}

        def end(reason):
            if why["ended"] is None:
                why["ended"] = reason
            if process.state() != QProcess.ProcessState.NotRunning:
                process.kill()
            else:
                loop.quit()
        process.finished.connect(lambda *_a: loop.quit())
        process.errorOccurred.connect(lambda error: error == QProcess.ProcessError.FailedToStart and loop.quit())
        progress.canceled.connect(lambda: end("cancelled"))      # its Cancel button, Escape, or closing it
        self._cancel = lambda: end("cancelled")
        limit = QTimer(self.w, singleShot=True)
        limit.timeout.connect(lambda: end("timeout"))
        limit.start(int(self.import_timeout_s * 1000))
        process.start()
        progress.show()
        if process.state() != QProcess.ProcessState.NotRunning or process.error() != QProcess.ProcessError.FailedToStart:
            loop.exec()
        limit.stop()
        progress.canceled.disconnect()           # closing the dialog below is not a Cancel
        if process.state() != QProcess.ProcessState.NotRunning:
            process.kill()
            process.waitForFinished(3000)
        progress.close()
        progress.deleteLater()
        self.import_process = self.import_progress = self._cancel = None
        stderr = bytes(process.readAllStandardError()).decode("utf-8", "replace")
        failed_to_start = process.error() == QProcess.ProcessError.FailedToStart
        code = process.exitCode()
        crashed = process.exitStatus() == QProcess.ExitStatus.CrashExit
        process.deleteLater()
        if why["ended"] == "cancelled":
            return None
        if why["ended"] == "timeout":
            return (f"Importing {name} did not finish within {self.import_timeout_s:g} s, so it was stopped: the "
                    "file (or building its module) may wait or loop forever.")
        if failed_to_start:
            return f"The import process could not be started ({process.errorString()})."
        if crashed or code != 0:
            return _child_reason(stderr, code, crashed)
        return self._read_import(out, weights, name)

    def _read_import(self, out: Path, weights: Path, name: str):
        """The child's files, read like any other: the network through the loader, the weights safely."""
        import engine
        from engine.core.codegen import ExportError
        from engine.runtime.weights import checkpoint_state, weights_problem
        try:
            net = engine.load_network(out)
            state = checkpoint_state(weights)
            problem = weights_problem(net, state)
        except (engine.NetworkFileError, ExportError, OSError) as e:
            return f"The import of {name} gave files that cannot be read ({e})."
        if problem:
            return f"The import of {name} gave weights that do not fit its network ({problem})."
        return net, state

    def cancel_import(self) -> None:
        """Press the progress dialog's Cancel (the import process is killed)."""
        if self._cancel is not None:
            self._cancel()

    # ---- loading weights ------------------------------------------------------------------------
    def load_weights_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self.w, "Load weights", self._folder(),
                                              "PyTorch checkpoints (*.pt *.pth *.ckpt);;All files (*)")
        return self.load_weights(Path(path)) if path else False

    def load_weights(self, path) -> bool:
        """Read a checkpoint (a Netwright one, `import --weights-out`, or a bare state_dict) with
        weights_only=True; when its weights fit the network, the next Start begins from them and the
        exports use them. Otherwise the reason (mismatched keys, code in the file) and nothing changes."""
        from engine.core.codegen import ExportError
        from engine.runtime.weights import checkpoint_state, weights_problem
        path = Path(path)
        title = "Cannot load the weights"
        if not path.is_file():
            return self._fail(title, f"{path} is not a file.")
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            try:
                state = checkpoint_state(path)
                problem = weights_problem(self.w.doc.network, state)
            except ExportError as e:
                problem = str(e)
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problem:
            if problem.startswith("the weights do not fit"):
                problem = f"{path.name} was saved for another network: {problem}."
            return self._fail(title, f"{problem}\n\nThe network and its weights are unchanged.")
        count = sum(v.numel() for v in state.values())
        self.start_weights.set(state, f"the weights in {path.name}")
        self.w.show_status(f"Loaded the weights in {path.name} ({len(state)} tensors, {count:,} values): the next "
                           "Start begins from them, and Export ▸ Trained Weights… and PyTorch Code… use them.")
        return True

    def forget_start_weights(self) -> None:
        if self.start_weights.state is not None:
            self.start_weights.set(None)
            self.w.show_status("The next Start begins from fresh weights.")

    def start_checkpoint(self) -> str | None:
        """A weights-only checkpoint for the trainer's `resume` (epoch 0, fresh optimizer) holding the
        loaded or imported weights when they fit the network as it is now; None otherwise (a fresh start)."""
        from engine.core.codegen import ExportError
        from engine.runtime.weights import weights_problem
        from engine.runtime.runs import save_checkpoint
        state = self.start_weights.state
        if state is None:
            return None
        try:
            problem = weights_problem(self.w.doc.network, state)
        except ExportError as e:
            problem = str(e)
        if problem:
            self.w.show_status(f"{self.start_weights.source[0].upper()}{self.start_weights.source[1:]} no longer "
                               f"fit the network ({problem}); this run starts from fresh weights.")
            return None
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="netwright-start-"))
            folder = self._tmp
            self.w.destroyed.connect(lambda *_a: shutil.rmtree(folder, ignore_errors=True))
            app = QGuiApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(lambda: shutil.rmtree(folder, ignore_errors=True))
        path = self._tmp / "start-weights.pt"
        save_checkpoint({"model": state, "network": self.w.doc.snapshot(), "epoch": 0, "batch": 0, "step": 0,
                         "history": [], "losses": [], "source": "app"}, path)
        return str(path)

    # ---- the weights the window has -------------------------------------------------------------
    def weights(self) -> dict | None:
        """The newest of the last run's checkpoint and the loaded / imported weights that fits the network."""
        from engine.core.codegen import ExportError
        from engine.runtime.weights import checkpoint_state, weights_problem
        found = []
        controller = getattr(self.w, "training_controller", None)
        path = getattr(controller, "last_checkpoint", None)
        if path and Path(path).is_file():
            try:
                found.append((getattr(controller, "snapshot_time", None) or 0.0, checkpoint_state(path)))
            except ExportError:
                pass
        if self.start_weights.state is not None:
            found.append((self.start_weights.when, self.start_weights.state))
        for _when, state in sorted(found, key=lambda item: item[0], reverse=True):
            try:
                if weights_problem(self.w.doc.network, state) is None:
                    return state
            except ExportError:
                return None
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
        from engine.core.codegen import ExportError
        from engine.core.files import atomic_write_text
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
        """The PyTorch code; when the window has weights for the network (trained, loaded or imported),
        they are written beside it (NAME.pt) and the code's load_trained() loads them."""
        from engine.core.codegen import export_code
        from engine.runtime.weights import save_weights
        state = self.weights()
        if state is None:
            return self._export_text("Export PyTorch code", export_code, path, lambda p: "the PyTorch code")
        path = path or self._ask("Export PyTorch code", ".py", "Python files (*.py)")
        if path is None:
            return False
        beside = path.with_suffix(".pt")
        try:
            save_weights(state, beside)
        except OSError as e:
            return self._fail("Cannot export", f"Could not write {beside}: {e.strerror or e}.")
        return self._export_text("Export PyTorch code", lambda net, source: export_code(net, beside.name, source),
                                 path, lambda p: f"the PyTorch code with its weights ({beside.name}, loaded by "
                                                 f"load_trained()) to")

    def export_weights(self, path: Path | None = None) -> bool:
        from engine.runtime.weights import save_weights
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
        from engine.runtime.script_export import export_script
        return self._export_text("Export training script", export_script, path,
                                 lambda p: f"the training script (python {p.name}, or torchrun --nproc_per_node=N "
                                           f"{p.name})")

    def export_onnx(self, path: Path | None = None) -> bool:
        from engine.core.codegen import ExportError
        from engine.runtime.onnx_export import MISSING, export_onnx, onnx_available
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
    window.load_weights_action = window._action("Load &Weights…", bridge.load_weights_dialog,
                                                tip="Start the next run from the weights in a checkpoint "
                                                    "(train --resume, import --weights-out, or a state_dict)")
    file_menu.insertAction(before, window.load_weights_action)
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
