"""`export NET.json --onnx model.onnx [--weights CKPT]`: ONNX with a dynamic batch axis, checked with
onnx.checker; onnxruntime computes what PyTorch computes; without the optional extra, one line and exit 2."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import engine
from engine import cli
from engine.runtime import onnx_export
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def sample(net, batch):
    r = engine.infer_shapes(net)[net.input_nodes()[0]]
    if r.dtype == "int64":
        return torch.randint(0, 10, (batch, *r.shape))
    return torch.randn(batch, *r.shape)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_onnxruntime_equals_pytorch_for_every_example_at_batch_1_and_7(name, tmp_path, capsys):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    torch.manual_seed(0)
    model = engine.build_model(net).eval()
    ckpt = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict()}, ckpt)
    target = tmp_path / "model.onnx"
    assert cli.main(["export", str(EXAMPLES / f"{name}.json"), "--onnx", str(target), "--weights", str(ckpt)]) == 0
    assert "dynamic batch axis" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(target)))
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        x = sample(net, batch)
        with torch.no_grad():
            want = model(x).numpy()
        got = session.run(None, {"input": x.numpy()})[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_without_the_extra_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(onnx_export, "onnx_available", lambda: False)
    code = cli.main(["export", str(EXAMPLES / "lenet5.json"), "--onnx", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "pip install 'netwright[onnx]'" in err
    assert not (tmp_path / "m.onnx").exists()


def test_what_the_exporter_cannot_express_is_one_sentence(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("Exporting the operator 'aten::something' to ONNX opset version 17 is not supported.\n...")
    monkeypatch.setattr(torch.onnx, "export", refuse)
    code = cli.main(["export", str(EXAMPLES / "lenet5.json"), "--onnx", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "ONNX cannot express this network" in err and "aten::something" in err
    assert "Traceback" not in err and not (tmp_path / "m.onnx").exists()


def test_weights_of_another_network_are_refused(tmp_path, capsys):
    torch.save({"model": {"nope.weight": torch.zeros(2)}}, tmp_path / "other.pt")
    code = cli.main(["export", str(EXAMPLES / "lenet5.json"), "--onnx", str(tmp_path / "m.onnx"),
                     "--weights", str(tmp_path / "other.pt")])
    assert code == 2 and "do not fit" in capsys.readouterr().err


def test_a_network_with_errors_is_exit_1_and_writes_nothing(tmp_path, capsys):
    net = engine.load_network(EXAMPLES / "lenet5.json")
    net.set_param(next(n for n in net.nodes if net.nodes[n].type == "Conv2d"), "kernel_size", 99)
    engine.save_network(net, tmp_path / "broken.json")
    for flag, target in (("--onnx", "m.onnx"), ("--script", "t.py")):
        assert cli.main(["export", str(tmp_path / "broken.json"), flag, str(tmp_path / target)]) == 1
        assert "has errors" in capsys.readouterr().err and not (tmp_path / target).exists()
