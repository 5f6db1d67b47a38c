"""Network → one readable Python file that needs only torch (`python main.py export`).

The file holds `class Net(nn.Module)`, built with no arguments, whose attributes are named like the
app's model (engine/runtime/build.py), so a checkpoint of `engine.build_model(net)` loads into it directly.
Each block's constructor line is its spec's `Module` description written out (`Module.code()`, the same
description engine/runtime/build.py makes); the few helper modules torch.nn lacks
(Reshape, Permute, Add, Concat, Recurrent) are copied from engine/runtime/modules.py into the file.
"""
from __future__ import annotations

import ast
import builtins
import keyword
from functools import lru_cache
from pathlib import Path

from .blocks import fmt_shape
from .graph import Network
from .names import attribute_name
from .ready import not_ready
from .shapes import infer_shapes

MODULES_SOURCE = Path(__file__).resolve().parents[1] / "runtime" / "modules.py"


class ExportError(ValueError):
    """The network cannot be exported (it has errors or no output); the message says why."""


def helper_sources(names) -> list[str]:
    """The source of the named classes of engine/runtime/modules.py, read without importing torch."""
    classes = _module_classes()
    return [classes[n] for n in names]


@lru_cache(maxsize=1)
def _module_classes() -> dict[str, str]:
    text = MODULES_SOURCE.read_text(encoding="utf-8")
    return {n.name: ast.get_source_segment(text, n) for n in ast.parse(text).body if isinstance(n, ast.ClassDef)}


def attribute_names(net: Network) -> dict[str, str]:
    """Node id → attribute name, exactly as NetwrightModel names its blocks."""
    taken: set[str] = set()
    return {nid: attribute_name(nid, taken) for nid in net.nodes}


# Names the exported file itself defines or uses at module level (besides the helper classes).
FILE_NAMES = ("torch", "nn", "F", "Path", "Net", "NAME", "DESCRIPTION", "SOURCE", "WEIGHTS", "load_trained",
              "model", "y")


def variable_names(attr: dict[str, str]) -> dict[str, str]:
    """Node id → the local variable of its tensor in `forward`: the attribute name, unless that is `self`,
    a keyword, a builtin or a name the file uses, which get a suffix that no other variable has."""
    forbidden = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | {"self"}
                 | set(FILE_NAMES) | set(_module_classes()))
    used = {a for a in attr.values() if a not in forbidden}
    names = {}
    for nid, a in attr.items():
        if a in forbidden:
            base = candidate = a + "_"
            i = 2
            while candidate in used or candidate in forbidden:
                candidate, i = f"{base}{i}", i + 1
            used.add(candidate)
            a = candidate
        names[nid] = a
    return names


def literal(value) -> str:
    """A Python literal for text from a file: quoted and escaped, so it can never become code."""
    return repr(str(value))


def export_code(net: Network, weights: str | None = None, source: str | None = None) -> str:
    """Python source of the network as `class Net(nn.Module)`. `weights`: a file holding the state_dict
    (see `save_weights`), relative to the exported file's folder, that `load_trained()` and `__main__` load.

    Text from the file (name, description, ids, file names) appears only as string literals; the
    attribute and variable names are identifiers made from the ids (see names.attribute_name). The
    result is compiled (never run) before it is returned: ExportCodeError if that fails."""
    results = infer_shapes(net)
    problem = not_ready(net, results, "exported")
    if problem:
        raise ExportError(problem)
    attr = attribute_names(net)
    var = variable_names(attr)
    init, helpers, total = _constructors(net, results, attr)
    code = "\n".join(_header(net, results, var, total, weights, source)
                     + [line for src in helper_sources(helpers) for line in ("", src, "")]
                     + ["", "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()", *init,
                        "", f"    def forward(self, {', '.join(var[i] for i in net.input_nodes())}):",
                        *_forward(net, attr, var), ""]
                     + _loader(weights) + _main(net, results, var, weights))
    check_compiles(code)
    return code


def _blocks(net: Network) -> list[str]:
    """The blocks the exported Net holds, in order: every block but the sources (Inputs)."""
    return [nid for nid in net.topological_order() if not net.nodes[nid].spec.source]


def _constructors(net: Network, results: dict, attr: dict) -> tuple[list[str], list[str], int]:
    """`self.<attr> = <module>  # → shape, params` per block; the helper classes they use; the parameters."""
    needed = net.ancestors(net.output_node())
    init, helpers, total = [], [], 0
    for nid in _blocks(net):
        node, r = net.nodes[nid], results[nid]
        module = node.spec.module_for([results[s].tensor for s in net.inputs_of(nid)], node.params)
        if module.helper and module.helper not in helpers:
            helpers.append(module.helper)
        total += r.params or 0
        note = f"# → {fmt_shape(r.shape)}" + (f", {r.params:,} params" if r.params else "")
        if nid not in needed:
            note += " (not used by the output)"
        init.append(f"        self.{attr[nid]} = {module.code()}  {note}")
    return init, helpers, total


def _forward(net: Network, attr: dict, var: dict) -> list[str]:
    needed = net.ancestors(net.output_node())
    lines = [f"        {var[nid]} = self.{attr[nid]}({', '.join(var[s] for s in net.inputs_of(nid))})"
             for nid in _blocks(net) if nid in needed]
    return lines + [f"        return {var[net.output_node()]}"]


def _header(net: Network, results: dict, var: dict, total: int, weights, source) -> list[str]:
    """The docstring, the imports and the file's literals: NAME, DESCRIPTION, SOURCE."""
    shapes_in = ", ".join(f"{var[i]} {list(results[i].shape)}" + (" int64" if results[i].dtype == "int64" else "")
                          for i in net.input_nodes())
    out = ['"""A network exported from Netwright (its name is NAME below). Needs only PyTorch.', "",
           f"Input: {shapes_in} per sample; output: {list(results[net.output_node()].shape)}; "
           f"{total:,} trainable parameters.",
           "Shapes are per sample; the batch axis comes first. Running this file does one forward pass.",
           '"""']
    out += (["from pathlib import Path", ""] if weights is not None else []) + ["import torch", "from torch import nn", ""]
    out += [f"NAME = {literal(net.name or 'Untitled')}"]
    description = net.extra.get("description")
    if isinstance(description, str) and description:
        out += [f"DESCRIPTION = {literal(description)}"]
    if source:
        out += [f"SOURCE = {literal(source)}   # the network file this was exported from"]
    return out + [""]


def _loader(weights: str | None) -> list[str]:
    if weights is None:
        return []
    return ["", f"WEIGHTS = Path(__file__).resolve().parent / {literal(weights)}   # the trained state_dict", "", "",
            "def load_trained(path=WEIGHTS) -> Net:",
            '    """A Net with the trained weights."""',
            "    model = Net()",
            '    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))',
            "    return model", ""]


def _main(net: Network, results: dict, var: dict, weights: str | None) -> list[str]:
    """`__main__`: one forward pass on random inputs (token ids within the smallest vocabulary)."""
    vocab = min([n.spec.resolved(n.params)[n.spec.vocabulary] for n in net.nodes.values()
                 if n.spec.vocabulary] or [2])
    samples = []
    for i in net.input_nodes():
        shape = ", ".join(str(s) for s in (2, *results[i].shape))
        samples.append(f"torch.randint(0, {vocab}, ({shape}))" if results[i].dtype == "int64"
                       else f"torch.randn({shape})")
    make = "load_trained()" if weights is not None else "Net()"
    return ["", 'if __name__ == "__main__":',
            f"    model = {make}.eval()",
            "    with torch.no_grad():",
            f"        y = model({', '.join(samples)})",
            '    print("output shape:", tuple(y.shape))', ""]


class ExportCodeError(ExportError):
    """The generated code does not compile: a bug of the exporter, never written to disk."""


def check_compiles(code: str) -> None:
    """Compile the generated text (this runs none of it); ExportCodeError with Python's reason if it fails."""
    try:
        compile(code, "<exported>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        where = f" (line {e.lineno}: {e.msg})" if isinstance(e, SyntaxError) else f" ({e})"
        raise ExportCodeError(f"The generated code does not compile{where}, so nothing was written. This is a bug "
                              "in Netwright's exporter: please report it with the network file.") from None
