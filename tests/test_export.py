"""`python main.py export`: one readable file needing only torch, `class Net(nn.Module)` with the app's
attribute names, so the app's trained state_dict loads into it and gives the same outputs."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import engine
from engine import cli
from engine.core.codegen import export_code

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def exported_net_class(code: str, file: Path | None = None):
    namespace = {"__name__": "exported", "__file__": str(file or ROOT / "model.py")}
    exec(compile(code, "<exported>", "exec"), namespace)
    return namespace


def sample_inputs(net, batch=3):
    r = engine.infer_shapes(net)
    return [torch.randint(0, 10, (batch, *r[i].shape)) if r[i].dtype == "int64" else torch.randn(batch, *r[i].shape)
            for i in net.input_nodes()]


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_exported_net_takes_the_apps_weights_and_computes_the_same(name):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    torch.manual_seed(0)
    app_model = engine.build_model(net).eval()
    exported = exported_net_class(export_code(net))["Net"]().eval()
    state = app_model.state_dict()
    assert list(exported.state_dict()) == list(state)
    exported.load_state_dict(state)                      # strict: every key present, every shape equal
    xs = sample_inputs(net)
    with torch.no_grad():
        assert torch.allclose(exported(*xs), app_model(*xs), atol=1e-6)


def test_exported_file_is_readable_needs_only_torch_and_runs(tmp_path):
    out = tmp_path / "lenet.py"
    assert cli.main(["export", str(EXAMPLES / "lenet5.json"), "-o", str(out)]) == 0
    code = out.read_text()
    imports = {m.group(1) for m in re.finditer(r"^(?:from|import) (\w+)", code, re.M)}
    assert imports == {"torch"}
    assert "class Net(nn.Module):" in code and "def __init__(self):" in code
    assert "self.c1 = nn.Conv2d(1, 6, kernel_size=5)  # → 6 × 28 × 28, 156 params" in code
    assert "self.f6 = nn.Linear(120, 84)" in code and "c1 = self.c1(input_)" in code
    p = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "output shape: (2, 10)"


def test_export_with_weights_loads_the_trained_checkpoint(tmp_path):
    net = engine.load_network(EXAMPLES / "crnn.json")          # has a Recurrent wrapper (.rnn) inside
    torch.manual_seed(1)
    model = engine.build_model(net).eval()
    runs = tmp_path / "runs"
    runs.mkdir()
    optimizer = torch.optim.Adam(model.parameters())
    # Shaped like the trainer's checkpoints: training state besides the weights, numpy arrays included.
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
                "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state()}}, runs / "checkpoint.pt")
    out = tmp_path / "export" / "crnn.py"
    out.parent.mkdir()
    assert cli.main(["export", str(EXAMPLES / "crnn.json"), "-o", str(out), "--weights",
                     str(runs / "checkpoint.pt")]) == 0
    code = out.read_text()
    assert "class Recurrent(nn.Module):" in code and "'crnn.weights.pt'" in code
    weights = torch.load(out.with_name("crnn.weights.pt"), weights_only=True)   # tensors only: safe to share
    assert list(weights) == list(model.state_dict())
    trained = exported_net_class(code, out)["load_trained"]().eval()
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(trained(x), model(x))
    p = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "output shape: (2, 10)", p.stderr


def test_weights_of_another_network_are_refused_with_a_reason(tmp_path, capsys):
    other = engine.build_model(engine.load_network(EXAMPLES / "mnist_cnn.json"))
    torch.save({"model": other.state_dict()}, tmp_path / "ckpt.pt")
    code = cli.main(["export", str(EXAMPLES / "lenet5.json"), "-o", str(tmp_path / "m.py"), "--weights",
                     str(tmp_path / "ckpt.pt")])
    assert code == 2 and not (tmp_path / "m.py").exists() and not (tmp_path / "m.weights.pt").exists()
    err = capsys.readouterr().err
    assert "do not fit this network" in err and "missing: 'c1.weight'" in err and "unexpected: 'conv1.weight'" in err
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    assert cli.main(["export", str(EXAMPLES / "lenet5.json"), "-o", str(tmp_path / "m.py"), "--weights",
                     str(tmp_path / "junk.pt")]) == 2
    assert "not a readable PyTorch checkpoint" in capsys.readouterr().err
    assert cli.main(["export", str(EXAMPLES / "lenet5.json"), "--weights", str(tmp_path / "ckpt.pt")]) == 2
    assert "--weights needs -o" in capsys.readouterr().err


def test_network_with_errors_is_not_exported(tmp_path, capsys):
    data = json.loads((EXAMPLES / "mnist_cnn.json").read_text())
    data["nodes"][1]["params"]["kernel_size"] = 40
    (tmp_path / "bad.json").write_text(json.dumps(data))
    assert cli.main(["export", str(tmp_path / "bad.json"), "-o", str(tmp_path / "m.py")]) == 1
    assert "kernel 40×40 is larger" in capsys.readouterr().err and not (tmp_path / "m.py").exists()


def test_awkward_ids_become_the_same_attribute_names_as_in_the_app():
    net = engine.Network("awkward")
    net.add_node("Input", {"shape": [2, 6]}, node_id="in put")
    prev = "in put"
    for nid, typ, params in [("self", "LSTM", {"hidden_size": 3}), ("class", "Linear", {"out_features": 4}),
                             ("1st", "ReLU", {}), ("conv-1", "Permute", {"dims": [-1, 0]}),
                             ("training", "Flatten", {}), ("plan", "Dropout", {}), ("block", "Tanh", {})]:
        net.add_node(typ, params, node_id=nid)
        net.connect(prev, nid)
        prev = nid
    model = engine.build_model(net).eval()
    exported = exported_net_class(export_code(net))["Net"]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, 2, 6)
    with torch.no_grad():
        assert torch.equal(exported(x), model(x))
