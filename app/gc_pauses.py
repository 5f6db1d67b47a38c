"""Keeping the garbage collector's pauses out of typing.

Python's full collection walks every object alive. Once the window is up and torch is imported that is
about 200,000 objects, and a full collection took 250 ms: a keystroke that happened to trigger one froze
the window for a quarter of a second (the 1-in-20 spike of `benchmarks/canvas.py`'s app edit). `settle()`
collects once and moves everything alive at that moment (modules, classes, the window's widgets, torch)
into the collector's permanent generation, so later collections walk only what was made since: a
keystroke's worth of objects, about 1 ms. Reference counting still frees frozen objects; only a cycle
among them that is dropped later stays in memory (start-up objects live as long as the app anyway)."""
from __future__ import annotations

import gc


def settle() -> None:
    """Collect now and exempt the survivors from later full collections (call it when start-up is done:
    the window shown, torch imported)."""
    gc.collect()
    gc.freeze()
