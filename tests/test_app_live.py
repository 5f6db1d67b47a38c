"""The live views inside the main window: docked beside the summary, fed by the window's own training
controller during a real run in the child process, following the canvas selection and the edits."""
from __future__ import annotations

from test_app import dialogs, window  # noqa: F401  (the main window on mnist_cnn, dialogs recorded)


def test_live_views_are_a_dock_listed_in_the_view_menu_behind_the_summary(window, qtbot):
    assert window.live_views_dock.windowTitle() == "Live views"
    assert window.live_views_dock.toggleViewAction() in window.view_menu.actions()
    assert set(window.tabifiedDockWidgets(window.summary_dock)) == {window.live_views_dock, window.problems_dock}
    assert not window.summary.visibleRegion().isEmpty()                       # design first
    assert window.live_views.visibleRegion().isEmpty()
    qtbot.wait(400)
    assert not window.live_views.views          # behind the summary, pyqtgraph is not loaded yet
    window.live_views_dock.raise_()
    qtbot.waitUntil(lambda: bool(window.live_views.views))
    qtbot.waitUntil(window.live_views.views["curves"].isVisible)


def test_clicking_a_block_on_the_canvas_picks_it_for_the_feature_maps(window):
    window.scene.select_ids(["conv2"])
    assert window.live_views.config["block"] == "conv2"
    assert window.training_controller.views_config["block"] == "conv2"     # the next run probes it
    window.live_views.ensure_views()
    assert window.live_views.views["features"].block_box.currentText() == "conv2"
    window.scene.select_ids(["conv1", "pool1"])          # several blocks: the choice stays
    assert window.live_views.config["block"] == "conv2"


def test_deleting_the_chosen_block_clears_its_feature_maps(window):
    window.live_views.ensure_views()
    window.scene.select_ids(["conv2"])
    window.editor.delete(["conv2"])
    assert window.live_views.config["block"] is None
    note = window.live_views.views["features"].note
    assert not note.isHidden() and "'conv2' was removed" in note.text()


def test_a_run_started_from_the_panel_raises_the_views_and_fills_the_curves(window, qtbot):
    panel = window.training_panel
    panel.epochs.setValue(1)
    window.doc.network.set_param("input", "shape", [1, 16, 16])     # small images: a short run
    window.doc.recompute()
    start, pause, stop = window.training_actions          # Training menu: F5, F6, Shift+F5
    assert [a.shortcut().toString() for a in (start, pause, stop)] == ["F5", "F6", "Shift+F5"]
    assert start.isEnabled() and not pause.isEnabled() and not stop.isEnabled()
    with qtbot.waitSignal(window.training_controller.finished, timeout=180_000):
        start.trigger()
        assert not start.isEnabled() and stop.isEnabled()
    qtbot.waitUntil(start.isEnabled)
    qtbot.waitUntil(lambda: not window.live_views.visibleRegion().isEmpty())
    assert window.summary.visibleRegion().isEmpty()
    qtbot.waitUntil(lambda: window.live_views_dock.height() >= 0.4 * window.height())   # room to read the plots
    window.live_views.refresh()
    curves = window.live_views.views["curves"]
    assert curves.panels["loss"].val.n == 1 and curves.panels["loss"].raw.n > 0
    assert window.live_views.last_frame is not None and window.live_views.last_frame["views"]
