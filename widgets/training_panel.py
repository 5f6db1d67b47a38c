"""The training panel: data set (with a preview of a few samples), hyperparameters, device, Start /
Pause / Resume / Stop, the learning rate editable while paused, and progress.

A view: it emits intents (`start_requested(settings)`, `pause_requested`, `resume_requested`,
`stop_requested`, `lr_change_requested(lr)`) and shows what the controller reports; it never starts
training or touches the network itself.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.training_object import DEFAULTS, OPTIMIZERS, RANGES
from engine.data import DataError, InputSpec, preview
from engine.data.registry import DOWNLOAD, GENERATED, SETS, names
from engine.runtime.protocol import RunState
from engine.runtime.run_model import RunEvent, RunModel

from . import folders
from .bounded_spin import BoundedDoubleSpinBox, BoundedSpinBox, install_wheel_guard
from .worker import start_worker

MADE_HERE = names(GENERATED)       # made in a moment: previewed at once
DOWNLOADS = names(DOWNLOAD)        # these read --data-dir, when one is given
OPEN_FILE = "Open file (npz, csv, text)…"
OPEN_FOLDER = "Open folder of class folders…"
TILE = 56


_RELAY_NOTE = """A worker thread must not hold the panel: if the window is closed while it works, the last
reference would go in that thread and the window's widgets would be destroyed there (Qt then warns
"Timers cannot be started from another thread" and may crash). It holds only the relay, a plain QObject;
widgets.worker pauses the garbage collector meanwhile for the same reason."""


class _PreviewRelay(QObject):
    """Carries a preview (or a fit check) made in a worker thread back to the window's thread."""
    done = Signal(int, object)
    fit_done = Signal(int, object)


def _make_preview(spec: str, inp: InputSpec, data_dir):
    """(kind, examples, description), or the sentence that says why there is no preview."""
    try:
        return preview(spec, inp, data_dir)
    except DataError as e:
        return str(e)
    except Exception as e:       # noqa: BLE001  (a preview must never take the window down)
        return f"No preview: the data could not be read ({e}). Check the file, or choose another data set."


def image_tile(sample: np.ndarray, size: int = TILE) -> QImage:
    """A [C, H, W] sample (any range) as a QImage scaled to `size`, grey or RGB."""
    a = np.asarray(sample, np.float32)
    if a.ndim == 2:                     # a grey image read as a sequence of rows
        a = a[None]
    lo, hi = float(a.min()), float(a.max())
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    a = np.ascontiguousarray((a * 255).astype(np.uint8))
    if a.shape[0] == 3:
        rgb = np.ascontiguousarray(a.transpose(1, 2, 0))
        img = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.shape[1] * 3, QImage.Format.Format_RGB888).copy()
    else:
        grey = np.ascontiguousarray(a[0])
        img = QImage(grey.data, grey.shape[1], grey.shape[0], grey.shape[1], QImage.Format.Format_Grayscale8).copy()
    return img.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


def sequence_tile(sample: np.ndarray, size: int = TILE) -> QImage:
    """A [T, F] sequence as small line plots (one colour per feature, at most 4)."""
    img = QImage(size, size, QImage.Format.Format_RGB32)
    img.fill(QColor("#202428"))
    a = np.asarray(sample, np.float32).reshape(len(sample), -1)[:, :4]
    lo, hi = float(a.min()), float(a.max())
    span = hi - lo if hi > lo else 1.0
    colours = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373"]
    with QPainter(img) as p:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for f in range(a.shape[1]):
            p.setPen(QPen(QColor(colours[f]), 1.2))
            xs = np.linspace(2, size - 2, len(a))
            ys = size - 3 - (a[:, f] - lo) / span * (size - 6)
            p.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys)]))
    return img


def clip_tile(sample: np.ndarray, size: int = TILE) -> QImage:
    """A [C, D, H, W] clip as one picture of its motion: the frames laid over each other, later ones
    brighter, so a shape leaves a trail that ends where it is in the last frame."""
    a = np.asarray(sample, np.float32)
    weights = np.linspace(0.25, 1.0, a.shape[1], dtype=np.float32)[None, :, None, None]
    return image_tile((a * weights).max(axis=1), size)


TILES = {"image": image_tile, "sequence": sequence_tile, "clip": clip_tile}    # a Dataset's kind → its picture


class TrainingPanel(QWidget):
    start_requested = Signal(dict)
    training_changed = Signal(dict)     # the user chose other data or settings (the network keeps them)
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    lr_change_requested = Signal(float)
    fresh_weights_requested = Signal()    # "Start fresh": forget the loaded weights

    def __init__(self, parent=None, devices: list[str] | None = None, run: RunModel | None = None):
        super().__init__(parent)
        install_wheel_guard()        # the wheel over a box in this scrolled panel scrolls it, never sets a value
        self.input: InputSpec | None = None
        self.input_problem = "No network yet."
        self._last_dataset = 0           # the chooser's last real data set (restored when a dialog is cancelled)
        self.state = RunState.IDLE
        self._preview_timer = QTimer(self, singleShot=True, interval=150)
        self._preview_generation = 0
        self.preview_busy = False
        self._preview_relay = _PreviewRelay(self)
        self._preview_relay.done.connect(self._show_preview)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self.network = None
        self._applying = False
        self._fit_timer = QTimer(self, singleShot=True, interval=150)
        self._fit_timer.timeout.connect(self.refresh_fit)
        self._fit_generation = self.fit_shown = 0
        self.fit = None                  # the newest engine.data.fit.Fit
        self._preview_relay.fit_done.connect(self._show_fit)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = QVBoxLayout(body)
        layout.addLayout(self._buttons())          # controls and progress first: visible without scrolling
        self.progress_bar = QProgressBar(body)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel("Not training.", body)
        self.progress_label.setWordWrap(True)
        self.snapshot_label = QLabel("", body)
        self.snapshot_label.setWordWrap(True)
        self.message_label = QLabel("", body)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.progress_bar, self.progress_label, self.snapshot_label, self.message_label):
            layout.addWidget(w)
        layout.addWidget(self._start_weights_row(body))
        layout.addWidget(self._data_box())
        layout.addWidget(self._settings_box(devices))
        layout.addStretch(1)
        self.set_state(RunState.IDLE)
        if run is not None:
            self.follow(run)
        # Never narrower than the buttons and fields: the panel scrolls down, not sideways.
        scroll.setMinimumWidth(body.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())

    # ---- construction ---------------------------------------------------------------------------
    def _data_box(self) -> QGroupBox:
        box = QGroupBox("Data", self)
        v = QVBoxLayout(box)
        self.dataset_combo = QComboBox(box)
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_combo.setMinimumContentsLength(10)
        for named in SETS.values():
            self.dataset_combo.addItem(named.name, named.name)
            self.dataset_combo.setItemData(self.dataset_combo.count() - 1, named.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.insertSeparator(self.dataset_combo.count())
        self.dataset_combo.addItem(OPEN_FILE, None)
        self.dataset_combo.addItem(OPEN_FOLDER, None)
        self.dataset_combo.activated.connect(self._dataset_activated)
        self.dataset_combo.currentIndexChanged.connect(lambda _i: self._preview_timer.start())
        self.dataset_combo.currentIndexChanged.connect(self._remember_dataset)
        self.dataset_combo.currentIndexChanged.connect(lambda _i: self._fit_timer.start())
        v.addWidget(self.dataset_combo)
        self.fit_label = QLabel("", box)
        self.fit_label.setWordWrap(True)
        self.fit_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.fit_label)
        v.addWidget(self._data_dir_row(box))
        self.preview_label = QLabel(box)
        self.preview_label.setMinimumHeight(TILE + 20)
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.preview_text = QLabel(box)
        self.preview_text.setWordWrap(True)
        v.addWidget(self.preview_label)
        v.addWidget(self.preview_text)
        return box

    def _data_dir_row(self, box) -> QWidget:
        """For mnist, fashion-mnist and cifar10: a folder that already holds the files (`--data-dir`),
        or nothing to download them into the user cache."""
        self.data_dir_row = QWidget(box)
        row = QHBoxLayout(self.data_dir_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.data_dir_edit = QLineEdit(self.data_dir_row)
        self.data_dir_edit.setPlaceholderText("files: downloaded into the cache")
        self.data_dir_edit.setClearButtonEnabled(True)
        self.data_dir_edit.setToolTip("A folder that already holds the data set's files (as the original servers "
                                      "name them); leave it empty to download them once into the user cache.")
        self.data_dir_edit.editingFinished.connect(self._preview_timer.start)
        self.data_dir_edit.textChanged.connect(lambda text: text or self._preview_timer.start())   # cleared
        choose = QToolButton(self.data_dir_row)
        choose.setText("Folder…")
        choose.setToolTip("Read the files from a folder instead of downloading them")
        choose.clicked.connect(self._choose_data_dir)
        row.addWidget(self.data_dir_edit, 1)
        row.addWidget(choose)
        self.data_dir_row.setVisible(False)
        self.dataset_combo.currentIndexChanged.connect(
            lambda _i: self.data_dir_row.setVisible(self.dataset_spec() in DOWNLOADS))
        return self.data_dir_row

    def _start_weights_row(self, body) -> QWidget:
        """Which weights the next Start begins from when they are not fresh ones, and a button to forget them."""
        self.start_weights_row = QWidget(body)
        row = QHBoxLayout(self.start_weights_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.start_weights_label = QLabel("", self.start_weights_row)
        self.start_weights_label.setWordWrap(True)
        self.fresh_button = QToolButton(self.start_weights_row)
        self.fresh_button.setText("Start fresh")
        self.fresh_button.setToolTip("Forget these weights: the next Start begins from freshly initialised ones")
        self.fresh_button.clicked.connect(self.fresh_weights_requested.emit)
        row.addWidget(self.start_weights_label, 1)
        row.addWidget(self.fresh_button)
        self.start_weights_row.setVisible(False)
        return self.start_weights_row

    def follow_start_weights(self, start_weights) -> None:
        """Mirror the window's StartWeights (app.bridge_actions): its `changed(text or None)`."""
        start_weights.changed.connect(self._show_start_weights)
        self._show_start_weights(start_weights.describe())

    def _show_start_weights(self, text: str | None) -> None:
        self.start_weights_label.setText(text or "")
        self.start_weights_row.setVisible(bool(text))

    def _choose_data_dir(self) -> None:
        folder = self.ask_for_data_dir()
        if folder:
            self.data_dir_edit.setText(folder)
            self._preview_timer.start()

    def ask_for_data_dir(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, f"Folder with the {self.dataset_spec()} files",
                                                  str(folders.start_folder()))
        folders.remember(folder)
        return folder or None

    def data_dir(self) -> str | None:
        """The folder to read a downloadable data set from, or None (download into the cache)."""
        text = self.data_dir_edit.text().strip()
        return text if text and self.dataset_spec() in DOWNLOADS else None

    def _settings_box(self, devices) -> QGroupBox:
        box = QGroupBox("Settings", self)
        # ranges and starting values: the network file's training object (engine/core/training_object.py)
        self.epochs = BoundedSpinBox(box, "Epochs")
        self.batch_size = BoundedSpinBox(box, "Batch size")
        self.lr = BoundedDoubleSpinBox(box, "The learning rate")
        self.lr.setDecimals(6)
        self.lr.setSingleStep(1e-4)
        self.optimizer = QComboBox(box)
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.setCurrentText(DEFAULTS["optimizer"])
        self.weight_decay = BoundedDoubleSpinBox(box, "Weight decay")
        self.weight_decay.setDecimals(5)
        self.weight_decay.setSingleStep(1e-4)
        self.val_split = BoundedDoubleSpinBox(box, "The validation share")
        self.val_split.setDecimals(2)
        self.val_split.setSingleStep(0.05)
        self.seed = BoundedSpinBox(box, "The seed")
        for key in RANGES:
            spin = getattr(self, key)
            spin.setRange(RANGES[key][1], RANGES[key][2])
            spin.setValue(DEFAULTS[key])
        self.lr.valueChanged.connect(self._lr_edited)
        self.device = DeviceCombo(box, devices)
        for w in (self.epochs, self.batch_size, self.lr, self.weight_decay, self.val_split, self.seed):
            w.valueChanged.connect(lambda _v: self._training_edited())
        self.optimizer.currentIndexChanged.connect(lambda _i: self._training_edited())
        form = QFormLayout(box)
        for label, w in (("Epochs", self.epochs), ("Batch size", self.batch_size), ("Learning rate", self.lr),
                         ("Optimizer", self.optimizer), ("Weight decay", self.weight_decay),
                         ("Validation share", self.val_split), ("Seed", self.seed), ("Device", self.device)):
            form.addRow(label, w)
        return box

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.start_button = QPushButton("Start", self)
        self.pause_button = QPushButton("Pause", self)
        self.resume_button = QPushButton("Resume", self)
        self.stop_button = QPushButton("Stop", self)
        self.start_button.clicked.connect(lambda: self.start_requested.emit(self.settings()))
        self.pause_button.clicked.connect(self.pause_requested.emit)
        self.resume_button.clicked.connect(self.resume_requested.emit)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            row.addWidget(b)
        return row

    # ---- settings -------------------------------------------------------------------------------
    def dataset_spec(self) -> str:
        return self.dataset_combo.currentData() or DEFAULTS["dataset"]

    def settings(self) -> dict:
        """The run settings as engine.runtime.trainer.TrainSettings fields."""
        return {"dataset": self.dataset_spec(), "epochs": self.epochs.value(), "batch_size": self.batch_size.value(),
                "lr": self.lr.value(), "optimizer": self.optimizer.currentText(),
                "weight_decay": self.weight_decay.value(), "val_split": self.val_split.value(),
                "seed": self.seed.value(), "device": self.device.currentText(), "data_dir": self.data_dir()}

    def add_file_dataset(self, spec: str) -> None:
        """Add `npz:PATH`, `csv:PATH`, `folder:PATH` or `text:PATH` to the chooser and select it."""
        index = self.dataset_combo.findData(spec)
        if index < 0:
            kind, _, path = spec.partition(":")
            index = self.dataset_combo.findText(OPEN_FILE) - 1       # after the built-ins, before the separator
            self.dataset_combo.insertItem(index, f"{Path(path).name} ({kind})", spec)
            self.dataset_combo.setItemData(index, spec, Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.setCurrentIndex(index)

    def _remember_dataset(self, index: int) -> None:
        if self.dataset_combo.itemData(index):
            self._last_dataset = index
            self._training_edited()

    def _training_edited(self) -> None:
        if self._applying:
            return
        if self.state is RunState.IDLE:
            self.message_label.setText("")       # a message about the last choice goes with it
        self.training_changed.emit(self.settings())

    def apply_training(self, training: dict, changes_only: bool = False) -> None:
        """Select what a network's `training` object asks for (keys it leaves out take the defaults):
        opening a network brings its data set with it. `changes_only` (an undo of a choice): touch only the
        controls whose value differs, so a box being typed in keeps its text and cursor."""
        t = dict(DEFAULTS, **training)
        changed = False
        self._applying = True
        try:
            spec = t["dataset"]
            if spec != self.dataset_spec() or self.dataset_combo.currentData() is None:
                changed = True
                if ":" in spec:
                    self.add_file_dataset(spec)
                else:
                    index = self.dataset_combo.findData(spec)
                    fallback = self.dataset_combo.findData(DEFAULTS["dataset"])
                    self.dataset_combo.setCurrentIndex(index if index >= 0 else fallback)
            for box, value in ((self.epochs, int(t["epochs"])), (self.batch_size, int(t["batch_size"])),
                               (self.lr, float(t["lr"])), (self.weight_decay, float(t["weight_decay"])),
                               (self.val_split, float(t["val_split"])), (self.seed, int(t["seed"]))):
                if box.value() != value:
                    box.setValue(value)
                    changed = True
            if self.optimizer.currentText() != t["optimizer"]:
                self.optimizer.setCurrentText(t["optimizer"])
                changed = True
        finally:
            self._applying = False
        if changes_only and not changed:
            return
        self.message_label.setText("")          # what was said about the last network's run or data
        self._fit_timer.start()

    # ---- fit ------------------------------------------------------------------------------------
    def set_network(self, network) -> None:
        """Follow this network: whether the chosen data fits it is shown the moment either changes."""
        if self.network is not None:
            self.network.unsubscribe(self._network_changed)
        self.network = network
        if network is not None:
            network.subscribe(self._network_changed)
        self._fit_timer.start()

    def _network_changed(self, change) -> None:
        if change.kind != "node_moved":
            self._fit_timer.start()

    def candidates(self) -> list[str]:
        """Data sets to suggest: the built-in ones made here and the files chosen before."""
        specs = [self.dataset_combo.itemData(i) for i in range(self.dataset_combo.count())]
        return [s for s in specs if s and (":" in s or (s in SETS and s not in DOWNLOADS))]

    def refresh_fit(self) -> None:
        """Check data and network in a worker thread (files are read whole); a newer check overtakes."""
        if self.network is None:
            return
        from engine.data.fit import check
        self._fit_generation += 1
        generation, spec, data_dir = self._fit_generation, self.dataset_spec(), self.data_dir()
        net, candidates = self.network.copy(), self.candidates()
        relay = self._preview_relay       # the worker holds the relay only, never the panel (see _RELAY_NOTE)

        def work():
            try:
                result = check(spec, net, data_dir, candidates)
            except Exception as e:  # noqa: BLE001 - a fit check must never take the window down
                result = f"The fit could not be checked ({type(e).__name__}: {e})."
            try:
                relay.fit_done.emit(generation, result)
            except RuntimeError:          # the panel was closed meanwhile
                pass
        start_worker(work, "fit")

    def current_fit(self):
        """The fit check of the data and network as they are now, or None while one is under way."""
        if self._fit_timer.isActive() or self.fit_shown != self._fit_generation or isinstance(self.fit, str):
            return None
        return self.fit

    def _show_fit(self, generation: int, fit) -> None:
        if generation != self._fit_generation:
            return
        self.fit_shown = generation
        self.fit = fit
        text = fit if isinstance(fit, str) else fit.text
        ok = getattr(fit, "ok", None)
        colour = "#2a7" if ok else "#c33" if ok is False else "palette(mid)"
        self.fit_label.setStyleSheet(f"color: {colour};")
        self.fit_label.setText(text)
        if ok is not False and self.state is RunState.IDLE and self.progress_label.text() == "Not started.":
            self.message_label.setText("")          # the refusal's cause is gone
            self.progress_label.setText("Not training.")

    def _dataset_activated(self, index: int) -> None:
        text = self.dataset_combo.itemText(index)
        if text not in (OPEN_FILE, OPEN_FOLDER):
            return
        spec = self.ask_for_file() if text == OPEN_FILE else self.ask_for_folder()
        if spec:
            self.add_file_dataset(spec)
        else:                                # cancelled: the data set chosen before stays
            self.dataset_combo.setCurrentIndex(self._last_dataset)

    def ask_for_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Open data", str(folders.start_folder()),
                                              "Data (*.npz *.csv *.txt);;All files (*)")
        folders.remember(path)
        if not path:
            return None
        kind = {".npz": "npz", ".csv": "csv"}.get(Path(path).suffix.lower(), "text")
        return f"{kind}:{path}"

    def ask_for_folder(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder with one sub-folder of images per class",
                                                  str(folders.start_folder()))
        folders.remember(folder)
        return f"folder:{folder}" if folder else None

    # ---- preview --------------------------------------------------------------------------------
    def set_input(self, spec: InputSpec | None, problem: str = "") -> None:
        """The network's Input (or why there is none); the preview follows it."""
        if spec == self.input and problem == self.input_problem:
            return
        self.input, self.input_problem = spec, problem
        self._preview_timer.start()

    def refresh_preview(self) -> None:
        """Show a few samples. Generated sets are made at once; files (a folder of images, an npz,
        the digits) are read in a worker thread, so the window stays responsive."""
        self._preview_generation += 1
        if self.input is None:
            self.preview_busy = False
            self._show_preview_text(self.input_problem or "The network has no usable Input.")
            return
        spec, inp, data_dir, generation = self.dataset_spec(), self.input, self.data_dir(), self._preview_generation
        if spec in MADE_HERE:
            self.preview_busy = False
            self._show_preview(generation, _make_preview(spec, inp, data_dir))
            return
        self.preview_busy = True
        self._show_preview_text("Reading a few samples…")

        relay = self._preview_relay       # the worker holds the relay only, never the panel (see _RELAY_NOTE)

        def work():
            result = _make_preview(spec, inp, data_dir)
            try:
                relay.done.emit(generation, result)
            except RuntimeError:          # the panel was closed meanwhile
                pass
        start_worker(work, "preview")

    def _show_preview(self, generation: int, result) -> None:
        if generation != self._preview_generation:      # an older request, overtaken by a newer one
            return
        self.preview_busy = False
        if isinstance(result, str):
            self._show_preview_text(result)
            return
        kind, examples, description = result
        if kind in TILES and examples:
            draw = TILES[kind]
            tiles = [draw(x) for x, _ in examples]
            sheet = QPixmap(len(tiles) * (TILE + 4), TILE + 16)
            sheet.fill(Qt.GlobalColor.transparent)
            with QPainter(sheet) as p:
                p.setFont(QFont(self.font().family(), 7))
                p.setPen(self.palette().text().color())
                for i, (tile, (_, label)) in enumerate(zip(tiles, examples)):
                    p.drawImage(i * (TILE + 4), 0, tile)
                    p.drawText(i * (TILE + 4), TILE + 12, label[:10])
            self.preview_label.setPixmap(sheet)
            self.preview_text.setText(description)
        else:
            self.preview_label.clear()
            lines = [label for _, label in examples[:4]]
            self.preview_text.setText(description + "\n" + "\n".join(f"“{line}”" for line in lines))

    def _show_preview_text(self, text: str) -> None:
        self.preview_label.clear()
        self.preview_text.setText(text)

    # ---- state from the run model ---------------------------------------------------------------
    def follow(self, run: RunModel) -> None:
        """Mirror a run model: its state enables the buttons, its messages fill the progress lines."""
        self.run = run
        for kind, fn in ((RunEvent.STATE, self._state_changed), (RunEvent.STARTED, self.on_started),
                         (RunEvent.PROGRESS, self.on_progress), (RunEvent.FINISHED, self.on_finished),
                         (RunEvent.FAILED, self.on_failed), (RunEvent.LOG, self.on_log),
                         (RunEvent.CLEARED, self.on_cleared)):
            run.subscribe(kind, fn)

    def on_cleared(self, _reason: str = "") -> None:
        """Another network was opened: the last run's progress and result belonged to the one before."""
        self.progress_bar.setValue(0)
        self.progress_label.setText("")
        self.message_label.setText("")

    def _state_changed(self, state: RunState) -> None:
        self.set_state(state)
        if state is RunState.PAUSED:
            self.on_paused({})

    def set_state(self, state: RunState) -> None:
        """idle, starting, running, paused or stopping: enables the buttons that make sense."""
        self.state = state = RunState(state)
        idle, paused = state is RunState.IDLE, state is RunState.PAUSED
        self.start_button.setEnabled(idle)
        self.pause_button.setEnabled(state is RunState.RUNNING)
        self.resume_button.setEnabled(paused)
        self.stop_button.setEnabled(state in (RunState.STARTING, RunState.RUNNING, RunState.PAUSED))
        self.lr.setEnabled(idle or paused)
        for w in (self.dataset_combo, self.data_dir_row, self.epochs, self.batch_size, self.optimizer, self.weight_decay,
                  self.val_split, self.seed, self.device):
            w.setEnabled(idle)
        if idle:
            self.snapshot_label.setText("")
        if state is RunState.STARTING:
            self.progress_bar.setValue(0)            # not the last run's full bar
            self.progress_label.setText("Starting the training process…")
            self.message_label.setText("")

    def show_snapshot(self, when: float | None = None) -> None:
        stamp = time.strftime("%H:%M", time.localtime(when or time.time()))
        self.snapshot_label.setText(f"Training a snapshot of the network taken at {stamp}; edits apply to the "
                                    f"next run.")

    def _lr_edited(self, value: float) -> None:
        if self.state is RunState.PAUSED:
            self.lr_change_requested.emit(float(value))

    def on_started(self, payload: dict) -> None:
        notes = payload.get("notes") or []
        self.message_label.setText("\n".join(notes))
        self.progress_label.setText(f"Training on {payload.get('device')}: {payload.get('train_samples', 0):,} "
                                    f"samples, {payload.get('params', 0):,} parameters.")

    def on_progress(self, p: dict) -> None:
        total = max(1, p.get("total_steps") or 1)
        self.progress_bar.setValue(int(1000 * p.get("global_step", 0) / total))
        eta = p.get("eta_s")
        left = f" · {_duration(eta)} left" if eta is not None else ""
        loss = p.get("loss")
        self.progress_label.setText(f"epoch {p.get('epoch')} · step {p.get('step')} · "
                                    f"{p.get('samples_per_sec', 0):,.0f} samples/s{left}"
                                    + (f" · loss {loss:.4f}" if loss is not None else ""))

    def on_paused(self, payload: dict) -> None:
        self.progress_label.setText(self.progress_label.text().split(" (paused")[0] + " (paused: the learning rate "
                                    "can be changed)")

    def on_finished(self, result: dict) -> None:
        if result.get("stopped"):
            ckpt = result.get("checkpoint")
            self.message_label.setText("Stopped." + (f" Checkpoint: {ckpt}" if ckpt else ""))
        else:
            self.progress_bar.setValue(1000)
            acc = result.get("val_accuracy")
            self.message_label.setText(f"Finished {result.get('epochs')} epoch(s): validation loss "
                                       f"{_num(result.get('val_loss'))}"
                                       + (f", accuracy {acc:.1%}" if acc is not None else "")
                                       + f". Checkpoint: {result.get('checkpoint')}")

    def on_failed(self, message: str) -> None:
        self.message_label.setText(message)
        self.progress_label.setText("Training stopped.")

    def refuse(self, message: str) -> None:
        """A run that was not started, and why (the network or the data is not ready)."""
        self.message_label.setText(message)
        self.progress_label.setText("Not started.")

    def on_log(self, message: str) -> None:
        if message:
            self.message_label.setText(message)


def _num(v) -> str:
    return "–" if v is None else f"{v:.4f}"


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


class DeviceCombo(QComboBox):
    """auto, then what torch detects (cpu, cuda:N, mps); asks torch when first opened, so building the
    panel never waits for torch to load."""

    def __init__(self, parent=None, devices: list[str] | None = None, run: RunModel | None = None):
        super().__init__(parent)
        self.addItems(["auto", "cpu"])
        self.detected = False
        if devices is not None:
            self.set_devices(devices)

    def set_devices(self, devices: list[str]) -> None:
        current = self.currentText()
        self.clear()
        self.addItems(["auto"] + [d for d in devices if d != "auto"])
        self.setCurrentIndex(max(0, self.findText(current)))
        self.detected = True

    def detect(self) -> None:
        """List what torch sees (imports torch: the app calls this once its background import is done)."""
        if not self.detected:
            from engine.runtime.train_setup import available_devices
            self.set_devices(available_devices())

    def showPopup(self) -> None:
        if "torch" in sys.modules:           # loaded by now (the app imports it in the background)
            self.detect()
        super().showPopup()
