"""The live views the app docks: tabs for curves, filters, feature maps, gates, weights and outcome,
with an overhead meter and the views' on/off and cadence. They mirror the run model (engine/runtime/run_model.py)
they are given and follow the network they show; nothing pushes data into them from outside.

Cheap to import: pyqtgraph and the plot views (`widgets.plots`) are imported the first time the
views are shown or get data, so the main window appears without paying for them.

Each view is one entry of WIDGETS (name → tab title and widget class), keyed by engine.runtime.live.View, whose
compute functions are the engine's side of the same names. A view that comes on screen shows the
newest data the run model holds for it at once; the one on screen follows the run at its cadence.
Output: `views_requested(dict)`, a VIEWS payload for the training process (see engine/runtime/live.py).
`set_block(node_id)` shows a block's feature maps (the app wires canvas selection to it);
`set_network(network)` follows edits, so a view of a removed block is cleared with a note and a removed
block leaves every chooser.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QTimer, Signal
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.protocol import View
from engine.runtime.run_model import RunEvent, RunModel

# name → (tab title, "module:class" under widgets.plots), imported when first shown
WIDGETS = {View.CURVES: ("Curves", "curves:CurvesView"), View.FILTERS: ("Filters", "filters:FiltersView"),
           View.FEATURES: ("Feature maps", "features:FeaturesView"), View.GATES: ("LSTM/GRU gates", "gates:GatesView"),
           View.WEIGHTS: ("Weights", "weights:WeightsView"), View.OUTCOME: ("Outcome", "outcome:OutcomeView")}
TABS = [(name, title) for name, (title, _) in WIDGETS.items()]
REFRESH_MS = 33
PAGE_SETTLE_S = 0.5         # a hidden page is painted ahead of its first visit once the page size holds this long
WARM_BANDS = 4              # in this many bands, one per refresh
OTHER_NETWORK = ("Another network was opened: these views showed the run of the one before. Train this network "
                 "to see its own.")


def structure_key(network) -> str:
    """Identity of a network's structure (ids, types, parameters, links; not positions or the name): runs
    with the same key show each other's curves. Not the run manifest's file digest (engine.runtime.runs)."""
    nodes = [[n.id, n.type, n.params] for n in network.nodes.values()]
    edges = [[e.source, e.target] for e in network.edges]
    text = json.dumps([nodes, edges], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def widget_class(name: str):
    module, _, cls = WIDGETS[name][1].partition(":")
    return getattr(importlib.import_module(f"widgets.plots.{module}"), cls)


class LiveViews(QWidget):
    views_requested = Signal(dict)
    open_in_lab = Signal(str, object)       # (name, weights) of a learned filter picked in the Filters view

    def __init__(self, run: RunModel | None = None, network=None, parent=None):
        super().__init__(parent)
        self.views: dict[str, QWidget] = {}
        self.config = {"every_steps": 20, "max_fps": 15.0, "block": None, "probe_index": 0,
                       "filters_block": None, "gates_block": None}
        self.enabled = {name: True for name in WIDGETS}
        self.network = None
        self._shown: dict[str, int] = {}      # view → serial of the frame it shows
        self._frames_shown: dict[str, int] = {}   # view → how many frames it has drawn (for tests and the meter)
        self._dirty = False                   # the run model holds frames not drawn yet
        self._warmed: dict[str, tuple] = {}   # view → (page size, steps done) of painting its hidden page ahead
        self._page_size, self._page_size_since = None, 0.0
        self.run_dir: str | None = None      # the running run's folder (from its STARTED message)
        self.training = False
        self._build()
        self.run = None
        self.follow(run if run is not None else RunModel())
        if network is not None:
            self.set_network(network)

    def _build(self) -> None:
        self.tabs = QTabWidget()
        for _name, title in TABS:
            holder = QWidget()
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(holder, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.on_box = QCheckBox("Views on")
        self.on_box.setChecked(True)
        self.on_box.setToolTip("Compute live views in the training process (curves always update).")
        self.screen_box = QCheckBox("only the view on screen")
        self.screen_box.setChecked(True)
        self.screen_box.setToolTip("Compute only the view you are looking at while training, so the others cost "
                                   "nothing; every view gets a last frame when the run ends.")
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
            if name == View.CURVES:         # the curves come with every step's scalars, at no cost
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
        for k, (name, _title) in enumerate(TABS):
            view = widget_class(name)()
            self.views[name] = view
            self.tabs.widget(k).layout().addWidget(view)
            if hasattr(view, "config_requested"):
                view.config_requested.connect(lambda change: self._request(**change))
            if hasattr(view, "picker"):       # Filters: "Open in kernel lab"
                view.picker.open_requested.connect(self.open_in_lab)
        self._follow_blocks(force=True)
        if self.config["block"]:
            self.views[View.FEATURES].select(self.config["block"])
        self._dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.views:                 # let the window paint first, then import pyqtgraph
            QTimer.singleShot(150, self.ensure_views_on_screen)

    def ensure_views_on_screen(self) -> None:
        """Create the views once they can be seen (not while their dock is a tab behind another:
        importing pyqtgraph and building six views holds the window for about half a second)."""
        if not self.views and self.isVisible() and not self.visibleRegion().isEmpty():
            self.ensure_views()
            self.refresh()

    # ---------------------------------------------------------------------------- configuration
    def current_view(self) -> View:
        return TABS[max(0, self.tabs.currentIndex())][0]

    def views_settings(self) -> dict:
        """The VIEWS configuration: what to pass as the run's `live_views` setting and in VIEWS messages."""
        on = self.on_box.isChecked()
        if self.screen_box.isChecked():
            enabled = {name: on and name == self.current_view() for name in WIDGETS}
            enabled[View.OUTCOME] = on and self.current_view() in (View.OUTCOME, View.CURVES)
            final = None                               # every view gets the run's last frame
        else:
            enabled = {name: on and self.enabled[name] for name in WIDGETS}
            final = [name for name, v in enabled.items() if v and name != View.CURVES]
        return {"enabled": {str(k): v for k, v in enabled.items()}, **self.config, "final": final}

    def _request(self, **change) -> None:
        self.config.update(change)
        self.views_requested.emit(self.views_settings())

    def _tab_changed(self, _index: int) -> None:
        """Another view on screen: it shows the newest data the run holds for it at once, and the run is
        asked for a fresh frame of it."""
        self.ensure_views()
        if self.screen_box.isChecked():
            self._request()
        self._show(self.current_view())

    def set_block(self, node_id: str | None) -> None:
        """Show this block's activations in the feature-map view (from the canvas selection)."""
        if not node_id:
            return
        if self.views:              # not yet created: ensure_views selects config["block"] when they are
            self.views[View.FEATURES].select(node_id)
        self._request(block=node_id)

    # ---------------------------------------------------------------------------------- network
    def set_network(self, network) -> None:
        """Follow this network's edits (blocks removed or renamed leave the choosers and clear the views
        that showed them)."""
        if self.network is not None:
            self.network.unsubscribe(self._network_changed)
        self.network = network
        if network is not None:
            network.subscribe(self._network_changed)
        self._follow_blocks()

    def block_ids(self) -> list[str]:
        return list(self.network.nodes) if self.network is not None else []

    def _network_changed(self, _change) -> None:
        self._follow_blocks()

    def _follow_blocks(self, force: bool = False) -> None:
        """The choosers offer the network's blocks, read from the network each time (no copy to go stale);
        cheap unless blocks were added, removed or renamed."""
        if not self.views:
            return
        ids = self.block_ids()
        features, filters = self.views[View.FEATURES], self.views[View.FILTERS]
        if not force and ids == [features.block_box.itemText(i) for i in range(features.block_box.count())]:
            return
        features.set_blocks(ids)
        for block in {self.config.get("block"), features.shown_block} - {None}:
            if block not in ids:
                features.clear(f"Block '{block}' was removed from the network, so its feature maps are cleared; "
                               "click another block on the canvas to see its activations.")
                features.shown_block = None
                if self.config.get("block") == block:
                    self.config["block"] = None
        for k in reversed(range(filters.choice.count())):
            if filters.choice.itemText(k) not in ids:
                filters.choice.removeItem(k)
        for key in ("filters_block", "gates_block"):      # a block gone: the next run shows its first one
            if self.config.get(key) not in ids:
                self.config[key] = None

    # ------------------------------------------------------------------------------- run model
    def follow(self, run: RunModel) -> None:
        """Mirror this run model from now on."""
        if self.run is not None:
            for kind, fn in self._listeners():
                self.run.unsubscribe(kind, fn)
        self.run = run
        for kind, fn in self._listeners():
            run.subscribe(kind, fn)

    def _listeners(self):
        return [(RunEvent.STARTED, self._started), (RunEvent.SCALARS, self._scalars), (RunEvent.EPOCH, self._epoch),
                (RunEvent.FRAME, self._frame), (RunEvent.FINISHED, self._ended), (RunEvent.FAILED, self._ended),
                (RunEvent.CLEARED, self._cleared)]

    def attach(self, controller) -> None:
        """Mirror a training controller's run model and send it the VIEWS configuration."""
        self.follow(controller.run)
        self.views_requested.connect(controller.send_views)
        controller.send_views(self.views_settings())     # the next run starts with these

    def _started(self, payload: dict) -> None:
        self.ensure_views()
        key = structure_key(self.network) if self.network is not None else None
        task = payload.get("task")
        metric = "accuracy" if task in ("classification", "text", None) else "metric"
        curves = self.views[View.CURVES]
        self.run_dir = payload.get("run_dir")
        if key is not None and key not in curves.archive and self.run_dir:   # this session's first run of it
            from .run_history import load_earlier
            curves.archive[key] = load_earlier(Path(self.run_dir).parent, key, exclude=self.run_dir)
        curves.start_run(key, metric)
        curves.panels["metric"].plot.setVisible(metric == "accuracy")
        self.views[View.WEIGHTS].start_run()
        self.views[View.OUTCOME].start_run()
        self._shown, self._frames_shown, self._warmed = {}, {}, {}
        self.training = True
        self.timer.start()

    def _scalars(self, payload: dict) -> None:
        self.ensure_views()
        self.views[View.CURVES].add_scalars(payload)

    def _epoch(self, payload: dict) -> None:
        self.ensure_views()
        self.views[View.CURVES].add_epoch(payload)

    def _frame(self, _frame: dict) -> None:
        self._dirty = True
        if not self.training:          # the run's last frame comes after its end: draw it now
            self.refresh()

    def _ended(self, _payload=None) -> None:
        self.training = False
        self.refresh(force_curves=True)
        self.timer.stop()
        curves = self.views.get(View.CURVES)
        if self.run_dir and curves is not None and curves.run_key and curves.panels["loss"].smooth.n:
            from .run_history import save_curves
            try:          # the curves of this run, for the next session's comparison
                save_curves(self.run_dir, curves.run_key, curves.metric_name, curves.csv_text())
            except OSError:
                pass      # a full disk or a removed folder costs only the faint curves later
        self.run_dir = None

    def _cleared(self, reason: str) -> None:
        """Another network: nothing of the previous one's run stays on screen."""
        self._shown, self._frames_shown, self._warmed = {}, {}, {}
        self.meter.setValue(0)
        self.meter_label.setText("view overhead")
        if not self.views:
            return
        self.views[View.CURVES].clear(reason or OTHER_NETWORK)
        self.views[View.WEIGHTS].start_run()
        self.views[View.OUTCOME].start_run()
        for name in WIDGETS:
            if name != View.CURVES:
                self.views[name].clear(reason or OTHER_NETWORK)
        self._follow_blocks(force=True)

    # ------------------------------------------------------------------------------- drawing
    def refresh(self, force_curves: bool = False) -> None:
        """Draw what is new (called ~30 times a second during a run): the view on screen gets the run
        model's newest frame for it; the curves, whose repaint grows with the run, redraw one plot at a
        time, each at most CurvesView.REDRAW_HZ times a second, while they are on screen (and all of
        them at the end of a run)."""
        self.ensure_views()
        if force_curves:
            self.views[View.CURVES].refresh()
        elif self.current_view() == View.CURVES and self.isVisible():
            # off screen the curves wait: plots given new data while hidden computed their paths in the
            # first paint after the tab was opened, both at once (35–50 ms); kept as last drawn, the tab
            # opens within one ordinary repaint and the plots catch up one per refresh
            self.views[View.CURVES].refresh(now=time.monotonic())
        if self._dirty:
            self._dirty = False
            run = self.run
            if run.frame_step is not None:
                percent = int(round(100 * run.overhead))
                if self.meter.value() != percent:
                    self.meter.setValue(percent)
                self.meter_label.setText(f"view overhead (step {run.frame_step})")
            self._show(self.current_view())
        self._prepare_hidden()

    def _prepare_hidden(self) -> None:
        """One view off screen is got ready for its tab's first visit, one small step per refresh: a view
        that holds data draws its newest frame (the plot items a first frame makes, such as the Weights
        view's line and legend entry per layer, 30 ms and more); then every page off screen, with data or
        not, is laid out at the size of the page on screen and painted off screen, a band at a time. (An
        unseen page is laid out at 640×480: its first visit laid it out again and painted it whole, at the
        real size, with each plot's lazy work on its first paint, and held the window for 20–35 ms more. In
        one step the same work held it for 50 ms at the start of a run.) With the tab opened after that,
        the window shows it within one ordinary repaint. Nothing is done while the views cannot be seen
        (their dock closed or behind another): the size they will have is not known."""
        if not self.isVisible():
            return
        current = self.current_view()
        size = self.tabs.currentWidget().size()
        if size.isEmpty():
            return
        if size != self._page_size:                  # a dock being resized: wait until the size settles
            self._page_size, self._page_size_since = size, time.monotonic()
            return
        settled = time.monotonic() - self._page_size_since >= PAGE_SETTLE_S
        for k, name in enumerate(WIDGETS):
            if name == current:
                continue
            if name not in self._shown and self.run.frame_of(name) is not None:
                self._show(name)
                self._warmed.pop(name, None)          # painted ahead again, with its data
                return
            warmed_size, done = self._warmed.get(name, (None, 0))
            if warmed_size != size:
                done = 0
            if settled and done <= WARM_BANDS:
                self._warm_step(self.tabs.widget(k), size, done)
                self._warmed[name] = (size, done + 1)
                return

    @staticmethod
    def _warm_step(page: QWidget, size, step: int) -> None:
        """Step 0 lays the page out at `size` (a 1×1 render delivers its pending resize); step b ≥ 1
        paints band b of WARM_BANDS into an image nobody sees."""
        if step == 0:
            page.resize(size)
            rect = QRect(0, 0, 1, 1)
        else:
            top, height = (step - 1) * size.height() // WARM_BANDS, -(-size.height() // WARM_BANDS)
            rect = QRect(0, top, size.width(), height)
        image = QImage(rect.size(), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        page.render(image, QPoint(0, 0), QRegion(rect))

    def _show(self, name: str) -> None:
        """Give this view the run model's newest data for it, if it does not show that already."""
        view, frame = self.views.get(name), self.run.frame_of(name) if self.run is not None else None
        if view is None or frame is None or self._shown.get(name) == frame.serial:
            return
        self._shown[name] = frame.serial
        self._frames_shown[name] = self._frames_shown.get(name, 0) + 1
        data = frame.data
        if "note" in data:
            view.clear(data["note"])
            return
        if name == View.FILTERS and self.network is not None:      # the chooser offers only blocks still there
            ids = self.block_ids()
            if data.get("block") not in ids:
                view.clear(f"Block '{data.get('block')}' was removed from the network, so its filters are not "
                           f"shown; pick another convolution.")
                return
            data = dict(data, choices=[c for c in data.get("choices", []) if c in ids])
        view.show_frame(data)

    def frames_shown(self, name: str) -> int:
        """How many frames this view has drawn since the run started."""
        return self._frames_shown.get(name, 0)

    @property
    def last_frame(self) -> dict | None:
        """The newest frame's views, as the run model holds them (for tests and scripts)."""
        if self.run is None or not self.run.latest:
            return None
        return {"step": self.run.frame_step, "views": {n: f.data for n, f in self.run.latest.items()}}
