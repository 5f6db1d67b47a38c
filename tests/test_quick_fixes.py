"""Quick fixes that fix: every fix offered, applied to a copy, removes its block's error and creates no
error anywhere else, on hand-made broken networks and on random ones; the best few are offered."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.core.quick_fixes import (
    apply,
    errors_of,
    safe_warning_fixes,
    verified_fix_map,
    verified_fixes,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def mnist_cnn():
    return engine.load_network(EXAMPLES / "mnist_cnn.json")


def assert_every_fix_fixes(net):
    results = engine.infer_shapes(net)
    before = errors_of(results)
    offered = verified_fix_map(net, results)
    for node_id, fixes in offered.items():
        assert len(fixes) <= 3
        for fix in fixes:
            after = errors_of(engine.infer_shapes(apply(net, node_id, fix)))
            assert node_id not in after and after <= before and len(after) < len(before), (node_id, fix)
    for node_id, fixes in safe_warning_fixes(net, results).items():      # a warning's fix adds no error
        for fix in fixes:
            assert errors_of(engine.infer_shapes(apply(net, node_id, fix))) <= before, (node_id, fix)
    return offered


def test_a_kernel_larger_than_the_image_gets_fixes_that_keep_everything_below_fitting():
    net = mnist_cnn()
    net.set_param("conv1", "kernel_size", 30)
    net.set_param("conv1", "padding", 0)          # 30×30 on 28×28: the case
    fixes = assert_every_fix_fixes(net)["conv1"]
    labels = [f.label for f in fixes]
    assert any(label.startswith("Set kernel_size to") for label in labels)
    assert any(label.startswith("Set padding to") for label in labels)
    assert "Set padding to 1" not in labels       # 1×1 out of the convolution: the MaxPool below would fail
    for fix in fixes:
        assert not errors_of(engine.infer_shapes(apply(net, "conv1", fix)))


def test_a_pool_that_fails_because_of_the_block_above_is_fixed_there():
    net = mnist_cnn()
    net.set_param("conv1", "kernel_size", 30)     # padding 1: conv1 gives 1×1 and pool1 fails
    offered = assert_every_fix_fixes(net)
    assert offered["pool1"] and all(f.target == "conv1" for f in offered["pool1"])
    assert "of 'conv1'" in offered["pool1"][0].label


@pytest.mark.parametrize("edit", [
    lambda n: (n.remove_node("flatten"), n.connect("pool2", "dense1")),     # Linear on an image: Insert Flatten
    lambda n: n.set_param("pool2", "kernel_size", 20),
    lambda n: n.set_param("conv2", "kernel_size", 17),
    lambda n: n.set_param("input", "shape", [1, 6, 6]),
])
def test_every_fix_offered_on_broken_networks_leaves_fewer_errors(edit):
    net = mnist_cnn()
    edit(net)
    results = engine.infer_shapes(net)
    assert errors_of(results) or any(r.warnings for r in results.values())
    assert_every_fix_fixes(net)


LAYERS = st.sampled_from(["Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "Conv2d"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.integers(4, 40), layers=st.lists(st.tuples(LAYERS, st.integers(1, 12), st.integers(0, 3),
                                                           st.integers(1, 3)), min_size=1, max_size=6))
def test_every_fix_offered_on_random_networks_leaves_fewer_errors(side, layers):
    net = engine.Network()
    prev = net.add_node("Input", {"shape": [1, side, side]}, "input")
    for i, (kind, k, p, s) in enumerate(layers):
        params = {} if kind == "ReLU" else {"kernel_size": k, "stride": s, "padding": min(p, k // 2)}
        if kind == "Conv2d":
            params["out_channels"] = 4
        nid = net.add_node(kind, params, f"b{i}")
        net.connect(prev, nid)
        prev = nid
    flat = net.add_node("Flatten", {}, "flat")
    net.connect(prev, flat)
    dense = net.add_node("Linear", {"out_features": 10}, "fc")
    net.connect(flat, dense)
    assert_every_fix_fixes(net)


def test_a_block_without_error_gets_no_fix():
    net = mnist_cnn()
    assert verified_fixes(net, "conv1") == []
