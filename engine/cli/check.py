"""`python main.py check NET.json [--json]`: every block's shape, parameters, MACs, receptive field and
formula, its warnings and errors, and the totals (spec §4). Never imports torch: it answers in a fraction of
a second."""
from __future__ import annotations

import argparse
import json
import sys

from .parsing import NETWORK_ERRORS, OK, UNUSABLE, load, shown


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="validate a network file and print every block's shape")
    p.add_argument("network", metavar="NET.json")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object instead of a table")
    p.add_argument("--min-rf-share", type=share, default=0.5, metavar="F",
                   help="warn when the last spatial layer's receptive field covers less than this share of the "
                        "input along an axis (0 to 1, default 0.5; 0 = never)")


def run(ns) -> int:
    return check(ns.network, ns.json, min_rf_share=ns.min_rf_share)


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def check(path: str, as_json: bool = False, out=None, min_rf_share: float = 0.5) -> int:
    import engine
    from engine.core.receptive import receptive_fields
    out = out or sys.stdout
    net = load(path)
    if net is None:
        return UNUSABLE
    results = engine.infer_shapes(net)
    total = engine.summary(net, results)
    fields = receptive_fields(net, results, min_rf_share)
    total["warnings"] += sum(len(f.warnings) for f in fields.values() if f)
    if as_json:
        doc = {"valid": total["valid"], "name": net.name, "total_params": total["total_params"],
               "total_macs": total["total_macs"], "activation_bytes": total["activation_bytes"],
               "output": net.output_node(), "nodes": {}}
        for nid, r in results.items():
            node = r.as_json(net.nodes[nid].type)
            node["macs"] = r.macs if r.shape is not None else None
            f = fields[nid]
            node["receptive_field"] = f.as_json() if f else None
            node["warnings"] += list(f.warnings) if f else []
            doc["nodes"][nid] = node
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        out.write(format_table(net, results, total, fields))
    return OK if total["valid"] else NETWORK_ERRORS


ID_SHOWN = 60       # characters of an id the table shows


def _count(n) -> str:
    return "—" if n is None else f"{n:,}"


def format_table(net, results, total, fields=None) -> str:
    """The per-block table of `check`: block, type, output shape, receptive field, params, MACs, formula;
    warnings and errors on the lines below their block; totals at the end."""
    from engine import BLOCKS, fmt_shape
    fields = fields or {}
    head = ("block", "type", "output", "RF", "params", "MACs", "formula")
    rows = []
    for nid, r in results.items():
        node = net.nodes[nid]
        shape = fmt_shape(r.shape) if r.shape is not None else "—"
        formula = "; ".join(line for line in r.formula.splitlines() if line) if r.ok else ""
        rf = fields[nid].text() if fields.get(nid) else "—"
        rows.append((shown(nid, ID_SHOWN), BLOCKS[node.type].label, shape, rf, _count(r.params if r.ok else None),
                     _count(r.macs if r.ok else None), formula))
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(6)]
    right = (False, False, False, False, True, True)

    def line(cells):
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return ("  ".join(parts) + "  " + cells[6]).rstrip()

    if not results:
        return f"{shown(net.name)}: no blocks. Add an Input block and connect the blocks of the network after it.\n"
    lines = [f"{shown(net.name)}: {len(results)} blocks", "", line(head), "  ".join("-" * w for w in widths) + "  --------"]
    long_ids = sorted((nid for nid in net.nodes if len(nid) > ID_SHOWN), key=len, reverse=True)

    def message(text: str) -> str:        # one line, escaped, with long ids cut as in the table's first column
        for nid in long_ids:
            text = text.replace(nid, nid[:ID_SHOWN - 1] + "…")
        return shown(text, None)

    for row, (nid, r) in zip(rows, results.items()):
        lines.append(line(row))
        if r.error:
            lines.append(f"    error: {message(r.error)}")
        lines += [f"    warning: {message(w)}"
                  for w in r.warnings + list(fields[nid].warnings if fields.get(nid) else ())]
    mib = total["activation_bytes"] / 2 ** 20
    lines += ["", f"total: {total['total_params']:,} trainable parameters, {total['total_macs']:,} MACs and "
              f"{mib:.2f} MiB of activations per sample"]
    if total["valid"]:
        lines.append(f"valid ({total['warnings']} warning{'s' if total['warnings'] != 1 else ''})")
    else:
        lines.append(f"NOT valid: {total['errors']} block{'s' if total['errors'] != 1 else ''} with errors, "
                     f"{total['warnings']} warning{'s' if total['warnings'] != 1 else ''}")
    return "\n".join(lines) + "\n"
