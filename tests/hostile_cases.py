"""Hostile network files for the fuzz test (tests/test_fuzz_files.py) and the stress script
(benchmarks/fuzz_stress.py): valid examples mutated at random, and hostile JSON text written from
scratch. `case(rng)` gives (campaign, file bytes); `outcome(path)` runs `check` in-process and sorts
what happened. Plain `random.Random`, so a seed reproduces a case exactly."""
from __future__ import annotations

import contextlib
import io
import json
import random
import re
from pathlib import Path

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "resources" / "examples").glob("*.json"))
_EXAMPLE_DATA = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]

STRINGS = ["", " ", "6", "x" * 5000, "\ud800", "\udfff", "a\x00b", "a\nb", "\x1b[2J", "\u202eevil", "ﬁ", "fi",
           "self", "__init__", "\"\"\"", "'; import os #", "é", "😀" * 30, "NaN", "null", "Input", "-1", "1e999"]
HUGE = [10 ** 400, -10 ** 400, 2 ** 63, 2 ** 63 - 1, -2 ** 63, 2 ** 64, 10 ** 18, 2 ** 31, 10 ** 4000]
FLOATS = [float("nan"), float("inf"), float("-inf"), 3.5, -0.0, 1e308, 5e-324, 0.5, 1.0]
CAMPAIGNS = ("wrong-type parameter", "any value anywhere", "missing or extra keys", "broken links and ids",
             "JSON text")


def value(rng: random.Random, depth: int = 0):
    """One hostile JSON value: wrong types, huge numbers, odd text, empty and nested containers."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(HUGE + [rng.randint(-10, 10), rng.randint(-2 ** 40, 2 ** 40)])
    if kind == 3:
        return rng.choice(FLOATS + [rng.uniform(-1e6, 1e6)])
    if kind == 4:
        return rng.choice(STRINGS + ["".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(8)))])
    if kind == 5:
        return rng.randint(-3, 300)
    if kind == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 7:
        return {rng.choice(STRINGS[:12] + ["id", "type", "params", "shape"]): value(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    return rng.choice([[], {}, [[[[[]]]]], [1, 2, 3], [1.5, 2], ["a", "b"], [True, 1]])


def _paths(data, prefix=()):
    """Every (container, key) in the data, to replace or delete."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((data, k))
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((data, i))
            out += _paths(v, prefix + (i,))
    return out


def _mutate(rng: random.Random, data: dict, campaign: str) -> None:
    nodes = data.get("nodes") or []
    if campaign == "wrong-type parameter" and nodes:
        from engine import BLOCKS
        node = rng.choice(nodes)
        spec = BLOCKS.get(node.get("type"))
        names = [p.name for p in spec.params] if spec else ["x"]
        node.setdefault("params", {})[rng.choice(names + ["unknown"])] = value(rng)
    elif campaign == "any value anywhere":
        container, key = rng.choice(_paths(data))
        container[key] = value(rng)
    elif campaign == "missing or extra keys":
        container, key = rng.choice(_paths(data))
        if rng.random() < 0.5 and isinstance(container, dict):
            del container[key]
        elif isinstance(container, list) and container:
            container.insert(rng.randrange(len(container) + 1), value(rng) if rng.random() < 0.3
                             else json.loads(json.dumps(rng.choice(container))))
        elif isinstance(container, dict):
            container[rng.choice(["extra", "id", "type", "params", "position", "edges", "training"])] = value(rng)
    elif nodes:      # broken links and ids
        ids = [n.get("id") for n in nodes if isinstance(n, dict)]
        edges = data.setdefault("edges", [])
        choice = rng.randrange(5)
        if choice == 0 and ids:
            a = rng.choice(ids)
            edges.append({"source": a, "target": rng.choice(ids + [a, "missing", "", None])})
        elif choice == 1:
            rng.choice(nodes)["id"] = rng.choice(STRINGS + ids)
        elif choice == 2 and ids:
            edges.append({"source": rng.choice(ids), "target": rng.choice(ids)})      # maybe a cycle
        elif choice == 3 and edges:
            del edges[rng.randrange(len(edges))]
        else:
            rng.choice(nodes)["type"] = rng.choice(["Conv9d", "", None, 3, ["Input"], "input", "Linear", "Input"])


def _text(rng: random.Random) -> bytes:
    """Hostile JSON text: deep nesting, long numbers, duplicate keys, BOM, broken syntax, odd bytes."""
    base = json.dumps(rng.choice(_EXAMPLE_DATA))
    kind = rng.randrange(9)
    if kind == 0:
        n = rng.choice([63, 64, 65, 200, 1000, 5000, 100_000])
        inner = "[" * n + "]" * n if rng.random() < 0.5 else '{"a":' * n + "1" + "}" * n
        where = rng.randrange(3)
        if where == 2:                              # as the network's name, the one free top-level value
            text = re.sub(r'"name": "[^"]*"', lambda m: f'"name": {inner}', base, count=1)
        else:
            at = base.index('"edges"' if where else '"nodes"')
            text = base[:at] + f'"deep": {inner}, ' + base[at:]
    elif kind == 1:
        text = base.replace(": 1,", ": " + "9" * rng.choice([19, 400, 4300, 4301, 20_000]) + ",", 1)
    elif kind == 2:
        text = base.replace("{", '{"version": 1, ', 1) if rng.random() < 0.5 else base.replace(
            '"params": {', '"params": {"x": 1, "x": 2, ', 1)
    elif kind == 3:
        text = "\ufeff" + base
    elif kind == 4:
        text = base[:rng.randrange(len(base))]
    elif kind == 5:
        at = rng.randrange(len(base))
        text = base[:at] + rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "\\ud800", "\x00", "'", "}", "\\"]) + \
            base[at:]
    elif kind == 6:
        text = rng.choice(["[]", "null", "1", '"x"', "true", "{}", "", " ", '{"format": "netwright.network"}',
                           '{"format": "netwright.network", "version": 1, "nodes": {}, "edges": []}'])
    elif kind == 7:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    else:
        text = base.replace('"id": "', '"id": "' + rng.choice(["\\ud800", "\\u0000", "\\u202e", "\\n", "x" * 300]), 1)
    return text.encode("utf-8", "surrogatepass")


def case(rng: random.Random) -> tuple[str, bytes]:
    """(campaign, the bytes of one hostile file)."""
    campaign = rng.choice(CAMPAIGNS)
    if campaign == "JSON text":
        return campaign, _text(rng)
    data = json.loads(json.dumps(rng.choice(_EXAMPLE_DATA)))
    for _ in range(rng.randint(1, 3)):
        _mutate(rng, data, campaign)
    try:
        text = json.dumps(data)                  # escapes lone surrogates as \ud800; writes NaN as NaN
    except (ValueError, RecursionError):
        text = "{}"
    return campaign, text.encode("utf-8")


def outcome(path: Path, as_json: bool = False) -> tuple[int, str, str]:
    """Run `check` in-process as `python main.py check` would: (exit status, stdout, stderr)."""
    from engine import cli
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", str(path)] + (["--json"] if as_json else []))
    return code, out.getvalue(), err.getvalue()


def problem(code: int, out: str, err: str, as_json: bool = False) -> str | None:
    """What is wrong with an outcome (a sentence), or None when it is one the spec allows."""
    text = out + err
    if "Traceback" in text or "internal error" in text:
        return "a traceback or an internal error"
    if code not in (0, 1, 2):
        return f"exit status {code}"
    if any(c in text for c in "\x1b\x00\x07\r\x08"):
        return "a control character from the file reached the terminal"
    if code == 2:
        lines = err.splitlines()
        if out or len(lines) != 1 or not lines[0].startswith("netwright: ") or len(lines[0]) < 20:
            return "exit 2 without exactly one line of reason on stderr"
        if len(lines[0]) > 1500:
            return f"a reason of {len(lines[0])} characters (a huge value quoted whole?)"
        return None
    if err:
        return f"stderr on exit {code}: {err[:200]}"
    if as_json:
        try:
            report = json.loads(out)
        except ValueError:
            return "--json did not print one JSON object"
        errors = [n["error"] for n in report["nodes"].values() if n["error"]]
        if (code == 1) != (not report["valid"]) or (code == 1 and report["nodes"] and not errors):
            return "exit status and report disagree"
    elif code == 1 and "error:" not in out and "no blocks" not in out:
        return "exit 1 without an error on a block"
    if max((len(line) for line in out.splitlines() if "error:" in line), default=0) > 2000:
        return "an error line of more than 2,000 characters"
    return None


def reason_kind(code: int, out: str, err: str) -> str:
    """A short label for counting outcomes: the exit status and the first words of the reason."""
    if code == 2:
        text = err.split(": ", 2)[-1] if ".json: " in err else err.split(": ", 1)[-1]
        text = re.sub(r"\([^)]*\)", "", re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text))
        text = re.sub(r"\d[\d,]*", "N", text)
        text = re.sub(r"(unknown type|version|network: '…' is|must be a whole number, not) .*", r"\1 …", text)
        return "exit 2: " + " ".join(text.split()[:7])
    if code == 1:
        return "exit 1: errors on blocks"
    return "exit 0: valid"
