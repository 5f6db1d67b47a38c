"""The inspector: the selected block's id (renameable), type, parameters as widgets built from its spec,
its output shape, its error or warnings, and the arithmetic behind its shape.

It never edits the network: edits go out as `param_edit_requested(node_id, name, value)` and
`rename_requested(old, new)`; the app turns them into undo commands and calls `show_node` again.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine import fmt_shape
from engine.core.blocks import REQUIRED
from engine.core.blocks.checks import shown_value
from engine.core.receptive import num

from .bounded_spin import install_wheel_guard
from .icons import group_icon
from .param_editors import IntListEditor, make_editor


def _caption(text: str, parent, style: str = "color: palette(placeholder-text);") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


EMPTY_TEXT = ("Select a block on the canvas to see and edit its settings.\n\n"
              "Add blocks by dragging them from the palette, or double-click a palette entry to append it after "
              "the selected block.")


class Inspector(QScrollArea):
    param_edit_requested = Signal(str, str, object)
    rename_requested = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        install_wheel_guard()        # the wheel over a box here scrolls the inspector, never sets a value
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.node_id: str | None = None
        self.node_type: str | None = None
        self.editors: dict = {}
        body = QWidget(self)
        self.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)

        head = QHBoxLayout()
        self.icon = QLabel(body)
        self.title = QLabel("", body)
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        head.addWidget(self.icon)
        head.addWidget(self.title, 1)
        lay.addLayout(head)

        id_row = QHBoxLayout()
        self.id_label = QLabel("Name", body)
        id_row.addWidget(self.id_label)
        self.id_edit = QLineEdit(body)
        self.id_edit.setToolTip("The block's id: unique, and the attribute name in exported code. Press Enter to rename.")
        id_row.addWidget(self.id_edit, 1)
        lay.addLayout(id_row)
        self.id_edit.editingFinished.connect(self._rename)

        self.help = _caption("", body)
        lay.addWidget(self.help)
        self.rule = _caption("", body, "color: palette(placeholder-text); font-style: italic;")
        lay.addWidget(self.rule)

        self.form_host = QWidget(body)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 4, 0, 4)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        lay.addWidget(self.form_host)

        self.output = QLabel("", body)
        self.output.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.output)
        self.receptive = QLabel("", body)
        self.receptive.setWordWrap(True)
        self.receptive.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.receptive.setVisible(False)
        lay.addWidget(self.receptive)
        self.error = _caption("", body, "color: #d9534f; font-weight: 600;")
        lay.addWidget(self.error)
        self.warnings = _caption("", body, "color: #c98a12;")
        lay.addWidget(self.warnings)
        self.formula_title = QLabel("<b>How the shape is computed</b>", body)
        lay.addWidget(self.formula_title)
        self.formula = QLabel("", body)
        self.formula.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.formula)
        self.empty = _caption(EMPTY_TEXT, body)
        lay.addWidget(self.empty)
        lay.addStretch(1)
        self.show_node(None, None, None)

    # ---- showing ----------------------------------------------------------------------------
    def follow(self, doc, selection) -> None:
        """Show the selected block of the document from now on (`selection`: the canvas scene)."""
        from .follow import follow_selection
        self.doc, self.selection = doc, selection
        follow_selection(self, doc, selection, self.refresh_block)
        follow_selection(self, doc, selection, self.refresh_receptive, delay_large=True)   # it walks the network

    def refresh(self) -> None:
        self.refresh_block()
        self.refresh_receptive()

    def refresh_block(self) -> None:
        from .follow import selected_node
        node_id, count = selected_node(self.doc, self.selection)
        self.show_node(self.doc.network, node_id, self.doc.results.get(node_id) if node_id else None, count)

    def refresh_receptive(self) -> None:
        from engine.core.receptive import fields_for

        from .follow import selected_node
        node_id, _count = selected_node(self.doc, self.selection)
        self.show_receptive(fields_for(self.doc.network, self.doc.results).get(node_id) if node_id else None)

    def show_node(self, network, node_id: str | None, result, selected: int = 0) -> None:
        """Show one block (rebuilding the form when the block changes) or the empty state, which
        counts the selected blocks when there are several."""
        node = network.nodes.get(node_id) if (network is not None and node_id) else None
        has = node is not None
        # Each widget is shown or hidden once (the result's labels by show_result): a label shown and then
        # hidden again in one call lays the whole panel out twice.
        for w in (self.icon, self.title, self.id_edit, self.help, self.rule, self.form_host, self.output):
            w.setVisible(has)
        self.id_label.setVisible(has)
        self.empty.setVisible(not has)
        self.empty.setText(EMPTY_TEXT if selected < 2 else
                           f"{selected} blocks selected.\n\nCtrl+C copies them with the links among them, Ctrl+D "
                           "duplicates them, Delete removes them. Select one block to edit it.")
        if not has:
            self.node_id = self.node_type = None
            self._clear_form()
            self.show_result(None)
            return
        spec = node.spec
        if node_id != self.node_id or node.type != self.node_type:
            if node.type != self.node_type:     # a new pixmap lays the whole panel out again: only when it changes
                self.icon.setPixmap(group_icon(spec.group).pixmap(24, 24))
            self.node_id, self.node_type = node_id, node.type
            self._build_form(node)
        self.title.setText(spec.label)
        if not self.id_edit.hasFocus():
            self.id_edit.setText(node_id)
        self.help.setText(spec.help)
        self.rule.setText(spec.rule_text)
        self.set_values(node)
        self.show_result(result)

    def show_receptive(self, field) -> None:
        """The block's receptive field (engine.core.receptive.Field), or nothing where its spatial axes are gone."""
        text = "" if field is None else (
            f"<b>Receptive field</b>&nbsp; {field.text()} of the {'×'.join(map(str, field.input_size))} input"
            f" · units {'×'.join(str(num(v)) for v in field.jump)} px apart"
            + "".join(f"<br><span style='color:#c98a12'>⚠ {escape(w)}</span>" for w in field.warnings))
        if self.receptive.text() != text:
            self.receptive.setText(text)
        self.receptive.setVisible(bool(text) and self.node_id is not None)

    def set_values(self, node) -> None:
        """Put the node's current parameters into the editors without sending edits back."""
        resolved = node.spec.resolved(node.params)
        for name, editor in self.editors.items():
            editor.blockSignals(True)
            # A value of the wrong type from a file (its error is shown below) puts the default in the editor.
            p = node.spec.param(name)
            value = shown_value(p, resolved.get(name), node.spec.spatial)
            editor.set_value(None if value is REQUIRED else value)
            editor.blockSignals(False)

    def show_result(self, result) -> None:
        if result is None:
            for label in (self.output, self.error, self.warnings, self.formula):
                label.setText("")
            for w in (self.error, self.warnings, self.formula_title, self.formula):
                w.setVisible(False)
            return
        if result.shape is not None:
            extra = f" · {result.params:,} parameters" if result.params else ""
            self.output.setText(f"<b>Output</b>&nbsp; {fmt_shape(result.shape)}{extra}")
        else:
            self.output.setText("<b>Output</b>&nbsp; —")
        self.error.setText(result.error or "")
        self.error.setVisible(bool(result.error))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in result.warnings))
        self.warnings.setVisible(bool(result.warnings))
        self.formula.setText(result.formula or "")
        self.formula_title.setVisible(bool(result.formula))
        self.formula.setVisible(bool(result.formula))

    # ---- form -------------------------------------------------------------------------------
    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}

    def _build_form(self, node) -> None:
        self._clear_form()
        spec = node.spec
        if not spec.params:
            self.form.addRow(_caption("This block has no settings: its shape follows from its input.",
                                      self.form_host))
            return
        for p in spec.params:
            editor = make_editor(p, spec.spatial, self.form_host)
            editor.setToolTip(p.help)
            label = QLabel(p.name + ("*" if p.required else ""), self.form_host)
            label.setToolTip(p.help + (" (required)" if p.required else f" (default: {p.default})"))
            holder = QWidget(self.form_host)
            v = QVBoxLayout(holder)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(1)
            v.addWidget(editor)
            hint = _caption(p.help, holder)
            small = QFont(hint.font())
            small.setPointSizeF(max(small.pointSizeF() * 0.85, 7.0))
            hint.setFont(small)
            v.addWidget(hint)
            self.form.addRow(label, holder)
            editor.changed.connect(lambda value, name=p.name: self._edited(name, value))
            if isinstance(editor, IntListEditor):
                editor.invalid.connect(self._invalid_text)
            self.editors[p.name] = editor

    def _edited(self, name: str, value) -> None:
        if self.node_id is not None:
            self.param_edit_requested.emit(self.node_id, name, value)

    def _invalid_text(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(True)

    def _rename(self) -> None:
        new = self.id_edit.text().strip()
        if self.node_id and new and new != self.node_id:
            self.rename_requested.emit(self.node_id, new)
        if self.node_id:
            self.id_edit.setText(self.node_id)     # the new name once renamed, else the old one back
