"""Turns the views' intents (scene, palette, inspector, problems list, menus) into undo commands on
the document, and refuses edits the network would refuse with a sentence for the status bar."""
from __future__ import annotations

import json

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from engine import BLOCKS, GraphError
from engine.blocks import starter_params
from engine.layout import layered_layout, place_near

from . import clipboard
from .commands import (AddBlock, AddBlocks, Connect, Disconnect, MoveBlocks, RemoveBlocks, Rename, SetParams,
                       apply_fix)

class Editor(QObject):
    status = Signal(str)
    select = Signal(list)          # ids to select after an edit (new blocks, pasted blocks)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self._last_paste: str | None = None
        self._pastes = 0

    @property
    def net(self):
        return self.doc.network

    def push(self, command) -> None:
        self.doc.undo_stack.push(command)

    # ---- blocks -----------------------------------------------------------------------------
    def add_block(self, type_name: str, position=None) -> str | None:
        if type_name not in BLOCKS:
            self.status.emit(f"Unknown block type '{type_name}'.")
            return None
        pos = (position.x(), position.y()) if hasattr(position, "x") else position
        cmd = AddBlock(self.doc, type_name, starter_params(type_name), pos)
        self.push(cmd)
        self.select.emit([cmd.node_id])
        self.status.emit(f"Added {BLOCKS[type_name].label} '{cmd.node_id}'. Link it by dragging from a port.")
        return cmd.node_id

    def add_after(self, type_name: str, selected: list[str]) -> str | None:
        """Add a block after the selected one (or the network's output) and link it: one undo step."""
        source = selected[-1] if selected else self.net.output_node()
        if source is not None and source not in self.net:
            source = None
        new_id = self.net.unique_id(type_name)
        params = starter_params(type_name)
        problem = None
        if source is not None:
            trial = self.net.copy()
            trial.add_node(type_name, params, new_id)
            problem = trial.link_problem(source, new_id)
            if not problem:
                trial.connect(source, new_id)
            taken = {k: n.position for k, n in self.net.nodes.items() if n.position is not None}
            pos = place_near(trial, new_id, taken)
        else:
            pos = (0.0, 0.0)
        cmd = AddBlock(self.doc, type_name, params, pos, None if problem else source, node_id=new_id)
        self.push(cmd)
        self.select.emit([new_id])
        if problem:
            self.status.emit(f"Added '{new_id}' without a link: {problem}")
        else:
            self.status.emit(f"Added {BLOCKS[type_name].label} '{new_id}'" + (f" after '{source}'." if source else "."))
        return new_id

    def delete(self, ids, links=()) -> None:
        """Remove blocks (with their links) and other links, as one undo step."""
        ids = [i for i in ids if i in self.net]
        gone = set(ids)
        present = {(e.source, e.target) for e in self.net.edges}
        links = [(s, t) for s, t in links if (s, t) in present and s not in gone and t not in gone]
        if not ids and not links:
            return
        stack = self.doc.undo_stack
        grouped = len(links) + bool(ids) > 1
        if grouped:
            parts = ([f"{len(ids)} block{'s' if len(ids) > 1 else ''}"] if ids else []) + \
                [f"{len(links)} link{'s' if len(links) > 1 else ''}"]
            stack.beginMacro("delete " + " and ".join(parts))
        for s, t in links:         # the links first: the blocks' own links are then restored at their places
            self.push(Disconnect(self.doc, s, t))
        if ids:
            self.push(RemoveBlocks(self.doc, ids))
        if grouped:
            stack.endMacro()

    def move(self, moves: dict) -> None:
        moves = {k: v for k, v in moves.items() if k in self.net and tuple(v[0] or ()) != tuple(v[1])}
        if moves:
            self.push(MoveBlocks(self.doc, moves))

    def rename(self, old: str, new: str) -> bool:
        if old not in self.net or old == new:
            return False
        if not new.strip():
            self.status.emit("A block's name cannot be empty.")
            return False
        if new in self.net:
            self.status.emit(f"Cannot rename '{old}' to '{new}': another block already has that name.")
            return False
        self.push(Rename(self.doc, old, new))
        self.select.emit([new])
        return True

    # ---- links ------------------------------------------------------------------------------
    def link(self, source: str, target: str) -> bool:
        problem = self.net.link_problem(source, target)
        if problem:
            self.status.emit(f"Link refused: {problem}")
            return False
        try:
            self.push(Connect(self.doc, source, target))
        except GraphError as e:
            self.status.emit(f"Link refused: {e}")
            return False
        return True

    def unlink(self, source: str, target: str) -> None:
        if any(e.source == source and e.target == target for e in self.net.edges):
            self.push(Disconnect(self.doc, source, target))

    # ---- parameters -------------------------------------------------------------------------
    def set_param(self, node_id: str, name: str, value) -> None:
        node = self.net.nodes.get(node_id)
        if node is None:
            return
        current = node.params.get(name, node.spec.resolved({}).get(name))
        if value == current and type(value) is type(current):
            return
        if value is None and node.spec.param(name) is not None and node.spec.param(name).required:
            self.status.emit(f"{node.spec.label} '{node_id}' needs {name}: give it a value.")
        self.push(SetParams(self.doc, node_id, {name: value}))

    def fix(self, node_id: str, fix) -> None:
        if node_id in self.net:
            self.push(apply_fix(self.doc, node_id, fix))
            self.status.emit(f"Applied: {fix.label}.")

    def auto_layout(self, direction: str = "tb", wrap: int | None = None) -> None:
        new = layered_layout(self.net, direction, wrap)
        moves = {nid: (self.net.nodes[nid].position, xy) for nid, xy in new.items()
                 if self.net.nodes[nid].position != tuple(xy)}
        if moves:
            self.push(MoveBlocks(self.doc, moves, text="auto layout"))

    # ---- clipboard --------------------------------------------------------------------------
    def copy(self, ids) -> bool:
        ids = [i for i in ids if i in self.net]
        if not ids:
            self.status.emit("Select blocks to copy first.")
            return False
        QGuiApplication.clipboard().setText(clipboard.to_text(clipboard.copy_blocks(self.net, ids)))
        self.status.emit(f"Copied {len(ids)} block{'s' if len(ids) != 1 else ''}.")
        return True

    def cut(self, ids) -> None:
        if self.copy(ids):
            cmd = RemoveBlocks(self.doc, ids)
            cmd.setText(cmd.text().replace("delete", "cut", 1))
            self.push(cmd)

    def paste(self) -> list[str]:
        """Paste the copied blocks; pasting the same copy again steps further down-right each time."""
        data = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if not data:
            self.status.emit("The clipboard holds no blocks to paste.")
            return []
        key = json.dumps(data, sort_keys=True)
        self._pastes = self._pastes + 1 if key == self._last_paste else 1
        self._last_paste = key
        return self._add_copies(data, "paste", self._pastes)

    def duplicate(self, ids) -> list[str]:
        ids = [i for i in ids if i in self.net]
        if not ids:
            self.status.emit("Select blocks to duplicate first.")
            return []
        return self._add_copies(clipboard.copy_blocks(self.net, ids), "duplicate")

    def _add_copies(self, data: dict, verb: str, times: int = 1) -> list[str]:
        step = clipboard.OFFSET
        nodes, edges = clipboard.paste_plan(self.net, data, (step[0] * times, step[1] * times))
        if not nodes:
            return []
        cmd = AddBlocks(self.doc, nodes, edges, text=verb)
        self.push(cmd)
        self.select.emit(cmd.node_ids)
        return cmd.node_ids
