"""Receptive fields: for every block whose output still has the Input's spatial axes, per axis, the size of
the input region one output unit depends on, the jump between neighbouring units in input pixels, and the
centre of the first unit's region (negative where it lies in the padding). Pure arithmetic on the shape
results and the blocks' declared windows (`BlockSpec.receptive`), no torch:

    r = r_in + (k − 1)·d·j_in        j = j_in·s        start = start_in + ((k − 1)·d/2 − p)·j_in

Merges take the union of their branches' regions and warn when the branches are misaligned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .blocks.conv import AXES
from .blocks.spec import KEEP, SOURCE, Window
from .graph import Network

UNCHANGED = ("unchanged: each output unit sees what its input unit sees",)
MIN_SHARE = 0.5     # the last spatial layer should see at least this share of the input along every axis


@dataclass(frozen=True)
class Field:
    """The receptive field of one block's output units, per spatial axis, in pixels of Input `source`."""
    size: tuple
    jump: tuple
    start: tuple
    source: str                              # the Input block the pixels belong to
    input_size: tuple                        # that input's spatial sizes
    notes: tuple[str, ...] = ()              # the arithmetic, where it is not a window's (sources, merges)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    windows: tuple = field(default=(), compare=False, repr=False)      # the block's window per axis
    previous: Field | None = field(default=None, compare=False, repr=False)   # its input's field

    @property
    def formula(self) -> tuple[str, ...]:
        """The arithmetic with this block's numbers, one line per axis (written when asked: most fields of a
        large network are never explained)."""
        if not self.windows:
            return self.notes
        f = self.previous
        lines = []
        for a, w, r0, j0, s0, r1, j1, s1 in zip(f.axes, self.windows, f.size, f.jump, f.start, self.size, self.jump,
                                                self.start):
            k, d = w.k, w.d
            lines.append(f"{a}: r = {_n(r0)} + ({k} − 1)·{d}·{_n(j0)} = {_n(r1)},  j = {_n(j0)}·{_n(w.s)} = {_n(j1)},  "
                         f"start = {_n(s0)} + (({k} − 1)·{d}/2 − {_n(w.p)})·{_n(j0)} = {_n(s1)}")
        return tuple(lines)

    @property
    def axes(self) -> tuple[str, ...]:
        return AXES.get(len(self.size), tuple(f"axis {i + 1}" for i in range(len(self.size))))

    def as_json(self) -> dict:
        return {"size": [num(v) for v in self.size], "jump": [num(v) for v in self.jump],
                "start": [num(v) for v in self.start]}

    def region(self, index) -> list[tuple]:
        """Per axis, the first and last input position (inclusive, may lie in the padding) that output unit
        `index` (one position per axis) depends on."""
        out = []
        for i, at in enumerate(index):
            centre = self.start[i] + at * self.jump[i]
            half = Fraction(self.size[i] - 1, 2)
            out.append((centre - half, centre + half))
        return out

    def text(self) -> str:
        """'5×5' (or '7' for a signal)."""
        return "×".join(str(num(v)) for v in self.size)

    def covers(self) -> bool:
        return all(r >= n for r, n in zip(self.size, self.input_size))


def num(v):
    """A Fraction as an int where whole, else a float (for JSON and text)."""
    if isinstance(v, Fraction):
        return int(v) if v.denominator == 1 else float(v)
    return v


def _n(v) -> str:
    v = num(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def receptive_fields(net: Network, results: dict, min_share: float = MIN_SHARE) -> dict[str, Field | None]:
    """Every node's receptive field (None where the spatial axes are gone or the shape is unknown), in the
    network's node order. The last spatial layers (whose users have no spatial axes, or the output) get a
    warning when they see less than `min_share` of the input along some axis."""
    fields: dict[str, Field | None] = {}
    for nid in net.topological_order():
        fields[nid] = _field(net, nid, results, fields)
    for nid in net.nodes:
        fields.setdefault(nid, None)        # on a cycle: no shape, no field
    if min_share > 0:
        output = net.output_node()
        for nid, f in list(fields.items()):
            if f is None or f.source == nid:        # the Input itself: its pixels are what is read, not a layer
                continue
            users = net.outputs_of(nid)
            if users:       # the last spatial layer before a decision on a vector (not a sequence read in turn)
                later = [results.get(u) for u in users if fields.get(u) is None]
                if len(later) < len(users) or not any(x is not None and x.layout == "vector" for x in later):
                    continue
            elif nid != output:
                continue
            short = [a for a, r, n in zip(f.axes, f.size, f.input_size) if r < min_share * n]
            if short:
                fields[nid] = _with_warning(f, _share_warning(net, nid, f, bool(users), short, min_share))
    return {nid: fields[nid] for nid in net.nodes}


def _share_warning(net, nid, f: Field, users: bool, short: list[str], min_share: float) -> str:
    label = net.nodes[nid].spec.label
    seen = "×".join(_n(min(r, n)) for r, n in zip(f.size, f.input_size))
    whole = "×".join(map(str, f.input_size))
    who = "the classifier's units see" if users else "the output's units see"
    return (f"{label} '{nid}' is the last layer with spatial axes: {who} {seen} of the {whole} input each "
            f"(less than {min_share:.0%} along {' and '.join(short)}); add layers, larger kernels, strides or "
            "pooling (or a global pooling) for each unit to take in more of the input.")


def _with_warning(f: Field, text: str) -> Field:
    return Field(f.size, f.jump, f.start, f.source, f.input_size, f.notes, f.warnings + (text,), f.windows,
                 f.previous)


def _field(net: Network, nid: str, results: dict, fields: dict) -> Field | None:
    node = net.nodes[nid]
    r = results.get(nid)
    if r is None or r.shape is None or r.error is not None:
        return None
    rule = node.spec.receptive
    srcs = net.inputs_of(nid)
    if rule == SOURCE or callable(rule):
        ins = [results[s].tensor for s in srcs]
        try:
            rule = rule(ins, node.spec.resolved(node.params)) if callable(rule) else rule
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError):
            return None
    if rule == SOURCE:
        spatial = tuple(r.shape[1:])
        one = (1,) * len(spatial)
        return Field(one, one, (0,) * len(spatial), nid, spatial,
                     ("the input's own pixels: r = 1, j = 1, start = 0",))
    if rule is None or not srcs:
        return None
    ins = [fields.get(s) for s in srcs]
    if any(f is None for f in ins):
        return None
    if rule == KEEP:
        if len(ins) > 1:
            return _union(net, nid, ins)
        f = ins[0]
        return Field(f.size, f.jump, f.start, f.source, f.input_size, UNCHANGED)
    f = ins[0]
    windows: tuple[Window, ...] = tuple(rule)
    if len(windows) != len(f.size) or len(r.shape) != len(windows) + 1:
        return None
    size, jump, start = [], [], []
    for w, r0, j0, s0 in zip(windows, f.size, f.jump, f.start):
        span = (w.k - 1) * w.d                  # twice the distance from a window's first tap to its centre
        size.append(_exact(r0 + span * j0))
        jump.append(_exact(j0 * w.s))
        centre = span // 2 if span % 2 == 0 else Fraction(span, 2)
        start.append(_exact(s0 + (centre - w.p) * j0))
    return Field(tuple(size), tuple(jump), tuple(start), f.source, f.input_size, (), (), windows, f)


def _exact(v):
    """An int stays an int; a Fraction that is whole becomes one."""
    if type(v) is int:
        return v
    return int(v) if v.denominator == 1 else v


def _union(net: Network, nid: str, ins: list[Field]) -> Field:
    """Unit i of a merge sees what unit i of every branch sees. Aligned branches (equal jump and start) give a
    region centred where theirs are; otherwise the union of the first units' regions, and a warning."""
    label = net.nodes[nid].spec.label
    first = ins[0]
    warnings = []
    if len({f.source for f in ins}) > 1:
        warnings.append(f"{label} '{nid}' merges branches from different inputs "
                        f"({', '.join(sorted({f.source for f in ins}))}); its receptive field is given in the "
                        f"pixels of '{first.source}'.")
    size, jump, start, formula = [], [], [], []
    srcs = net.inputs_of(nid)
    for i, a in enumerate(first.axes):
        jumps = [f.jump[i] for f in ins]
        starts = [f.start[i] for f in ins]
        if len(set(jumps)) > 1 or len(set(starts)) > 1:
            what = (f"jumps {', '.join(_n(j) for j in jumps)}" if len(set(jumps)) > 1
                    else f"starts {', '.join(_n(s) for s in starts)}")
            warnings.append(f"{label} '{nid}': along {a} its branches ({', '.join(srcs)}) are misaligned ({what} "
                            "input pixels), so the units it adds up look at different places; the receptive "
                            "field given is that of the first unit.")
        lo = min(f.start[i] - Fraction(f.size[i] - 1, 2) for f in ins)
        hi = max(f.start[i] + Fraction(f.size[i] - 1, 2) for f in ins)
        size.append(_exact(hi - lo + 1))
        jump.append(max(jumps))
        start.append(_exact((lo + hi) / 2))
        formula.append(f"{a}: union of the branches' regions {', '.join(_n(f.size[i]) for f in ins)} "
                       f"→ r = {_n(hi - lo + 1)}, j = {_n(max(jumps))}, start = {_n((lo + hi) / 2)}")
    return Field(tuple(size), tuple(jump), tuple(start), first.source, first.input_size, tuple(formula),
                 tuple(warnings))


_last: list = [None, None, None]       # (network, results, fields) of the last call of fields_for


def fields_for(net: Network, results: dict) -> dict[str, Field | None]:
    """receptive_fields for the panels that show the same results (inspector, Shapes explained, Summary):
    computed once per new results dict."""
    if _last[0] is net and _last[1] is results:
        return _last[2]
    fields = receptive_fields(net, results)
    _last[:] = [net, results, fields]
    return fields


def field_table(net) -> dict[str, dict]:
    """Per block with spatial axes, its field as JSON plus the input's spatial size (for the live views,
    which draw a unit's region on the probe image). `net` a Network or its dict; {} for None."""
    from .serialization import network_from_dict
    from .shapes import infer_shapes
    if net is None:
        return {}
    if isinstance(net, dict):
        net = network_from_dict(net)
    out = {}
    for nid, f in receptive_fields(net, infer_shapes(net), 0).items():
        if f is not None:
            out[nid] = {**f.as_json(), "input_size": list(f.input_size), "source": f.source}
    return out
