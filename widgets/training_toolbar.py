"""The training toolbar: Start / Pause / Stop, the data set, the epochs and the run's progress, always
in view above the canvas. It holds no state of its own: the buttons are the Training menu's actions
(enabled exactly when the panel's buttons are), the data set list is the panel's list, and the
epochs and progress follow the panel's fields both ways."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QSizePolicy, QSpinBox, QToolBar, QWidget

from engine.runtime.protocol import RunState


class TrainingToolbar(QToolBar):
    def __init__(self, panel, actions, parent=None):
        """`panel`: the TrainingPanel; `actions`: the Training menu's Start/Resume, Pause and Stop."""
        super().__init__("Training", parent)
        self.setObjectName("training_toolbar")
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.panel = panel
        self.buttons = []
        for action, text in zip(actions, ("Start", "Pause", "Stop")):
            self.buttons.append(self._proxy(action, text))
        self.addSeparator()
        self.addWidget(QLabel(" Data ", self))
        self.dataset = QComboBox(self)
        self.dataset.setModel(panel.dataset_combo.model())
        self.dataset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset.setMinimumContentsLength(10)
        self.dataset.setToolTip("The data set to train on (the Training panel has its options)")
        self.addWidget(self.dataset)
        self.addWidget(QLabel("  Epochs ", self))
        self.epochs = QSpinBox(self)
        self.epochs.setRange(panel.epochs.minimum(), panel.epochs.maximum())
        self.epochs.setMinimumWidth(64)
        self.epochs.setToolTip("How many passes over the training data")
        self.addWidget(self.epochs)
        spacer = QWidget(self)
        spacer.setFixedWidth(10)
        self.addWidget(spacer)
        self.progress = QProgressBar(self)
        self.progress.setMinimumWidth(120)
        self.progress.setMaximumWidth(260)
        self.progress.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.progress.setTextVisible(True)
        self.addWidget(self.progress)
        self.progress_text = QLabel("", self)
        self.progress_text.setMinimumWidth(48)
        self.addWidget(self.progress_text)
        self._follow_panel()
        panel.dataset_combo.currentIndexChanged.connect(lambda _i: self._follow_panel())
        panel.epochs.valueChanged.connect(lambda _v: self._follow_panel())
        panel.progress_bar.valueChanged.connect(lambda _v: self._follow_panel())
        self.dataset.activated.connect(self._pick_dataset)
        self.epochs.valueChanged.connect(panel.epochs.setValue)

    def _proxy(self, action: QAction, text: str) -> QAction:
        """A short-labelled button that presses the menu's action and is enabled when it is."""
        proxy = QAction(action.icon(), text, self)
        proxy.setToolTip(f"{action.text().replace('&', '')} ({action.shortcut().toString()})")
        proxy.triggered.connect(action.trigger)

        def follow():
            proxy.setEnabled(action.isEnabled())
            proxy.setIcon(action.icon())
        action.changed.connect(follow)
        follow()
        self.addAction(proxy)
        return proxy

    def _pick_dataset(self, index: int) -> None:
        """Choosing here is choosing in the panel (which may ask for a file or folder)."""
        combo = self.panel.dataset_combo
        if combo.currentIndex() != index:
            combo.setCurrentIndex(index)
        combo.activated.emit(index)
        self._follow_panel()

    def _follow_panel(self) -> None:
        p = self.panel
        with QSignalBlocker(self.dataset):
            self.dataset.setCurrentIndex(p.dataset_combo.currentIndex())
        with QSignalBlocker(self.epochs):
            self.epochs.setValue(p.epochs.value())
        self.epochs.setEnabled(p.epochs.isEnabled())
        self.dataset.setEnabled(p.dataset_combo.isEnabled())
        bar = p.progress_bar
        self.progress.setRange(bar.minimum(), bar.maximum())
        self.progress.setValue(bar.value())
        done = (bar.value() - bar.minimum()) / max(1, bar.maximum() - bar.minimum())
        self.progress_text.setText(f" {done:.0%}" if bar.value() > bar.minimum() else "")
        self.progress.setFormat("Not training" if p.state is RunState.IDLE and bar.value() == bar.minimum() else "")

    def follow_state(self, _state=None) -> None:
        """After the panel followed a state change (fields are locked during a run)."""
        self._follow_panel()
