"""Shape inference over the graph: errors a beginner can act on (block, numbers, fix), what happens
downstream of an error, multi-input blocks, cycles, and the incremental ShapeCache."""
import pytest

import engine


def infer(net):
    return engine.infer_shapes(net)


def test_kernel_larger_than_input_names_block_numbers_and_fix(chain):
    net = chain(("input", "Input", {"shape": [6, 4, 4]}), ("c3", "Conv2d", {"out_channels": 16, "kernel_size": 5}))
    r = infer(net)["c3"]
    assert r.shape is None and r.params is None
    assert r.error == ("Conv2d 'c3': kernel 5×5 is larger than its padded input 4×4 (4 + 2·0); "
                       "lower the kernel size or add padding.")
    fix = r.fixes[0]
    assert fix.kind == "set_params" and fix.params == {"padding": 1}
    net.set_param("c3", "padding", 1)
    assert infer(net)["c3"].shape == (16, 2, 2)        # the quick fix makes it valid


def test_downstream_of_an_error_has_no_shape_and_says_its_input_is_missing(chain):
    net = chain(("Input", {"shape": [1, 3, 3]}), ("Conv2d", {"out_channels": 2, "kernel_size": 5}), ("ReLU", {}),
                ("Flatten", {}))
    r = infer(net)
    assert r["b1"].error and not r["b1"].blocked
    for nid in ("b2", "b3"):
        assert r[nid].shape is None and r[nid].blocked
        assert "input is missing" in r[nid].error
    assert "'b1'" in r["b2"].error and "'b2'" in r["b3"].error
    assert not engine.summary(net, r)["valid"]


def test_wrong_rank_error_suggests_a_reshape(chain):
    r = infer(chain(("Input", {"shape": [28, 28]}), ("Conv2d", {"out_channels": 4, "kernel_size": 3})))["b1"]
    assert "expects [C, H, W]" in r.error and "28 × 28" in r.error
    assert r.fixes[0].block == "Reshape" and r.fixes[0].params == {"shape": [1, 28, 28]}


def test_recurrent_on_a_feature_map_explains_how_to_make_a_sequence(chain):
    r = infer(chain(("Input", {"shape": [16, 7, 14]}), ("LSTM", {"hidden_size": 8})))["b1"]
    assert "Permute [2, 0, 1]" in r.error and "[14, 112]" in r.error
    assert {f.block for f in r.fixes} == {"Reshape", "Permute"}


def test_missing_required_and_wrong_parameters_are_errors_on_the_block(chain):
    r = infer(chain(("Input", {"shape": [4]}), ("x", "Linear", {})))
    assert r["x"].error.startswith("Dense (Linear) 'x' needs out_features")
    r = infer(chain(("Input", {"shape": [4]}), ("x", "Linear", {"out_features": 0})))
    assert "out_features is 0, but it must be at least 1" in r["x"].error
    r = infer(chain(("Input", {"shape": [4]}), ("x", "Dropout", {"p": 1.5})))
    assert "at most 1" in r["x"].error


def test_nan_and_infinite_parameters_are_errors_naming_the_block_the_parameter_and_the_value(chain):
    text = ('{"format": "netwright.network", "version": 1, "nodes": [{"id": "in", "type": "Input", "params": '
            '{"shape": [4]}}, {"id": "drop", "type": "Dropout", "params": {"p": NaN}}], '
            '"edges": [{"source": "in", "target": "drop"}]}')
    net = engine.loads(text)               # the file opens, so the value can be corrected where it is shown
    assert infer(net)["drop"].error == "Dropout 'drop': p is NaN, but it must be a finite number."
    assert not engine.summary(net, infer(net))["valid"]
    r = infer(chain(("Input", {"shape": [4]}), ("act", "LeakyReLU", {"negative_slope": float("-inf")})))
    assert r["act"].error == "LeakyReLU 'act': negative_slope is -Infinity, but it must be a finite number."
    cache = engine.ShapeCache()
    net.set_param("drop", "p", float("inf"))
    assert "p is Infinity, but it must be a finite number" in cache.infer(net)["drop"].error
    net.set_param("drop", "p", 0.25)
    assert cache.infer(net)["drop"].ok


def test_pool_window_larger_than_input_and_too_much_padding(chain):
    r = infer(chain(("Input", {"shape": [3, 2, 2]}), ("p", "MaxPool2d", {"kernel_size": 3})))["p"]
    assert "window 3 is larger than its padded input 2" in r.error
    r = infer(chain(("Input", {"shape": [3, 8, 8]}), ("p", "AvgPool2d", {"kernel_size": 2, "padding": 2})))["p"]
    assert "more than half the kernel" in r.error


def test_add_and_concat(chain):
    net = engine.network_from_dict({
        "format": "netwright.network", "version": 1,
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4, 8, 8]}},
                  {"id": "a", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 1}},
                  {"id": "b", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3, "padding": 1}},
                  {"id": "cat", "type": "Concat", "params": {}},
                  {"id": "sum", "type": "Add", "params": {}}],
        "edges": [{"source": "in", "target": "a"}, {"source": "in", "target": "b"},
                  {"source": "a", "target": "cat"}, {"source": "b", "target": "cat"},
                  {"source": "a", "target": "sum"}, {"source": "b", "target": "sum"}]})
    r = infer(net)
    assert r["cat"].shape == (8, 8, 8)
    assert "6 × 8 × 8, 2 × 8 × 8" in r["sum"].error and "1×1 Conv2d" in r["sum"].error


def test_multi_input_block_with_one_input_and_block_with_none(chain):
    net = chain(("Input", {"shape": [4]}), ("add", "Add", {}))
    net.add_node("ReLU", node_id="lonely")
    r = infer(net)
    assert "needs at least 2 inputs but has 1" in r["add"].error
    assert r["lonely"].error == "ReLU 'lonely' has no input: connect a block's output to it."


def test_a_cycle_from_a_file_is_an_error_on_its_blocks():
    net = engine.network_from_dict({
        "format": "netwright.network", "version": 1,
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4]}},
                  {"id": "a", "type": "Add", "params": {}}, {"id": "b", "type": "ReLU", "params": {}},
                  {"id": "after", "type": "Linear", "params": {"out_features": 2}}],
        "edges": [{"source": "in", "target": "a"}, {"source": "a", "target": "b"}, {"source": "b", "target": "a"},
                  {"source": "b", "target": "after"}]})
    r = infer(net)
    assert "part of a cycle" in r["a"].error and "part of a cycle" in r["b"].error
    assert r["after"].blocked and "input is missing because 'b'" in r["after"].error


def test_unused_branch_is_a_warning():
    net = engine.network_from_dict({
        "format": "netwright.network", "version": 1,
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4]}},
                  {"id": "side", "type": "ReLU", "params": {}},
                  {"id": "out", "type": "Linear", "params": {"out_features": 2}}],
        "edges": [{"source": "in", "target": "side"}, {"source": "in", "target": "out"}]})
    r = infer(net)
    assert net.output_node() == "out"
    assert any("leads nowhere" in w for w in r["side"].warnings)


def test_shape_cache_recomputes_only_what_an_edit_touches(load_example):
    net = load_example("lenet5")
    cache = engine.ShapeCache()
    first = cache.infer(net)
    net.set_param("f6", "out_features", 100)
    second = cache.infer(net)
    before_f6 = ["input", "c1", "a1", "s2", "c3", "a3", "s4", "c5", "a5", "flatten"]
    assert all(second[n] is first[n] for n in before_f6)            # untouched: the same result objects
    assert second["f6"].shape == (100,) and second["a6"].shape == (100,)
    assert second["output"].params == 100 * 10 + 10
    assert second["output"] is not first["output"]
    fresh = engine.infer_shapes(net)
    assert {k: (v.shape, v.params, v.error) for k, v in second.items()} == \
           {k: (v.shape, v.params, v.error) for k, v in fresh.items()}


def test_shape_cache_sees_a_value_replaced_by_an_equal_one_of_another_type(chain):
    net = chain(("input", "Input", {"shape": [1, 8, 8]}),
                ("c", "Conv2d", {"out_channels": 4, "kernel_size": 3, "bias": True, "padding": [1, 1]}))
    cache = engine.ShapeCache()
    assert cache.infer(net)["c"].ok
    for name, value, why in (("kernel_size", 3.0, "kernel_size must be a whole number or a list of 2, not 3.0"),
                             ("bias", 1, "bias must be true or false, not 1"),
                             ("padding", [1.0, 1], "padding must be a whole number, a list of 2")):
        before = net.nodes["c"].params[name]
        net.set_param("c", name, value)                # equal in Python (3 == 3.0, True == 1), not to the block
        assert why in cache.infer(net)["c"].error
        assert cache.infer(net)["c"].error == engine.infer_shapes(net)["c"].error
        net.set_param("c", name, before)
        assert cache.infer(net)["c"].ok


def test_shape_cache_follows_structural_edits(load_example):
    net = load_example("mnist_cnn")
    cache = engine.ShapeCache()
    cache.infer(net)
    net.disconnect("pool1", "conv2")
    r = cache.infer(net)
    assert "has no input" in r["conv2"].error and r["relu2"].blocked
    net.connect("pool1", "conv2")
    assert cache.infer(net)["dense2"].shape == (10,)


def test_python_api_as_documented(examples_dir):
    import torch
    net = engine.load_network(examples_dir / "lenet5.json")
    report = engine.infer_shapes(net)
    assert list(report) == list(net.nodes)
    assert report["c1"].shape == (6, 28, 28) and report["c1"].params == 156
    assert report["c1"].error is None and report["c1"].warnings == []
    same = engine.network_from_dict(engine.network_to_dict(net))
    assert engine.infer_shapes(same)["output"].shape == (10,)
    model = engine.build_model(net)
    assert isinstance(model, torch.nn.Module)
    assert model(torch.randn(4, 1, 32, 32)).shape == (4, 10)
    with pytest.raises(engine.NetworkFileError):
        engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": [{"id": 1}]})


def test_image_block_after_flatten_offers_to_reshape_back(chain):
    r = infer(chain(("Input", {"shape": [784]}), ("c", "Conv2d", {"out_channels": 4, "kernel_size": 3})))["c"]
    assert "Reshape it to [1, 28, 28]" in r.error and r.fixes[0].params == {"shape": [1, 28, 28]}
    r = infer(chain(("Input", {"shape": [10]}), ("p", "MaxPool2d", {"kernel_size": 2})))["p"]
    assert "MaxPool2d 'p' expects [C, H, W]" in r.error and "Reshape the 10 values" in r.error
