"""The live views the app docks: tabs for curves, filters, feature maps, gates, weights and outcome,
fed by the training controller's signals, with an overhead meter and the views' on/off and cadence.

Cheap to import: pyqtgraph and the plot views (`widgets.plots`) are imported the first time the
views are shown or get data, so the main window appears without paying for them.

Inputs (slots, usually connected by `attach(controller)`): on_started, on_scalars, on_epoch, on_frame,
on_finished. Output: `views_requested(dict)`, a VIEWS payload for the training process (see
engine/live.py). `set_block(node_id)` shows a block's feature maps (the app wires canvas selection to
it); `set_network(network)` follows edits, so a view of a removed block is cleared with a note.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QMenu, QProgressBar, QSpinBox, QTabWidget,
                               QToolButton, QVBoxLayout, QWidget)

TABS = [("curves", "Curves"), ("filters", "Filters"), ("features", "Feature maps"), ("gates", "LSTM/GRU gates"),
        ("weights", "Weights"), ("outcome", "Outcome")]
REFRESH_MS = 33
CURVES_HZ = 10           # curves need no more: a step's loss is a dot among thousands


def network_hash(network) -> str:
    """Identity of a network's structure (types, parameters, links; not positions or names)."""
    nodes = [[n.id, n.type, n.params] for n in network.nodes.values()]
    edges = [[e.source, e.target] for e in network.edges]
    text = json.dumps([nodes, edges], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class LiveViews(QWidget):
    views_requested = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.views: dict[str, QWidget] = {}
        self.config = {"every_steps": 20, "max_fps": 15.0, "block": None, "probe_index": 0,
                       "filters_block": None, "gates_block": None}
        self.enabled = {name: True for name, _ in TABS}
        self.network = None
        self._block_ids: list[str] | None = None     # the block list the feature view offers
        self.pending = None          # newest frame not shown yet
        self.last_frame = None
        self._curves_drawn = 0.0
        self.run_dir: str | None = None      # the running run's folder (from its STARTED message)
        self.training = False
        self.tabs = QTabWidget()
        for name, title in TABS:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(holder, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.on_box = QCheckBox("Views on")
        self.on_box.setChecked(True)
        self.on_box.setToolTip("Compute live views in the training process (curves always update).")
        self.screen_box = QCheckBox("only the view on screen")
        self.screen_box.setChecked(True)
        self.screen_box.setToolTip("Compute only the view you are looking at, so the others cost nothing.")
        self.every_box = QSpinBox()
        self.every_box.setRange(1, 10000)
        self.every_box.setValue(self.config["every_steps"])
        self.every_box.setPrefix("every ")
        self.every_box.setSuffix(" steps")
        self.fps_box = QSpinBox()
        self.fps_box.setRange(1, 30)
        self.fps_box.setValue(int(self.config["max_fps"]))
        self.fps_box.setPrefix("at most ")
        self.fps_box.setSuffix(" /s")
        self.which_button = self._which_views_button()
        for w in (self.on_box, self.screen_box):
            w.toggled.connect(lambda _on: self._request())
        self.screen_box.toggled.connect(lambda _on: self._follow_switches())
        self.every_box.valueChanged.connect(lambda v: self._request(every_steps=int(v)))
        self.fps_box.valueChanged.connect(lambda v: self._request(max_fps=float(v)))
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setMaximumWidth(90)
        self.meter.setFormat("%p%")
        self.meter.setToolTip("Share of training time spent computing the live views.")
        self.meter_label = QLabel("view overhead")
        self.meter_label.setMinimumWidth(190)        # a fixed room: a new step number does not re-lay out
        bar = QHBoxLayout()
        for w in (self.on_box, self.screen_box, self.which_button, self.every_box, self.fps_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.meter_label)
        bar.addWidget(self.meter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(bar)
        lay.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def _which_views_button(self) -> QToolButton:
        """A menu that switches single views on and off (used when not only the view on screen runs)."""
        button = QToolButton(self)
        button.setText("Which views")
        button.setToolTip("Switch single views on or off; applies when not only the view on screen is computed.")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        self.view_actions = {}
        for name, title in TABS:
            if name == "curves":         # the curves come with every step's scalars, at no cost
                continue
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda on, name=name: self.switch_view(name, on))
            self.view_actions[name] = action
        button.setMenu(menu)
        button.setEnabled(False)         # "only the view on screen" is on at first
        return button

    def switch_view(self, name: str, on: bool) -> None:
        """Compute this view (when every view, not only the one on screen, is computed) or not."""
        self.enabled[name] = on
        if self.view_actions[name].isChecked() != on:
            self.view_actions[name].setChecked(on)
        self._follow_switches()
        self._request()

    def _follow_switches(self) -> None:
        """The menu applies only when every view is computed; a view switched off says so on its tab."""
        every = not self.screen_box.isChecked()
        self.which_button.setEnabled(every)
        for k, (name, title) in enumerate(TABS):
            off = every and not self.enabled[name]
            self.tabs.setTabText(k, f"{title} (off)" if off else title)

    # ------------------------------------------------------------------------------ lazy views
    def ensure_views(self) -> None:
        """Create the plot views (imports pyqtgraph) the first time they are needed."""
        if self.views:
            return
        from .plots.curves import CurvesView
        from .plots.features import FeaturesView
        from .plots.filters import FiltersView
        from .plots.gates import GatesView
        from .plots.outcome import OutcomeView
        from .plots.weights import WeightsView
        classes = {"curves": CurvesView, "filters": FiltersView, "features": FeaturesView, "gates": GatesView,
                   "weights": WeightsView, "outcome": OutcomeView}
        for k, (name, _title) in enumerate(TABS):
            view = classes[name]()
            self.views[name] = view
            self.tabs.widget(k).layout().addWidget(view)
            if hasattr(view, "config_requested"):
                view.config_requested.connect(lambda change: self._request(**change))
        if self.network is not None:
            self._block_ids = list(self.network.nodes)
            self.views["features"].set_blocks(self._block_ids)
        if self.config["block"]:
            self.views["features"].select(self.config["block"])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.views:                 # let the window paint first, then import pyqtgraph
            QTimer.singleShot(150, self.ensure_views_on_screen)

    def ensure_views_on_screen(self) -> None:
        """Create the views once they can be seen (not while their dock is a tab behind another:
        importing pyqtgraph and building six views holds the window for about half a second)."""
        if not self.views and self.isVisible() and not self.visibleRegion().isEmpty():
            self.ensure_views()

    # ---------------------------------------------------------------------------- configuration
    def current_view(self) -> str:
        return TABS[max(0, self.tabs.currentIndex())][0]

    def views_settings(self) -> dict:
        """The VIEWS configuration: what to pass as the run's `live_views` setting and in VIEWS messages."""
        on = self.on_box.isChecked()
        if self.screen_box.isChecked():
            enabled = {name: on and name == self.current_view() for name, _ in TABS}
            enabled["outcome"] = on and self.current_view() in ("outcome", "curves")
        else:
            enabled = {name: on and self.enabled[name] for name, _ in TABS}
        return {"enabled": enabled, **self.config}

    def _request(self, **change) -> None:
        self.config.update(change)
        self.views_requested.emit(self.views_settings())

    def _tab_changed(self, _index: int) -> None:
        self.ensure_views()
        if self.screen_box.isChecked():
            self._request()
        if self.pending is None:
            self.pending = self.last_frame

    def set_block(self, node_id: str | None) -> None:
        """Show this block's activations in the feature-map view (from the canvas selection)."""
        if not node_id:
            return
        if self.views:              # not yet created: ensure_views selects config["block"] when they are
            self.views["features"].select(node_id)
        self._request(block=node_id)

    def set_network(self, network) -> None:
        """Follow this network's edits (blocks removed or renamed clear the views that showed them)."""
        if self.network is not None:
            self.network.unsubscribe(self._network_changed)
        self.network = network
        if network is not None:
            network.subscribe(self._network_changed)
        self._network_changed(None)

    def _network_changed(self, _change) -> None:
        """Runs on every edit: cheap unless blocks were added, removed or renamed."""
        ids = list(self.network.nodes) if self.network is not None else []
        if not self.views or ids == self._block_ids:
            return
        self._block_ids = ids
        features = self.views["features"]
        features.set_blocks(ids)
        for block in {self.config.get("block"), features.shown_block} - {None}:
            if block not in ids:
                features.clear(f"Block '{block}' was removed from the network, so its feature maps are cleared; "
                               "click another block on the canvas to see its activations.")
                features.shown_block = None
                if self.config.get("block") == block:
                    self.config["block"] = None

    # ---------------------------------------------------------------------------- controller
    def attach(self, controller) -> None:
        """Connect a training controller's signals (started, scalars, epoch_finished, frame, finished,
        failed) and, where it has one, its way to send VIEWS messages."""
        pairs = [("started", self.on_started), ("scalars", self.on_scalars), ("epoch_finished", self.on_epoch),
                 ("frame", self.on_frame), ("finished", self.on_finished), ("failed", self.on_finished)]
        for signal, slot in pairs:
            if hasattr(controller, signal):
                getattr(controller, signal).connect(slot)
        if hasattr(controller, "send_views"):
            self.views_requested.connect(controller.send_views)
            controller.send_views(self.views_settings())     # the next run starts with these

    def on_started(self, payload: dict) -> None:
        self.ensure_views()
        key = network_hash(self.network) if self.network is not None else None
        task = payload.get("task")
        metric = "accuracy" if task in ("classification", "text", None) else "metric"
        curves = self.views["curves"]
        self.run_dir = payload.get("run_dir")
        if key is not None and key not in curves.archive and self.run_dir:   # this session's first run of it
            from .run_history import load_earlier
            curves.archive[key] = load_earlier(Path(self.run_dir).parent, key, exclude=self.run_dir)
        curves.start_run(key, metric)
        curves.panels["metric"].plot.setVisible(metric == "accuracy")
        self.views["weights"].start_run()
        self.views["outcome"].start_run()
        self.pending = self.last_frame = None
        self.training = True
        self.timer.start()

    def on_scalars(self, payload: dict) -> None:
        self.ensure_views()
        self.views["curves"].add_scalars(payload)

    def on_epoch(self, payload: dict) -> None:
        self.ensure_views()
        self.views["curves"].add_epoch(payload)

    def on_frame(self, payload: dict) -> None:
        self.pending = payload
        if not self.timer.isActive():
            self.timer.start()

    def on_finished(self, _payload=None) -> None:
        self.training = False
        self.refresh(force_curves=True)
        self.timer.stop()
        curves = self.views.get("curves")
        if self.run_dir and curves is not None and curves.run_key and curves.panels["loss"].smooth.n:
            from .run_history import save_curves
            try:          # the curves of this run, for the next session's comparison
                save_curves(self.run_dir, curves.run_key, curves.metric_name, curves.csv_text())
            except OSError:
                pass      # a full disk or a removed folder costs only the faint curves later
        self.run_dir = None

    # ------------------------------------------------------------------------------- drawing
    def refresh(self, force_curves: bool = False) -> None:
        """Apply the newest frame to the view on screen (called ~30 times a second); the curves,
        whose repaint grows with the run, are redrawn at most CURVES_HZ times a second."""
        self.ensure_views()
        now = time.monotonic()
        if force_curves or now - self._curves_drawn >= 1.0 / CURVES_HZ:
            self._curves_drawn = now
            self.views["curves"].refresh()
        frame, self.pending = self.pending, None
        if frame is None:
            return
        self.last_frame = frame
        overhead = float(frame.get("overhead", 0.0))
        if self.meter.value() != int(round(100 * overhead)):
            self.meter.setValue(int(round(100 * overhead)))
        self.meter_label.setText(f"view overhead (step {frame.get('step', 0)})")
        self.show_frame(frame, self.current_view())

    def show_frame(self, frame: dict, name: str) -> None:
        data = frame.get("views", {}).get(name)
        view = self.views.get(name)
        if view is None or name == "curves":
            return
        if data is None:
            return
        if "note" in data:
            view.clear(data["note"])
        else:
            view.show_frame(data)
