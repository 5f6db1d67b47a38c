"""Undo commands: every edit can be undone to the exact document before it and redone to the exact one after."""
from __future__ import annotations

import engine
import pytest

from app.commands import (AddBlock, AddBlocks, Connect, Disconnect, MoveBlocks, RemoveBlocks, Rename, SetParams,
                          apply_fix)
from app.document import Document


@pytest.fixture
def doc(qapp, load_example):
    d = Document()
    d.replace(load_example("residual"), None)
    return d


def snapshot(doc):
    return engine.network_to_dict(doc.network)


def test_undo_all_restores_the_exact_document_and_redo_all_the_final_one(doc):
    net = doc.network
    start = snapshot(doc)
    some = list(net.nodes)
    stack = doc.undo_stack
    stack.push(AddBlock(doc, "Dropout", {"p": 0.3}, (10.0, 20.0)))
    stack.push(Connect(doc, some[0], "dropout1"))
    stack.push(SetParams(doc, "dropout1", {"p": 0.25}))
    stack.push(MoveBlocks(doc, {some[1]: (net.nodes[some[1]].position, (333.0, 444.0))}))
    stack.push(Rename(doc, some[1], "renamed"))
    stack.push(RemoveBlocks(doc, ["renamed", some[2]]))
    stack.push(Disconnect(doc, net.edges[0].source, net.edges[0].target))
    stack.push(AddBlocks(doc, [{"id": "x1", "type": "ReLU", "params": {}, "position": (1.0, 2.0)},
                               {"id": "x2", "type": "Tanh", "params": {}, "position": (1.0, 90.0)}], [("x1", "x2")]))
    end = snapshot(doc)
    assert end != start
    while stack.canUndo():
        stack.undo()
    assert snapshot(doc) == start
    while stack.canRedo():
        stack.redo()
    assert snapshot(doc) == end


def test_delete_restores_node_order_and_the_order_of_merge_inputs(qapp, chain):
    net = engine.network_from_dict({
        "format": "netwright.network", "version": 1,
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4, 8]}},
                  {"id": "a", "type": "Linear", "params": {"out_features": 3}},
                  {"id": "b", "type": "Linear", "params": {"out_features": 5}},
                  {"id": "cat", "type": "Concat", "params": {"dim": -1}}],
        "edges": [{"source": "in", "target": "a"}, {"source": "in", "target": "b"},
                  {"source": "b", "target": "cat"}, {"source": "a", "target": "cat"}]})
    doc = Document()
    doc.replace(net, None)
    before = snapshot(doc)
    doc.undo_stack.push(RemoveBlocks(doc, ["a", "b"]))
    assert list(doc.network.nodes) == ["in", "cat"]
    doc.undo_stack.undo()
    assert snapshot(doc) == before
    assert doc.network.inputs_of("cat") == ["b", "a"]     # Concat takes its inputs in this order
    assert doc.results["cat"].shape == (4, 8)


def test_consecutive_edits_of_one_parameter_merge_into_one_step(doc):
    node = next(n for n in doc.network.nodes.values() if n.type == "Conv2d")
    old = node.params["out_channels"]
    for v in (5, 6, 7, 8):
        doc.undo_stack.push(SetParams(doc, node.id, {"out_channels": v}))
    assert doc.undo_stack.count() == 1
    assert "out_channels" in doc.undo_stack.undoText()
    doc.undo_stack.push(SetParams(doc, node.id, {"kernel_size": 1}))
    assert doc.undo_stack.count() == 2       # another parameter starts a new step
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert node.params["out_channels"] == old


def test_a_parameter_edited_back_to_its_value_leaves_no_step(doc):
    node = next(n for n in doc.network.nodes.values() if n.type == "Conv2d")
    old = node.params["out_channels"]
    doc.undo_stack.push(SetParams(doc, node.id, {"out_channels": old + 1}))
    doc.undo_stack.push(SetParams(doc, node.id, {"out_channels": old}))
    assert doc.undo_stack.count() == 0
    assert not doc.modified


def test_quick_fix_insert_before_is_one_step_and_fixes_the_shape(qapp, chain):
    net = chain(("Input", {"shape": [28, 28]}), ("Conv2d", {"out_channels": 4, "kernel_size": 3}))
    doc = Document()
    doc.replace(net, None)
    before = snapshot(doc)
    bad = doc.results["b1"]
    assert bad.error and bad.fixes and bad.fixes[0].kind == "insert_before"
    doc.undo_stack.push(apply_fix(doc, "b1", bad.fixes[0]))
    assert doc.undo_stack.count() == 1
    new_id = doc.network.inputs_of("b1")[0]
    assert doc.network.nodes[new_id].type == bad.fixes[0].block == "Reshape"
    assert doc.network.inputs_of(new_id) == ["b0"]
    assert doc.results["b1"].ok and doc.results["b1"].shape == (4, 26, 26)
    doc.undo_stack.undo()
    assert snapshot(doc) == before


def test_quick_fix_set_params(qapp, chain):
    net = chain(("Input", {"shape": [1, 4, 4]}), ("Conv2d", {"out_channels": 2, "kernel_size": 7}))
    doc = Document()
    doc.replace(net, None)
    fix = doc.results["b1"].fixes[0]
    assert fix.kind == "set_params"
    doc.undo_stack.push(apply_fix(doc, "b1", fix))
    assert doc.results["b1"].ok
    doc.undo_stack.undo()
    assert doc.results["b1"].error


def test_each_command_recomputes_shapes_once(doc):
    calls = []
    doc.results_changed.connect(lambda r: calls.append(r))
    doc.undo_stack.push(RemoveBlocks(doc, list(doc.network.nodes)[1:4]))
    assert len(calls) == 1
