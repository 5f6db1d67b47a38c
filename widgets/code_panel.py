"""The Code panel: the PyTorch code of the current network, exactly the text `python main.py export` writes,
kept up to date as the network is edited (it subscribes to the document; rebuilt at most every
DEBOUNCE_MS, and only while the panel is on screen: behind another dock's tab it waits until raised), with Python syntax colouring and a Copy button."""
from __future__ import annotations

import keyword
import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QSyntaxHighlighter,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .follow import on_screen, when_shown

DEBOUNCE_MS = 250


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins, numbers, strings (docstrings across lines) and comments."""

    KEYWORDS = re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b")
    BUILTINS = re.compile(r"\b(self|super|print|range|len|tuple|list|dict|int|float|str)\b")
    NUMBERS = re.compile(r"\b\d+(\.\d*)?([eE][-+]?\d+)?\b")
    STRINGS = re.compile(r"'[^'\\\n]*(\\.[^'\\\n]*)*'|\"[^\"\\\n]*(\\.[^\"\\\n]*)*\"")
    DEFS = re.compile(r"\b(?:class|def)\s+(\w+)")
    COMMENT = re.compile(r"#[^\n]*")

    def __init__(self, document, dark: bool = False):
        super().__init__(document)
        self.formats = {"keyword": _format("#c678dd" if dark else "#7a3e9d", bold=True),
                        "builtin": _format("#56b6c2" if dark else "#0e7490"),
                        "number": _format("#d19a66" if dark else "#a0522d"),
                        "string": _format("#98c379" if dark else "#2e7d32"),
                        "def": _format("#61afef" if dark else "#1f5fbf", bold=True),
                        "comment": _format("#7f848e" if dark else "#808080", italic=True)}

    def highlightBlock(self, text: str) -> None:
        for kind, rx in (("keyword", self.KEYWORDS), ("builtin", self.BUILTINS), ("number", self.NUMBERS)):
            for m in rx.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self.formats[kind])
        for m in self.DEFS.finditer(text):
            self.setFormat(m.start(1), m.end(1) - m.start(1), self.formats["def"])
        for m in self.STRINGS.finditer(text):
            self.setFormat(m.start(), m.end() - m.start(), self.formats["string"])
        code = text
        for m in self.STRINGS.finditer(text):        # a # inside a string is not a comment
            code = code[:m.start()] + " " * (m.end() - m.start()) + code[m.end():]
        c = self.COMMENT.search(code)
        if c:
            self.setFormat(c.start(), len(text) - c.start(), self.formats["comment"])
        self._docstrings(text)

    def _docstrings(self, text: str) -> None:
        """Triple-quoted strings that span lines: block state 1 = inside one."""
        start, inside = 0, self.previousBlockState() == 1
        self.setCurrentBlockState(0)
        while True:
            if inside:
                end = text.find('"""', start)
                if end < 0:
                    self.setFormat(start, len(text) - start, self.formats["string"])
                    self.setCurrentBlockState(1)
                    return
                self.setFormat(start, end + 3 - start, self.formats["string"])
                start, inside = end + 3, False
            else:
                begin = text.find('"""', start)
                if begin < 0:
                    return
                start, inside = begin + 3, True
                self.setFormat(begin, 3, self.formats["string"])


class CodePanel(QWidget):
    """Mirrors the document: the exported PyTorch code of its network, refreshed after edits."""

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setObjectName("code_view")
        dark = self.palette().window().color().lightness() < 128
        self.highlighter = PythonHighlighter(self.editor.document(), dark)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the code to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.status = QLabel(self)
        self.status.setObjectName("code_status")
        self.status.setWordWrap(True)          # a long status wraps instead of widening the side panels
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._due)
        self._stale = True
        doc.results_changed.connect(self._changed)
        doc.path_changed.connect(self._changed)
        when_shown(self, self._shown)          # behind another dock's tab it waits until its tab is raised

    def _changed(self, *_args) -> None:
        self._stale = True
        if on_screen(self):
            self.timer.start()

    def _shown(self) -> None:
        if self._stale:
            self.timer.start()

    def _due(self) -> None:
        """The pause is over: refresh if on screen (the window's first show reaches a panel behind another
        tab too; it waits until its tab is raised)."""
        if on_screen(self):
            self.refresh()

    def code(self) -> tuple[str, str | None]:
        """(the text `export` writes for this network, None) or (a comment saying why not, the reason)."""
        from engine.core.codegen import ExportError, export_code
        source = self.doc.path.name if self.doc.path else None
        try:
            return export_code(self.doc.network, source=source), None
        except ExportError as e:
            return "# " + str(e).replace("\n", "\n# ") + "\n", str(e).splitlines()[0]

    def refresh(self) -> None:
        self._stale = False
        text, problem = self.code()
        if text != self.editor.toPlainText():
            bar = self.editor.verticalScrollBar()
            keep = bar.value()
            self.editor.setPlainText(text)
            bar.setValue(min(keep, bar.maximum()))
        lines = text.count("\n")
        self.status.setText(problem or f"PyTorch, {lines} lines: what File → Export ▸ PyTorch code… writes")
        self.copy_button.setEnabled(problem is None)

    def copy(self) -> None:
        if self._stale:
            self.refresh()
        QGuiApplication.clipboard().setText(self.editor.toPlainText())
        self.status.setText("Copied to the clipboard.")
