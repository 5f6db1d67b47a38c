"""Downloads into the user's cache: progress, checksums as published, resumable, clear when offline.

`fetch(url, dest, checksum)` downloads to `dest.part`, resuming with an HTTP Range request when a
part is already there, checks the digest (`("md5", hex)` or `("sha256", hex)`) and only then renames
the part to `dest`. A damaged download is removed and named; no connection gives a sentence that
says how to get the data without one (`--data-dir`).
"""
from __future__ import annotations

import hashlib
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

CHUNK = 1 << 16


class DownloadError(OSError):
    """A download failed; the message names the file and says what to do."""


def cache_dir() -> Path:
    """$NETWRIGHT_CACHE, else $XDG_CACHE_HOME/netwright, else ~/.cache/netwright."""
    if os.environ.get("NETWRIGHT_CACHE"):
        return Path(os.environ["NETWRIGHT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "netwright"


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _open(url: str, start: int, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": "netwright"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(request, timeout=timeout)


def _offline_message(url: str, reason) -> str:
    host = urllib.request.urlparse(url).netloc
    why = getattr(reason, "strerror", None) or str(reason)
    return (f"Could not download {url}: {host} cannot be reached ({why}). Check the internet connection, "
            f"or get the file another way and pass its folder with --data-dir.")


def fetch(url: str, dest, checksum: tuple[str, str] | None = None,
          progress: Callable[[int, int | None], None] | None = None, timeout: float = 30.0) -> Path:
    """Download `url` to `dest` (resuming a `.part` left by an interrupted try) and verify it."""
    dest = Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, start, timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:        # the part is already complete
            response = None
        else:
            raise DownloadError(f"Could not download {url}: the server answered {e.code} {e.reason}.") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        raise DownloadError(_offline_message(url, getattr(e, "reason", e))) from None
    if response is not None:
        _receive(response, url, part, start, progress)
    if checksum:
        algorithm, expected = checksum
        actual = file_digest(part, algorithm)
        if actual.lower() != expected.lower():
            part.unlink()
            raise DownloadError(f"The download of {dest.name} from {url} is damaged: its {algorithm.upper()} is "
                                f"{actual}, expected {expected}. It was removed; try again.")
    os.replace(part, dest)
    return dest


def _receive(response, url: str, part: Path, start: int, progress) -> None:
    with response:
        resumed = start and response.status == 206
        length = response.headers.get("Content-Length")
        total = (int(length) + (start if resumed else 0)) if length else None
        done = start if resumed else 0
        try:
            with open(part, "ab" if resumed else "wb") as f:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    f.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        except (OSError, socket.timeout) as e:
            raise DownloadError(f"The download of {url} was interrupted after {done:,} bytes ({e}); run again to "
                                f"resume where it stopped.") from None
    if total is not None and done < total:
        raise DownloadError(f"The download of {url} was interrupted after {done:,} of {total:,} bytes; run again "
                            f"to resume where it stopped.")
