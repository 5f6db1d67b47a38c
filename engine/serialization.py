"""Network files (format `netwright.network`, version 1): load, save, migrate, refuse clearly.

Files are parsed into plain data first, migrated step by step to the current version, then turned
into a `Network`. Anything unusable raises `NetworkFileError` with a reason a person can act on;
unknown keys (top level and inside nodes) survive a load–save round trip. Saves are atomic.
"""
from __future__ import annotations

import json
from pathlib import Path

from .blocks import BLOCKS
from .blocks.checks import type_problem
from .files import atomic_write_text  # the one atomic write (engine/files.py), kept importable here
from .graph import Edge, Network

FORMAT = "netwright.network"
VERSION = 1
NODE_KEYS = ("id", "type", "params", "position")
TOP_KEYS = ("format", "version", "name", "nodes", "edges")

# Migrations: MIGRATIONS[v] turns a version-v dict into a version-(v+1) dict.
MIGRATIONS: dict[int, callable] = {}


class NetworkFileError(Exception):
    """A network file that cannot be used at all; the message says why."""


def migrate(data: dict) -> dict:
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NetworkFileError(f"'version' must be a whole number, not {version!r}.")
    if version > VERSION:
        raise NetworkFileError(f"This file is version {version}, made by a newer Netwright; this one reads "
                               f"versions up to {VERSION}. Update Netwright to open it.")
    if version < 1:
        raise NetworkFileError(f"Unknown version {version}: versions start at 1.")
    while version < VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def network_from_dict(data) -> Network:
    if not isinstance(data, dict):
        raise NetworkFileError("A network file must hold one JSON object, {…}.")
    if data.get("format") != FORMAT:
        raise NetworkFileError(f"Not a Netwright network: 'format' is {data.get('format')!r}, expected '{FORMAT}'.")
    data = migrate(dict(data))
    nodes, edges = data.get("nodes", []), data.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise NetworkFileError("'nodes' and 'edges' must be lists.")
    name = data.get("name", "Untitled")
    net = Network(name if isinstance(name, str) else str(name))
    net.extra = {k: v for k, v in data.items() if k not in TOP_KEYS}
    for i, nd in enumerate(nodes):
        _add_node(net, nd, i)
    for i, ed in enumerate(edges):
        if not isinstance(ed, dict) or not isinstance(ed.get("source"), str) or not isinstance(ed.get("target"), str):
            raise NetworkFileError(f"Edge {i + 1} must be an object with 'source' and 'target' ids.")
        for end in ("source", "target"):
            if ed[end] not in net.nodes:
                raise NetworkFileError(f"Edge {i + 1} ({ed['source']} → {ed['target']}) names a block "
                                       f"'{ed[end]}' that is not in the file.")
        if Edge(ed["source"], ed["target"]) in net.edges:
            raise NetworkFileError(f"Edge {i + 1}: '{ed['source']}' already feeds '{ed['target']}'. Each link may "
                                   "appear once.")
        # A cycle, a link into an Input or a second input to a one-input block is kept as the file says;
        # shape inference reports it on the block (a network error, exit 1).
        net.connect(ed["source"], ed["target"], check=False)
    return net


def _add_node(net: Network, nd, i: int) -> None:
    if not isinstance(nd, dict):
        raise NetworkFileError(f"Node {i + 1} must be an object with 'id' and 'type'.")
    nid, typ = nd.get("id"), nd.get("type")
    if not isinstance(nid, str) or not nid:
        raise NetworkFileError(f"Node {i + 1} needs an 'id' that is a non-empty string, not {nid!r}.")
    if nid in net.nodes:
        raise NetworkFileError(f"Two blocks have the id '{nid}'; ids must be unique.")
    if typ not in BLOCKS:
        raise NetworkFileError(f"Block '{nid}' has unknown type {typ!r}. Known types: {', '.join(sorted(BLOCKS))}.")
    params = nd.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise NetworkFileError(f"Block '{nid}': 'params' must be an object, not {type(params).__name__}.")
    spec = BLOCKS[typ]
    spatial = 1 if typ.endswith("1d") else 2
    for k, v in params.items():
        p = spec.param(k)
        if p is not None and not (v is None and p.default is None):
            why = type_problem(p, v, spatial)
            if why:
                raise NetworkFileError(f"{spec.label} '{nid}': parameter '{k}' must be {why}, not {json.dumps(v)}.")
    pos = nd.get("position")
    if pos is not None and not (isinstance(pos, list) and len(pos) == 2
                                and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos)):
        raise NetworkFileError(f"Block '{nid}': 'position' must be [x, y], not {json.dumps(pos)}.")
    extra = {k: v for k, v in nd.items() if k not in NODE_KEYS}
    net.add_node(typ, params, nid, tuple(pos) if pos is not None else None, extra)


def network_to_dict(net: Network) -> dict:
    nodes = []
    for n in net.nodes.values():
        d = {"id": n.id, "type": n.type, "params": dict(n.params)}
        if n.position is not None:
            d["position"] = [round(n.position[0], 2), round(n.position[1], 2)]
        d.update((k, v) for k, v in n.extra.items() if k not in NODE_KEYS)   # unknown keys never replace known ones
        nodes.append(d)
    out = {"format": FORMAT, "version": VERSION, "name": net.name, "nodes": nodes,
           "edges": [{"source": e.source, "target": e.target} for e in net.edges]}
    out.update((k, v) for k, v in net.extra.items() if k not in TOP_KEYS)
    return out


def loads(text: str) -> Network:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise NetworkFileError(f"Not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") from None
    return network_from_dict(data)


def load_network(path) -> Network:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetworkFileError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise NetworkFileError(f"{path} is a folder, not a network file.") from None
    except UnicodeDecodeError:
        raise NetworkFileError(f"{path} is not a text file (not UTF-8), so not a network file.") from None
    except OSError as e:
        raise NetworkFileError(f"Cannot read {path}: {e.strerror}.") from None
    try:
        return loads(text)
    except NetworkFileError as e:
        raise NetworkFileError(f"{path.name}: {e}") from None


def dumps(net: Network) -> str:
    return json.dumps(network_to_dict(net), indent=2, ensure_ascii=False) + "\n"


def save_network(net: Network, path) -> None:
    atomic_write_text(path, dumps(net))
