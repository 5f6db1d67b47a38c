"""The gate values the LSTM/GRU view shows are recomputed from the weights: they must be exactly
what PyTorch's fused layers compute (outputs and final h, c), for stacked and bidirectional layers."""
import pytest
import torch
from torch import nn

from engine.runtime.modules import Recurrent
from engine.runtime.probes import gate_view, recurrent_gates
from engine.runtime.protocol import GATE_LETTERS, gate_range


def _final_states(layers, kind):
    hs = [d["h"][:, -1] if i == 0 else d["h"][:, 0] for dirs in layers for i, d in enumerate(dirs)]
    cs = [d["c"][:, -1] if i == 0 else d["c"][:, 0] for dirs in layers for i, d in enumerate(dirs)] \
        if kind == "LSTM" else []
    return torch.stack(hs), (torch.stack(cs) if cs else None)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers,bidirectional,bias", [(1, False, True), (2, False, True), (1, True, True),
                                                      (3, True, True), (2, True, False)])
def test_recomputed_gates_equal_pytorch(kind, layers, bidirectional, bias):
    torch.manual_seed(layers * 10 + bidirectional)
    rnn = getattr(nn, kind)(5, 7, num_layers=layers, bidirectional=bidirectional, bias=bias, batch_first=True)
    for p in rnn.parameters():             # random weights well away from the default init
        nn.init.normal_(p, std=0.6)
    rnn.eval()
    x = torch.randn(3, 11, 5)
    with torch.no_grad():
        ref_out, ref_state = rnn(x)
        got_layers, got_out = recurrent_gates(rnn, x)
    torch.testing.assert_close(got_out, ref_out, atol=1e-5, rtol=0)
    h_n, c_n = _final_states(got_layers, kind)
    if kind == "LSTM":
        torch.testing.assert_close(h_n, ref_state[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(c_n, ref_state[1], atol=1e-5, rtol=0)
    else:
        torch.testing.assert_close(h_n, ref_state, atol=1e-5, rtol=0)


def test_gate_view_has_every_gate_in_its_fixed_range():
    torch.manual_seed(0)
    block = Recurrent("LSTM", 4, 6, num_layers=2, bidirectional=True).eval()
    with torch.no_grad():
        view = gate_view(block, torch.randn(5, 9, 4), sample=2)
    assert view["kind"] == "LSTM"
    assert [(e["layer"], e["direction"]) for e in view["layers"]] == [
        (0, "forward"), (0, "backward"), (1, "forward"), (1, "backward")]
    for entry in view["layers"]:
        assert sorted(entry["gates"]) == sorted(GATE_LETTERS["LSTM"])
        for name, values in entry["gates"].items():
            assert values.shape == (9, 6)               # time × hidden unit, one sample
            rng = gate_range(name)
            if rng:
                assert rng[0] <= values.min() and values.max() <= rng[1]
    gru = gate_view(Recurrent("GRU", 4, 3), torch.randn(1, 5, 4))
    assert sorted(gru["layers"][0]["gates"]) == sorted(GATE_LETTERS["GRU"])


def test_the_gates_view_names_and_scales_every_gate_the_probes_compute():
    from widgets.plots.gates import NAMES
    letters = set("".join(GATE_LETTERS.values()))
    assert set(NAMES) == letters
    assert all(f" {letter}" in NAMES[letter] for letter in letters)     # each title ends with its letter
