"""The main window driven as a user would: palette drops, links, the inspector, undo/redo, clipboard,
problems with quick fixes. Settings and recovery files live in a temporary folder; dialogs are patched."""
from __future__ import annotations

from pathlib import Path

import engine
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main_window import MainWindow
from widgets.canvas import BLOCK_MIME

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


@pytest.fixture
def dialogs(monkeypatch):
    """Record message boxes instead of showing them; `answer` is what a question gets."""
    seen = {"question": [], "warning": [], "information": [], "answer": QMessageBox.StandardButton.Discard}

    def question(parent, title, text, *args, **kwargs):
        seen["question"].append(text)
        return seen["answer"]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda p, t, text, *a, **k: seen["warning"].append(text)))
    monkeypatch.setattr(QMessageBox, "information",
                        staticmethod(lambda p, t, text, *a, **k: seen["information"].append(text)))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, dialogs):
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.files.open_path(EXAMPLES / "mnist_cnn.json", ask=False)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    return w


def snapshot(w):
    return engine.network_to_dict(w.doc.network)


def status(w) -> str:
    return w.statusBar().currentMessage()


def test_window_shows_the_example_with_all_panels(window):
    assert "mnist_cnn.json" in window.windowTitle() and not window.isWindowModified()
    titles = {d.windowTitle() for d in window.docks}
    assert {"Blocks", "Inspector", "Shapes explained", "Summary", "Problems (1)"} <= titles   # pool2's field
    panels = [a.text() for a in window.view_menu.actions()]
    assert set(titles) <= set(panels)
    assert window.summary.table.rowCount() == len(window.doc.network)
    assert "Shapes OK" in window.shape_status.text()


def test_add_dock_puts_a_new_panel_in_the_view_menu(window):
    from PySide6.QtWidgets import QLabel
    dock = window.add_dock(QLabel("plots"), "Training", "bottom")
    assert dock.toggleViewAction() in window.view_menu.actions()
    dock.toggleViewAction().trigger()
    assert dock.isHidden()


def test_dropping_a_block_through_the_scene_signal_adds_it_where_dropped(window):
    n = len(window.doc.network)
    window.scene.block_dropped.emit("Dropout", QPointF(300.0, 40.0))
    assert len(window.doc.network) == n + 1
    node = window.doc.network.nodes["dropout1"]
    assert node.position == (300.0, 40.0)
    assert window.scene.selected_ids() == ["dropout1"]
    assert window.doc.undo_stack.undoText() == "add Dropout 'dropout1'"


def test_a_real_drop_event_with_the_block_mime_adds_the_block(window, qtbot):
    view = window.view
    mime = QMimeData()
    mime.setData(BLOCK_MIME, b"GELU")
    pos = QPoint(view.viewport().width() // 2, 30)
    where = view.mapToScene(pos)
    app = QApplication.instance()
    for cls in (QDragEnterEvent, QDragMoveEvent):
        app.sendEvent(view.viewport(), cls(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                           Qt.KeyboardModifier.NoModifier))
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    app.sendEvent(view.viewport(), drop)
    assert "gelu1" in window.doc.network
    got = window.doc.network.nodes["gelu1"].position
    assert abs(got[0] - where.x()) < 1 and abs(got[1] - where.y()) < 1


def test_linking_through_the_link_intent_connects_and_shapes_follow(window):
    window.scene.block_dropped.emit("Softmax", QPointF(0.0, 900.0))
    window.scene.link_requested.emit("dense2", "softmax1")
    assert engine.Edge("dense2", "softmax1") in window.doc.network.edges
    assert window.doc.results["softmax1"].shape == (10,)
    assert window.scene.link_item("dense2", "softmax1").label == "10"


def test_a_refused_cyclic_link_says_why_in_the_status_bar(window):
    window.scene.block_dropped.emit("ReLU", QPointF(600.0, 0.0))
    window.scene.block_dropped.emit("Tanh", QPointF(600.0, 100.0))
    window.scene.link_requested.emit("relu4", "tanh1")
    before = snapshot(window)
    window.scene.link_requested.emit("tanh1", "relu4")
    assert snapshot(window) == before
    assert "cycle" in status(window) and "tanh1" in status(window)


def test_typing_in_a_spin_box_updates_the_block_and_link_labels(window, qtbot):
    window.scene.select_ids(["conv1"])
    editor = window.inspector.editors["out_channels"]
    spin = editor.spin
    spin.selectAll()
    qtbot.keyClicks(spin, "12")
    assert window.doc.network.nodes["conv1"].params["out_channels"] == 12
    assert window.scene.block_item("conv1").shape_text == "12 × 28 × 28"
    assert window.scene.link_item("conv1", "relu1").label == "12 × 28 × 28"
    assert window.scene.block_item("conv2").result.params == 16 * 12 * 9 + 16
    # typing "1" then "12" is one undo step, and it says what it undoes
    assert window.doc.undo_stack.count() == 1
    assert "out_channels" in window.undo_action.text()
    window.undo_action.trigger()
    assert window.scene.block_item("conv1").shape_text == "8 × 28 × 28"
    assert spin.value() == 8                 # the inspector follows undo


def test_pair_editor_and_live_error_under_the_form(window, qtbot):
    window.scene.select_ids(["conv1"])
    pair = window.inspector.editors["kernel_size"]
    pair.link.setChecked(False)
    pair.w.setValue(5)
    assert window.doc.network.nodes["conv1"].params["kernel_size"] == [3, 5]
    pair.h.setValue(40)                       # larger than the 28-pixel input
    assert window.doc.results["conv1"].error
    assert window.inspector.error.isVisible() and "conv1" in window.inspector.error.text()


def test_renaming_in_the_inspector_is_undoable(window, qtbot):
    window.scene.select_ids(["dense2"])
    edit = window.inspector.id_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "logits")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "logits" in window.doc.network and "dense2" not in window.doc.network
    window.doc.undo_stack.undo()
    assert "dense2" in window.doc.network


def test_undo_all_restores_the_initial_document_and_redo_all_the_final_one(window, qtbot):
    start = snapshot(window)
    sc = window.scene
    sc.block_dropped.emit("Dropout", QPointF(500.0, 500.0))
    sc.link_requested.emit("relu3", "dropout1")
    window.editor.set_param("dropout1", "p", 0.2)
    sc.blocks_moved.emit({"conv1": (window.doc.network.nodes["conv1"].position, (250.0, 10.0))})
    sc.unlink_requested.emit("relu3", "dense2")
    sc.delete_requested.emit(["pool1"], [])
    window.editor.rename("conv2", "conv_b")
    sc.select_ids(["relu1"])
    window.block_palette.add_requested.emit("BatchNorm2d")
    window.layout_action.trigger()
    final = snapshot(window)
    assert final != start
    while window.doc.undo_stack.canUndo():
        window.undo_action.trigger()
    assert snapshot(window) == start and not window.isWindowModified()
    while window.doc.undo_stack.canRedo():
        window.redo_action.trigger()
    assert snapshot(window) == final and window.isWindowModified()


def test_double_click_in_the_palette_adds_after_the_selection_in_one_step(window, qtbot):
    window.scene.select_ids(["dense2"])
    item = window.block_palette.items["LogSoftmax"]
    window.block_palette.tree.scrollToItem(item)
    rect = window.block_palette.tree.visualItemRect(item)
    qtbot.mouseClick(window.block_palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.block_palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.doc.network.inputs_of("logsoftmax1") == ["dense2"]
    assert window.doc.results["logsoftmax1"].shape == (10,)
    assert window.doc.undo_stack.count() == 1
    window.doc.undo_stack.undo()
    assert "logsoftmax1" not in window.doc.network


def test_copy_paste_keeps_parameters_and_inner_links(window):
    window.scene.select_ids(["conv2", "relu2"])
    window.copy_action.trigger()
    window.paste_action.trigger()
    net = window.doc.network
    new = window.scene.selected_ids()
    assert len(new) == 2 and not set(new) & {"conv2", "relu2"}
    conv = next(n for n in new if net.nodes[n].type == "Conv2d")
    relu = next(n for n in new if net.nodes[n].type == "ReLU")
    assert net.nodes[conv].params == net.nodes["conv2"].params
    assert net.inputs_of(relu) == [conv]
    assert window.doc.undo_stack.undoText().startswith("paste")
    window.duplicate_action.trigger()
    assert len(net) == 15


def test_cut_removes_and_paste_brings_back(window):
    window.scene.select_ids(["dense2"])
    window.cut_action.trigger()
    assert "dense2" not in window.doc.network
    window.paste_action.trigger()
    assert window.doc.network.nodes["dense2"].params["out_features"] == 10


def test_selecting_a_problem_selects_its_block_and_the_fix_button_applies_the_fix(window):
    window.scene.select_ids(["flatten"])
    window.scene.delete_requested.emit(["flatten"], [])
    window.scene.link_requested.emit("pool2", "dense1")
    problems = window.problems
    problems._verify()                 # what the pause after an edit does: the fixes are tried on copies
    assert problems.entries
    row = next(i for i, e in enumerate(problems.entries) if e[0] == "dense1" and e[3])
    problems.list.item(row).setSelected(True)
    assert window.scene.selected_ids() == ["dense1"]
    assert problems.fix_button.isEnabled()
    steps = window.doc.undo_stack.count()
    problems.fix_button.click()
    assert window.doc.undo_stack.count() == steps + 1
    assert all(r.ok for r in window.doc.results.values())
    assert [(e[0], e[1]) for e in problems.entries] == [("pool2", "warning")]     # only the receptive field's
    assert problems.count.text() == "0 errors, 1 warning"


def test_a_short_receptive_field_is_a_warning_in_the_problems_list_that_follows_the_document(window, qtbot):
    problems = window.problems
    (row, entry), = [(i, e) for i, e in enumerate(problems.entries) if "classifier's units see" in e[2]]
    assert entry[:2] == ("pool2", "warning") and "10×10 of the 28×28 input" in entry[2]
    assert problems.count.text() == "0 errors, 1 warning" and window.problems_dock.windowTitle() == "Problems (1)"
    assert "1 warning" in window.shape_status.text()                 # the status bar counts it too
    item = problems.list.item(row)
    assert "10×10 of the 28×28 input" in item.text()
    problems.list.scrollToItem(item)
    qtbot.mouseClick(problems.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=problems.list.visualItemRect(item).center())
    assert window.scene.selected_ids() == ["pool2"]                  # clicking the row selects the block
    assert window.editor.set_param("conv2", "kernel_size", 7) and window.editor.set_param("conv2", "padding", 3)
    assert problems.entries == [] and "No problems" in problems.count.text()   # pool2 now sees 20×20
    assert "0 warnings" in window.shape_status.text()
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    assert [e[2] for e in problems.entries] == [entry[2]]            # undo brings it back


def test_the_summary_estimates_training_memory_for_a_batch(window):
    s = window.summary
    s.batch.setValue(1)
    small = s.estimate.text()
    s.batch.setValue(4096)
    assert small != s.estimate.text() and "CPU" in s.device.currentText()
    from widgets.summary import training_memory
    m = training_memory(window.doc.results, 10, "adam")
    params = sum(r.params or 0 for r in window.doc.results.values())
    assert m["optimizer"] == 2 * m["weights"] == 8 * params


def test_explain_panel_walks_through_the_size_rule(window):
    window.scene.select_ids(["pool1"])
    text = window.explain.toPlainText()
    assert "out = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1" in text
    assert "28" in text and "14" in text and "C × H × W" in text


def test_add_menu_goes_before_help(window):
    menu = window.add_menu("&Train")
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Train") == titles.index("&Help") - 1
    assert menu.title() == "&Train"


def test_a_refused_rename_says_why_and_shows_the_old_name_again(window, qtbot):
    window.scene.select_ids(["conv2"])
    edit = window.inspector.id_edit
    edit.setText("conv1")
    edit.editingFinished.emit()
    assert "conv1" in status(window) and "already" in status(window)
    assert edit.text() == "conv2" and "conv2" in window.doc.network


def test_keyboard_undo_redo_and_duplicate_on_the_canvas(window, qtbot):
    start = snapshot(window)
    window.view.setFocus()
    window.scene.select_ids(["relu1"])
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert "relu2" in window.doc.network and "relu4" in window.doc.network   # relu1's copy takes a fresh id
    after = snapshot(window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert snapshot(window) == start
    qtbot.keyClick(window.view, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert snapshot(window) == after
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert snapshot(window) == after


def test_the_summary_table_follows_edits_and_deletes(window):
    table = window.summary.table

    def row_of(nid):
        return next(r for r in range(table.rowCount()) if table.item(r, 0).text() == nid)
    window.editor.set_param("conv1", "out_channels", 12)
    assert table.item(row_of("conv1"), 2).text() == "12 × 28 × 28"
    assert table.item(row_of("conv2"), 3).text() == f"{16 * 12 * 9 + 16:,}"
    window.scene.delete_requested.emit(["flatten"], [])
    assert table.rowCount() == len(window.doc.network) == 10
    assert table.item(row_of("dense1"), 2).text() == "error"      # no input any more
    assert table.item(row_of("relu3"), 2).text() == "—"           # blocked by dense1, not its own fault
    assert "1 error" in window.summary.totals.text()
    window.doc.undo_stack.undo()
    assert table.item(row_of("dense1"), 2).text() == "64" and "valid" in window.summary.totals.text()


def test_a_dock_added_later_is_listed_with_the_other_panels(window):
    from PySide6.QtWidgets import QLabel
    dock = window.add_dock(QLabel("loss"), "Loss curve", "right")
    actions = window.view_menu.actions()
    assert actions.index(dock.toggleViewAction()) == actions.index(window.docks_end) - 1
    assert actions.index(window.problems_dock.toggleViewAction()) < actions.index(dock.toggleViewAction())


def test_the_toolbar_undo_keeps_a_short_label_and_says_what_it_undoes(window):
    undo = next(a for a in window.toolbar.actions() if a.text() == "Undo")
    assert not undo.isEnabled()
    window.editor.set_param("conv1", "out_channels", 9)
    assert undo.isEnabled() and undo.text() == "Undo" and "out_channels" in undo.toolTip()
    undo.trigger()
    assert window.doc.network.nodes["conv1"].params["out_channels"] == 8


def test_with_nothing_selected_the_explain_panel_describes_the_network(window):
    window.files.open_path(EXAMPLES / "crnn.json", ask=False)
    window.scene.select_ids([])
    text = window.explain.toPlainText()
    assert "CRNN" in text and "bidirectional LSTM" in text and "C × H × W" in text


def test_deleting_blocks_and_links_together_is_one_undo_step(window):
    before = snapshot(window)
    window.scene.select_ids(["pool1"])
    window.scene.link_item("relu3", "dense2").setSelected(True)
    window.delete_action.trigger()
    assert "pool1" not in window.doc.network
    assert ("relu3", "dense2") not in {(e.source, e.target) for e in window.doc.network.edges}
    assert window.doc.undo_stack.undoText() == "delete 1 block and 1 link"
    window.undo_action.trigger()
    assert snapshot(window) == before


def test_pasting_the_same_copy_again_lands_beside_it_each_time_clear_of_every_block(window):
    from engine.core.layout import crowded
    window.scene.select_ids(["conv1"])
    window.copy_action.trigger()
    window.paste_action.trigger()
    first = window.scene.selected_ids()[0]
    window.paste_action.trigger()
    second = window.scene.selected_ids()[0]
    net = window.doc.network
    assert window.scene.selected_ids() == [second]
    for nid in (first, second):
        others = [n.position for k, n in net.nodes.items() if k != nid]
        assert not crowded(net.nodes[nid].position, others, window.scene.direction), nid
    # beside the original: at its place along the flow (left to right: the same x), next to it across
    assert net.nodes[first].position[0] == net.nodes["conv1"].position[0] == net.nodes[second].position[0]


def test_on_a_large_network_the_tables_follow_after_a_pause(window, chain, qtbot):
    from app.main_window import LARGE_NETWORK
    steps = [("Input", {"shape": [4]})] + [("ReLU", {})] * (LARGE_NETWORK + 5)
    window.doc.replace(chain(*steps), None)
    qtbot.waitUntil(lambda: window.summary.table.rowCount() == len(steps))
    window.editor.set_param("b0", "shape", [6])
    assert window.scene.block_item("b1").shape_text == "6"            # the canvas at once
    table = window.summary.table
    qtbot.waitUntil(lambda: table.item(table.rowCount() - 1, 2).text() == "6")


def test_after_a_theme_switch_the_summary_text_follows_the_new_palette(window):
    from PySide6.QtGui import QPalette
    window.set_theme("dark")
    text = window.summary.palette().color(QPalette.ColorRole.Text)
    row = [window.summary.table.item(r, 0).text() for r in range(window.summary.table.rowCount())].index("conv1")
    assert window.summary.table.item(row, 2).foreground().color() == text
    window.set_theme("light")
    assert window.summary.table.item(row, 2).foreground().color() == \
        window.summary.palette().color(QPalette.ColorRole.Text)


def test_on_a_large_network_the_status_bar_counts_the_receptive_field_warning_once_problems_catch_up(
        window, qtbot, tmp_path):
    net = engine.load_network(EXAMPLES / "mnist_cnn.json")
    net.disconnect("relu3", "dense2")
    prev = "relu3"
    for i in range(130):                                  # above the size the tables follow after a pause
        net.add_node("ReLU", {}, f"r{i}")
        net.connect(prev, f"r{i}")
        prev = f"r{i}"
    net.connect(prev, "dense2")
    path = tmp_path / "long.json"
    engine.save_network(net, path)
    assert window.files.open_path(path, ask=False)
    qtbot.waitUntil(lambda: [e[0] for e in window.problems.entries] == ["pool2"])
    qtbot.waitUntil(lambda: "1 warning" in window.shape_status.text())
