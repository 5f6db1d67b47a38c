"""A real run of mnist_cnn from the window, as a user makes it: the view on screen from the start gets
frames throughout, every view that applies holds the final step when the run ends, a view brought on
screen shows the newest state at once, a deleted block leaves every chooser, and opening another network
clears what belonged to the run of the previous one."""
from __future__ import annotations

import pytest
from test_app import EXAMPLES, dialogs, window  # noqa: F401  (the main window on mnist_cnn, dialogs recorded)

from engine.runtime.protocol import FRAME_VIEWS, View

WAIT_MS = 240_000


def _tab(live, name):
    from widgets.live_views import TABS
    live.tabs.setCurrentIndex([n for n, _ in TABS].index(name))


@pytest.fixture
def finished_run(window, qtbot):
    """mnist_cnn on its default data set (shapes) for 2 epochs, the Feature maps tab on screen from the start."""
    live, panel = window.live_views, window.training_panel
    panel.epochs.setValue(2)
    live.ensure_views()
    _tab(live, View.FEATURES)
    states = []
    with qtbot.waitSignal(window.training_controller.finished, timeout=WAIT_MS) as done:
        panel.start_button.click()
        qtbot.waitUntil(lambda: window.run_status.text().startswith("Training"), timeout=WAIT_MS)
        states.append(window.run_status.text())
    qtbot.waitUntil(lambda: window.run.frame_step == done.args[0]["steps"], timeout=10_000)
    # idle again: the run line says how the run ended
    assert window.run_status.text().startswith("Last run: 2 epoch(s), validation accuracy ")
    return window, done.args[0]


def test_the_view_on_screen_follows_the_run_and_every_view_holds_the_last_step(finished_run, qtbot):
    window, result = finished_run
    live, run = window.live_views, window.run
    steps = result["steps"]
    features = live.views[View.FEATURES]
    assert live.frames_shown(View.FEATURES) >= 3               # throughout the run, not only at its start
    assert features.note.isHidden() and features.shown_block
    for name in FRAME_VIEWS:                                   # every view, not only the one on screen
        frame = run.frame_of(name)
        assert frame is not None and frame.step == steps and frame.final, name
    assert "(step 0)" not in live.meter_label.text() and live.meter.value() < 100
    for name in (View.FILTERS, View.WEIGHTS, View.OUTCOME):    # on screen at once, without a new run
        _tab(live, name)
        assert live.views[name].note.isHidden(), name
    _tab(live, View.GATES)                                     # the one view that does not apply says why
    assert "no LSTM, GRU or RNN" in live.views[View.GATES].note.text()
    assert "confusion matrix after epoch 2" in live.views[View.OUTCOME].cm_plot.titleLabel.text


def test_a_deleted_block_leaves_every_chooser(finished_run):
    window, _ = finished_run
    live = window.live_views
    features, filters = live.views[View.FEATURES], live.views[View.FILTERS]
    _tab(live, View.FILTERS)
    assert "conv1" in [filters.choice.itemText(i) for i in range(filters.choice.count())]
    window.editor.delete(["conv1"])
    for box in (features.block_box, filters.choice):
        assert "conv1" not in [box.itemText(i) for i in range(box.count())]
    window.doc.undo_stack.undo()
    assert "conv1" in [features.block_box.itemText(i) for i in range(features.block_box.count())]


def test_opening_another_network_clears_the_views_of_the_last_run(finished_run):
    window, _ = finished_run
    live = window.live_views
    for name in FRAME_VIEWS:                       # every view showed the run, its texts included
        _tab(live, name)
    live.views[View.FILTERS].choice.activated.emit(0)      # the filters of conv1 asked for
    assert live.config["filters_block"] == "conv1"
    assert window.files.open_path(EXAMPLES / "char_lstm.json", ask=False)
    assert not window.run.latest
    for name in FRAME_VIEWS:
        note = live.views[name].note
        assert not note.isHidden() and "Another network was opened" in note.text(), name
    views = live.views
    assert views[View.FEATURES].graphics.isHidden()            # not the last run's probe sample
    texts = [views[View.FEATURES].info, views[View.FEATURES].sample_info, views[View.FILTERS].info,
             views[View.WEIGHTS].info, views[View.GATES].info, views[View.GATES].chars]
    assert all(label.text() == "" for label in texts), [label.text() for label in texts]
    assert live.config["filters_block"] is None          # conv1 is not in this network: its next run picks
    outcome = live.views[View.OUTCOME]
    assert live.views[View.CURVES].panels["loss"].raw.n == 0
    assert outcome.graphics.isHidden() and not outcome.pred_list.text() and outcome.text_box.isHidden()
    blocks = [live.views[View.FEATURES].block_box.itemText(i) for i in range(live.views[View.FEATURES].block_box.count())]
    assert blocks == list(window.doc.network.nodes) and "conv1" not in blocks
    panel = window.training_panel
    assert panel.progress_bar.value() == 0 and not panel.progress_label.text()        # not the last run's
    assert "Finished" not in panel.message_label.text()
    assert window.training_toolbar.progress.value() == 0


def test_a_block_picked_after_the_run_shows_its_maps_from_the_last_frame(finished_run):
    """The run is over, so no new frame comes: the last frame holds every block's maps, and a block
    selected on the canvas (or in the chooser) shows at once instead of the one shown before."""
    window, _ = finished_run
    live = window.live_views
    features = live.views[View.FEATURES]
    window.scene.select_ids(["conv2"])
    assert features.block_box.currentText() == "conv2"
    assert features.shown_block == "conv2" and features.note.isHidden()
    assert features.map_plot.titleLabel.text.startswith("conv2")
    features.block_box.setCurrentIndex(features.block_box.findText("pool1"))
    features.block_box.activated.emit(features.block_box.currentIndex())     # what a pick in the list sends
    assert features.shown_block == "pool1" and features.map_plot.titleLabel.text.startswith("pool1")
