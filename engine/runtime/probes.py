"""What the live views show, computed from a model and a fixed probe batch (torch + numpy, no Qt).

Every function here is pure: it reads the model, never changes its weights, and returns numpy arrays
(float32) that can go through a pipe. Forward hooks are registered for one probe and removed in
`finally`, so a probe that fails leaves the model exactly as it was.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from .modules import Recurrent
from .protocol import GATE_LETTERS

MAX_TILES = 64          # at most this many output channels in a filter or feature-map mosaic
MAX_INPUT_TILES = 16    # at most this many input channels per filter row
MAX_VOLUME_CHANNELS = 16   # a 3-D feature map shows this many channels (rows) ...
MAX_VOLUME_DEPTH = 16      # ... of this many depth slices (tiles) at most


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy()


@contextmanager
def eval_mode(model: nn.Module):
    """Eval mode and no_grad for a probe; the model's train/eval state is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def as_inputs(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def capture(model, inputs, node_ids, keep_inputs=()) -> tuple[torch.Tensor, dict, dict]:
    """Run the model once and return (output, {node id: output tensor}, {node id: first input tensor})
    for the requested blocks. Input blocks give their input tensor. Hooks are always removed."""
    inputs = as_inputs(inputs)
    outs, ins, handles = {}, {}, []

    def hook(nid):
        def fn(_module, args, out):
            outs[nid] = out
            if nid in keep_inputs:
                ins[nid] = args[0]
        return fn

    try:
        for nid in set(node_ids) | set(keep_inputs):
            if nid in model.input_ids:
                outs[nid] = inputs[model.input_ids.index(nid)]
            else:
                handles.append(model.block(nid).register_forward_hook(hook(nid)))
        output = model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return output, outs, ins


# ----------------------------------------------------------------------------------------- filters

def _grid(n: int) -> tuple[int, int]:
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols


def mosaic(tiles: np.ndarray, cols: int, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """Tiles (N, h, w[, 3]) laid out row-major in `cols` columns with `gap` pixels of `fill` between."""
    n, h, w = tiles.shape[:3]
    rows = int(np.ceil(n / cols))
    extra = tiles.shape[3:]
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *extra), fill, np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[k]
    return out


def conv_filters(module: nn.Module) -> dict:
    """The kernels of a convolution as one image: a tile per output channel. With 3 input channels
    each tile is RGB (weights mapped to [0, 1] around 0.5 = zero); otherwise each output channel is a
    row of tiles, one per input channel. A 3-D kernel is shown a slice per depth: a row per output and
    input channel, a tile per depth. A transposed convolution's weight (in, out, ...) is shown as
    (out, in, ...), like the others. 'vmax' is the symmetric colour scale (max |w|)."""
    w = to_numpy(module.weight)
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        w = np.swapaxes(w, 0, 1)
    out_ch, in_ch = w.shape[:2]
    info = {"channels": (out_ch, in_ch), "kernel": list(w.shape[2:]),
            "outputs_shown": min(out_ch, MAX_TILES), "inputs_shown": in_ch}     # what the image holds
    vmax = float(np.abs(w).max()) or 1.0
    if w.ndim == 5:                      # Conv3d: (out, in, d, h, w)
        inputs = min(in_ch, MAX_INPUT_TILES)
        pairs = w[:MAX_TILES, :inputs].reshape(-1, *w.shape[2:])[:MAX_TILES]
        rows = [mosaic(slices, len(slices)) for slices in pairs]      # one row per (out, in), a tile per depth
        info.update(inputs_shown=inputs, outputs_shown=-(-len(pairs) // inputs))
        return {"image": mosaic(np.stack(rows), 1, gap=2), "rgb": False, "vmax": vmax, "depth": w.shape[2],
                **info}
    if w.ndim == 3:                      # Conv1d: (out, in, k) -> one (in × k) tile per output channel
        w = w[:, None, :, :]             # (out, 1, in, k)
    in_ch = w.shape[1]
    shown = w[:MAX_TILES]
    if w.ndim == 4 and in_ch == 3 and module.weight.ndim == 4:
        rgb = 0.5 + 0.5 * np.transpose(shown, (0, 2, 3, 1)) / vmax
        _, cols = _grid(len(shown))
        return {"image": mosaic(rgb, cols, fill=0.0), "rgb": True, "vmax": vmax, **info}
    if in_ch == 1:
        _, cols = _grid(len(shown))
        image = mosaic(shown[:, 0], cols)
    else:
        tiles = shown[:, :MAX_INPUT_TILES]
        info["inputs_shown"] = tiles.shape[1]
        rows = [mosaic(t, tiles.shape[1]) for t in tiles]           # one row per output channel
        image = mosaic(np.stack(rows), 1, gap=2 if tiles.shape[2] > 2 else 1)
    return {"image": image, "rgb": False, "vmax": vmax, **info}


# ------------------------------------------------------------------------------------ feature maps

def feature_view(act: torch.Tensor, layout: str | None = None) -> dict:
    """One sample's activation laid out for display: 'maps' (a mosaic of channel maps for [C, H, W]),
    'volume' (a row per channel, a tile per depth slice, for [C, D, H, W] volumes and clips), 'heatmap'
    (rows × columns for [T, F] sequences or [C, L] signals) or 'vector' ([F])."""
    a = to_numpy(act)
    if a.ndim == 4:
        shown = a[:MAX_VOLUME_CHANNELS, :MAX_VOLUME_DEPTH]
        rows = [mosaic(slices, len(slices)) for slices in shown]
        return {"kind": "volume", "image": mosaic(np.stack(rows), 1, gap=2), "shape": list(a.shape),
                "range": [float(a.min()), float(a.max())], "cols": shown.shape[1], "tile": list(a.shape[2:]),
                "shown": list(shown.shape[:2])}
    if a.ndim == 3:
        shown = a[:MAX_TILES]
        _, cols = _grid(len(shown))
        return {"kind": "maps", "image": mosaic(shown, cols), "shape": list(a.shape),
                "range": [float(a.min()), float(a.max())], "cols": cols, "tile": list(a.shape[1:])}
    if a.ndim == 2:
        rows = "time" if layout in (None, "sequence") else "channel"
        cols = "feature" if rows == "time" else "position"
        return {"kind": "heatmap", "image": a, "shape": list(a.shape), "axes": [rows, cols],
                "range": [float(a.min()), float(a.max())]}
    flat = a.reshape(-1)
    return {"kind": "vector", "values": flat, "shape": list(a.shape),
            "range": [float(flat.min()), float(flat.max())] if flat.size else [0.0, 0.0]}


# ---------------------------------------------------------------------------- recurrent gate values

def _layer_weights(rnn: nn.RNNBase, layer: int, reverse: bool):
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih, w_hh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
    if rnn.bias:
        return w_ih, w_hh, getattr(rnn, "bias_ih" + sfx), getattr(rnn, "bias_hh" + sfx)
    zeros = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype, device=w_ih.device)
    return w_ih, w_hh, zeros, zeros


def _run_direction(kind: str, rnn, x, layer: int, reverse: bool) -> dict:
    """One layer, one direction: every gate at every step, as (B, T, H) tensors in original time order."""
    w_ih, w_hh, b_ih, b_hh = _layer_weights(rnn, layer, reverse)
    seq = x.flip(1) if reverse else x
    xw = torch.matmul(seq, w_ih.t()) + b_ih              # (B, T, G·H)
    batch, steps, hidden = x.shape[0], x.shape[1], rnn.hidden_size
    h = x.new_zeros(batch, hidden)
    c = x.new_zeros(batch, hidden)
    out = {n: [] for n in GATE_LETTERS[kind]}
    for t in range(steps):
        hw = torch.matmul(h, w_hh.t()) + b_hh
        if isinstance(rnn, nn.LSTM):
            z = xw[:, t] + hw
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            vals = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}
        elif isinstance(rnn, nn.GRU):
            xr, xz, xn = xw[:, t].chunk(3, dim=1)
            hr, hz, hn = hw.chunk(3, dim=1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            vals = {"r": r, "z": z, "n": n, "h": h}
        else:
            act = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
            h = act(xw[:, t] + hw)
            vals = {"h": h}
        for k, v in vals.items():
            out[k].append(v)
    result = {k: torch.stack(v, dim=1) for k, v in out.items()}
    if reverse:
        result = {k: v.flip(1) for k, v in result.items()}
    return result


def recurrent_gates(rnn: nn.RNNBase, x: torch.Tensor) -> tuple[list[list[dict]], torch.Tensor]:
    """Recompute an nn.LSTM / nn.GRU / nn.RNN (batch_first, eval mode) step by step from its weights.
    Returns ([layer][direction] -> {gate name: (B, T, H) tensor}, output (B, T, H·D)), where the output
    and each direction's 'h' (and 'c') equal what the fused PyTorch layer computes."""
    kind = type(rnn).__name__
    if not rnn.batch_first:
        x = x.transpose(0, 1)
    layers, inp = [], x
    for layer in range(rnn.num_layers):
        dirs = [_run_direction(kind, rnn, inp, layer, reverse=bool(d))
                for d in range(2 if rnn.bidirectional else 1)]
        layers.append(dirs)
        inp = torch.cat([d["h"] for d in dirs], dim=-1)
    return layers, inp


def gate_view(module: nn.Module, x: torch.Tensor, sample: int = 0) -> dict:
    """Gate heatmaps (time × hidden unit) of one probe sequence for every layer and direction."""
    rnn = module.rnn if isinstance(module, Recurrent) else module
    layers, _ = recurrent_gates(rnn, x[sample:sample + 1])
    out = []
    for li, dirs in enumerate(layers):
        for di, gates in enumerate(dirs):
            out.append({"layer": li, "direction": "backward" if di else "forward",
                        "gates": {k: to_numpy(v[0]) for k, v in gates.items()}})
    return {"kind": type(rnn).__name__, "layers": out}


# -------------------------------------------------------------------------------- inside weights

def histogram(values: torch.Tensor, bins: int = 40) -> dict:
    v = values.detach().reshape(-1).float()
    if v.numel() == 0:
        return {"counts": np.zeros(bins, np.float32), "edges": np.linspace(-1, 1, bins + 1, dtype=np.float32)}
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(v, bins=bins, min=lo, max=hi)
    return {"counts": to_numpy(counts), "edges": np.linspace(lo, hi, bins + 1, dtype=np.float32)}


def learnable_blocks(model) -> list[str]:
    """Node ids of the blocks that have trainable parameters, in forward order."""
    return [nid for nid, attr in model.attr.items()
            if hasattr(model, attr) and any(p.requires_grad for p in getattr(model, attr).parameters())]


def weight_stats(model, node_ids, bins: int = 40) -> dict:
    """Per block: histograms of its weights and (where present) gradients, and the gradient norm."""
    out = {}
    for nid in node_ids:
        params = [p for p in model.block(nid).parameters() if p.requires_grad]
        if not params:
            continue
        w = torch.cat([p.detach().reshape(-1) for p in params])
        grads = [p.grad.detach().reshape(-1) for p in params if p.grad is not None]
        entry = {"weights": histogram(w, bins)}
        if grads:
            g = torch.cat(grads)
            entry["grads"] = histogram(g, bins)
            entry["grad_norm"] = float(torch.linalg.vector_norm(g))
        out[nid] = entry
    return out


def grad_norms(model, node_ids) -> dict:
    """Per block with gradients: the norm of all its parameters' gradients together (as weight_stats)."""
    out = {}
    for nid in node_ids:
        grads = [p.grad.detach() for p in model.block(nid).parameters() if p.requires_grad and p.grad is not None]
        if grads:
            out[nid] = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
    return out


def relu_blocks(model) -> list[str]:
    return [nid for nid, attr in model.attr.items()
            if hasattr(model, attr) and isinstance(getattr(model, attr), nn.ReLU)]


def dead_fraction(act: torch.Tensor) -> float:
    """Share of a ReLU's units that output zero for every sample of the batch."""
    flat = act.reshape(act.shape[0], -1)
    return float((flat <= 0).all(dim=0).float().mean())


# ---------------------------------------------------------------------------------------- outcome

def confusion_matrix(pred: np.ndarray, target: np.ndarray, classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted ones."""
    idx = target.astype(np.int64).reshape(-1) * classes + pred.astype(np.int64).reshape(-1)
    return np.bincount(idx, minlength=classes * classes).reshape(classes, classes)


def sample_text(model, seed: list[int], length: int, temperature: float = 0.8, window: int | None = None,
                generator: torch.Generator | None = None) -> list[int]:
    """Generate `length` token ids from a character model by sampling its next-token distribution
    with a temperature. The model reads the last `window` tokens (its input length) each step."""
    device = next(model.parameters()).device
    tokens = list(seed)
    window = window or len(seed)
    out = []
    with eval_mode(model):
        for _ in range(length):
            ctx = torch.tensor([tokens[-window:]], dtype=torch.long, device=device)
            logits = model(ctx)[0]
            if logits.ndim > 1:
                logits = logits[-1]
            probs = torch.softmax(logits.float() / max(temperature, 1e-3), dim=-1).cpu()
            nxt = int(torch.multinomial(probs, 1, generator=generator))
            tokens.append(nxt)
            out.append(nxt)
    return out
