"""The table of data sets (engine/data/registry.py) is the one place a built-in data set is declared:
every entry loads at the Input it names, a network file may name it, the training panel offers it, the
fit advice and the exported script follow it; and its proof, the generated `clips`, gives clips whose
classes differ only in how the shape moves."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.core.dataset_names import NAMES
from engine.core.training_object import training_problem
from engine.data import BUILT_IN, DataError, InputSpec, load_dataset, preview
from engine.data.fit import check
from engine.data.registry import DOWNLOAD, FOLDER, GENERATED, SETS, names
from engine.runtime.script_export import export_script

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
MADE_HERE = [s for s in SETS.values() if s.kind != DOWNLOAD]     # generated, or with a built-in stand-in


def test_the_names_a_file_may_give_are_the_registrys():
    assert NAMES == tuple(SETS), ("engine/core/dataset_names.py NAMES must list the registry's names in its order: "
                                  f"{tuple(SETS)}")
    assert tuple(BUILT_IN) == tuple(SETS) and all(BUILT_IN[s.name] == s.description for s in SETS.values())


@pytest.mark.parametrize("named", SETS.values(), ids=lambda s: s.name)
def test_every_entry_is_complete(named):
    assert named.kind in (GENERATED, FOLDER, DOWNLOAD) and named.description
    assert callable(named.maker())                             # its "module.function" exists
    if named.kind == GENERATED:
        assert named.copies[-1] == named.function and named.script_reads is None and named.fits
    assert training_problem({"dataset": named.name}) is None


@pytest.mark.parametrize("named", MADE_HERE, ids=lambda s: s.name)
def test_every_set_made_here_loads_and_previews_at_the_input_it_names(named, tmp_path):
    inp = InputSpec("input", named.fits, named.dtype)
    ds = load_dataset(named.name, inp, data_dir=tmp_path)      # an empty folder: shakespeare's stand-in
    assert ds.sample_shape[:len(named.fits)] == named.fits and len(ds) >= 2
    kind, examples, text = preview(named.name, inp, data_dir=tmp_path)
    assert examples and text


@pytest.mark.parametrize("name", names(GENERATED))
def test_a_network_file_brings_each_generated_set(name, tmp_path):
    d = json.loads((EXAMPLES / "mnist_cnn.json").read_text())
    d["training"] = {"dataset": name}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(d))
    assert engine.load_network(path).extra["training"]["dataset"] == name


def test_the_panel_offers_every_entry_with_its_description(qtbot):
    from PySide6.QtCore import Qt
    from widgets.training_panel import TrainingPanel
    panel = TrainingPanel(devices=["cpu"])
    qtbot.addWidget(panel)
    combo = panel.dataset_combo
    offered = {combo.itemData(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())}
    assert all(offered.get(s.name) == s.description for s in SETS.values())
    assert [c for c in panel.candidates() if ":" not in c] == [s.name for s in MADE_HERE]
    combo.setCurrentIndex(combo.findData("clips"))
    panel.set_input(InputSpec("input", (1, 8, 16, 16)))
    panel.refresh_preview()
    assert not panel.preview_busy                              # generated: drawn at once
    assert not panel.preview_label.pixmap().isNull() and "moving" in panel.preview_text.text()


def test_the_fit_advice_names_clips_for_a_network_made_for_it_and_offers_its_input():
    net = engine.load_network(EXAMPLES / "clip_cnn.json")
    assert check("clips", net).ok
    wrong = check("shapes", net)
    assert wrong.ok is False and "clips" in wrong.fitting      # the data that fits it as it is
    flat = engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": [
        {"id": "input", "type": "Input", "params": {"shape": [1, 16, 16]}}, {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 5}}],
        "edges": [{"source": "input", "target": "flat"}, {"source": "flat", "target": "fc"}]})
    advice = check("clips", flat).text       # a change of the Input that breaks nothing else is offered
    assert "does not fit" in advice and "set it to e.g. [1, 8, 16, 16]" in advice


# ---- clips ------------------------------------------------------------------------------------------

def clips(shape=(1, 8, 16, 16), n=500, seed=0):
    return SETS["clips"].load(InputSpec("input", shape), seed=seed, n=n)


def motion(x: np.ndarray) -> np.ndarray:
    """(N, 2): how far the bright shape's centre moves from the first frame to the last (dy, dx)."""
    frames = np.clip(x.mean(1) - 0.3, 0, None)                # (N, D, H, W): the shape, less the noise
    h, w = frames.shape[2:]
    yy, xx = np.mgrid[0:h, 0:w]
    mass = frames.sum((2, 3))
    cy, cx = (frames * yy).sum((2, 3)) / mass, (frames * xx).sum((2, 3)) / mass
    return np.stack([cy[:, -1] - cy[:, 0], cx[:, -1] - cx[:, 0]], 1)


@pytest.mark.parametrize("shape", [(1, 8, 16, 16), (3, 4, 8, 8), (1, 6, 12, 20)])
def test_clips_classes_differ_by_their_motion_alone(shape):
    ds = clips(shape, n=600)
    assert ds.x.shape == (600, *shape) and ds.x.dtype == np.float32 and 0 <= ds.x.min() and ds.x.max() <= 1
    assert ds.classes == ["left", "right", "up", "down", "still"]
    assert np.bincount(ds.y).tolist() == [120] * 5
    m = motion(ds.x)
    guess = np.where(np.abs(m).max(1) < 1.0, 4,
                     np.where(np.abs(m[:, 1]) > np.abs(m[:, 0]), np.where(m[:, 1] < 0, 0, 1),
                              np.where(m[:, 0] < 0, 2, 3)))
    assert (guess == ds.y).mean() > 0.9                        # the motion tells the class
    first = ds.x[:, :, 0].reshape(len(ds), -1).mean(1)         # a single frame does not: same brightness
    means = [first[ds.y == k].mean() for k in range(5)]
    assert max(means) - min(means) < 0.02


def test_clips_are_seeded_and_refuse_inputs_they_cannot_fill():
    assert np.array_equal(clips(seed=3).x, clips(seed=3).x) and not np.array_equal(clips(seed=3).x, clips(seed=4).x)
    with pytest.raises(DataError, match=r"makes clips \[C, D, H, W\].*set it to e.g. \[1, 8, 16, 16\]"):
        clips((1, 16, 16))
    with pytest.raises(DataError, match="at least 4 frames of 8×8.*asks for 3 frames of 16×16"):
        clips((1, 3, 16, 16))
    with pytest.raises(DataError, match="takes token ids"):
        load_dataset("clips", InputSpec("input", (1, 8, 16, 16), "int64"))


def test_the_clip_examples_script_generates_clips_and_trains(tmp_path):
    net = engine.load_network(EXAMPLES / "clip_cnn.json")
    script = tmp_path / "train.py"
    script.write_text(export_script(net), encoding="utf-8")
    p = subprocess.run([sys.executable, str(script), "--epochs", "1", "--out", "run"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert p.returncode == 0, p.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.csv") as f:
        rows = list(f)
    assert len(rows) == 2 and "epoch 1/1" in p.stdout
