"""A tiny hand-written training loop with the trainer's public surface (model, device, dataset, task,
step, epoch, optimizer, probe_batch, emit, callbacks), used to drive the live views in tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import engine
from engine.data.base import CLASSIFICATION, TEXT, Dataset, InputSpec
from engine.data.generated import make_shapes

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

CNN = {"format": "netwright.network", "version": 1, "name": "small CNN", "nodes": [
    {"id": "input", "type": "Input", "params": {"shape": [1, 20, 20]}},
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 5, "padding": 2}},
    {"id": "relu1", "type": "ReLU", "params": {}},
    {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}},
    {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 12, "kernel_size": 3}},
    {"id": "relu2", "type": "ReLU", "params": {}},
    {"id": "flat", "type": "Flatten", "params": {}},
    {"id": "fc", "type": "Linear", "params": {"out_features": 10}}],
    "edges": [{"source": a, "target": b} for a, b in [("input", "conv1"), ("conv1", "relu1"), ("relu1", "pool1"),
                                                       ("pool1", "conv2"), ("conv2", "relu2"), ("relu2", "flat"),
                                                       ("flat", "fc")]]}

CHAR_LSTM = {"format": "netwright.network", "version": 1, "name": "tiny char LSTM", "nodes": [
    {"id": "input", "type": "Input", "params": {"shape": [24], "dtype": "int64"}},
    {"id": "embed", "type": "Embedding", "params": {"num_embeddings": 40, "embedding_dim": 8}},
    {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 16, "num_layers": 2, "bidirectional": False}},
    {"id": "dense", "type": "Linear", "params": {"out_features": 40}}],
    "edges": [{"source": "input", "target": "embed"}, {"source": "embed", "target": "lstm"},
              {"source": "lstm", "target": "dense"}]}


def text_dataset(length=24, n=256) -> Dataset:
    path = DATA / "tinyshakespeare.txt"
    text = path.read_text()[:20000] if path.exists() else "to be or not to be, that is the question. " * 400
    vocab = sorted(set(text))[:40]
    vocab += [chr(0x2460 + i) for i in range(40 - len(vocab))]     # 40 symbols, as the network's output
    ids = np.array([vocab.index(c) if c in vocab else 0 for c in text], np.int64)
    starts = np.linspace(0, len(ids) - length - 2, n).astype(int)
    x = np.stack([ids[s:s + length] for s in starts])
    y = np.stack([ids[s + 1:s + length + 1] for s in starts])
    return Dataset("text", x, y, TEXT, "text", vocab)


class MiniTrainer:
    def __init__(self, network: dict, dataset: Dataset, callbacks=(), batch=32, lr=0.01):
        torch.manual_seed(0)
        self.network = network
        self.model = engine.build_model(engine.network_from_dict(network))
        self.device = torch.device("cpu")
        self.dataset, self.task = dataset, dataset.task
        self.x, self.y = torch.as_tensor(dataset.x), torch.as_tensor(dataset.y)
        self.probe_batch = (self.x[:32], self.y[:32])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.callbacks, self.batch = list(callbacks), batch
        self.step = self.epoch = 0
        self.messages: list[tuple[str, dict]] = []

    def emit(self, kind, payload):
        self.messages.append((kind, payload))

    def frames(self):
        return [p for k, p in self.messages if k == "frame"]

    def _call(self, name, *args):
        for cb in self.callbacks:
            fn = getattr(cb, name, None)
            if fn is not None:
                fn(self, *args)

    def run(self, epochs=1, on_batch=None):
        loss_fn = torch.nn.CrossEntropyLoss()
        self.model.train()
        self._call("on_start")
        for epoch in range(epochs):
            for s in range(0, len(self.x), self.batch):
                xb, yb = self.x[s:s + self.batch], self.y[s:s + self.batch]
                out = self.model(xb)
                loss = loss_fn(out.reshape(-1, out.shape[-1]), yb.reshape(-1))
                self.optimizer.zero_grad()
                loss.backward()
                self._call("on_after_backward")
                self.optimizer.step()
                self.step += 1
                self._call("on_step")
                if on_batch:
                    on_batch(self)
            self.epoch = epoch + 1                  # epochs completed, as engine.runtime.trainer counts them
            self._call("on_epoch_end", {"train_loss": float(loss.detach())})
        self._call("on_end")
        return self


def shapes_dataset(n=384) -> Dataset:
    return make_shapes(InputSpec("input", (1, 20, 20)), n=n)


__all__ = ["CNN", "CHAR_LSTM", "CLASSIFICATION", "MiniTrainer", "shapes_dataset", "text_dataset"]
