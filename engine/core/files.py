"""Writing files the way users expect: atomically, with normal permissions, leaving nothing behind.

Every file Netwright writes (networks, exported code and weights, run folders, recovery copies) goes
through `atomic_write`: the content goes to a uniquely named temporary file beside the target, is
flushed to disk, and replaces the target in one step, so a crash or a kill during a save leaves the
previous file intact. The new file gets the permissions a plain `open()` would give (the umask's,
e.g. 0644), or keeps those of the file it replaces. A failed write removes its temporary file, and
temporary files left by an interrupted save (a killed process) are removed by the next save of the
same file.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path
from collections.abc import Callable
from typing import BinaryIO

TMP_SUFFIX = ".netwright-tmp"
STALE_AFTER_S = 24 * 3600      # a temporary file this old is left over, whoever wrote it
_LEGACY_AFTER_S = 600          # names of older versions: .<name>.tmp, .<name>.XXXXXXXX.tmp, .<name>XXXXXXXX.tmp


def atomic_write(path, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(f)` with a binary file that becomes `path` once `write` returns; on any failure
    the target is unchanged and the temporary file is gone."""
    path = Path(path)
    folder = path.parent
    remove_stale_temporaries(path)
    tmp = folder / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TMP_SUFFIX}"
    mode = _mode_for(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                _chmod(f.fileno(), tmp, mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    _sync_folder(folder)
    return path


def atomic_write_bytes(path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text: str) -> Path:
    """Write `text` as UTF-8 (with '\\n' line ends on every system)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporary files an interrupted save of `path` left beside it: those of a process
    that is gone, and any older than a day. Returns what was removed."""
    path = Path(path)
    removed = []
    try:
        entries = list(os.scandir(path.parent if str(path.parent) else "."))
    except OSError:
        return removed
    prefix = f".{path.name}."
    legacy = re.compile(re.escape(f".{path.name}") + r"(\.tmp|\.?[A-Za-z0-9_]{8}\.tmp)$")
    now = time.time()
    for entry in entries:
        name = entry.name
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if name.startswith(prefix) and name.endswith(TMP_SUFFIX):
            owner = name[len(prefix):-len(TMP_SUFFIX)].split("-", 1)[0]
            stale = age > STALE_AFTER_S or (owner.isascii() and owner.isdigit() and len(owner) < 12
                                            and not _running(int(owner)))
        else:
            stale = bool(legacy.fullmatch(name)) and age > _LEGACY_AFTER_S
        if stale and entry.is_file(follow_symlinks=False) and _unlink(Path(entry.path)):
            removed.append(Path(entry.path))
    return removed


def _mode_for(path: Path) -> int | None:
    """The permissions the new file should have: those of the file it replaces, else None (then the
    umask applies, as for any file a program creates)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _chmod(fd: int, tmp: Path, mode: int) -> None:
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:
            os.chmod(tmp, mode)
    except OSError:
        pass        # e.g. a file system without Unix permissions: the umask's mode is kept


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True         # no cheap check without side effects: left to the age rule
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True         # PermissionError: it runs under another user
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
