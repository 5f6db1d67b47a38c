"""Crash recovery that cannot be starved: steady editing still gets a copy (debounce with a ceiling),
a process killed with SIGKILL has its edits restored by the next start, and a copy that cannot be
read is kept under another name and reported, never skipped in silence."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

import engine
from app import recovery as recovery_module
from app.commands import SetParams
from app.document import Document
from app.main_window import MainWindow
from app.recovery import Recovery

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "resources" / "examples" / "lenet5.json"


@pytest.fixture
def dialogs(monkeypatch):
    seen = {"question": [], "warning": [], "answer": QMessageBox.StandardButton.Yes}

    def question(parent, title, text, *args, **kwargs):
        seen["question"].append(text)
        return seen["answer"]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda p, t, text, *a, **k: seen["warning"].append(text)))
    return seen


def copies(folder: Path) -> list[Path]:
    return sorted(folder.glob(recovery_module.PATTERN))


def test_steady_editing_still_gets_a_copy_before_it_pauses(qtbot, tmp_path, monkeypatch):
    """Edits come faster than the quiet interval for the whole test: only the ceiling can write."""
    monkeypatch.setattr(recovery_module, "QUIET_MS", 400)
    monkeypatch.setattr(recovery_module, "CEILING_MS", 800)
    doc = Document()
    doc.replace(engine.load_network(LENET), None)
    rec = Recovery(doc, tmp_path)
    edits = [0]

    def edit():
        edits[0] += 1
        doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 6 + edits[0]}))
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(edit)
    timer.start()
    try:
        qtbot.waitUntil(rec.path.exists, timeout=20000)
    finally:
        timer.stop()
    net, _ = recovery_module.read_copy(rec.path)
    assert net.nodes["c1"].params["out_channels"] > 6           # it holds the edits made so far
    rec.discard()


def test_a_process_killed_while_editing_has_its_edits_restored_on_the_next_start(qtbot, tmp_path, dialogs):
    folder = tmp_path / "config"
    folder.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NETWRIGHT_CONFIG_DIR": str(folder),
           "PYTHONPATH": str(ROOT)}
    errors = tmp_path / "child-stderr.txt"
    with open(errors, "w", encoding="utf-8") as err:
        child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "recovery_child.py"), str(folder), str(LENET)],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(line.strip() for line in child.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90            # generous: the child imports Qt on a busy machine
        while not copies(folder) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert copies(folder), f"no recovery copy appeared; child said {printed[-3:]} {child.poll()}"
        written = copies(folder)[0].stat().st_mtime_ns
        while (copies(folder) and copies(folder)[0].stat().st_mtime_ns == written and child.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.1)                         # let it write again while the edits go on
        assert child.poll() is None, errors.read_text(encoding="utf-8")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        reader.join(10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    edits = [int(x) for x in printed if x.isdigit()]
    assert edits, printed

    window = MainWindow(recovery_folder=folder)       # the next start
    qtbot.addWidget(window)
    assert window.files.offer_recovery()
    assert len(dialogs["question"]) == 1 and dialogs["warning"] == []
    restored = window.doc.network
    n = restored.nodes["c1"].params["out_channels"]
    assert 1 <= n <= edits[-1]                        # the edits made before the kill, not the file's 6
    assert restored.nodes["a1"].position == (float(n), 200.0)      # both edits of that step, together
    assert window.doc.path == LENET.resolve() and window.doc.modified
    window.recovery.discard()


def test_an_unreadable_copy_is_kept_aside_and_reported(qtbot, tmp_path, dialogs):
    texts = ['{"format": "netwright.network", "version": 1, "nodes": [',
             "[" * 100000 + "]" * 100000,
             '{"format": "netwright.network", "version": 1, "nodes": [{"id": "x", "type": "Nope"}]}']
    for i, text in enumerate(texts):
        (tmp_path / f"recovery-999999-{i}.json").write_text(text, encoding="utf-8")
    window = MainWindow(recovery_folder=tmp_path)
    qtbot.addWidget(window)
    assert not window.files.offer_recovery()          # nothing restorable …
    assert dialogs["question"] == [] and len(dialogs["warning"]) == 1      # … but the user is told
    message = dialogs["warning"][0]
    assert "not valid JSON" in message and "nested too deeply" in message and "Nope" in message
    kept = sorted(p.name for p in tmp_path.glob(f"{recovery_module.DAMAGED_PREFIX}*"))
    assert len(kept) == 3 and all(name in message for name in kept)
    assert copies(tmp_path) == []                     # renamed aside: not offered (or reported) again
    assert sorted(p.read_text(encoding="utf-8") for p in tmp_path.glob(f"{recovery_module.DAMAGED_PREFIX}*")) == \
        sorted(texts)                                 # kept as they were
    dialogs["warning"].clear()
    again = MainWindow(recovery_folder=tmp_path)
    qtbot.addWidget(again)
    assert not again.files.offer_recovery() and dialogs["warning"] == []


def test_a_good_copy_is_offered_even_beside_a_broken_one(qtbot, tmp_path, dialogs):
    net = engine.load_network(LENET)
    net.set_param("c1", "out_channels", 17)
    data = engine.network_to_dict(net)
    data["netwright_recovery"] = {"path": None}
    (tmp_path / "recovery-999998-1.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "recovery-999999-1.json").write_text("not json", encoding="utf-8")
    window = MainWindow(recovery_folder=tmp_path)
    qtbot.addWidget(window)
    assert window.files.offer_recovery()
    assert window.doc.network.nodes["c1"].params["out_channels"] == 17
    assert len(dialogs["warning"]) == 1 and len(dialogs["question"]) == 1
    window.recovery.discard()


def test_a_copy_that_cannot_be_written_is_said_once_not_at_every_edit(qtbot, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the recovery folder should be", encoding="utf-8")
    doc = Document()
    doc.replace(engine.load_network(LENET), None)
    rec = Recovery(doc, blocked)
    said: list[str] = []
    rec.failed.connect(said.append)
    for n in (7, 8, 9):
        doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": n}))
        rec.write()
    assert len(said) == 1 and "Crash recovery is off" in said[0] and str(blocked) in said[0]
