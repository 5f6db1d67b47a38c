"""The declarative pieces every block spec is made of: parameters, results and quick fixes.

A block type is one `BlockSpec`: its parameter schema, its shape rule (a function from the input
shapes and parameters to a `BlockOut`), and its `torch.nn` builder. Nothing here imports torch.
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
    formula: list[str] = field(default_factory=list)
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
    build: Callable[[list[Tensor], dict], Any] | None   # (inputs, params) -> nn.Module; None for Input
    min_inputs: int = 1
    max_inputs: int = 1
    accepts_int: bool = False    # may take int64 token ids
    learnable: bool = False      # has weights worth showing (filters, histograms)
    output_warning: str | None = None   # said when this block is the network's output
    code: Callable[[list[Tensor], dict], str] | None = None   # (inputs, params) -> Python source building
    #                                                           the same module as `build`, for export
    code_helpers: tuple[str, ...] = ()  # classes of engine/runtime/modules.py that `code` uses
    receptive: Callable[[list[Tensor], dict], Any] | str | None = None
    #   how the block moves a receptive field (engine/core/receptive.py): KEEP, SOURCE, a function (inputs, params)
    #   -> one Window per spatial axis (or KEEP/None), or None where the spatial axes end here
    arithmetic: str | None = None       # what each window computes, for the Learn window's stepper:
    #                                     "conv", "max", "avg" or "transposed"

    @cached_property
    def param_map(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    @cached_property
    def _defaults(self) -> dict:
        return {p.name: p.default for p in self.params if not p.required}

    @cached_property
    def required_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.required)

    @cached_property
    def bounded(self) -> tuple[tuple[str, float, float, Param], ...]:
        """(name, lowest, highest, param) of the numeric parameters with bounds to check."""
        inf = float("inf")
        return tuple((p.name, -inf if p.min is None else p.min, inf if p.max is None else p.max, p)
                     for p in self.params if (p.min is not None or p.max is not None)
                     and p.kind not in (SHAPE, DIMS, CHOICE, BOOL))

    def param(self, name: str) -> Param | None:
        return self.param_map.get(name)

    def defaults(self) -> dict:
        return dict(self._defaults)

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
