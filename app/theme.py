"""Light and dark themes: Fusion style, a tidy palette, and the small style sheet in resources/."""
from __future__ import annotations


from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from . import RESOURCES

LIGHT = {"window": "#eef0f3", "base": "#ffffff", "alt": "#f5f6f8", "text": "#1f2937", "button": "#f3f4f6",
         "highlight": "#2563eb", "highlight_text": "#ffffff", "mid": "#c9d0db", "dim": "#6b7280",
         "tooltip": "#ffffff"}
DARK = {"window": "#23262d", "base": "#1b1e23", "alt": "#262a31", "text": "#e6e9ef", "button": "#2c313a",
        "highlight": "#3b82f6", "highlight_text": "#ffffff", "mid": "#4b5363", "dim": "#9aa3b2",
        "tooltip": "#2c313a"}


def palette(name: str) -> QPalette:
    c = DARK if name == "dark" else LIGHT
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, QColor(c["window"]))
    pal.setColor(role.WindowText, QColor(c["text"]))
    pal.setColor(role.Base, QColor(c["base"]))
    pal.setColor(role.AlternateBase, QColor(c["alt"]))
    pal.setColor(role.Text, QColor(c["text"]))
    pal.setColor(role.Button, QColor(c["button"]))
    pal.setColor(role.ButtonText, QColor(c["text"]))
    pal.setColor(role.Highlight, QColor(c["highlight"]))
    pal.setColor(role.HighlightedText, QColor(c["highlight_text"]))
    pal.setColor(role.ToolTipBase, QColor(c["tooltip"]))
    pal.setColor(role.ToolTipText, QColor(c["text"]))
    pal.setColor(role.PlaceholderText, QColor(c["dim"]))
    pal.setColor(role.Mid, QColor(c["mid"]))
    pal.setColor(role.Link, QColor(c["highlight"]))
    pal.setColor(role.BrightText, QColor("#ef4444"))
    for group in (QPalette.ColorGroup.Disabled,):
        for r in (role.Text, role.WindowText, role.ButtonText):
            pal.setColor(group, r, QColor(c["dim"]))
    return pal


def apply_theme(app: QApplication, name: str) -> None:
    app.setStyle("Fusion")
    app.setPalette(palette(name))
    sheet = ""
    for fname in ("style.qss", f"style_{name}.qss"):
        path = RESOURCES / fname
        if path.is_file():
            sheet += path.read_text(encoding="utf-8") + "\n"
    app.setStyleSheet(sheet)
