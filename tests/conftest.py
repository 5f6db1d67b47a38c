"""Shared fixtures: the example networks (resources/examples) and the real data folder outside the repo."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")     # plain `pytest` runs without a screen too

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def load_example():
    """load_example("lenet5") -> the engine.Network of resources/examples/lenet5.json."""
    import engine

    def load(name: str):
        return engine.load_network(EXAMPLES / f"{name}.json")
    return load


@pytest.fixture
def open_window(qtbot, tmp_path, monkeypatch):
    """open_window("mnist_cnn", (1400, 900)) -> a shown MainWindow on that example, with its own settings
    folder and every "save the changes?" answered Discard."""
    from PySide6.QtWidgets import QMessageBox

    from app.main_window import MainWindow
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))

    def open_(example: str, size: tuple[int, int]):
        w = MainWindow()
        qtbot.addWidget(w)
        assert w.files.open_path(EXAMPLES / f"{example}.json", ask=False)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        return w
    return open_


@pytest.fixture
def data_dir() -> Path:
    """/work/shared/data (MNIST test digits, tinyshakespeare.txt); skips the test where it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is absent")
    return DATA


@pytest.fixture
def chain():
    """chain(("Input", {"shape": [1, 8, 8]}), ("Conv2d", {...}), ...) -> a Network linking the blocks in a
    row; ids are "b0", "b1", ... unless a step is (id, type, params)."""
    import engine

    def make(*steps):
        nodes = []
        for i, step in enumerate(steps):
            nid, typ, params = step if len(step) == 3 else (f"b{i}", *step)
            nodes.append({"id": nid, "type": typ, "params": params})
        edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
        return engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": nodes,
                                         "edges": edges})
    return make
