"""Each vocabulary the app, the engine and the command line share is declared once; these tests fail when
a place that shows or uses it keeps a copy of its own that drifts from the declared one."""
from __future__ import annotations

import dataclasses

import pytest

from engine.core.sizes import OPTIMIZER_COPIES
from engine.core.training_object import DEFAULTS, OPTIMIZERS, RANGES


# ---- training defaults and the optimizer list (engine/core/training_object.py) -------------------

def test_the_run_settings_start_from_the_training_defaults():
    from engine.runtime.train_setup import OPTIMIZERS as runtime_optimizers, TrainSettings
    settings = TrainSettings()
    assert {k: getattr(settings, k) for k in DEFAULTS} == DEFAULTS
    assert runtime_optimizers is OPTIMIZERS
    assert {f.name for f in dataclasses.fields(TrainSettings)} >= set(DEFAULTS)


def test_the_command_line_offers_the_optimizers_and_names_the_defaults():
    from engine.cli.train import make_parser
    parser = make_parser()
    action = next(a for a in parser._actions if a.dest == "optimizer")
    assert tuple(action.choices) == OPTIMIZERS
    text = parser.format_help()
    assert f"default {DEFAULTS['lr']:g}" in text and f"default {DEFAULTS['epochs']}" in text


def test_every_optimizer_has_a_memory_rule():
    assert tuple(OPTIMIZER_COPIES) == OPTIMIZERS


def test_the_training_panel_offers_the_optimizers_with_the_defaults_and_ranges(qtbot):
    from widgets.training_panel import TrainingPanel
    panel = TrainingPanel(devices=["cpu"])
    qtbot.addWidget(panel)
    assert tuple(panel.optimizer.itemText(i) for i in range(panel.optimizer.count())) == OPTIMIZERS
    settings = panel.settings()
    assert {k: settings[k] for k in DEFAULTS} == pytest.approx(DEFAULTS)
    for key, (_kind, low, high) in RANGES.items():
        box = getattr(panel, key)
        assert (box.minimum(), box.maximum()) == pytest.approx((low, high)), key


def test_the_summary_estimates_memory_for_the_trainers_optimizers(qtbot):
    from widgets.summary import SummaryPanel
    summary = SummaryPanel()
    qtbot.addWidget(summary)
    assert tuple(summary.optimizer.itemText(i) for i in range(summary.optimizer.count())) == OPTIMIZERS
    assert summary.optimizer.currentText() == DEFAULTS["optimizer"]
    assert summary.batch.value() == DEFAULTS["batch_size"]
    assert (summary.batch.minimum(), summary.batch.maximum()) == RANGES["batch_size"][1:]


# ---- run states (engine/runtime/protocol.RunState) -----------------------------------------------

def _string_comparisons(words: set[str]) -> list[str]:
    """`x == "word"` / `x in ("word", ...)` with one of `words`, anywhere in the app, widgets and engine."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    found = []
    for folder in ("app", "widgets", "engine"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Compare):
                    continue
                for side in (node.left, *node.comparators):
                    items = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    if any(isinstance(i, ast.Constant) and i.value in words for i in items):
                        found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_run_states_are_compared_as_run_states_never_as_strings():
    from engine.runtime.protocol import RunState
    assert _string_comparisons({s.value for s in RunState}) == []


# ---- new block ids (engine/core/graph.free_id) ---------------------------------------------------

def test_added_and_pasted_blocks_get_their_ids_the_same_way(load_example):
    from app import clipboard
    from engine.core.graph import free_id
    net = load_example("lenet5")
    nodes, _ = clipboard.paste_plan(net, clipboard.copy_blocks(net, ["c1"]))
    assert nodes[0]["id"] == net.unique_id("c1") == free_id("c1", net.nodes) == "c2"
    assert net.unique_id("Conv2d") == "conv2d1" and free_id("x-y", {"x_y1"}) == "x_y2"
