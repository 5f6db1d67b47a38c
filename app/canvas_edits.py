"""Edits that depend on where blocks are, in the layout direction: a block put into a link (room made
by pushing what follows it along), one added after the selection, at a point or by quick add, pasted
copies beside their originals or at the mouse, and a block dissolved. Each is one undo step; like the Editor it
refuses what the network would refuse, with a sentence for the status bar.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from engine import BLOCKS
from engine.core.blocks import starter_params
from engine.core.layout import after, crowded, free_spot, gaps

from . import clipboard
from .canvas_commands import DissolveBlock, InsertIntoLink
from .commands import AddBlock


def _along(direction: str, p) -> tuple[float, float]:
    return (p[0], p[1]) if direction == "lr" else (p[1], p[0])


def _point(direction: str, along: float, across: float) -> tuple[float, float]:
    return (along, across) if direction == "lr" else (across, along)


class CanvasEdits(QObject):
    reveal = Signal(str)        # a block was placed: bring it into view

    def __init__(self, editor, positions, direction, parent=None):
        """`positions()`: {node_id: (x, y)} as shown (blocks the file left unplaced included);
        `direction()`: "lr" or "tb"."""
        super().__init__(parent)
        self.editor = editor
        self.positions = positions
        self.direction = direction

    @property
    def doc(self):
        return self.editor.doc

    @property
    def net(self):
        return self.editor.doc.network

    def _say(self, text: str) -> None:
        self.editor.status.emit(text)

    # ---- into a link --------------------------------------------------------------------------
    def _room(self, source: str, target: str, skip: str | None = None):
        """Where a block put into source → target goes (one layer after the source), and the moves that
        push the target and everything after it along when there is no room."""
        d = self.direction()
        pos = self.positions()
        layer_gap, _ = gaps(d)
        a_s, c_s = _along(d, pos[source])
        a_t, _ = _along(d, pos[target])
        spot = _point(d, a_s + layer_gap, c_s)
        moves = {}
        push = a_s + 2 * layer_gap - a_t
        if push > 1.0:
            seen, todo = set(), [target]
            while todo:
                nid = todo.pop()
                if nid in seen or nid == skip:
                    continue
                seen.add(nid)
                todo.extend(self.net.outputs_of(nid))
            for nid in seen:
                a, c = _along(d, pos[nid])
                moves[nid] = (self.net.nodes[nid].position, _point(d, a + push, c))
        taken = [moves[n][1] if n in moves else p for n, p in pos.items() if n not in (skip,)]
        return free_spot(spot, taken, d), moves

    def _insert_problem(self, source: str, target: str, node_id: str, type_name: str | None) -> str | None:
        trial = self.net.copy()
        if type_name is not None:
            trial.add_node(type_name, starter_params(type_name), node_id)
        trial.disconnect(source, target)
        return trial.link_problem(source, node_id) or trial.link_problem(node_id, target)

    def insert_new(self, type_name: str, source: str, target: str, params: dict | None = None,
                   text: str | None = None) -> str | None:
        """Add a new block into the link source → target (dropped on it, or from a menu)."""
        if type_name not in BLOCKS or (source, target) not in {(e.source, e.target) for e in self.net.edges}:
            return None
        node_id = self.net.unique_id(type_name)
        problem = self._insert_problem(source, target, node_id, type_name)
        if problem:
            self._say(f"Cannot insert {BLOCKS[type_name].label} there: {problem}")
            return None
        spot, moves = self._room(source, target)
        params = starter_params(type_name) if params is None else dict(params)
        if self.editor.attempt(lambda: InsertIntoLink(self.doc, source, target, node_id, spot, (type_name, params),
                                                      moves, text), "Cannot insert it") is None:
            return None
        self.editor.select.emit([node_id])
        self.reveal.emit(node_id)
        self._say(f"Inserted {BLOCKS[type_name].label} '{node_id}' between '{source}' and '{target}'.")
        return node_id

    def drop_on_link(self, type_name: str, _where, source: str, target: str) -> str | None:
        return self.insert_new(type_name, source, target)

    def move_onto_link(self, moves: dict, source: str, target: str) -> bool:
        """A lone block dragged onto a link goes into it; otherwise the drag is a plain move."""
        node_id = next(iter(moves)) if len(moves) == 1 else None
        if node_id is None or node_id not in self.net or self.net.inputs_of(node_id) or self.net.outputs_of(node_id):
            self.editor.move(moves)
            return False
        problem = self._insert_problem(source, target, node_id, None)
        if problem:
            self.editor.move(moves)
            self._say(f"Moved '{node_id}' but did not insert it: {problem}")
            return False
        spot, room = self._room(source, target, skip=node_id)
        old = self.net.nodes[node_id].position
        if old is None:
            old = tuple(moves[node_id][0])
        cmd = InsertIntoLink(self.doc, source, target, node_id, spot, None, room)
        cmd.old_position = old
        self.editor.push(cmd)
        self._say(f"Inserted '{node_id}' between '{source}' and '{target}'.")
        return True

    def fix(self, node_id: str, fix) -> None:
        """A quick fix; a block it inserts goes into the chain, not beside it."""
        inputs = self.net.inputs_of(node_id) if node_id in self.net else []
        if fix.kind == "insert_before" and len(inputs) == 1:
            if self.insert_new(fix.block, inputs[0], node_id, fix.params, text=f"fix: {fix.label.lower()}"):
                self._say(f"Applied: {fix.label}.")
            return
        self.editor.fix(node_id, fix)

    # ---- dissolve -----------------------------------------------------------------------------
    def dissolve_problem(self, node_id: str) -> str | None:
        """Why 'Delete and reconnect' cannot be done for a block, or None."""
        if node_id not in self.net:
            return "That block is gone."
        ins, outs = self.net.inputs_of(node_id), self.net.outputs_of(node_id)
        if len(ins) != 1:
            return f"'{node_id}' has {len(ins)} inputs; reconnecting needs exactly one."
        if not outs:
            return f"'{node_id}' feeds nothing; use Delete."
        trial = self.net.copy()
        trial.remove_node(node_id)
        for t in outs:
            if (ins[0], t) not in {(e.source, e.target) for e in trial.edges}:
                problem = trial.link_problem(ins[0], t)
                if problem:
                    return problem
                trial.connect(ins[0], t)
        return None

    def dissolve(self, node_id: str) -> bool:
        problem = self.dissolve_problem(node_id)
        if problem:
            self._say(f"Cannot delete and reconnect: {problem}")
            return False
        source = self.net.inputs_of(node_id)[0]
        self.editor.push(DissolveBlock(self.doc, node_id))
        self.editor.select.emit([])
        self._say(f"Deleted '{node_id}' and linked '{source}' to what it fed.")
        return True

    # ---- adding -------------------------------------------------------------------------------
    def _linkable(self, source: str | None, type_name: str, node_id: str) -> bool:
        if source is None or source not in self.net:
            return False
        trial = self.net.copy()
        trial.add_node(type_name, starter_params(type_name), node_id)
        return not trial.link_problem(source, node_id)

    def add_after(self, type_name: str, selected: list[str]) -> str | None:
        """Add a block one layer after the selected block (or the network's output), linked from it when it
        fits, in a free spot; one undo step, and scrolled into view."""
        source = selected[-1] if selected else self.net.output_node()
        pos = self.positions()
        at = after(pos[source], self.direction()) if source in pos else None
        return self._add(type_name, at, source)

    def quick_add(self, type_name: str, at, selected: list[str]) -> str | None:
        """Quick add: with one selected block that feeds exactly one link, into that link as Insert after puts
        it, when the new block can go there; otherwise as `add_at`."""
        source = selected[0] if len(selected) == 1 else None
        if type_name in BLOCKS and source in self.net:
            outs = self.net.outputs_of(source)
            if len(outs) == 1 and not self._insert_problem(source, outs[0], self.net.unique_id(type_name), type_name):
                return self.insert_new(type_name, source, outs[0])
        return self.add_at(type_name, at, selected)

    def add_at(self, type_name: str, at, selected: list[str]) -> str | None:
        """Add a block at a point, linked from the selected block's output when that link is allowed."""
        return self._add(type_name, at, selected[-1] if len(selected) == 1 else None)

    def _add(self, type_name: str, at, source: str | None) -> str | None:
        if type_name not in BLOCKS:
            self._say(f"Unknown block type '{type_name}'.")
            return None
        node_id = self.net.unique_id(type_name)
        linked = self._linkable(source, type_name, node_id)
        pos = self.positions()
        spot = free_spot(at if at is not None else (0.0, 0.0), list(pos.values()), self.direction())
        if self.editor.attempt(lambda: AddBlock(self.doc, type_name, starter_params(type_name), spot,
                                                source if linked else None, node_id=node_id), "Cannot add it") is None:
            return None
        self.editor.select.emit([node_id])
        self.reveal.emit(node_id)
        label = BLOCKS[type_name].label
        self._say(f"Added {label} '{node_id}'" + (f" after '{source}'." if linked else "."))
        return node_id

    # ---- copies -------------------------------------------------------------------------------
    def paste(self, at=None) -> list[str]:
        """Paste the copied blocks beside their originals (across the flow, clear of other blocks), or
        with their middle at `at`; the copies are selected."""
        data = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if not data:
            self._say("The clipboard holds no blocks to paste.")
            return []
        return self._copies(data, "paste", at)

    def duplicate(self, ids) -> list[str]:
        ids = [i for i in ids if i in self.net]
        if not ids:
            self._say("Select blocks to duplicate first.")
            return []
        return self._copies(clipboard.copy_blocks(self.net, ids), "duplicate")

    def _copies(self, data: dict, verb: str, at=None) -> list[str]:
        d = self.direction()
        shown = self.positions()
        points = clipboard.positions(data)
        if not points:
            points = [(0.0, 0.0)]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if at is not None:
            offset = (at[0] - (min(xs) + max(xs)) / 2, at[1] - (min(ys) + max(ys)) / 2)
        else:
            _, block_gap = gaps(d)
            extent = (max(ys) - min(ys)) if d == "lr" else (max(xs) - min(xs))
            step = _point(d, 0.0, extent + block_gap)
            offset = step
            taken = list(shown.values())
            for _ in range(200):
                if not any(crowded((p[0] + offset[0], p[1] + offset[1]), taken, d) for p in points):
                    break
                offset = (offset[0] + step[0], offset[1] + step[1])
        cmd = self.editor.attempt(lambda: clipboard.paste_command(self.doc, data, offset, verb), f"Cannot {verb}")
        if cmd is None:
            return []
        self.editor.select.emit(cmd.node_ids)
        if cmd.node_ids:
            self.reveal.emit(cmd.node_ids[0])
        n = len(cmd.node_ids)
        self._say(f"{verb.capitalize()}d {n} block{'s' if n != 1 else ''}; the copies are selected.")
        return cmd.node_ids
