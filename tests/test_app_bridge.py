"""File → Import PyTorch model…, File → Export ▸ …, and the Code panel, driven as a user would (file dialogs
patched to answer with a path in a temporary folder)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QApplication, QFileDialog
from test_app import EXAMPLES, dialogs, window  # noqa: F401  (fixtures)

import engine
from app.bridge_actions import ImportDialog, candidates
from engine.core.codegen import export_code

MODELS = Path(__file__).with_name("import_models.py")


@pytest.fixture
def save_to(monkeypatch, tmp_path):
    """Every save dialog answers with tmp_path / NAME (the name is set per call)."""
    answer = {"name": "out"}
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / answer["name"]), "")))
    return answer


def menu_texts(menu) -> list[str]:
    return [a.text() for a in menu.actions()]


def test_file_menu_has_import_and_an_export_submenu(window):
    texts = menu_texts(window.file_menu)
    assert "&Import PyTorch Model…" in texts and "E&xport" in texts
    assert texts.index("E&xport") < texts.index("&Quit")
    assert menu_texts(window.export_menu) == ["&PyTorch Code…", "Trained &Weights…", "Training &Script…", "&ONNX…"]


def test_export_menu_entries_write_their_files(window, save_to, tmp_path, dialogs):
    save_to["name"] = "model"                        # the suffix is added
    window.export_actions["code"].trigger()
    assert (tmp_path / "model.py").read_text() == export_code(window.doc.network, source="mnist_cnn.json")
    save_to["name"] = "train.py"
    window.export_actions["script"].trigger()
    compile((tmp_path / "train.py").read_text(), "train.py", "exec")
    assert "DistributedDataParallel" in (tmp_path / "train.py").read_text()
    save_to["name"] = "model.onnx"
    window.export_actions["onnx"].trigger()
    assert (tmp_path / "model.onnx").stat().st_size > 1000 and not dialogs["warning"]
    save_to["name"] = "weights.pt"
    window.export_actions["weights"].trigger()      # nothing trained or imported yet: a reason, no file
    assert not (tmp_path / "weights.pt").exists() and "no weights for this network" in dialogs["warning"][-1]


def test_import_brings_the_module_in_with_its_weights_and_exports_them(window, save_to, tmp_path, dialogs):
    assert window.bridge.import_target(f"{MODELS}:LeNet5", [1, 32, 32])
    net = window.doc.network
    assert net.name == "LeNet5" and len(net) == 13 and window.doc.modified
    assert all(n.position is not None for n in net.nodes.values())
    assert "Imported LeNet5" in window.statusBar().currentMessage()
    save_to["name"] = "lenet.pt"
    window.export_actions["weights"].trigger()
    state = torch.load(tmp_path / "lenet.pt", weights_only=True)
    model = engine.build_model(net)
    model.load_state_dict(state)                    # the imported module's weights, under the app's names


def test_a_failed_import_names_the_reason_and_keeps_the_network(window, dialogs):
    before = engine.network_to_dict(window.doc.network)
    assert not window.bridge.import_target(f"{MODELS}:Branching", [4])
    assert "data-dependent control flow" in dialogs["warning"][-1]
    assert engine.network_to_dict(window.doc.network) == before


def test_import_dialog_offers_the_files_classes_without_running_it(qtbot, tmp_path):
    (tmp_path / "m.py").write_text("raise SystemExit('ran')\nclass A: pass\ndef make(): pass\n_hidden = 1\n")
    assert candidates(tmp_path / "m.py") == ["A", "make"]
    dialog = ImportDialog(folder=str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.file.setText(str(tmp_path / "m.py"))
    dialog.fill_names()
    assert [dialog.name.itemText(i) for i in range(dialog.name.count())] == ["A", "make"]
    ok = dialog.buttons.buttons()[0]
    dialog.shape.setText("3, x")
    assert not ok.isEnabled()
    dialog.shape.setText("3, 32, 32")
    assert ok.isEnabled() and dialog.target() == f"{tmp_path / 'm.py'}:A"


def test_code_panel_shows_what_export_writes_and_follows_an_edit(window, qtbot):
    panel = window.code_panel
    window.code_dock.show()
    window.code_dock.raise_()
    qtbot.waitUntil(lambda: panel.editor.toPlainText() == export_code(window.doc.network, source="mnist_cnn.json"))
    ast.parse(panel.editor.toPlainText())
    window.editor.set_param("dense1", "out_features", 96)          # an edit as the inspector makes it
    qtbot.waitUntil(lambda: "nn.Linear(784, 96)" in panel.editor.toPlainText())
    assert panel.editor.toPlainText() == export_code(window.doc.network, source="mnist_cnn.json")
    panel.copy_button.click()
    assert QApplication.clipboard().text() == panel.editor.toPlainText()


def test_code_panel_says_why_when_the_network_cannot_be_exported(window, qtbot):
    panel = window.code_panel
    window.code_dock.show()
    window.code_dock.raise_()
    window.editor.set_param("conv1", "kernel_size", 99)
    qtbot.waitUntil(lambda: panel.editor.toPlainText().startswith("# The network has errors"))
    assert not panel.copy_button.isEnabled() and "errors" in panel.status.text()
