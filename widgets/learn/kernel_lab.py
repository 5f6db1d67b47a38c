"""The kernel lab: a kernel (a preset, typed values, or a learned filter from the Filters view) applied to
a picture (built in, a sample of the current data set, or the probe image), the result beside it on a
colour scale centred on zero."""
from __future__ import annotations

from fractions import Fraction
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget)

from engine.runtime.kernels import (PRESET_TEXT, PRESETS, apply_kernel, builtin_picture, parse_kernel)
from widgets.plots.common import DIVERGING, GREY, image_plot, set_image

BUILT_IN = "Built-in picture (edges and texture)"
TYPED = "Typed values"


def kernel_text(kernel: np.ndarray) -> str:
    """The kernel's values, one row per line (channels separated by a blank line)."""
    k = np.asarray(kernel, np.float64)
    blocks = k if k.ndim == 3 else k[None]
    return "\n\n".join("\n".join("  ".join(_short(v) for v in row) for row in block) for block in blocks)


def _short(v: float) -> str:
    """Whole numbers as they are, simple fractions as 1/9 (exact when read back), others to 6 digits."""
    v = float(v)
    if v.is_integer():
        return str(int(v))
    f = Fraction(v).limit_denominator(64)
    if f.numerator / f.denominator == v:
        return f"{f.numerator}/{f.denominator}"
    return f"{v:.6g}"


def parse_channels(text: str) -> np.ndarray:
    """Blocks of rows separated by blank lines are the input channels of one filter."""
    blocks = [b for b in text.replace("\r", "").split("\n\n") if b.strip()]
    arrays = [parse_kernel(b) for b in blocks] or [parse_kernel(text)]
    if len(arrays) == 1:
        return arrays[0]
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError("every channel of the kernel needs the same size")
    return np.stack(arrays)


class KernelLab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.sources: dict[str, np.ndarray] = {BUILT_IN: builtin_picture()}
        self.sample_provider = None        # () -> [(name, image (C, H, W) or (H, W))], the data set's samples
        self.source_box = QComboBox()
        self.source_box.addItem(BUILT_IN)
        self.source_box.activated.connect(lambda _i: self.refresh())
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(PRESETS) + [TYPED])
        self.preset_box.activated.connect(lambda _i: self._preset_chosen())
        self.editor = QPlainTextEdit()
        self.editor.setMaximumHeight(140)
        self.editor.setToolTip("One row per line, numbers separated by spaces or commas (1/9 allowed); "
                               "channels of a filter separated by a blank line")
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(250)
        self._typing.timeout.connect(self.refresh)
        self.editor.textChanged.connect(self._edited)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.in_plot, self.in_image, _ = image_plot("input", GREY, bar=False)
        self.out_plot, self.out_image, self.out_bar = image_plot("kernel applied", DIVERGING)
        self.graphics.addItem(self.in_plot, row=0, col=0)
        self.graphics.addItem(self.out_plot, row=0, col=1)
        self.output: np.ndarray | None = None
        self.input: np.ndarray | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel("Picture:"))
        top.addWidget(self.source_box, 1)
        top.addWidget(QLabel("Kernel:"))
        top.addWidget(self.preset_box, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.editor)
        lay.addWidget(self.message)
        lay.addWidget(self.graphics, 1)
        self._loading = False
        self.set_preset("Edge detection")

    # ---- kernel
    def set_preset(self, name: str) -> None:
        self.preset_box.setCurrentText(name)
        self._set_text(kernel_text(np.array(PRESETS[name])) if name in PRESETS else self.editor.toPlainText())

    def set_kernel(self, kernel, name: str) -> None:
        """A learned filter (kh, kw) or (C, kh, kw): shown as typed values under its name."""
        if self.preset_box.findText(name) < 0:
            self.preset_box.insertItem(self.preset_box.count() - 1, name)
        self.learned = {**getattr(self, "learned", {}), name: np.asarray(kernel, np.float64)}
        self.preset_box.setCurrentText(name)
        self._set_text(kernel_text(kernel))

    def _preset_chosen(self) -> None:
        name = self.preset_box.currentText()
        if name in PRESETS:
            self.set_preset(name)
        elif name in getattr(self, "learned", {}):
            self._set_text(kernel_text(self.learned[name]))

    def _set_text(self, text: str) -> None:
        self._loading = True
        self.editor.setPlainText(text)
        self._loading = False
        self.refresh()

    def _edited(self) -> None:
        if self._loading:
            return
        if self.preset_box.currentText() != TYPED:
            self.preset_box.setCurrentText(TYPED)
        self._typing.start()

    # ---- pictures
    def add_picture(self, name: str, image) -> None:
        self.sources[name] = np.asarray(image, np.float32)
        if self.source_box.findText(name) < 0:
            self.source_box.addItem(name)

    def load_samples(self) -> None:
        """Ask the provider for samples of the current data set (quietly nothing when there is none)."""
        if self.sample_provider is None:
            return
        try:
            samples = self.sample_provider()
        except Exception as e:           # noqa: BLE001 - a data set that cannot be previewed: say so, keep the rest
            self.message.setText(f"The current data set's samples are not available: {escape(str(e))}")
            return
        for name, image in samples:
            self.add_picture(name, image)

    def choose_picture(self, name: str) -> None:
        self.source_box.setCurrentText(name)
        self.refresh()

    # ---- result
    def refresh(self) -> None:
        self._typing.stop()
        picture = self.sources.get(self.source_box.currentText(), self.sources[BUILT_IN])
        try:
            text, learned = self.editor.toPlainText(), getattr(self, "learned", {}).get(self.preset_box.currentText())
            exact = learned is not None and text == kernel_text(learned)      # the weights, not their rounded text
            kernel = learned if exact else parse_channels(text)
            image = picture if picture.ndim == 2 or kernel.ndim == 3 else picture.mean(axis=0)
            out = apply_kernel(image, kernel)
        except ValueError as e:
            self.message.setText(f"<span style='color:#c33'>{escape(str(e))}</span>")
            return
        self.input, self.output = image, out
        shown = image if image.ndim == 2 else (image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0)))
        lo, hi = float(np.min(shown)), float(np.max(shown))
        set_image(self.in_image, (shown - lo) / (hi - lo) if hi > lo and shown.ndim == 3 else shown, (lo, hi))
        scale = float(np.abs(out).max()) or 1.0
        set_image(self.out_image, out, (-scale, scale), self.out_bar)
        name = self.preset_box.currentText()
        what = PRESET_TEXT.get(name, "")
        k = kernel.shape[-2:]
        self.message.setText(f"{escape(name)}{' = ' + escape(what) if what else ''}: a {k[0]}×{k[1]} kernel slid over "
                             f"the picture as a Conv2d (no bias, zeros padded to keep the size); output values (blue < 0 < red) "
                             f"{float(out.min()):.3g} … {float(out.max()):.3g}.")
