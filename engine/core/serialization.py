"""Network files (format `netwright.network`, version 1): load, save, migrate, refuse clearly.

Files are parsed into plain data first, migrated step by step to the current version, then turned
into a `Network`. Anything unusable raises `NetworkFileError` with a reason a person can act on;
unknown keys (top level and inside nodes) survive a load–save round trip. Saves are atomic.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .blocks import BLOCKS
from .blocks.checks import excerpt
from .files import atomic_write_text  # the one atomic write (engine/core/files.py), kept importable here
from .graph import Edge, Network, Node, id_problem

FORMAT = "netwright.network"
VERSION = 1
NODE_KEYS = ("id", "type", "params", "position")
TOP_KEYS = ("format", "version", "name", "nodes", "edges")

# What a file may hold at most: beyond these it is refused with a reason before anything is built.
MAX_FILE_BYTES = 64 * 2 ** 20      # 64 MiB: some 200,000 blocks
MAX_DEPTH = 64                     # arrays and objects inside each other
MAX_DIGITS = 4300                  # of one integer (Python's own limit for turning text into int)
MAX_COORDINATE = 1e9               # of a canvas position

# Migrations: MIGRATIONS[v] turns a version-v dict into a version-(v+1) dict.
MIGRATIONS: dict[int, callable] = {}


class NetworkFileError(Exception):
    """A network file that cannot be used at all; the message says why."""


def _refuse(message: str):
    raise NetworkFileError(message)


def _number(text: str):
    if len(text.lstrip("-")) > MAX_DIGITS:
        _refuse(f"The file holds a number with {len(text.lstrip('-')):,} digits ({text[:12]}…); numbers "
                f"in a network file have at most {MAX_DIGITS:,}.")
    return int(text)


def _object(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                _refuse(f"The key {excerpt(k, as_json=True)} appears twice in one object; a network file says "
                        "each thing once (which one was meant?).")
            seen.add(k)
    return d


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_depth(value, depth: int) -> None:
    """Refuse nesting deeper than MAX_DEPTH (copies, comparisons and saves of such data would exhaust the
    stack). Iterative, so the check itself cannot; only values a file may fill freely are walked."""
    stack = [(value, depth)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            _refuse(f"The file nests arrays and objects more than {MAX_DEPTH} deep; no network file needs that.")
        for x in (value.values() if type(value) is dict else value):
            if type(x) is dict or type(x) is list:
                stack.append((x, depth + 1))


def _text_problem(data) -> str | None:
    """Where the data holds a lone surrogate (in a file only reachable through a \\uD800-style escape), or
    nesting deeper than MAX_DEPTH (a structure that holds itself, built in Python, included). Iterative."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return f"The data nests arrays and objects more than {MAX_DEPTH} deep; no network file needs that."
            for x in (value.items() if isinstance(value, dict) else value):
                if isinstance(x, tuple):     # a key and its value
                    stack.append((x[0], depth + 1))
                    x = x[1]
                stack.append((x, depth + 1))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                return (f"The file holds text that is not valid Unicode: {value[max(e.start - 10, 0):e.start + 10]!a} "
                        f"contains a lone surrogate (U+{ord(value[e.start]):04X}), which cannot be saved or shown.")
    return None


def migrate(data: dict) -> dict:
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NetworkFileError(f"'version' must be a whole number, not {excerpt(version)}.")
    if version > VERSION:
        raise NetworkFileError(f"This file is version {excerpt(version)}, made by a newer Netwright; this one reads "
                               f"versions up to {VERSION}. Update Netwright to open it.")
    if version < 1:
        raise NetworkFileError(f"Unknown version {excerpt(version)}: versions start at 1.")
    while version < VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def network_from_dict(data) -> Network:
    """A Network from plain data (parsed JSON, or built in Python): refused with a NetworkFileError for the
    same reasons as a file, text that is not valid Unicode included."""
    if isinstance(data, dict):
        problem = _text_problem(data)
        if problem:
            raise NetworkFileError(problem)
    return _from_dict(data)


def _from_dict(data) -> Network:
    if not isinstance(data, dict):
        raise NetworkFileError("A network file must hold one JSON object, {…}.")
    if data.get("format") != FORMAT:
        raise NetworkFileError(f"Not a Netwright network: 'format' is {excerpt(data.get('format'))}, expected "
                               f"'{FORMAT}'.")
    data = migrate(dict(data))
    nodes, edges = data.get("nodes", []), data.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise NetworkFileError("'nodes' and 'edges' must be lists.")
    name = data.get("name", "Untitled")
    net = Network(name if isinstance(name, str) else excerpt(name, as_json=True))
    net.extra = {k: v for k, v in data.items() if k not in TOP_KEYS}
    _check_depth(net.extra, 1)
    if "training" in net.extra:          # the run the network is meant for (spec §1), checked like the rest
        from .training_object import training_problem
        problem = training_problem(net.extra["training"])
        if problem:
            _refuse(problem)
    for i, nd in enumerate(nodes):
        _add_node(net, nd, i)
    links = set()
    order = net.edges
    for i, ed in enumerate(edges):
        if not isinstance(ed, dict) or not isinstance(ed.get("source"), str) or not isinstance(ed.get("target"), str):
            raise NetworkFileError(f"Edge {i + 1} must be an object with 'source' and 'target' ids, not "
                                   f"{excerpt(ed, as_json=True)}.")
        source, target = ed["source"], ed["target"]
        for end in (source, target):
            if end not in net.nodes:
                raise NetworkFileError(f"Edge {i + 1} ({excerpt(source)} → {excerpt(target)}) names a block "
                                       f"{excerpt(end)} that is not in the file.")
        if (source, target) in links:
            raise NetworkFileError(f"Edge {i + 1}: {excerpt(source)} already feeds {excerpt(target)}. Each link may "
                                   "appear once.")
        links.add((source, target))
        # A cycle, a self-loop, a link into an Input or a second input to a one-input block is kept as the
        # file says; shape inference reports it on the block (a network error, exit 1).
        order.append(Edge(source, target))
    return net


def _add_node(net: Network, nd, i: int) -> None:
    if not isinstance(nd, dict):
        raise NetworkFileError(f"Node {i + 1} must be an object with 'id' and 'type', not {excerpt(nd, as_json=True)}.")
    nid, typ = nd.get("id"), nd.get("type")
    if not isinstance(nid, str) or not nid:
        raise NetworkFileError(f"Node {i + 1} needs an 'id' that is a non-empty string, not {excerpt(nid)}.")
    problem = id_problem(nid)
    if problem:
        raise NetworkFileError(f"Node {i + 1} ({excerpt(nid)}): {problem}.")
    if nid in net.nodes:
        raise NetworkFileError(f"Two blocks have the id {excerpt(nid)}; ids must be unique.")
    if not isinstance(typ, str) or typ not in BLOCKS:
        raise NetworkFileError(f"Block {excerpt(nid)} has unknown type {excerpt(typ)}. Known types: "
                               f"{', '.join(sorted(BLOCKS))}.")
    params = nd.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise NetworkFileError(f"Block {excerpt(nid)}: 'params' must be an object, not {type(params).__name__}.")
    # Parameter values are not judged here: a value of the wrong type or out of bounds is an error on the
    # block (shape inference names it; `check` exits 1), so the app still opens the file and shows it there.
    pos = nd.get("position")
    if pos is not None and not (isinstance(pos, list) and len(pos) == 2
                                and all(isinstance(c, (int, float)) and not isinstance(c, bool)
                                        and -MAX_COORDINATE <= c <= MAX_COORDINATE for c in pos)):
        raise NetworkFileError(f"Block {excerpt(nid)}: 'position' must be [x, y] with coordinates within ±1e9, not "
                               f"{excerpt(pos, as_json=True)}.")
    extra = {k: v for k, v in nd.items() if k not in NODE_KEYS}
    if params or extra:
        _check_depth(params, 3)
        _check_depth(extra, 3)
    # Straight into the new network (nobody listens yet; the id was checked above): linear, cheap loading.
    net.nodes[nid] = Node(nid, typ, dict(params), tuple(pos) if pos is not None else None, extra)


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


def parse(text: str):
    """JSON text → plain data, refusing what no network file holds: duplicate keys, numbers too long to
    convert, nesting too deep to read, lone surrogates. A leading BOM is skipped. NaN and Infinity (and
    1e999) are read: as a parameter they are an error on the block, which the app shows where it can be fixed."""
    if len(text) > MAX_FILE_BYTES:
        raise NetworkFileError(f"The text is {len(text) / 2 ** 20:,.0f} MiB; network files are at most "
                               f"{MAX_FILE_BYTES // 2 ** 20} MiB.")
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_int=_number)
    except json.JSONDecodeError as e:
        raise NetworkFileError(f"Not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") from None
    except RecursionError:
        raise NetworkFileError(f"The file nests arrays and objects too deeply to read (no network file needs "
                               f"more than {MAX_DEPTH} levels).") from None
    if _SURROGATE_ESCAPE.search(text) or not _encodes(text):      # only then can a lone surrogate be there
        problem = _text_problem(data)
        if problem:
            raise NetworkFileError(problem)
    return data


def _encodes(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def loads(text: str) -> Network:
    return _from_dict(parse(text))      # parse() has checked the text


def load_network(path) -> Network:
    path = Path(path)
    try:
        with open(path, "rb") as f:          # read at most one byte more than allowed (also from /dev/zero)
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise NetworkFileError(f"{path.name} is larger than {MAX_FILE_BYTES // 2 ** 20} MiB; network files are "
                                   "not that large, so this is not one.")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise NetworkFileError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise NetworkFileError(f"{path} is a folder, not a network file.") from None
    except UnicodeDecodeError:
        raise NetworkFileError(f"{path} is not a text file (not UTF-8), so not a network file.") from None
    except OSError as e:
        raise NetworkFileError(f"Cannot read {path}: {e.strerror or e}.") from None
    try:
        return loads(text)
    except NetworkFileError as e:
        raise NetworkFileError(f"{path.name}: {e}") from None


def dumps(net: Network) -> str:
    return json.dumps(network_to_dict(net), indent=2, ensure_ascii=False) + "\n"


def save_network(net: Network, path) -> None:
    atomic_write_text(path, dumps(net))
