"""The trainer callback behind the live views: it decides when to compute a frame, computes it on the
fixed probe batch (eval mode, no_grad, train mode restored) and emits one FRAME message.

Cadence: a frame is due every `every_steps` steps, at most `max_fps` times a second, and only while
the time spent on views (frames, the gradient statistics and the epoch-end outcome together) stays
under `budget`, a share of training time — whichever is rarest. The app changes the configuration with a VIEWS message; the trainer hands it to `configure`.

Frame payload: {"step", "epoch", "serial", "overhead", "views": {name: data}} with the names below.
The outcome of an epoch (confusion matrix, generated text) is repeated in every later frame, so a
newest-frame-wins mailbox never loses it. The last frame of a run ("final": true) holds every view
(or those the `final` setting names), not only the ones on screen, unless every view is off. A VIEWS
message during a run (another view on screen, another block) gets a frame at the next step, whatever
the cadence and the budget say.
"""
from __future__ import annotations

import time

import numpy as np

from . import protocol
from .protocol import FRAME_VIEWS, View
from engine.core.receptive import field_table

VIEWS = tuple(View)
DEFAULTS = {"every_steps": 20, "max_fps": 15.0, "budget": 0.05, "block": None, "filters_block": None,
            "gates_block": None, "probe_index": 0, "temperature": 0.8, "text_length": 160, "confusion_samples": 1000,
            "final": None}
MAX_PROBE_SAMPLES = 16           # probe samples shown in the predictions grid
MAX_PREVIEW_SIDE = 64            # larger preview images are subsampled to this size
MAX_PREVIEW_FRAMES = 8           # a clip's preview shows its first frames
MAX_FINAL_BLOCKS = 64            # blocks whose feature maps the run's last frame holds


class LiveCallback:
    """Trainer callback (on_start, on_after_backward, on_step, on_epoch_end, on_end)."""

    def __init__(self, config: dict | None = None, network=None, clock=time.perf_counter):
        self.config = dict(DEFAULTS)
        self.enabled = {name: True for name in VIEWS}
        self.network = network
        self.clock = clock
        self.serial = 0
        self.spent = 0.0                # seconds spent on views
        self.sticky: dict = {}          # epoch-end views repeated in every frame
        self._t0 = None
        self._trainer = None
        self._last_end = -1e9
        self._last_cost = 0.0
        self._pending_cost = 0.0
        self._outcome_end = -1e9
        self._outcome_cost = 0.0
        self._last_step = None
        self._due = False
        self._requested = False         # the app asked for another view or block: a frame at the next step
        self._saw_backward = False
        self._steps_seen = 0
        self._weights = None
        self._norms: dict[str, tuple[list, list]] = {}      # gradient norm per layer over the steps
        if config:
            self.configure(config)

    # ------------------------------------------------------------------------------- configuration
    def configure(self, payload: dict) -> None:
        """Apply a VIEWS message: {"enabled": {name: bool}, "every_steps", "max_fps", "block", ...}."""
        for name, on in (payload.get("enabled") or {}).items():
            if name in self.enabled:
                self.enabled[name] = bool(on)
        for key in DEFAULTS:
            if key in payload:
                self.config[key] = payload[key]
        self.config["every_steps"] = max(1, int(self.config["every_steps"]))
        self.config["max_fps"] = max(0.1, float(self.config["max_fps"]))
        self.config["budget"] = min(1.0, max(0.005, float(self.config["budget"])))
        self._last_end = -1e9
        trainer = self._trainer
        if trainer is None:
            return
        self._requested = True      # shown at the next step, whatever the cadence and the budget say
        if getattr(trainer, "paused", False):
            self._emit(trainer, force=True)         # paused: show the new choice at once

    on_views = configure

    def any_frame_view(self) -> bool:
        return any(self.enabled[n] for n in FRAME_VIEWS)

    @property
    def overhead(self) -> float:
        if self._t0 is None:
            return 0.0
        return self.spent / max(1e-9, self.clock() - self._t0)

    # --------------------------------------------------------------------------------- callbacks
    def on_start(self, trainer) -> None:
        from . import probes
        self._t0 = self.clock()
        self._trainer = trainer
        model = trainer.model
        self.blocks = _block_lists(model)
        self.layouts = _layouts(self.network if self.network is not None else getattr(trainer, "network", None))
        self.fields = field_table(self.network if self.network is not None else getattr(trainer, "network", None))
        self.probes = probes
        self._t0 = None             # no training time yet: this frame reports no overhead
        self._emit(trainer)
        # The overhead counts from the first step. This first frame paid for the probes' import and the
        # first pass of the probe batch: kept as the price of the next frame it held the view on screen
        # at step 0 for minutes (the budget allows 20 s of training per second spent on views).
        self._t0, self.spent, self._last_cost = self.clock(), 0.0, 0.0

    def on_after_backward(self, trainer) -> None:
        self._saw_backward = True
        step = self._steps_seen + 1
        self._due = self._is_due(step)
        if self._due and self.enabled["weights"]:
            t = self.clock()
            self._weights = self.probes.weight_stats(trainer.model, self.blocks["learnable"])
            self._pending_cost = self.clock() - t       # part of this frame's cost
        elif step % self.config["every_steps"] == 0 and self.any_frame_view():
            # the Weights view off screen: its gradient-norm history still grows (one norm per layer,
            # cheap), so its final frame draws the whole run, not one point
            t = self.clock()
            self._record_norms(int(getattr(trainer, "step", 0)) + 1,
                               self.probes.grad_norms(trainer.model, self.blocks["learnable"]))
            self.spent += self.clock() - t

    def on_step(self, trainer) -> None:
        self._steps_seen += 1
        due = self._due if self._saw_backward else self._is_due(self._steps_seen)
        self._due = False
        if due:
            self._emit(trainer)

    def on_epoch_end(self, trainer, metrics=None) -> None:
        t = self.clock()
        # the outcome (confusion matrix, generated text) shares the overhead budget with the frames, so
        # with short epochs it skips some of them (the first one always comes)
        if self.enabled["outcome"] and (self._outcome_end < 0 or self._within_budget(self._outcome_cost)):
            self._update_outcome(trainer)
            self._outcome_end = self.clock()
            self._outcome_cost = self._outcome_end - t
            self.spent += self._outcome_cost
            self._emit(trainer, force=True)

    def on_end(self, trainer) -> None:
        """The run ended or was stopped: one last frame with every view, not only those on screen, so
        each tab shows the trained network."""
        final = self.config["final"]
        names = [n for n in (FRAME_VIEWS if final is None else final) if n in FRAME_VIEWS]
        if not self.any_frame_view():       # the views were switched off altogether
            names = []
        if "outcome" in names and self.sticky.get("epoch") != int(getattr(trainer, "epoch", 0)):
            self._update_outcome(trainer)       # the outcome was off or skipped at the last epoch's end
        self._final = True              # the feature maps of every block, so any block can be picked after
        try:
            self._emit(trainer, force=True, names=names)
        finally:
            self._final = False
        self._trainer = None

    def _update_outcome(self, trainer) -> None:
        try:
            self.sticky.update(self._outcome(trainer))
            self.sticky.pop("problem", None)
        except Exception as e:  # noqa: BLE001 - a view must never stop training
            self.sticky["problem"] = _failed("outcome", e)

    # ---------------------------------------------------------------------------------- cadence
    def _is_due(self, step: int) -> bool:
        if not self.any_frame_view():
            return False
        if self._requested:
            return True
        if self._last_step is not None and step - self._last_step < self.config["every_steps"]:
            return False
        if self.clock() - self._last_end < 1.0 / self.config["max_fps"]:
            return False
        return self._within_budget(self._last_cost)

    def _within_budget(self, cost: float) -> bool:
        """Would spending `cost` more seconds keep the views' share of training time within the budget?
        (A budget of 1 means no limit.)"""
        if self.config["budget"] >= 1.0 or self._t0 is None:
            return True
        return self.spent + cost <= self.config["budget"] * (self.clock() - self._t0)

    # ------------------------------------------------------------------------------------ frames
    def _emit(self, trainer, force: bool = False, names=None) -> None:
        if not self.any_frame_view() and not force:
            return
        t = self.clock()
        self._requested = False
        views = self.compute(trainer, names)
        self.serial += 1
        payload = {"step": int(getattr(trainer, "step", 0)), "epoch": int(getattr(trainer, "epoch", 0)),
                   "serial": self.serial, "views": views}
        if names is not None:
            payload["final"] = True
        end = self.clock()
        self._last_cost = end - t + self._pending_cost
        self._pending_cost = 0.0
        self.spent += self._last_cost
        self._last_end = end
        self._last_step = self._steps_seen
        payload["overhead"] = self.overhead
        trainer.emit(protocol.FRAME, payload)

    def compute(self, trainer, names=None) -> dict:
        """Every enabled view's data (or the views named) for the current weights, on the probe batch. A
        view that cannot be computed for this network says so in a note; training goes on either way."""
        names = [n for n in FRAME_VIEWS if self.enabled[n]] if names is None else list(names)
        if not names:
            return {}
        try:
            ctx = self._probe(trainer, set(names))
        except Exception as e:  # noqa: BLE001 - a view must never stop training
            return {n: {"note": _failed(n, e)} for n in names}
        views = {}
        for name in names:
            try:
                views[name] = COMPUTE[name].compute(self, trainer, ctx)
            except Exception as e:  # noqa: BLE001
                views[name] = {"note": _failed(name, e)}
        return views

    def _probe(self, trainer, names: set) -> dict:
        """One forward pass of the probe batch, keeping the outputs the views named need."""
        p, cfg = self.probes, self.config
        on = {n: n in names for n in FRAME_VIEWS}
        x, y = trainer.probe_batch
        inputs = p.as_inputs(x)
        ctx = {"inputs": inputs, "y": y, "idx": min(max(0, int(cfg["probe_index"])), len(inputs[0]) - 1),
               "feature_id": _pick(cfg["block"], self.blocks["all"]),
               "gates_id": _pick(cfg["gates_block"], self.blocks["recurrent"])}
        want = set()
        if on["features"] and ctx["feature_id"] in self.blocks["all"]:
            want.add(ctx["feature_id"])
        if on["features"] and getattr(self, "_final", False):
            want.update(self.blocks["all"][:MAX_FINAL_BLOCKS])
        if on["weights"]:
            want.update(self.blocks["relu"])
        keep = {ctx["gates_id"]} if on["gates"] and ctx["gates_id"] in self.blocks["recurrent"] else set()
        with p.eval_mode(trainer.model):
            output, ctx["acts"], ctx["ins"] = p.capture(trainer.model, inputs, want, keep)
        ctx["pred"] = _predictions(output, trainer.task)
        return ctx

    def _gates_view(self, trainer, ctx) -> dict:
        gates_id = ctx["gates_id"]
        if gates_id not in ctx["ins"]:
            return {"note": _absent("LSTM, GRU or RNN block", "gates", self.config["gates_block"])}
        with self.probes.eval_mode(trainer.model):
            view = self.probes.gate_view(trainer.model.block(gates_id), ctx["ins"][gates_id], ctx["idx"])
        view.update(block=gates_id, tokens=self._tokens(trainer, ctx["inputs"][0][ctx["idx"]]))
        return view

    def _features_view(self, trainer, ctx) -> dict:
        args = (ctx["acts"], ctx["inputs"][0], ctx["y"], ctx["pred"], ctx["idx"])
        view = self._features(trainer, ctx["feature_id"], *args)
        if getattr(self, "_final", False):      # the run's last frame: every block, picked later without a run
            view["by_block"] = {nid: self._features(trainer, nid, *args)
                                for nid in self.blocks["all"][:MAX_FINAL_BLOCKS] if nid != ctx["feature_id"]}
        return view

    def _filters_view(self, trainer, ctx) -> dict:
        conv = _pick(self.config["filters_block"], self.blocks["conv"])
        if conv not in self.blocks["conv"]:
            return {"note": _absent("convolution block", "filters", self.config["filters_block"])}
        return dict(self.probes.conv_filters(trainer.model.block(conv)), block=conv, choices=self.blocks["conv"])

    def _weights_view(self, trainer, ctx) -> dict:
        p = self.probes
        weights = self._weights if self._weights is not None else p.weight_stats(trainer.model,
                                                                                  self.blocks["learnable"])
        self._weights = None
        self._record_norms(int(getattr(trainer, "step", 0)),
                           {nid: e["grad_norm"] for nid, e in weights.items() if "grad_norm" in e})
        return {"blocks": weights,
                "grad_norms": {n: (np.array(h[0]), np.array(h[1], np.float32)) for n, h in self._norms.items()},
                "dead_relu": {nid: p.dead_fraction(ctx["acts"][nid]) for nid in self.blocks["relu"]
                              if nid in ctx["acts"]}}

    def _record_norms(self, step: int, norms: dict) -> None:
        """Add one gradient norm per layer at `step` to the history the Weights view draws."""
        for nid, norm in norms.items():
            hist = self._norms.setdefault(nid, ([], []))
            if not hist[0] or hist[0][-1] < step:
                hist[0].append(step)
                hist[1].append(norm)
                _thin(hist)

    def _outcome_view(self, trainer, ctx) -> dict:
        return dict(self.sticky, predictions=self._prediction_grid(trainer, ctx["inputs"][0], ctx["y"], ctx["pred"]))

    # ------------------------------------------------------------------------------ view helpers
    def _features(self, trainer, nid, acts, x, y, pred, idx) -> dict:
        sample = {"index": idx, "count": len(x), "label": _label(trainer, y[idx]),
                  "prediction": _label(trainer, pred[idx])}
        sample.update(_preview(trainer, x[idx]))
        if nid not in acts:
            return {"block": nid, "sample": sample, "missing": True}
        act = acts[nid][idx]
        return {"block": nid, "sample": sample, **self.probes.feature_view(act, self.layouts.get(nid)),
                "receptive_field": getattr(self, "fields", {}).get(nid)}

    def _tokens(self, trainer, x) -> list[str] | None:
        vocab = _vocab(trainer)
        if vocab is None or x.dtype.is_floating_point or x.ndim != 1:
            return None
        return [vocab[int(t)] if 0 <= int(t) < len(vocab) else "?" for t in x.tolist()]

    def _prediction_grid(self, trainer, x, y, pred) -> dict:
        n = min(MAX_PROBE_SAMPLES, len(x))
        grid = {"labels": [_label(trainer, y[i]) for i in range(n)],
                "predictions": [_label(trainer, pred[i]) for i in range(n)]}
        if trainer.task == "classification":
            y_np = y[:n].detach().cpu().numpy().reshape(n, -1)[:, 0]
            grid["correct"] = [bool(a == b) for a, b in zip(pred[:n].reshape(n, -1)[:, 0], y_np)]
        elif trainer.task == "text":
            y_np = y[:n].detach().cpu().numpy()
            grid["correct"] = [float((pred[i] == y_np[i]).mean()) >= 0.5 for i in range(n)]
        if x.ndim == 4 or (x.ndim == 3 and x.dtype.is_floating_point and _is_image(trainer)):
            grid["images"] = np.stack([_preview(trainer, x[i])["image"] for i in range(n)])
        return grid

    def _outcome(self, trainer) -> dict:
        import torch
        p, model, out = self.probes, trainer.model, {"epoch": int(getattr(trainer, "epoch", 0))}
        epochs = getattr(getattr(trainer, "settings", None), "epochs", None)
        ds = trainer.dataset
        if trainer.task == "classification" and getattr(ds, "classes", None):
            xs, ys = _outcome_samples(trainer, self.config["confusion_samples"])
            preds = []
            with p.eval_mode(model):
                for s in range(0, len(xs), 256):
                    xb = torch.as_tensor(xs[s:s + 256], device=trainer.device)
                    preds.append(model(xb).argmax(-1).cpu().numpy())
            out["confusion"] = {"matrix": p.confusion_matrix(np.concatenate(preds), ys, len(ds.classes)),
                                "classes": list(ds.classes), "epoch": out["epoch"], "epochs": epochs}
        vocab = _vocab(trainer)
        if trainer.task == "text" and vocab:
            x = trainer.probe_batch[0]
            seed = [int(t) for t in x[min(int(self.config["probe_index"]), len(x) - 1)].tolist()]
            temp = float(self.config["temperature"])
            ids = p.sample_text(model, seed, int(self.config["text_length"]), temp, window=len(seed))
            out["text"] = {"seed": "".join(vocab[i] for i in seed), "generated": "".join(vocab[i] for i in ids),
                           "temperature": temp, "epoch": out["epoch"], "epochs": epochs}
        return out


# ------------------------------------------------------------------------------- the registry

class _Entry:
    """How the engine makes one view's data: a label for its messages and the function (a method of
    LiveCallback taking the trainer and the probe context)."""

    def __init__(self, label: str, compute):
        self.label, self.compute = label, compute


COMPUTE = {View.FILTERS: _Entry("filters", LiveCallback._filters_view),
           View.FEATURES: _Entry("feature-map", LiveCallback._features_view),
           View.GATES: _Entry("gates", LiveCallback._gates_view),
           View.WEIGHTS: _Entry("weights", LiveCallback._weights_view),
           View.OUTCOME: _Entry("outcome", LiveCallback._outcome_view)}


# ------------------------------------------------------------------------------------- helpers

def _failed(view: str, error: Exception) -> str:
    label = COMPUTE[view].label if view in COMPUTE else view
    return (f"The {label} view could not be computed for this network "
            f"({type(error).__name__}: {error}); training goes on without it.")


def _absent(what: str, view: str, wanted) -> str:
    if wanted is not None:
        article = "an" if what[0] in "AEIOULR" else "a"
        return (f"Block '{wanted}' is not {article} {what} of the running network (it was removed or changed); "
                f"pick another block or start a new run.")
    return f"The running network has no {what}, so there are no {view} to show."


def _thin(hist, limit: int = 2000) -> None:
    """Keep a history short: beyond `limit` points drop every other one of the older half."""
    if len(hist[0]) > limit:
        half = limit // 2
        for values in hist:
            values[:half] = values[:half:2]


def _pick(wanted, choices):
    if wanted is not None:
        return wanted
    return choices[0] if choices else None


def _block_lists(model) -> dict:
    from torch import nn

    from .modules import Recurrent
    from .probes import learnable_blocks, relu_blocks
    mods = {nid: getattr(model, a) for nid, a in model.attr.items() if hasattr(model, a)}
    return {"all": list(model.input_ids) + list(mods),
            "conv": [n for n, m in mods.items() if isinstance(m, nn.modules.conv._ConvNd)],
            "recurrent": [n for n, m in mods.items() if isinstance(m, Recurrent)],
            "learnable": learnable_blocks(model), "relu": relu_blocks(model)}


def _layouts(network) -> dict:
    if network is None:
        return {}
    from engine.core.serialization import network_from_dict
    from engine.core.shapes import infer_shapes
    net = network_from_dict(network) if isinstance(network, dict) else network
    return {nid: r.layout for nid, r in infer_shapes(net).items()}


def _predictions(output, task) -> np.ndarray:
    out = output.detach()
    if task in ("classification", "text"):
        return out.argmax(-1).cpu().numpy()
    return out.float().cpu().numpy()


def _vocab(trainer):
    ds = getattr(trainer, "dataset", None)
    vocab = getattr(ds, "vocab", None) or getattr(ds, "classes", None)
    return list(vocab) if vocab and trainer.task == "text" else None


def _is_image(trainer) -> bool:
    return getattr(getattr(trainer, "dataset", None), "kind", None) == "image"


def _label(trainer, value) -> str:
    """A class name, a short piece of text, or numbers, for one sample's target or prediction."""
    v = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
    ds = getattr(trainer, "dataset", None)
    classes = getattr(ds, "classes", None)
    if trainer.task == "classification" and classes and v.size == 1:
        k = int(v.reshape(-1)[0])
        return classes[k] if 0 <= k < len(classes) else str(k)
    if trainer.task == "text" and classes:
        return "".join(classes[int(t)] if 0 <= int(t) < len(classes) else "?" for t in v.reshape(-1)[:40])
    return ", ".join(f"{float(a):.3g}" for a in v.reshape(-1)[:4]) + (" …" if v.size > 4 else "")


def _preview(trainer, x) -> dict:
    """How to show one probe input: an image (H, W) or (H, W, 3) in [0, 1] (a clip or a volume [C, D, H, W]:
    its first frames side by side), characters, or a sequence."""
    a = x.detach().cpu()
    if not a.dtype.is_floating_point:
        vocab = _vocab(trainer)
        return {"text": "".join(vocab[int(t)] for t in a.reshape(-1).tolist())} if vocab else \
            {"values": a.numpy().astype(np.float32).reshape(-1)}
    a = a.float().numpy()
    if a.ndim == 2 and _is_image(trainer):     # a grey image read as a sequence of rows
        a = a[None]
    if a.ndim == 4 and a.shape[0] in (1, 3):   # frames (or depth slices) in a row, a column of the lowest value apart
        step = max(1, int(np.ceil(max(a.shape[2:]) / MAX_PREVIEW_SIDE)))
        frames = a[:, :MAX_PREVIEW_FRAMES, ::step, ::step]
        c, d, h, w = frames.shape
        a = np.full((c, h, d * (w + 1) - 1), frames.min(), np.float32)
        for i in range(d):
            a[:, :, i * (w + 1):i * (w + 1) + w] = frames[:, i]
        lo, hi = float(a.min()), float(a.max())
        img = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        return {"image": img[0] if c == 1 else np.transpose(img, (1, 2, 0)), "frames": d}
    if a.ndim == 3 and a.shape[0] in (1, 3):
        step = max(1, int(np.ceil(max(a.shape[1:]) / MAX_PREVIEW_SIDE)))
        a = a[:, ::step, ::step]
        lo, hi = float(a.min()), float(a.max())
        img = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        return {"image": img[0] if a.shape[0] == 1 else np.transpose(img, (1, 2, 0))}
    if a.ndim == 2:
        return {"sequence": a}
    return {"values": a.reshape(-1)}


def _outcome_samples(trainer, limit: int):
    """Validation samples for the confusion matrix (numpy x, y), at most `limit`, evenly spread."""
    xs, ys = getattr(trainer, "val_x", None), getattr(trainer, "val_y", None)
    if xs is None or ys is None or len(xs) == 0:
        xs, ys = getattr(trainer, "train_x", None), getattr(trainer, "train_y", None)
    if xs is None or ys is None:
        xs, ys = trainer.dataset.x, trainer.dataset.y
    idx = np.linspace(0, len(xs) - 1, num=min(limit, len(xs))).astype(int)
    if hasattr(ys, "detach"):
        return xs[idx], ys[idx].detach().cpu().numpy()
    return xs[idx], ys[idx]
