"""Sizes, fonts and colours of the canvas, in one place.

A light palette by default and a dark one when the application's palette is dark; both are built
once and shared by every item, so painting never creates colours, pens or fonts.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

BLOCK_W = 176.0
BLOCK_H = 68.0
RADIUS = 8.0
STRIPE_W = 5.0
PORT_R = 5.0
PORT_HIT = 11.0          # how close to a port a press must be to start a link
MULTI_PORT_W = 56.0      # the wide input port of Add and Concat, where several links arrive

GROUP_COLOURS = {
    "Input": "#64748b",
    "Convolution": "#2563eb",
    "Pooling": "#0891b2",
    "Dense": "#7c3aed",
    "Recurrent": "#c026d3",
    "Normalization and regularization": "#0d9488",
    "Activations": "#16a34a",
    "Reshape and merge": "#ea580c",
}


@dataclass(frozen=True)
class Theme:
    background: QColor
    grid: QColor
    card: QColor
    card_error: QColor
    border: QColor
    text: QColor
    muted: QColor
    accent: QColor
    error: QColor
    warning: QColor
    blocked: QColor
    link: QColor
    link_label_bg: QColor
    link_label_text: QColor
    port: QColor
    port_fill: QColor
    ok_link: QColor
    bad_link: QColor
    minimap_bg: QColor
    minimap_block: QColor


def _theme(dark: bool) -> Theme:
    c = QColor
    if dark:
        return Theme(c("#1e2127"), c("#2c313a"), c("#2a2f38"), c("#3a2a2e"), c("#4b5363"), c("#e6e9ef"),
                     c("#9aa3b2"), c("#60a5fa"), c("#f87171"), c("#fbbf24"), c("#6b7280"), c("#7c8696"),
                     c("#2a2f38"), c("#cfd6e2"), c("#9aa3b2"), c("#1e2127"), c("#4ade80"), c("#f87171"),
                     c(30, 33, 39, 225), c("#7c8696"))
    return Theme(c("#f6f7f9"), c("#dfe3ea"), c("#ffffff"), c("#fff5f5"), c("#c9d0db"), c("#1f2937"),
                 c("#6b7280"), c("#2563eb"), c("#dc2626"), c("#d97706"), c("#9ca3af"), c("#8b95a5"),
                 c("#ffffff"), c("#374151"), c("#6b7280"), c("#ffffff"), c("#16a34a"), c("#dc2626"),
                 c(255, 255, 255, 225), c("#94a3b8"))


_current: Theme | None = None


def theme() -> Theme:
    """The palette matching the application's (dark window colour → dark canvas)."""
    global _current
    if _current is None:
        app = QGuiApplication.instance()
        dark = app is not None and app.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.45
        _current = _theme(dark)
    return _current


def refresh_theme() -> bool:
    """Pick the palette again (after the application's palette changed); True when it changed."""
    global _current
    old = _current
    _current = None
    return old is None or theme() != old


def group_colour(group: str) -> QColor:
    return QColor(GROUP_COLOURS.get(group, "#64748b"))


def font(pixels: int, bold: bool = False, family: str | None = None) -> QFont:
    f = QFont(family) if family else QFont()
    f.setPixelSize(pixels)
    if bold:
        f.setWeight(QFont.Weight.DemiBold)
    return f


class Fonts:
    """Fonts made once, after the QApplication exists."""
    _made = False

    @classmethod
    def ensure(cls) -> None:
        if cls._made:
            return
        cls.title = font(12, bold=True)
        cls.kind = font(11)
        cls.kind_small = font(9)          # a long type beside an id (the type is never cut)
        cls.shape = font(14, bold=True)
        cls.detail = font(11)
        cls.link = font(10)
        cls._sized = {}
        cls._made = True

    @classmethod
    def overview(cls, size: int, bold: bool, fitted: int | None = None) -> QFont:
        """A font of `fitted` (else `size`) pixels for the zoomed-out cards, made once per size."""
        cls.ensure()
        key = (fitted or size, bold)
        if key not in cls._sized:
            cls._sized[key] = font(key[0], bold=bold)
        return cls._sized[key]
