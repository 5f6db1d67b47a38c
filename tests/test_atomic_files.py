"""Files as users expect (engine/core/files.py, the one atomic write): normal permissions, the old file
intact when a write fails, and no temporary files left behind, even by a save that was killed."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from engine.core import files
from engine.core.files import atomic_write, atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
NET = {"format": "netwright.network", "version": 1, "name": "n",
       "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                 {"id": "fc", "type": "Linear", "params": {"out_features": 2}}],
       "edges": [{"source": "x", "target": "fc"}]}

posix_only = pytest.mark.skipif(os.name != "posix", reason="Unix permissions")


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@posix_only
def test_new_files_get_the_umask_permissions_and_replaced_files_keep_theirs(tmp_path, umask022):
    path = tmp_path / "net.json"
    engine.save_network(engine.network_from_dict(NET), path)
    assert mode(path) == 0o644                      # not 0600: others may read a shared network
    os.chmod(path, 0o664)                           # a group-writable shared file stays so after a save
    engine.save_network(engine.network_from_dict(NET), path)
    assert mode(path) == 0o664
    assert leftovers(tmp_path) == []


@posix_only
def test_run_files_exports_and_checkpoints_get_normal_permissions(tmp_path, umask022):
    import torch

    from engine.runtime.weights import save_weights
    from engine.runtime.runs import RunFolder
    run = RunFolder(tmp_path / "run")
    run.write_manifest(NET, "synthetic", 0, "cpu", {})
    run.append_metrics({"epoch": 1, "step": 10, "train_loss": 0.5})
    run.save_checkpoint({"w": torch.zeros(2)})
    save_weights({"w": torch.zeros(2)}, tmp_path / "weights.pt")
    written = [run.path / "manifest.json", run.metrics_path, run.checkpoint_path, tmp_path / "weights.pt"]
    assert [mode(p) for p in written] == [0o644] * 4
    assert leftovers(run.path) == [] and leftovers(tmp_path) == []


@posix_only
def test_the_export_command_writes_a_readable_file(tmp_path, umask022):
    net = tmp_path / "net.json"
    engine.save_network(engine.network_from_dict(NET), net)
    out = tmp_path / "model.py"
    from engine import cli
    assert cli.main(["export", str(net), "-o", str(out)]) == 0
    assert mode(out) == 0o644 and leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "data.bin"
    atomic_write_text(path, "old")

    def half_then_fail(f):
        f.write(b"new but incomplete")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_a_killed_save_leaves_a_temporary_file_that_the_next_save_removes(tmp_path):
    target = tmp_path / "net.json"
    atomic_write_text(target, "before")
    marker = tmp_path / "writing"
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from engine.core.files import atomic_write\n"
        "def slow(f):\n"
        "    f.write(b'half a file'); f.flush(); Path(sys.argv[2]).touch(); time.sleep(60)\n"
        "atomic_write(sys.argv[1], slow)\n"), str(target), str(marker)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never started writing"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    marker.unlink()
    stray = leftovers(tmp_path)
    assert len(stray) == 1 and stray[0].startswith(".net.json.")        # what a crash leaves
    assert target.read_text() == "before"                               # the old file is intact
    engine.save_network(engine.network_from_dict(NET), target)
    assert leftovers(tmp_path) == []                                    # the next save cleans up
    assert engine.load_network(target).name == "n"


def test_temporary_files_of_a_live_save_are_left_alone_and_old_ones_go(tmp_path):
    target = tmp_path / "net.json"
    live = tmp_path / f".net.json.{os.getpid()}-abcd1234{files.TMP_SUFFIX}"   # another save under way
    live.write_text("in progress")
    legacy = tmp_path / ".net.json.k2j4h5g6.tmp"                          # an older version's, from a crash
    legacy.write_text("stale")
    old = time.time() - 2 * files.STALE_AFTER_S
    os.utime(legacy, (old, old))
    other = tmp_path / ".other.json.tmp"                                  # another file's: not ours to remove
    other.write_text("x")
    os.utime(other, (old, old))
    atomic_write_text(target, "saved")
    assert leftovers(tmp_path) == sorted([live.name, other.name])
    assert target.read_text() == "saved"


def test_many_saves_leave_exactly_one_file(tmp_path):
    target = tmp_path / "net.json"
    for i in range(20):
        atomic_write_text(target, f"version {i}")
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]
    assert target.read_text() == "version 19"


def test_engine_files_imports_neither_qt_nor_torch():
    code = ("import sys, engine.core.files; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'torch')]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
