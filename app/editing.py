"""Turns the views' intents (scene, palette, inspector, problems list, menus) into undo commands on
the document, and refuses edits the network or the loader would refuse with a sentence for the status
bar (the commands check what they bring in before they are pushed: app/validation.py)."""
from __future__ import annotations

import json

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from engine import BLOCKS, GraphError
from engine.core.blocks import starter_params
from engine.core.layout import layered_layout, place_near

from . import clipboard
from .commands import (AddBlock, Connect, Disconnect, MoveBlocks, RemoveBlocks, Rename, SetParams,
                       apply_fix)
from .validation import same

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

    def attempt(self, make, refused: str = "Edit refused"):
        """Make a command and push it; None with the reason in the status bar when it is refused."""
        try:
            command = make()
        except GraphError as e:
            self.status.emit(f"{refused}: {e}")
            return None
        self.push(command)
        return command

    # ---- blocks -----------------------------------------------------------------------------
    def add_block(self, type_name: str, position=None) -> str | None:
        if type_name not in BLOCKS:
            self.status.emit(f"Unknown block type '{type_name}'.")
            return None
        pos = (position.x(), position.y()) if hasattr(position, "x") else position
        cmd = self.attempt(lambda: AddBlock(self.doc, type_name, starter_params(type_name), pos), "Cannot add it")
        if cmd is None:
            return None
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
        cmd = self.attempt(lambda: AddBlock(self.doc, type_name, params, pos, None if problem else source,
                                            node_id=new_id), "Cannot add it")
        if cmd is None:
            return None
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
            self.attempt(lambda: MoveBlocks(self.doc, moves), "Cannot move it there")

    def rename(self, old: str, new: str) -> bool:
        if old not in self.net or old == new:
            return False
        if not new.strip():
            self.status.emit("A block's name cannot be empty.")
            return False
        if new in self.net:
            self.status.emit(f"Cannot rename '{old}' to '{new}': another block already has that name.")
            return False
        if self.attempt(lambda: Rename(self.doc, old, new), f"Cannot rename '{old}'") is None:
            return False
        self.select.emit([new])
        return True

    # ---- links ------------------------------------------------------------------------------
    def link(self, source: str, target: str) -> bool:
        problem = self.net.link_problem(source, target)
        if problem:
            self.status.emit(f"Link refused: {problem}")
            return False
        return self.attempt(lambda: Connect(self.doc, source, target), "Link refused") is not None

    def unlink(self, source: str, target: str) -> None:
        if any(e.source == source and e.target == target for e in self.net.edges):
            self.push(Disconnect(self.doc, source, target))

    # ---- parameters -------------------------------------------------------------------------
    def set_param(self, node_id: str, name: str, value) -> bool:
        """Set a parameter (None: back to the default). A value the block's parameter cannot hold (the
        wrong type, not finite, not loadable) is refused with the reason in the status bar."""
        node = self.net.nodes.get(node_id)
        if node is None:
            return False
        try:
            command = SetParams(self.doc, node_id, {name: value})
        except GraphError as e:
            self.status.emit(f"Not set: {e}")
            return False
        value = command.new[name]
        param = node.spec.param(name)
        current = node.params.get(name, param.default if param is not None and not param.required else None)
        if same(value, current) or (value is None and name not in node.params):
            return False
        if value is None and param is not None and param.required:
            self.status.emit(f"{node.spec.label} '{node_id}' needs {name}: give it a value.")
        self.push(command)
        return True

    def fix(self, node_id: str, fix) -> bool:
        if node_id not in self.net:
            return False
        if self.attempt(lambda: apply_fix(self.doc, node_id, fix), f"Cannot apply '{fix.label}'") is None:
            return False
        self.status.emit(f"Applied: {fix.label}.")
        return True

    def auto_layout(self, direction: str = "tb", wrap: int | None = None) -> None:
        new = layered_layout(self.net, direction, wrap)
        moves = {nid: (self.net.nodes[nid].position, xy) for nid, xy in new.items()
                 if self.net.nodes[nid].position != tuple(xy)}
        if moves:
            self.attempt(lambda: MoveBlocks(self.doc, moves, text="auto layout"), "Cannot lay it out")

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
        try:
            key = json.dumps(data, sort_keys=True)
        except (ValueError, RecursionError):
            key = None
        pastes = self._pastes + 1 if key is not None and key == self._last_paste else 1
        ids = self._add_copies(data, "paste", pastes)
        if ids:
            self._pastes, self._last_paste = pastes, key
        return ids

    def duplicate(self, ids) -> list[str]:
        ids = [i for i in ids if i in self.net]
        if not ids:
            self.status.emit("Select blocks to duplicate first.")
            return []
        return self._add_copies(clipboard.copy_blocks(self.net, ids), "duplicate")

    def _add_copies(self, data: dict, verb: str, times: int = 1) -> list[str]:
        step = clipboard.OFFSET
        cmd = self.attempt(lambda: clipboard.paste_command(self.doc, data, (step[0] * times, step[1] * times), verb),
                           f"Cannot {verb}")
        if cmd is None:
            return []
        self.select.emit(cmd.node_ids)
        return cmd.node_ids
