"""Checks of parameter values (types when a file is read, bounds when shapes are inferred)."""
from __future__ import annotations

import json
import math

from .spec import (BOOL, CHOICE, DIMS, FLOAT, INT, INT_OR_PAIR, PADDING, SHAPE, Param, ShapeError)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_int_list(v, length: int | None = None) -> bool:
    return (isinstance(v, list) and all(_is_int(x) for x in v)
            and (length is None or len(v) == length))


def type_problem(param: Param, value, spatial: int = 2) -> str | None:
    """Why `value` is not of the parameter's type (a sentence), or None when it is."""
    k = param.kind
    if k == INT and not _is_int(value):
        return "a whole number"
    if k == FLOAT and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return "a number"
    if k == BOOL and not isinstance(value, bool):
        return "true or false"
    if k == CHOICE and value not in param.choices:
        return "one of " + ", ".join(repr(c) for c in param.choices)
    if k == INT_OR_PAIR and not (_is_int(value) or _is_int_list(value, spatial)):
        return "a whole number" + (f" or a list of {spatial}" if spatial > 1 else "")
    if k == PADDING and not (_is_int(value) or _is_int_list(value, spatial) or value in ("same", "valid")):
        return "a whole number" + (f", a list of {spatial}" if spatial > 1 else "") + ", 'same' or 'valid'"
    if k in (SHAPE, DIMS) and not _is_int_list(value):
        return "a list of whole numbers"
    return None


def check_bounds(label: str, node_id: str, param: Param, value) -> None:
    """Raise a ShapeError naming the block when a value is outside the parameter's bounds."""
    values = value if isinstance(value, list) else [value]
    if param.kind in (SHAPE, DIMS, CHOICE, BOOL) or isinstance(value, str):
        return
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise ShapeError(f"{label} '{node_id}': {param.name} is {json.dumps(v)}, but it must be a finite "
                             f"number.")
        if param.min is not None and v < param.min:
            raise ShapeError(f"{label} '{node_id}': {param.name} is {value}, but it must be at least "
                             f"{_n(param.min)} ({param.help.rstrip('.').lower() or param.name}).")
        if param.max is not None and v > param.max:
            raise ShapeError(f"{label} '{node_id}': {param.name} is {value}, but it must be at most "
                             f"{_n(param.max)}.")


def _n(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
