"""The document never holds what the loader refuses: paste (including hostile clipboard text),
parameter edits, moves, renames and quick fixes go through the loader's checks, so every saved file
reopens equal; undo of everything gives the initial document exactly (same values of the same types,
in the same order). Reproductions of the defects found, then a stateful test over the document."""
from __future__ import annotations

import json
import math
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from PySide6.QtGui import QGuiApplication

import engine
from app import clipboard
from app.commands import SetParams
from app.document import Document
from app.editing import Editor
from app.validation import same
from engine.core import serialization
from engine.core.blocks.spec import Fix

SMALL = {"format": "netwright.network", "version": 1, "name": "small", "note": {"kept": True},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}, "position": [0, 0]},
                   {"id": "c1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3},
                    "position": [0, 100], "comment": "unknown keys survive"},
                   {"id": "r1", "type": "ReLU", "params": {}, "position": [0, 200]},
                   {"id": "d1", "type": "Dropout", "params": {"p": 1}, "position": [0.5, 300]},
                   {"id": "f1", "type": "Flatten", "params": {}, "position": [0, 400]},
                   {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "position": [0, 500]}],
         "edges": [{"source": "x", "target": "c1"}, {"source": "c1", "target": "r1"},
                   {"source": "r1", "target": "d1"}, {"source": "d1", "target": "f1"},
                   {"source": "f1", "target": "fc"}]}


def text(net) -> str:
    """The document as a save writes it: the exact comparison (0 is not 0.0, True is not 1, order counts)."""
    return serialization.dumps(net)


def reopens_equal(net, path: Path) -> bool:
    engine.save_network(net, path)
    return text(engine.load_network(path)) == text(net)


@pytest.fixture
def edited(qapp):
    doc = Document()
    doc.replace(engine.network_from_dict(json.loads(json.dumps(SMALL))), None)
    editor = Editor(doc)
    said: list[str] = []
    editor.status.connect(said.append)
    return doc, editor, said


def put_on_clipboard(data) -> None:
    QGuiApplication.clipboard().setText(data if isinstance(data, str) else json.dumps(data))


def blocks(*nodes, edges=()) -> dict:
    return {"format": clipboard.FORMAT, "nodes": list(nodes), "edges": [list(e) for e in edges]}


# ---- the defects found -------------------------------------------------------------------------

def test_a_pasted_blocks_unknown_keys_cannot_replace_its_id_type_or_params(edited, tmp_path):
    doc, editor, said = edited
    put_on_clipboard(blocks({"id": "new", "type": "ReLU", "params": {}, "position": [5, 5],
                             "extra": {"id": "c1", "type": "Linear", "params": 3, "position": "x", "note": "kept"}}))
    [pasted] = editor.paste()
    assert doc.network.nodes[pasted].extra == {"note": "kept"}
    assert reopens_equal(doc.network, tmp_path / "a.json")       # not "Two blocks have the id 'c1'"


@pytest.mark.parametrize("node", [
    {"id": "p", "type": "ReLU", "position": ["a", 1]},
    {"id": "p", "type": "ReLU", "position": [1e308 * 10, 0]},
    {"id": "p", "type": "ReLU", "position": [1, 2, 3]},
    {"id": "p", "type": "ReLU", "params": [1]},
    {"id": "p", "type": "ReLU", "params": "x"},
    {"id": "p", "type": "ReLU", "extra": [1]},
    {"id": ["p"], "type": "ReLU"},
    {"id": "p", "type": {"a": 1}},
    {"id": "p", "type": "NoSuchBlock"},
    {"id": "\ud800", "type": "ReLU"},
    {"id": "p", "type": "ReLU", "params": {"x": "\udfff"}},
])
def test_a_hostile_pasted_block_is_refused_with_a_reason_and_nothing_changes(edited, node):
    doc, editor, said = edited
    before = text(doc.network)
    put_on_clipboard(blocks(node))
    assert editor.paste() == []                      # no ValueError or TypeError from inside the undo stack
    assert said and ("Cannot paste" in said[-1] or "no blocks" in said[-1])
    assert text(doc.network) == before and doc.undo_stack.count() == 0


@pytest.mark.parametrize("raw", ["", "not json", "[" * 100000, '{"format": "netwright.blocks"}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "p", "type": "Linear", '
                                 '"params": {"out_features": ' + "9" * 5000 + '}}]}',
                                 '{"format": "netwright.blocks", "nodes": 5}',
                                 '{"format": "netwright.blocks", "nodes": [5, null]}',
                                 '{"format": "netwright.blocks", "nodes": [], "edges": "x"}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "a", "type": "ReLU"}], '
                                 '"edges": [[["a"], "a"], [1, 2, 3]]}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "a", "type": "ReLU"}, '
                                 '{"id": "b", "type": "ReLU"}], "edges": [["a", "b"], ["a", "b"]]}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "a", "type": "ReLU"}, '
                                 '{"id": "b", "type": "ReLU"}], "edges": [["a", "b"], ["b", "a"]]}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "a", "type": "ReLU"}, '
                                 '{"id": "a", "type": "ReLU"}]}',
                                 '{"format": "netwright.blocks", "nodes": [{"id": "a", "type": "Input", '
                                 '"params": {"shape": [1]}}], "edges": [["a", "a"]]}'])
def test_hostile_clipboard_text_never_raises_it_gives_a_message(edited, raw, tmp_path):
    doc, editor, said = edited
    before = text(doc.network)
    put_on_clipboard(raw)
    assert editor.paste() == []
    assert said and ("Cannot paste" in said[-1] or "no blocks" in said[-1])
    assert text(doc.network) == before


@pytest.mark.parametrize("name, value", [("out_channels", "6"), ("out_channels", 6.0), ("out_channels", True),
                                         ("kernel_size", [3]), ("kernel_size", (3, 3)), ("no_such", 1),
                                         ("padding", "middle"), ("out_channels", [4])])
def test_a_wrongly_typed_value_from_the_editor_layer_is_refused(edited, name, value, tmp_path):
    doc, editor, said = edited
    assert not editor.set_param("c1", name, value)
    assert "Not set" in said[-1] and not doc.modified
    assert doc.network.nodes["c1"].params == {"out_channels": 4, "kernel_size": 3}


def test_a_value_that_is_not_finite_is_refused(edited):
    doc, editor, said = edited
    for bad in (math.nan, math.inf):
        assert not editor.set_param("d1", "p", bad)
    assert not doc.modified and doc.network.nodes["d1"].params == {"p": 1}


def test_quick_fixes_and_renames_are_checked_too(edited):
    doc, editor, said = edited
    assert not editor.fix("c1", Fix("Set it", "set_params", params={"out_channels": "many"}))
    assert not editor.fix("c1", Fix("Insert it", "insert_before", block="NoSuchBlock"))
    assert not editor.fix("c1", Fix("Insert it", "insert_before", block="Linear", params={"out_features": [1]}))
    assert not editor.rename("c1", "\ud800")
    assert doc.undo_stack.count() == 0 and all("Cannot" in s for s in said)
    assert editor.fix("f1", Fix("Insert ReLU", "insert_before", block="ReLU"))


def test_undo_of_everything_gives_the_initial_document_exactly(edited, tmp_path):
    doc, editor, said = edited
    initial = text(doc.network)
    editor.move({"c1": ((0, 100), (12.5, 140.25))})
    editor.set_param("d1", "p", 0.25)
    editor.set_param("c1", "out_channels", 9)
    editor.set_param("c1", "kernel_size", None)           # back to the default: the key goes …
    editor.delete(["r1"])
    editor.rename("fc", "head")
    assert text(doc.network) != initial
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert text(doc.network) == initial                   # … and comes back in its place; [0, 100] not [0.0, 100.0]
    assert doc.network.nodes["c1"].position == (0, 100) and type(doc.network.nodes["c1"].position[0]) is int
    assert not doc.modified


def test_a_merged_edit_compares_type_as_well_as_value(edited):
    doc, editor, said = edited
    assert editor.set_param("d1", "p", 0.5)
    assert editor.set_param("d1", "p", 1.0)               # merged with the previous step: 1 → 1.0 is a change
    assert doc.undo_stack.count() == 1 and doc.modified
    assert type(doc.network.nodes["d1"].params["p"]) is float
    doc.undo_stack.undo()
    assert doc.network.nodes["d1"].params["p"] == 1 and type(doc.network.nodes["d1"].params["p"]) is int
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 5}))
    doc.undo_stack.push(SetParams(doc, "c1", {"out_channels": 4}))   # back to the start: no step, clean
    assert doc.undo_stack.index() == 0 and not doc.modified


def test_same_tells_types_apart():
    assert same([1, {"a": 2.0}], [1, {"a": 2.0}])
    assert not same(True, 1) and not same(1, 1.0) and not same([0, 100], [0.0, 100.0])
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})


# ---- the stateful test --------------------------------------------------------------------------

TYPES = sorted(engine.BLOCKS)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 70) | st.floats() | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=6)
VALUES = (st.none() | st.booleans() | st.integers(-3, 40) | st.floats() | st.text(max_size=4)
          | st.lists(st.integers(-2, 9), max_size=4) | st.sampled_from(["same", "valid", "mean", "max"]) | JSON)
COORD = st.integers(-3000, 3000) | st.floats(-3000, 3000, allow_nan=False)
KEYS = st.sampled_from(["id", "type", "params", "position", "extra"])


class DocumentMachine(RuleBasedStateMachine):
    """Random edits through the editor layer (as the views make them); the document must always save
    and reopen equal, never hold a dangling link, and undo/redo all the way must be exact."""

    def __init__(self):
        super().__init__()
        self.folder = Path(FOLDER[0])
        self.saves = 0

    @initialize()
    def start(self):
        self.doc = Document()
        self.doc.replace(engine.network_from_dict(json.loads(json.dumps(SMALL))), None)
        self.editor = Editor(self.doc)
        self.initial = text(self.doc.network)

    def ids(self):
        return list(self.doc.network.nodes)

    # ---- edits ----
    @rule(type_name=st.sampled_from(TYPES), x=COORD, y=COORD)
    def add(self, type_name, x, y):
        self.editor.add_block(type_name, (x, y))

    @precondition(lambda self: self.doc.network.nodes)
    @rule(data=st.data())
    def remove(self, data):
        self.editor.delete([data.draw(st.sampled_from(self.ids()))])

    @precondition(lambda self: len(self.doc.network.nodes) > 1)
    @rule(data=st.data())
    def connect(self, data):
        ids = self.ids()
        self.editor.link(data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids)))

    @precondition(lambda self: self.doc.network.nodes)
    @rule(data=st.data(), value=VALUES)
    def set_parameter(self, data, value):
        nid = data.draw(st.sampled_from(self.ids()))
        names = [p.name for p in self.doc.network.nodes[nid].spec.params] + ["no_such"]
        self.editor.set_param(nid, data.draw(st.sampled_from(names)), value)

    @precondition(lambda self: self.doc.network.nodes)
    @rule(data=st.data(), x=COORD | st.floats() | st.text(max_size=2), y=COORD)
    def move(self, data, x, y):
        nid = data.draw(st.sampled_from(self.ids()))
        self.editor.move({nid: (self.doc.network.nodes[nid].position, (x, y))})

    @precondition(lambda self: self.doc.network.nodes)
    @rule(data=st.data(), new=st.text(max_size=4))
    def rename(self, data, new):
        self.editor.rename(data.draw(st.sampled_from(self.ids())), new)

    @precondition(lambda self: self.doc.network.nodes)
    @rule(data=st.data(), key=KEYS, value=JSON, mutate=st.booleans())
    def paste_a_copy(self, data, key, value, mutate):
        """A copy of some blocks, as the app puts it on the clipboard, maybe with one field spoiled."""
        chosen = data.draw(st.lists(st.sampled_from(self.ids()), min_size=1, max_size=3, unique=True))
        copied = clipboard.copy_blocks(self.doc.network, chosen)
        if mutate:
            copied["nodes"][0][key] = value
        put_on_clipboard(json.dumps(copied))
        self.editor.paste()

    @rule(raw=st.text(max_size=40) | JSON.map(lambda v: json.dumps({"format": clipboard.FORMAT, "nodes": v})))
    def paste_hostile_text(self, raw):
        put_on_clipboard(raw)
        self.editor.paste()

    @precondition(lambda self: any(r.fixes for r in self.doc.results.values()))
    @rule(data=st.data())
    def quick_fix(self, data):
        nid = data.draw(st.sampled_from([n for n, r in self.doc.results.items() if r.fixes and n in self.doc.network]))
        self.editor.fix(nid, data.draw(st.sampled_from(self.doc.results[nid].fixes)))

    @rule()
    def undo(self):
        self.doc.undo_stack.undo()

    @rule()
    def redo(self):
        self.doc.undo_stack.redo()

    @rule()
    def save(self):
        self.saves += 1
        path = self.folder / f"save{self.saves}.json"
        self.doc.save(path)
        assert text(engine.load_network(path)) == text(self.doc.network)
        self.last_saved = path

    @precondition(lambda self: self.saves)
    @rule()
    def load(self):
        self.doc.open(self.last_saved)
        self.initial = text(self.doc.network)          # opening a file starts a new history

    @rule()
    def undo_all_then_redo_all(self):
        self.check_history()

    # ---- invariants ----
    @invariant()
    def no_dangling_link(self):
        nodes = self.doc.network.nodes
        assert all(e.source in nodes and e.target in nodes for e in self.doc.network.edges)

    @invariant()
    def what_a_save_writes_the_loader_reads_back_equal(self):
        saved = text(self.doc.network)
        assert text(engine.loads(saved)) == saved

    def check_history(self):
        stack = self.doc.undo_stack
        final, index = text(self.doc.network), stack.index()
        while stack.canUndo():
            stack.undo()
        assert text(self.doc.network) == self.initial          # undo-all: the initial document exactly
        while stack.index() < index:
            stack.redo()
        assert text(self.doc.network) == final                 # redo-all: the final one
        while stack.canRedo():
            stack.redo()
        top = text(self.doc.network)
        while stack.index() > index:
            stack.undo()
        assert text(self.doc.network) == final
        while stack.canRedo():
            stack.redo()
        assert text(self.doc.network) == top
        while stack.index() > index:
            stack.undo()

    def teardown(self):
        if hasattr(self, "doc"):
            self.check_history()


FOLDER: list = [None]


def test_random_edits_keep_the_document_loadable_and_undo_exact(qapp, tmp_path):
    FOLDER[0] = tmp_path
    run_state_machine_as_test(DocumentMachine, settings=settings(
        max_examples=20, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]))


def test_the_windows_paste_and_insert_paths_refuse_hostile_data_too(qtbot, tmp_path, monkeypatch):
    """The canvas's own paste (beside the originals, or at the mouse) and its inserts use the same checks."""
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    from app.main_window import MainWindow
    window = MainWindow(recovery_folder=tmp_path / "config")
    qtbot.addWidget(window)
    window.doc.replace(engine.network_from_dict(json.loads(json.dumps(SMALL))), None)
    said: list[str] = []
    window.editor.status.connect(said.append)
    before = text(window.doc.network)
    for node in ({"id": "p", "type": "ReLU", "position": ["a", 1]}, {"id": "p", "type": "ReLU", "params": [1]},
                 {"id": "p", "type": "ReLU", "position": [1e308, 1e308]}):
        put_on_clipboard(blocks(node))
        assert window.canvas_edits.paste() == [] and window.canvas_edits.paste((10.0, 10.0)) == []
    put_on_clipboard("[" * 50000)
    assert window.canvas_edits.paste() == []
    assert window.canvas_edits.insert_new("Linear", "f1", "fc", {"out_features": "x"}) is None
    assert text(window.doc.network) == before and window.doc.undo_stack.count() == 0
    assert len(said) >= 8 and all("Cannot" in s or "no blocks" in s for s in said)
    put_on_clipboard(blocks({"id": "p", "type": "ReLU", "position": [3, 4]}))
    assert window.canvas_edits.paste() == ["p"]
    assert reopens_equal(window.doc.network, tmp_path / "w.json")
    window.doc.undo_stack.setClean()           # closing asks nothing
