"""The live views during a short real training run (engine.runtime.trainer in-process, its messages routed to
the views as the controller would): every view shows data, keeps working across runs and network
edits, and a view of a removed block is cleared with a note."""
import subprocess
import sys

import numpy as np
import pytest

import engine
from engine.runtime import protocol
from engine.runtime.live import LiveCallback
from engine.runtime.trainer import Trainer, TrainSettings
from test_live_support import CHAR_LSTM, CNN, shapes_dataset, text_dataset

pytest.importorskip("pytestqt")
# Qt's offscreen platform (used in tests) says this on every top-level show; it is not about our views.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
ALL_ON = {"every_steps": 2, "max_fps": 1000, "budget": 1.0}


def train_into(views, network, dataset, epochs=2, live=None, **settings):
    """Train for real, sending each message to the views' slots as the training controller does."""
    live = live or LiveCallback(ALL_ON, network)
    slots = {protocol.STARTED: views.run.on_started, protocol.SCALARS: views.run.on_scalars,
             protocol.EPOCH: views.run.on_epoch, protocol.FRAME: views.run.on_frame, protocol.DONE: views.run.on_finished}
    frames = []

    def emit(kind, payload):
        if kind == protocol.FRAME:
            frames.append(payload)
        if kind in slots:
            slots[kind](payload)

    s = TrainSettings(epochs=epochs, batch_size=32, lr=3e-3, save=False, read_every=2, **settings)
    result = Trainer(network, s, [live], emit=emit, dataset=dataset).run()
    views.run.on_finished(result)
    return frames


@pytest.fixture
def views(qtbot):
    from widgets.live_views import LiveViews
    v = LiveViews()
    qtbot.addWidget(v)
    v.resize(1100, 700)
    v.show()
    return v


@pytest.fixture
def clock(monkeypatch):
    """The live views' clock, moved on by hand: clock["t"] += seconds."""
    import widgets.live_views as lv
    now = {"t": 100.0}
    monkeypatch.setattr(lv.time, "monotonic", lambda: now["t"])
    return now


def show(views, name):
    from widgets.live_views import TABS
    views.tabs.setCurrentIndex([n for n, _ in TABS].index(name))
    views.refresh()
    return views.views[name]


def test_importing_the_live_views_does_not_load_pyqtgraph():
    code = "import sys, widgets.live_views; print('pyqtgraph' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_view_updates_during_a_cnn_run(views):
    net = engine.network_from_dict(CNN)
    views.set_network(net)
    frames = train_into(views, CNN, shapes_dataset(320), epochs=2)
    assert len(frames) >= 5
    curves = show(views, "curves")
    loss = curves.panels["loss"]
    assert loss.raw.n == 2 * 9 and loss.val.n == 2 and loss.train.n == 2     # 288 train samples / 32
    assert np.all(np.isfinite(loss.smooth.y)) and loss.smooth.y[-1] < loss.raw.y[0]
    x, y = loss.ema_item.getData()
    assert len(x) == loss.smooth.n
    assert curves.panels["metric"].val.n == 2 and 0 <= curves.panels["metric"].val.y[-1] <= 1

    filters = show(views, "filters")
    shown = filters.image.image
    np.testing.assert_array_equal(np.isnan(shown), np.isnan(frames[-1]["views"]["filters"]["image"]))
    assert filters.choice.currentText() == "conv1" and filters.graphics.isVisible()
    assert filters.image.levels[0] == pytest.approx(-filters.image.levels[1])    # symmetric around 0

    features = show(views, "features")
    assert features.sample_image.image.shape == (20, 20)
    assert features.index_box.maximum() == 15              # engine.runtime.trainer's probe batch holds 16 samples
    assert "label" in features.sample_info.text()
    views.set_block("conv1")
    assert views.config["block"] == "conv1"

    weights = show(views, "weights")
    assert set(weights.norm_lines) == {"conv1", "conv2", "fc"}
    steps, norms = weights.norm_lines["conv1"].xData, weights.norm_lines["conv1"].yData
    assert len(steps) >= 3 and np.all(np.diff(steps) > 0) and np.all(norms > 0)   # history, not one frame
    assert weights.w_hist.getData()[1].sum() == 8 * 25 + 8     # conv1's weights and biases

    outcome = show(views, "outcome")
    assert "after epoch 2" in outcome.cm_plot.titleLabel.text
    assert outcome.grid_image.image.shape[2] == 3 and len(outcome.grid_labels.labels) == 16
    assert 0 <= views.meter.value() <= 100


def test_feature_maps_follow_the_chosen_block(views):
    views.set_network(engine.network_from_dict(CNN))
    live = LiveCallback(dict(ALL_ON, block="pool1"), CNN)
    train_into(views, CNN, shapes_dataset(160), epochs=1, live=live)
    features = show(views, "features")
    data = views.last_frame["views"]["features"]
    assert data["block"] == "pool1" and data["shape"] == [8, 10, 10]
    np.testing.assert_array_equal(np.nan_to_num(features.map_image.image), np.nan_to_num(data["image"]))
    assert features.block_box.currentText() == "pool1"


def test_gates_and_generated_text_of_a_char_lstm(views):
    ds = text_dataset(n=160)
    views.set_network(engine.network_from_dict(CHAR_LSTM))
    live = LiveCallback(dict(ALL_ON, text_length=40), CHAR_LSTM)
    train_into(views, CHAR_LSTM, ds, epochs=1, live=live)
    gates = show(views, "gates")
    assert gates.layer_box.count() == 2                      # two stacked layers, forward only
    plot, image = gates.cells[1]                              # forget gate: unit × time on [0, 1]
    assert plot.titleLabel.text.startswith("forget gate") and image.image.shape == (16, 24)
    assert tuple(image.levels) == (0.0, 1.0)
    assert gates.chars.text().startswith("sequence:")
    assert len(gates.mean_line.getData()[1]) == 24
    # the chosen units are named in the title in their lines' colours, not in a legend over the lines
    import pyqtgraph as pg
    from widgets.plots.common import RUN_COLOURS
    title = gates.units_plot.titleLabel.text
    assert all(f'color:{RUN_COLOURS[k]}">&#9473;&nbsp;{k}<' in title for k in range(4))
    assert not [i for i in gates.lines.scene().items() if isinstance(i, pg.LegendItem)]
    gates.units_edit.setText("2, ², x, 99, 1")           # typed: what cannot be a unit is passed over
    gates.units_edit.editingFinished.emit()
    title = gates.units_plot.titleLabel.text
    assert title.endswith(f'color:{RUN_COLOURS[1]}">&#9473;&nbsp;1</span>') and "99" not in title
    outcome = show(views, "outcome")
    text = outcome.text_box.toPlainText()
    generated = views.last_frame["views"]["outcome"]["text"]["generated"]
    assert "after epoch 1" in text and len(generated) == 40 and generated in text
    assert "the data's text up to ▌, then the network's" in text          # the mark explained
    assert "at least half of them right" in outcome.pred_list.text()        # and the colours
    views.resize(1100, 320)                    # a low dock: the predictions scroll instead of being cut off
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()
    assert not outcome.pred_box.isHidden() and outcome.pred_box.widget() is outcome.pred_list
    assert outcome.pred_box.verticalScrollBar().maximum() > 0


def test_a_removed_block_clears_its_view_with_a_note(views):
    net = engine.network_from_dict(CNN)
    views.set_network(net)
    views.set_block("conv2")                   # as a click on the block in the canvas does
    train_into(views, CNN, shapes_dataset(96), epochs=1, live=LiveCallback(dict(ALL_ON, **views.config), CNN))
    features = show(views, "features")
    assert features.note.isHidden()
    net.disconnect("conv2", "relu2")
    net.remove_node("conv2")
    assert not features.note.isHidden() and "conv2" in features.note.text() and "removed" in features.note.text()
    # a frame from the old run that still names the block, and one of a run without it: both only say so
    views.run.on_frame({"step": 1, "views": {"features": {"block": "conv2", "missing": True, "sample": {}}}})
    views.refresh()
    assert "not in the running network" in features.note.text()
    views.run.on_frame({"step": 2, "views": {"gates": {"note": "The running network has no LSTM."}}})
    show(views, "gates")
    assert "no LSTM" in views.views["gates"].note.text()


def test_a_second_run_of_the_same_network_shows_the_first_faintly(views, tmp_path):
    net = engine.network_from_dict(CNN)
    views.set_network(net)
    off = {"enabled": {n: False for n in ("filters", "features", "gates", "weights", "outcome")}}
    train_into(views, CNN, shapes_dataset(96), epochs=1, live=LiveCallback(off, CNN))
    train_into(views, CNN, shapes_dataset(96), epochs=1, live=LiveCallback(off, CNN))
    curves = views.views["curves"]
    assert curves.earlier_runs() == 1
    assert len(curves.panels["loss"].earlier[0].getData()[0]) == curves.panels["loss"].smooth.n
    # the legend is a row above the plots (inside a small plot it covered the newest steps)
    assert curves.legend.texts() == ["train (smoothed)", "train, per epoch", "validation, per epoch",
                                     "earlier run of this network"]
    import pyqtgraph as pg
    assert not [i for i in curves.graphics.scene().items() if isinstance(i, pg.LegendItem)]
    net.set_param("conv1", "out_channels", 4)                 # another network: no earlier runs
    train_into(views, net.copy() and engine.network_to_dict(net), shapes_dataset(96), epochs=1,
               live=LiveCallback(off, engine.network_to_dict(net)))
    assert curves.earlier_runs() == 0
    assert "earlier run of this network" not in curves.legend.texts()
    curves.log_box.setChecked(True)
    assert curves.panels["loss"].plot.ctrl.logYCheck.isChecked()
    csv_path, png_path = tmp_path / "c.csv", tmp_path / "c.png"
    curves.export_csv(str(csv_path))
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "series,step,value" and any(r.startswith("loss/val_epoch,") for r in rows)
    assert curves.export_png(str(png_path)) and png_path.stat().st_size > 1000


def test_view_settings_follow_the_controls(views, qtbot):
    with qtbot.waitSignal(views.views_requested) as sig:
        show(views, "filters")
    assert sig.args[0]["enabled"]["filters"] and not sig.args[0]["enabled"]["weights"]
    views.screen_box.setChecked(False)
    with qtbot.waitSignal(views.views_requested) as sig:
        views.every_box.setValue(50)
    assert sig.args[0]["every_steps"] == 50 and all(sig.args[0]["enabled"].values())
    with qtbot.waitSignal(views.views_requested) as sig:
        views.on_box.setChecked(False)
    assert not any(sig.args[0]["enabled"].values())


@pytest.mark.parametrize("network,block,kind", [(CNN, "fc", "vector"), (CHAR_LSTM, "lstm", "heatmap")])
def test_dense_outputs_show_as_bars_and_sequences_as_heatmaps(views, network, block, kind):
    from test_live_support import MiniTrainer
    ds = shapes_dataset(64) if network is CNN else text_dataset(n=64)
    views.set_network(engine.network_from_dict(network))
    live = LiveCallback(dict(ALL_ON, block=block), network)
    trainer = MiniTrainer(network, ds, [live]).run(epochs=1)
    views.run.on_frame(trainer.frames()[-1])
    features = show(views, "features")
    data = trainer.frames()[-1]["views"]["features"]
    assert data["kind"] == kind
    if kind == "vector":
        assert features._shown is features.bar_plot and len(features.bars.opts["height"]) == 10
    else:
        assert features._shown is features.map_plot and features.map_image.image.shape == (24, 16)
        assert "time (down) × feature (across)" in features.map_plot.titleLabel.text


def test_every_view_shows_a_note_instead_of_data(views):
    from widgets.live_views import TABS
    names = [n for n, _ in TABS if n != "curves"]
    views.run.on_frame({"step": 1, "views": {n: {"note": f"The {n} view could not be computed."} for n in names}})
    for name in names:
        view = show(views, name)
        views.run.on_frame(views.last_frame)
        views.refresh()
        assert not view.note.isHidden() and view.note.text() == f"The {name} view could not be computed."


def test_views_follow_a_run_in_the_child_process_through_the_controller(views, qtbot, tmp_path):
    """The app's path: TrainingController runs engine.runtime.trainer in a spawn child; the views get its
    signals and send their configuration as the run's live_views and as VIEWS messages."""
    from app.training_controller import TrainingController
    controller = TrainingController()
    views.set_network(engine.network_from_dict(CNN))
    views.attach(controller)
    views.screen_box.setChecked(False)                    # compute every view
    assert controller.views_config["enabled"]["weights"]
    frames = []
    controller.frame.connect(frames.append)
    settings = {"dataset": "shapes", "epochs": 2, "batch_size": 64, "save": False, "lr": 3e-3}
    with qtbot.waitSignal(controller.finished, timeout=180_000):
        assert controller.start(engine.network_to_dict(engine.network_from_dict(CNN)), settings)
    views.refresh()
    assert frames and frames[-1]["views"]["weights"]["blocks"]
    curves = views.views["curves"]
    assert curves.panels["loss"].val.n == 2 and curves.panels["loss"].raw.n > 0
    weights = show(views, "weights")
    assert set(weights.norm_lines) == {"conv1", "conv2", "fc"}
    outcome = show(views, "outcome")        # at the default 5% budget these short epochs may skip one
    assert "confusion matrix after epoch " in outcome.cm_plot.titleLabel.text


def test_curves_are_redrawn_at_most_ten_times_a_second_and_at_the_end(views, clock):
    views.run.on_started({"task": "classification"})
    curves = views.views["curves"]
    views.run.on_scalars({"step": [1, 2], "loss": [2.0, 1.9], "accuracy": [0.1, 0.2]})
    views.refresh()
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2]
    waiting = curves.panels["metric"].raw_item.getData()[0]
    assert waiting is None or len(waiting) == 0               # one plot a repaint: the other waits
    views.run.on_scalars({"step": [3], "loss": [1.8], "accuracy": [0.3]})
    clock["t"] += 0.05
    views.refresh()                                   # 50 ms later: the loss waits, the metric is drawn
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2]
    assert curves.panels["metric"].raw_item.xData.tolist() == [1, 2, 3]
    clock["t"] += 0.06
    views.refresh()
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2, 3]
    views.run.on_scalars({"step": [4], "loss": [1.7], "accuracy": [0.4]})
    views.run.on_finished({})                             # the end of a run always shows the last steps
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2, 3, 4]


def test_single_views_can_be_switched_off_when_every_view_is_computed(views, qtbot):
    from widgets.live_views import TABS
    assert not views.which_button.isEnabled()             # only the view on screen: nothing to choose
    views.screen_box.setChecked(False)
    assert views.which_button.isEnabled()
    with qtbot.waitSignal(views.views_requested) as sig:
        views.view_actions["weights"].trigger()          # unchecks it
    enabled = sig.args[0]["enabled"]
    assert not enabled["weights"] and enabled["filters"] and enabled["gates"]
    weights_tab = [n for n, _ in TABS].index("weights")
    assert views.tabs.tabText(weights_tab) == "Weights (off)"
    views.screen_box.setChecked(True)                     # the view on screen only: the switch does not apply
    assert views.tabs.tabText(weights_tab) == "Weights"
    views.switch_view("weights", True)
    views.screen_box.setChecked(False)
    assert views.views_settings()["enabled"]["weights"] and views.view_actions["weights"].isChecked()


def test_earlier_runs_of_the_same_network_come_back_in_the_next_session(qtbot, tmp_path):
    from widgets.live_views import LiveViews
    net = engine.network_from_dict(CNN)
    runs = tmp_path / "runs"

    def session(run_name, losses):
        views = LiveViews()
        qtbot.addWidget(views)
        views.set_network(net)
        (runs / run_name).mkdir(parents=True)
        views.run.on_started({"task": "classification", "run_dir": str(runs / run_name)})
        views.run.on_scalars({"step": list(range(1, len(losses) + 1)), "loss": losses,
                          "accuracy": [0.5] * len(losses)})
        views.run.on_finished({})
        return views

    session("first", [2.0, 1.5, 1.0])
    assert (runs / "first" / "curves.csv").exists() and (runs / "first" / "live.json").exists()
    later = session("second", [1.9, 1.2])                 # a new session (new views) of the same network
    curves = later.views["curves"]
    assert curves.earlier_runs() == 1
    x, _ = curves.panels["loss"].earlier[0].getData()
    assert list(x) == [1.0, 2.0, 3.0]                      # the first session's smoothed loss, faint
    net.set_param("conv1", "out_channels", 4)              # another structure: nothing to compare with
    other = session("third", [1.0])
    assert other.views["curves"].earlier_runs() == 0


def test_an_export_to_a_folder_that_cannot_be_written_says_so(views, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    views.ensure_views()
    curves = views.views["curves"]
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: warnings.append(text)))
    target = str(tmp_path / "no such folder" / "curves.csv")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (target, "")))
    curves._ask_csv()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (target[:-3] + "png", "")))
    curves._ask_png()
    assert len(warnings) == 2 and all("were not saved" in w and "no such folder" in w for w in warnings)


def test_views_off_screen_draw_their_first_frame_before_their_tab_is_opened(views):
    """A tab opened during a run only updates plots already made: making them there (the Weights view's
    line and legend entry per layer) held the window."""
    from widgets.live_views import TABS
    views.screen_box.setChecked(False)                    # every view computed
    frames = train_into(views, CNN, shapes_dataset(320), epochs=1)
    views.run.on_started({"task": "classification"})      # the next run: its views start empty
    weights = views.views["weights"]
    assert not weights.norm_lines
    views.run.on_frame(frames[1])
    for _ in TABS:
        views.refresh()
    assert views.current_view() == "curves"
    assert set(weights.norm_lines) == {"conv1", "conv2", "fc"}
    assert all(views.frames_shown(name) == 1 for name in ("filters", "features", "weights", "outcome"))


def test_tabs_off_screen_are_laid_out_at_the_real_size_and_painted_before_their_first_visit(views, clock):
    """A hidden page was laid out at 640×480: its first visit laid it out again at the real size and painted
    every plot's lazy work at once (20–35 ms more, the run's one hitch over 50 ms). Ahead of that visit the
    page is laid out at the size of the page on screen, so opening its tab resizes nothing."""
    from PySide6.QtCore import QEvent, QObject

    import widgets.live_views as lv
    views.screen_box.setChecked(False)                    # every view computed
    frames = train_into(views, CNN, shapes_dataset(320), epochs=1)
    views.run.on_started({"task": "classification"})
    views.run.on_frame(frames[1])
    for _ in range(80):                                  # refreshes ~30 times a second
        views.refresh()
        clock["t"] += 0.033
    size = views.tabs.currentWidget().size()
    assert size.width() > 640 and size.height() > 480

    class Resizes(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Resize:
                self.count += 1
            return False

    for k, (name, _title) in enumerate(lv.TABS[1:], start=1):
        page = views.tabs.widget(k)
        assert page.size() == size, name
        watcher = Resizes()
        page.installEventFilter(watcher)
        views.tabs.setCurrentIndex(k)
        views.refresh()
        assert watcher.count == 0, f"opening {name} laid its page out again"
        page.removeEventFilter(watcher)


def test_tabs_off_screen_without_data_are_laid_out_ahead_too(views, clock):
    """With only the view on screen computed (the default) the other tabs hold no frame until they are
    opened; their pages are still laid out at the real size during the run, so a first visit waits only
    for its frame. Nothing is prepared while the views cannot be seen."""
    import widgets.live_views as lv
    assert views.screen_box.isChecked()
    views.run.on_started({"task": "classification"})
    views.hide()
    for _ in range(40):
        views.refresh()
        clock["t"] += 0.033
    assert all(views.tabs.widget(k).size().width() <= 640 for k in range(1, len(lv.TABS)))
    views.show()
    for _ in range(60):
        views.refresh()
        clock["t"] += 0.033
    size = views.tabs.currentWidget().size()
    assert all(views.tabs.widget(k).size() == size for k in range(1, len(lv.TABS)))


def test_curves_off_screen_wait_and_catch_up_when_their_tab_is_opened(views, clock):
    """Plots given new data while hidden computed their paths in the first paint of their tab, both at
    once: off screen the curves keep what they last drew; on screen they catch up one plot per refresh,
    and the end of a run draws them wherever they are."""
    views.run.on_started({"task": "classification"})
    curves = views.views["curves"]
    views.run.on_scalars({"step": [1, 2], "loss": [2.0, 1.9], "accuracy": [0.1, 0.2]})
    views.refresh()
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2]
    show(views, "weights")
    views.run.on_scalars({"step": [3], "loss": [1.8], "accuracy": [0.3]})
    for _ in range(5):
        clock["t"] += 0.2
        views.refresh()
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2]          # hidden: as last drawn
    show(views, "curves")
    clock["t"] += 0.2
    views.refresh()
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2, 3]
    assert curves.panels["metric"].raw_item.xData.tolist() == [1, 2, 3]
    show(views, "weights")
    views.run.on_scalars({"step": [4], "loss": [1.7], "accuracy": [0.4]})
    views.run.on_finished({})
    assert curves.panels["loss"].raw_item.xData.tolist() == [1, 2, 3, 4]


def test_plots_repaint_one_rectangle_and_draw_solid_grid_lines_under_the_curves(views):
    """What keeps a repaint short on a large window: Qt draws a curve clipped to a many-rectangle
    region, or a translucent line, about ten times slower."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QGraphicsView
    views.ensure_views()
    for view in views.views.values():
        assert view.graphics.viewportUpdateMode() == QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate
    curves = show(views, "curves")
    views.run.on_scalars({"step": [1, 2, 3], "loss": [2.0, 1.9, 1.8], "accuracy": [0.1, 0.2, 0.3]})
    curves.refresh()
    plot = curves.panels["loss"].plot
    image = QImage(10, 10, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        _line, ticks, _texts = axis.generateDrawSpecs(painter)
        assert ticks and all(pen.color().alpha() == 255 for pen, _a, _b in ticks)
        assert axis.zValue() < plot.vb.zValue()
    painter.end()


def test_curves_say_when_they_will_appear_instead_of_showing_empty_axes(views):
    """Before a run (and after another network is opened) the curves are a note, not empty axes squeezed
    into a low panel, and there is nothing to export; a run brings the plots."""
    views.ensure_views()
    curves = views.views["curves"]
    assert not curves.note.isHidden() and "appear here when training starts" in curves.note.text()
    assert curves.plots_box.isHidden() and not any(b.isEnabled() for b in curves.exports)
    views.run.on_started({"task": "classification"})
    assert not curves.plots_box.isHidden() and curves.note.isHidden() and all(b.isEnabled() for b in curves.exports)
    views.run.on_finished({})
    views.run.clear("Another network was opened.")
    assert curves.plots_box.isHidden() and curves.note.text() == "Another network was opened."
