"""Files in the main window: save and reopen, broken files, examples, dropped files, the question before
losing changes, recent files, theme, crash recovery, and a clean start-up."""
from __future__ import annotations

import json
from pathlib import Path

import engine
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.main_window import MainWindow
from app.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


@pytest.fixture(autouse=True)
def keep_app_look(qapp):
    """Theme tests and app.gui restyle the shared QApplication; later tests get it back as it was."""
    sheet, palette, style = qapp.styleSheet(), qapp.palette(), qapp.style().name()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)


@pytest.fixture
def config(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def dialogs(monkeypatch):
    seen = {"question": [], "warning": [], "answer": QMessageBox.StandardButton.Discard, "save_to": None,
            "open": None}

    def question(parent, title, text, *args, **kwargs):
        seen["question"].append(text)
        return seen["answer"]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda p, t, text, *a, **k: seen["warning"].append(text)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(seen["save_to"]) if seen["save_to"] else "", "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(seen["open"]) if seen["open"] else "", "")))
    return seen


def make_window(qtbot, path=EXAMPLES / "lenet5.json"):
    w = MainWindow()
    qtbot.addWidget(w)
    if path is not None:
        assert w.files.open_path(path, ask=False)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_save_as_then_reopen_gives_the_same_network(qtbot, config, dialogs, tmp_path):
    w = make_window(qtbot)
    w.editor.set_param("c1", "out_channels", 5)
    assert w.isWindowModified()
    dialogs["save_to"] = tmp_path / "mine"              # no suffix: .json is added
    w.save_action.trigger()                              # an example is never overwritten: Save asks where
    saved = tmp_path / "mine.json"
    assert saved.is_file() and not w.isWindowModified() and "mine.json" in w.windowTitle()
    other = make_window(qtbot, saved)
    assert engine.network_to_dict(other.doc.network) == engine.network_to_dict(w.doc.network)
    assert json.loads((EXAMPLES / "lenet5.json").read_text())["nodes"][1]["params"]["out_channels"] == 6
    assert str(saved.resolve()) in Settings().recent_files()


def test_opening_a_broken_file_shows_why_and_keeps_the_document(qtbot, config, dialogs, tmp_path):
    w = make_window(qtbot)
    w.editor.set_param("c1", "out_channels", 4)
    before = engine.network_to_dict(w.doc.network)
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    dialogs["answer"] = QMessageBox.StandardButton.Discard
    assert not w.files.open_path(bad)
    assert dialogs["warning"] and "broken.json" in dialogs["warning"][-1] and "JSON" in dialogs["warning"][-1]
    assert engine.network_to_dict(w.doc.network) == before
    assert w.doc.undo_stack.canUndo()


def test_every_example_in_the_menu_opens_without_errors(qtbot, config, dialogs):
    w = make_window(qtbot, None)
    actions = [a for a in w.examples_menu.actions() if a.isEnabled()]
    assert len(actions) == len(list(EXAMPLES.glob("*.json")))
    for a in actions:
        a.trigger()
        assert w.doc.results and all(r.ok for r in w.doc.results.values()), a.text()
        listed = w.problems.entries          # what may be listed: a receptive field warned about (mnist_cnn's)
        assert all(kind == "warning" and "is the last layer with spatial axes" in text
                   for _nid, kind, text, _fixes in listed), a.text()
    assert not dialogs["warning"]


def test_cancel_in_the_unsaved_changes_question_keeps_everything(qtbot, config, dialogs):
    w = make_window(qtbot)
    w.editor.set_param("c1", "out_channels", 3)
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    w.new_action.trigger()
    assert dialogs["question"] and "c1" in w.doc.network
    assert not w.close()                                 # closing is refused too
    dialogs["answer"] = QMessageBox.StandardButton.Discard
    w.new_action.trigger()
    assert len(w.doc.network) == 0 and not w.isWindowModified()


def test_save_in_the_question_saves_before_opening_another(qtbot, config, dialogs, tmp_path):
    mine = tmp_path / "mine.json"
    engine.save_network(engine.load_network(EXAMPLES / "lenet5.json"), mine)
    w = make_window(qtbot, mine)
    w.editor.set_param("c1", "out_channels", 3)
    dialogs["answer"] = QMessageBox.StandardButton.Save
    dialogs["open"] = EXAMPLES / "crnn.json"
    w.open_action.trigger()
    assert engine.load_network(mine).nodes["c1"].params["out_channels"] == 3
    assert w.doc.path == (EXAMPLES / "crnn.json").resolve()


def test_dropping_a_json_file_on_the_window_opens_it(qtbot, config, dialogs):
    w = make_window(qtbot)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(EXAMPLES / "char_lstm.json"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    w.dropEvent(event)
    qtbot.waitUntil(lambda: w.doc.path is not None and w.doc.path.name == "char_lstm.json")
    mime2 = QMimeData()
    mime2.setUrls([QUrl.fromLocalFile(str(EXAMPLES / "crnn.json"))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime2, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w.view.viewport(), enter)        # onto the canvas, not only the window frame
    assert enter.isAccepted()
    on_canvas = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime2, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(w.view.viewport(), on_canvas)
    qtbot.waitUntil(lambda: w.doc.path.name == "crnn.json")


def test_theme_window_state_and_recent_files_are_remembered(qtbot, config, dialogs):
    w = make_window(qtbot)
    w.theme_actions["dark"].trigger()
    w.problems_dock.hide()
    w.close()
    assert Settings().theme == "dark"
    assert str((EXAMPLES / "lenet5.json").resolve()) == Settings().recent_files()[0]
    again = MainWindow()
    qtbot.addWidget(again)
    again.restore_state()
    assert again.problems_dock.isHidden()
    w.theme_actions["light"].trigger()
    recent = [a.text() for a in again.recent_menu.actions()]
    assert "lenet5.json" in recent


def test_unsaved_work_is_offered_back_after_a_crash(qtbot, config, dialogs):
    w = make_window(qtbot)
    w.editor.set_param("c1", "out_channels", 13)
    w.recovery.write()                       # what the autosave timer does a couple of seconds later
    second = MainWindow()                    # a second Netwright beside the first: nothing to restore
    qtbot.addWidget(second)
    assert not second.files.offer_recovery() and dialogs["question"] == []
    assert w.recovery.path.exists()
    crashed = w.recovery.path
    w.recovery.lock.unlock()                 # simulate a crash: the first process ends without a clean exit
    w.doc.undo_stack.setClean()
    dialogs["answer"] = QMessageBox.StandardButton.Yes
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.files.offer_recovery()
    assert again.doc.network.nodes["c1"].params["out_channels"] == 13
    assert again.isWindowModified() and again.doc.path == (EXAMPLES / "lenet5.json").resolve()
    assert again.recovery.path.exists() and not crashed.exists()     # the restored work is kept anew
    dialogs["answer"] = QMessageBox.StandardButton.Discard
    again.close()
    assert not again.recovery.path.exists()  # a clean exit removes the copy


def test_the_app_starts_with_the_default_example_and_no_warnings(qtbot, config, dialogs, monkeypatch):
    """app.gui.run as `python main.py` calls it; its event loop ends once the example is open."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    import app.gui as gui
    monkeypatch.setattr(gui, "preload_torch", lambda: None)
    loop = QEventLoop()
    # A local loop instead of QApplication.exec: quitting the application's loop would stop every
    # later test's event loop too.
    monkeypatch.setattr(QApplication, "exec", lambda self: loop.exec())
    seen = {}

    def check(tries=[0]):
        win = next(x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow))
        tries[0] += 1
        if not win.extras_installed and tries[0] < 50:
            QTimer.singleShot(100, check)
            return
        seen["title"] = win.windowTitle()
        seen["status"] = win.statusBar().currentMessage()
        seen["blocks"] = len(win.doc.network)
        seen["docks"] = [d.windowTitle() for d in win.docks]
        win.close()
        win.deleteLater()
        loop.quit()
    QTimer.singleShot(300, check)
    assert gui.run([]) == 0
    assert "mnist_cnn.json" in seen["title"] and seen["blocks"] > 5
    assert "palette" in seen["status"]
    assert "Training" in seen["docks"]          # added once the window was painted
    assert Settings().recent_files() == []      # the start-up example is not a recent file


def test_the_window_is_built_without_importing_torch_or_pyqtgraph(tmp_path):
    """Start-up speed: torch (seconds), pyqtgraph and numpy (the training panel) load only after the window
    is up (app.gui adds the training panel once the window is painted and imports torch in the background)."""
    import subprocess
    import sys
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from app.main_window import MainWindow\n"
            "w = MainWindow(defer_extras=True); w.show(); app.processEvents()\n"
            "assert w.files.open_path('resources/examples/mnist_cnn.json', ask=False)\n"
            "app.processEvents()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'pyqtgraph', 'numpy'}))\n")
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "NETWRIGHT_CONFIG_DIR": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_options_print_the_usage_instead_of_opening_a_window(capsys):
    import app.gui as gui
    assert gui.run(["--bogus"]) == 2
    assert gui.run(["a.json", "b.json"]) == 2
    assert "usage: python main.py [NETWORK.json]" in capsys.readouterr().err
