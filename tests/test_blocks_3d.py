"""The 3-D blocks (Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, BatchNorm3d) and the transposed
convolutions (ConvTranspose1d, ConvTranspose2d with output_padding), each added as one spec: `check --json`
agrees with PyTorch, refusals name the rule, the inspector shows one box per axis because the spec says so,
Shapes explained and the live views follow, the import takes them in and export writes them.
(tests/test_oracle.py draws them at random against PyTorch as well.)"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import engine
from engine import cli

CLIP = [("Input", {"shape": [3, 8, 32, 32]}),
        ("Conv3d", {"out_channels": 8, "kernel_size": [3, 5, 5], "padding": [1, 2, 2]}),
        ("BatchNorm3d", {}), ("ReLU", {}),
        ("MaxPool3d", {"kernel_size": [1, 2, 2]}),
        ("Conv3d", {"out_channels": 16, "kernel_size": 3, "stride": 2, "dilation": [1, 2, 2]}),
        ("AvgPool3d", {"kernel_size": 2, "ceil_mode": True}),
        ("AdaptiveAvgPool3d", {"output_size": [1, 2, 2]}), ("Flatten", {}), ("Linear", {"out_features": 5})]
CLIP_TORCH = nn.Sequential(nn.Conv3d(3, 8, (3, 5, 5), padding=(1, 2, 2)), nn.BatchNorm3d(8), nn.ReLU(),
                           nn.MaxPool3d((1, 2, 2)), nn.Conv3d(8, 16, 3, stride=2, dilation=(1, 2, 2)),
                           nn.AvgPool3d(2, ceil_mode=True), nn.AdaptiveAvgPool3d((1, 2, 2)), nn.Flatten(),
                           nn.Linear(64, 5))
DECODER = [("Input", {"shape": [16, 4, 4]}),
           ("ConvTranspose2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1,
                                "output_padding": 1}),
           ("ReLU", {}),
           ("ConvTranspose2d", {"out_channels": 1, "kernel_size": [4, 3], "stride": [2, 1], "groups": 1,
                                "dilation": [1, 2], "bias": False})]
DECODER_TORCH = nn.Sequential(nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                              nn.ConvTranspose2d(8, 1, (4, 3), stride=(2, 1), dilation=(1, 2), bias=False))
SIGNAL = [("Input", {"shape": [4, 10]}),
          ("ConvTranspose1d", {"out_channels": 6, "kernel_size": 5, "stride": 3, "output_padding": 2, "groups": 2})]
SIGNAL_TORCH = nn.Sequential(nn.ConvTranspose1d(4, 6, 5, stride=3, output_padding=2, groups=2))


def _file(tmp_path, chain, steps, name="net.json"):
    path = tmp_path / name
    path.write_text(engine.dumps(chain(*steps)), encoding="utf-8")
    return path


def _torch_shapes(model: nn.Sequential, shape) -> list[tuple[tuple, int]]:
    x = torch.randn(2, *shape)
    out = []
    with torch.no_grad():
        for layer in model.eval():
            x = layer(x)
            out.append((tuple(x.shape[1:]), sum(p.numel() for p in layer.parameters())))
    return out


@pytest.mark.parametrize("steps, model", [(CLIP, CLIP_TORCH), (DECODER, DECODER_TORCH), (SIGNAL, SIGNAL_TORCH)],
                         ids=["clip", "decoder", "signal"])
def test_check_json_agrees_with_pytorch(tmp_path, chain, capsys, steps, model):
    assert cli.main(["check", "--json", str(_file(tmp_path, chain, steps))]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"]
    got = [(tuple(doc["nodes"][f"b{i}"]["shape"]), doc["nodes"][f"b{i}"]["params"]) for i in range(1, len(steps))]
    assert got == _torch_shapes(model, steps[0][1]["shape"])
    assert doc["total_params"] == sum(p.numel() for p in model.parameters())


def test_the_built_model_and_the_exported_file_run_the_3d_and_transposed_blocks(chain):
    from engine.core.codegen import export_code
    for steps in (CLIP, DECODER, SIGNAL):
        net = chain(*steps)
        model = engine.build_model(net).eval()
        x = torch.randn(2, *steps[0][1]["shape"])
        namespace = {"__name__": "exported"}
        exec(compile(export_code(net), "<exported>", "exec"), namespace)     # the test runs it, not the exporter
        exported = namespace["Net"]().eval()
        exported.load_state_dict(model.state_dict())
        with torch.no_grad():
            assert torch.equal(exported(x), model(x))
        assert f"nn.{steps[1][0]}(" in export_code(net)


@pytest.mark.parametrize("steps, words", [
    ([("Input", {"shape": [2, 8]}), ("ConvTranspose1d", {"out_channels": 2, "kernel_size": 3, "stride": 2,
                                                          "output_padding": 2})],
     "output_padding 2 along L must be smaller than the stride (2) or the dilation (1)"),
    ([("Input", {"shape": [2, 1]}), ("ConvTranspose1d", {"out_channels": 2, "kernel_size": 2, "padding": 1})],
     "below 1"),
    ([("Input", {"shape": [3, 32, 32]}), ("Conv3d", {"out_channels": 4, "kernel_size": 3})],
     "expects [C, D, H, W] (4 axes per sample)"),
    ([("Input", {"shape": [3, 8, 32, 32]}), ("Conv2d", {"out_channels": 4, "kernel_size": 3})],
     "use Conv3d"),
    ([("Input", {"shape": [3, 8, 32, 32]}), ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 2})],
     "There is no ConvTranspose3d: Reshape the volume to [24, 32, 32]"),
    ([("Input", {"shape": [3, 32, 32]}), ("BatchNorm3d", {})], "use BatchNorm2d here"),
    ([("Input", {"shape": [3, 2, 8, 8]}), ("MaxPool3d", {"kernel_size": 3})], "larger than its padded input"),
    ([("Input", {"shape": [3, 2, 8, 8]}), ("Conv3d", {"out_channels": 4, "kernel_size": [1, 2]})],
     "kernel_size must be a whole number or a list of 3"),
], ids=["output_padding", "empty", "conv3d-image", "conv2d-volume", "transposed-volume", "bn3d-image", "pool-too-big", "pair-for-3d"])
def test_refusals_agree_with_pytorch_and_say_why(chain, steps, words):
    result = engine.infer_shapes(chain(*steps))["b1"]
    assert result.error and words in result.error
    layer_type, params = steps[1]
    torch_params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    x = torch.randn(2, *steps[0][1]["shape"])
    with pytest.raises(Exception):
        layer = getattr(nn, layer_type)(x.shape[1], **torch_params) if "Conv" in layer_type or "Norm" in \
            layer_type else getattr(nn, layer_type)(**torch_params)
        y = layer(x)
        assert y.numel() > 0 and y.dim() == len(steps[0][1]["shape"]) + 1


def test_the_conv3d_image_error_offers_a_reshape_that_fixes_it(chain):
    from engine.core.quick_fixes import verified_fixes
    net = chain(("Input", {"shape": [3, 32, 32]}), ("Conv3d", {"out_channels": 4, "kernel_size": 3}))
    labels = [f.label for f in verified_fixes(net, "b1")]
    assert "Insert Reshape to [1, 3, 32, 32]" in labels


def test_the_spec_gives_3d_blocks_triple_editors_and_transposed_ones_output_padding(qtbot, chain):
    from PySide6.QtWidgets import QSpinBox

    from widgets.inspector import Inspector
    from widgets.param_editors import PairEditor
    inspector = Inspector()
    qtbot.addWidget(inspector)
    edits = []
    inspector.param_edit_requested.connect(lambda nid, name, value: edits.append((nid, name, value)))
    net = chain(*CLIP[:2])
    inspector.show_node(net, "b1", engine.infer_shapes(net)["b1"])
    kernel = inspector.editors["kernel_size"]
    assert isinstance(kernel, PairEditor) and len(kernel.findChildren(QSpinBox)) == 3
    assert kernel.value() == [3, 5, 5] and not kernel.square
    kernel.link.setChecked(True)                          # one size along D, H and W
    assert kernel.value() == 3 and edits[-1] == ("b1", "kernel_size", 3)
    net = chain(*DECODER[:2])
    inspector.show_node(net, "b1", engine.infer_shapes(net)["b1"])
    assert {"output_padding", "padding", "stride", "dilation"} <= set(inspector.editors)
    assert len(inspector.editors["output_padding"].findChildren(QSpinBox)) == 2
    assert inspector.editors["output_padding"].value() == 1


def test_shapes_explained_shows_each_axis_and_the_transposed_rule(chain):
    from widgets.explain import explain_html
    net = chain(*CLIP[:2])
    html = explain_html(net, "b1", engine.infer_shapes(net))
    for row in ("<td align='center'>D</td>", "<td align='center'>H</td>", "<td align='center'>W</td>"):
        assert row in html
    assert "D = ⌊(8 − 3 + 2·1)/1⌋ + 1 = 8" in html
    net = chain(*DECODER[:2])
    html = explain_html(net, "b1", engine.infer_shapes(net))
    assert "<th>op</th>" in html and "out = (n − 1)·s − 2p + d·(k − 1) + op + 1" in html
    assert "⌊(n + 2p" not in html and "<b>op</b> = output_padding" in html
    assert "H = (4 − 1)·2 − 2·1 + (3 − 1) + 1 + 1 = 8" in html


def test_live_views_show_3d_feature_maps_a_slice_per_depth_and_3d_filters():
    from engine.runtime import probes
    act = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)       # [C=2, D=3, H=4, W=5]
    view = probes.feature_view(act)
    assert view["kind"] == "volume" and view["shape"] == [2, 3, 4, 5] and view["shown"] == [2, 3]
    image = np.asarray(view["image"])
    assert image.shape == (2 * 4 + 2, 3 * 5 + 2)             # a row per channel, a tile per depth slice
    assert np.array_equal(image[:4, 6:11], act[0, 1].numpy())        # channel 0, depth 1
    assert np.array_equal(image[6:10, 12:17], act[1, 2].numpy())     # channel 1, depth 2
    conv = nn.Conv3d(2, 3, (2, 3, 3))
    filters = probes.conv_filters(conv)
    assert filters["channels"] == (3, 2) and filters["kernel"] == [2, 3, 3] and filters["depth"] == 2
    assert np.asarray(filters["image"]).shape == (6 * 3 + 5 * 2, 2 * 3 + 1)
    up = probes.conv_filters(nn.ConvTranspose2d(4, 6, 3))      # weight (in, out, k, k) shown as (out, in)
    assert up["channels"] == (6, 4) and up["kernel"] == [3, 3]


def test_the_importer_takes_3d_and_transposed_modules(tmp_path):
    from engine.runtime.importer import from_module
    model = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
                          nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 2))
    net = from_module(model, (1, 4, 8, 8))
    assert [n.type for n in net.nodes.values()][1:] == ["Conv3d", "BatchNorm3d", "ReLU", "MaxPool3d",
                                                        "AdaptiveAvgPool3d", "Flatten", "Linear"]
    decoder = nn.Sequential(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))
    net = from_module(decoder, (8, 5, 5))
    node = list(net.nodes.values())[1]
    assert node.type == "ConvTranspose2d" and node.params["output_padding"] == 1
    assert engine.infer_shapes(net)[node.id].shape == (4, 10, 10)


def test_receptive_fields_go_through_3d_blocks(chain):
    from engine.core.receptive import receptive_fields
    net = chain(("Input", {"shape": [1, 8, 16, 16]}), ("Conv3d", {"out_channels": 2, "kernel_size": 3}),
                ("MaxPool3d", {"kernel_size": 2}), ("Conv3d", {"out_channels": 2, "kernel_size": 3}))
    fields = receptive_fields(net, engine.infer_shapes(net))
    assert fields["b3"].size == (8, 8, 8) and fields["b3"].jump == (2, 2, 2)      # 3, then 4, then 4 + 2·2
    assert fields["b3"].axes == ("D", "H", "W")


GLOBAL_CLIP = [s if s[0] != "AdaptiveAvgPool3d" else ("AdaptiveAvgPool3d", {"output_size": 1}) for s in CLIP]


def test_what_onnx_cannot_express_in_3d_is_one_sentence(tmp_path, chain):
    pytest.importorskip("onnx")
    from engine.runtime.onnx_export import OnnxUnsupported, export_onnx
    with pytest.raises(OnnxUnsupported, match="ONNX cannot express this network .*adaptive_avg_pool3d"):
        export_onnx(chain(*CLIP), tmp_path / "m.onnx")        # an adaptive output size that is no factor
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("steps", [GLOBAL_CLIP, DECODER, SIGNAL], ids=["clip", "decoder", "signal"])
def test_onnxruntime_computes_what_pytorch_computes_for_the_new_blocks(tmp_path, chain, steps):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from engine.runtime.onnx_export import export_onnx
    net = chain(*steps)
    torch.manual_seed(0)
    model = engine.build_model(net).eval()
    export_onnx(net, tmp_path / "m.onnx", model.state_dict())
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        x = torch.randn(batch, *steps[0][1]["shape"])
        with torch.no_grad():
            want = model(x).numpy()
        np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], want, rtol=1e-4, atol=1e-5)


def test_a_clip_sample_is_previewed_as_its_frames_side_by_side():
    from engine.runtime.live import _preview
    clip = torch.zeros(1, 4, 6, 5)
    for d in range(4):
        clip[0, d, 2, d] = 1.0                     # a dot moving right, one column per frame
    preview = _preview(None, clip)
    image = np.asarray(preview["image"])
    assert preview["frames"] == 4 and image.shape == (6, 4 * 5 + 3)
    assert [int(np.argmax(image[2, i * 6:i * 6 + 5])) for i in range(4)] == [0, 1, 2, 3]
