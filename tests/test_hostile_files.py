"""Hostile network files: each is refused with a reason (exit 2) or shown as an error on its block
(exit 1), never a traceback or an "internal error"; loading and checking are linear in the file's size."""
import json
import re

import pytest

import engine
from engine import cli


def net_text(nodes, edges=(), **top):
    d = {"format": "netwright.network", "version": 1, "nodes": list(nodes), "edges": list(edges)}
    d.update(top)
    return json.dumps(d)


def run_check(tmp_path, capsys, text, as_json=False):
    path = tmp_path / "net.json"
    path.write_text(text, encoding="utf-8") if isinstance(text, str) else path.write_bytes(text)
    code = cli.main(["check", str(path)] + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err + out
    return code, out, err


INPUT = {"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}}


def conv(**params):
    return {"id": "c", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, **params}}


@pytest.mark.parametrize("text, reason", [
    ('{"format": "netwright.network", "version": 1, "nodes": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "nests arrays and objects too deeply"),
    (net_text([INPUT], extra=json.loads("[" * 70 + "]" * 70)), "more than 64 deep"),
    ('{"format": "netwright.network", "version": ' + "9" * 5000 + ', "nodes": [], "edges": []}',
     "a number with 5,000 digits"),
    (net_text([INPUT]).replace('"in"', '"\\ud800"'), "lone surrogate (U+D800)"),
    (net_text([INPUT]).replace('"version": 1', '"version": 1, "version": 2'), "The key \"version\" appears twice"),
    (net_text([{**INPUT, "position": [0, 0]}]).replace("[0, 0]", "[NaN, 0]"), "'position' must be [x, y]"),
    ("[1, 2]", "one JSON object"),
    ('"text"', "one JSON object"),
    ("null", "one JSON object"),
    (net_text([INPUT], version=2), "version 2, made by a newer Netwright"),
    (net_text([INPUT], version=10 ** 400), "a number of about 401 digits"),
    (net_text([INPUT], version=1.0), "'version' must be a whole number"),
    (net_text([{**INPUT, "id": ""}]), "non-empty string"),
    (net_text([{**INPUT, "id": "x" * 20_000}]), "at most 10,000 characters, this one has 20,000"),
    (net_text([{**INPUT, "type": ["Input"]}]), "unknown type ['Input']"),
    (net_text([{**INPUT, "type": "X" * 10_000}]), "unknown type 'XXXX"),
    (net_text([INPUT], [{"source": "in", "target": "nowhere"}]), "'nowhere' that is not in the file"),
    (net_text([INPUT], [{"source": "in", "target": "y" * 10_000}]), "yyy…"),
    (net_text([INPUT], [["in", "c"]]), "must be an object with 'source' and 'target'"),
    (net_text([{**INPUT, "position": [1e300, 0]}]), "'position' must be [x, y]"),
    (net_text([{**INPUT, "position": [10 ** 4000, 0]}]), "'position' must be [x, y]"),
    (net_text([INPUT], format="x" * 100_000), "'format' is 'xxxx"),
])
def test_unusable_files_exit_2_with_a_short_reason(tmp_path, capsys, text, reason):
    code, _out, err = run_check(tmp_path, capsys, text)
    assert code == 2 and reason in err, err
    assert len(err) < 600 and err.count("\n") == 1


def test_bom_huge_and_binary_files(tmp_path, capsys):
    code, out, _ = run_check(tmp_path, capsys, b"\xef\xbb\xbf" + net_text([INPUT]).encode())
    assert code == 0 and "valid" in out                       # a BOM (Notepad) is fine
    code, _, err = run_check(tmp_path, capsys, b" " * (64 * 2 ** 20 + 1))
    assert code == 2 and "larger than 64 MiB" in err
    code, _, err = run_check(tmp_path, capsys, b"\x00\xff" * 100)
    assert code == 2 and "not UTF-8" in err


@pytest.mark.parametrize("value, reason", [
    ("6", "out_channels must be a whole number, not '6'"),
    (True, "out_channels must be a whole number, not True"),
    (6.0, "out_channels must be a whole number, not 6.0"),
    (None, "out_channels must be a whole number, not None"),
    ([6], "out_channels must be a whole number, not [6]"),
    ({"a": {"b": 1}}, "out_channels must be a whole number, not {'a': {'b': 1}}"),
    (10 ** 400, "too large for PyTorch"),
    ("x" * 100_000, "not 'xxxxxxxx"),
])
def test_a_wrongly_typed_parameter_is_an_error_on_its_block(tmp_path, capsys, value, reason):
    code, out, err = run_check(tmp_path, capsys, net_text([INPUT, conv(out_channels=value)],
                                                          [{"source": "in", "target": "c"}]), as_json=True)
    report = json.loads(out)
    assert code == 1 and err == "" and report["valid"] is False
    assert reason in report["nodes"]["c"]["error"] and len(report["nodes"]["c"]["error"]) < 300
    assert report["nodes"]["in"]["error"] is None and report["nodes"]["in"]["shape"] == [1, 8, 8]


@pytest.mark.parametrize("params, reason", [
    ({"kernel_size": 3.5}, "kernel_size must be a whole number or a list of 2, not 3.5"),
    ({"kernel_size": [3, 3, 3]}, "kernel_size must be a whole number or a list of 2, not [3, 3, 3]"),
    ({"bias": 1}, "bias must be true or false, not 1"),
    ({"padding": "full"}, "padding must be a whole number, a list of 2, 'same' or 'valid'"),
    ({"stride": [1, 10 ** 30]}, "too large for PyTorch"),
    ({"colour": "red"}, "has no parameter 'colour'"),
    ({"\x1b[2J": 1}, "has no parameter '\\x1b[2J'"),        # found by the stress script: escaped, not sent raw
    ({"stride": "NaN"}, "stride must be a whole number"),
])
def test_other_bad_parameters_are_block_errors(tmp_path, capsys, params, reason):
    code, out, _ = run_check(tmp_path, capsys, net_text([INPUT, conv(**params)], [{"source": "in", "target": "c"}]))
    assert code == 1 and reason in out


def test_nan_and_infinity_in_parameters_are_block_errors(tmp_path, capsys):
    for literal in ("NaN", "-Infinity", "1e999"):
        text = net_text([INPUT, conv(stride=1)], [{"source": "in", "target": "c"}]).replace('"stride": 1', '"stride": ' + literal)
        code, out, _ = run_check(tmp_path, capsys, text)
        assert code == 1 and "stride must be a whole number or a list of 2, not " in out


def test_huge_sizes_are_block_errors_not_crashes(tmp_path, capsys):
    for shape in ([10 ** 300], [int("9" * 400)], [2 ** 62, 2 ** 62]):
        text = net_text([{"id": "in", "type": "Input", "params": {"shape": shape}},
                         {"id": "f", "type": "Linear", "params": {"out_features": 3}}],
                        [{"source": "in", "target": "f"}])
        code, out, _ = run_check(tmp_path, capsys, text)
        assert code == 1 and "64-bit" in out and "has no shape: its input is missing because 'in'" in out
        assert max(len(line) for line in out.splitlines()) < 300


def test_self_loop_and_cycle_are_named_on_their_blocks(tmp_path, capsys):
    nodes = [INPUT, {"id": "r", "type": "ReLU"}, {"id": "a", "type": "Add"}, {"id": "t", "type": "Tanh"}]
    edges = [{"source": "in", "target": "r"}, {"source": "r", "target": "r"},
             {"source": "in", "target": "a"}, {"source": "t", "target": "a"}, {"source": "a", "target": "t"}]
    code, out, _ = run_check(tmp_path, capsys, net_text(nodes, edges), as_json=True)
    nodes = json.loads(out)["nodes"]
    assert code == 1 and "'r' feeds itself" in nodes["r"]["error"]
    assert "part of a cycle" in nodes["a"]["error"] and "part of a cycle" in nodes["t"]["error"]


def test_ids_are_checked_on_edits_too():
    net = engine.Network()
    net.add_node("ReLU", node_id="ok")
    with pytest.raises(engine.GraphError, match="at most 10,000"):
        net.rename("ok", "z" * 10_001)
    with pytest.raises(engine.GraphError, match="at most 10,000"):
        net.add_node("ReLU", node_id="z" * 10_001)


def test_long_ids_are_cut_in_the_table_and_its_messages(tmp_path, capsys):
    long = "conv" + "x" * 5000
    code, out, _ = run_check(tmp_path, capsys, net_text([INPUT, {**conv(out_channels="6"), "id": long}],
                                                        [{"source": "in", "target": long}]))
    assert code == 1 and "out_channels must be a whole number" in out
    assert long not in out and max(len(line) for line in out.splitlines()) < 400


@pytest.mark.parametrize("odd", ["a\nb", "a\x1b[2Jb", "a\u202eb", "\x00", "\u2028"])
def test_ids_with_control_characters_are_allowed_with_a_warning_and_printed_escaped(tmp_path, capsys, odd):
    # The spec allows any non-empty id (export quotes or rewrites every one); the terminal never gets them raw.
    nodes = [{"id": odd, "type": "Input", "params": {"shape": [4]}}, {"id": "r", "type": "ReLU"},
             {"id": "r", "type": "Tanh"}]
    code, _, err = run_check(tmp_path, capsys, net_text(nodes[:1] + nodes[2:] + nodes[1:2]))
    assert code == 2 and "Two blocks have the id 'r'" in err
    code, out, _ = run_check(tmp_path, capsys, net_text(nodes[:2], [{"source": odd, "target": "r"}]))
    assert code == 0 and "valid (1 warning)" in out and ascii(odd)[1:-1] in out
    assert odd not in out and not any(c in out for c in odd if not c.isprintable() and c != "\n")
    assert "invisible or control character" in out
    code, _, err = run_check(tmp_path, capsys, net_text(nodes[:2], [{"source": odd, "target": "zz"}]))
    assert code == 2 and err.count("\n") == 1 and ascii(odd)[1:-1] in err


def test_the_app_opens_a_file_with_a_wrongly_typed_parameter(tmp_path):
    net = engine.loads(net_text([INPUT, conv(out_channels="6")], [{"source": "in", "target": "c"}]))
    assert net.nodes["c"].params["out_channels"] == "6"          # kept as the file says ...
    assert "must be a whole number" in engine.infer_shapes(net)["c"].error   # ... and shown on the block
    assert json.loads(engine.dumps(net))["nodes"][1]["params"]["out_channels"] == "6"


def _chain_text(n, cycle=False):
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [8]}}]
    nodes += [{"id": f"r{i}", "type": "ReLU", "params": {}} for i in range(n)]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    if cycle:
        edges.append({"source": f"r{n - 1}", "target": "r0"})
    return net_text(nodes, edges)


def test_twenty_thousand_blocks_load_and_check(tmp_path, capsys):
    # No timing assertion: quadratic loading took 30 s here; linear loading takes a fraction of a second.
    code, out, _ = run_check(tmp_path, capsys, _chain_text(20_000))
    assert code == 0 and "20001 blocks" in out
    net = engine.loads(_chain_text(20_000, cycle=True))
    results = engine.infer_shapes(net)
    assert "part of a cycle" in results["r0"].error and "part of a cycle" in results["r19999"].error
    assert results["in"].ok


def test_a_name_cannot_send_escape_sequences_to_the_terminal(tmp_path, capsys):
    code, out, _ = run_check(tmp_path, capsys, net_text([INPUT], name="evil\x1b[2J\x07" + "n" * 1000))
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    first = out.splitlines()[0]
    assert first.startswith("evil\\x1b[2J\\x07nnn") and first.endswith("…: 1 blocks") and len(first) <= 211


def test_the_python_api_refuses_what_json_cannot_hold(tmp_path):
    base = json.loads(net_text([INPUT]))
    for change, reason in ((lambda d: d.update(name="\ud800"), "lone surrogate (U+D800)"),
                           (lambda d: d["nodes"][0].update(note={"x": "a\udfffb"}), "lone surrogate (U+DFFF)"),
                           (lambda d: d.update(loop=d), "more than 64 deep"),
                           (lambda d: d["nodes"][0]["params"].update(shape=[10 ** 5000]), None),
                           (lambda d: d.update(nodes=tuple(d["nodes"])), "must be lists")):
        data = json.loads(json.dumps(base))
        change(data)
        if reason is None:       # a huge int built in Python: an error on the block, described, not printed
            error = engine.infer_shapes(engine.network_from_dict(data))["in"].error
            assert "too large for PyTorch" in error and len(error) < 300
            continue
        with pytest.raises(engine.NetworkFileError, match=re.escape(reason)):
            engine.network_from_dict(data)
    with pytest.raises(engine.NetworkFileError, match="lone surrogate"):
        engine.loads(net_text([INPUT], name="x").replace('"x"', '"\ud800"'))     # a raw surrogate, not an escape


def test_a_huge_number_in_the_training_object_is_a_reason(tmp_path, capsys):
    # found by benchmarks/fuzz_stress.py: math.isfinite(10**400) raised OverflowError ("internal error")
    code, _, err = run_check(tmp_path, capsys, net_text([INPUT], training={"lr": 10 ** 400}))
    assert code == 2 and "training.lr is a number of about 401 digits" in err
