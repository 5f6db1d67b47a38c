"""The network itself, without Qt: the edits it refuses and why, the change events each edit sends (in
order), renaming, taking over another network, and the ids it makes for new blocks."""
from __future__ import annotations

import pytest

from engine.core.graph import Change, ChangeKind, Edge, GraphError, Network, free_id


@pytest.fixture
def net():
    n = Network("test")
    n.add_node("Input", {"shape": [1, 8, 8]}, node_id="x")
    n.add_node("Conv2d", {"in_channels": 1, "out_channels": 2, "kernel_size": 3}, node_id="conv")
    n.add_node("ReLU", node_id="relu")
    n.connect("x", "conv")
    n.connect("conv", "relu")
    return n


def record(net) -> list[Change]:
    seen: list[Change] = []
    net.subscribe(seen.append)
    return seen


# ---- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("source, target, words", [
    ("relu", "relu", "cannot feed itself"),
    ("relu", "x", "is an Input: nothing can feed it"),
    ("x", "conv", "already feeds"),
    ("relu", "conv", "takes one input and already has one"),
    ("nowhere", "conv", "Both ends of a link must be blocks"),
])
def test_links_that_would_break_the_network_are_refused_with_a_reason(net, source, target, words):
    seen = record(net)
    with pytest.raises(GraphError, match=words):
        net.connect(source, target)
    assert seen == [] and net.edges == [Edge("x", "conv"), Edge("conv", "relu")]


def test_a_cycle_is_refused_and_names_the_way_round(net):
    net.add_node("Add", node_id="add")                # takes many inputs: only the cycle stands in the way
    net.connect("relu", "add")
    net.add_node("ReLU", node_id="after")
    net.connect("add", "after")
    seen = record(net)
    with pytest.raises(GraphError, match=r"Linking 'after' → 'add' would make a cycle \('add' already feeds 'after'\)"):
        net.connect("after", "add")
    assert seen == [] and net.reaches("x", "after") and not net.reaches("after", "add")


def test_unknown_types_taken_ids_and_unusable_ids_are_refused(net):
    seen = record(net)
    with pytest.raises(GraphError, match="Unknown block type 'Conv9d'"):
        net.add_node("Conv9d")
    with pytest.raises(GraphError, match="already a block named 'conv'"):
        net.add_node("ReLU", node_id="conv")
    with pytest.raises(GraphError, match="at most 10,000"):
        net.add_node("ReLU", node_id="z" * 10_001)
    for bad in ("", "relu"):
        with pytest.raises(GraphError, match="empty or already used"):
            net.rename("conv", bad)
    assert seen == [] and list(net.nodes) == ["x", "conv", "relu"]


# ---- events ---------------------------------------------------------------------------------

def test_removing_a_block_sends_its_links_first_then_the_block(net):
    seen = record(net)
    net.remove_node("conv")
    assert [(c.kind, c.node_id, c.edge) for c in seen] == [
        (ChangeKind.EDGE_REMOVED, "conv", Edge("x", "conv")),
        (ChangeKind.EDGE_REMOVED, "relu", Edge("conv", "relu")),
        (ChangeKind.NODE_REMOVED, "conv", None)]
    assert net.edges == [] and "conv" not in net


def test_each_edit_sends_one_change_naming_what_changed(net):
    seen = record(net)
    nid = net.add_node("Dropout", {"p": 0.2}, position=(1, 2))
    net.connect("relu", nid)
    net.set_param(nid, "p", 0.5)
    net.set_param(nid, "p", None)                    # back to the default
    net.move(nid, (3, 4))
    net.disconnect("relu", nid)
    assert [(c.kind, c.node_id) for c in seen] == [
        (ChangeKind.NODE_ADDED, nid), (ChangeKind.EDGE_ADDED, nid), (ChangeKind.PARAM_CHANGED, nid),
        (ChangeKind.PARAM_CHANGED, nid), (ChangeKind.NODE_MOVED, nid), (ChangeKind.EDGE_REMOVED, nid)]
    assert (seen[2].name, seen[2].value, seen[3].value, seen[4].value) == ("p", 0.5, None, (3, 4))
    assert net.nodes[nid].params == {} and net.nodes[nid].position == (3, 4)


def test_set_params_sends_one_change_per_parameter_that_differs_in_value_or_type(net):
    seen = record(net)
    net.set_params("conv", {"in_channels": 1, "out_channels": 2.0, "kernel_size": 3, "padding": 1})
    assert [(c.name, c.value) for c in seen] == [("out_channels", 2.0), ("padding", 1)]
    assert list(net.nodes["conv"].params) == ["in_channels", "out_channels", "kernel_size", "padding"]


def test_a_listener_added_or_removed_during_an_event_does_not_disturb_that_event(net):
    calls = []
    late = calls.append

    def first(change):
        calls.append(("first", change.kind))
        net.subscribe(late)
        net.unsubscribe(first)
    net.subscribe(first)
    net.move("x", (0, 0))
    net.move("x", (1, 1))
    assert calls[0] == ("first", ChangeKind.NODE_MOVED) and len(calls) == 2
    net.unsubscribe(first)                            # not subscribed any more: nothing happens


def test_the_topological_order_follows_every_edit(net):
    assert net.topological_order() == ["x", "conv", "relu"] and net.output_node() == "relu"
    net.add_node("Flatten", node_id="flat")
    net.connect("relu", "flat")
    assert net.topological_order() == ["x", "conv", "relu", "flat"] and net.output_node() == "flat"
    net.disconnect("conv", "relu")
    assert net.inputs_of("relu") == [] and net.ancestors("flat") == {"flat", "relu"}


# ---- rename and replace ---------------------------------------------------------------------

def test_rename_keeps_the_place_the_links_and_the_order_of_the_edges(net):
    seen = record(net)
    net.rename("conv", "features")
    assert list(net.nodes) == ["x", "features", "relu"] and net.nodes["features"].id == "features"
    assert net.edges == [Edge("x", "features"), Edge("features", "relu")]
    assert [(c.kind, c.node_id, c.name) for c in seen] == [(ChangeKind.NODE_RENAMED, "features", "conv")]
    assert net.topological_order() == ["x", "features", "relu"]


def test_replace_with_takes_a_copy_keeps_the_listeners_and_sends_one_reset(net):
    other = Network("other")
    other.add_node("Input", {"shape": [4]}, node_id="a")
    other.add_node("Linear", {"in_features": 4, "out_features": 2}, node_id="b")
    other.connect("a", "b")
    other.extra["training"] = {"epochs": 2}
    seen = record(net)
    net.replace_with(other)
    assert [c.kind for c in seen] == [ChangeKind.RESET]
    assert (net.name, list(net.nodes), net.edges) == ("other", ["a", "b"], [Edge("a", "b")])
    other.set_param("b", "out_features", 9)
    other.extra["training"]["epochs"] = 7
    assert net.nodes["b"].params["out_features"] == 2 and net.extra["training"] == {"epochs": 2}
    net.add_node("ReLU")
    assert seen[-1].kind == ChangeKind.NODE_ADDED and "relu1" not in other


def test_a_copy_is_independent_and_has_no_listeners(net):
    seen = record(net)
    twin = net.copy()
    twin.set_param("conv", "out_channels", 8)
    twin.remove_node("relu")
    assert seen == [] and net.nodes["conv"].params["out_channels"] == 2 and "relu" in net


# ---- new ids --------------------------------------------------------------------------------

def test_new_blocks_get_readable_free_ids(net):
    assert net.add_node("ReLU") == "relu1"                 # 'relu' is taken by name, relu1 is free
    assert net.add_node("ReLU") == "relu2"
    assert net.add_node("Conv2d") == "conv2d1"
    assert free_id("conv7", {"conv1"}) == "conv2" and free_id("Ünïcode-1", set()) == "_n_code_1"
    assert free_id("123", set()) == "block1"
