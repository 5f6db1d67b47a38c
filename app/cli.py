"""The command line: `check`, `train` and `export` (see the spec, section 4). Never imports Qt;
`check` never imports torch either, so it answers in a fraction of a second.

Exit status: 0 fine; 1 the network has errors; 2 the file (or the command line) cannot be used,
with the reason on stderr. No traceback reaches the user.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OK, NETWORK_ERRORS, UNUSABLE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `main` returns the exit status."""

    def error(self, message):
        raise _UsageError(f"{self.format_usage()}{self.prog}: error: {message}\n")

    def exit(self, status=0, message=None):
        raise _Exit(status, message)


class _UsageError(Exception):
    pass


class _Exit(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def make_parser() -> argparse.ArgumentParser:
    from engine import __version__
    prog = "python main.py" if Path(sys.argv[0]).name == "main.py" else "netwright"
    parser = _Parser(prog=prog, description="Design neural networks by hand: check, train and export "
                     "network files. With no command, `python main.py` opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"netwright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,train,export,import}", parser_class=_Parser)
    check = sub.add_parser("check", help="validate a network file and print every block's shape")
    check.add_argument("network", metavar="NET.json")
    check.add_argument("--json", action="store_true", help="print exactly one JSON object instead of a table")
    check.add_argument("--min-rf-share", type=_share, default=0.5, metavar="F",
                       help="warn when the last spatial layer's receptive field covers less than this share of "
                            "the input along an axis (0 to 1, default 0.5; 0 = never)")
    sub.add_parser("train", help="train a network (python main.py train --help for the options)", add_help=False)
    export = sub.add_parser("export", help="write the network as a PyTorch file with class Net(nn.Module)")
    export.add_argument("network", metavar="NET.json")
    export.add_argument("-o", "--output", metavar="model.py", help="file to write (default: print it)")
    export.add_argument("--weights", metavar="CHECKPOINT", help="a training checkpoint the file loads")
    export.add_argument("--script", metavar="train.py", help="write a standalone training script instead (torch and "
                        "numpy; runs as python train.py or torchrun --nproc_per_node=N train.py)")
    export.add_argument("--onnx", metavar="model.onnx", help="write ONNX with a dynamic batch axis instead (needs "
                        "pip install 'netwright[onnx]'); --weights gives it trained weights")
    from engine import import_cli
    import_cli.add_parser(sub)
    return parser


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):       # an id a terminal cannot show is escaped, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "train":
        return _train(args[1:])
    try:
        ns = make_parser().parse_args(args)
    except _UsageError as e:
        sys.stderr.write(str(e))
        return UNUSABLE
    except _Exit as e:
        if e.message:
            (sys.stderr if e.status else sys.stdout).write(e.message)
        return e.status
    if ns.command is None:
        make_parser().print_help()
        return OK
    try:
        if ns.command == "import":
            from engine import import_cli
            return import_cli.run(ns)
        if ns.command == "export" and (ns.script or ns.onnx):
            return _export_other(ns)
        return check(ns.network, ns.json, min_rf_share=ns.min_rf_share) if ns.command == "check" else export(ns.network, ns.output, ns.weights)
    except KeyboardInterrupt:
        return 130
    except Exception as e:     # a bug of ours: one line a person can report, never a traceback
        sys.stderr.write(f"netwright: internal error while running {ns.command} ({type(e).__name__}: {e}); "
                         "please report it with the network file.\n")
        return UNUSABLE


def _train(args: list[str]) -> int:
    try:
        from engine import train_cli
    except ModuleNotFoundError as e:
        if e.name != "engine.train_cli":
            raise
        sys.stderr.write("netwright: training is not available in this installation (engine.train_cli is "
                         "missing).\n")
        return UNUSABLE
    return train_cli.main(args)


def _export_other(ns) -> int:
    """`export --script` or `export --onnx` (app/export_cli.py)."""
    from app import export_cli
    if ns.script and ns.onnx or (ns.script or ns.onnx) and ns.output:
        sys.stderr.write("netwright: give one of -o, --script and --onnx.\n")
        return UNUSABLE
    if ns.script and ns.weights:
        sys.stderr.write("netwright: --weights goes with -o or --onnx; the training script trains its own.\n")
        return UNUSABLE
    net = _load(ns.network)
    if net is None:
        return UNUSABLE
    return export_cli.script(net, ns.network, ns.script) if ns.script else export_cli.onnx(net, ns.onnx, ns.weights)


def _load(path: str):
    """The network of a file, or None after writing the reason to stderr."""
    import engine
    try:
        return engine.load_network(path)
    except engine.NetworkFileError as e:
        sys.stderr.write(f"netwright: {_shown(str(e), None)}\n")
        return None


# ---- check -------------------------------------------------------------------------------------------

def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def check(path: str, as_json: bool = False, out=None, min_rf_share: float = 0.5) -> int:
    import engine
    from engine.receptive import receptive_fields
    out = out or sys.stdout
    net = _load(path)
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


def _shown(text: str, limit: int | None = 200) -> str:
    """Text from a file (the name, ids inside messages) as a terminal may print it: control characters, line
    breaks and invisible marks escaped (no escape sequence from a file reaches the terminal, a message stays
    one line), cut to `limit` characters."""
    from engine.graph import escaped
    text = escaped(text)
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


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
        rows.append((_shown(nid, ID_SHOWN), BLOCKS[node.type].label, shape, rf, _count(r.params if r.ok else None),
                     _count(r.macs if r.ok else None), formula))
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(6)]
    right = (False, False, False, False, True, True)

    def line(cells):
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return ("  ".join(parts) + "  " + cells[6]).rstrip()

    if not results:
        return f"{_shown(net.name)}: no blocks. Add an Input block and connect the blocks of the network after it.\n"
    lines = [f"{_shown(net.name)}: {len(results)} blocks", "", line(head), "  ".join("-" * w for w in widths) + "  --------"]
    long_ids = sorted((nid for nid in net.nodes if len(nid) > ID_SHOWN), key=len, reverse=True)

    def message(text: str) -> str:        # one line, escaped, with long ids cut as in the table's first column
        for nid in long_ids:
            text = text.replace(nid, nid[:ID_SHOWN - 1] + "…")
        return _shown(text, None)

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


# ---- export ------------------------------------------------------------------------------------------

def _warn_if_huge(net) -> None:
    """Above the sane sizes (engine/sizes.py) the exported file may not run anywhere: say so on stderr."""
    from engine import infer_shapes
    from engine.sizes import estimate, size_warnings
    for warnings in size_warnings(net, estimate(net, infer_shapes(net))).values():
        for w in warnings:
            sys.stderr.write(f"netwright: warning: {w}\n")


def export(path: str, output: str | None, weights: str | None) -> int:
    """Write the network as Python; with a checkpoint, also its weights beside the file (MODEL.weights.pt:
    tensors only, so the exported file loads them with torch.load(weights_only=True))."""
    if weights is not None and not output:
        sys.stderr.write("netwright: --weights needs -o FILE: the weights are written beside the exported file.\n")
        return UNUSABLE
    if output and not Path(output).resolve().parent.is_dir():
        sys.stderr.write(f"netwright: cannot write {output}: the folder {Path(output).resolve().parent} does not "
                         "exist.\n")
        return UNUSABLE
    net = _load(path)
    if net is None:
        return UNUSABLE
    _warn_if_huge(net)
    from engine.export import ExportCodeError, ExportError, export_code, save_weights
    target = Path(output) if output else None
    sidecar = target.with_name(target.stem + ".weights.pt") if weights is not None else None
    try:
        code = export_code(net, sidecar.name if sidecar else None, source=Path(path).name)   # compiled, never run
    except ExportCodeError as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    except ExportError as e:
        sys.stderr.write(f"netwright: {e}\n")
        return NETWORK_ERRORS
    if weights is not None:
        from app.export_cli import read_weights
        state = read_weights(net, weights)
        if state is None:
            return UNUSABLE
    if target is None:
        sys.stdout.write(code)
        return OK
    from engine.files import atomic_write_text
    try:
        if sidecar is not None:
            save_weights(state, sidecar)
        atomic_write_text(target, code)
    except (OSError, RuntimeError) as e:
        sys.stderr.write(f"netwright: cannot write {target}: {getattr(e, 'strerror', None) or e}.\n")
        return UNUSABLE
    also = f" and its weights {sidecar}" if sidecar else ""
    print(f"wrote {target}{also} (class Net; `python {target}` runs one forward pass)")
    return OK
