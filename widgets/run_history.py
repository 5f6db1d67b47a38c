"""Earlier runs of a network, kept across sessions: at a run's end the live views write the curves
into its run folder (`curves.csv`, as "Export CSV" writes them, and `live.json` naming the network's
structure); the next session's first run of the same structure finds them there and shows them
faintly behind its own curves.

No pyqtgraph here, so the live views stay cheap to import.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from engine.core.files import atomic_write_text

CURVES_FILE = "curves.csv"
KEY_FILE = "live.json"


def save_curves(run_dir, structure: str, metric: str, csv_text: str) -> None:
    """Keep a finished run's curves in its folder (atomic writes; a folder that is gone is skipped)."""
    folder = Path(run_dir)
    if not folder.is_dir():
        return
    atomic_write_text(folder / CURVES_FILE, csv_text)
    atomic_write_text(folder / KEY_FILE, json.dumps({"structure": structure, "metric": metric}) + "\n")


def load_earlier(root, structure: str, exclude=None, limit: int = 3) -> list[dict]:
    """The smoothed curves of the newest runs under `root` of a network with this structure:
    [{panel name: (steps, values)}], newest first. Unreadable folders are skipped."""
    import numpy as np
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for key_file in root.glob(f"*/{KEY_FILE}"):
        folder = key_file.parent
        if exclude is not None and folder.resolve() == Path(exclude).resolve():
            continue
        try:
            key = json.loads(key_file.read_text(encoding="utf-8"))
            if key.get("structure") != structure:
                continue
            found.append((key_file.stat().st_mtime, folder))
        except (OSError, ValueError, AttributeError):
            continue
    runs = []
    for _, folder in sorted(found, key=lambda t: t[0], reverse=True)[:limit]:
        series: dict[str, tuple[list, list]] = {}
        try:
            with open(folder / CURVES_FILE, newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    name, _, kind = row["series"].rpartition("/")
                    if kind == "smoothed":
                        xs, ys = series.setdefault(name, ([], []))
                        xs.append(float(row["step"]))
                        ys.append(float(row["value"]))
        except (OSError, ValueError, KeyError, csv.Error):
            continue
        if series:
            runs.append({name: (np.array(xs), np.array(ys)) for name, (xs, ys) in series.items()})
    return runs
