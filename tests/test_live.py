"""The live callback: frames come at the configured cadence, hold every enabled view, leave the model
as it was (train mode, no hooks), and follow VIEWS configuration changes."""
import numpy as np

from engine.runtime.live import LiveCallback
from test_live_support import CHAR_LSTM, CNN, MiniTrainer, shapes_dataset, text_dataset


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.001          # every reading advances 1 ms: views look cheap, training steady
        return self.t


def test_cnn_run_gives_frames_with_every_view():
    live = LiveCallback({"every_steps": 3, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(192), [live]).run(epochs=2)
    frames = trainer.frames()
    steps = [f["step"] for f in frames]
    assert steps[0] == 0 and steps == sorted(steps)
    assert 4 <= len(frames) <= 2 + 12 // 3 + 2          # start, every 3rd of 12 steps, epoch ends, end
    last = frames[-1]["views"]
    assert set(last) == {"features", "filters", "weights", "outcome", "gates"}
    assert last["gates"] == {"note": "The running network has no LSTM, GRU or RNN block, so there are no gates "
                                     "to show."}
    assert last["filters"]["block"] == "conv1" and last["filters"]["choices"] == ["conv1", "conv2"]
    assert last["features"]["block"] == "input" and last["features"]["sample"]["label"] in shapes_dataset(6).classes
    assert set(last["weights"]["blocks"]) == {"conv1", "conv2", "fc"}
    assert set(last["weights"]["dead_relu"]) == {"relu1", "relu2"}
    confusion = last["outcome"]["confusion"]["matrix"]
    assert confusion.shape == (10, 10) and confusion.sum() == 192 and last["outcome"]["confusion"]["epoch"] == 2
    grid = last["outcome"]["predictions"]
    assert grid["images"].shape == (16, 20, 20) and len(grid["correct"]) == 16
    assert trainer.model.training
    assert sum(len(m._forward_hooks) for m in trainer.model.modules()) == 0
    assert 0 < frames[-1]["overhead"] < 1


def test_filters_change_as_the_network_learns():
    live = LiveCallback({"every_steps": 1, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(192), [live], lr=0.02).run(epochs=1)
    first, last = trainer.frames()[0], trainer.frames()[-1]
    a, b = first["views"]["filters"]["image"], last["views"]["filters"]["image"]
    assert np.nanmax(np.abs(a - b)) > 1e-3


def test_views_configuration_switches_views_and_blocks():
    live = LiveCallback({"every_steps": 2, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())

    def reconfigure(trainer):
        if trainer.step == 4:
            live.configure({"enabled": {"filters": False, "weights": False, "outcome": False, "gates": False},
                            "block": "conv2", "every_steps": 1})

    trainer = MiniTrainer(CNN, shapes_dataset(384), [live]).run(epochs=1, on_batch=reconfigure)
    later = [f for f in trainer.frames() if f["step"] > 4]
    assert len(later) >= 8                        # every one of steps 5..12 now
    view = later[0]["views"]
    assert set(view) == {"features"} and view["features"]["block"] == "conv2"
    assert view["features"]["kind"] == "maps" and view["features"]["shape"] == [12, 8, 8]


def test_no_frames_when_every_view_is_off():
    live = LiveCallback({"enabled": {n: False for n in ("filters", "features", "gates", "weights", "outcome")}},
                        clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(96), [live]).run(epochs=1)
    assert len(trainer.frames()) == 1 and not trainer.frames()[0]["views"]      # only the final one


def test_missing_block_is_reported_not_raised():
    live = LiveCallback({"block": "gone", "every_steps": 1, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(64), [live]).run(epochs=1)
    assert trainer.frames()[-1]["views"]["features"]["missing"]


def test_char_lstm_gates_and_generated_text():
    live = LiveCallback({"every_steps": 4, "max_fps": 1000, "budget": 1.0, "text_length": 30},
                        network=CHAR_LSTM, clock=FakeClock())
    ds = text_dataset()
    trainer = MiniTrainer(CHAR_LSTM, ds, [live]).run(epochs=1)
    last = trainer.frames()[-1]["views"]
    gates = last["gates"]
    assert gates["kind"] == "LSTM" and gates["block"] == "lstm" and len(gates["layers"]) == 2
    assert gates["layers"][0]["gates"]["f"].shape == (24, 16)
    assert "".join(gates["tokens"]) == "".join(ds.classes[i] for i in ds.x[0])
    text = last["outcome"]["text"]
    assert len(text["generated"]) == 30 and set(text["generated"]) <= set(ds.classes)
    assert last["features"]["sample"]["text"] == "".join(gates["tokens"])


def test_a_change_while_paused_is_shown_at_once():
    live = LiveCallback({"every_steps": 1000, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())

    def pause_and_pick(trainer):
        if trainer.step == 3:
            trainer.paused = True                  # as engine.runtime.trainer is while waiting for RESUME
            before = len(trainer.frames())
            live.on_views({"block": "pool1"})      # the trainer hands VIEWS messages to on_views
            assert len(trainer.frames()) == before + 1
            assert trainer.frames()[-1]["views"]["features"]["block"] == "pool1"
            trainer.paused = False

    trainer = MiniTrainer(CNN, shapes_dataset(192), [live])
    trainer.paused = False
    trainer.run(epochs=1, on_batch=pause_and_pick)
    assert trainer.frames()[-1]["views"]["features"]["block"] == "pool1"


def _neighbour_correlation(mosaic):
    """How smooth the kernels are: correlation of horizontally and vertically adjacent weights (random
    kernels ≈ 0; edge and bar detectors, smooth oriented blobs, are clearly positive)."""
    a, b, c, d = mosaic[:, :-1], mosaic[:, 1:], mosaic[:-1, :], mosaic[1:, :]
    m1, m2 = ~np.isnan(a) & ~np.isnan(b), ~np.isnan(c) & ~np.isnan(d)
    return np.corrcoef(np.concatenate([a[m1], c[m2]]), np.concatenate([b[m1], d[m2]]))[0, 1]


def test_first_layer_filters_become_edge_detectors_on_shapes():
    from pathlib import Path

    from engine import load_network
    from engine.runtime.trainer import Trainer, TrainSettings
    net = load_network(Path(__file__).resolve().parents[1] / "benchmarks" / "networks" / "edge_cnn.json")
    off = {n: False for n in ("features", "gates", "weights", "outcome")}
    live = LiveCallback({"enabled": off, "every_steps": 10, "max_fps": 1000, "budget": 1.0})
    frames = []
    settings = TrainSettings(epochs=1, batch_size=32, lr=5e-3, optimizer="adamw", weight_decay=2.0, save=False)
    Trainer(net, settings, [live], emit=lambda kind, p: frames.append(p) if kind == "frame" else None).run()
    before = _neighbour_correlation(frames[0]["views"]["filters"]["image"])
    after = _neighbour_correlation(frames[-1]["views"]["filters"]["image"])
    assert abs(before) < 0.2 and after > 0.4, (before, after)


def test_a_view_that_fails_says_so_and_training_goes_on(monkeypatch):
    from engine.runtime import probes
    def broken(_module):
        raise ValueError("no kernels here")

    monkeypatch.setattr(probes, "conv_filters", broken)
    live = LiveCallback({"every_steps": 2, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(96), [live]).run(epochs=1)
    last = trainer.frames()[-1]["views"]
    assert last["filters"]["note"].startswith("The filters view could not be computed for this network "
                                              "(ValueError: no kernels here)")
    assert last["features"]["kind"] == "maps" or last["features"]["block"] == "input"
    assert trainer.step == 3 and trainer.model.training


def test_views_keep_within_their_share_of_training_time():
    """With a 10% budget and frames that cost as much as a training step, a frame comes about every 10
    steps, whatever every_steps and max_fps allow, and the views take about 10% of the time."""
    class StepClock:
        t = 0.0

        def __call__(self):
            return self.t

    clock = StepClock()
    live = LiveCallback({"every_steps": 1, "max_fps": 1000, "budget": 0.1, "enabled": {"outcome": False}},
                        clock=clock)
    original = live.compute

    def costly(trainer, names=None):
        clock.t += 0.01                       # a frame costs 10 ms
        return original(trainer, names)

    live.compute = costly
    shares = []

    def step(trainer):
        clock.t += 0.01                       # a training step costs 10 ms
        shares.append(live.overhead)

    trainer = MiniTrainer(CNN, shapes_dataset(960), [live]).run(epochs=2, on_batch=step)
    during = [f["step"] for f in trainer.frames() if 0 < f["step"] < trainer.step]
    assert 0.06 <= shares[-1] <= 0.11
    assert 4 <= len(during) <= 7 and min(np.diff(during)) >= 8     # about every 10th of the 60 steps


def test_a_grey_image_read_as_rows_is_previewed_as_an_image():
    import types

    import torch
    from engine.runtime.live import _preview
    trainer = types.SimpleNamespace(dataset=types.SimpleNamespace(kind="image"))
    shown = _preview(trainer, torch.rand(28, 28))
    assert shown["image"].shape == (28, 28) and 0.0 <= shown["image"].min() <= shown["image"].max() <= 1.0
    sequence = _preview(types.SimpleNamespace(dataset=types.SimpleNamespace(kind="sequence")), torch.rand(50, 2))
    assert sequence["sequence"].shape == (50, 2)


def test_the_weights_view_off_screen_still_gets_the_whole_gradient_norm_history():
    """Its final frame draws the run's gradient norms, not one point (the view was never on screen)."""
    live = LiveCallback({"every_steps": 2, "max_fps": 1000, "budget": 1.0, "enabled": {"weights": False}},
                        clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(192), [live]).run(epochs=2)
    frames = trainer.frames()
    assert all("weights" not in f["views"] for f in frames[:-1])
    steps, norms = frames[-1]["views"]["weights"]["grad_norms"]["conv1"]
    assert len(steps) >= 5 and list(steps) == sorted(set(steps)) and (norms > 0).all()


def test_the_confusion_matrix_names_its_epoch_and_the_run_s_epochs():
    live = LiveCallback({"every_steps": 50, "max_fps": 1000, "budget": 1.0}, clock=FakeClock())
    trainer = MiniTrainer(CNN, shapes_dataset(96), [live]).run(epochs=3)
    confusions = [f["views"]["outcome"]["confusion"] for f in trainer.frames() if "outcome" in f["views"]
                  and "confusion" in f["views"]["outcome"]]
    assert [c["epoch"] for c in confusions][-1] == trainer.epoch == 3
