"""The command line (spec §4): `check`, `train`, `export` and `import`, one module each beside this one, and
`parsing` for what they share. Never imports Qt; `check` never imports torch either, so it answers in a
fraction of a second.

Exit status: 0 fine; 1 the network has errors (or, for `train`, the run failed); 2 the file (or the command
line) cannot be used, with the reason on stderr; 130 stopped with Ctrl+C. No traceback reaches the user.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .parsing import NETWORK_ERRORS, OK, UNUSABLE, Exit, Parser, UsageError

__all__ = ["NETWORK_ERRORS", "OK", "UNUSABLE", "main", "make_parser"]

COMMANDS = ("check", "train", "export", "import")


def make_parser() -> Parser:
    from engine import __version__

    from . import check, export, import_network
    prog = "python main.py" if Path(sys.argv[0]).name == "main.py" else "netwright"
    parser = Parser(prog=prog, description="Design neural networks by hand: check, train and export network files. "
                    "With no command, `python main.py` opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"netwright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}", parser_class=Parser)
    check.add_parser(sub)
    sub.add_parser("train", help="train a network (python main.py train --help for the options)", add_help=False)
    export.add_parser(sub)
    import_network.add_parser(sub)
    return parser


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):       # an id a terminal cannot show is escaped, never a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "train":         # its own options, parsed by engine/cli/train.py
        return _train(args[1:])
    try:
        ns = make_parser().parse_args(args)
    except UsageError as e:
        sys.stderr.write(f"{e.usage}{e.prog}: error: {e.message}\n")
        return UNUSABLE
    except Exit as e:
        if e.message:
            (sys.stderr if e.status else sys.stdout).write(e.message)
        return e.status
    if ns.command is None:
        make_parser().print_help()
        return OK
    from . import check, export, import_network
    command = {"check": check, "export": export, "import": import_network}[ns.command]
    try:
        return command.run(ns)
    except KeyboardInterrupt:
        return 130
    except Exception as e:     # a bug of ours: one line a person can report, never a traceback
        sys.stderr.write(f"netwright: internal error while running {ns.command} ({type(e).__name__}: {e}); "
                         "please report it with the network file.\n")
        return UNUSABLE


def _train(args: list[str]) -> int:
    try:
        from . import train
    except ModuleNotFoundError as e:
        if e.name != "engine.cli.train":
            raise
        sys.stderr.write("netwright: training is not available in this installation (engine.cli.train is "
                         "missing).\n")
        return UNUSABLE
    return train.main(args)
