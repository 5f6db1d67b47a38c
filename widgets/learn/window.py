"""The Learn window (Help → Learn): the convolution stepper and the kernel lab as two tabs."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from .kernel_lab import KernelLab
from .stepper_panel import StepperPanel


class LearnWindow(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Learn — Netwright")
        self.setObjectName("learn_window")
        self.stepper = StepperPanel(self)
        self.lab = KernelLab(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.stepper, "Convolution stepper")
        self.tabs.addTab(self.lab, "Kernel lab")
        self.tabs.currentChanged.connect(lambda i: self.tabs.widget(i) is self.lab and self.lab.load_samples())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tabs)
        close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        close.activated.connect(self.close)
        self.resize(1180, 720)

    def show_stepper(self) -> None:
        self.tabs.setCurrentWidget(self.stepper)
        self._raise()

    def show_lab(self) -> None:
        self.tabs.setCurrentWidget(self.lab)
        self._raise()

    def _raise(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
