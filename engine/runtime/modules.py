"""Small torch modules for blocks that `torch.nn` has no module for. Imported only when building."""
from __future__ import annotations

import torch
from torch import nn


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return f"shape={list(self.shape)}"


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)
        self._batched = (0, *(d + 1 for d in self.dims))

    def forward(self, x):
        return x.permute(self._batched)

    def extra_repr(self):
        return f"dims={list(self.dims)}"


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim   # batched axis

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)


class Recurrent(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU (batch_first) returning every step or only the last one.
    The layer itself is `.rnn`, so its weights keep PyTorch's names (weight_ih_l0, ...)."""

    def __init__(self, kind, input_size, hidden_size, num_layers=1, bidirectional=False, dropout=0.0,
                 bias=True, return_sequences=True, nonlinearity="tanh"):
        super().__init__()
        kw = dict(num_layers=num_layers, bidirectional=bidirectional, dropout=dropout, bias=bias,
                  batch_first=True)
        if getattr(nn, kind) is nn.RNN:
            kw["nonlinearity"] = nonlinearity
        self.kind = kind
        self.rnn = getattr(nn, kind)(input_size, hidden_size, **kw)
        self.return_sequences = return_sequences

    def forward(self, x):
        out, _ = self.rnn(x)
        return out if self.return_sequences else out[:, -1]
