"""Worker threads that never destroy Qt objects.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a collection is
due. In a worker thread that can free a closed window's widgets (or any Qt object caught in a
reference cycle) off the GUI thread, which Qt answers with "Timers cannot be started from another
thread" warnings or a crash. So while any worker runs, automatic collection is paused (the GUI thread's
next collection after the worker ends catches up), and a worker holds no reference to a widget: it
gets plain data and a relay QObject to emit its result on."""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_running = 0
_was_enabled = False


def _enter() -> None:
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1


def _leave() -> None:
    global _running
    with _lock:
        _running -= 1
        if _running == 0 and _was_enabled:
            gc.enable()


def running() -> int:
    """How many workers are running now (collection is paused while this is above 0)."""
    with _lock:
        return _running


def start_worker(work, name: str) -> threading.Thread:
    """Run `work()` in a daemon thread with automatic garbage collection paused until it returns."""
    _enter()

    def run():
        try:
            work()
        finally:
            _leave()
    thread = threading.Thread(target=run, name=name, daemon=True)
    try:
        thread.start()
    except BaseException:
        _leave()
        raise
    return thread
