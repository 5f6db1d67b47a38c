"""The network canvas: a QGraphicsScene mirroring an engine.Network and the view that shows it.

    scene = NetworkScene(network)      # subscribes to the network's change events
    view = NetworkView(scene)
    scene.show_results(results)        # shape results from engine.ShapeCache

The scene only emits intent signals (link_requested, blocks_moved, block_dropped, ...); the app
turns them into undo commands that edit the network.
"""
from .scene import BLOCK_MIME, NetworkScene
from .view import NetworkView

__all__ = ["BLOCK_MIME", "NetworkScene", "NetworkView"]
