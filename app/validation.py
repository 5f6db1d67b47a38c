"""What may enter the document. Every block, parameter value and position an edit brings in is checked
the way a network file is: written as a save writes it and read back by the loader
(engine/core/serialization.py). So the document never holds what a save could not write or an open would
refuse, and every saved file reopens equal to the document.

The undo commands (app/commands.py) call these when they are made, before they are pushed: a refused
edit raises GraphError with a sentence for the status bar and never reaches the undo stack.
"""
from __future__ import annotations

import math

from engine import BLOCKS, GraphError, NetworkFileError
from engine.core import serialization
from engine.core.blocks.checks import type_problem
from engine.core.graph import Network, Node

SHORT = 60      # characters of a value a message quotes at most


def short(value) -> str:
    """A value as a message quotes it: its repr ('c1', [1, 2]), cut to SHORT characters (a hostile
    value can be huge); control characters and lone surrogates come out escaped."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= SHORT else text[:SHORT - 1] + "…"


def same(a, b) -> bool:
    """Equal and of the same types all the way down: True is not 1, 1 is not 1.0, key order counts."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def checked_blocks(blocks: list[dict], typed: bool = False) -> list[dict]:
    """Blocks ({"id", "type", "params", "position", "extra"}, all but id and type optional) as the
    document may hold them: each as a save writes it and the loader reads it back (numbers, lists and
    text exactly as a reopened file has them). Raises GraphError with the reason when a save could not
    write one or the loader would refuse it. `typed`: also refuse parameters that are unknown, of the
    wrong type or not finite (what the app itself brings in; pasted blocks are taken like a file, whose
    wrong values are errors on the block)."""
    mini = Network("check")
    for b in blocks:
        nid, params, extra = b.get("id"), b.get("params"), b.get("extra")
        if not isinstance(nid, str) or not nid:
            raise GraphError(f"A block id must be a non-empty string, not {short(nid)}.")
        if nid in mini.nodes:
            raise GraphError(f"Two blocks have the id {short(nid)}; ids must be unique.")
        params = {} if params is None else params
        extra = {} if extra is None else extra
        if not isinstance(params, dict):
            raise GraphError(f"Block {short(nid)}: its parameters must be an object (name: value), not "
                             f"{short(params)}.")
        if not isinstance(extra, dict):
            raise GraphError(f"Block {short(nid)}: its extra keys must be an object, not {short(extra)}.")
        position = b.get("position")
        if typed and isinstance(b.get("type"), str) and b["type"] in BLOCKS:
            for name, value in params.items():
                _check_value(nid, b["type"], name, value)
        mini.nodes[nid] = Node(nid, b.get("type"), dict(params),
                               None if position is None else checked_position(nid, position),
                               {k: v for k, v in extra.items() if k not in serialization.NODE_KEYS})
    text = _saved(mini)
    try:
        loaded = serialization.loads(text)
    except NetworkFileError as e:
        raise GraphError(str(e)) from None
    except RecursionError:
        raise GraphError("The blocks hold values nested too deeply for a network file.") from None
    if _saved(loaded) != text:
        raise GraphError("The blocks would not reopen as they are after a save.")
    return [{"id": n.id, "type": n.type, "params": n.params, "position": n.position, "extra": n.extra}
            for n in loaded.nodes.values()]


def checked_position(node_id: str, xy) -> tuple:
    """[x, y] or (x, y) of finite numbers, as a tuple; GraphError otherwise."""
    if isinstance(xy, (list, tuple)) and len(xy) == 2 and all(_finite_number(c) for c in xy):
        return (xy[0], xy[1])
    raise GraphError(f"Block {short(node_id)}: a position must be two finite numbers [x, y], not {short(xy)}.")


def checked_values(node, values: dict) -> dict:
    """New parameter values for a block ({name: value}, None = back to the default), as the document may
    hold them: a known parameter, of its type, finite, and loadable. GraphError says why not."""
    if not isinstance(values, dict):
        raise GraphError(f"Parameters must be given as name: value, not {short(values)}.")
    params = dict(node.params)
    for name, value in values.items():
        if value is None:
            params.pop(name, None)
            continue
        _check_value(node.id, node.type, name, value)
        params[name] = value
    [block] = checked_blocks([{"id": node.id, "type": node.type, "params": params}])
    return {name: block["params"].get(name) for name in values}


def _check_value(node_id: str, type_name: str, name, value) -> None:
    """GraphError unless `value` is one the block's parameter `name` can hold: known, typed, finite."""
    spec = BLOCKS[type_name]
    param = spec.param(name) if isinstance(name, str) else None
    if param is None:
        raise GraphError(f"{spec.label} '{node_id}' has no parameter {short(name)}.")
    if value is None and param.default is None:
        return
    why = type_problem(param, value, spec.spatial)
    if why:
        raise GraphError(f"{spec.label} '{node_id}': {name} must be {why}, not {short(value)}.")
    if not all(_finite_number(v) for v in (value if isinstance(value, list) else [value])
               if isinstance(v, (int, float)) and not isinstance(v, bool)):
        raise GraphError(f"{spec.label} '{node_id}': {name} must be a finite number, not {short(value)}.")


def _finite_number(c) -> bool:
    if isinstance(c, bool) or not isinstance(c, (int, float)):
        return False
    try:
        return math.isfinite(c)
    except OverflowError:       # an integer too large for a float: no canvas can place it
        return False


def _saved(net: Network) -> str:
    """The text a save writes, or GraphError when a save could not write it."""
    try:
        text = serialization.dumps(net)
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise GraphError("The blocks hold text that is not valid Unicode (a lone surrogate), which a file "
                         "cannot store.") from None
    except RecursionError:
        raise GraphError("The blocks hold values nested too deeply for a network file.") from None
    except (TypeError, ValueError) as e:
        raise GraphError(f"The blocks hold a value a network file cannot store ({str(e)[:80]}).") from None
    return text
