"""Worker threads never run the cyclic garbage collector (it could destroy Qt objects off the GUI
thread: the warnings and the crash seen when a closed window's widgets were collected in the training
panel's fit-check thread); collection is back on once every worker has ended."""
from __future__ import annotations

import gc
import threading
import time

import pytest

from widgets.worker import running, start_worker


@pytest.fixture(autouse=True)
def no_other_workers():
    """A worker an earlier test started may still run (a fit check of AlexNet's 224×224 input takes
    seconds): these tests begin once it has ended, as collection is paused until then."""
    deadline = time.monotonic() + 120
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running() == 0 and gc.isenabled()


def test_collection_is_paused_while_workers_run_and_restored_after():
    assert gc.isenabled()
    go, seen = threading.Event(), []

    def work():
        seen.append(gc.isenabled())
        go.wait(10)
    first, second = start_worker(work, "one"), start_worker(work, "two")
    assert not gc.isenabled()
    go.set()
    first.join(10)
    second.join(10)
    assert seen == [False, False] and gc.isenabled()


def test_a_failing_worker_restores_collection_too():
    def work():
        raise ValueError("boom")
    old = threading.excepthook
    threading.excepthook = lambda args: None       # the error is the worker's own business
    try:
        start_worker(work, "fails").join(10)
    finally:
        threading.excepthook = old
    assert gc.isenabled()
