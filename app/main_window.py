"""The main window: canvas in the middle, palette left, inspector and "Shapes explained" right,
summary and problems below; menus, toolbar and status bar. It wires the views' intent signals to
the editor (app/editing.py), which turns them into undo commands on the document."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox

from engine.core.layout import best_wrap
from widgets import folders
from widgets.action_icons import themed_icon
from widgets.canvas import NetworkScene, NetworkView
from widgets.explain import ExplainPanel
from widgets.follow import LARGE_NETWORK, follow_document  # noqa: F401  (LARGE_NETWORK: tables follow after a pause)
from widgets.inspector import Inspector
from widgets.palette import BlockPalette
from widgets.problems import ProblemsPanel
from widgets.summary import SummaryPanel

from . import RESOURCES
from .bridge_actions import install_bridge
from .canvas_edits import CanvasEdits
from .canvas_menus import CanvasMenus
from .document import Document
from .editing import Editor
from .files import FileActions
from .learn import install_learn, open_filter
from .recovery import Recovery
from .settings import Settings, data_dir
from .theme import apply_theme

AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea, "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea, "top": Qt.DockWidgetArea.TopDockWidgetArea}
# The menus that are plain lists of the window's actions (None: a separator), and the canvas's actions
# whose shortcuts work where the canvas has the focus.
EDIT_MENU = ("undo_action", "redo_action", None, "cut_action", "copy_action", "paste_action", "duplicate_action",
             "delete_action", "dissolve_action", None, "quick_add_action", "select_all_action")
VIEW_MENU = ("zoom_in_action", "zoom_out_action", "reset_zoom_action", "fit_action", None, "layout_action")
CANVAS_ACTIONS = ("cut_action", "copy_action", "paste_action", "duplicate_action", "delete_action",
                  "select_all_action", "fit_action", "reset_zoom_action", "dissolve_action")
LAYOUT_DIRECTIONS = (("lr", "&Left to Right"), ("tb", "&Top to Bottom"))
THEMES = (("light", "Light"), ("dark", "Dark"))
WELCOME = ("Drag blocks from the palette onto the canvas (or press Tab over it), link them by dragging from a "
           "block's output port to another's input port, and select a block to edit it. Shapes update as you type.")


class _StepAction(QAction):
    """Undo or Redo for the toolbar: a short label (the menu's says what it undoes, which would make the
    toolbar jump) with what it will do in its tooltip."""

    def __init__(self, icon, text: str, parent, step, can_changed, text_changed):
        super().__init__(icon, text, parent)
        self.text_prefix = text
        self.setEnabled(False)
        self.triggered.connect(step)
        can_changed.connect(self.setEnabled)
        text_changed.connect(self._follow)

    def _follow(self, what: str) -> None:
        self.setToolTip(f"{self.text_prefix} {what}" if what else self.text_prefix)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, recovery_folder: Path | None = None,
                 defer_extras: bool = False):
        """`defer_extras`: add the panels whose modules are slow to import (training: numpy, data sets)
        later with `install_extras`, so the window itself appears at once (app.gui does this)."""
        super().__init__()
        self.settings = settings or Settings()
        folders.remember(self.settings.last_folder)          # file dialogs start where they were last used
        folders.keep_out(RESOURCES)                           # ... but never in the app's own examples
        self.doc = Document(parent=self)
        self.editor = Editor(self.doc, self)
        self.doc.layout_direction = self.settings.layout_direction
        self.scene = NetworkScene(self.doc.network, self, direction=self.settings.layout_direction)
        self.view = NetworkView(self.scene, self)
        self.view.set_minimap_enabled(self.settings.show_minimap)
        self.canvas_edits = CanvasEdits(self.editor, self.scene.block_positions, lambda: self.scene.direction, self)
        self.canvas_menus = CanvasMenus(self)
        self.setCentralWidget(self.view)
        self.setDockNestingEnabled(True)
        self.setAcceptDrops(True)
        self.setWindowTitle("Netwright")
        # An explicit minimum: the window's size limits then stay put when panel contents change.
        self.setMinimumSize(720, 480)
        self.docks: list[QDockWidget] = []

        self.block_palette = BlockPalette(self)
        self.inspector = Inspector(self)
        self.explain = ExplainPanel(self)
        self.summary = SummaryPanel(self)
        self.summary.batch.setValue(self.settings.batch_size)
        self.problems = ProblemsPanel(self)
        self.palette_dock = self.add_dock(self.block_palette, "Blocks", "left")
        self.inspector_dock = self.add_dock(self.inspector, "Inspector", "right")
        self.explain_dock = self.add_dock(self.explain, "Shapes explained", "right")
        self.summary_dock = self.add_dock(self.summary, "Summary", "bottom")
        self.problems_dock = self.add_dock(self.problems, "Problems", "bottom")
        self.tabifyDockWidget(self.summary_dock, self.problems_dock)     # a tab beside Summary (and Live views)
        self.summary_dock.raise_()
        self.splitDockWidget(self.inspector_dock, self.explain_dock, Qt.Orientation.Vertical)

        self.recovery = Recovery(self.doc, recovery_folder or data_dir(), self)
        self.files = FileActions(self)
        self.shape_status = QLabel(self)
        self.statusBar().addPermanentWidget(self.shape_status)
        self._build_actions()
        install_bridge(self, self.file_menu, self.quit_action)     # File → Import / Export ▸, the Code panel
        self._wire()
        install_learn(self)
        self.extras_installed = False
        self._live_views_sized = False
        if not defer_extras:
            self.install_extras()
        self.view.viewport().installEventFilter(self)     # files dropped on the canvas open too
        self.default_layout = self.saveState()           # View → Reset Layout goes back to this
        self.lock_docks(self.settings.docks_locked)
        self._refresh_title()
        self.statusBar().showMessage(WELCOME)

    # ---- docks ------------------------------------------------------------------------------
    def add_dock(self, widget, title: str, area: str = "right") -> QDockWidget:
        """Put a widget in a movable, hideable dock; it gets an entry in the View menu."""
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower() + "_dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(AREAS.get(area, area) if isinstance(area, str) else area, dock)
        self.docks.append(dock)
        if self.isVisible():
            dock.show()
        if hasattr(self, "docks_end"):
            self.view_menu.insertAction(self.docks_end, dock.toggleViewAction())
        return dock

    def install_extras(self) -> None:
        """The training panel and its controller (they import numpy and the data sets)."""
        if self.extras_installed:
            return
        self.extras_installed = True
        from engine.runtime.run_model import RunModel
        from widgets.live_views import LiveViews

        from .training_controller import install_training
        self.run = RunModel()             # the current run: the training panel, live views and menu mirror it
        self.live_views = LiveViews(self.run, self.doc.network, self)
        self.live_views_dock = self.add_dock(self.live_views, "Live views", "bottom")
        self.live_views.open_in_lab.connect(lambda name, weights: open_filter(self, name, weights))
        self.tabifyDockWidget(self.summary_dock, self.live_views_dock)   # design first: Summary in front
        self.summary_dock.raise_()
        self.live_views_dock.visibilityChanged.connect(      # its tab raised: build the views a moment later
            lambda shown: shown and QTimer.singleShot(150, self.live_views.ensure_views_on_screen))
        self.scene.selection_ids_changed.connect(self._follow_selection_in_views)
        install_training(self)
        self.training_controller.started.connect(lambda _payload: self.show_live_views())
        self._add_training_toolbar()
        self.explain_dock.raise_()                  # design first: the shapes stay in view, Training a tab away
        self.default_layout = self.saveState()
        self.lock_docks(self.settings.docks_locked)
        if self.settings.q.value("window/state"):
            self.settings.restore_dock_state(self)     # the saved layout places the panels added now
        elif self.isVisible():
            QTimer.singleShot(0, self, self._default_dock_sizes)     # the new panels take their default room

    def _add_training_toolbar(self) -> None:
        """Start / Pause / Stop, data set, epochs and progress, always above the canvas."""
        from widgets.training_toolbar import TrainingToolbar
        actions = getattr(self, "training_actions", [])
        for action, name in zip(actions, ("play", "pause", "stop")):
            action.setIcon(themed_icon(name))
        from engine.runtime.run_model import RunEvent
        self.training_toolbar = TrainingToolbar(self.training_panel, actions, self)
        self.run.subscribe(RunEvent.STATE, self.training_toolbar.follow_state)    # after the panel's
        self.addToolBar(self.training_toolbar)

    def show_live_views(self) -> None:
        """A run started: bring the live views to the front, the first time with room to read them
        (later, the height the user gave the dock is kept)."""
        self.live_views_dock.show()
        self.live_views_dock.raise_()
        if not self._live_views_sized and not self.live_views_dock.isFloating():
            self._live_views_sized = True
            want = int(self.height() * 0.45)
            if self.live_views_dock.height() < want:
                self.resizeDocks([self.live_views_dock], [want], Qt.Orientation.Vertical)

    def _follow_selection_in_views(self, ids: list) -> None:
        """One block selected on the canvas: the feature-map view shows its activations."""
        if len(ids) == 1:
            self.live_views.set_block(ids[0])

    # ---- actions and menus ------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, icon=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        if isinstance(icon, str):
            self.set_themed_icon(a, icon)
        elif icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    def _build_actions(self) -> None:
        self._make_actions()
        for name in CANVAS_ACTIONS:                # their shortcuts act where the canvas has the focus
            a = getattr(self, name)
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(a)
        self._file_menu()
        self._fill(self.menuBar().addMenu("&Edit"), EDIT_MENU)
        self._view_menu()
        self.help_menu = self.menuBar().addMenu("&Help")
        self.help_menu.addAction(self._action("&Keyboard Shortcuts", self.show_shortcuts, "F1"))
        self.help_menu.addAction(self._action("&About Netwright", self.show_about))
        self._main_toolbar()

    def _make_actions(self) -> None:
        """The window's actions, one row each: attribute, text, what it does, shortcut, icon, status tip."""
        KS = QKeySequence.StandardKey
        f, ed, ce, view, sel = self.files, self.editor, self.canvas_edits, self.view, self.scene.selected_ids
        table = (
            ("new_action", "&New", f.new, KS.New, "new", "Start an empty network"),
            ("open_action", "&Open…", f.open_dialog, KS.Open, "open", ""),
            ("save_action", "&Save", f.save, KS.Save, "save", ""),
            ("save_as_action", "Save &As…", f.save_as, KS.SaveAs, None, ""),
            ("quit_action", "&Quit", self.close, "Ctrl+Q", None, ""),
            ("cut_action", "Cu&t", lambda: ed.cut(sel()), KS.Cut, None, ""),
            ("copy_action", "&Copy", lambda: ed.copy(sel()), KS.Copy, None, ""),
            ("paste_action", "&Paste", ce.paste, KS.Paste, None, ""),
            ("duplicate_action", "&Duplicate", lambda: ce.duplicate(sel()), "Ctrl+D", None, ""),
            ("dissolve_action", "Delete and &Reconnect", self._dissolve_selection, "Ctrl+Backspace", None,
             "Delete the selected block and link its input to what it fed"),
            ("quick_add_action", "&Quick Add…", self._quick_add_here, None, None,
             "Search for a block and add it at the mouse (Tab over the canvas)"),
            ("delete_action", "De&lete", self.scene.delete_selection, KS.Delete, None, ""),
            ("select_all_action", "Select &All", lambda: self.scene.select_ids(self.doc.network.nodes), KS.SelectAll,
             None, ""),
            ("zoom_in_action", "Zoom &In", view.zoom_in, KS.ZoomIn, None, ""),
            ("zoom_out_action", "Zoom &Out", view.zoom_out, KS.ZoomOut, None, ""),
            ("reset_zoom_action", "&Actual Size (100 %)", view.reset_zoom, ["Ctrl+0", "1"], None, ""),
            ("fit_action", "&Fit All", view.fit_all, ["F", "Home"], "fit", "Show the whole network"),
            ("layout_action", "Auto &Layout", self._auto_layout, "Ctrl+L", "layout",
             "Arrange the blocks in layers (undoable)"),
        )
        for name, text, slot, shortcut, icon, tip in table:
            setattr(self, name, self._action(text, slot, shortcut, icon, tip))
        self.undo_action = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(KS.Undo)
        self.set_themed_icon(self.undo_action, "undo")
        self.redo_action = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.set_themed_icon(self.redo_action, "redo")

    def _fill(self, menu: QMenu, names) -> QMenu:
        """Add the named actions to a menu; None is a separator."""
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(getattr(self, name))
        return menu

    def _file_menu(self) -> None:
        m = self.file_menu = self._fill(self.menuBar().addMenu("&File"), ("new_action", "open_action"))
        self.recent_menu = m.addMenu("Open &Recent")
        self.examples_menu = m.addMenu("&Examples")
        self._fill(m, (None, "save_action", "save_as_action", None, "quit_action"))
        self.recent_menu.aboutToShow.connect(self.files.fill_recent_menu)
        self.files.fill_examples_menu()
        self.files.fill_recent_menu()

    def _choice(self, menu: QMenu, choices, current: str, choose) -> dict[str, QAction]:
        """Checkable actions of which one is chosen: {name: action} for (name, title) pairs."""
        group = QActionGroup(self)
        actions = {}
        for name, title in choices:
            a = QAction(title, self, checkable=True)
            a.setChecked(current == name)
            a.triggered.connect(lambda _c=False, n=name: choose(n))
            group.addAction(a)
            menu.addAction(a)
            actions[name] = a
        return actions

    def _toggle(self, text: str, checked: bool, slot, tip: str = "") -> QAction:
        a = QAction(text, self, checkable=True)
        a.setChecked(checked)
        if tip:
            a.setStatusTip(tip)
        a.toggled.connect(slot)
        return a

    def _view_menu(self) -> None:
        m = self.view_menu = self._fill(self.menuBar().addMenu("&View"), VIEW_MENU)
        self.direction_actions = self._choice(m.addMenu("Layout &Direction"), LAYOUT_DIRECTIONS,
                                              self.scene.direction, self.set_direction)
        self.minimap_action = self._toggle("Show &Minimap", self.view.minimap_enabled, self._show_minimap)
        m.addAction(self.minimap_action)
        m.addSeparator()
        m.addSection("Panels")
        for dock in self.docks:
            m.addAction(dock.toggleViewAction())
        self.docks_end = m.addSeparator()       # panels added later go above this line
        m.addAction(self._action("&Reset Layout", self.reset_layout, tip="Every panel back in its place"))
        self.lock_action = self._toggle("Loc&k Panels", self.settings.docks_locked, self.lock_docks,
                                        "Panels cannot be moved or torn off while locked")
        m.addAction(self.lock_action)
        m.addSeparator()
        self.theme_actions = self._choice(m.addMenu("&Theme"), THEMES, self.settings.theme, self.set_theme)

    def _main_toolbar(self) -> None:
        tb = self.toolbar = self.addToolBar("Main")
        tb.setObjectName("main_toolbar")
        tb.setIconSize(QSize(18, 18))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.new_action, self.open_action, self.save_action):
            tb.addAction(a)
            tb.widgetForAction(a).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)   # room for the training bar
            a.setToolTip(f"{a.text().replace('&', '').replace('…', '')} ({a.shortcut().toString()})")
        tb.addSeparator()
        stack = self.doc.undo_stack
        self.undo_step = _StepAction(self.undo_action.icon(), "Undo", self, stack.undo, stack.canUndoChanged,
                                     stack.undoTextChanged)
        self.redo_step = _StepAction(self.redo_action.icon(), "Redo", self, stack.redo, stack.canRedoChanged,
                                     stack.redoTextChanged)
        self.set_themed_icon(self.undo_step, "undo")
        self.set_themed_icon(self.redo_step, "redo")
        tb.addAction(self.undo_step)
        tb.addAction(self.redo_step)
        tb.addSeparator()
        tb.addAction(self.fit_action)
        tb.addAction(self.layout_action)

    def add_menu(self, title: str) -> QMenu:
        """A new top-level menu before Help (for features added later, such as training)."""
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        return menu

    # ---- wiring -----------------------------------------------------------------------------
    def _wire(self) -> None:
        s, ed, doc = self.scene, self.editor, self.doc
        s.link_requested.connect(ed.link)
        s.unlink_requested.connect(ed.unlink)
        s.blocks_moved.connect(ed.move)
        s.block_dropped.connect(ed.add_block)
        s.drop_on_link_requested.connect(self.canvas_edits.drop_on_link)
        s.move_onto_link_requested.connect(self.canvas_edits.move_onto_link)
        s.context_menu_requested.connect(self.canvas_menus.show)
        self.view.quick_add_chosen.connect(
            lambda t, at: self.canvas_edits.quick_add(t, (at.x(), at.y()), self.scene.selected_ids()))
        self.canvas_edits.reveal.connect(self._reveal_later)
        s.delete_requested.connect(ed.delete)
        s.status_message.connect(self.show_status)
        s.block_activated.connect(self._activate_block)
        ed.status.connect(self.show_status)
        self.recovery.failed.connect(self.show_status)
        ed.select.connect(self._select_later)
        self.block_palette.add_requested.connect(lambda t: self.canvas_edits.add_after(t, self.scene.selected_ids()))
        self.inspector.param_edit_requested.connect(ed.set_param)
        self.inspector.rename_requested.connect(ed.rename)
        self.problems.block_selected.connect(self.select_block)
        self.problems.fix_requested.connect(self.canvas_edits.fix)
        self.summary.block_selected.connect(self.select_block)
        self.summary.batch_size_changed.connect(lambda b: setattr(self.settings, "batch_size", b))
        # the views follow the document by themselves; the window only composes them
        doc.results_changed.connect(s.show_results)
        s.show_results(doc.results)
        s.follow_fields(doc)              # the receptive fields' warnings turn their cards amber too
        self.inspector.follow(doc, s)
        self.explain.follow(doc, s)
        self.problems.counted.connect(self._title_problems)
        self.problems.follow(doc)
        self.summary.follow(doc)
        self._field_warnings = 0          # the receptive fields' warnings: they walk the network, so on a
        doc.results_changed.connect(self._refresh_shape_status)       # large one they follow after a pause
        follow_document(self, doc, self._count_field_warnings, delay_large=True)
        self._step_index = doc.undo_stack.index()
        doc.undo_stack.indexChanged.connect(self._announce_step)
        doc.undo_stack.undoTextChanged.connect(self._announce_merge)
        doc.modified_changed.connect(lambda _m: self._refresh_title())
        doc.path_changed.connect(lambda _p: self._refresh_title())

    def _announce_step(self, index: int) -> None:
        """The status bar tells the last edit, undo or redo (an editor's own sentence follows it when it has
        one), so an earlier message never stays up as if it were news."""
        stack = self.doc.undo_stack
        before, self._step_index = self._step_index, index
        announced = getattr(self, "_announced", None)
        if index < before and index == stack.count() and announced is not None and before == index + 1:
            # the newest step merged back to no change and was dropped (typed 1, then 1.5 out of range)
            text, self._announced = f"{announced[1].rstrip('.')}: back as it was (no step to undo).", None
            self.show_status(text)
            return
        if index < before:
            text = f"Undone: {stack.text(index)}."
        elif index > before:
            command = stack.command(index - 1)
            redone = getattr(command, "announced", False)      # marked on the command itself: an id can be reused
            text = f"Redone: {stack.text(index - 1)}." if redone else \
                stack.text(index - 1)[:1].upper() + stack.text(index - 1)[1:] + "."
            command.announced = True
        else:
            return
        # a new step (not an undo or a redo) may grow by merging: _announce_merge tells its new text
        self._announced = (stack.command(index - 1), text) if index > before and not redone else None
        self.show_status(text)

    def _announce_merge(self, _text: str) -> None:
        """A step merged into the last one (a spin box stepped or typed on: 4, then 40) tells its new text."""
        stack = self.doc.undo_stack
        index = stack.index()
        announced = getattr(self, "_announced", None)
        if announced is None or index != self._step_index or index == 0 or stack.command(index - 1) is not announced[0]:
            return
        text = stack.text(index - 1)
        text = text[:1].upper() + text[1:] + "."
        if text != announced[1]:
            self._announced = (announced[0], text)
            self.show_status(text)

    def _refresh_tables(self) -> None:
        """Redraw the summary and the problems now (a theme switch; what their pause timers run)."""
        self.problems.refresh()
        self.summary.refresh()

    def _title_problems(self, n: int) -> None:
        """The Problems tab says how many there are (its tab may be behind Summary)."""
        self.problems_dock.setWindowTitle(f"Problems ({n})" if n else "Problems")

    def _count_field_warnings(self) -> None:
        from engine.core.receptive import fields_for
        fields = fields_for(self.doc.network, self.doc.results)       # the Problems list counts these too
        self._field_warnings = sum(len(f.warnings) for f in fields.values() if f is not None)
        self._refresh_shape_status(self.doc.results)

    def _refresh_shape_status(self, results: dict) -> None:
        errors = sum(1 for r in results.values() if r.error and not r.blocked)
        warnings = sum(len(r.warnings) for r in results.values()) + self._field_warnings
        params = sum(r.params or 0 for r in results.values())
        if not results:
            text = "Empty network"
        elif errors:
            text = f"✖ {errors} error{'s' if errors != 1 else ''}"
        else:
            text = "✔ Shapes OK"
        self.shape_status.setText(f"{text} · {warnings} warning{'s' if warnings != 1 else ''} · {params:,} parameters")

    def _show_selection(self) -> None:
        self.inspector.refresh()
        self.explain.refresh()

    def _select_later(self, ids: list) -> None:
        self.scene.select_ids(ids)

    def select_block(self, node_id: str) -> None:
        if node_id in self.doc.network:
            self.scene.select_ids([node_id])
            item_rect = self.scene.block_rect(node_id)
            self.view.ensureVisible(item_rect, 40, 40)
            self.view.keep_clear(item_rect)

    def show_network_start(self) -> None:
        """Fit the network in view (zoomed out, cards show their type and shape in large letters), and
        keep it fitted while the window and its panels take their sizes, until the user zooms or pans."""
        self.view.fit_all()
        self.view.keep_fitted = True

    def _reveal_later(self, node_id: str) -> None:
        """Scroll a block just placed into view, once the scene has its item."""
        QTimer.singleShot(0, self, lambda: self.reveal_block(node_id))

    def reveal_block(self, node_id: str) -> None:
        if node_id in self.doc.network:
            self.view.ensureVisible(self.scene.block_rect(node_id), 60, 60)
            QTimer.singleShot(0, self, lambda: node_id in self.doc.network
                              and self.view.keep_clear(self.scene.block_rect(node_id)))   # after the minimap shows

    def set_direction(self, direction: str) -> None:
        """Lay the network out left to right or top to bottom (remembered; the re-layout is one undo step)."""
        self.settings.layout_direction = direction
        self.doc.layout_direction = direction
        self.direction_actions[direction].setChecked(True)
        if direction != self.scene.direction:
            self.scene.set_direction(direction)
            self._auto_layout()
        self.show_status("Layout: " + ("left to right." if direction == "lr" else "top to bottom."))

    def _show_minimap(self, on: bool) -> None:
        self.settings.show_minimap = on
        self.view.set_minimap_enabled(on)

    def _dissolve_selection(self) -> None:
        ids = self.scene.selected_ids()
        if len(ids) == 1:
            self.canvas_edits.dissolve(ids[0])
        else:
            self.show_status("Select one block to delete and reconnect.")

    def _quick_add_here(self) -> None:
        self.view.setFocus()
        self.view.open_quick_add(self.scene.cursor_scene_pos())

    def rename_block(self, node_id: str) -> None:
        """Rename from the canvas: the inspector's name field, focused and selected (Enter applies it)."""
        self.select_block(node_id)
        self._show_selection()
        self._activate_block(node_id)
        self.inspector.id_edit.selectAll()

    def show_block_view(self, node_id: str, view: str) -> None:
        """The live view of one block (its feature maps or its filters), brought to the front."""
        live = getattr(self, "live_views", None)
        if live is None:
            return
        self.live_views_dock.show()
        self.live_views_dock.raise_()
        live.set_block(node_id)
        from widgets.live_views import TABS
        tabs = getattr(live, "tabs", None)
        names = [name for name, _ in TABS]
        if tabs is not None and view in names:
            tabs.setCurrentIndex(names.index(view))
        if view == "filters" and hasattr(live, "_request"):
            live._request(filters_block=node_id)
        self.show_status(f"Live views: the {'filters' if view == 'filters' else 'feature maps'} of '{node_id}' "
                         "(shown while a run trains).")

    def _activate_block(self, node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.id_edit.setFocus()

    def canvas_size(self) -> tuple[int, int]:
        """The canvas's size in pixels, or an estimate from the screen before the window is shown."""
        vp = self.view.viewport()
        if self.isVisible() and vp.width() > 300 and vp.height() > 200:
            return vp.width(), vp.height()
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None or screen.width() <= 0:
            return 1000, 600
        return int(screen.width() * 0.6), int(screen.height() * 0.55)

    def wrap_for(self, net) -> int | None:
        """Layers per band for a long network laid out left to right, so it fits the canvas readably."""
        if self.scene.direction != "lr":
            return None
        return best_wrap(net, *self.canvas_size())

    def _auto_layout(self) -> None:
        self.editor.auto_layout(self.scene.direction, self.wrap_for(self.doc.network))
        QTimer.singleShot(0, self, self.view.fit_all)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    # ---- window state -----------------------------------------------------------------------
    def _refresh_title(self) -> None:
        self.setWindowTitle(f"{self.doc.display_name}[*] — Netwright")
        self.setWindowModified(self.doc.modified)

    def set_theme(self, name: str) -> None:
        self.settings.theme = name
        app = QApplication.instance()
        apply_theme(app, name)
        self.theme_actions[name].setChecked(True)
        self.scene.update()
        for label in self.findChildren(QLabel):      # style sheets read palette colours when applied
            if "palette(" in label.styleSheet():
                label.setStyleSheet(label.styleSheet())
        self.summary.restyle()                         # cells coloured for the old theme are written again
        self._refresh_tables()
        self._redraw_icons()
        plots = sys.modules.get("widgets.plots")        # imported once live views were shown
        if plots is not None:
            plots.follow_theme()
        self.show_status(f"{name.capitalize()} theme.")

    def set_themed_icon(self, action: QAction, name: str) -> None:
        """An icon drawn in the theme's text colour; drawn again when the theme changes."""
        if not hasattr(self, "_themed_icons"):
            self._themed_icons = []
        self._themed_icons.append((action, name))
        action.setIcon(themed_icon(name))

    def _redraw_icons(self) -> None:
        for action, name in getattr(self, "_themed_icons", []):
            action.setIcon(themed_icon(name))
        for action, name in zip(getattr(self, "training_actions", []), ("play", "pause", "stop")):
            action.setIcon(themed_icon(name))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every key the window answers to, for Help → Keyboard Shortcuts: each menu entry with keys
        (read from the menus, so none is forgotten) and the canvas's own keys and gestures."""
        rows, seen = [], set()

        def walk(menu):
            for action in menu.actions():
                if action.menu() is not None:
                    walk(action.menu())
                    continue
                keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                if keys and keys not in seen:
                    seen.add(keys)
                    rows.append((keys, action.text().replace("&", "").replace("…", "")))
        for action in self.menuBar().actions():
            if action.menu() is not None:
                walk(action.menu())
        return rows + [
            ("Backspace", "Delete the selection (as Del)"),
            ("Arrow keys (Shift: further)", "Move the selected blocks"),
            ("Tab (over the canvas)", "Quick add: type a block's name, Enter puts it into the selected block's "
                                      "only link when it fits there, else at the mouse"),
            ("Wheel / middle drag / Space+drag", "Zoom / pan the canvas"),
            ("Drag from an output port", "Link a block's output to another's input"),
            ("Drop a block on a link", "Insert it into the link (also a lone block dragged there)"),
            ("Right-click", "Menu of the block, link or canvas under the mouse"),
            ("Double-click a palette entry", "Add it after the selected block")]

    def show_shortcuts(self) -> None:
        rows = self.shortcut_rows()
        html = "<table cellpadding='4'>" + "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
        QMessageBox.information(self, "Keyboard shortcuts", html + "</table>")

    def show_about(self) -> None:
        import engine
        QMessageBox.about(self, "About Netwright",
                          f"<h3>Netwright {engine.__version__}</h3><p>Design neural networks by hand, check their "
                          "shapes live (the same shapes PyTorch computes), train them and watch them learn, "
                          "and export clean PyTorch code.</p>")

    def restore_state(self) -> None:
        """Window size and panel layout from the last session, or sensible defaults for this screen."""
        if self.settings.restore_window(self):
            return
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and screen.width() > 0:
            self.resize(min(1680, int(screen.width() * 0.94)), min(1050, int(screen.height() * 0.92)))
        else:
            self.resize(1440, 900)
        QTimer.singleShot(0, self, self._default_dock_sizes)     # once the window has its real size

    def _default_dock_sizes(self) -> None:
        """Most of the window for the canvas: narrow side panels, a low strip of tabs below."""
        h, w = self.height(), self.width()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [max(190, int(w * 0.12)), max(300, int(w * 0.2))],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.summary_dock], [max(180, int(h * 0.25))], Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock, self.explain_dock], [int(h * 0.4), int(h * 0.3)],
                         Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """Every panel back where it starts: docked, shown, default sizes (the canvas keeps its view)."""
        for dock in self.docks:
            dock.setFloating(False)
        self.restoreState(self.default_layout)
        for dock in self.docks:
            dock.show()
        self.summary_dock.raise_()
        self.explain_dock.raise_()
        self._default_dock_sizes()
        self.show_status("Panels back in their places.")

    def lock_docks(self, locked: bool) -> None:
        """Locked panels cannot be dragged around or torn off (they can still be closed and resized)."""
        self.settings.docks_locked = bool(locked)
        F = QDockWidget.DockWidgetFeature
        features = F.DockWidgetClosable if locked else F.DockWidgetMovable | F.DockWidgetClosable | F.DockWidgetFloatable
        for dock in self.docks:
            dock.setFeatures(features)
        if hasattr(self, "lock_action") and self.lock_action.isChecked() != bool(locked):
            self.lock_action.setChecked(bool(locked))

    def ask_stop_and_quit(self) -> bool:
        """Quit during a run: "Stop and Quit" (True) or "Cancel"."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          "A network is training. Stop the run and quit?", parent=self)
        box.setInformativeText("The run stops at once; its last checkpoint on disk is kept.")
        stop = box.addButton("Stop and Quit", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        return box.clickedButton() is stop

    def running(self) -> bool:
        run = getattr(self, "run", None)
        return run is not None and run.active

    def closeEvent(self, event) -> None:
        if self.running():
            if not self.ask_stop_and_quit():
                event.ignore()
                self.show_status("Still training: quitting cancelled.")
                return
            self.training_controller.shutdown()
        if not self.files.maybe_save():
            event.ignore()
            return
        self.settings.save_window(self)
        if folders.last() is not None:
            self.settings.last_folder = str(folders.last())
        self.settings.sync()
        self.recovery.discard()
        event.accept()

    # ---- dropping a file on the window ------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) \
                and self.files.dropped_file(event.mimeData()) is not None:
            if kind == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                event.acceptProposedAction()
            return True
        return super().eventFilter(obj, event)

    def dragEnterEvent(self, event) -> None:
        if self.files.dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self.files.dropped_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            QTimer.singleShot(0, self, lambda: self.files.open_path(path))
        else:
            event.ignore()
