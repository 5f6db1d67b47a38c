"""The canvas scene: mirrors an `engine.Network` as block and link items and turns mouse and keyboard
gestures into intent signals. It never edits the network: the app turns each signal into an undo
command, the command edits the network, and the network's change event moves the items here.
"""
from __future__ import annotations

import weakref

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QGraphicsScene, QMenu

from engine import Network, fmt_shape
from engine.core.layout import missing_positions, place_near

from .block_item import CARD, DETAIL_LOD, TILE_LOD, BlockItem
from .link_item import LinkItem
from .linking import LinkGesture
from .style import BLOCK_H, PORT_HIT, theme

BLOCK_MIME = "application/x-netwright-block"
MARGIN = 600.0
NUDGE = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


def _weak_listener(scene, network):
    """A change listener that does not keep the scene alive: a scene kept alive only by its network
    would be freed by Python's cycle collector at an arbitrary moment, possibly while a view paints it."""
    method = weakref.WeakMethod(scene._on_change)

    def listener(change):
        bound = method()
        if bound is None:
            network.unsubscribe(listener)
        else:
            bound(change)
    return listener


class NetworkScene(QGraphicsScene):
    link_requested = Signal(str, str)
    unlink_requested = Signal(str, str)
    blocks_moved = Signal(dict)
    block_dropped = Signal(str, QPointF)
    delete_requested = Signal(list, list)     # block ids; other links [source, target]; one step
    drop_on_link_requested = Signal(str, QPointF, str, str)     # block type, where, link source, link target
    move_onto_link_requested = Signal(dict, str, str)           # moves (as blocks_moved), link source, target
    context_menu_requested = Signal(object, object, QPointF)    # BlockItem / LinkItem / None, screen pos, scene pos
    status_message = Signal(str)
    selection_ids_changed = Signal(list)
    block_activated = Signal(str)

    def __init__(self, network: Network | None = None, parent=None, direction: str = "tb"):
        super().__init__(parent)
        self.network: Network | None = None
        self.direction = direction      # "lr": ports left and right; "tb": top and bottom
        self._lit_link: LinkItem | None = None
        self._blocks: dict[str, BlockItem] = {}
        self._links: dict[tuple[str, str], LinkItem] = {}
        self._gesture: LinkGesture | None = None
        self._press: dict[str, QPointF] | None = None
        self._hovered: BlockItem | None = None
        self._quiet = False
        self._listener = None
        self._rect_cache: QRectF | None = None
        self._rect_pending = False
        self._rect_may_shrink = False
        self._stale: set = set()        # cards and links changed while out of view, repainted when next painted
        self._stale_tiles: set = set()  # those of them whose state changed too (a tile shows it; see show_results)
        self.overview_revision = 0      # bumped when the minimap's picture (block places, errors) changes
        self.selectionChanged.connect(self._on_selection)
        self.set_network(network if network is not None else Network())

    # ---- public API ------------------------------------------------------------------------------
    def set_network(self, network: Network) -> None:
        if self.network is not None:
            self.network.unsubscribe(self._listener)
        self.network = network
        self._listener = _weak_listener(self, network)
        network.subscribe(self._listener)
        self._rebuild()

    def set_direction(self, direction: str) -> None:
        """Flow left to right ("lr") or top to bottom ("tb"): moves the ports and re-routes the links
        (the blocks stay where they are; Auto Layout arranges them in the new direction)."""
        if direction == self.direction:
            return
        self.direction = direction
        for item in self._blocks.values():
            item.set_horizontal(direction == "lr")
        for link in self._links.values():
            link.update_path()
        self.update()

    def show_results(self, results: dict) -> list[str]:
        """Show shape results; returns the ids of the blocks whose shown content changed. Only what is
        in view is repainted now; a changed card or link out of view (or too small to read, zoomed far
        out) is repainted when a view next paints where it is (`draw_stale`), so an edit that changes
        hundreds of blocks costs little more than the blocks on screen. Zoomed out so far that cards are
        tiles, a card is repainted only when its state (the border's colour) changed."""
        changed = []
        readable, coarse, tiles = self._items_in_view()
        stale, stale_tiles = self._stale, self._stale_tiles
        for nid, result in results.items():
            item = self._blocks.get(nid)
            if item is None:
                continue
            state = item.state
            if not item.set_result(result):
                continue
            changed.append(nid)
            if (state == "error") != (item.state == "error"):
                self.overview_revision += 1
            if readable is None or item in readable or item in coarse:   # zoomed out a card still shows its shape
                item.update()
            elif state != item.state and item in tiles:
                item.update()
            else:
                stale.add(item)
                if state != item.state:
                    stale_tiles.add(item)
            label = fmt_shape(result.shape) if result.shape is not None else ""
            for link in item.links_out:
                if link.set_label(label):
                    if readable is None or link in readable:
                        link.update()
                    else:
                        stale.add(link)
        return changed

    def show_field_warnings(self, fields: dict) -> list[str]:
        """Show the receptive fields' warnings on the cards (`engine.core.receptive` Fields by block id, as
        the Problems list has them), so a card whose only warning is its field's turns amber too; returns
        the ids of the cards that changed. Repainted as `show_results` repaints."""
        changed = []
        readable, coarse, tiles = self._items_in_view()
        for nid, item in self._blocks.items():
            field = fields.get(nid)
            state = item.state
            if not item.set_field_warnings(field.warnings if field is not None else ()):
                continue
            changed.append(nid)
            if readable is None or item in readable or item in coarse or (state != item.state and item in tiles):
                item.update()
            else:
                self._stale.add(item)
                if state != item.state:
                    self._stale_tiles.add(item)
        return changed

    def follow_fields(self, doc) -> None:
        """Follow the document's receptive-field warnings from now on: worked out once per new results
        (after a pause on a large network; `fields_for` shares the walk with the Problems list and the
        status bar), never on a repaint."""
        from engine.core.receptive import fields_for

        from ..follow import follow_document
        follow_document(self, doc, lambda: self.show_field_warnings(fields_for(doc.network, doc.results)),
                        delay_large=True)

    def _items_in_view(self):
        """(items in a view zoomed in enough to read them, items in a view zoomed out where cards show their
        type and shape, items in a view zoomed out so far that cards are tiles); (None, None, None) when a view
        cannot draw stale items on its own (then everything is repainted at once)."""
        readable, coarse, tiles = set(), set(), set()
        for view in self.views():
            if not getattr(view, "draws_stale", False):
                return None, None, None
            rect = view.mapToScene(view.viewport().rect()).boundingRect()
            found = self.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect)
            zoom = view.transform().m11()
            (readable if zoom >= DETAIL_LOD else coarse if zoom >= TILE_LOD else tiles).update(found)
        return readable, coarse, tiles

    @property
    def has_stale(self) -> bool:
        """Whether some card or link changed without being repainted yet (it was out of view)."""
        return bool(self._stale)

    def draw_stale(self, rect: QRectF, scale: float) -> None:
        """Called by a view about to paint `rect` (scene coordinates) at `scale`: cards and links whose
        change was not drawn yet are repainted there (their cached pictures are dropped at once, so this
        very paint shows them as they are). Zoomed far out their text is not drawn, so they wait: links below
        the readable zoom, cards below the tile zoom unless their state changed."""
        if not self._stale:
            return
        stale, stale_tiles = self._stale, self._stale_tiles
        for item in self.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if item in stale and (scale >= DETAIL_LOD or isinstance(item, BlockItem)
                                  and (scale >= TILE_LOD or item in stale_tiles)):
                stale.discard(item)
                stale_tiles.discard(item)
                item.update()

    def block_positions(self) -> dict[str, tuple[float, float]]:
        """Where every block is shown (centres), those the file left unplaced included."""
        return {nid: (item.pos().x(), item.pos().y()) for nid, item in self._blocks.items()}

    def selected_ids(self) -> list[str]:
        return [nid for nid, item in self._blocks.items() if item.isSelected()]

    def select_ids(self, ids) -> None:
        wanted = set(ids)
        self._quiet = True
        try:
            for item in self.selectedItems():
                if not isinstance(item, BlockItem) or item.node_id not in wanted:
                    item.setSelected(False)
            for nid in wanted:
                if nid in self._blocks:
                    self._blocks[nid].setSelected(True)
        finally:
            self._quiet = False
        self.selection_ids_changed.emit(self.selected_ids())

    def block_rect(self, node_id: str) -> QRectF:
        """The card of a block, in scene coordinates."""
        return self._blocks[node_id].mapRectToScene(CARD)

    def block_item(self, node_id: str) -> BlockItem:
        return self._blocks[node_id]

    def link_item(self, source: str, target: str) -> LinkItem:
        return self._links[(source, target)]

    def blocks_rect(self) -> QRectF:
        """The rectangle around all blocks (empty when there are none)."""
        if self._rect_cache is None:
            rect = QRectF()
            for item in self._blocks.values():
                rect = rect.united(item.mapRectToScene(CARD))
            self._rect_cache = rect
        return QRectF(self._rect_cache)

    def restyle(self) -> None:
        """Repaint everything in the current theme (after a switch between light and dark)."""
        self.overview_revision += 1
        self._stale.clear()
        self._stale_tiles.clear()
        for item in self.items():
            item.update()

    def block_geometry_changed(self, moved: BlockItem | None = None) -> None:
        """Called by a block that moved (and on adds and removals): cached extents are stale, and the
        scene grows with a block dragged beyond it (so scrolling at the view's edge can go on). While a
        block moves the extents only grow (cheap, per frame); they are made exact when the move ends."""
        self.overview_revision += 1
        if moved is not None and self._rect_cache is not None:
            self._rect_cache = self._rect_cache.united(moved.mapRectToScene(CARD))
            self._schedule_rect(grow_only=True)
        else:
            self._rect_cache = None
            self._schedule_rect()

    def overview(self) -> list:
        """(colour, card rectangle) per block, for the minimap."""
        error = theme().error
        return [(error if item.state == "error" else item.colour, item.mapRectToScene(CARD))
                for item in self._blocks.values()]

    def block_and_port_at(self, pos: QPointF, ports_only: bool = False):
        """(block, 'in' | 'out' | 'body') under a scene position, or (None, None)."""
        views = self.views()
        scale = views[0].transform().m11() if views else 1.0
        # About 8 pixels on screen when zoomed out, but never so far that the card's middle counts as a port.
        reach = min(max(PORT_HIT, 8.0 / max(scale, 1e-3)), BLOCK_H * 0.3)
        for item in self.items(QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)):
            if isinstance(item, BlockItem):
                port = item.port_at(pos, reach)
                if port:
                    return item, port
        if not ports_only:
            for item in self.items(pos):
                if isinstance(item, BlockItem):
                    return item, "body"
        return None, None

    def link_at(self, pos: QPointF, exclude: BlockItem | None = None) -> LinkItem | None:
        """The link under a scene position (within a few screen pixels), not one of `exclude`'s own."""
        views = self.views()
        scale = views[0].transform().m11() if views else 1.0
        reach = max(6.0, 8.0 / max(scale, 1e-3))
        box = QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)
        for item in self.items(box, Qt.ItemSelectionMode.IntersectsItemShape):
            if isinstance(item, LinkItem) and exclude not in (item.source, item.target):
                return item
        return None

    def _light_link(self, link: LinkItem | None) -> None:
        """Light up the link a block would be inserted into (None: none)."""
        if link is self._lit_link:
            return
        if self._lit_link is not None and self._lit_link.scene() is self:
            self._lit_link.set_lit(False)
        self._lit_link = link
        if link is not None:
            link.set_lit(True)

    def _insertable(self) -> BlockItem | None:
        """The one block being dragged, when it could go into a link: it has no links of its own."""
        if self._press is None or len(self._press) != 1:
            return None
        item = self._blocks.get(next(iter(self._press)))
        if item is None or item.links_in or item.links_out:
            return None
        return item

    def cursor_scene_pos(self) -> QPointF:
        """The mouse in scene coordinates when it is over a view, else the middle of the first view."""
        for view in self.views():
            p = view.viewport().mapFromGlobal(QCursor.pos())
            if view.viewport().rect().contains(p):
                return view.mapToScene(p)
        if self.views():
            view = self.views()[0]
            return view.mapToScene(view.viewport().rect().center())
        return QPointF()

    # ---- mirroring the network -----------------------------------------------------------------
    def _rebuild(self) -> None:
        self._gesture = None
        self._lit_link = None
        self._hovered = None
        had_selection = bool(self.selected_ids())
        self._quiet = True
        self.clear()
        self._quiet = False
        self._stale.clear()
        self._stale_tiles.clear()
        self._blocks.clear()
        self._links.clear()
        self.block_geometry_changed()
        net = self.network
        placed = missing_positions(net, self.direction)
        for nid, node in net.nodes.items():
            self._add_block(nid, node.position if node.position is not None else placed[nid])
        for edge in net.edges:
            self._add_link(edge.source, edge.target)
        self._update_rect()
        if had_selection:
            self.selection_ids_changed.emit([])

    def _on_change(self, change) -> None:
        kind, nid = change.kind, change.node_id
        if kind == "node_added":
            node = self.network.nodes[nid]
            pos = node.position
            if pos is None:
                taken = {k: (i.pos().x(), i.pos().y()) for k, i in self._blocks.items()}
                pos = place_near(self.network, nid, taken, direction=self.direction)
            self._add_block(nid, pos)
        elif kind == "node_removed":
            self._remove_block(nid)
        elif kind == "edge_added":
            self._add_link(change.edge.source, change.edge.target)
        elif kind == "edge_removed":
            self._remove_link(change.edge.source, change.edge.target)
        elif kind == "node_moved":
            item = self._blocks.get(nid)
            p = QPointF(*change.value)
            if item is not None and item.pos() != p:
                item.setPos(p)
                self.block_geometry_changed()       # exact extents (an undo may bring a block back in)
        elif kind == "node_renamed":
            self._rename(change.name, nid)
        elif kind == "reset":
            self._rebuild()

    def _add_block(self, nid: str, pos) -> None:
        item = BlockItem(nid, self.network.nodes[nid].spec, horizontal=self.direction == "lr")
        item.setPos(QPointF(float(pos[0]), float(pos[1])))
        self._blocks[nid] = item
        self.addItem(item)
        self.block_geometry_changed()

    def _remove_block(self, nid: str) -> None:
        item = self._blocks.pop(nid, None)
        if item is None:
            return
        if item is self._hovered:
            self._hovered = None
        for link in list(item.links_in) + list(item.links_out):
            self._remove_link(*link.ends)
        self._stale.discard(item)
        self._stale_tiles.discard(item)
        self.removeItem(item)
        self.block_geometry_changed()

    def _add_link(self, source: str, target: str) -> None:
        src, dst = self._blocks[source], self._blocks[target]
        link = LinkItem(src, dst)
        self._links[(source, target)] = link
        src.links_out.append(link)
        self._order_inputs(dst, extra=link)
        self.addItem(link)
        r = src.result
        link.set_label(fmt_shape(r.shape) if r is not None and r.shape is not None else "")
        link.update_path()

    def _remove_link(self, source: str, target: str) -> None:
        link = self._links.pop((source, target), None)
        if link is None:
            return
        if link in link.source.links_out:
            link.source.links_out.remove(link)
        if link in link.target.links_in:
            link.target.links_in.remove(link)
        self._stale.discard(link)
        if link is self._lit_link:
            self._lit_link = None
        self.removeItem(link)
        self._order_inputs(link.target)

    def _order_inputs(self, block: BlockItem, extra: LinkItem | None = None) -> None:
        """Keep a block's incoming links in the network's input order (the order Add/Concat use)."""
        pool = {l.source.node_id: l for l in block.links_in}
        if extra is not None:
            pool[extra.source.node_id] = extra
        ordered = [pool[s] for s in self.network.inputs_of(block.node_id) if s in pool]
        block.links_in = ordered + [l for l in pool.values() if l not in ordered]
        if len(block.links_in) > 1 or extra is None:
            for link in block.links_in:
                link.update_path()

    def _rename(self, old: str, new: str) -> None:
        item = self._blocks.pop(old, None)
        if item is None:
            return
        self._blocks = {**self._blocks, new: item}
        item.set_node_id(new)
        self._links = {link.ends: link for link in self._links.values()}

    def _schedule_rect(self, grow_only: bool = False) -> None:
        """Update the scene rectangle once after a burst of edits (auto layout moves every block)."""
        self._rect_may_shrink |= not grow_only
        if not self._rect_pending:
            self._rect_pending = True
            QTimer.singleShot(0, self, self._update_rect)

    def ensure_rect(self) -> None:
        """Bring the scene rectangle up to date now (a view about to fit or scroll to every block)."""
        if self._rect_pending:
            self._update_rect()

    def _update_rect(self) -> None:
        self._rect_pending = False
        rect = self.blocks_rect()
        if rect.isNull():
            rect = QRectF(-400, -300, 800, 600)
        half = MARGIN / 2
        if self._rect_may_shrink or not self.sceneRect().contains(rect.adjusted(-half, -half, half, half)):
            self.setSceneRect(rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))
        self._rect_may_shrink = False

    def _on_selection(self) -> None:
        if not self._quiet:
            self.selection_ids_changed.emit(self.selected_ids())

    # ---- gestures ----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            block, port = self.block_and_port_at(event.scenePos(), ports_only=True)
            if block is not None:
                self._gesture = LinkGesture(self, block, port)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = {nid: item.pos() for nid, item in self._blocks.items() if item.isSelected()}

    def mouseMoveEvent(self, event) -> None:
        if self._gesture is not None:
            self._gesture.move(event.scenePos())
            event.accept()
            return
        if event.buttons() == Qt.MouseButton.NoButton:
            self._hover(event.scenePos())
        super().mouseMoveEvent(event)
        dragged = self._insertable()
        if dragged is not None:
            self._light_link(self.link_at(dragged.scenePos(), exclude=dragged))

    def _hover(self, pos: QPointF) -> None:
        """Light up the port under the mouse and show a cross cursor: a link can be dragged from here."""
        block, port = self.block_and_port_at(pos, ports_only=True)
        old = self._hovered
        if old is not None and old is not block and old.scene() is self:
            old.set_hover_port(None)
        self._hovered = block
        if block is not None:
            block.set_hover_port(port)
        if (block is None) != (old is None):
            for view in self.views():
                if block is not None:
                    view.viewport().setCursor(Qt.CursorShape.CrossCursor)
                else:
                    view.viewport().unsetCursor()

    def mouseReleaseEvent(self, event) -> None:
        if self._gesture is not None:
            gesture, self._gesture = self._gesture, None
            pair, reason = gesture.finish(event.scenePos())
            event.accept()
            if pair:
                self.link_requested.emit(*pair)
            elif reason:
                self.status_message.emit(reason)
            return
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        link, self._lit_link = self._lit_link, None
        if link is not None:
            link.set_lit(False)
        if press:
            moved = {}
            for nid, old in press.items():
                item = self._blocks.get(nid)
                if item is not None and item.pos() != old:
                    moved[nid] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
            if moved:
                self.block_geometry_changed()       # exact extents again
                if link is not None and link.scene() is self:
                    self.move_onto_link_requested.emit(moved, *link.ends)
                else:
                    self.blocks_moved.emit(moved)

    def mouseDoubleClickEvent(self, event) -> None:
        block, _ = self.block_and_port_at(event.scenePos())
        if block is not None and event.button() == Qt.MouseButton.LeftButton:
            self.block_activated.emit(block.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self._gesture is not None:
            self._gesture.cancel()
            self._gesture = None
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif event.key() in NUDGE and self.selected_ids():
            dx, dy = NUDGE[event.key()]
            step = 50.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 10.0
            self.nudge_selection(dx * step, dy * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def nudge_selection(self, dx: float, dy: float) -> None:
        """Move the selected blocks by (dx, dy) at once and ask for the move (arrow keys)."""
        moved = {}
        for nid in self.selected_ids():
            item = self._blocks[nid]
            old = item.pos()
            item.setPos(old + QPointF(dx, dy))
            moved[nid] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
        self.block_geometry_changed()
        self.blocks_moved.emit(moved)

    def delete_selection(self) -> None:
        """Ask to remove the selected links and blocks (links of deleted blocks go with them)."""
        ids = self.selected_ids()
        gone = set(ids)
        links = [[src, dst] for (src, dst), link in self._links.items()
                 if link.isSelected() and src not in gone and dst not in gone]
        if ids or links:
            self.delete_requested.emit(ids, links)

    def contextMenuEvent(self, event) -> None:
        """Right-click: the block, link or empty canvas under the mouse asks for its menu (the app
        builds it: every entry is an undo step)."""
        block, _ = self.block_and_port_at(event.scenePos())
        item = block if block is not None else self.link_at(event.scenePos())
        if item is not None and not item.isSelected():
            self.select_ids([])
            item.setSelected(True)
            if isinstance(item, LinkItem):
                self._on_selection()
        self.context_menu_requested.emit(item, event.screenPos(), event.scenePos())
        event.accept()

    def show_menu(self, menu: QMenu, screen_pos) -> None:
        """Run a context menu (a separate method so tests can stand in for the modal loop)."""
        menu.exec(screen_pos)

    def helpEvent(self, event) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, BlockItem):
                item.refresh_tooltip()          # tooltips are written only when one is about to show
                break
        super().helpEvent(event)

    # ---- drops from the palette --------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
            self._light_link(self.link_at(event.scenePos()))       # dropped here, it goes into this link
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event) -> None:
        self._light_link(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            type_name = bytes(event.mimeData().data(BLOCK_MIME)).decode("utf-8")
            event.acceptProposedAction()
            link = self.link_at(event.scenePos())
            self._light_link(None)
            if link is not None:
                self.drop_on_link_requested.emit(type_name, event.scenePos(), *link.ends)
            else:
                self.block_dropped.emit(type_name, event.scenePos())
        else:
            super().dropEvent(event)
