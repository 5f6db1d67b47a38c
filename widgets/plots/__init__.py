"""pyqtgraph views of a training run: curves, filters, feature maps, gates, weights and outcome.

Importing this package imports pyqtgraph and sets its options once (row-major images), so the app
imports it lazily, when the live views are first shown. Plots follow the application's theme: dark
backgrounds with light axes on a dark palette (`follow_theme` again after a theme switch).
"""
import pyqtgraph as pg
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

LIGHT = ("#ffffff", "#333333")
DARK = ("#1b1e23", "#cfd6e2")


def plot_colours() -> tuple[str, str]:
    """(background, foreground) for the application's palette."""
    app = QGuiApplication.instance()
    dark = app is not None and app.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.45
    return DARK if dark else LIGHT


def legend_brush() -> tuple[int, int, int, int]:
    """A legend's see-through background in the theme's plot colour."""
    bg = pg.mkColor(plot_colours()[0])
    return (bg.red(), bg.green(), bg.blue(), 210)


def follow_theme() -> None:
    """Plots made from now on, and every plot on screen, in the theme's colours."""
    bg, fg = plot_colours()
    pg.setConfigOptions(background=bg, foreground=fg)
    if QApplication.instance() is None:
        return
    for widget in QApplication.allWidgets():
        if isinstance(widget, pg.GraphicsView):
            widget.setBackground(bg)
            theme_scene(widget)


def theme_scene(view: pg.GraphicsView) -> None:
    """The axes, legends and titles in a plot canvas in the theme's colours (also for a plot put back
    into a canvas: one taken out while the theme changed kept the colours of the theme before)."""
    fg = plot_colours()[1]
    scene = view.scene()
    for item in scene.items() if scene is not None else ():
        if isinstance(item, pg.AxisItem):
            item.setPen(fg)
            item.setTextPen(fg)
        elif isinstance(item, pg.LegendItem):
            item.setBrush(pg.mkBrush(legend_brush()))
            item.setLabelTextColor(fg)
        elif isinstance(item, pg.LabelItem):
            item.opts["color"] = fg
            item.setText(item.text)


pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
follow_theme()
