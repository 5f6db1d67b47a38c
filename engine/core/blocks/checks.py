"""Checks of parameter values (types when a file is read, bounds when shapes are inferred)."""
from __future__ import annotations

import json
import math

from .spec import (BOOL, CHOICE, DIMS, FLOAT, INT, INT_OR_PAIR, PADDING, SHAPE, Param, ShapeError)

INT64_MAX = 2 ** 63 - 1     # PyTorch's sizes, counts and indices are 64-bit: nothing larger can be built
EXCERPT = 60                # characters of a value a message quotes at most


def excerpt(value, limit: int = EXCERPT, as_json: bool = False) -> str:
    """A value as a message quotes it (Python's repr, or JSON text), cut to `limit` characters with …,
    so a huge value from a file never floods a message. Integers too long to print are described."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = json.dumps(value, ensure_ascii=False) if as_json else repr(value)
    except (ValueError, TypeError, RecursionError):
        text = f"a {type(value).__name__}"
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text


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


def shown_value(param: Param, value, spatial: int = 2):
    """What an editor can show for a parameter: the value, or the default when a file gave one of the wrong
    type or one beyond what an editor holds (31 bits); the block's error tells the user about it."""
    if value is None or type_problem(param, value, spatial) is None:
        numbers = value if isinstance(value, list) else [value]
        if all(not isinstance(v, int) or -2 ** 31 < v < 2 ** 31 for v in numbers):
            return value
    return param.default


def check_bounds(label: str, node_id: str, param: Param, value) -> None:
    """Raise a ShapeError naming the block when a value is outside the parameter's bounds."""
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and not -INT64_MAX <= v <= INT64_MAX:
            raise ShapeError(f"{label} '{node_id}': {param.name} is {excerpt(value)}, too large for PyTorch, whose "
                             f"sizes and counts are 64-bit (at most {INT64_MAX:,}).")
    if param.kind in (SHAPE, DIMS, CHOICE, BOOL) or isinstance(value, str):
        return
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise ShapeError(f"{label} '{node_id}': {param.name} is {json.dumps(v)}, but it must be a finite "
                             f"number.")
        if param.min is not None and v < param.min:
            raise ShapeError(f"{label} '{node_id}': {param.name} is {excerpt(value)}, but it must be at least "
                             f"{_n(param.min)} ({param.help.rstrip('.').lower() or param.name}).")
        if param.max is not None and v > param.max:
            raise ShapeError(f"{label} '{node_id}': {param.name} is {excerpt(value)}, but it must be at most "
                             f"{_n(param.max)}.")


def _n(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
