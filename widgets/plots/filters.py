"""Filters: a convolution's kernels as an image grid (one tile per output channel; a row of input
channels, or RGB where the input has 3 channels) on a symmetric colour scale around zero."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.learn.filter_pick import FilterPicker

from . import theme_scene
from .common import StickyLevels, graphics_layout, image_plot, info_label, note_label, set_image


class FiltersView(QWidget):
    config_requested = Signal(dict)       # {"filters_block": node id}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.choice = QComboBox()
        self.choice.setMinimumWidth(120)
        self.choice.activated.connect(lambda _i: self.config_requested.emit(
            {"filters_block": self.choice.currentText()}))
        self.info = info_label()
        self.levels = StickyLevels()
        self.graphics = graphics_layout()
        self.plot, self.image, self.cbar = image_plot()
        self.rgb_plot, self.rgb_image, _ = image_plot(bar=False)
        self.graphics.addItem(self.plot)
        self.note = note_label("Filters appear here when training starts, for networks with a convolution.")
        top = QHBoxLayout()
        top.addWidget(QLabel("Convolution:"))
        top.addWidget(self.choice)
        top.addWidget(self.info, 1)
        self.picker = FilterPicker(self)         # a filter picked here opens in the kernel lab
        top.addWidget(self.picker.button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.graphics, 1)
        self._rgb = False
        self.clear()

    def clear(self, note: str | None = None) -> None:
        if note:
            self.note.setText(note)
        self.note.show()
        self.graphics.hide()
        self.info.setText("")
        self.picker.clear()

    def show_frame(self, data: dict) -> None:
        choices = list(data.get("choices", []))
        if [self.choice.itemText(i) for i in range(self.choice.count())] != choices:
            self.choice.clear()
            self.choice.addItems(choices)
        if self.choice.currentText() != data["block"]:
            self.choice.setCurrentText(data["block"])
            self.levels = StickyLevels()
        rgb = bool(data.get("rgb"))
        if rgb != self._rgb:
            self.graphics.removeItem(self.rgb_plot if self._rgb else self.plot)
            self.graphics.addItem(self.rgb_plot if rgb else self.plot)
            theme_scene(self.graphics)          # the theme may have changed while it was out
            self._rgb = rgb
        vmax = float(data["vmax"])
        if rgb:
            set_image(self.rgb_image, data["image"], (0.0, 1.0))
            scale = vmax
        else:
            scale = self.levels.symmetric(vmax)[1]
            set_image(self.image, data["image"], (-scale, scale), self.cbar)
        out_ch, in_ch = data["channels"]
        kernel = "×".join(str(k) for k in data["kernel"])
        layout = ("RGB: one tile per output channel" if rgb else
                  "a row per output and input channel, a slice per depth" if len(data["kernel"]) == 3 else
                  "one tile per output channel" if in_ch == 1 or len(data["kernel"]) == 1 else
                  "a row per output channel, a tile per input channel")
        outs, ins = data.get("outputs_shown", out_ch), data.get("inputs_shown", in_ch)
        cut = ""
        if outs < out_ch or ins < in_ch:
            cut = f" (shown: the first {outs} filters" + (f", their first {ins} input channels" if ins < in_ch else "") + ")"
        self.info.setText(f"{out_ch} filters of {in_ch} × {kernel} — {layout}; colour scale ±{scale:.3g} "
                          f"(blue negative, red positive; largest |w| {vmax:.3g}){cut}")
        self.note.hide()
        self.graphics.show()
        self.picker.update(data)
