"""Automatic placement of blocks on the canvas: layers from top to bottom, pure Python (no Qt).

`layered_layout(net)` gives every node a position: its layer is the longest path from the
network's sources (so each block sits below all of its inputs), links that skip layers get
placeholder slots so they run beside the blocks they skip instead of under them, and a few
barycenter sweeps reorder each layer to reduce crossings. Positions are block centres.

`missing_positions(net)` places only the nodes whose `position` is None, next to the blocks
they are linked to, without moving anything the user placed.
"""
from __future__ import annotations

from .graph import Network

LAYER_GAP = 110.0   # vertical distance between layers
BLOCK_GAP = 220.0   # horizontal distance between neighbours in a layer
SWEEPS = 4


def _layers(net: Network) -> dict[str, int]:
    order = net.topological_order()
    placed = set(order)
    order = order + [nid for nid in net.nodes if nid not in placed]   # nodes on a cycle go last
    preds: dict[str, list[str]] = {nid: [] for nid in net.nodes}
    succs: dict[str, list[str]] = {nid: [] for nid in net.nodes}
    for e in net.edges:
        preds[e.target].append(e.source)
        succs[e.source].append(e.target)
    layer: dict[str, int] = {}
    for nid in order:
        known = [layer[p] for p in preds[nid] if p in layer]
        layer[nid] = max(known) + 1 if known else 0
    # A source that is not an Input (a block left unconnected above) sits just above its first consumer.
    for nid in reversed(order):
        if not preds[nid] and net.nodes[nid].type != "Input" and succs[nid]:
            below = [layer[s] for s in succs[nid] if layer[s] > 0]
            if below:
                layer[nid] = min(below) - 1
    return layer


def _with_dummies(net: Network, layer: dict[str, int]):
    """Split links that span several layers into unit steps through placeholder nodes."""
    up: dict[object, list[object]] = {nid: [] for nid in layer}
    down: dict[object, list[object]] = {nid: [] for nid in layer}
    full = dict(layer)
    for i, e in enumerate(net.edges):
        a, b = e.source, e.target
        if layer[b] <= layer[a]:       # a link back up (only in a cyclic file): no slot
            continue
        prev = a
        for k in range(layer[a] + 1, layer[b]):
            d = ("dummy", i, k)
            full[d] = k
            up[d], down[d] = [], []
            down[prev].append(d)
            up[d].append(prev)
            prev = d
        down[prev].append(b)
        up[b].append(prev)
    return full, up, down


def _crossings(rows: list[list], down: dict) -> int:
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        pos = {n: i for i, n in enumerate(lower)}
        ends = [pos[t] for n in upper for t in down[n] if t in pos]
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                if ends[j] < ends[i]:
                    total += 1
    return total


def _order(full: dict, up: dict, down: dict, first_seen: dict) -> list[list]:
    depth = max(full.values(), default=-1) + 1
    rows: list[list] = [[] for _ in range(depth)]
    for n in sorted(full, key=lambda n: first_seen.get(n, (full[n], 0))):
        rows[full[n]].append(n)
    best, best_cost = [list(r) for r in rows], _crossings(rows, down)
    for sweep in range(SWEEPS):
        going_down = sweep % 2 == 0
        indices = range(1, depth) if going_down else range(depth - 2, -1, -1)
        for k in indices:
            ref = rows[k - 1] if going_down else rows[k + 1]
            pos = {n: i for i, n in enumerate(ref)}
            links = up if going_down else down
            here = rows[k]
            keys = {}
            for i, n in enumerate(here):
                near = [pos[m] for m in links[n] if m in pos]
                keys[n] = sum(near) / len(near) if near else i
            rows[k] = sorted(here, key=lambda n: keys[n])
        cost = _crossings(rows, down)
        if cost < best_cost:
            best, best_cost = [list(r) for r in rows], cost
    return best


def _coordinates(rows: list[list], up: dict) -> dict:
    x: dict = {}
    for row in rows:
        wanted = []
        for i, n in enumerate(row):
            near = [x[m] for m in up[n] if m in x]
            wanted.append(sum(near) / len(near) if near else (i - (len(row) - 1) / 2) * BLOCK_GAP)
        placed = []
        for w in wanted:
            placed.append(w if not placed else max(w, placed[-1] + BLOCK_GAP))
        shift = sum(w - p for w, p in zip(wanted, placed)) / len(placed) if placed else 0.0
        for n, p in zip(row, placed):
            x[n] = p + shift
    return x


def layered_layout(net: Network) -> dict[str, tuple[float, float]]:
    """A position (block centre) for every node: layers top to bottom, crossings reduced."""
    if not net.nodes:
        return {}
    layer = _layers(net)
    full, up, down = _with_dummies(net, layer)
    first_seen = {nid: (layer[nid], i) for i, nid in enumerate(net.nodes)}
    for n in full:
        if n not in first_seen:      # a placeholder sorts after the block its link comes from
            first_seen[n] = (full[n], len(net.nodes) + n[1])
    rows = _order(full, up, down, first_seen)
    x = _coordinates(rows, up)
    return {nid: (round(x[nid], 1), layer[nid] * LAYER_GAP) for nid in net.nodes}


def _crowded(p: tuple[float, float], taken: list[tuple[float, float]]) -> bool:
    return any(abs(p[0] - q[0]) < BLOCK_GAP * 0.9 and abs(p[1] - q[1]) < LAYER_GAP * 0.9 for q in taken)


def place_near(net: Network, node_id: str, taken: dict[str, tuple[float, float]],
               fallback: tuple[float, float] | None = None) -> tuple[float, float]:
    """A free spot for one node: below its placed inputs, else above its placed outputs, else at
    `fallback` (default: below the lowest placed block), moved right until it overlaps nothing."""
    ins = [taken[s] for s in net.inputs_of(node_id) if s in taken]
    outs = [taken[t] for t in net.outputs_of(node_id) if t in taken]
    if ins:
        p = (sum(q[0] for q in ins) / len(ins), max(q[1] for q in ins) + LAYER_GAP)
    elif outs:
        p = (sum(q[0] for q in outs) / len(outs), min(q[1] for q in outs) - LAYER_GAP)
    elif fallback is not None:
        p = fallback
    elif taken:
        low = max(taken.values(), key=lambda q: (q[1], -q[0]))
        p = (low[0], low[1] + LAYER_GAP)
    else:
        p = (0.0, 0.0)
    others = [q for nid, q in taken.items() if nid != node_id]
    while _crowded(p, others):
        p = (p[0] + BLOCK_GAP, p[1])
    return p


def missing_positions(net: Network) -> dict[str, tuple[float, float]]:
    """Positions for the nodes that have none, leaving placed nodes where they are."""
    missing = {nid for nid, n in net.nodes.items() if n.position is None}
    if not missing:
        return {}
    if len(missing) == len(net.nodes):
        return layered_layout(net)
    auto = layered_layout(net)
    taken = {nid: tuple(n.position) for nid, n in net.nodes.items() if n.position is not None}
    shift = max(p[0] for p in taken.values()) + BLOCK_GAP * 1.5 - min(p[0] for p in auto.values())
    order = net.topological_order()
    placed = set(order)
    order = order + [nid for nid in net.nodes if nid not in placed]
    out: dict[str, tuple[float, float]] = {}
    for nid in order:
        if nid in missing:
            taken[nid] = out[nid] = place_near(net, nid, taken, (shift + auto[nid][0], auto[nid][1]))
    return out
