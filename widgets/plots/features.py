"""Feature maps: a probe sample (with its label and the current prediction) and one block's
activations for it: a grid of channel maps, a time × feature heatmap, or a bar per unit."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from widgets.learn.overlay import ReceptiveOverlay

from . import theme_scene
from .common import (DIVERGING, GREY, SEQUENTIAL, StickyLevels, StickyRange, cache_axes, escape, graphics_layout,
                     grid_plot, image_plot, info_label, note_label, set_image, set_title, show_grid)


class FeaturesView(QWidget):
    config_requested = Signal(dict)       # {"block": node id} or {"probe_index": int}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.block_box = QComboBox()
        self.block_box.setMinimumWidth(120)
        self.block_box.activated.connect(self._block_chosen)
        self.index_box = QSpinBox()
        self.index_box.setRange(0, 31)
        self.index_box.valueChanged.connect(lambda v: self.config_requested.emit({"probe_index": int(v)}))
        self.sample_info = QLabel("")
        self.sample_info.setWordWrap(True)
        self.info = info_label()
        self.levels = StickyLevels()
        self._signed = None
        top = QHBoxLayout()
        top.addWidget(QLabel("Block:"))
        top.addWidget(self.block_box)
        top.addWidget(QLabel("Probe sample:"))
        top.addWidget(self.index_box)
        top.addWidget(self.info, 1)
        self.graphics = graphics_layout()
        self.sample_plot, self.sample_image, _ = image_plot("probe sample", GREY, bar=False)
        self.sample_plot.setMaximumWidth(260)
        self.graphics.addItem(self.sample_plot, row=0, col=0)
        self.map_plot, self.map_image, self.map_bar = image_plot("activations")
        self.bar_plot = grid_plot(title="activations")
        self.bar_plot.setLabel("bottom", "unit")
        show_grid(self.bar_plot, y=True)
        cache_axes(self.bar_plot)
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.8, brush="#1f77b4")
        self.bar_y = StickyRange(self.bar_plot, "y")
        self.bar_plot.enableAutoRange(axis="x", enable=False)
        self.bar_count = None           # the x range spans exactly the bars (a block's unit count is fixed)
        self.bar_plot.addItem(self.bars)
        self._shown = None
        self.shown_block = None
        self._stored = {}            # node id -> its maps from the run's last frame (every block)
        self._final = None           # that last frame
        self.note = note_label("Feature maps appear here when training starts. Click a block on the canvas "
                               "to see its activations.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.sample_info)
        lay.addWidget(self.note)
        lay.addWidget(self.graphics, 1)
        self.graphics.hide()
        self.receptive = ReceptiveOverlay(self)     # click a unit: its receptive field on the probe image

    def set_blocks(self, node_ids: list[str]) -> None:
        current = self.block_box.currentText()
        self.block_box.blockSignals(True)
        self.block_box.clear()
        self.block_box.addItems(node_ids)
        if current in node_ids:
            self.block_box.setCurrentText(current)
        self.block_box.blockSignals(False)

    def select(self, node_id: str) -> None:
        """Pick a block of the chooser (a block not in the network, such as one removed since the run
        started, is never added back); after a run its maps from the run's last frame show at once."""
        self._set_box(node_id)
        self._show_stored()

    def _set_box(self, node_id: str) -> None:
        index = self.block_box.findText(node_id)
        if index >= 0:
            self.block_box.setCurrentIndex(index)

    def _block_chosen(self, _index: int) -> None:
        self._show_stored()
        self.config_requested.emit({"block": self.block_box.currentText()})

    def _show_stored(self) -> None:
        data = self._stored.get(self.block_box.currentText())
        if data is not None and data["block"] != self.shown_block:
            self._draw(data)

    def clear(self, note: str) -> None:
        """Only the note: nothing of the frame shown before (its probe sample, label and range) stays."""
        self._final, self._stored = None, {}
        self.note.setText(note)
        self.note.show()
        self._swap(None)
        self.graphics.hide()
        self.info.setText("")
        self.sample_info.setText("")

    def _swap(self, plot) -> None:
        if plot is self._shown:
            return
        if self._shown is not None:
            self.graphics.removeItem(self._shown)
        if plot is not None:
            self.graphics.addItem(plot, row=0, col=1)
            theme_scene(self.graphics)          # the theme may have changed while it was out
        self._shown = plot

    def show_frame(self, data: dict) -> None:
        """A frame of the run. The run's last frame holds every block's maps: they are kept, so a block
        picked after the run (in the chooser or on the canvas) shows at once."""
        if "by_block" in data:
            if data is self._final:          # shown again (a tab switch): keep the block picked since
                data = self._stored.get(self.block_box.currentText(), data)
            else:
                self._final = data
                self._stored = {data["block"]: {k: v for k, v in data.items() if k != "by_block"},
                                **data["by_block"]}
        else:
            self._final, self._stored = None, {}
        self._draw(data)

    def _draw(self, data: dict) -> None:
        self.graphics.show()
        self._show_sample(data.get("sample", {}))
        if self.block_box.currentText() != data["block"]:
            self._set_box(data["block"])
        if data.get("missing"):
            self.note.setText(f"Block '{data['block']}' is not in the running network (it was removed or added "
                              f"after the run started); pick another block or start a new run.")
            self.note.show()
            self._swap(None)
            return
        self.note.hide()
        shape = "×".join(str(s) for s in data["shape"])
        lo, hi = data["range"]
        kind = data["kind"]
        if kind == "vector":
            values = np.asarray(data["values"], np.float32)
            self.bars.setOpts(x=np.arange(len(values)), height=values, width=0.8)
            set_title(self.bar_plot, f"{data['block']}: {len(values)} units")
            self.bar_y.update(min(0.0, lo), max(0.0, hi))
            if len(values) != self.bar_count:
                self.bar_count = len(values)
                self.bar_plot.setXRange(-0.5, len(values) - 0.5, padding=0)
            self._swap(self.bar_plot)
            self.info.setText(f"output {shape}; values {lo:.3g} … {hi:.3g}")
            self.shown_block = data["block"]
            self.receptive.update(data)
            return
        signed = lo < 0
        if signed != self._signed or data["block"] != self.shown_block:
            self._signed = signed
            self.levels = StickyLevels()
            self.map_image.setColorMap(DIVERGING if signed else SEQUENTIAL)
            self.map_bar.setColorMap(DIVERGING if signed else SEQUENTIAL)
        levels = self.levels.symmetric(max(-lo, hi)) if signed else self.levels.upper(hi)
        set_image(self.map_image, data["image"], levels, self.map_bar)
        if kind == "maps":
            set_title(self.map_plot, f"{data['block']}: one map per channel")
            self.map_plot.setAspectLocked(True)
            self.info.setText(f"output {shape} (channels × height × width); values {lo:.3g} … {hi:.3g}")
        elif kind == "volume":
            channels, depth = data["shown"]
            set_title(self.map_plot, f"{data['block']}: a row per channel, a slice per depth")
            self.map_plot.setAspectLocked(True)
            more = "" if [channels, depth] == data["shape"][:2] else f"; first {channels} channels × {depth} slices shown"
            self.info.setText(f"output {shape} (channels × depth × height × width){more}; values {lo:.3g} … "
                              f"{hi:.3g}")
        else:
            rows, cols = data.get("axes", ["time", "feature"])
            set_title(self.map_plot, f"{data['block']}: {rows} (down) × {cols} (across)")
            self.map_plot.setAspectLocked(False)
            self.info.setText(f"output {shape} ({rows} × {cols}); values {lo:.3g} … {hi:.3g}")
        self._swap(self.map_plot)
        self.shown_block = data["block"]
        self.receptive.update(data)

    def _show_sample(self, sample: dict) -> None:
        if not sample:
            return
        if sample.get("count") and self.index_box.maximum() != sample["count"] - 1:
            self.index_box.blockSignals(True)
            self.index_box.setMaximum(sample["count"] - 1)
            self.index_box.blockSignals(False)
        if self.index_box.value() != sample.get("index", 0):
            self.index_box.blockSignals(True)
            self.index_box.setValue(int(sample.get("index", 0)))
            self.index_box.blockSignals(False)
        right = sample.get("label") == sample.get("prediction")
        colour = "#2a7" if right else "#c33"
        text = f"label <b>{sample.get('label', '')}</b> — prediction <b style='color:{colour}'>" \
               f"{sample.get('prediction', '')}</b>"
        if "text" in sample:
            text = f"text: <tt>{escape(sample['text'][:120])}</tt><br>" + text
        if self.sample_info.text() != text:
            self.sample_info.setText(text)
        image = sample.get("image")
        if image is None and sample.get("sequence") is not None:
            image = np.asarray(sample["sequence"], np.float32)
            lo, hi = float(image.min()), float(image.max())
            image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
        self.sample_plot.setVisible(image is not None)
        if image is not None:
            set_image(self.sample_image, image, (0.0, 1.0))
