"""Undo commands for the canvas gestures that change links and places together: a block put into a
link (dropped from the palette, dragged onto it, inserted from a menu or by a quick fix) and a block
dissolved (deleted with its input reconnected to its outputs). Each is one step on the undo stack and
restores the network exactly: node order, edge order (the input order of Add and Concat) and places.
"""
from __future__ import annotations

import copy

from .commands import _Command
from .validation import checked_blocks


class InsertIntoLink(_Command):
    """Put a block between `source` and `target`: source → block → target, the block taking the
    link's place in the target's input order. `new`: (type, params) of a block to add at `position`;
    without it, the existing block `node_id` is moved to `position`. `moves`: {node_id: (old, new)}
    for blocks pushed along to make room."""

    def __init__(self, doc, source: str, target: str, node_id: str, position, new: tuple[str, dict] | None = None,
                 moves: dict | None = None, text: str | None = None):
        net = doc.network
        label = new[0] if new else net.nodes[node_id].spec.label
        super().__init__(doc, text or f"insert {label} '{node_id}' into '{source}' → '{target}'")
        if new:         # checked as the loader would read it (app/validation.py); GraphError says why not
            [block] = checked_blocks([{"id": node_id, "type": new[0], "params": new[1], "position": position}],
                                     typed=True)
            new = (new[0], block["params"])
        self.source, self.target, self.node_id, self.new = source, target, node_id, new
        self.position = (float(position[0]), float(position[1])) if position is not None else None
        self.old_position = None if new else net.nodes[node_id].position
        self.edge_index = [(e.source, e.target) for e in net.edges].index((source, target))
        self.moves = dict(moves or {})

    def _redo(self):
        net = self.net
        for nid, (_, xy) in self.moves.items():
            net.move(nid, xy)
        if self.new:
            net.add_node(self.new[0], copy.deepcopy(self.new[1]), self.node_id, self.position)
        elif self.position is not None:
            net.move(self.node_id, self.position)
        net.disconnect(self.source, self.target)
        net.connect(self.source, self.node_id, check=False)
        net.connect(self.node_id, self.target, index=self.edge_index, check=False)

    def _undo(self):
        net = self.net
        net.disconnect(self.node_id, self.target)
        net.disconnect(self.source, self.node_id)
        if self.new:
            net.remove_node(self.node_id)
        elif self.old_position is not None:
            net.move(self.node_id, self.old_position)
        net.connect(self.source, self.target, index=self.edge_index, check=False)
        for nid, (xy, _) in self.moves.items():
            if xy is not None:
                net.move(nid, xy)


class DissolveBlock(_Command):
    """Delete a block with one input and link that input to each of its outputs, where the block was
    in their input order (as a node editor dissolves a node)."""

    def __init__(self, doc, node_id: str):
        net = doc.network
        super().__init__(doc, f"delete '{node_id}' and reconnect")
        self.node_id = node_id
        self.order_index = list(net.nodes).index(node_id)
        self.node = copy.deepcopy(net.nodes[node_id])
        self.source = net.inputs_of(node_id)[0]
        self.edges = [(i, e.source, e.target) for i, e in enumerate(net.edges) if node_id in (e.source, e.target)]
        existing = {(e.source, e.target) for e in net.edges}
        # New links, each at the place of the block's link to that target (counted without the removed links).
        self.bridges = []
        removed_before = 0
        for i, e in enumerate(net.edges):
            if node_id in (e.source, e.target):
                if e.source == node_id and (self.source, e.target) not in existing:
                    self.bridges.append((i - removed_before + len(self.bridges), e.target))
                removed_before += 1

    def _redo(self):
        self.net.remove_node(self.node_id)
        for index, target in self.bridges:
            self.net.connect(self.source, target, index=index, check=False)

    def _undo(self):
        for _, target in reversed(self.bridges):
            self.net.disconnect(self.source, target)
        n = self.node
        self.net.add_node(n.type, copy.deepcopy(n.params), n.id, n.position, copy.deepcopy(n.extra),
                          index=self.order_index)
        for index, s, t in self.edges:
            self.net.connect(s, t, index=index, check=False)
