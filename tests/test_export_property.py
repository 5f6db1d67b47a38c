"""Export property: random valid networks (the oracle's generator) with hostile ids, names, descriptions and
file names export to a file that compiles, imports in a fresh interpreter that has only torch (cwd = a
temporary folder, the project unreachable), creates no file on import, takes build_model's state_dict
strictly and computes build_model's output bit for bit."""
import ast
import json
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_oracle import BATCH, Draft, draw_network

import engine
from engine.core.codegen import export_code
from engine.core.graph import id_problem

HOSTILE_TEXT = ['"""\nimport os; os.system("touch PWNED")\n"""', "'''\nopen('PWNED', 'w')\n'''",
                "\\", "'", '"', "#", "\n", "\r", "\x00", "\x0c", "\u202e", "\u2028", "{}", "{0}", "%s",
                "self", "self_", "ﬁ", "fi", "a²", "a2", "\u212a", "K", "e\u0301", "\u00e9", "1", "007",
                "__class__", "__init__", "__dict__", "forward", "training", "parameters", "_modules", "_parameters",
                "state_dict", "load_state_dict", "torch", "nn", "F", "Net", "NAME", "SOURCE", "DESCRIPTION",
                "WEIGHTS", "Path", "load_trained", "Reshape", "Add", "Concat", "Permute", "Recurrent", "print",
                "input", "input_", "super", "None", "True", "class", "lambda", "match", "case", "type", "_",
                "__", "model", "y", "x" * 200, '"""; import os; os.system("touch PWNED"); """', "卷积", "𝔘𝔫𝔦", "٣", "__debug__", "plan", "attr", "n_1", "_block"]
hostile = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(min_size=1, max_size=12))
hostile_id = hostile.filter(lambda s: id_problem(s) is None)      # what the loader accepts as an id

WORKER = textwrap.dedent('''
    import importlib.abc, importlib.util, json, os, sys, traceback, warnings

    class NoProject(importlib.abc.MetaPathFinder):
        """The exported file may import only torch: the project's packages are unreachable."""
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("engine", "app", "widgets", "main"):
                raise ModuleNotFoundError(f"the exported file imported {name}")
            return None

    sys.meta_path.insert(0, NoProject())
    import torch
    torch.set_num_threads(int(sys.argv[1]))

    def files():
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(".") for f in fs)

    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        before = files()
        try:
            spec = importlib.util.spec_from_file_location(job["name"], job["module"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            created = sorted(set(files()) - set(before))
            model = module.Net().eval()
            model.load_state_dict(torch.load(job["weights"], weights_only=True), strict=True)
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = model(*torch.load(job["inputs"], weights_only=True))
            torch.save(y, job["out"])
            print(json.dumps({"created": created, "error": None}), flush=True)
        except Exception:
            print(json.dumps({"created": sorted(set(files()) - set(before)), "error": traceback.format_exc()}),
                  flush=True)
''')


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    """One fresh interpreter (isolated mode: no cwd or user site on sys.path) reused by every example."""
    folder = tmp_path_factory.mktemp("exported")
    script = tmp_path_factory.mktemp("worker") / "worker.py"
    script.write_text(WORKER)
    p = subprocess.Popen([sys.executable, "-I", "-B", str(script), str(torch.get_num_threads())], cwd=folder,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    counter = iter(range(10 ** 6))

    def run(code: str, state: dict, xs: list) -> tuple[dict, torch.Tensor | None]:
        k = next(counter)
        job = {"name": f"exported_{k}", "module": str(folder / f"exported_{k}.py"),
               "weights": str(folder / f"w{k}.pt"), "inputs": str(folder / f"x{k}.pt"), "out": str(folder / f"y{k}.pt")}
        (folder / f"exported_{k}.py").write_text(code, encoding="utf-8")
        torch.save(state, job["weights"])
        torch.save(xs, job["inputs"])
        p.stdin.write(json.dumps(job) + "\n")
        p.stdin.flush()
        answer = json.loads(p.stdout.readline())
        y = torch.load(job["out"], weights_only=True) if answer["error"] is None else None
        return answer, y

    yield run
    p.stdin.close()
    p.wait(timeout=60)
    p.stdout.close()
    assert not (folder / "PWNED").exists()


def relabel(d: Draft, ids: list[str]) -> dict:
    rename = {n["id"]: ids[i] for i, n in enumerate(d.nodes)}
    return {"nodes": [{**n, "id": rename[n["id"]]} for n in d.nodes],
            "edges": [{"source": rename[e["source"]], "target": rename[e["target"]]} for e in d.edges]}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_hostile_networks_export_to_files_that_compute_what_the_engine_computes(worker, data):
    d = Draft(data)
    draw_network(d)
    assume(all(e not in ("rejected", "unknown") for e in d.expect.values()))
    extra_input = data.draw(st.booleans())
    ids = data.draw(st.lists(hostile_id, min_size=len(d.nodes) + 1, max_size=len(d.nodes) + 1, unique=True))
    doc = {"format": "netwright.network", "version": 1, "name": data.draw(hostile),
           "description": data.draw(hostile), **relabel(d, ids)}
    xs = [d.values["input"]]
    if extra_input:                    # a second Input no block uses: forward takes it too, in file order
        doc["nodes"].insert(0, {"id": ids[-1], "type": "Input", "params": {"shape": [2]}})
        xs.insert(0, torch.randn(BATCH, 2))
    net = engine.loads(json.dumps(doc))            # what the loader accepts, exactly as a file gives it
    torch.manual_seed(0)
    model = engine.build_model(net).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")      # torch's own deprecation notes on odd but valid layers
        expected = model(*xs)
    code = export_code(net, source=data.draw(hostile) + ".json")
    tree = ast.parse(code)
    compile(tree, "<exported>", "exec")
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | \
               {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"torch", "pathlib"}
    answer, y = worker(code, model.state_dict(), xs)
    assert answer["error"] is None, answer["error"]
    assert answer["created"] == []
    assert y.dtype == expected.dtype and torch.equal(y, expected)
