"""Receptive fields: the engine's analytic ones equal empirical ones found by PyTorch's autograd: the input
positions with a non-zero gradient of one central output unit, with positive weights and an input large
enough that the padding does not clip the region (their extent per axis; dilation and strides larger than
the kernel leave holes inside it). Random chains of convolutions and pooling in 1-D and 2-D, with stride,
padding ('same' too), dilation, ceil_mode and merges (Add of two branches)."""
import json
import warnings
from fractions import Fraction

import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine.core.receptive import receptive_fields

SIZES = {1: (40, 90, 200, 400), 2: (24, 48, 96)}


def _t(v, nd):
    return tuple(v) if isinstance(v, list) else (v,) * nd


def conv_params(draw, nd, stride=True):
    def one(lo, hi):
        if nd == 2 and draw(st.booleans()):
            return [draw(st.integers(lo, hi)), draw(st.integers(lo, hi))]
        return draw(st.integers(lo, hi))
    p = {"out_channels": 1, "kernel_size": one(1, 5), "dilation": one(1, 3), "bias": False}
    if draw(st.integers(0, 4)) == 0:
        p["padding"] = "same"
    else:
        p["stride"] = one(1, 3) if stride else 1
        p["padding"] = one(0, 3)
    return p


@st.composite
def chains(draw, nd):
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "max", "avg", "act", "merge"]))
        if kind == "conv":
            layers.append(("Conv", conv_params(draw, nd)))
        elif kind in ("max", "avg"):
            k = draw(st.integers(1, 4))
            layers.append(("MaxPool" if kind == "max" else "AvgPool",
                           {"kernel_size": k, "stride": draw(st.integers(1, 3)),
                            "padding": draw(st.integers(0, k // 2)), "ceil_mode": draw(st.booleans())}))
        elif kind == "act":
            layers.append(("ELU", {}))
        else:       # two aligned branches: odd kernels padded to keep the centre, the same stride
            s = draw(st.integers(1, 2))
            branches = []
            for _ in range(2):
                k, d = draw(st.sampled_from([1, 3, 5])), draw(st.integers(1, 2))
                branches.append({"out_channels": 1, "kernel_size": k, "dilation": d, "stride": s,
                                 "padding": d * (k - 1) // 2, "bias": False})
            layers.append(("Merge", branches))
    return layers


def network(layers, nd, n):
    net = engine.Network("chain")
    prev = net.add_node("Input", {"shape": [1] + [n] * nd}, "input")
    for i, (kind, p) in enumerate(layers):
        if kind == "Merge":
            a = net.add_node(f"Conv{nd}d", p[0], f"a{i}")
            b = net.add_node(f"Conv{nd}d", p[1], f"b{i}")
            m = net.add_node("Add", {}, f"m{i}")
            for x in (a, b):
                net.connect(prev, x)
                net.connect(x, m)
            prev = m
            continue
        t = {"Conv": f"Conv{nd}d", "MaxPool": f"MaxPool{nd}d", "AvgPool": f"AvgPool{nd}d", "ELU": "ELU",
             "GlobalAvg": f"AdaptiveAvgPool{nd}d"}[kind]
        node = net.add_node(t, p, f"n{i}")
        net.connect(prev, node)
        prev = node
    return net, prev


def torch_forward(layers, nd, x):
    conv = F.conv1d if nd == 1 else F.conv2d

    def c(x, p):
        k = _t(p["kernel_size"], nd)
        pad = p["padding"] if isinstance(p["padding"], str) else _t(p["padding"], nd)
        return conv(x, torch.ones(1, 1, *k), stride=_t(p.get("stride", 1), nd), padding=pad,
                    dilation=_t(p["dilation"], nd))

    for kind, p in layers:
        if kind == "Conv":
            x = c(x, p)
        elif kind in ("MaxPool", "AvgPool"):
            # A max pool passes the gradient to one position of its window only; the average pool of the same
            # window depends on all of them, which is what a receptive field counts.
            pool = F.avg_pool1d if nd == 1 else F.avg_pool2d
            x = pool(x, p["kernel_size"], p["stride"], p["padding"], ceil_mode=p["ceil_mode"])
        elif kind == "ELU":       # identity on the positive values here: no saturation
            x = F.elu(x)
        elif kind == "Merge":
            x = c(x, p[0]) + c(x, p[1])
        else:
            x = x.mean(dim=tuple(range(2, 2 + nd)), keepdim=True)
    return x


def empirical(layers, nd, n):
    x = torch.ones(1, 1, *([n] * nd), dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():      # 'same' with an even kernel: PyTorch says it pads a copy
        warnings.simplefilter("ignore", UserWarning)
        y = torch_forward(layers, nd, x)
    centre = tuple(s // 2 for s in y.shape[2:])
    y[(0, 0) + centre].backward()
    nz = x.grad[0, 0].nonzero()
    return centre, [(int(nz[:, a].min()), int(nz[:, a].max())) for a in range(nd)]


def check_chain(layers, nd):
    for n in SIZES[nd]:
        net, last = network(layers, nd, n)
        results = engine.infer_shapes(net)
        if not all(r.ok for r in results.values()):
            continue
        f = receptive_fields(net, results)[last]
        centre = tuple(s // 2 for s in results[last].shape[1:])
        region = f.region(centre)
        if all(lo >= 0 and hi <= n - 1 for lo, hi in region):
            break
    else:
        assume(False)
    torch.set_default_dtype(torch.float64)
    try:
        got_centre, got = empirical(layers, nd, n)
    finally:
        torch.set_default_dtype(torch.float32)
    assert got_centre == centre
    assert [(Fraction(lo), Fraction(hi)) for lo, hi in got] == region, (layers, n, f)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(chains(1))
def test_analytic_receptive_field_equals_autograds_in_1d(layers):
    check_chain(layers, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(chains(2))
def test_analytic_receptive_field_equals_autograds_in_2d(layers):
    check_chain(layers, 2)


def test_two_stacked_3x3_convolutions_see_5x5():
    net, last = network([("Conv", {"out_channels": 1, "kernel_size": 3, "dilation": 1}),
                         ("Conv", {"out_channels": 1, "kernel_size": 3, "dilation": 1})], 2, 16)
    f = receptive_fields(net, engine.infer_shapes(net))[last]
    assert f.as_json() == {"size": [5, 5], "jump": [1, 1], "start": [2, 2]}
    assert f.text() == "5×5"
    assert f.formula[0] == "H: r = 3 + (3 − 1)·1·1 = 5,  j = 1·1 = 1,  start = 1 + ((3 − 1)·1/2 − 0)·1 = 2"


def test_lenet5_c5_sees_the_whole_32x32_input():
    net = engine.load_network("resources/examples/lenet5.json")
    fields = receptive_fields(net, engine.infer_shapes(net))
    assert fields["c5"].size == (32, 32) and fields["c5"].covers()
    assert fields["c1"].as_json() == {"size": [5, 5], "jump": [1, 1], "start": [2, 2]}
    assert fields["s2"].as_json() == {"size": [6, 6], "jump": [2, 2], "start": [2.5, 2.5]}
    assert fields["flatten"] is None and fields["output"] is None
    assert not any(f.warnings for f in fields.values() if f)


def test_alexnet_matches_its_published_receptive_field():
    net = engine.load_network("resources/examples/alexnet.json")
    fields = receptive_fields(net, engine.infer_shapes(net))
    assert fields["conv1"].size == (11, 11) and fields["conv1"].jump == (4, 4)
    assert fields["pool5"].size == (195, 195) and fields["pool5"].jump == (32, 32)


def test_a_small_receptive_field_before_the_classifier_is_warned_about():
    net = engine.load_network("resources/examples/mnist_cnn.json")
    fields = receptive_fields(net, engine.infer_shapes(net))
    (last, f), = [(k, f) for k, f in fields.items() if f and f.warnings]
    assert last == "pool2"
    assert "the classifier's units see 10×10 of the 28×28 input" in f.warnings[0]
    assert not any(f and f.warnings for f in receptive_fields(net, engine.infer_shapes(net), 0.3).values())


def test_a_sequence_read_by_a_recurrent_layer_is_not_warned_about():
    net = engine.load_network("resources/examples/crnn.json")
    assert not any(f and f.warnings for f in receptive_fields(net, engine.infer_shapes(net)).values())


def test_an_input_read_straight_by_a_dense_or_recurrent_layer_is_not_warned_about():
    rows = engine.load_network("resources/examples/lstm_mnist_rows.json")      # [28, 28] rows into an LSTM
    assert not any(f and f.warnings for f in receptive_fields(rows, engine.infer_shapes(rows)).values())
    mlp = engine.Network("mlp")
    mlp.add_node("Input", {"shape": [1, 28, 28]}, "input")
    mlp.add_node("Flatten", {}, "flat")
    mlp.add_node("Linear", {"out_features": 10}, "fc")
    mlp.connect("input", "flat")
    mlp.connect("flat", "fc")
    assert not any(f and f.warnings for f in receptive_fields(mlp, engine.infer_shapes(mlp)).values())


def test_same_padding_and_adaptive_pooling_are_resolved_to_their_windows():
    net, last = network([("Conv", {"out_channels": 1, "kernel_size": 4, "dilation": 1, "padding": "same"})], 1, 10)
    f = receptive_fields(net, engine.infer_shapes(net))[last]
    assert f.as_json() == {"size": [4], "jump": [1], "start": [0.5]}     # PyTorch pads 1 before, 2 after
    even, last = network([("GlobalAvg", {"output_size": 3})], 1, 12)
    assert receptive_fields(even, engine.infer_shapes(even))[last].as_json() == \
        {"size": [4], "jump": [4], "start": [1.5]}
    uneven, last = network([("GlobalAvg", {"output_size": 3})], 1, 5)      # windows [0, 2), [1, 4), [3, 5)
    f = receptive_fields(uneven, engine.infer_shapes(uneven))[last]
    assert f.size == (3,) and f.jump == (Fraction(5, 3),) and f.start == (Fraction(1, 2),)
    assert f.as_json()["jump"] == [5 / 3]


def test_misaligned_branches_are_warned_about():
    net = engine.Network("m")
    net.add_node("Input", {"shape": [1, 8]}, "input")
    net.add_node("Conv1d", {"out_channels": 1, "kernel_size": 1, "stride": 2}, "a")
    net.add_node("Conv1d", {"out_channels": 1, "kernel_size": 2, "stride": 2}, "b")
    net.add_node("Add", {}, "add")
    for x in ("a", "b"):
        net.connect("input", x)
        net.connect(x, "add")
    results = engine.infer_shapes(net)
    assert results["add"].shape == (1, 4)
    f = receptive_fields(net, results)["add"]
    assert "misaligned (starts 0, 0.5 input pixels)" in f.warnings[0]
    assert f.as_json() == {"size": [2], "jump": [2], "start": [0.5]}


def test_check_json_reports_receptive_fields(tmp_path, capsys):
    from engine.cli import main
    assert main(["check", "resources/examples/lenet5.json", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["nodes"]["c5"]["receptive_field"] == {"size": [32, 32], "jump": [4, 4], "start": [15.5, 15.5]}
    assert doc["nodes"]["flatten"]["receptive_field"] is None
    assert main(["check", "resources/examples/lenet5.json"]) == 0
    table = capsys.readouterr().out
    head = next(line for line in table.splitlines() if line.startswith("block"))
    assert "RF" in head
    c3 = next(line for line in table.splitlines() if line.startswith("c3 "))
    assert "14×14" in c3


def test_check_warns_about_a_small_receptive_field_with_a_chosen_share(capsys):
    from engine.cli import main
    assert main(["check", "resources/examples/mnist_cnn.json", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert any("10×10 of the 28×28 input" in w for w in doc["nodes"]["pool2"]["warnings"])
    assert main(["check", "resources/examples/mnist_cnn.json", "--json", "--min-rf-share", "0.3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["nodes"]["pool2"]["warnings"] == []
