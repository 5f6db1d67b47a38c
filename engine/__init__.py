"""Netwright's engine: block catalog, network model, shape inference, files, building and training.

Four layers, each importing only those below it (import-linter checks it; README, "Architecture"):
engine.cli (the command line) > engine.runtime (torch: build, train, live views, import) >
engine.data (data sets) > engine.core (pure Python: blocks, graph, shapes, files, code generation).
`import engine` loads neither Qt nor torch: this module is the Python API of the spec (§5), and torch is
imported where a model is built or trained (`engine.build_model`, `engine.train`).
"""
from __future__ import annotations

from .core.blocks import BLOCKS, GROUPS, BlockSpec, Fix, Param, ShapeError, fmt_shape
from .core.graph import Change, Edge, GraphError, Network, Node
from .runtime.protocol import TrainingError
from .core.serialization import (NetworkFileError, dumps, load_network, loads, network_from_dict, network_to_dict,
                            save_network)
from .core.shapes import ShapeCache, ShapeResult, infer_shapes, summary

__version__ = "0.1.0"


def build_model(net: Network):
    """A torch.nn.Module whose forward matches the graph (imports torch on first use)."""
    from .runtime.build import build_model as _build
    return _build(net)


def from_module(module, input_shape, input_dtype: str = "float32", name: str | None = None) -> Network:
    """The network of a torch.nn.Module, traced with torch.fx (spec §5); what has no block raises
    engine.runtime.importer.ImportProblem naming the module path and the reason."""
    from .runtime.importer import from_module as _from_module
    return _from_module(module, input_shape, input_dtype, name)


def train(network, dataset: str = "shapes", callbacks=(), log=None, **settings) -> dict:
    """Train `network` (a Network, a network dict or a file path) as `python main.py train` does:
    `settings` are its options (epochs, batch_size, lr, optimizer, weight_decay, device, seed,
    val_split, out, data_dir, resume, threads, save, ...). Returns the result dict the command prints;
    a bad setting, unusable data, a checkpoint of another network or a run that diverges raises
    TrainingError with the same sentence the command line and the app show (`.kind` says which)."""
    from .runtime.trainer import Trainer, TrainSettings
    if isinstance(network, (str, bytes)) or hasattr(network, "__fspath__"):
        network = load_network(network)
    return Trainer(network, TrainSettings.from_dict({"dataset": dataset, **settings}), callbacks,
                   log=log).run()


__all__ = ["BLOCKS", "GROUPS", "BlockSpec", "Change", "Edge", "Fix", "GraphError", "Network", "NetworkFileError",
           "Node", "Param", "ShapeCache", "ShapeError", "ShapeResult", "TrainingError", "build_model", "dumps",
           "fmt_shape", "from_module", "infer_shapes", "load_network", "loads", "network_from_dict", "network_to_dict",
           "save_network", "summary", "train"]
