"""Network files: round trips that keep unknown keys, clear NetworkFileErrors for unusable files,
version checks with the migration scaffold, and atomic saves."""
import json
import os

import pytest

import engine
from engine.core import serialization
GOOD = {"format": "netwright.network", "version": 1, "name": "tiny",
        "nodes": [{"id": "in", "type": "Input", "params": {"shape": [4]}, "position": [0, 0]},
                  {"id": "fc", "type": "Linear", "params": {"out_features": 2}, "position": [0, 100]}],
        "edges": [{"source": "in", "target": "fc"}]}


def variant(**changes):
    d = json.loads(json.dumps(GOOD))
    d.update(changes)
    return d


def test_unknown_top_level_and_node_keys_survive_load_save_load(tmp_path):
    d = variant(training={"epochs": 3, "dataset": "shapes"}, view={"zoom": 1.5})
    d["nodes"][1]["note"] = "my classifier"
    d["nodes"][1]["color"] = [1, 2, 3]
    path = tmp_path / "net.json"
    path.write_text(json.dumps(d))
    net = engine.load_network(path)
    engine.save_network(net, path)
    again = json.loads(path.read_text())
    assert again["training"] == {"epochs": 3, "dataset": "shapes"} and again["view"] == {"zoom": 1.5}
    assert again["nodes"][1]["note"] == "my classifier" and again["nodes"][1]["color"] == [1, 2, 3]
    net2 = engine.load_network(path)
    assert net2.extra == net.extra and net2.nodes["fc"].extra == {"note": "my classifier", "color": [1, 2, 3]}
    assert engine.network_to_dict(net2) == engine.network_to_dict(net)


def test_round_trip_keeps_every_example_exactly(examples_dir):
    for path in sorted(examples_dir.glob("*.json")):
        original = json.loads(path.read_text())
        assert engine.network_to_dict(engine.load_network(path)) == original, path.name


@pytest.mark.parametrize("text, reason", [
    ("{not json", "Not valid JSON"),
    ("[1, 2]", "one JSON object"),
    (json.dumps(variant(format="keras.model")), "Not a Netwright network: 'format' is 'keras.model'"),
    (json.dumps(variant(version=7)), "version 7, made by a newer Netwright"),
    (json.dumps(variant(version="one")), "'version' must be a whole number"),
    (json.dumps(variant(version=0)), "Unknown version 0"),
])
def test_unusable_files_raise_a_clear_reason(tmp_path, text, reason):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(engine.NetworkFileError) as e:
        engine.load_network(path)
    assert reason in str(e.value) and "bad.json" in str(e.value)


def _nodes_edges(nodes=None, edges=None):
    d = variant()
    if nodes is not None:
        d["nodes"] = nodes
    if edges is not None:
        d["edges"] = edges
    return d


@pytest.mark.parametrize("data, reason", [
    (_nodes_edges(nodes=[{"id": "in", "type": "Input", "params": {"shape": [4]}},
                         {"id": "fc", "type": "Dense", "params": {}}]), "Block 'fc' has unknown type 'Dense'"),
    (_nodes_edges(edges=[{"source": "in", "target": "fc2"}]), "names a block 'fc2' that is not in the file"),
    (_nodes_edges(nodes=[{"id": "in", "type": "Input", "params": {"shape": [4]}},
                         {"id": "in", "type": "ReLU", "params": {}}], edges=[]), "Two blocks have the id 'in'"),
    (_nodes_edges(edges=[{"source": "in", "target": "fc"}, {"source": "in", "target": "fc"}]),
     "already feeds 'fc'. Each link may appear once"),
    (_nodes_edges(nodes=[{"id": "", "type": "Input", "params": {"shape": [4]}}], edges=[]), "non-empty string"),
    (_nodes_edges(nodes=[{"id": "in", "type": "Input", "params": {"shape": [4]}, "position": [1]}], edges=[]),
     "'position' must be [x, y]"),
])
def test_broken_contents_raise_network_file_error(data, reason):
    with pytest.raises(engine.NetworkFileError) as e:
        engine.network_from_dict(data)
    assert reason in str(e.value)


def test_missing_file_folder_and_binary_file(tmp_path):
    with pytest.raises(engine.NetworkFileError, match="No such file"):
        engine.load_network(tmp_path / "absent.json")
    with pytest.raises(engine.NetworkFileError, match="is a folder"):
        engine.load_network(tmp_path)
    (tmp_path / "x.json").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(engine.NetworkFileError, match="not a text file"):
        engine.load_network(tmp_path / "x.json")


def test_a_newer_version_is_migrated_step_by_step(monkeypatch):
    def v1_to_v2(d):   # e.g. a renamed parameter
        for n in d["nodes"]:
            if n["type"] == "Linear":
                n["params"]["out_features"] = n["params"].pop("units")
        return d
    monkeypatch.setattr(serialization, "VERSION", 2)
    monkeypatch.setitem(serialization.MIGRATIONS, 1, v1_to_v2)
    d = variant()
    d["nodes"][1]["params"] = {"units": 5}
    net = engine.network_from_dict(d)
    assert net.nodes["fc"].params == {"out_features": 5}
    assert engine.network_to_dict(net)["version"] == 2


def test_save_is_atomic_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    engine.save_network(engine.network_from_dict(GOOD), path)
    before = path.read_text()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    net = engine.network_from_dict(GOOD)
    net.set_param("fc", "out_features", 9)
    with pytest.raises(OSError):
        engine.save_network(net, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]       # no temporary file left behind
