"""The canvas's context menus: on a block, on a link and on the empty canvas. Every entry that edits
goes through the editors (one undo step each); the menus are built when asked and hold no state."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from engine import BLOCKS, GROUPS

from widgets.canvas.block_item import BlockItem
from widgets.canvas.link_item import LinkItem


def block_types_menu(parent: QMenu, title: str, pick) -> QMenu:
    """A submenu of every block type, grouped as in the palette; `pick(type_name)` on a choice."""
    menu = parent.addMenu(title)
    for group in GROUPS:
        names = [n for n, spec in BLOCKS.items() if spec.group == group]
        if not names:
            continue
        sub = menu.addMenu(group)
        for name in names:
            action = sub.addAction(BLOCKS[name].label)
            action.setStatusTip(BLOCKS[name].help)
            action.triggered.connect(lambda _c=False, n=name: pick(n))
    return menu


def block_code(net, results, node_id: str) -> str | None:
    """The PyTorch module one block becomes, e.g. `nn.Conv2d(3, 64, kernel_size=3)`, or None when the
    block has no shape yet (its input has a problem)."""
    node = net.nodes[node_id]
    r = results.get(node_id)
    if r is None or r.error or node.spec.source:
        return None
    try:
        return node.spec.module_for([results[s].tensor for s in net.inputs_of(node_id)], node.params).code()
    except (KeyError, AttributeError, TypeError, ValueError):
        return None


class CanvasMenus:
    def __init__(self, window):
        self.w = window

    def build(self, item, scene_pos) -> QMenu:
        menu = QMenu(self.w.view)
        if isinstance(item, BlockItem):
            self._block_menu(menu, item.node_id)
        elif isinstance(item, LinkItem):
            self._link_menu(menu, *item.ends)
        else:
            self._canvas_menu(menu, (scene_pos.x(), scene_pos.y()))
        return menu

    def show(self, item, screen_pos, scene_pos) -> None:
        menu = self.build(item, scene_pos)
        self.w.scene.show_menu(menu, screen_pos)

    def _block_menu(self, menu: QMenu, node_id: str) -> None:
        w, edits = self.w, self.w.canvas_edits
        net = w.doc.network
        selected = w.scene.selected_ids()
        several = len(selected) > 1
        menu.addAction("Rename…", lambda: w.rename_block(node_id)).setEnabled(not several)
        menu.addAction("Duplicate", lambda: edits.duplicate(selected or [node_id]))
        menu.addSeparator()
        n = len(selected) if several else 1
        menu.addAction("Delete" if n == 1 else f"Delete {n} blocks", w.scene.delete_selection)
        problem = edits.dissolve_problem(node_id)
        dissolve = menu.addAction("Delete and reconnect", lambda: edits.dissolve(node_id))
        dissolve.setEnabled(problem is None and not several)
        if problem:
            dissolve.setToolTip(problem)
            dissolve.setStatusTip(problem)
        has_links = bool(net.inputs_of(node_id) or net.outputs_of(node_id))
        menu.addAction("Disconnect", lambda: self.disconnect(node_id)).setEnabled(has_links)
        menu.addSeparator()
        block_types_menu(menu, "Insert after", lambda t: self.insert_after(node_id, t))
        menu.addSeparator()
        live = getattr(w, "live_views", None)
        feats = menu.addAction("Show its feature maps", lambda: w.show_block_view(node_id, "features"))
        filters = menu.addAction("Show its filters", lambda: w.show_block_view(node_id, "filters"))
        feats.setEnabled(live is not None)
        filters.setEnabled(live is not None and _has_filters(net.nodes[node_id].spec))
        code = block_code(net, w.doc.results, node_id)
        copy = menu.addAction("Copy as PyTorch code", lambda: self.copy_code(node_id))
        copy.setEnabled(code is not None)

    def _link_menu(self, menu: QMenu, source: str, target: str) -> None:
        edits, ed = self.w.canvas_edits, self.w.editor
        block_types_menu(menu, "Insert block", lambda t: edits.insert_new(t, source, target))
        menu.addSeparator()
        menu.addAction(f"Delete link {source} → {target}", lambda: ed.unlink(source, target))

    def _canvas_menu(self, menu: QMenu, at) -> None:
        w, edits = self.w, self.w.canvas_edits
        menu.addAction("Paste here", lambda: edits.paste(at)).setEnabled(w.paste_action.isEnabled())
        block_types_menu(menu, "Add block", lambda t: edits.add_at(t, at, w.scene.selected_ids()))
        menu.addSeparator()
        menu.addAction(w.layout_action)
        menu.addAction(w.fit_action)

    # ---- the entries' work --------------------------------------------------------------------
    def insert_after(self, node_id: str, type_name: str) -> None:
        """After a block with one link out: into that link; otherwise a new block linked from it."""
        net = self.w.doc.network
        outs = net.outputs_of(node_id)
        if len(outs) == 1:
            self.w.canvas_edits.insert_new(type_name, node_id, outs[0])
        else:
            self.w.canvas_edits.add_after(type_name, [node_id])

    def disconnect(self, node_id: str) -> None:
        net = self.w.doc.network
        links = [[e.source, e.target] for e in net.edges if node_id in (e.source, e.target)]
        if links:
            self.w.editor.delete([], links)
            self.w.show_status(f"Disconnected '{node_id}' ({len(links)} link{'s' if len(links) != 1 else ''}).")

    def copy_code(self, node_id: str) -> None:
        code = block_code(self.w.doc.network, self.w.doc.results, node_id)
        if code is None:
            self.w.show_status(f"'{node_id}' has no shape yet, so it has no PyTorch code.")
            return
        QGuiApplication.clipboard().setText(code)
        self.w.show_status(f"Copied the PyTorch code of '{node_id}': {code}")


def _has_filters(spec) -> bool:
    """Whether a block has filters to show: learned weights slid over its input as a kernel."""
    return spec.learnable and spec.param("kernel_size") is not None and spec.param("out_channels") is not None
