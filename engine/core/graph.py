"""The network being designed: nodes, edges and the edits on them, with Qt-free change events.

Views subscribe with `network.subscribe(callback)`; every edit calls each callback with a `Change`.
The network refuses edits that would break it (a cycle, a link into an Input, a second link into a
single-input block) with a `GraphError` whose message says why.
"""
from __future__ import annotations

import copy
import heapq
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

from .blocks import BLOCKS


class GraphError(ValueError):
    """An edit the network refuses; the message says why, for the status bar."""


_ABSENT = object()
MAX_ID_LENGTH = 10_000


def id_problem(node_id) -> str | None:
    """Why a block id is unusable (a sentence), or None: ids are non-empty strings of at most MAX_ID_LENGTH
    characters (the spec: any non-empty string; exported code quotes or rewrites every id)."""
    if not isinstance(node_id, str) or not node_id:
        return "a block id must be a non-empty string"
    if len(node_id) > MAX_ID_LENGTH:
        return f"a block id may have at most {MAX_ID_LENGTH:,} characters, this one has {len(node_id):,}"
    return None


def free_id(base: str, taken) -> str:
    """A free, readable block id made from a block type or an id: 'conv1', 'conv2', … (the one way new
    ids are made: added blocks, pasted copies and imported modules whose id is taken)."""
    stem = re.sub(r"\d+$", "", re.sub(r"[^0-9a-zA-Z_]", "_", base).lower()) or "block"
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def escaped(text: str) -> str:
    """Text with its control characters, line breaks and invisible marks written as escapes (\\n, \\x1b,
    \\u202e) and everything printable kept as it is: how text from a file is shown on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def id_warning(node_id: str) -> str | None:
    """A warning for an id with control characters, line breaks or text-direction marks: allowed, and shown
    escaped by the command line, but it garbles tables and can make one id look like another."""
    if node_id.isprintable():          # (text-direction marks are not printable either)
        return None
    ch = next(c for c in node_id if not c.isprintable())
    return (f"The id '{escaped(node_id)}' holds an invisible or control character (U+{ord(ch):04X}), which shows as an "
            f"escape or not at all; rename the block to a plain name.")


@dataclass
class Node:
    id: str
    type: str
    params: dict = field(default_factory=dict)
    position: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)   # unknown keys of the file, kept through a round trip

    @property
    def spec(self):
        return BLOCKS[self.type]


def _copy_node(node: Node) -> Node:
    """A deep copy of a node, 8× quicker than copy.deepcopy for the plain values a network file holds
    (the training panel copies the whole network after each edit, for its fit check in a thread)."""
    return Node(node.id, node.type, _copy_value(node.params), _copy_value(node.position),   # every field of Node
                _copy_value(node.extra))


def _copy_value(v):
    t = type(v)
    if t is dict:
        return {k: _copy_value(x) for k, x in v.items()}
    if t is list:
        return [_copy_value(x) for x in v]
    if t in (int, float, str, bool, type(None)):
        return v
    return copy.deepcopy(v)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str


class ChangeKind(StrEnum):
    """What one edit did; a str, so it also compares equal to its name."""
    NODE_ADDED = "node_added"
    NODE_REMOVED = "node_removed"
    EDGE_ADDED = "edge_added"
    EDGE_REMOVED = "edge_removed"
    PARAM_CHANGED = "param_changed"
    NODE_MOVED = "node_moved"
    NODE_RENAMED = "node_renamed"
    RESET = "reset"              # everything may have changed (another network was opened)


@dataclass(frozen=True)
class Change:
    """One edit of the network (listeners get it through Network.subscribe)."""
    kind: ChangeKind
    node_id: str | None = None
    edge: Edge | None = None
    name: str | None = None
    value: Any = None


class Network:
    def __init__(self, name: str = "Untitled"):
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.extra: dict = {}            # unknown top-level keys of the file
        self._listeners: list[Callable[[Change], None]] = []
        self._order: list[str] | None = None
        self._in_file_order = False
        self._links: tuple | None = None    # (edges, sources per node, targets per node) until the next edit

    # ---- events -------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Change], None]) -> None:
        self._listeners.append(callback)

    def unsubscribe(self, callback: Callable[[Change], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _emit(self, change: Change) -> None:
        if change.kind not in (ChangeKind.PARAM_CHANGED, ChangeKind.NODE_MOVED):
            self._order = self._links = None
        for cb in list(self._listeners):
            cb(change)

    # ---- queries ------------------------------------------------------------------------------
    def __contains__(self, node_id: str) -> bool:
        return node_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def _adjacency(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Sources and targets of every node, built once per structure (so a walk is linear, not quadratic)."""
        links = self._links
        if links is None or links[0] is not self.edges or links[1] != len(self.edges):
            ins: dict[str, list[str]] = {}
            outs: dict[str, list[str]] = {}
            for e in self.edges:
                ins.setdefault(e.target, []).append(e.source)
                outs.setdefault(e.source, []).append(e.target)
            links = self._links = (self.edges, len(self.edges), ins, outs)
        return links[2], links[3]

    def sources_by_node(self) -> dict[str, list[str]]:
        """Every node's sources in edge order, for a whole walk (cached until the links change; do not modify
        it). A node without inputs is absent."""
        return self._adjacency()[0]

    def inputs_of(self, node_id: str) -> list[str]:
        """Sources feeding `node_id`, in the order of the edge list (the order Add/Concat take them)."""
        return list(self._adjacency()[0].get(node_id, ()))

    def ancestors(self, node_id: str) -> set[str]:
        """`node_id` and every node it depends on (what the block's output needs computed)."""
        seen, stack = set(), [node_id]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self.inputs_of(n))
        return seen

    def outputs_of(self, node_id: str) -> list[str]:
        return list(self._adjacency()[1].get(node_id, ()))

    def input_nodes(self) -> list[str]:
        return [n.id for n in self.nodes.values() if n.spec.source]

    def sinks(self) -> list[str]:
        has_out = {e.source for e in self.edges}
        return [nid for nid in self.nodes if nid not in has_out and not self.nodes[nid].spec.source]

    def output_node(self) -> str | None:
        """The network's output: the sink that comes last in topological order."""
        sinks = set(self.sinks())
        for nid in reversed(self.topological_order()):
            if nid in sinks:
                return nid
        return None

    def topological_order(self) -> list[str]:
        """Node ids, every node after its inputs; ties keep the file's order. Cached until the next edit."""
        if self._order is None:
            ins, succ = self._adjacency()
            indeg = {nid: len(ins.get(nid, ())) for nid in self.nodes}
            position = {nid: i for i, nid in enumerate(self.nodes)}
            ready = [(position[n], n) for n, d in indeg.items() if d == 0]
            heapq.heapify(ready)
            order = []
            while ready:
                _, nid = heapq.heappop(ready)
                order.append(nid)
                for t in succ.get(nid, ()):
                    indeg[t] -= 1
                    if indeg[t] == 0:
                        heapq.heappush(ready, (position[t], t))
            self._order = order   # nodes on a cycle (only possible from a file) are left out
            self._in_file_order = order == list(self.nodes)
        return self._order

    def in_file_order(self) -> bool:
        """Whether the topological order is the file's order of the nodes (every block after its inputs)."""
        self.topological_order()
        return self._in_file_order

    def reaches(self, start: str, goal: str) -> bool:
        """Is there a path start → … → goal?"""
        succ = self._adjacency()[1]
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(succ.get(n, ()))
        return False

    def unique_id(self, base: str) -> str:
        """A free id for a new block in this network (free_id)."""
        return free_id(base, self.nodes)

    def link_problem(self, source: str, target: str) -> str | None:
        """Why a link source → target would be refused, as a sentence, or None when it is fine."""
        if source not in self.nodes or target not in self.nodes:
            return "Both ends of a link must be blocks in the network."
        if source == target:
            return f"'{source}' cannot feed itself."
        tspec = self.nodes[target].spec
        if tspec.max_inputs == 0:
            return f"'{target}' is an Input: nothing can feed it."
        if target in self._adjacency()[1].get(source, ()):
            return f"'{source}' already feeds '{target}'."
        if len(self.inputs_of(target)) >= tspec.max_inputs:
            return (f"{tspec.label} '{target}' takes one input and already has one; use Add or Concat to "
                    "merge branches.")
        if self.reaches(target, source):
            return f"Linking '{source}' → '{target}' would make a cycle ('{target}' already feeds '{source}')."
        return None

    # ---- edits --------------------------------------------------------------------------------
    def add_node(self, type_name: str, params: dict | None = None, node_id: str | None = None,
                 position: tuple[float, float] | None = None, extra: dict | None = None,
                 index: int | None = None) -> str:
        """Add a block; `index` puts it at that place in the node order (undo of a delete), else last."""
        if type_name not in BLOCKS:
            raise GraphError(f"Unknown block type '{type_name}'.")
        node_id = node_id or self.unique_id(type_name)
        problem = id_problem(node_id)
        if problem:
            raise GraphError(problem[0].upper() + problem[1:] + ".")
        if node_id in self.nodes:
            raise GraphError(f"There is already a block named '{node_id}'.")
        node = Node(node_id, type_name, dict(params or {}),
                    tuple(position) if position is not None else None, dict(extra or {}))
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:
            items = list(self.nodes.items())
            items.insert(max(index, 0), (node_id, node))
            self.nodes = dict(items)
        self._emit(Change(ChangeKind.NODE_ADDED, node_id))
        return node_id

    def remove_node(self, node_id: str) -> None:
        for e in [e for e in self.edges if e.source == node_id or e.target == node_id]:
            self.disconnect(e.source, e.target)
        del self.nodes[node_id]
        self._emit(Change(ChangeKind.NODE_REMOVED, node_id))

    def connect(self, source: str, target: str, index: int | None = None, check: bool = True) -> Edge:
        """Link source → target; `check=False` restores a link exactly as it was (undo), even one the
        checks refuse (a file may hold a cycle that shape inference reports)."""
        problem = self.link_problem(source, target) if check else None
        if problem:
            raise GraphError(problem)
        edge = Edge(source, target)
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self._emit(Change(ChangeKind.EDGE_ADDED, target, edge))
        return edge

    def disconnect(self, source: str, target: str) -> int:
        """Remove the link; returns its index in the edge list (for undo)."""
        edge = Edge(source, target)
        index = self.edges.index(edge)
        del self.edges[index]
        self._emit(Change(ChangeKind.EDGE_REMOVED, target, edge))
        return index

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter; `None` as value removes it (back to the default)."""
        node = self.nodes[node_id]
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
        self._emit(Change(ChangeKind.PARAM_CHANGED, node_id, name=name, value=value))

    def set_params(self, node_id: str, params: dict) -> None:
        """Give a block exactly these parameters, in this order (an edit and its undo: values, types and
        order come back as they were); one param_changed per parameter that changed."""
        node = self.nodes[node_id]
        old, node.params = node.params, dict(params)
        for name in dict.fromkeys([*old, *params]):
            a, b = old.get(name, _ABSENT), params.get(name, _ABSENT)
            if type(a) is not type(b) or a != b:
                self._emit(Change(ChangeKind.PARAM_CHANGED, node_id, name=name, value=params.get(name)))

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        """Place a block; the numbers are kept as given (an undo puts back [0, 100], not [0.0, 100.0])."""
        self.nodes[node_id].position = (position[0], position[1])
        self._emit(Change(ChangeKind.NODE_MOVED, node_id, value=self.nodes[node_id].position))

    def rename(self, node_id: str, new_id: str) -> None:
        if not new_id or new_id in self.nodes:
            raise GraphError(f"'{new_id}' is empty or already used by another block.")
        problem = id_problem(new_id)
        if problem:
            raise GraphError(problem[0].upper() + problem[1:] + ".")
        self.nodes = {(new_id if k == node_id else k): v for k, v in self.nodes.items()}
        self.nodes[new_id].id = new_id
        self.edges = [Edge(new_id if e.source == node_id else e.source, new_id if e.target == node_id else e.target)
                      for e in self.edges]
        self._emit(Change(ChangeKind.NODE_RENAMED, new_id, name=node_id))

    def replace_with(self, other: "Network") -> None:
        """Take over another network's content (keeps listeners); emits one reset."""
        self.name, self.extra = other.name, copy.deepcopy(other.extra)
        self.nodes = {k: _copy_node(v) for k, v in other.nodes.items()}
        self.edges = list(other.edges)
        self._emit(Change(ChangeKind.RESET))

    def copy(self) -> "Network":
        net = Network(self.name)
        net.extra = copy.deepcopy(self.extra)
        net.nodes = {k: _copy_node(v) for k, v in self.nodes.items()}
        net.edges = list(self.edges)
        return net
