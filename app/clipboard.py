"""Cut, copy and paste of blocks: the selection as JSON on the system clipboard, pasted with fresh
ids, the same parameters, the links among the copied blocks, and an offset position."""
from __future__ import annotations

import copy
import json

from PySide6.QtCore import QMimeData

from engine import BLOCKS, GraphError
from engine.core.graph import free_id
from engine.core.serialization import NODE_KEYS

from .commands import AddBlocks
from .validation import checked_position, short

BLOCKS_MIME = "application/x-netwright-blocks"
FORMAT = "netwright.blocks"
OFFSET = (40.0, 40.0)


def copy_blocks(net, node_ids) -> dict:
    """The chosen blocks and the links among them, as plain data."""
    chosen = [n for n in net.nodes if n in set(node_ids)]
    nodes = []
    for nid in chosen:
        n = net.nodes[nid]
        nodes.append({"id": nid, "type": n.type, "params": copy.deepcopy(n.params),
                      "position": list(n.position) if n.position else None, "extra": copy.deepcopy(n.extra)})
    edges = [[e.source, e.target] for e in net.edges if e.source in chosen and e.target in chosen]
    return {"format": FORMAT, "nodes": nodes, "edges": edges}


def to_text(data: dict) -> str:
    """The copied blocks as JSON text. The clipboard gets plain text (setText), not a QMimeData made
    in Python: PySide6 frees such an object twice when the application exits (a segfault at quit)."""
    return json.dumps(data, indent=1)


def from_mime(mime: QMimeData | None) -> dict | None:
    """The copied blocks on the clipboard, or None when it holds something else. Never raises, whatever
    the clipboard holds: its text may come from anywhere."""
    if mime is None:
        return None
    try:
        if mime.hasFormat(BLOCKS_MIME):
            raw = bytes(mime.data(BLOCKS_MIME)).decode("utf-8", "replace")
        elif mime.hasText():
            raw = mime.text()
        else:
            return None
        if len(raw) > MAX_TEXT:
            return None
        data = json.loads(raw)
    except (ValueError, RecursionError):          # not JSON, numbers too long, nested too deeply
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


MAX_TEXT = 64 * 2 ** 20     # as much as a network file may hold


def paste_plan(net, data: dict, offset=OFFSET) -> tuple[list[dict], list[tuple[str, str]]]:
    """Nodes with fresh ids (kept when free) and shifted positions, and the links among them. Raises
    GraphError saying why when the clipboard's blocks are not usable as they are (the commands then
    check every value the way the loader does)."""
    raw_nodes, raw_edges = data.get("nodes"), data.get("edges", [])
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        raise GraphError("the clipboard's 'nodes' and 'edges' must be lists.")
    taken = set(net.nodes)
    rename: dict[str, str] = {}
    nodes = []
    for i, n in enumerate(raw_nodes, 1):
        if not isinstance(n, dict):
            raise GraphError(f"block {i} on the clipboard is {short(n)}, not a block.")
        old, typ = n.get("id"), n.get("type")
        if not isinstance(old, str) or not old:
            raise GraphError(f"block {i} on the clipboard has the id {short(old)}, not a name.")
        if old in rename:
            raise GraphError(f"two blocks on the clipboard have the id {short(old)}.")
        if not isinstance(typ, str) or typ not in BLOCKS:
            raise GraphError(f"block {short(old)} has the unknown type {short(typ)}.")
        pos = n.get("position")
        if pos is not None:
            x, y = checked_position(old, pos)
            pos = (x + offset[0], y + offset[1])
        extra = n.get("extra")
        if extra is not None and not isinstance(extra, dict):
            raise GraphError(f"block {short(old)}: its extra keys must be an object, not {short(extra)}.")
        new_id = old if old not in taken else free_id(old, taken)
        taken.add(new_id)
        rename[old] = new_id
        nodes.append({"id": new_id, "type": typ, "params": copy.deepcopy(n.get("params")), "position": pos,
                      "extra": {k: copy.deepcopy(v) for k, v in (extra or {}).items() if k not in NODE_KEYS}})
    edges = []
    for e in raw_edges:
        if not (isinstance(e, (list, tuple)) and len(e) == 2 and all(isinstance(x, str) and x in rename for x in e)):
            raise GraphError(f"the link {short(e)} on the clipboard does not join two of its blocks.")
        edges.append((rename[e[0]], rename[e[1]]))
    return nodes, edges


def paste_command(doc, data: dict, offset=OFFSET, verb: str = "paste"):
    """The undo command that adds the copies (AddBlocks); GraphError says why when they cannot be
    pasted as they are. Never any other exception, whatever the clipboard held."""
    try:
        nodes, edges = paste_plan(doc.network, data, offset)
        if not nodes:
            raise GraphError("the clipboard holds no blocks.")
        return AddBlocks(doc, nodes, edges, text=verb)
    except RecursionError:
        raise GraphError("the clipboard's blocks hold values nested too deeply.") from None


def positions(data: dict) -> list[tuple]:
    """The places of the copied blocks that are places (two finite numbers)."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    out = []
    for n in nodes if isinstance(nodes, list) else []:
        try:
            out.append(checked_position("", n.get("position")) if isinstance(n, dict) else None)
        except GraphError:
            pass
    return [p for p in out if p is not None]
