"""The link gesture: press on a port, drag a rubber link, release on another block's port.

It decides, never edits: `finish` returns the (source, target) pair to request, or the sentence
saying why that link cannot be made, straight from `network.link_problem`.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF

from .link_item import RubberLink


class LinkGesture:
    def __init__(self, scene, block, port: str):
        self.scene = scene
        self.block = block
        self.port = port                    # the port the drag started from: "out" or "in"
        self._lit = None                    # the block whose port would take the link
        anchor = block.output_anchor() if port == "out" else block.input_anchor()
        self.rubber = RubberLink(anchor, from_output=port == "out", horizontal=block.horizontal)
        scene.addItem(self.rubber)

    def _judge(self, pos: QPointF) -> tuple[tuple[str, str] | None, str | None]:
        """((source, target), None) for a link that can be made, (None, reason) for one that cannot,
        (None, None) when the mouse is over nothing."""
        other, port = self.scene.block_and_port_at(pos)
        if other is None or (other is self.block and port == self.port):
            return None, None
        if port == self.port and other is not self.block:
            ends = "outputs" if port == "out" else "inputs"
            return None, (f"'{self.block.node_id}' and '{other.node_id}': both ends are {ends}; drag from a "
                          "block's output port to another block's input port.")
        if self.port == "out":
            pair = (self.block.node_id, other.node_id)
        else:
            pair = (other.node_id, self.block.node_id)
        problem = self.scene.network.link_problem(*pair)
        if problem:
            return None, problem
        return pair, None

    def move(self, pos: QPointF) -> None:
        pair, reason = self._judge(pos)
        self.rubber.set_end(pos, True if pair else (False if reason else None))
        target = None
        if pair:                    # light up the port the link would attach to
            other = self.scene.block_item(pair[1] if self.port == "out" else pair[0])
            target = (other, "in" if self.port == "out" else "out")
        if self._lit is not None and (target is None or self._lit is not target[0]):
            self._lit.set_hover_port(None)
        self._lit = target[0] if target else None
        if target:
            target[0].set_hover_port(target[1])

    def finish(self, pos: QPointF) -> tuple[tuple[str, str] | None, str | None]:
        result = self._judge(pos)
        self.cancel()
        return result

    def cancel(self) -> None:
        if self.rubber.scene() is not None:
            self.scene.removeItem(self.rubber)
        if self._lit is not None and self._lit.scene() is self.scene:
            self._lit.set_hover_port(None)
        self._lit = None
