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
