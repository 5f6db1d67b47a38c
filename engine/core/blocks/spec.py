"""The declarative pieces every block spec is made of: parameters, results and quick fixes.

A block type is one `BlockSpec`: its parameter schema, its shape rule (a function from the input
shapes and parameters to a `BlockOut`), the torch module it makes (a `Module` description, which the
runtime builds and the exporter writes), and what the rest of the program needs to know about it (its
spatial axes, whether it is a source, its vocabulary and size parameters, what its output means for the
loss). Code outside engine/core/blocks asks these fields; it never compares a block's type name.
Nothing here imports torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Callable

REQUIRED = object()  # default of a parameter the user must give

# Parameter kinds, and what a JSON value of each looks like.
INT, FLOAT, BOOL, CHOICE = "int", "float", "bool", "choice"
INT_OR_PAIR = "int_or_pair"      # 5 or [5, 3]
PADDING = "padding"              # int, [h, w], "same" or "valid"
SHAPE = "shape"                  # list of positive ints (one -1 allowed where the block says so)
DIMS = "dims"                    # list of axis numbers


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any = REQUIRED
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    starter: Any = None     # what a newly added block starts with for a required parameter (so it has a shape)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Fix:
    """A quick fix the app can apply: insert a block before this one, or set parameters on it."""
    label: str
    kind: str                    # "insert_before" or "set_params"
    block: str | None = None     # block type to insert
    params: dict = field(default_factory=dict)
    target: str | None = None    # the block it changes, when not the one with the problem (a block above it)


class ShapeError(Exception):
    """A block cannot take its input: the message names the block, the rule and the numbers."""

    def __init__(self, message: str, fixes: tuple[Fix, ...] = ()):
        super().__init__(message)
        self.message = message
        self.fixes = tuple(fixes)


@dataclass(slots=True)
class Tensor:
    """What flows along a link: a per-sample shape, its dtype and what its axes mean."""
    shape: tuple[int, ...]
    dtype: str = "float32"
    layout: str | None = None    # "image" [C,H,W], "signal" [C,L], "sequence" [T,F], "tokens" [T], "vector" [F]


@dataclass(slots=True)
class BlockOut:
    """What a shape rule returns for one block."""
    tensor: Tensor
    params: int = 0
    macs: int = 0
    formula: Any = field(default_factory=list)   # the arithmetic: lines (str, or functions that make one), or a
    #                                              function returning them; made only when shown (ShapeResult.formula)
    warnings: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """One spatial axis of the window a block slides, as PyTorch applies it ('same' padding and adaptive
    pooling resolved): kernel k, stride s, padding before the first position p, dilation d. Adaptive pooling
    with uneven windows has a fractional stride and k its largest window."""
    k: int
    s: Any = 1          # int, or a Fraction for adaptive pooling
    p: Any = 0
    d: int = 1


@dataclass(frozen=True, eq=False)
class Module:
    """The torch module a block makes, described without torch: `cls` is "nn.<Name>" (torch.nn) or a class of
    engine/runtime/modules.py ("Reshape"); `args` and `kwargs` its arguments as JSON values (lists become
    tuples); `defaults` the keyword values the exported code leaves out. engine/runtime/build.py makes it,
    engine/core/codegen.py writes it: the two cannot disagree."""
    cls: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)

    @property
    def helper(self) -> str | None:
        """The engine/runtime/modules.py class the exported file must copy, or None for a torch.nn class."""
        return None if self.cls.startswith("nn.") else self.cls

    def code(self) -> str:
        return call(self.cls, self.args, self.kwargs, self.defaults)


@dataclass(frozen=True)
class SizeRule:
    """The output-size rule of a block that slides a window, as *Shapes explained* writes it: the formula per
    axis, what each letter means and a note on rounding."""
    formula: str
    letters: tuple[tuple[str, str], ...]
    note: str


# What a block's output means for the loss (BlockSpec.output_is).
PROBABILITIES, LOG_PROBABILITIES = "probabilities", "log_probabilities"

KEEP = "keep"           # receptive rule: output position i depends on position i of every input (union)
SOURCE = "source"       # receptive rule: the input pixels themselves (an Input with spatial axes)


@dataclass(frozen=True)
class BlockSpec:
    type: str
    label: str
    group: str
    help: str
    rule_text: str
    params: tuple[Param, ...]
    infer: Callable[[str, list[Tensor], dict], BlockOut]
    module: Callable[[list[Tensor], dict], Module] | None   # (inputs, params) -> the torch module; None for a
    #                                                          source (Input)
    min_inputs: int = 1
    max_inputs: int = 1          # 0: a source, where data enters (Input)
    accepts_int: bool = False    # may take int64 token ids
    learnable: bool = False      # has weights worth showing (filters, histograms)
    output_warning: str | None = None   # said when this block is the network's output
    spatial: int = 0             # spatial axes of the input it is made for ([C, L] 1, [C, H, W] 2, [C, D, H, W] 3):
    #                              its kernel, stride, padding, ... take one value or that many
    vocabulary: str | None = None   # the parameter saying how many token ids it takes (Embedding: num_embeddings)
    size_param: str | None = None   # the parameter setting its output's last size (Dense: out_features)
    output_is: str | None = None    # what its output means for the loss: PROBABILITIES or LOG_PROBABILITIES
    size_rule: SizeRule | None = None   # its output size per axis (blocks that slide a window)
    receptive: Callable[[list[Tensor], dict], Any] | str | None = None
    #   how the block moves a receptive field (engine/core/receptive.py): KEEP, SOURCE, a function (inputs, params)
    #   -> one Window per spatial axis (or KEEP/None), or None where the spatial axes end here
    arithmetic: str | None = None       # what each window computes, for the Learn window's stepper:
    #                                     "conv", "max", "avg" or "transposed"

    @property
    def source(self) -> bool:
        """Where data enters the network: no inputs (Input)."""
        return self.max_inputs == 0

    @cached_property
    def param_map(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    @cached_property
    def _defaults(self) -> dict:
        return {p.name: p.default for p in self.params if not p.required}

    @cached_property
    def required_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.required)

    def param(self, name: str) -> Param | None:
        return self.param_map.get(name)

    def module_for(self, ins: list[Tensor], params: dict) -> Module:
        """The torch module this block makes for these inputs and (unresolved) parameters."""
        return self.module(ins, self.resolved(params))

    def resolved(self, params: dict) -> dict:
        """The parameters with defaults filled in (required ones missing stay missing)."""
        return {**self._defaults, **params}


prod = math.prod      # the product of a shape's sizes (1 for a scalar's empty shape)


def fmt_shape(shape) -> str:
    """(6, 28, 28) -> '6 × 28 × 28'; () -> 'scalar'."""
    if type(shape) is tuple:
        return _fmt_tuple(shape)
    return " × ".join(map(str, shape)) if shape else "scalar"


@lru_cache(maxsize=4096)
def _fmt_tuple(shape: tuple) -> str:
    return " × ".join(map(str, shape)) if shape else "scalar"


def pair(value, n: int) -> tuple[int, ...]:
    """5 -> (5, 5); [5, 3] -> (5, 3), for n spatial axes."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


def py(value) -> str:
    """A JSON parameter value as Python source: lists become tuples, as torch.nn likes them."""
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def call(fn: str, args=(), kwargs: dict | None = None, defaults: dict | None = None) -> str:
    """Source of a constructor call, leaving out keyword arguments equal to their default:
    call("nn.Conv2d", (1, 6), {"kernel_size": 5, "stride": 1}, {"stride": 1}) -> 'nn.Conv2d(1, 6, kernel_size=5)'."""
    defaults = defaults or {}
    parts = [py(a) for a in args]
    for k, v in (kwargs or {}).items():
        if k in defaults and _same_value(v, defaults[k]):
            continue
        parts.append(f"{k}={py(v)}")
    return f"{fn}({', '.join(parts)})"


def _same_value(a, b) -> bool:
    if isinstance(a, (list, tuple)) and not isinstance(b, (list, tuple)):
        return all(_same_value(x, b) for x in a)
    if isinstance(a, (list, tuple)):
        return list(a) == list(b)
    return a == b and type(a) is type(b)
