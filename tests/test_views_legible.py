"""The Outcome, Gates and Weights tabs read well in the Live views dock at its default size in the main
window (1600×1000 and 1280×800): probe captions apart, the matrix's epoch the run's last, a text box as
tall as its text, heatmaps tall enough with tick labels apart, and the gradient-norm history of a run
during which the Weights tab was never on screen."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from PySide6.QtGui import QImage, QPainter
from test_app import EXAMPLES, dialogs  # noqa: F401  (dialogs recorded)
from test_live_support import CHAR_LSTM, CNN, MiniTrainer, shapes_dataset, text_dataset

from engine.runtime.live import LiveCallback
from engine.runtime.protocol import View

MIN_HEATMAP_PX = 60


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.001
        return self.t


@functools.cache
def _frames(kind: str, epochs: int) -> tuple:
    """The frames of a short real run; only the Outcome view on screen (as the app sends them)."""
    net, ds = (CNN, shapes_dataset(192)) if kind == "cnn" else (CHAR_LSTM, text_dataset())
    enabled = {n: n == "outcome" for n in ("filters", "features", "gates", "weights", "outcome")}
    if kind == "lstm":
        enabled["gates"] = True
    live = LiveCallback({"every_steps": 2, "max_fps": 1000, "budget": 1.0, "text_length": 200, "enabled": enabled},
                        network=net, clock=_Clock())
    trainer = MiniTrainer(net, ds, [live])
    trainer.settings = SimpleNamespace(epochs=epochs)
    trainer.run(epochs=epochs)
    return tuple(trainer.frames())


@pytest.fixture(params=[(1600, 1000), (1280, 800)], ids=["1600x1000", "1280x800"])
def live(request, qtbot, tmp_path, monkeypatch, dialogs):  # noqa: F811
    from app.main_window import MainWindow
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.files.open_path(EXAMPLES / "mnist_cnn.json", ask=False)
    w.resize(*request.param)
    w.show()
    qtbot.waitExposed(w)
    w.show_live_views()
    w.live_views.ensure_views()
    return w


def _play(window, qtbot, kind: str, epochs: int, tab: View):
    from widgets.live_views import TABS
    live = window.live_views
    live.tabs.setCurrentIndex([n for n, _ in TABS].index(tab))
    for frame in _frames(kind, epochs):
        window.run.on_frame(frame)
    qtbot.wait(30)
    return live.views[tab]


def _apart(rects) -> bool:
    return all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_probe_captions_do_not_overlap(live, qtbot):
    view = _play(live, qtbot, "cnn", 2, View.OUTCOME)
    item = view.grid_labels
    transform = item.deviceTransform(view.grid_plot.getViewBox().scene().views()[0].viewportTransform())
    font = view.font()
    boxes = item.boxes(transform, font)
    assert len(boxes) == 16                                    # every caption shown, none left out
    assert _apart([b[0] for b in boxes])
    assert all(b[1] for b in boxes)
    # the grid follows the wide plot's shape (2 rows of 8, not 4 × 4), so the captions have room
    assert view.grid_image.width() > 2 * view.grid_image.height()


def test_the_confusion_matrix_says_the_run_s_last_epoch(live, qtbot):
    view = _play(live, qtbot, "cnn", 3, View.OUTCOME)
    assert "confusion matrix after epoch 3 of 3:" in view.cm_plot.titleLabel.text


def _with_text(frame: dict, epoch: int, generated: str) -> dict:
    outcome = dict(frame["views"]["outcome"], text={"seed": "To be", "generated": generated, "temperature": 0.8,
                                                    "epoch": epoch, "epochs": 3})
    return dict(frame, views=dict(frame["views"], outcome=outcome), serial=frame["serial"] + epoch)


def test_the_generated_text_box_grows_with_its_text(live, qtbot):
    view = _play(live, qtbot, "lstm", 1, View.OUTCOME)
    last = _frames("lstm", 1)[-1]
    view.start_run()
    live.run.on_frame(_with_text(last, 1, " or not to be"))
    qtbot.wait(30)
    one = view.text_box.minimumHeight()
    assert view.text_box.isVisible() and view.text_box.height() >= 8 * view.text_box.fontMetrics().lineSpacing()
    live.run.on_frame(_with_text(last, 2, ", that is the question:\nWhether 'tis nobler in the mind\nto suffer\nThe slings and arrows\nof outrageous fortune,\n"
                                   "Or to take arms\nagainst a sea of troubles\nAnd by opposing end them."))
    qtbot.wait(30)
    assert view.text_lines() >= 13
    grown = view.text_box.minimumHeight()
    assert grown >= one + 3 * view.text_box.fontMetrics().lineSpacing()                  # grew with the lines
    assert view.text_box.height() >= grown
    assert view.text_box.verticalScrollBar().maximum() == 0                              # all of it on screen
    assert "after epoch 2 of 3" in view.text_box.toPlainText()


def _tick_rects(axis):
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [rect for rect, _flags, _text in specs[2]] if specs else []


def test_gate_heatmaps_are_tall_enough_and_their_tick_labels_apart(live, qtbot):
    view = _play(live, qtbot, "lstm", 1, View.GATES)
    assert view.note.isHidden()
    shown = [(plot, image) for plot, image in view.cells if plot.isVisible()]
    assert len(shown) == 6                                      # LSTM: i, f, g, o, c, h
    view.graphics.grab()                                        # painted once: the axes follow the data
    qtbot.waitUntil(lambda: all(max(p.getAxis("left").range) > 10 for p, _ in shown))
    lefts = min(plot.sceneBoundingRect().left() for plot, _ in shown)
    for plot, _image in shown:
        assert plot.vb.height() >= MIN_HEATMAP_PX
        sides = ("left", "bottom") if plot.sceneBoundingRect().left() == lefts else ("bottom",)
        for side in sides:                                      # unit ticks at the left of each row
            rects = _tick_rects(plot.getAxis(side))
            assert len(rects) >= 3 and _apart(rects), side
    widths = {round(plot.vb.width()) for plot, _ in shown}
    assert max(widths) - min(widths) <= 2                       # every heatmap the same size
    for bar in (view.sig_bar, view.tanh_bar):
        assert _apart(_tick_rects(bar.axis))
    # all six heatmaps on screen at once, without scrolling the tab
    viewport = view.scroll_area.viewport()
    for plot, _image in shown:
        box = plot.vb.mapRectToDevice(plot.vb.boundingRect())
        top_left = view.graphics.mapTo(viewport, box.topLeft().toPoint())
        bottom_right = view.graphics.mapTo(viewport, box.bottomRight().toPoint())
        assert viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)


def test_gate_heatmaps_fit_a_low_dock_in_one_row_and_a_tall_one_in_two():
    from widgets.plots.gates import grid_for
    assert grid_for(6, 1250, 200)[0] == 6           # the default dock at 1280×800: one row of six
    assert grid_for(6, 900, 700)[0] == 3            # a tall dock: two rows of three
    assert grid_for(4, 1250, 200)[0] == 4           # a GRU's four
    assert grid_for(6, 1250, 200)[1] >= 100         # and each heatmap stays large


def test_the_weights_view_hidden_during_the_run_draws_the_whole_norm_history(live, qtbot):
    frames = _frames("cnn", 2)
    assert all("weights" not in f["views"] for f in frames[:-1])   # never computed while off screen
    view = _play(live, qtbot, "cnn", 2, View.WEIGHTS)
    assert view.note.isHidden() and view.norm_lines
    for line in view.norm_lines.values():
        xs, _ys = line.getData()
        assert len(xs) > 1


def test_the_weights_plots_have_room_and_labels_apart(live, qtbot):
    view = _play(live, qtbot, "cnn", 2, View.WEIGHTS)
    view.graphics.grab()
    plots = (view.w_plot, view.g_plot, view.norm_plot, view.dead_plot)
    qtbot.waitUntil(lambda: view.norm_plot.getAxis("left").range[1] > view.norm_plot.getAxis("left").range[0])
    for plot in plots:
        assert plot.vb.height() >= 120 and plot.vb.width() >= 150
        for side in ("left", "bottom"):
            rects = _tick_rects(plot.getAxis(side))
            assert rects and _apart(rects), side
    norm_ticks = _tick_rects(view.norm_plot.getAxis("left"))
    assert len(norm_ticks) >= 2                                 # whole decades, labelled


def test_labels_cut_to_fit_keep_their_ends(qapp):
    """Probe labels in a narrow cell were cut at the end ("diago…" twice for the two diagonals); cut in
    the middle they stay apart, as the palette's block names do ("Adaptiv…Pool2d")."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QFont, QTransform

    from widgets.palette import BlockPalette
    from widgets.plots.common import CellLabels
    labels = CellLabels()
    labels.set_labels([(0, 0, "diagonal \\", "#000", 4.0, 1.0), (0, 1, "diagonal /", "#000", 4.0, 1.0)],
                      QRectF(0, 0, 4, 2))
    texts = [text for _box, text, _c, _f in labels.boxes(QTransform.fromScale(12, 20), QFont())]
    assert len(texts) == 2 and texts[0] != texts[1] and all("…" in t for t in texts)
    assert BlockPalette().tree.textElideMode() == Qt.TextElideMode.ElideMiddle
