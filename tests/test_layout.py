"""Automatic layout (engine.core.layout): every block below its inputs, no two blocks on one spot, skip links
beside the blocks they skip, crossings reduced, and placed blocks left where the user put them."""
import subprocess
import sys

import pytest

import engine
from engine.core.layout import BLOCK_GAP, LAYER_GAP, layered_layout, missing_positions

EXAMPLES = ["alexnet", "char_lstm", "clip_cnn", "conv1d_signal", "crnn", "lenet5", "lstm_mnist_rows", "mnist_cnn",
            "residual"]


def overlapping(pos):
    pts = list(pos.values())
    return [(a, b) for i, a in enumerate(pts) for b in pts[i + 1:]
            if abs(a[0] - b[0]) < BLOCK_GAP * 0.9 and abs(a[1] - b[1]) < LAYER_GAP * 0.9]


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_block_sits_below_its_inputs_and_no_two_overlap(load_example, name):
    net = load_example(name)
    pos = layered_layout(net)
    assert set(pos) == set(net.nodes)
    for e in net.edges:
        assert pos[e.target][1] >= pos[e.source][1] + LAYER_GAP, (e, pos[e.source], pos[e.target])
    assert len(set(pos.values())) == len(pos)
    assert overlapping(pos) == []


def test_skip_link_runs_beside_the_blocks_it_skips(load_example):
    net = load_example("residual")
    pos = layered_layout(net)
    # stem_relu feeds both conv_a and add: the straight skip link must not pass through the branch.
    skip_x = pos["stem_relu"][0]
    assert pos["add"][0] == pytest.approx(skip_x, abs=BLOCK_GAP / 2)
    for nid in ("conv_a", "bn_a", "relu_a", "conv_b", "bn_b"):
        assert abs(pos[nid][0] - skip_x) >= BLOCK_GAP / 2 - 1, nid


def test_layers_follow_the_longest_path_from_the_inputs(chain):
    net = chain(("input", "Input", {"shape": [4]}), ("a", "Linear", {"out_features": 4}),
                ("b", "Linear", {"out_features": 4}), ("add", "Add", {}))
    net.connect("input", "add")
    pos = layered_layout(net)
    assert [pos[n][1] for n in ("input", "a", "b", "add")] == [0, LAYER_GAP, 2 * LAYER_GAP, 3 * LAYER_GAP]


def crossings(net, pos):
    segs = [(pos[e.source], pos[e.target]) for e in net.edges]
    count = 0
    for i, (a0, a1) in enumerate(segs):
        for b0, b1 in segs[i + 1:]:
            if a0[1] == b0[1] and a1[1] == b1[1] and (a0[0] - b0[0]) * (a1[0] - b1[0]) < 0:
                count += 1
    return count


def test_barycenter_pass_removes_crossings_that_file_order_would_make():
    net = engine.Network()
    for nid in ("in1", "in2"):
        net.add_node("Input", {"shape": [8]}, nid)
    # Listed so that file order would put each consumer under the other input.
    net.add_node("Linear", {"out_features": 4}, "from2")
    net.add_node("Linear", {"out_features": 4}, "from1")
    net.connect("in2", "from2")
    net.connect("in1", "from1")
    net.add_node("ReLU", {}, "r2")
    net.add_node("ReLU", {}, "r1")
    net.connect("from2", "r2")
    net.connect("from1", "r1")
    pos = layered_layout(net)
    assert crossings(net, pos) == 0
    assert (pos["in1"][0] < pos["in2"][0]) == (pos["from1"][0] < pos["from2"][0])


def test_unplaced_blocks_get_free_spots_next_to_their_links_and_placed_ones_stay(load_example):
    net = load_example("lenet5")
    before = {nid: n.position for nid, n in net.nodes.items()}
    last = net.output_node()
    nid = net.add_node("ReLU", {})
    net.connect(last, nid)
    extra = net.add_node("Dropout", {})          # linked to nothing
    placed = missing_positions(net)
    assert set(placed) == {nid, extra}
    assert placed[nid][1] == pytest.approx(net.nodes[last].position[1] + LAYER_GAP)
    assert placed[nid][0] == pytest.approx(net.nodes[last].position[0])
    taken = {k: v for k, v in before.items() if v is not None}
    assert overlapping({**taken, **placed}) == []
    assert {k: n.position for k, n in net.nodes.items() if k in before} == before


def test_a_cycle_from_a_file_is_laid_out_without_hanging():
    net = engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "a", "type": "Linear", "params": {"out_features": 4}},
        {"id": "b", "type": "Add", "params": {}},
        {"id": "c", "type": "Linear", "params": {"out_features": 4}}],
        "edges": [{"source": "x", "target": "a"}, {"source": "a", "target": "b"}, {"source": "b", "target": "c"},
                  {"source": "c", "target": "b"}]})
    pos = layered_layout(net)
    assert set(pos) == {"x", "a", "b", "c"}
    assert len(set(pos.values())) == 4


def test_layout_imports_no_qt():
    code = "import engine.core.layout, sys; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", EXAMPLES)
def test_left_to_right_each_block_sits_right_of_its_inputs_and_no_two_overlap(load_example, name):
    from engine.core.layout import LR_LAYER_GAP, crowded
    net = load_example(name)
    pos = layered_layout(net, "lr")
    for e in net.edges:
        assert pos[e.target][0] >= pos[e.source][0] + LR_LAYER_GAP, (e, pos[e.source], pos[e.target])
    points = list(pos.items())
    for i, (a, p) in enumerate(points):
        assert not crowded(p, [q for b, q in points[i + 1:]], "lr"), a


def test_a_long_chain_wraps_into_bands_that_fit_a_wide_view_readably(load_example):
    from engine.core.layout import READABLE, _fit, best_wrap, crowded
    net = load_example("alexnet")
    plain = layered_layout(net, "lr")
    assert _fit(plain, 1040, 670) < READABLE            # one long row: too small to read
    k = best_wrap(net, 1040, 670)
    assert k is not None
    wrapped = layered_layout(net, "lr", k)
    assert _fit(wrapped, 1040, 670) >= READABLE
    order = net.topological_order()
    bands = sorted({p[1] for p in wrapped.values()})
    assert len(bands) > 1
    for a, b in zip(order, order[1:]):          # reading order: left to right, then the next band
        pa, pb = wrapped[a], wrapped[b]
        assert pb[0] > pa[0] or pb[1] > pa[1]
    points = list(wrapped.values())
    assert not any(crowded(p, points[i + 1:], "lr") for i, p in enumerate(points))
    assert best_wrap(load_example("char_lstm"), 1040, 670) is None       # short networks stay one row


def test_blocks_added_after_another_go_one_layer_along_the_flow_and_clear_of_others():
    from engine.core.layout import LR_LAYER_GAP, after, free_spot
    assert after((100.0, 50.0), "lr") == (100.0 + LR_LAYER_GAP, 50.0)
    assert after((100.0, 50.0), "tb") == (100.0, 50.0 + LAYER_GAP)
    spot = free_spot((0.0, 0.0), [(0.0, 0.0), (0.0, 100.0)], "lr")
    assert spot == (0.0, 200.0)
