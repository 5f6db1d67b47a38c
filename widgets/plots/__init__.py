"""pyqtgraph views of a training run: curves, filters, feature maps, gates, weights and outcome.

Importing this package imports pyqtgraph and sets its options once (row-major images), so the app
imports it lazily, when the live views are first shown.
"""
import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="#333")
