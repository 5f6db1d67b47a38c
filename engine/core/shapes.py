"""Shape inference over the whole network: for every node its output shape, parameter count,
multiply-accumulates, the arithmetic as text, an error a beginner can act on, and warnings.

Pure arithmetic (no torch): microseconds per block. `ShapeCache` keeps the last results and
recomputes only the nodes whose parameters or inputs changed, so the app can run it on every edit.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .blocks import Fix, ShapeError, Tensor, fmt_shape, prod
from .blocks.checks import INT64_MAX, check_bounds, excerpt, type_problem
from .blocks.spec import FLOAT, INT, INT_OR_PAIR, PADDING

PLAIN_NUMBER_OK = {INT: (int,), INT_OR_PAIR: (int,), PADDING: (int,), FLOAT: (int, float)}
from . import sizes
from .graph import Network, id_warning

_stamps = itertools.count(1)


@dataclass(slots=True)
class ShapeResult:
    shape: tuple[int, ...] | None
    dtype: str = "float32"
    layout: str | None = None
    params: int | None = None
    macs: int = 0
    memory: int = 0                       # bytes of this block's output per sample
    _formula: Any = field(default="", repr=False, compare=False)    # the text, or the rule's lines (see `formula`)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    blocked: bool = False                 # no shape because an input has a problem (not its own fault)
    stamp: int = 0
    _tensor: Tensor | None = field(default=None, repr=False, compare=False)   # the block's output, kept

    @property
    def formula(self) -> str:
        """The arithmetic as text, one line per step. Built when first read (a tooltip, the inspector, `check`):
        a rule returns its lines as strings or as functions that make them (`BlockOut.formula`), so inferring a
        network formats none of the text nobody looks at."""
        f = self._formula
        if type(f) is not str:
            lines = f() if callable(f) else f
            f = self._formula = "\n".join([line if type(line) is str else line() for line in lines])
        return f

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def tensor(self) -> Tensor:
        t = self._tensor
        return t if t is not None else Tensor(self.shape, self.dtype, self.layout)

    def as_json(self, type_name: str) -> dict:
        return {"type": type_name, "shape": list(self.shape) if self.shape is not None else None,
                "params": self.params, "error": self.error, "warnings": list(self.warnings)}


def _error(message: str, fixes=(), blocked=False) -> ShapeResult:
    return ShapeResult(None, error=message, fixes=list(fixes), blocked=blocked, stamp=next(_stamps))


def _freeze(params: dict) -> tuple:
    """A snapshot of a node's parameters to compare with later (lists copied, so edits in place show).
    Each value comes with its type: 3 == 3.0 and 1 == True in Python, but a block may accept only one."""
    types = tuple(map(type, params.values()))
    if list in types or dict in types:
        return tuple([(k, type(v), _copy(v)) for k, v in params.items()])
    return tuple(params.items()), types          # plain values only: nothing to copy


def _copy(v):
    if type(v) is list:
        return tuple([(type(x), _copy(x)) for x in v])
    if type(v) is dict:
        return tuple([(k, type(x), _copy(x)) for k, x in v.items()])
    return v


def param_problem(node) -> ShapeResult | None:
    """Missing, unknown, mistyped or out-of-bounds parameters of one node, as an error result.
    Only the values the node sets are checked: the defaults are valid by construction."""
    spec = node.spec
    known = spec.param_map
    for name, value in node.params.items():
        p = known.get(name)
        if p is None:
            names = ", ".join(known) or "none"
            return _error(f"{spec.label} '{node.id}' has no parameter {excerpt(name)} (it takes: {names}).")
        if type(value) in PLAIN_NUMBER_OK.get(p.kind, ()):      # the common case, no sentence built
            if ((p.min is None or value >= p.min) and (p.max is None or value <= p.max)
                    and -INT64_MAX <= value <= INT64_MAX):
                continue          # (NaN, ±Infinity and numbers beyond 64 bits go on to check_bounds)
        elif value is None and p.default is None:
            continue
        else:
            why = type_problem(p, value, spec.spatial)
            if why:
                return _error(f"{spec.label} '{node.id}': {name} must be {why}, not {excerpt(value)}.")
        try:
            check_bounds(spec.label, node.id, p, value)
        except ShapeError as e:
            return _error(e.message, e.fixes)
    for name in spec.required_names:
        if name not in node.params:
            h = known[name].help
            return _error(f"{spec.label} '{node.id}' needs {name}: {h[:1].lower() + h[1:]}")
    return None


def checked_params(node) -> tuple[dict | None, ShapeResult | None]:
    """(the node's parameters with the defaults filled in, None), or (None, the error) when one is wrong."""
    spec = node.spec
    if node.params or spec.required_names:        # blocks without parameters have nothing to check
        bad = param_problem(node)
        if bad:
            return None, bad
    return spec.resolved(node.params), None


def infer_node(node, inputs: list[ShapeResult], input_ids: list[str]) -> ShapeResult:
    params, bad = checked_params(node)
    return bad or _apply(node, params, inputs, input_ids)


def _apply(node, params: dict, inputs: list[ShapeResult], input_ids: list[str]) -> ShapeResult:
    """The block's rule on its inputs, with parameters already checked and resolved."""
    spec = node.spec
    n = len(inputs)
    if n < spec.min_inputs:
        if n == 0:
            return _error(f"{spec.label} '{node.id}' has no input: connect a block's output to it.")
        return _error(f"{spec.label} '{node.id}' needs at least {spec.min_inputs} inputs but has {n}; "
                      "connect another branch to it.")
    if n > spec.max_inputs:
        if spec.max_inputs == 0:
            return _error(f"Input '{node.id}' is where data enters, so nothing can feed it, but "
                          f"'{input_ids[0]}' does; remove that link.")
        return _error(f"{spec.label} '{node.id}' takes {spec.max_inputs} input(s) but has {n}; "
                      "merge the branches with Add or Concat first.")
    tensors = []
    for src, r in zip(input_ids, inputs):
        if r.shape is None:
            return _error(f"{spec.label} '{node.id}' has no shape: its input is missing because '{src}' has "
                          "no shape; fix the problem there first.", blocked=True)
        if r.dtype == "int64" and not spec.accepts_int:
            return _error(f"{spec.label} '{node.id}' needs float values, but '{src}' gives token ids "
                          "(int64); put an Embedding in front to turn ids into vectors.",
                          [Fix("Insert Embedding", "insert_before", "Embedding",
                               {"num_embeddings": 256, "embedding_dim": 32})])
        tensors.append(r._tensor or r.tensor)
    try:
        out = spec.infer(node.id, tensors, params)
    except ShapeError as e:
        return _error(e.message, e.fixes)
    except (TypeError, ValueError, ZeroDivisionError, KeyError, IndexError, OverflowError) as e:
        return _error(f"{spec.label} '{node.id}': its parameters cannot be used ({excerpt(str(e), 120)[1:-1]}).")
    t = out.tensor
    shape = t.shape
    if shape and min(shape) < 1:
        return _error(f"{spec.label} '{node.id}': the output {fmt_shape(shape)} would be empty; an output size "
                      "below 1 means the input is too small for these settings.")
    size = prod(shape)
    if size > INT64_MAX or (out.params or 0) > INT64_MAX:
        what = "output" if size > INT64_MAX else "parameter count"
        return _error(f"{spec.label} '{node.id}': its {what} would hold more than {INT64_MAX:,} numbers, more than "
                      "PyTorch can count (its sizes are 64-bit); make the sizes smaller.")
    return ShapeResult(shape, t.dtype, t.layout, out.params, out.macs, size * (8 if t.dtype == "int64" else 4),
                       out.formula, None, out.warnings, out.fixes, False, next(_stamps), t)


def _with_warnings(r: ShapeResult, extra: list[str]) -> ShapeResult:
    return ShapeResult(r.shape, r.dtype, r.layout, r.params, r.macs, r.memory, r._formula, r.error,
                       r.warnings + extra, r.fixes, r.blocked, next(_stamps), r._tensor)


class ShapeCache:
    """Shape inference that remembers: nodes whose type, parameters, inputs and role did not change
    keep their previous result, so re-validating after one edit costs little more than a walk."""

    def __init__(self):
        self._memo: dict[str, tuple] = {}

    def infer(self, net: Network) -> dict[str, ShapeResult]:
        self._memo, results = _walk(net, self._memo)
        return results


def _walk(net: Network, memo: dict | None) -> tuple[dict | None, dict[str, ShapeResult]]:
    """Infer every node in topological order. With `memo` (node id -> (type, parameters, key, result, checked
    parameters) of the last walk), nodes whose type, parameters and key are unchanged keep their result, nodes
    whose parameters are unchanged skip checking them again, and the new memo is returned; with None, no keys
    are built at all (a one-off inference). Within one walk, a block of the same type, parameters and inputs as
    one already inferred (networks repeat their units) shares its result, when that result says nothing about
    the block itself (no error, warning or fix names it; a role's or an id's warning makes a copy)."""
    order = net.topological_order()
    sources = net.sources_by_node()
    sinks = set(net.sinks())
    output = next((nid for nid in reversed(order) if nid in sinks), None)     # as net.output_node()
    results: dict[str, ShapeResult] = {}
    new_memo = {} if memo is not None else None
    twins: dict[tuple, ShapeResult] = {}
    nodes, get = net.nodes, results.__getitem__
    for nid in order:
        node = nodes[nid]
        srcs = sources.get(nid, ())
        ins = list(map(get, srcs))
        role = 2 if nid == output else (1 if nid in sinks else 0)
        types = tuple(map(type, node.params.values()))
        if list in types or dict in types:
            frozen = _freeze(node.params)
        else:                                   # _freeze's plain case, without a call per block
            frozen = tuple(node.params.items()), types
        if len(ins) == 1:
            x = ins[0]
            carried = ((x.shape, x.dtype, x.layout),)
        else:
            carried = tuple([(x.shape, x.dtype, x.layout) for x in ins])
        r = params = None
        if memo is not None:
            # Inputs enter the key by what they carry, so a recomputed block whose output did not change
            # (a new dropout rate, an activation's slope) leaves everything after it cached.
            key = (carried, tuple(srcs), role, output if role == 1 else None)
            hit = memo.get(nid)
            if hit is not None and hit[0] == node.type and hit[1] == frozen:
                if hit[2] == key:
                    r = hit[3]
                else:
                    params = hit[4]           # checked last time, and still the same
        if r is None:
            twin_key = (node.type, frozen, carried)
            try:
                r = twins.get(twin_key)
            except TypeError:                 # a value no file holds (a set, say): nothing to share
                twin_key = None
            if r is None:
                bad = None
                if params is None:
                    params, bad = checked_params(node)
                r = bad or _apply(node, params, ins, srcs)
                if twin_key is not None and r.error is None and not r.warnings and not r.fixes:
                    twins[twin_key] = r
            if role and r.error is None:
                extra = _role_warnings(node, role, output)
                if extra:
                    r = _with_warnings(r, extra)
            if not nid.isprintable():         # (what id_warning checks, without a call per block)
                r = _with_warnings(r, [id_warning(nid)])
        if memo is not None:
            new_memo[nid] = (node.type, frozen, key, r, params)
        results[nid] = r
    if len(results) == len(nodes):          # no cycle: every node was reached
        in_order = results if net.in_file_order() else {nid: results[nid] for nid in nodes}
        return new_memo, _with_size_warnings(net, in_order)
    left = [nid for nid in net.nodes if nid not in results]    # on a cycle (only a file can hold one), or after it
    for nid in _on_cycles(left, sources):
        spec = net.nodes[nid].spec
        if nid in sources.get(nid, ()):
            results[nid] = _error(f"{spec.label} '{nid}' feeds itself: a block cannot take its own output as input; "
                                  "remove the link from it to itself.")
        else:
            results[nid] = _error(f"{spec.label} '{nid}' is part of a cycle: a block cannot (even indirectly) "
                                  "feed itself; remove one of the links in the loop.")
    waiting = set(left)
    for nid in left:
        if nid not in results:
            spec = net.nodes[nid].spec
            src = next(s for s in sources.get(nid, ()) if s in waiting)
            results[nid] = _error(f"{spec.label} '{nid}' has no shape: its input is missing because '{src}' has "
                                  "no shape; fix the problem there first.", blocked=True)
    return new_memo, _with_size_warnings(net, {nid: results[nid] for nid in net.nodes})


def _with_size_warnings(net: Network, results: dict[str, ShapeResult]) -> dict[str, ShapeResult]:
    """Above the sane limits (engine/core/sizes.py), warnings on the biggest blocks; not kept in the cache's memo,
    so they follow the whole network's size, which no single block's key holds."""
    params = memory = 0
    for r in results.values():
        if r.shape is not None:
            params += r.params or 0
            memory += r.memory
    if params <= sizes.PARAM_LIMIT and memory <= sizes.ACTIVATION_LIMIT:
        return results
    for nid, extra in sizes.size_warnings(net, sizes.estimate(net, results)).items():
        results[nid] = _with_warnings(results[nid], extra)
    return results


def _on_cycles(left: list[str], sources: dict[str, list[str]]) -> set[str]:
    """The nodes of `left` that lie on a cycle: strongly connected components of more than one node, or a
    node that feeds itself (Tarjan's algorithm without recursion, linear in the links)."""
    inside = set(left)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[str] = set()
    for root in left:
        if root in index:
            continue
        work = [(root, iter([s for s in sources.get(root, ()) if s in inside]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            nid, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter([s for s in sources.get(nxt, ()) if s in inside])))
                elif nxt in on_stack:
                    low[nid] = min(low[nid], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[nid])
            if low[nid] == index[nid]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == nid:
                        break
                if len(component) > 1 or nid in sources.get(nid, ()):
                    found.update(component)
    return found


def _role_warnings(node, role: int, output: str | None) -> list[str]:
    if role == 2:
        w = node.spec.output_warning
        return [w.format(id=node.id)] if w else []
    return [f"{node.spec.label} '{node.id}' leads nowhere: nothing uses its output, and the network's output is "
            f"'{output}'. Connect it or delete it."]


def infer_shapes(net: Network) -> dict[str, ShapeResult]:
    """Shapes of every node, in the network's node order (the public API's `engine.infer_shapes`)."""
    return _walk(net, None)[1]


def clear_caches() -> None:
    """Empty the small caches of per-axis arithmetic, parameter counts and shape text, as before a
    network's first inference (benchmarks use it to measure honestly)."""
    from .blocks import arith, conv
    from .blocks.spec import _fmt_tuple
    for cached in (arith.axis_out, arith.axis_formula, conv._params, _fmt_tuple):
        cached.cache_clear()


def summary(net: Network, results: dict[str, ShapeResult]) -> dict:
    """Totals of a network: parameters, MACs, activation memory per sample, errors and warnings."""
    ok = [r for r in results.values() if r.shape is not None]
    return {
        "valid": all(r.ok for r in results.values()) and len(results) > 0,
        "total_params": sum(r.params or 0 for r in results.values()),
        "total_macs": sum(r.macs for r in ok),
        "activation_bytes": sum(r.memory for r in ok),
        "errors": sum(1 for r in results.values() if not r.ok),
        "warnings": sum(len(r.warnings) for r in results.values()),
    }
