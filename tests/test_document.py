"""The document: files (save/reopen, broken files, layout of files without positions), live shapes,
crash recovery and the clipboard format."""
from __future__ import annotations

import json

import engine
import pytest

from app import clipboard
from app.commands import AddBlock, AddBlocks, SetParams
from app.document import Document
from app.recovery import Recovery


@pytest.fixture
def doc(qapp):
    return Document()


def test_save_and_reopen_gives_the_same_network(doc, load_example, tmp_path):
    doc.replace(load_example("crnn"), None)
    node = next(iter(doc.network.nodes))
    doc.network.extra["training"] = {"epochs": 3}          # unknown keys survive the round trip
    path = tmp_path / "mine.json"
    doc.save(path)
    assert not doc.modified and doc.path == path.resolve()
    other = Document()
    other.open(path)
    assert engine.network_to_dict(other.network) == engine.network_to_dict(doc.network)
    assert other.network.extra["training"] == {"epochs": 3}
    assert node in other.network


def test_a_failed_save_as_changes_nothing(doc, tmp_path):
    doc.new()
    doc.undo_stack.push(AddBlock(doc, "Input", {"shape": [4]}))
    with pytest.raises(OSError):
        doc.save(tmp_path / "no such folder" / "mine.json")
    assert doc.network.name == "Untitled" and doc.path is None and doc.modified


def test_a_broken_file_leaves_the_current_document_untouched(doc, load_example, tmp_path):
    doc.replace(load_example("lenet5"), None)
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 7}))
    before = engine.network_to_dict(doc.network)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "netwright.network", "version": 1, "nodes": [{"id": "x", "type": "Conv9d"}]}')
    with pytest.raises(engine.NetworkFileError, match="Conv9d"):
        doc.open(bad)
    assert engine.network_to_dict(doc.network) == before
    assert doc.modified and doc.undo_stack.count() == 1


def test_every_example_opens_with_valid_shapes(doc, examples_dir):
    paths = sorted(examples_dir.glob("*.json"))
    assert paths
    for path in paths:
        doc.open(path)
        assert doc.results and all(r.ok for r in doc.results.values()), path.name
        assert all(n.position is not None for n in doc.network.nodes.values())
        assert not doc.modified


def test_a_file_without_positions_is_laid_out_in_layers(doc, tmp_path):
    data = {"format": "netwright.network", "version": 1, "nodes": [
        {"id": "in", "type": "Input", "params": {"shape": [8]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}}],
        "edges": [{"source": "in", "target": "fc"}]}
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(data))
    doc.open(path)
    pos = {k: n.position for k, n in doc.network.nodes.items()}
    assert pos["in"] is not None and pos["fc"] is not None
    assert pos["fc"][1] > pos["in"][1]          # the output sits below its input


def test_shapes_follow_every_edit(doc, load_example):
    doc.replace(load_example("lenet5"), None)
    seen = []
    doc.results_changed.connect(lambda r: seen.append(r["c1"].shape))
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 9}))
    assert seen[-1][0] == 9
    doc.undo_stack.undo()
    assert seen[-1][0] == 6


def test_recovery_copy_is_written_offered_and_removed(doc, load_example, tmp_path):
    doc.replace(load_example("lenet5"), None)
    rec = Recovery(doc, tmp_path)
    rec.write()
    assert not rec.path.exists()          # nothing unsaved, nothing to recover
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 11}))
    rec.write()
    later = Recovery(doc, tmp_path)           # another window while this one lives: not its to take
    assert later.pending() is None and rec.path.exists()
    rec.lock.unlock()                         # the first window's process is gone (a crash)
    found = later.pending()
    assert found is not None
    net, original = found
    assert net.nodes["c1"].params["out_channels"] == 11 and original is None
    later.drop_found()
    assert not rec.path.exists() and later.pending() is None


def test_recovery_timer_writes_after_a_change(qtbot, doc, load_example, tmp_path):
    doc.replace(load_example("lenet5"), None)
    rec = Recovery(doc, tmp_path)
    rec.timer.setInterval(10)
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 12}))
    qtbot.waitUntil(rec.path.exists, timeout=3000)


def test_copied_blocks_paste_with_fresh_ids_same_params_and_their_inner_links(doc, load_example):
    doc.replace(load_example("lenet5"), None)
    net = doc.network
    ids = ["c1", "a1", "s2"]
    from PySide6.QtCore import QMimeData
    mime = QMimeData()
    mime.setText(clipboard.to_text(clipboard.copy_blocks(net, ids)))     # as copying puts it there
    data = clipboard.from_mime(mime)
    nodes, edges = clipboard.paste_plan(net, data)
    assert len(nodes) == 3 and not {n["id"] for n in nodes} & set(ids)
    rename = {old: n["id"] for old, n in zip(ids, nodes)}
    assert edges == [(rename["c1"], rename["a1"]), (rename["a1"], rename["s2"])]
    doc.undo_stack.push(AddBlocks(doc, nodes, edges))
    for old, new in rename.items():
        assert net.nodes[new].params == net.nodes[old].params
        assert net.nodes[new].position[0] == net.nodes[old].position[0] + clipboard.OFFSET[0]
    assert net.inputs_of(rename["c1"]) == []            # the link from outside the copy is not pasted


def test_the_clipboard_ignores_text_that_is_not_blocks(qapp):
    from PySide6.QtCore import QMimeData
    mime = QMimeData()
    mime.setText("hello")
    assert clipboard.from_mime(mime) is None
