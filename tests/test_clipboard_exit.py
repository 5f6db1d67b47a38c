"""Copying blocks and then quitting must exit cleanly: a QMimeData made in Python and handed to the
clipboard is freed twice by PySide6 at exit (a segfault when the app or the test run ends)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
w = MainWindow()
w.doc.open("resources/examples/mnist_cnn.json")
ids = list(w.doc.network.nodes)[:2]
assert ids, "the window opened no blocks"
assert w.editor.copy(ids)
assert w.editor.paste(), "nothing was pasted"
w.doc.undo_stack.setClean()
w.close()
print("copied", len(ids))
"""


def test_copy_then_quit_exits_cleanly(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "copied 2" in proc.stdout
