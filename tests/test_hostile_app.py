"""The app opens a network file whose parameters have the wrong type (or are huge) and shows the problem on
the block, in the inspector and in the problems panel; nothing crashes."""
from __future__ import annotations

import json

from tests.test_app import dialogs, window  # noqa: F401  (fixtures)

BAD = {"format": "netwright.network", "version": 1, "name": "hostile",
       "nodes": [{"id": "in", "type": "Input", "params": {"shape": [1, 8, 8]}},
                 {"id": "c", "type": "Conv2d", "params": {"out_channels": "6", "kernel_size": 3.5, "padding": {"a": 1},
                                                         "bias": 1, "stride": [1, 10 ** 40]}},
                 {"id": "f", "type": "Flatten"},
                 {"id": "d", "type": "Linear", "params": {"out_features": 10 ** 30}},
                 {"id": "lstm", "type": "LSTM", "params": {"hidden_size": [], "bidirectional": "yes"}}],
       "edges": [{"source": "in", "target": "c"}, {"source": "c", "target": "f"}, {"source": "f", "target": "d"}]}


def test_a_file_with_wrongly_typed_parameters_opens_and_shows_them(window, dialogs, tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(BAD))
    assert window.files.open_path(path, ask=False)
    assert dialogs["warning"] == []
    results = window.doc.results
    assert "out_channels must be a whole number, not '6'" in results["c"].error
    assert "must be" in results["lstm"].error
    assert "too large for PyTorch" in results["d"].error
    for nid in ("c", "d", "lstm"):
        window.select_block(nid)
        assert window.inspector.node_id == nid
        assert results[nid].error.split(":")[0] in window.inspector.error.text()
    listed = {(nid, kind) for nid, kind, _text, _fixes in window.problems.entries}
    assert {("c", "error"), ("d", "error"), ("lstm", "error")} <= listed
    assert json.loads(path.read_text())["nodes"][1]["params"]["out_channels"] == "6"    # file untouched
