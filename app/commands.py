"""Undo commands: every edit of the network is one of these, pushed on the document's QUndoStack.

Commands touch only the network (the scene and the other views follow its change events) and
group their changes with `doc.batch()` so shapes are recomputed once per step. A command checks what it
brings in when it is made (app/validation.py: as a save writes it and the loader reads it back) and
raises GraphError with the reason before anything is pushed, so the document never holds what the
loader refuses. Undo restores exactly what was there: the same values of the same types, in order.
"""
from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

import engine
from engine import GraphError
from engine.core.graph import Edge

from .validation import checked_blocks, checked_values, same

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
        if self.node_id in doc.network:
            raise GraphError(f"There is already a block named '{self.node_id}'.")
        # named as the status bar names it: after the block, not after its type ("after ReLU" said which?)
        after = f" after '{source}'" if source in doc.network else ""
        super().__init__(doc, f"add {type_name} '{self.node_id}'{after}")
        [block] = checked_blocks([{"id": self.node_id, "type": type_name, "params": params, "position": position}],
                                 typed=True)
        self.type_name, self.params, self.position, self.source = type_name, block["params"], block["position"], source

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
        problem = doc.network.link_problem(source, target)
        if problem:
            raise GraphError(problem)
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
        net = doc.network
        missing = [k for k in moves if k not in net]
        if missing:
            raise GraphError(f"There is no block named '{missing[0]}' to move.")
        new = checked_blocks([{"id": k, "type": net.nodes[k].type, "position": b} for k, (_, b) in moves.items()])
        self.moves = {k: (net.nodes[k].position, block["position"]) for k, block in zip(moves, new)}

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
    edits of the same single parameter of the same block merge into one step; undo gives the block its
    parameters back exactly (values, types, order)."""

    def __init__(self, doc, node_id: str, values: dict, text: str | None = None):
        node = doc.network.nodes.get(node_id)
        if node is None:
            raise GraphError(f"There is no block named '{node_id}'.")
        self.new = checked_values(node, values)
        names = ", ".join(self.new)
        super().__init__(doc, text or f"set {names} of '{node_id}'")
        self.node_id = node_id
        self.mergeable = text is None and len(self.new) == 1
        self.before = copy.deepcopy(node.params)
        self.after = _with(self.before, self.new)

    def id(self):
        return PARAM_EDIT_ID if self.mergeable else -1

    def mergeWith(self, other) -> bool:
        if (not isinstance(other, SetParams) or not other.mergeable or other.node_id != self.node_id
                or set(other.new) != set(self.new)):
            return False
        self.new = dict(other.new)
        self.after = copy.deepcopy(other.after)
        if same(self.after, self.before):       # 1 → 2 → 1 is no change; 1 → True is one
            self.setObsolete(True)
        elif self._back_to_default():            # p left at its default, typed on, then shown as 0.5 again
            self.setObsolete(True)
            with self.doc.batch():
                self._undo()                     # the block's parameters exactly as before (0.5 is not written)
        return True

    def _back_to_default(self) -> bool:
        """The edited parameters hold what they held before, counting a parameter left out as its default."""
        node = self.net.nodes.get(self.node_id)
        spec = engine.BLOCKS.get(node.type) if node is not None else None
        if spec is None:
            return False
        defaults = {p.name: p.default for p in spec.params}
        return all(name in defaults
                   and same(self.after.get(name, defaults[name]), self.before.get(name, defaults[name]))
                   for name in self.new)

    def _redo(self):
        self.net.set_params(self.node_id, copy.deepcopy(self.after))

    def _undo(self):
        self.net.set_params(self.node_id, copy.deepcopy(self.before))


def _with(params: dict, values: dict) -> dict:
    out = copy.deepcopy(params)
    for k, v in values.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Rename(_Command):
    def __init__(self, doc, old: str, new: str):
        if old not in doc.network:
            raise GraphError(f"There is no block named '{old}'.")
        if new in doc.network:
            raise GraphError(f"Cannot rename '{old}' to '{new}': another block already has that name.")
        checked_blocks([{"id": new, "type": doc.network.nodes[old].type}])
        super().__init__(doc, f"rename '{old}' to '{new}'")
        self.old, self.new = old, new

    def _redo(self):
        self.net.rename(self.old, self.new)

    def _undo(self):
        self.net.rename(self.new, self.old)


class AddBlocks(_Command):
    """Add several blocks and the links among them (paste, duplicate)."""

    def __init__(self, doc, nodes: list[dict], edges: list[tuple[str, str]], text: str = "paste"):
        taken = [n.get("id") for n in nodes if n.get("id") in doc.network]
        if taken:
            raise GraphError(f"There is already a block named '{taken[0]}'.")
        self.nodes = checked_blocks(nodes)
        trial = engine.Network()
        for n in self.nodes:
            trial.add_node(n["type"], n["params"], n["id"], n["position"], n["extra"])
        self.edges = []
        for s, t in edges:
            problem = trial.link_problem(s, t)
            if problem:
                raise GraphError(f"The link {s} → {t} cannot be made: {problem}")
            trial.connect(s, t)
            self.edges.append((s, t))
        super().__init__(doc, f"{text} {len(nodes)} block{'s' if len(nodes) != 1 else ''}")

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
        if node_id not in net:
            raise GraphError(f"There is no block named '{node_id}'.")
        self.new_id = net.unique_id(type_name)
        super().__init__(doc, text or f"insert {type_name} before '{node_id}'")
        inputs = net.inputs_of(node_id)
        self.source = inputs[0] if inputs else None
        self.index = net.edges.index(Edge(self.source, node_id)) if self.source else None
        order = list(net.nodes)
        [block] = checked_blocks([{"id": self.new_id, "type": type_name, "params": params,
                                   "position": _between(net, self.source, node_id)}], typed=True)
        self.node_id, self.type_name, self.params, self.position = node_id, type_name, block["params"], block["position"]
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


TRAINING_EDIT_ID = 1002
TRAINING_WORDS = {"dataset": "data set", "epochs": "epochs", "batch_size": "batch size", "lr": "learning rate",
                  "optimizer": "optimizer", "weight_decay": "weight decay", "val_split": "validation share",
                  "seed": "seed"}


class SetTraining(QUndoCommand):
    """Choose other data or training settings for the network: its `training` object is saved with it, so
    this is an edit of the document like any other (closing asks to save it; undo brings the old choice
    back, and the training panel follows `doc.training_changed`). Steps of one setting merge (a spin box
    stepped from 5 to 9 is one undo step)."""

    def __init__(self, doc, new: dict):
        old = doc.network.extra.get("training")
        self.doc = doc
        self.before = copy.deepcopy(old) if isinstance(old, dict) else None
        self.after = copy.deepcopy(new)
        from engine.core.training_object import DEFAULTS     # a key the file left out has its default value
        before, after = dict(DEFAULTS, **(self.before or {})), dict(DEFAULTS, **new)
        self.keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.keys) == 1:
            key = self.keys[0]
            value = self.after.get(key)
            return f"set training {TRAINING_WORDS.get(key, key)} to {str(value)[:60]}"
        return "change the training settings"

    def id(self):
        return TRAINING_EDIT_ID

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetTraining) or other.keys != self.keys or len(self.keys) != 1:
            return False
        self.after = copy.deepcopy(other.after)
        self.setText(self._text())
        if self.after == self.before:
            self.setObsolete(True)
        return True

    def _set(self, value: dict | None) -> None:
        if value is None:
            self.doc.network.extra.pop("training", None)
        else:
            self.doc.network.extra["training"] = copy.deepcopy(value)
        self.doc.training_changed.emit()

    def redo(self):
        self._set(self.after)

    def undo(self):
        self._set(self.before)
