"""`python main.py import` and `engine.from_module`: PyTorch modules become networks whose built model, with the
module's weights, computes the same; what has no block is named; export → import gives the same graph."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import import_models as models
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_oracle import Draft, draw_network

import engine
from engine.core.codegen import export_code
from engine.cli.import_network import load_target
from engine.runtime.importer import ImportProblem, import_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
MODELS = Path(models.__file__)

REFERENCE = {            # name → (builder, input shape, dtype)
    "LeNet5": (models.LeNet5, (1, 32, 32)),
    "resnet18": (models.resnet18, (3, 64, 64)),
    "GRULast": (models.GRULast, (12, 8)),
    "TimeMajorLSTM": (models.TimeMajorLSTM, (7, 6)),
    "Branches": (models.Branches, (3, 8, 8)),
    "GlobalMean": (models.GlobalMean, (3, 10, 10)),
}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def params_of(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_models_import_with_their_weights_and_compute_the_same(name):
    make, shape = REFERENCE[name]
    torch.manual_seed(0)
    module = make().eval()
    imported = import_module(module, shape)
    net = imported.network
    results = engine.infer_shapes(net)
    assert all(r.ok for r in results.values())
    assert all(n.position is not None for n in net.nodes.values())        # laid out
    model = engine.build_model(net).eval()
    model.load_state_dict(imported.state_dict())
    assert engine.summary(net, results)["total_params"] == params_of(model) == params_of(module)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        assert torch.allclose(model(x), module(x), atol=1e-6, rtol=0)


def test_resnet18_is_the_torchvision_one_and_keeps_its_structure():
    net = import_module(models.resnet18(), (3, 64, 64)).network
    assert engine.summary(net, engine.infer_shapes(net))["total_params"] == 11_689_512
    types = [n.type for n in net.nodes.values()]
    assert types.count("Conv2d") == 20 and types.count("BatchNorm2d") == 20 and types.count("Add") == 8
    assert net.nodes["layer2_0_downsample_0"].params == {"out_channels": 128, "kernel_size": 1, "stride": 2,
                                                         "bias": False}
    assert net.nodes["conv1"].params == {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3,
                                         "bias": False}
    assert net.nodes["maxpool"].params == {"kernel_size": 3, "stride": 2, "padding": 1}


def test_recurrent_settings_and_the_last_step_are_read_from_the_module():
    net = import_module(models.GRULast(), (12, 8)).network
    assert net.nodes["gru"].params == {"hidden_size": 32, "num_layers": 2, "return_sequences": False}
    lstm = import_module(models.TimeMajorLSTM(), (7, 6)).network
    assert [n.type for n in lstm.nodes.values()] == ["Input", "LSTM", "Linear"]       # the transposes are absorbed


def test_token_models_import_with_int64_inputs():
    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(50, 16)
            self.lstm = torch.nn.LSTM(16, 24, batch_first=True, bidirectional=True)
            self.fc = torch.nn.Linear(48, 50)

        def forward(self, x):
            return self.fc(self.lstm(self.emb(x))[0])

    module = Tokens().eval()
    imported = import_module(module, (20,), "int64")
    model = engine.build_model(imported.network).eval()
    model.load_state_dict(imported.state_dict())
    x = torch.randint(0, 50, (2, 20))
    with torch.no_grad():
        assert torch.allclose(model(x), module(x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("name, shape, path, words", [
    ("Unknown", (1, 8, 8), "up", "Upsample: has no Netwright block"),
    ("Branching", (4,), "", "data-dependent control flow"),
    ("TimeMajorBare", (5, 4), "rnn", "batch_first=False"),
])
def test_what_cannot_be_mapped_is_named_with_its_module_path(name, shape, path, words):
    with pytest.raises(ImportProblem) as e:
        import_module(getattr(models, name)(), shape)
    assert any(p[0] == path for p in e.value.problems) and words in str(e.value)


def test_every_problem_is_listed_at_once():
    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pad = torch.nn.ZeroPad2d(1)
            self.conv = torch.nn.Conv2d(1, 2, 3, padding_mode="reflect", padding=1)

        def forward(self, x):
            return torch.exp(self.conv(self.pad(x)))

    with pytest.raises(ImportProblem) as e:
        import_module(Two(), (1, 8, 8))
    found = {p[0] for p in e.value.problems}
    assert {"pad", "conv"} <= found and "exp()" in str(e.value) and "padding_mode='reflect'" in str(e.value)


# ---- the command line ----

def cli(capsys, *args):
    from engine.cli import main
    code = main(["import", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_command_writes_a_valid_network_and_a_checkpoint_train_resumes_from(tmp_path, capsys):
    from engine.cli import train as train_cli
    (tmp_path / "tiny.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "def tiny():\n"
        "    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 10 * 10, 10))\n")
    code, out, err = cli(capsys, f"{tmp_path / 'tiny.py'}:tiny", "-o", tmp_path / "tiny.json", "--input-shape", 1,
                         12, 12, "--weights-out", tmp_path / "tiny.pt")
    assert code == 0, err
    assert "5 blocks" in out and "4,050 trainable parameters" in out
    net = engine.load_network(tmp_path / "tiny.json")
    assert [n.type for n in net.nodes.values()] == ["Input", "Conv2d", "ReLU", "Flatten", "Linear"]
    state = torch.load(tmp_path / "tiny.pt", weights_only=True)
    assert state["epoch"] == 0 and set(state["model"]) == set(engine.build_model(net).state_dict())
    code = train_cli.main([str(tmp_path / "tiny.json"), "--epochs", "1", "--device", "cpu", "--batch-size", "200",
                           "--resume", str(tmp_path / "tiny.pt"), "--out", str(tmp_path / "run")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Starting from the weights" in err and json.loads(out.splitlines()[-1])["epochs"] == 1


@pytest.mark.parametrize("target, words", [
    ("Branching", "data-dependent control flow"),
    ("Missing", "has no 'Missing'"),
    ("conv3x3", "conv3x3() failed"),
])
def test_import_command_refuses_with_one_message_and_exit_2(tmp_path, capsys, target, words):
    code, _, err = cli(capsys, f"{MODELS}:{target}", "-o", tmp_path / "x.json", "--input-shape", 4)
    assert code == 2 and words in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert not (tmp_path / "x.json").exists()


def test_import_help_says_the_file_is_run():
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", "--help"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0 and "runs its code" in " ".join(p.stdout.split())


# ---- round trips ----

def canonical(net) -> dict:
    """Blocks (type, settings with defaults and equivalent spellings made one) and each block's inputs in
    order, keyed by the name the exported code gives the block (attribute, or argument for an Input)."""
    from engine.core.codegen import attribute_names, variable_names
    results = engine.infer_shapes(net)
    attr = attribute_names(net)
    var = variable_names(attr)
    attr.update({i: var[i] for i in net.input_nodes()})    # an Input is the forward's argument (input → input_)
    out_id = net.output_node()
    keep = net.ancestors(out_id) | {out_id} | set(net.input_nodes())
    graph = {}
    for nid in keep:
        node = net.nodes[nid]
        p = node.spec.resolved(node.params)
        ins = [results[s].shape for s in net.inputs_of(nid)]
        for k, v in list(p.items()):
            if isinstance(v, list) and node.type != "Input" and k not in ("shape", "dims"):
                p[k] = v[0] if len(set(v)) == 1 else v
            if isinstance(v, float) and v.is_integer() and k not in ("p", "dropout", "negative_slope"):
                p[k] = int(v)
        if "stride" in p and p.get("stride") is None:
            p["stride"] = p["kernel_size"]
        if p.get("padding") == "valid":
            p["padding"] = 0
        if node.type == "Concat":
            p["dim"] %= len(ins[0])
        if node.type in ("Softmax", "LogSoftmax"):
            p["dim"] %= len(ins[0])
        if node.type == "Permute":
            p["dims"] = [d % len(ins[0]) for d in p["dims"]]
        if node.type == "Reshape":
            p["shape"] = list(results[nid].shape)
        if node.type in ("RNN", "LSTM", "GRU") and p["num_layers"] == 1:
            p["dropout"] = 0.0
        if node.type == "Input":
            p["shape"] = list(p["shape"])
        graph[attr[nid]] = (node.type, p, [attr[s] for s in net.inputs_of(nid)])
    return graph


def round_trip(net, tmp_path):
    file = tmp_path / "exported_model.py"
    file.write_text(export_code(net), encoding="utf-8")
    module = load_target(f"{file}:Net")
    results = engine.infer_shapes(net)
    (inp,) = net.input_nodes()
    return import_module(module, results[inp].shape, results[inp].dtype).network


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_export_then_import_gives_the_same_graph_for_every_example(name, tmp_path):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    assert canonical(round_trip(net, tmp_path)) == canonical(net)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_export_then_import_gives_the_same_graph_for_random_valid_networks(data):
    import tempfile

    d = Draft(data)
    draw_network(d)
    net = d.network()
    assume(all(r.ok for r in engine.infer_shapes(net).values()))
    with tempfile.TemporaryDirectory() as folder:
        assert canonical(round_trip(net, Path(folder))) == canonical(net)


@pytest.mark.parametrize("name", ["LeNet5", "Branches", "GRULast"])
def test_import_then_export_gives_code_computing_the_modules_outputs(name, tmp_path):
    make, shape = REFERENCE[name]
    torch.manual_seed(1)
    module = make().eval()
    imported = import_module(module, shape)
    file = tmp_path / "again.py"
    file.write_text(export_code(imported.network), encoding="utf-8")
    exported = load_target(f"{file}:Net").eval()
    exported.load_state_dict(imported.state_dict())
    x = torch.randn(4, *shape)
    with torch.no_grad():
        assert torch.allclose(exported(x), module(x), atol=1e-6, rtol=0)
