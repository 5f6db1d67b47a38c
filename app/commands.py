"""Undo commands: every edit of the network is one of these, pushed on the document's QUndoStack.

Commands touch only the network (the scene and the other views follow its change events) and
group their changes with `doc.batch()` so shapes are recomputed once per step.
"""
from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from engine.graph import Edge

PARAM_EDIT_ID = 1001


class _Command(QUndoCommand):
    def __init__(self, doc, text: str):
        super().__init__(text)
        self.doc = doc
        self.net = doc.network

    def redo(self):
        with self.doc.batch():
            self._redo()

    def undo(self):
        with self.doc.batch():
            self._undo()


class AddBlock(_Command):
    """Add a block, optionally linked after `source` (double-click in the palette: one step)."""

    def __init__(self, doc, type_name: str, params: dict | None = None, position=None, source: str | None = None,
                 node_id: str | None = None):
        self.node_id = node_id or doc.network.unique_id(type_name)
        label = doc.network.nodes[source].spec.label if source else None
        super().__init__(doc, f"add {type_name} '{self.node_id}'" + (f" after {label}" if label else ""))
        self.type_name, self.params, self.position, self.source = type_name, dict(params or {}), position, source

    def _redo(self):
        self.net.add_node(self.type_name, copy.deepcopy(self.params), self.node_id, self.position)
        if self.source and self.source in self.net and not self.net.link_problem(self.source, self.node_id):
            self.net.connect(self.source, self.node_id)

    def _undo(self):
        self.net.remove_node(self.node_id)


class RemoveBlocks(_Command):
    """Delete blocks; undo restores them at their place in the node order with their links in order."""

    def __init__(self, doc, node_ids):
        ids = [n for n in doc.network.nodes if n in set(node_ids)]
        super().__init__(doc, f"delete '{ids[0]}'" if len(ids) == 1 else f"delete {len(ids)} blocks")
        order = list(doc.network.nodes)
        self.nodes = [(order.index(n), copy.deepcopy(doc.network.nodes[n])) for n in ids]
        self.edges = [(i, e) for i, e in enumerate(doc.network.edges) if e.source in ids or e.target in ids]

    def _redo(self):
        for _, node in self.nodes:
            self.net.remove_node(node.id)

    def _undo(self):
        for index, node in self.nodes:
            self.net.add_node(node.type, copy.deepcopy(node.params), node.id, node.position,
                              copy.deepcopy(node.extra), index=index)
        for index, e in self.edges:
            self.net.connect(e.source, e.target, index=index, check=False)


class Connect(_Command):
    def __init__(self, doc, source: str, target: str):
        super().__init__(doc, f"link '{source}' → '{target}'")
        self.source, self.target = source, target

    def _redo(self):
        self.net.connect(self.source, self.target)

    def _undo(self):
        self.net.disconnect(self.source, self.target)


class Disconnect(_Command):
    def __init__(self, doc, source: str, target: str):
        super().__init__(doc, f"unlink '{source}' → '{target}'")
        self.source, self.target = source, target
        self.index = doc.network.edges.index(Edge(source, target))

    def _redo(self):
        self.net.disconnect(self.source, self.target)

    def _undo(self):
        self.net.connect(self.source, self.target, index=self.index, check=False)


class MoveBlocks(_Command):
    """Move blocks: {node_id: (old_xy, new_xy)}; one step per drag (and per auto layout)."""

    def __init__(self, doc, moves: dict, text: str | None = None):
        n = len(moves)
        super().__init__(doc, text or (f"move '{next(iter(moves))}'" if n == 1 else f"move {n} blocks"))
        self.moves = {k: (tuple(a) if a is not None else None, tuple(b)) for k, (a, b) in moves.items()}

    def _redo(self):
        for nid, (_, new) in self.moves.items():
            self.net.move(nid, new)

    def _undo(self):
        for nid, (old, _) in self.moves.items():
            if old is None:
                self.net.nodes[nid].position = None
            else:
                self.net.move(nid, old)


class SetParams(_Command):
    """Change parameters of one block ({name: new value}, None = back to the default). Consecutive
    edits of the same single parameter of the same block merge into one step."""

    def __init__(self, doc, node_id: str, values: dict, text: str | None = None):
        node = doc.network.nodes[node_id]
        names = ", ".join(values)
        super().__init__(doc, text or f"set {names} of '{node_id}'")
        self.node_id = node_id
        self.mergeable = text is None and len(values) == 1
        self.old = {k: copy.deepcopy(node.params.get(k)) for k in values}
        self.new = {k: copy.deepcopy(v) for k, v in values.items()}

    def id(self):
        return PARAM_EDIT_ID if self.mergeable else -1

    def mergeWith(self, other) -> bool:
        if (not isinstance(other, SetParams) or not other.mergeable or other.node_id != self.node_id
                or set(other.new) != set(self.new)):
            return False
        self.new = dict(other.new)
        if self.new == self.old:
            self.setObsolete(True)
        return True

    def _apply(self, values: dict):
        for k, v in values.items():
            self.net.set_param(self.node_id, k, copy.deepcopy(v))

    def _redo(self):
        self._apply(self.new)

    def _undo(self):
        self._apply(self.old)


class Rename(_Command):
    def __init__(self, doc, old: str, new: str):
        super().__init__(doc, f"rename '{old}' to '{new}'")
        self.old, self.new = old, new

    def _redo(self):
        self.net.rename(self.old, self.new)

    def _undo(self):
        self.net.rename(self.new, self.old)


class AddBlocks(_Command):
    """Add several blocks and the links among them (paste, duplicate)."""

    def __init__(self, doc, nodes: list[dict], edges: list[tuple[str, str]], text: str = "paste"):
        super().__init__(doc, f"{text} {len(nodes)} block{'s' if len(nodes) != 1 else ''}")
        self.nodes, self.edges = nodes, edges

    @property
    def node_ids(self) -> list[str]:
        return [n["id"] for n in self.nodes]

    def _redo(self):
        for n in self.nodes:
            self.net.add_node(n["type"], copy.deepcopy(n["params"]), n["id"], n.get("position"),
                              copy.deepcopy(n.get("extra", {})))
        for s, t in self.edges:
            self.net.connect(s, t, check=False)

    def _undo(self):
        for n in reversed(self.nodes):
            self.net.remove_node(n["id"])


class InsertBefore(_Command):
    """Put a new block between a block and its single input (a quick fix like 'Insert Flatten')."""

    def __init__(self, doc, node_id: str, type_name: str, params: dict, text: str | None = None):
        net = doc.network
        self.new_id = net.unique_id(type_name)
        super().__init__(doc, text or f"insert {type_name} before '{node_id}'")
        self.node_id, self.type_name, self.params = node_id, type_name, dict(params)
        inputs = net.inputs_of(node_id)
        self.source = inputs[0] if inputs else None
        self.index = net.edges.index(Edge(self.source, node_id)) if self.source else None
        order = list(net.nodes)
        self.position = _between(net, self.source, node_id)
        self.order_index = order.index(node_id)

    def _redo(self):
        self.net.add_node(self.type_name, copy.deepcopy(self.params), self.new_id, self.position,
                          index=self.order_index)
        if self.source is not None:
            self.net.disconnect(self.source, self.node_id)
            self.net.connect(self.source, self.new_id, check=False)
        self.net.connect(self.new_id, self.node_id, index=self.index, check=False)

    def _undo(self):
        self.net.remove_node(self.new_id)
        if self.source is not None:
            self.net.connect(self.source, self.node_id, index=self.index, check=False)


SIDE_STEP = 210.0   # an inserted block sits beside the link it splits, clear of the blocks above and below


def _between(net, source: str | None, target: str):
    b = net.nodes[target].position
    a = net.nodes[source].position if source else None
    if a and b:
        return ((a[0] + b[0]) / 2 + SIDE_STEP, (a[1] + b[1]) / 2)
    if b:
        return (b[0] + SIDE_STEP, b[1] - 55.0)
    return None


def apply_fix(doc, node_id: str, fix) -> QUndoCommand:
    """The undo command for a quick fix offered by shape inference (engine.Fix)."""
    node_id = getattr(fix, "target", None) or node_id       # a fix may change a block above the problem
    if fix.kind == "insert_before":
        return InsertBefore(doc, node_id, fix.block, fix.params, text=f"fix: {fix.label.lower()}")
    if fix.kind == "set_params":
        return SetParams(doc, node_id, fix.params, text=f"fix: {fix.label.lower()}")
    raise ValueError(f"Unknown quick fix kind {fix.kind!r}.")
