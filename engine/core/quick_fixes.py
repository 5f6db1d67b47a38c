"""Quick fixes that fix: a fix is offered only if, applied to a copy of the network, it removes the
block's error without creating an error anywhere else (downstream blocks that were blocked by the
error are checked too). The candidates are the block's own suggestions (engine/core/blocks) and changes
of its whole-number size parameters (kernel, padding, stride, dilation, output sizes) found by trying
values on the copy; the best few are offered: fewest errors left, then the smallest change.

With one ShapeCache for the trials, each costs a walk that recomputes only the changed block and
those below it.
"""
from __future__ import annotations

import copy

from .blocks.spec import INT, INT_OR_PAIR, PADDING, Fix
from .graph import Network
from .shapes import ShapeCache, infer_shapes

MAX_FIXES = 3
SIZE_KINDS = (INT, INT_OR_PAIR, PADDING)
TRIED_PARAMS = ("kernel_size", "padding", "stride", "dilation", "output_size", "out_channels", "out_features",
                "hidden_size")
MAX_TRIALS = 400


def errors_of(results: dict) -> set[str]:
    return {nid for nid, r in results.items() if r.error and not r.blocked}


def apply(net: Network, node_id: str, fix: Fix) -> Network:
    """A copy of `net` with `fix` applied to `node_id` (or the block it targets), as app/commands.py
    applies it to the document."""
    node_id = fix.target or node_id
    trial = net.copy()
    trial.nodes = {k: copy.copy(v) for k, v in trial.nodes.items()}
    node = trial.nodes[node_id]
    if fix.kind == "set_params":
        node.params = {**node.params, **copy.deepcopy(fix.params)}
    elif fix.kind == "insert_before":
        inputs = trial.inputs_of(node_id)
        new_id = trial.unique_id(fix.block)
        trial.add_node(fix.block, copy.deepcopy(fix.params), new_id)
        if inputs:
            index = trial.edges.index(next(e for e in trial.edges if e.source == inputs[0] and e.target == node_id))
            trial.disconnect(inputs[0], node_id)
            trial.connect(inputs[0], new_id, check=False)
            trial.connect(new_id, node_id, index=index, check=False)
        else:
            trial.connect(new_id, node_id, check=False)
    else:
        raise ValueError(f"Unknown quick fix kind {fix.kind!r}.")
    return trial


def _values(current, low: int, high: int, sizes: list[int]) -> list[int]:
    """Whole numbers worth trying for a size parameter now at `current`."""
    base = current if isinstance(current, int) and not isinstance(current, bool) else \
        (current[0] if isinstance(current, list) and current and isinstance(current[0], int) else 1)
    out = set(range(max(low, base - 8), min(high, base + 8) + 1)) | {low, 1, 2, 3, 5} | set(sizes)
    out |= {max(low, base // 2), base * 2, max(low, base // 4)} | {max(low, s - 1) for s in sizes}
    out |= {max(low, (s - base) // 2 + 1) for s in sizes} | {max(low, (base - s) // 2 + 1) for s in sizes}
    return sorted(v for v in out if low <= v <= high and v != base)


def _param_candidates(net: Network, node_id: str, results: dict, target: str | None = None) -> list[Fix]:
    node = net.nodes[node_id]
    where = f" of '{node_id}'" if target else ""
    sizes = []
    for src in net.inputs_of(node_id):
        shape = results.get(src).shape if results.get(src) is not None else None
        sizes += [int(s) for s in (shape or ())]
    fixes = []
    for param in node.spec.params:
        if param.kind not in SIZE_KINDS or param.name not in TRIED_PARAMS:
            continue
        current = node.params.get(param.name, param.default)
        if isinstance(current, str):
            current = 0
        low = int(param.min) if param.min is not None else 0
        high = int(param.max) if param.max is not None else 4096
        for v in _values(current, low, min(high, 4096), sizes):
            fixes.append(Fix(f"Set {param.name}{where} to {v}", "set_params", params={param.name: v}, target=target))
    return fixes


def _above(net: Network, node_id: str, depth: int = 4) -> list[str]:
    """The blocks above `node_id` through single inputs (where a size that does not fit often comes from)."""
    out, seen = [], node_id
    for _ in range(depth):
        srcs = net.inputs_of(seen)
        if len(srcs) != 1 or not net.inputs_of(srcs[0]):      # several inputs, or the Input itself
            break
        seen = srcs[0]
        out.append(seen)
    return out


def _distance(net: Network, node_id: str, fix: Fix) -> float:
    """How far a fix moves the network from what the person wrote (0 for an insertion)."""
    if fix.kind != "set_params":
        return 0.5
    node, d = net.nodes[fix.target or node_id], 0.0
    for name, new in fix.params.items():
        old = node.params.get(name, next((p.default for p in node.spec.params if p.name == name), None))
        a = old[0] if isinstance(old, list) and old else old
        b = new[0] if isinstance(new, list) and new else new
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            d += abs(b - a) / max(abs(a), 1)
        else:
            d += 1.0
    return d


def verified_fixes(net: Network, node_id: str, results: dict | None = None, cache: ShapeCache | None = None,
                   limit: int = MAX_FIXES) -> list[Fix]:
    """The fixes for `node_id`'s error that, tried on a copy, remove it and create no other error; best first."""
    results = results if results is not None else infer_shapes(net)
    r = results.get(node_id)
    if r is None or not r.error or r.blocked:
        return []
    before = errors_of(results)
    cache = cache or ShapeCache()
    own = list(r.fixes)
    good = _trials(net, node_id, own + [f for f in _param_candidates(net, node_id, results) if f not in own],
                   before, cache, own)
    if not good:                      # the size that does not fit may come from a block above
        for above in _above(net, node_id):
            good += _trials(net, node_id, _param_candidates(net, above, results, target=above), before, cache, own,
                            penalty=1)
    good.sort(key=lambda g: g[:3])
    out, changed = [], set()
    for *_, fix in good:          # the best change of each parameter: a choice, not three near-equal kernels
        what = (fix.target, fix.kind, fix.block, tuple(sorted(fix.params)))
        if what not in changed:
            changed.add(what)
            out.append(fix)
    return out[:limit]


def _trials(net, node_id, candidates, before, cache, own, penalty=0) -> list[tuple]:
    good = []
    for fix in candidates[:MAX_TRIALS]:
        try:
            after = errors_of(cache.infer(apply(net, node_id, fix)))
        except Exception:  # noqa: BLE001 - a candidate that cannot even be applied is not offered
            continue
        if node_id in after or not after <= before:
            continue
        good.append((len(after), penalty + (fix not in own), _distance(net, node_id, fix), fix))
    return good


def verified_fix_map(net: Network, results: dict) -> dict[str, list[Fix]]:
    """Every erroring block's verified fixes (one cache shared by all trials)."""
    cache = ShapeCache()
    return {nid: verified_fixes(net, nid, results, cache) for nid in sorted(errors_of(results))}


def safe_warning_fixes(net: Network, results: dict) -> dict[str, list[Fix]]:
    """The fixes offered with warnings (e.g. padding that keeps the size) that create no error."""
    cache, before, out = ShapeCache(), errors_of(results), {}
    for nid, r in results.items():
        if r.error or not r.warnings or not r.fixes:
            continue
        ok = []
        for fix in r.fixes:
            try:
                if errors_of(cache.infer(apply(net, nid, fix))) <= before:
                    ok.append(fix)
            except Exception:  # noqa: BLE001
                continue
        out[nid] = ok
    return out
