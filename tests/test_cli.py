"""`python main.py check NET.json [--json]`, the command line's exit codes, and the `train` dispatch."""
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from engine import cli

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "resources" / "examples" / "lenet5.json"


def run(*args):
    """main.py in a fresh interpreter, as a user runs it."""
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def write(tmp_path, data, name="net.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def broken_net():
    return {"format": "netwright.network", "version": 1, "name": "broken",
            "nodes": [{"id": "input", "type": "Input", "params": {"shape": [1, 4, 4]}},
                      {"id": "c3", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 5}},
                      {"id": "relu", "type": "ReLU", "params": {}}],
            "edges": [{"source": "input", "target": "c3"}, {"source": "c3", "target": "relu"}]}


def test_check_prints_a_table_with_shapes_params_macs_formulas_and_totals():
    p = run("check", LENET)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    header = next(line for line in lines if line.startswith("block"))
    assert header.split() == ["block", "type", "output", "RF", "params", "MACs", "formula"]
    c1 = next(line for line in lines if line.startswith("c1 "))
    assert "Conv2d" in c1 and "6 × 28 × 28" in c1 and "156" in c1 and "117,600" in c1
    assert "⌊(32 − 5 + 2·0)/1⌋ + 1 = 28" in c1
    assert any(line.startswith("f6 ") and "Dense (Linear)" in line and "10,164" in line for line in lines)
    assert "total: 61,706 trainable parameters" in p.stdout and "valid" in lines[-1]


def test_check_json_is_exactly_one_object_in_the_spec_layout():
    p = run("check", LENET, "--json")
    assert p.returncode == 0
    doc = json.loads(p.stdout)            # raises if there is anything besides one JSON object
    assert doc["valid"] is True and doc["total_params"] == 61706
    assert doc["nodes"]["c1"] == {"type": "Conv2d", "shape": [6, 28, 28], "params": 156, "error": None,
                                  "warnings": [], "macs": 117600,
                                  "receptive_field": {"size": [5, 5], "jump": [1, 1], "start": [2, 2]}}
    assert list(doc["nodes"]) == [n["id"] for n in json.loads(LENET.read_text())["nodes"]]


def test_network_errors_exit_1_with_the_error_per_node(tmp_path, capsys):
    path = write(tmp_path, broken_net())
    assert cli.main(["check", str(path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False
    assert doc["nodes"]["c3"]["shape"] is None and "kernel 5×5 is larger" in doc["nodes"]["c3"]["error"]
    assert doc["nodes"]["relu"]["shape"] is None and "input is missing" in doc["nodes"]["relu"]["error"]
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "error: Conv2d 'c3': kernel 5×5" in out and "NOT valid" in out


@pytest.mark.parametrize("content, reason", [
    ("{oops", "Not valid JSON"),
    ({"format": "other", "version": 1, "nodes": [], "edges": []}, "Not a Netwright network"),
    ({"format": "netwright.network", "version": 99, "nodes": [], "edges": []}, "version 99"),
    ({"format": "netwright.network", "version": 1, "nodes": [{"id": "a", "type": "Transformer"}], "edges": []},
     "unknown type 'Transformer'"),
])
def test_unusable_file_exits_2_with_the_reason_on_stderr(tmp_path, content, reason):
    p = run("check", write(tmp_path, content), "--json")
    assert p.returncode == 2 and p.stdout == ""
    assert reason in p.stderr and "net.json" in p.stderr


def test_missing_file_folder_and_bad_arguments_exit_2(tmp_path):
    p = run("check", tmp_path / "absent.json")
    assert p.returncode == 2 and "No such file" in p.stderr
    p = run("check", tmp_path)
    assert p.returncode == 2 and "is a folder" in p.stderr
    p = run("check")
    assert p.returncode == 2 and "usage:" in p.stderr and "NET.json" in p.stderr
    p = run("check", LENET, "--colour")
    assert p.returncode == 2 and "unrecognized arguments: --colour" in p.stderr


def test_help_and_version_exit_0(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "check" in out and "train" in out and "export" in out
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("netwright ")


def test_train_is_dispatched_lazily_with_the_arguments_after_train(monkeypatch):
    seen = []
    fake = types.ModuleType("engine.cli.train")
    fake.main = lambda args: seen.append(args) or 0
    monkeypatch.setitem(sys.modules, "engine.cli.train", fake)
    monkeypatch.setattr(cli, "train", fake, raising=False)
    assert cli.main(["train", "net.json", "--dataset", "shapes", "--epochs", "1"]) == 0
    assert seen == [["net.json", "--dataset", "shapes", "--epochs", "1"]]


def test_a_cycle_and_a_block_without_input_are_network_errors(tmp_path, capsys):
    net = {"format": "netwright.network", "version": 1,
           "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4]}},
                     {"id": "a", "type": "Add", "params": {}}, {"id": "b", "type": "ReLU", "params": {}},
                     {"id": "lonely", "type": "Tanh", "params": {}}],
           "edges": [{"source": "in", "target": "a"}, {"source": "a", "target": "b"}, {"source": "b", "target": "a"}]}
    assert cli.main(["check", str(write(tmp_path, net)), "--json"]) == 1
    nodes = json.loads(capsys.readouterr().out)["nodes"]
    assert "cycle" in nodes["a"]["error"] and "has no input" in nodes["lonely"]["error"]
