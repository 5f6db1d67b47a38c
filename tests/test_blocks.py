"""The block catalog: the spec's block types, PyTorch's parameter counts for the classic seed figures,
formulas with the numbers filled in, MACs and activation memory, and suspicious-but-legal warnings."""
import pytest

import engine
from engine.core.blocks import BLOCKS

SPEC_TYPES = """Input Conv1d Conv2d MaxPool1d AvgPool1d MaxPool2d AvgPool2d AdaptiveAvgPool1d AdaptiveMaxPool1d
AdaptiveAvgPool2d AdaptiveMaxPool2d Flatten Linear Dropout Dropout2d BatchNorm1d BatchNorm2d LayerNorm ReLU Tanh
Sigmoid GELU ELU LeakyReLU Softmax LogSoftmax RNN LSTM GRU Embedding Reshape Permute Add Concat""".split()


def test_catalog_has_every_block_of_the_spec_with_help_and_an_export_template():
    assert set(SPEC_TYPES) <= set(BLOCKS)
    for name, spec in BLOCKS.items():
        assert spec.type == name and spec.help and spec.rule_text and spec.group in engine.GROUPS
        assert (spec.module is None) == spec.source == (name == "Input")


def test_linear_is_labelled_dense():
    assert BLOCKS["Linear"].label == "Dense (Linear)"


def test_lenet5_seed_figures(load_example):
    r = engine.infer_shapes(load_example("lenet5"))
    assert (r["c1"].shape, r["c1"].params) == ((6, 28, 28), 156)
    assert (r["s2"].shape, r["c3"].shape, r["c3"].params) == ((6, 14, 14), (16, 10, 10), 2416)
    assert (r["c5"].shape, r["c5"].params) == ((120, 1, 1), 48120)
    assert (r["f6"].shape, r["f6"].params) == ((84,), 10164)
    assert r["output"].shape == (10,)
    assert engine.summary(load_example("lenet5"), r)["total_params"] == 61706


def test_alexnet_conv1_has_34944_parameters(load_example):
    r = engine.infer_shapes(load_example("alexnet"))
    assert (r["conv1"].shape, r["conv1"].params) == ((96, 55, 55), 34944)
    assert r["fc8"].shape == (1000,)


def test_dense_after_conv_and_pool_counts_392200_parameters(chain):
    net = chain(("Input", {"shape": [1, 32, 32]}), ("Conv2d", {"out_channels": 10, "kernel_size": 5}),
                ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Linear", {"out_features": 200}))
    r = engine.infer_shapes(net)
    assert r["b2"].shape == (10, 14, 14) and r["b3"].shape == (1960,)
    assert r["b4"].params == 10 * 14 * 14 * 200 + 200 == 392200
    assert "params = 1960·200 + 200 = 392,200" in r["b4"].formula


def test_formulas_show_the_arithmetic_with_numbers(load_example):
    r = engine.infer_shapes(load_example("lenet5"))
    assert "H = ⌊(32 − 5 + 2·0)/1⌋ + 1 = 28" in r["c1"].formula
    assert "params = 6·(1·5·5) + 6 = 156" in r["c1"].formula
    assert "H = ⌊(28 − 2 + 2·0)/2⌋ + 1 = 14" in r["s2"].formula
    assert "out = 120 · 1 · 1 = 120" in r["flatten"].formula


def test_macs_and_activation_memory_per_sample(load_example):
    r = engine.infer_shapes(load_example("lenet5"))
    assert r["c1"].macs == 6 * 28 * 28 * (1 * 5 * 5)
    assert r["f6"].macs == 120 * 84
    assert r["c1"].memory == 6 * 28 * 28 * 4          # float32 bytes
    ids = engine.infer_shapes(load_example("char_lstm"))["input"]
    assert ids.memory == 100 * 8                        # int64 token ids


def test_recurrent_parameters_per_layer_and_direction(chain):
    net = chain(("Input", {"shape": [28, 28]}),
                ("LSTM", {"hidden_size": 64, "num_layers": 2, "bidirectional": True, "return_sequences": False}))
    r = engine.infer_shapes(net)["b1"]
    layer1 = 2 * (4 * 64 * (28 + 64) + 2 * 4 * 64)
    layer2 = 2 * (4 * 64 * (128 + 64) + 2 * 4 * 64)
    assert r.shape == (128,) and r.params == layer1 + layer2


def test_stride_that_does_not_divide_is_a_warning_with_the_numbers(chain):
    net = chain(("Input", {"shape": [3, 224, 224]}), ("Conv2d", {"out_channels": 96, "kernel_size": 11, "stride": 4}))
    r = engine.infer_shapes(net)["b1"]
    assert r.ok and r.shape == (96, 54, 54)
    assert len(r.warnings) == 1 and "along H and W" in r.warnings[0] and "224 → 54.25 → 54" in r.warnings[0]
    assert "⌊53.25⌋" in r.formula


def test_dense_on_an_image_warns_and_offers_flatten(chain):
    r = engine.infer_shapes(chain(("Input", {"shape": [8, 4, 4]}), ("Linear", {"out_features": 3})))["b1"]
    assert r.shape == (8, 4, 3)
    assert any("Flatten" in w and "128" in w for w in r.warnings)
    assert [f.block for f in r.fixes] == ["Flatten"]


def test_dense_per_time_step_on_a_sequence_is_not_suspicious(load_example):
    r = engine.infer_shapes(load_example("char_lstm"))
    assert r["dense"].shape == (100, 65) and r["dense"].warnings == []


def test_conv1d_fed_a_time_major_sequence_warns_and_offers_permute(chain):
    net = chain(("Input", {"shape": [20, 5]}), ("LSTM", {"hidden_size": 8}), ("Conv1d", {"out_channels": 4,
                                                                                         "kernel_size": 3}))
    r = engine.infer_shapes(net)["b2"]
    assert r.shape == (4, 6)
    assert any("[T, F]" in w and "Permute" in w for w in r.warnings)
    assert r.fixes[0].params == {"dims": [1, 0]}


def test_softmax_right_before_the_loss_warns(chain):
    r = engine.infer_shapes(chain(("Input", {"shape": [4]}), ("Linear", {"out_features": 3}), ("Softmax", {})))
    assert any("cross-entropy" in w for w in r["b2"].warnings)
    r = engine.infer_shapes(chain(("Input", {"shape": [4]}), ("Softmax", {}), ("Linear", {"out_features": 3})))
    assert r["b1"].warnings == []


@pytest.mark.parametrize("kind, params, shape", [
    ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (2, 4, 4)),
    ("AvgPool2d", {"kernel_size": [2, 3], "padding": [1, 0]}, (2, 5, 2)),
    ("AdaptiveAvgPool2d", {"output_size": [2, 3]}, (2, 2, 3)),
    ("Conv2d", {"out_channels": 5, "kernel_size": 3, "padding": "same", "dilation": 2}, (5, 8, 8)),
    ("Conv2d", {"out_channels": 4, "kernel_size": 3, "dilation": 2, "groups": 2}, (4, 4, 4)),
])
def test_image_blocks_follow_pytorch_sizes(chain, kind, params, shape):
    r = engine.infer_shapes(chain(("Input", {"shape": [2, 8, 8]}), (kind, params)))["b1"]
    assert r.ok and r.shape == shape


def test_int64_ids_need_an_embedding(load_example, chain):
    r = engine.infer_shapes(chain(("Input", {"shape": [10], "dtype": "int64"}), ("Linear", {"out_features": 3})))
    assert "Embedding" in r["b1"].error and r["b1"].fixes[0].block == "Embedding"
    r = engine.infer_shapes(load_example("char_lstm"))
    assert (r["embed"].shape, r["embed"].params) == ((100, 32), 65 * 32)


def test_pooling_that_drops_positions_offers_ceil_mode(chain):
    net = chain(("Input", {"shape": [2, 9, 8]}), ("MaxPool2d", {"kernel_size": 2}))
    r = engine.infer_shapes(net)["b1"]
    assert r.shape == (2, 4, 4) and len(r.warnings) == 1
    assert r.warnings[0].startswith("MaxPool2d 'b1': along H, (9 − 2 + 2·0)/2 is not a whole number")
    assert r.fixes[0].params == {"ceil_mode": True}
    net.set_param("b1", "ceil_mode", True)
    assert engine.infer_shapes(net)["b1"].shape == (2, 5, 4)


def test_every_block_added_with_its_starter_values_has_a_shape():
    """A block dropped from the palette starts with its spec's starter values and gets a shape at once
    after a suitable input (so a newcomer sees a shape, not an error, on their first drop)."""
    import engine
    from engine.core.blocks import starter_params
    feeds = {"image": ("Input", {"shape": [3, 16, 16]}), "signal": ("Input", {"shape": [2, 32]}),
             "sequence": ("Input", {"shape": [12, 8]}), "tokens": ("Input", {"shape": [12], "dtype": "int64"}),
             "volume": ("Input", {"shape": [2, 8, 16, 16]})}
    wants = {"Conv1d": "signal", "MaxPool1d": "signal", "AvgPool1d": "signal", "AdaptiveAvgPool1d": "signal",
             "AdaptiveMaxPool1d": "signal", "BatchNorm1d": "signal", "RNN": "sequence", "LSTM": "sequence",
             "GRU": "sequence", "Embedding": "tokens", "Permute": "sequence", "ConvTranspose1d": "signal",
             **{name: "volume" for name, spec in engine.BLOCKS.items() if spec.spatial == 3}}
    for type_name, spec in engine.BLOCKS.items():
        if type_name == "Input":
            params = starter_params(type_name)
            assert engine.infer_shapes(engine.network_from_dict({
                "format": "netwright.network", "version": 1,
                "nodes": [{"id": "x", "type": "Input", "params": params}], "edges": []}))["x"].ok
            continue
        src_type, src_params = feeds[wants.get(type_name, "image")]
        nodes = [{"id": "x", "type": src_type, "params": src_params},
                 {"id": "b", "type": type_name, "params": starter_params(type_name)}]
        edges = [{"source": "x", "target": "b"}]
        if spec.min_inputs == 2:
            nodes.append({"id": "x2", "type": src_type, "params": src_params})
            edges = [{"source": "x", "target": "b"}, {"source": "x2", "target": "b"}]
            nodes[0]["id"] = "x"
        net = engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": nodes,
                                        "edges": edges})
        r = engine.infer_shapes(net)["b"]
        assert r.ok and r.shape, (type_name, r.error)
