"""The example networks in resources/examples: valid, readable, laid out top to bottom, and what their
names promise; the model built from each runs and agrees with the engine's shapes and counts."""
import json
from pathlib import Path

import pytest
import torch

import engine

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
NAMES = ["lenet5", "mnist_cnn", "alexnet", "conv1d_signal", "lstm_mnist_rows", "char_lstm", "crnn", "residual",
         "clip_cnn"]


def test_the_examples_folder_holds_exactly_the_documented_examples():
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid_readable_and_laid_out(name):
    data = json.loads((EXAMPLES / f"{name}.json").read_text())
    assert data["format"] == "netwright.network" and data["version"] == 1 and data["description"]
    net = engine.network_from_dict(data)
    results = engine.infer_shapes(net)
    assert all(r.error is None for r in results.values()), [r.error for r in results.values() if r.error]
    assert [w for r in results.values() for w in r.warnings] == []
    ids = [n["id"] for n in data["nodes"]]
    assert all(i.isidentifier() and i.islower() for i in ids)          # readable ids, usable as attributes
    ys = [n["position"][1] for n in data["nodes"]]
    assert ys == sorted(ys) and all(b - a == 100 for a, b in zip(ys, ys[1:]))


@pytest.mark.parametrize("name", NAMES)
def test_example_model_runs_with_the_engines_shapes_and_counts(name):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    results = engine.infer_shapes(net)
    model = engine.build_model(net).eval()
    inputs = [torch.randint(0, 10, (2, *results[i].shape)) if results[i].dtype == "int64"
              else torch.randn(2, *results[i].shape) for i in net.input_nodes()]
    with torch.no_grad():
        y = model(*inputs)
    assert tuple(y.shape) == (2, *results[net.output_node()].shape)
    assert sum(p.numel() for p in model.parameters()) == engine.summary(net, results)["total_params"]


def shapes_of(name):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    r = engine.infer_shapes(net)
    return net, r, r[net.output_node()].shape


def test_what_each_example_promises():
    net, r, out = shapes_of("lenet5")
    assert r["input"].shape == (1, 32, 32) and r["c1"].shape == (6, 28, 28) and r["f6"].shape == (84,)
    assert out == (10,)
    net, r, out = shapes_of("mnist_cnn")
    assert r["input"].shape == (1, 28, 28) and out == (10,)
    assert engine.summary(net, r)["total_params"] < 100_000           # small: the app's default, trains fast
    net, r, out = shapes_of("alexnet")
    assert r["input"].shape == (3, 227, 227) and r["conv1"].shape == (96, 55, 55) and out == (1000,)
    net, r, out = shapes_of("conv1d_signal")
    assert r["input"].shape == (1, 128) and {n.type for n in net.nodes.values()} >= {"Conv1d", "MaxPool1d"}
    net, r, out = shapes_of("lstm_mnist_rows")
    assert r["input"].shape == (28, 28) and out == (10,) and "LSTM" in {n.type for n in net.nodes.values()}
    net, r, out = shapes_of("char_lstm")
    assert (r["input"].shape, r["input"].dtype) == ((100,), "int64") and out == (100, 65)
    assert net.nodes["embed"].params == {"num_embeddings": 65, "embedding_dim": 32}
    net, r, out = shapes_of("crnn")
    assert {"Conv2d", "Permute", "Reshape", "LSTM"} <= {n.type for n in net.nodes.values()}
    net, r, out = shapes_of("clip_cnn")         # a CNN over frames before an LSTM: time keeps its 8 steps
    assert r["input"].shape == (1, 8, 16, 16) and r["pool2"].shape == (16, 8, 4, 4) and out == (5,)
    assert r["sequence"].shape == (8, 256) and {"Conv3d", "MaxPool3d", "LSTM"} <= {n.type for n in net.nodes.values()}
    net, r, out = shapes_of("residual")
    adds = [nid for nid, n in net.nodes.items() if n.type == "Add"]
    assert len(adds) == 1 and len(net.inputs_of(adds[0])) == 2
