"""What every command shares: the exit statuses, an argparse parser that raises instead of exiting (so each
command returns its status and no traceback reaches the user), the one-line message on stderr and the
network file read with its reason. Qt-free and torch-free."""
from __future__ import annotations

import argparse
import sys

OK, NETWORK_ERRORS, UNUSABLE, INTERRUPTED = 0, 1, 2, 130
FAILED = NETWORK_ERRORS       # `train`: the run failed while it ran


class UsageError(Exception):
    """A command line argparse refuses; `usage` and `message` are as argparse wrote them."""

    def __init__(self, prog: str, usage: str, message: str):
        super().__init__(message)
        self.prog, self.usage, self.message = prog, usage, message


class Exit(Exception):
    """--help or --version: argparse's text and status, to be printed by the command."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(self.prog, self.format_usage(), message)

    def exit(self, status=0, message=None):
        raise Exit(status, message)


def say(message: str) -> None:
    """One line on stderr, as every command reports what it cannot do."""
    sys.stderr.write(f"netwright: {message}\n")
    sys.stderr.flush()


def shown(text: str, limit: int | None = 200) -> str:
    """Text from a file (the name, ids inside messages) as a terminal may print it: control characters, line
    breaks and invisible marks escaped (no escape sequence from a file reaches the terminal, a message stays
    one line), cut to `limit` characters."""
    from engine.core.graph import escaped
    text = escaped(text)
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def load(path: str):
    """The network of a file, or None after writing the reason to stderr."""
    import engine
    try:
        return engine.load_network(path)
    except engine.NetworkFileError as e:
        say(shown(str(e), None))
        return None
