"""Automatic placement of blocks on the canvas: layers from left to right ("lr", the app's default:
chains are long and screens are wide) or from top to bottom ("tb"), pure Python (no Qt).

`layered_layout(net, direction)` gives every node a position: its layer is the longest path from
the network's sources (so each block sits after all of its inputs), links that skip layers get
placeholder slots so they run beside the blocks they skip instead of under them, and a few
barycenter sweeps reorder each layer to reduce crossings. Positions are block centres.

`missing_positions(net, direction)` places only the nodes whose `position` is None, next to the
blocks they are linked to, without moving anything the user placed. `place_near` and `after`
find one free spot (after a block, in the layout direction). A long network laid out left to right
can be wrapped (`wrap`: layers per band, bands below one another, as lines of text) so that it fits
a wide view at a readable size; `best_wrap` picks the band length for a view.
"""
from __future__ import annotations

from .graph import Network

LAYER_GAP = 110.0   # top to bottom: vertical distance between layers
BLOCK_GAP = 220.0   # top to bottom: horizontal distance between neighbours in a layer
LR_LAYER_GAP = 216.0    # left to right: horizontal distance between layers (a card is 176 wide)
LR_BLOCK_GAP = 100.0    # left to right: vertical distance between neighbours in a layer (a card is 68 high)
DIRECTIONS = ("lr", "tb")
BAND_GAP = 120.0        # wrapped left to right: extra space between bands, for the links from one to the next
CARD_W, CARD_H = 176.0, 68.0     # the canvas's card size (the widgets' style repeats it)
READABLE = 0.5          # a fit below this zoom is worth wrapping
SWEEPS = 4


def gaps(direction: str = "tb") -> tuple[float, float]:
    """(distance between layers, distance between neighbours in a layer) for a direction."""
    return (LR_LAYER_GAP, LR_BLOCK_GAP) if direction == "lr" else (LAYER_GAP, BLOCK_GAP)


def _xy(direction: str, along: float, across: float) -> tuple[float, float]:
    """A point from its coordinate along the flow (layers) and across it."""
    return (along, across) if direction == "lr" else (across, along)


def _split(direction: str, p) -> tuple[float, float]:
    """(along, across) of a point: the inverse of `_xy`."""
    return (p[0], p[1]) if direction == "lr" else (p[1], p[0])


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
        if not preds[nid] and not net.nodes[nid].spec.source and succs[nid]:
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


def _coordinates(rows: list[list], up: dict, gap: float = BLOCK_GAP) -> dict:
    x: dict = {}
    for row in rows:
        wanted = []
        for i, n in enumerate(row):
            near = [x[m] for m in up[n] if m in x]
            wanted.append(sum(near) / len(near) if near else (i - (len(row) - 1) / 2) * gap)
        placed = []
        for w in wanted:
            placed.append(w if not placed else max(w, placed[-1] + gap))
        shift = sum(w - p for w, p in zip(wanted, placed)) / len(placed) if placed else 0.0
        for n, p in zip(row, placed):
            x[n] = p + shift
    return x


def layered_layout(net: Network, direction: str = "tb", wrap: int | None = None) -> dict[str, tuple[float, float]]:
    """A position (block centre) for every node: layers left to right ("lr") or top to bottom ("tb"),
    crossings reduced; left to right with `wrap`, every `wrap` layers start a new band below."""
    if not net.nodes:
        return {}
    layer = _layers(net)
    full, up, down = _with_dummies(net, layer)
    first_seen = {nid: (layer[nid], i) for i, nid in enumerate(net.nodes)}
    for n in full:
        if n not in first_seen:      # a placeholder sorts after the block its link comes from
            first_seen[n] = (full[n], len(net.nodes) + n[1])
    rows = _order(full, up, down, first_seen)
    layer_gap, block_gap = gaps(direction)
    x = _coordinates(rows, up, block_gap)
    return _place(net, direction, wrap, layer, x)


def _place(net: Network, direction: str, wrap: int | None, layer: dict, x: dict) -> dict[str, tuple[float, float]]:
    layer_gap, block_gap = gaps(direction)
    if wrap and direction == "lr" and max(layer.values()) >= wrap:
        low = min(x[nid] for nid in net.nodes)
        band = max(x[nid] for nid in net.nodes) - low + block_gap + BAND_GAP
        return {nid: ((layer[nid] % wrap) * layer_gap, round(x[nid] - low + (layer[nid] // wrap) * band, 1))
                for nid in net.nodes}
    return {nid: _xy(direction, layer[nid] * layer_gap, round(x[nid], 1)) for nid in net.nodes}


def _fit(pos: dict, view_w: float, view_h: float) -> float:
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    w, h = max(xs) - min(xs) + CARD_W + 80, max(ys) - min(ys) + CARD_H + 80
    return min(1.0, view_w / w, view_h / h)


def best_wrap(net: Network, view_w: float, view_h: float) -> int | None:
    """Layers per band for a left-to-right layout that a view of view_w × view_h pixels shows largest,
    or None when one band already reads well (or wrapping does not help)."""
    if not net.nodes or view_w <= 0 or view_h <= 0:
        return None
    layer = _layers(net)
    full, up, down = _with_dummies(net, layer)
    first_seen = {nid: (layer[nid], i) for i, nid in enumerate(net.nodes)}
    for n in full:
        if n not in first_seen:
            first_seen[n] = (full[n], len(net.nodes) + n[1])
    x = _coordinates(_order(full, up, down, first_seen), up, LR_BLOCK_GAP)
    best, best_zoom = None, _fit(_place(net, "lr", None, layer, x), view_w, view_h)
    if best_zoom >= READABLE:
        return None
    depth = max(layer.values()) + 1
    for k in range(3, depth):
        zoom = _fit(_place(net, "lr", k, layer, x), view_w, view_h)
        if zoom > best_zoom * 1.15:
            best, best_zoom = k, zoom
    return best


def crowded(p, taken, direction: str = "tb") -> bool:
    """Whether a card centred at p would overlap (or nearly touch) one centred at a point of `taken`."""
    layer_gap, block_gap = gaps(direction)
    a0, c0 = _split(direction, p)
    for q in taken:
        a1, c1 = _split(direction, q)
        if abs(a0 - a1) < layer_gap * 0.9 and abs(c0 - c1) < block_gap * 0.9:
            return True
    return False


def free_spot(p, taken, direction: str = "tb") -> tuple[float, float]:
    """p, or the nearest spot across the flow (right of it top to bottom, below it left to right) where
    a card overlaps none of `taken`."""
    _, block_gap = gaps(direction)
    taken = list(taken)
    along, across = _split(direction, p)
    for _ in range(10_000):
        if not crowded(_xy(direction, along, across), taken, direction):
            break
        across += block_gap
    return _xy(direction, along, across)


def after(p, direction: str = "tb") -> tuple[float, float]:
    """The spot one layer after p in the layout direction."""
    along, across = _split(direction, p)
    return _xy(direction, along + gaps(direction)[0], across)


def place_near(net: Network, node_id: str, taken: dict[str, tuple[float, float]],
               fallback: tuple[float, float] | None = None, direction: str = "tb") -> tuple[float, float]:
    """A free spot for one node: one layer after its placed inputs, else one layer before its placed
    outputs, else at `fallback` (default: after the last placed block), moved across the flow until
    it overlaps nothing."""
    layer_gap, _ = gaps(direction)
    ins = [_split(direction, taken[s]) for s in net.inputs_of(node_id) if s in taken]
    outs = [_split(direction, taken[t]) for t in net.outputs_of(node_id) if t in taken]
    if ins:
        p = _xy(direction, max(q[0] for q in ins) + layer_gap, sum(q[1] for q in ins) / len(ins))
    elif outs:
        p = _xy(direction, min(q[0] for q in outs) - layer_gap, sum(q[1] for q in outs) / len(outs))
    elif fallback is not None:
        p = fallback
    elif taken:
        last = max((_split(direction, q) for q in taken.values()), key=lambda q: (q[0], -q[1]))
        p = _xy(direction, last[0] + layer_gap, last[1])
    else:
        p = (0.0, 0.0)
    others = [q for nid, q in taken.items() if nid != node_id]
    return free_spot(p, others, direction)


def missing_positions(net: Network, direction: str = "tb") -> dict[str, tuple[float, float]]:
    """Positions for the nodes that have none, leaving placed nodes where they are."""
    missing = {nid for nid, n in net.nodes.items() if n.position is None}
    if not missing:
        return {}
    if len(missing) == len(net.nodes):
        return layered_layout(net, direction)
    auto = layered_layout(net, direction)
    taken = {nid: tuple(n.position) for nid, n in net.nodes.items() if n.position is not None}
    _, block_gap = gaps(direction)
    across_max = max(_split(direction, p)[1] for p in taken.values())
    shift = across_max + block_gap * 1.5 - min(_split(direction, p)[1] for p in auto.values())
    order = net.topological_order()
    placed = set(order)
    order = order + [nid for nid in net.nodes if nid not in placed]
    out: dict[str, tuple[float, float]] = {}
    for nid in order:
        if nid in missing:
            along, across = _split(direction, auto[nid])
            fallback = _xy(direction, along, shift + across)
            taken[nid] = out[nid] = place_near(net, nid, taken, fallback, direction)
    return out
