"""Cut, copy and paste of blocks: the selection as JSON on the system clipboard, pasted with fresh
ids, the same parameters, the links among the copied blocks, and an offset position."""
from __future__ import annotations

import copy
import json
import re

from PySide6.QtCore import QMimeData

from engine import BLOCKS

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
    """The copied blocks on the clipboard, or None when it holds something else."""
    if mime is None:
        return None
    if mime.hasFormat(BLOCKS_MIME):
        raw = bytes(mime.data(BLOCKS_MIME)).decode("utf-8", "replace")
    elif mime.hasText():
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("nodes"), list):
        return None
    return data


def paste_plan(net, data: dict, offset=OFFSET) -> tuple[list[dict], list[tuple[str, str]]]:
    """Nodes with fresh ids (kept when free) and shifted positions, and the links among them."""
    taken = set(net.nodes)
    rename: dict[str, str] = {}
    nodes = []
    for n in data.get("nodes", []):
        if not isinstance(n, dict) or n.get("type") not in BLOCKS or not isinstance(n.get("id"), str):
            continue
        new_id = _fresh_id(n["id"], taken)
        taken.add(new_id)
        rename[n["id"]] = new_id
        pos = n.get("position")
        if isinstance(pos, (list, tuple)) and len(pos) == 2:
            pos = (float(pos[0]) + offset[0], float(pos[1]) + offset[1])
        else:
            pos = None
        nodes.append({"id": new_id, "type": n["type"], "params": copy.deepcopy(n.get("params") or {}),
                      "position": pos, "extra": copy.deepcopy(n.get("extra") or {})})
    edges = [(rename[s], rename[t]) for s, t in data.get("edges", []) if s in rename and t in rename]
    return nodes, edges


def _fresh_id(old: str, taken: set) -> str:
    if old not in taken:
        return old
    stem = re.sub(r"\d+$", "", old) or "block"
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"
