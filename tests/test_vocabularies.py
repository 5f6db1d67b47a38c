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


# ---- the atomic write (engine/core/files.py) -------------------------------------------------------

def test_the_exported_script_carries_the_one_atomic_write_whole(load_example):
    import ast
    import inspect
    from engine.core import files
    from engine.runtime.script_export import ATOMIC_WRITE, export_script
    tree = ast.parse(inspect.getsource(files))
    top = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    top.update({t.id: n for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)})
    needed, todo = set(), ["atomic_write"]
    while todo:                                   # atomic_write and every module-level name it reaches
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += [n.id for n in ast.walk(top[name]) if isinstance(n, ast.Name) and n.id in top]
    assert needed == set(ATOMIC_WRITE)
    script = export_script(load_example("lenet5"))
    assert inspect.getsource(files.atomic_write) in script
    assert "os.replace(" not in script.replace(inspect.getsource(files.atomic_write), "")


# ---- "the network must be valid and have an output" (engine/core/ready.py) ----------------------

def test_building_and_training_refuse_a_network_with_the_same_sentences(chain):
    from engine.core.ready import NO_OUTPUT
    from engine.core.shapes import infer_shapes
    from engine.data import DataError, check_fit, input_spec, load_dataset
    from engine.runtime.build import ModelError, build_model
    alone = chain(("Input", {"shape": [1, 28, 28]}))
    broken = chain(("Input", {"shape": [1, 28, 28]}),
                   ("Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}), ("ReLU", {}))
    data = load_dataset("shapes", input_spec(alone))
    for net, words in ((alone, NO_OUTPUT), (broken, "The network has errors, so it cannot be")):
        with pytest.raises(ModelError, match=words.split(":")[0]):
            build_model(net)
        with pytest.raises(DataError, match=words.split(":")[0]):
            check_fit(data, net)
    own = [r.error for r in infer_shapes(broken).values() if r.error and not r.blocked]
    with pytest.raises(ModelError) as e:
        build_model(broken)
    assert str(e.value).splitlines()[1:] == [f"- {x}" for x in own]
