"""The training process's entry point, importable without torch: the window that starts a run only
needs this module's name (multiprocessing's spawn imports engine.runtime.trainer in the child), so pressing
Start never waits for torch to load in the window's own process."""
from __future__ import annotations


def run_child(conn, network_dict: dict, settings_dict: dict) -> None:
    from .trainer import run_child as run
    run(conn, network_dict, settings_dict)
