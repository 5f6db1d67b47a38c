"""The built-in data sets, one entry each: adding a data set is adding a `NamedSet` to `SETS` (and its
maker or loader in a module of engine/data). Everything else reads this table: `load_dataset` and the
preview, the fit advice (engine/data/fit.py), the training panel's list, the exported training script
(engine/runtime/script_export.py) and the docs' list. The names a network file may give are also
written in engine/core/dataset_names.py (the core reads files without numpy and never imports the
data layer); tests/test_data_registry.py fails, naming the set, when the two differ.

An entry names its maker by "module.function" inside engine/data, imported only when the set is used
(so `import engine.data` stays light), and says how it is called by its kind:

- GENERATED: made here in a moment, seeded: `make(inp, n=..., seed=...)`; the exported script carries a
  copy of the maker's module's `copies` (constants and helpers first, the maker last).
- FOLDER: read from a data folder, else a built-in stand-in: `load(inp, data_dir)`.
- DOWNLOAD: downloaded once into the user cache, or read from `data_dir`:
  `load(*args, inp, data_dir, base_url, progress)`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from .named import SHAKESPEARE_FILE

GENERATED, FOLDER, DOWNLOAD = "generated", "folder", "download"


@dataclass(frozen=True)
class NamedSet:
    name: str
    description: str                       # the panel's tooltip, the preview's caption, the docs' list
    kind: str                              # GENERATED, FOLDER or DOWNLOAD
    source: str                            # "module.function" in engine/data that makes or loads it
    args: tuple = ()                       # given to `source` before the Input (DOWNLOAD)
    fits: tuple[int, ...] | None = None    # an Input shape it fits: the fit advice offers it as a change of the Input
    dtype: str = "float32"                 # that Input's dtype
    copies: tuple[str, ...] = ()           # GENERATED: what the exported script copies from the source's module
    script_reads: tuple[str, str | None] | None = None   # else: (DATASET, DATA_PATH) of a script that reads it

    @property
    def module(self) -> str:
        """The source's module in engine/data, e.g. 'generated'."""
        return self.source.rpartition(".")[0]

    @property
    def function(self) -> str:
        return self.source.rpartition(".")[2]

    def maker(self):
        return getattr(importlib.import_module(f"engine.data.{self.module}"), self.function)

    def load(self, inp, data_dir=None, seed: int = 0, base_url=None, progress=None, n: int | None = None):
        """The Dataset for `inp` (`n` samples of a generated set; its default when None)."""
        fn = self.maker()
        if self.kind == GENERATED:
            return fn(inp, seed=seed) if n is None else fn(inp, n=n, seed=seed)
        if self.kind == FOLDER:
            return fn(inp, data_dir)
        return fn(*self.args, inp, data_dir, base_url, progress)


SETS = {s.name: s for s in (
    NamedSet("shapes", "Generated shapes (circle, square, triangle, bars), any image size; no download",
             GENERATED, "generated.make_shapes", fits=(1, 28, 28),
             copies=("CLASSES", "DEFAULT_SAMPLES", "masks", "make_shapes")),
    NamedSet("sine", "Sine-wave forecasting: Input [T, 1], predict the next value (regression)",
             GENERATED, "sequences.make_sine", fits=(50, 1),
             copies=("DEFAULT_SAMPLES", "_sequence_input", "make_sine")),
    NamedSet("recall", "Recall the marked one of T random symbols: Input [T, F], F-1 classes; an LSTM solves it, "
                       "an RNN cannot",
             GENERATED, "sequences.make_recall", fits=(30, 5),
             copies=("DEFAULT_SAMPLES", "_sequence_input", "make_recall")),
    NamedSet("mnist", "Handwritten digits 28×28, 10 classes (downloaded once, 11 MB)",
             DOWNLOAD, "remote.load_idx_set", args=("mnist",), script_reads=("mnist", None)),
    NamedSet("fashion-mnist", "Clothing images 28×28, 10 classes (downloaded once, 30 MB)",
             DOWNLOAD, "remote.load_idx_set", args=("fashion-mnist",), script_reads=("fashion-mnist", None)),
    NamedSet("cifar10", "Colour photos 3×32×32, 10 classes (downloaded once, 163 MB)",
             DOWNLOAD, "remote.load_cifar10"),
    NamedSet("waves", "Generated signals [C, L] of four kinds (sine, square, triangle, sawtooth), 4 classes; "
                      "no download",
             GENERATED, "named.make_waves", fits=(1, 128), copies=("WAVES", "DEFAULT_SAMPLES", "make_waves")),
    NamedSet("clips", "Generated clips [C, D, H, W]: a shape moving left, right, up or down, or still, 5 classes; "
                      "no download",
             GENERATED, "clips.make_clips", fits=(1, 8, 16, 16),
             copies=("MOTIONS", "STEPS", "DEFAULT_SAMPLES", "make_clips")),
    NamedSet("shakespeare", "Tiny Shakespeare for character models (from a data folder; else four built-in sonnets)",
             FOLDER, "named.load_shakespeare", fits=(100,), dtype="int64", script_reads=("text", SHAKESPEARE_FILE)),
)}


def names(kind: str | None = None) -> tuple[str, ...]:
    """The names of the sets of `kind` (all when None), in the table's order."""
    return tuple(s.name for s in SETS.values() if kind is None or s.kind == kind)


def and_list(items) -> str:
    """'a, b and c'."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)
