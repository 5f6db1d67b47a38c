"""Probes read a model without changing it: hooks are removed (also after an error), train mode comes
back, and the filter / feature / weight views hold what a user expects to see."""
import numpy as np
import pytest
import torch
from torch import nn

import engine
from engine.runtime import probes
from test_live_support import CNN, shapes_dataset


def _model():
    torch.manual_seed(0)
    return engine.build_model(engine.network_from_dict(CNN))


def _hook_count(model):
    return sum(len(m._forward_hooks) for m in model.modules())


def test_capture_returns_block_outputs_and_removes_its_hooks():
    model = _model()
    x = torch.rand(4, 1, 20, 20)
    out, acts, _ = probes.capture(model, x, ["input", "conv1", "pool1", "fc"])
    assert acts["input"] is x
    assert acts["conv1"].shape == (4, 8, 20, 20) and acts["pool1"].shape == (4, 8, 10, 10)
    torch.testing.assert_close(acts["fc"], out)
    assert _hook_count(model) == 0


def test_hooks_are_removed_when_the_probe_raises():
    model = _model()
    with pytest.raises(RuntimeError):
        probes.capture(model, torch.rand(2, 3, 20, 20), ["conv1", "conv2", "relu1"])   # wrong channel count
    assert _hook_count(model) == 0
    model.train()
    with pytest.raises(RuntimeError):
        with probes.eval_mode(model):
            assert not model.training
            model(torch.rand(2, 3, 20, 20))
    assert model.training and torch.is_grad_enabled()


def test_filters_form_a_symmetric_mosaic_with_one_tile_per_channel():
    conv = nn.Conv2d(1, 8, 5)
    view = probes.conv_filters(conv)
    assert view["vmax"] == pytest.approx(float(conv.weight.detach().abs().max()))
    img = view["image"]
    assert img.shape == (3 * 5 + 2, 3 * 5 + 2)          # 8 tiles in a 3 × 3 grid, 1-pixel gaps
    np.testing.assert_allclose(img[:5, :5], conv.weight[0, 0].detach().numpy())
    rgb = probes.conv_filters(nn.Conv2d(3, 4, 3))
    assert rgb["rgb"] and rgb["image"].shape == (7, 7, 3) and 0 <= rgb["image"].min() and rgb["image"].max() <= 1
    multi = probes.conv_filters(nn.Conv2d(6, 4, 3))     # a row of input-channel tiles per output channel
    assert multi["image"].shape == (4 * 3 + 3 * 2, 6 * 3 + 5)
    one_d = probes.conv_filters(nn.Conv1d(2, 5, 7))
    assert one_d["kernel"] == [7] and one_d["channels"] == (5, 2)


def test_feature_view_kinds():
    maps = probes.feature_view(torch.rand(8, 10, 10))
    assert maps["kind"] == "maps" and maps["cols"] == 3 and maps["image"].shape == (3 * 11 - 1, 3 * 11 - 1)
    seq = probes.feature_view(torch.rand(24, 16), "sequence")
    assert seq["kind"] == "heatmap" and seq["axes"] == ["time", "feature"]
    vec = probes.feature_view(torch.tensor([-1.0, 2.0, 0.5]))
    assert vec["kind"] == "vector" and vec["range"] == [-1.0, 2.0]


def test_weight_stats_and_dead_relus():
    model = _model()
    out = model(torch.rand(4, 1, 20, 20))
    out.sum().backward()
    stats = probes.weight_stats(model, probes.learnable_blocks(model))
    assert set(stats) == {"conv1", "conv2", "fc"}
    conv1 = stats["conv1"]
    assert conv1["weights"]["counts"].sum() == 8 * 25 + 8
    grad = torch.cat([model.conv1.weight.grad.reshape(-1), model.conv1.bias.grad.reshape(-1)])
    assert conv1["grad_norm"] == pytest.approx(float(grad.norm()), rel=1e-5)
    act = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
    assert probes.dead_fraction(act) == 0.5
    assert probes.relu_blocks(model) == ["relu1", "relu2"]


def test_confusion_matrix_rows_are_true_classes():
    m = probes.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 0, 1, 2]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_sample_text_is_reproducible_and_restores_train_mode():
    ds_model = engine.build_model(engine.network_from_dict(__import__("test_live_support").CHAR_LSTM))
    ds_model.train()
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a = probes.sample_text(ds_model, [1, 2, 3], 20, 0.8, window=24, generator=g1)
    b = probes.sample_text(ds_model, [1, 2, 3], 20, 0.8, window=24, generator=g2)
    assert a == b and len(a) == 20 and all(0 <= t < 40 for t in a)
    assert ds_model.training


def test_shapes_data_is_available():
    assert len(shapes_dataset(60)) == 60
