"""Exported code is safe and faithful: no text of a network file (ids, name, description, file names)
changes what the generated file does, names never collide (after Python's NFKC normalisation), `export`
never runs the file it wrote, and a file that would not compile is refused with a reason."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch

import engine
from engine import cli
from engine.core.codegen import export_code

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
HOSTILE = '"""; import os; os.system("touch PWNED"); """'         # ids have no line breaks (engine.core.graph)
HOSTILE_NAME = '"""\nimport os; os.system("touch PWNED")\n"""'   # a name may have them


def chain(ids_and_blocks, name="hostile", shape=(4,)):
    """A network file (as a dict): Input first, then each (id, type, params) fed by the one before."""
    first, *rest = ids_and_blocks
    nodes = [{"id": first[0], "type": "Input", "params": {"shape": list(shape)}}]
    edges = []
    for nid, typ, params in rest:
        edges.append({"source": nodes[-1]["id"], "target": nid})
        nodes.append({"id": nid, "type": typ, "params": params})
    return {"format": "netwright.network", "version": 1, "name": name, "nodes": nodes, "edges": edges}


def write(tmp_path, data, name="net.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_exported(path: Path, cwd: Path):
    """Import the exported file in a fresh interpreter (cwd = its folder, no access to the source tree)
    and run one forward pass: what a user of the exported file does."""
    return subprocess.run([sys.executable, "-I", "-B", str(path)], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def exported_module(code: str):
    namespace = {"__name__": "exported"}
    exec(compile(code, "<exported>", "exec"), namespace)
    return namespace


def same_output(data) -> None:
    net = engine.network_from_dict(data)
    torch.manual_seed(0)
    model = engine.build_model(net).eval()
    exported = exported_module(export_code(net))["Net"]().eval()
    exported.load_state_dict(model.state_dict())          # strict
    xs = [torch.randn(3, *engine.infer_shapes(net)[i].shape) for i in net.input_nodes()]
    with torch.no_grad():
        assert torch.equal(exported(*xs), model(*xs))


def test_an_id_or_a_name_with_triple_quotes_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = chain([(HOSTILE, None, None), ("fc", "Linear", {"out_features": 2})], name=HOSTILE_NAME)
    data["description"] = HOSTILE_NAME
    path = write(tmp_path, data, name='x""".json')
    work = tmp_path / "work"
    work.mkdir()
    # `export --weights` used to exec the file it wrote: that ran the id's code too.
    torch.save({"model": engine.build_model(engine.network_from_dict(data)).state_dict()}, tmp_path / "ck.pt")
    assert cli.main(["export", str(path), "-o", str(work / "m.py"), "--weights", str(tmp_path / "ck.pt")]) == 0
    assert not (tmp_path / "PWNED").exists()
    code = (work / "m.py").read_text(encoding="utf-8")
    tree = ast.parse(code)
    # Nothing but the docstring, imports, constants, the helper classes and Net at the top level.
    kinds = {type(n).__name__ for n in tree.body}
    assert kinds <= {"Expr", "Import", "ImportFrom", "Assign", "ClassDef", "FunctionDef", "If"}
    assert [n for n in tree.body if isinstance(n, ast.Expr)] == tree.body[:1]        # the docstring alone
    assigned = [n for n in tree.body if isinstance(n, ast.Assign)]
    assert all(isinstance(n.value, ast.Constant) for n in assigned[:3])            # NAME, DESCRIPTION, SOURCE
    assert "os.system" not in ast.get_docstring(tree)
    literals = {c.value for c in ast.walk(tree) if isinstance(c, ast.Constant)}
    assert HOSTILE_NAME in literals and "x\"\"\".json" in literals            # kept, as literals
    p = run_exported(work / "m.py", work)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "output shape: (2, 2)"
    assert sorted(f.name for f in work.iterdir()) == ["m.py", "m.weights.pt"]


def test_export_never_runs_the_file_it_wrote(tmp_path, monkeypatch):
    import builtins
    real_exec, ran = builtins.exec, []

    def spy(code, *args, **kwargs):        # everything else that execs (dataclasses, …) still works
        name = getattr(code, "co_filename", "")
        if "class Net(nn.Module)" in str(code) or name.startswith("<export") or name.endswith("m.py"):
            ran.append(code)
        return real_exec(code, *args, **kwargs)

    monkeypatch.setattr(builtins, "exec", spy)
    path = write(tmp_path, chain([("x", None, None), ("fc", "Linear", {"out_features": 2})]))
    torch.save({"model": engine.build_model(engine.network_from_dict(json.loads(path.read_text()))).state_dict()},
               tmp_path / "ck.pt")
    assert cli.main(["export", str(path), "-o", str(tmp_path / "m.py"), "--weights", str(tmp_path / "ck.pt")]) == 0
    assert ran == [] and "m" not in sys.modules
    for source in (ROOT / "engine" / "core" / "codegen.py", ROOT / "engine" / "cli" / "export.py",
                   ROOT / "engine" / "cli" / "__init__.py"):
        text = source.read_text(encoding="utf-8")
        assert "exec(" not in text and "import_module" not in text and "spec_from_file_location" not in text


def test_an_input_self_and_a_relu_self_underscore_keep_their_meaning():
    # relu(x) + x, not relu(x) + relu(x): the Input `self` and the block `self_` stay two variables.
    data = chain([("self", None, None), ("self_", "ReLU", {}), ("sum", "Add", {})])
    data["edges"].append({"source": "self", "target": "sum"})
    same_output(data)
    net = engine.network_from_dict(data)
    exported = exported_module(export_code(net))["Net"]().eval()
    x = torch.tensor([[-1.0, 2.0, -3.0, 4.0]])
    assert torch.equal(exported(x), torch.relu(x) + x)


@pytest.mark.parametrize("ids", [("ﬁ", "fi"), ("a²", "a2"), ("Ⅸ", "IX"), ("ｆｃ", "fc"), ("\u212a", "K"), ("e\u0301", "\u00e9")])
def test_ids_that_python_normalises_to_one_name_stay_two_blocks(ids):
    # `ﬁ` and `fi` (NFKC-equal) used to become one attribute; `a²` a SyntaxError after "wrote …".
    a, b = ids
    data = chain([("in", None, None), (a, "Linear", {"out_features": 3}), (b, "Linear", {"out_features": 2})])
    same_output(data)
    code = export_code(engine.network_from_dict(data))
    compile(code, "<exported>", "exec")
    assert len(engine.build_model(engine.network_from_dict(data)).state_dict()) == 4


NASTY_IDS = ["1", "123", "__class__", "__init__", "forward", "training", "parameters", "_modules", "state_dict",
             "self", "self_", "torch", "nn", "F", "Net", "NAME", "SOURCE", "Path", "WEIGHTS", "load_trained",
             "Reshape", "Add", "Concat", "print", "super", "len", "None", "True", "class", "match", "case", "type",
             "_", "__", "x" * 200, "x" * 5000, "x" * 5001, "a b", "a.b", "a-b", "'", '"', "\\", "#", HOSTILE,
             "\u00e9", "e\u0301", "卷积", "𝔘𝔫𝔦", "٣", "__debug__", "input_ids", "plan", "attr",
             "n_1", "_block", "block", "model", "y", "x_", "x"]


def test_names_that_python_or_nn_module_use_stay_apart():
    blocks = [("Linear", {"out_features": 4}), ("Tanh", {}), ("ReLU", {})]
    data = chain([(NASTY_IDS[0], None, None)] + [(nid, *blocks[i % 3]) for i, nid in enumerate(NASTY_IDS[1:])],
                 name=HOSTILE)
    same_output(data)
    code = export_code(engine.network_from_dict(data))
    tree = ast.parse(code)
    net_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Net")
    forward = next(n for n in net_class.body if isinstance(n, ast.FunctionDef) and n.name == "forward")
    assigned = [t.id for s in forward.body if isinstance(s, ast.Assign) for t in s.targets]
    args = [a.arg for a in forward.args.args]
    assert args[0] == "self" and len(set(assigned + args)) == len(assigned) + len(args)
    import builtins
    import keyword
    bad = set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "torch", "nn", "F"}
    assert not bad & set(assigned + args[1:])
    assert max(len(line) for line in code.splitlines()) < 400


def test_code_that_does_not_compile_is_refused_with_a_reason(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, chain([("x", None, None), ("fc", "Linear", {"out_features": 2})]))
    # A generator bug: a block writes a constructor call that does not compile.
    monkeypatch.setattr("engine.core.blocks.spec.Module.code", lambda self: "nn.Linear(1, 2")
    out = tmp_path / "m.py"
    assert cli.main(["export", str(path), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert "does not compile" in captured.err and "wrote" not in captured.out
    assert not out.exists()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(NASTY_IDS)), min_size=1, max_size=12,
                unique=True))
def test_any_ids_become_distinct_identifiers_that_python_reads_back_unchanged(ids):
    import builtins
    import keyword
    import unicodedata

    from torch import nn

    from engine.core.names import attribute_name
    from engine.core.codegen import FILE_NAMES, variable_names
    taken: set[str] = set()
    attr = {nid: attribute_name(nid, taken) for nid in ids}
    var = variable_names(attr)
    module = nn.Module()
    assert len(set(attr.values())) == len(ids) and len(set(var.values())) == len(ids)
    for name in attr.values():
        assert name.isidentifier() and unicodedata.normalize("NFKC", name) == name, repr(name)
        assert not keyword.iskeyword(name) and not name.startswith("_") and not hasattr(module, name)
    forbidden = set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | {"self", *FILE_NAMES}
    assert not forbidden & set(var.values())
    assert all(unicodedata.normalize("NFKC", v) == v and v.isidentifier() for v in var.values())
