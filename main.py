"""Netwright: `python main.py` opens the desktop app; `python main.py check|train|export|import ...` runs the
command line (which never imports Qt)."""
import sys

COMMANDS = ("check", "train", "export", "import", "-h", "--help", "--version")


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in COMMANDS:
        from engine.cli import main as cli_main
        return cli_main(args)
    from app.gui import run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
