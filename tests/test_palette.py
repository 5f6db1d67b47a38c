"""The block palette: every block, grouped in catalog order, searchable, draggable as BLOCK_MIME."""
from __future__ import annotations

from engine import BLOCKS, GROUPS

from widgets.canvas import BLOCK_MIME
from widgets.palette import BlockPalette


def test_every_block_is_listed_under_its_group_in_catalog_order(qtbot):
    p = BlockPalette()
    qtbot.addWidget(p)
    tree = p.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups == list(GROUPS)
    listed = {}
    for i in range(tree.topLevelItemCount()):
        g = tree.topLevelItem(i)
        for j in range(g.childCount()):
            listed[g.child(j).data(0, 256)] = g.text(0)
    assert listed == {t: s.group for t, s in BLOCKS.items()}
    for t, item in p.items.items():
        assert not item.icon(0).isNull()
        assert BLOCKS[t].help in item.toolTip(0) and BLOCKS[t].rule_text in item.toolTip(0)


def test_search_filters_by_name_label_and_help(qtbot):
    p = BlockPalette()
    qtbot.addWidget(p)
    qtbot.keyClicks(p.search, "dense")
    assert "Linear" in p.visible_types()                       # its label is "Dense (Linear)"
    assert "Conv2d" not in p.visible_types()
    p.search.clear()
    p.search.setText("conv")
    assert {"Conv1d", "Conv2d"} <= set(p.visible_types())
    p.search.setText("pattern image")                          # words from Conv2d's help text
    assert p.visible_types() == ["Conv2d"]
    assert p.group_items["Pooling"].isHidden()
    p.search.setText("")
    assert len(p.visible_types()) == len(BLOCKS)


def test_a_drag_carries_the_block_type_as_block_mime(qtbot):
    p = BlockPalette()
    qtbot.addWidget(p)
    mime = p.tree.mimeData([p.items["LSTM"]])
    assert bytes(mime.data(BLOCK_MIME)) == b"LSTM"


def test_enter_or_double_click_asks_to_add_the_block(qtbot):
    p = BlockPalette()
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.add_requested) as sig:
        p.tree.itemActivated.emit(p.items["GRU"], 0)
    assert sig.args == ["GRU"]
    with qtbot.assertNotEmitted(p.add_requested):
        p.tree.itemActivated.emit(p.group_items["Recurrent"], 0)
