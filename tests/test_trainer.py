"""The trainer: it learns, it is deterministic, it pauses/resumes/stops within a batch, a checkpoint
resumes the same curve, and failures stop it with a sentence while keeping what was saved."""
from __future__ import annotations

import hashlib
import json
import queue

import numpy as np
import pytest
import torch

import engine
from engine.runtime import protocol
from engine.data.generated import make_shapes
from engine.data.base import CLASSIFICATION, Dataset, InputSpec
from engine.runtime.runs import load_checkpoint
from engine.runtime.trainer import Trainer, TrainingError, TrainSettings, resolve_device


@pytest.fixture
def small_cnn(chain):
    return chain(("input", "Input", {"shape": [1, 12, 12]}),
                 ("conv", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
                 ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("fc", "Linear", {"out_features": 10}))


@pytest.fixture
def small_data():
    return make_shapes(InputSpec("input", (1, 12, 12)), n=800, seed=0)


@pytest.fixture(autouse=True)
def one_thread():
    """These small models run hardly faster on two threads, and many times slower when other processes
    keep the cores busy (the threads wait for each other)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def settings(tmp_path=None, **kw):
    base = dict(epochs=1, batch_size=50, lr=3e-3, read_every=4, save=tmp_path is not None,
                out=str(tmp_path / "run") if tmp_path is not None else None)
    base.update(kw)
    return TrainSettings(**base)


class Recorder:
    def __init__(self):
        self.messages = []

    def __call__(self, kind, payload):
        self.messages.append((kind, payload))

    def kinds(self):
        return [k for k, _ in self.messages]


def test_shapes_trains_a_small_cnn_to_90_percent(chain):
    net = chain(("input", "Input", {"shape": [1, 20, 20]}),
                ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
                ("MaxPool2d", {"kernel_size": 2}),
                ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
                ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Linear", {"out_features": 10}))
    result = Trainer(net, TrainSettings(dataset="shapes", epochs=6, lr=3e-3, batch_size=32, save=False)).run()
    assert result["val_accuracy"] >= 0.90
    assert result["epochs"] == 6 and result["samples_per_sec"] > 0


def test_same_seed_gives_the_same_loss_curve(small_cnn, small_data):
    runs = [Trainer(small_cnn, settings(seed=5, epochs=2), dataset=small_data) for _ in range(2)]
    for t in runs:
        t.run()
    other = Trainer(small_cnn, settings(seed=6, epochs=2), dataset=small_data)
    other.run()
    assert len(runs[0].losses) == 2 * runs[0].steps_per_epoch
    assert runs[0].losses == runs[1].losses
    assert runs[0].losses != other.losses


def test_pause_set_lr_resume_and_stop_within_one_batch(small_cnn, small_data, tmp_path):
    control, rec = queue.Queue(), Recorder()

    class Script:
        def on_step(self, trainer):
            if trainer.step == 3:
                for message in ((protocol.PAUSE, {}), (protocol.SET_LR, {"lr": 0.0005}), (protocol.RESUME, {})):
                    control.put(message)
            if trainer.step == 7:
                control.put((protocol.STOP, {}))

    trainer = Trainer(small_cnn, settings(tmp_path, epochs=3), callbacks=[Script()], emit=rec, control=control,
                      dataset=small_data)
    result = trainer.run()
    assert result["stopped"] and result["steps"] == 7 and trainer.step == 7
    kinds = rec.kinds()
    assert kinds.index(protocol.PAUSED) < kinds.index(protocol.RESUMED)
    assert dict(rec.messages)[protocol.RESUMED]["lr"] == 0.0005 and trainer.lr == 0.0005
    state = load_checkpoint(result["checkpoint"])
    assert state["step"] == 7 and state["batch"] == 7 and state["epoch"] == 0
    assert len(trainer.losses) == 7


def test_resume_from_a_checkpoint_continues_the_same_curve(small_cnn, small_data, tmp_path):
    whole = Trainer(small_cnn, settings(epochs=3), dataset=small_data)
    whole.run()
    control = queue.Queue()

    class StopMidEpoch:
        def on_step(self, trainer):
            if trainer.step == whole.steps_per_epoch + 5:
                control.put((protocol.STOP, {}))

    first = Trainer(small_cnn, settings(tmp_path, epochs=3), [StopMidEpoch()], control=control, dataset=small_data)
    stopped = first.run()
    assert stopped["stopped"] and stopped["epochs"] == 1
    second = Trainer(small_cnn, settings(tmp_path, epochs=3, resume=stopped["checkpoint"]), dataset=small_data)
    result = second.run()
    assert second.losses == whole.losses
    assert result["val_loss"] == pytest.approx(whole.history[-1]["val_loss"], rel=1e-6)
    assert [h["epoch"] for h in second.history] == [1, 2, 3]


def test_run_folder_has_manifest_metrics_and_a_loadable_checkpoint(small_cnn, small_data, tmp_path):
    result = Trainer(small_cnn, settings(tmp_path, epochs=2, seed=11), dataset=small_data).run()
    run = tmp_path / "run"
    manifest = json.loads((run / "manifest.json").read_text())
    canonical = json.dumps(engine.network_to_dict(small_cnn), sort_keys=True, separators=(",", ":"))
    assert manifest["network_hash"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert manifest["seed"] == 11 and manifest["device"] == "cpu"
    assert set(manifest["versions"]) >= {"python", "torch", "numpy", "netwright"}
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,train_loss") and len(rows) == 3
    state = load_checkpoint(result["checkpoint"])
    assert {"model", "optimizer", "epoch", "step", "rng", "network", "settings"} <= set(state)
    model = engine.build_model(engine.network_from_dict(state["network"]))
    model.load_state_dict(state["model"])
    assert state["epoch"] == 2 and state["settings"]["seed"] == 11


RAN = []


def _mark(text):            # what a booby-trapped checkpoint would run on loading, were it unpickled in full
    RAN.append(text)


class _Trap:
    def __reduce__(self):
        return _mark, ("code ran",)


def test_checkpoints_load_as_weights_only_and_older_ones_still_resume(small_cnn, small_data, tmp_path):
    from engine.core.codegen import ExportError
    from engine.runtime.weights import checkpoint_state
    whole = Trainer(small_cnn, settings(epochs=2), dataset=small_data)
    whole.run()
    first = Trainer(small_cnn, settings(tmp_path, epochs=1), dataset=small_data).run()
    state = torch.load(first["checkpoint"], map_location="cpu", weights_only=True)   # plain values, no code
    assert state["epoch"] == 1 and isinstance(state["rng"]["numpy"]["keys"], list)
    # a checkpoint from before (numpy's random state as an array) resumes the same curve
    legacy = tmp_path / "legacy.pt"
    saved = state["rng"]["numpy"]
    state["rng"]["numpy"] = (saved["name"], np.array(saved["keys"], np.uint32), saved["pos"], saved["has_gauss"],
                             saved["gauss"])
    state["rng"]["python"] = tuple(state["rng"]["python"])
    torch.save(state, legacy)
    resumed = Trainer(small_cnn, settings(epochs=2, resume=str(legacy)), dataset=small_data)
    resumed.run()
    assert resumed.losses == whole.losses
    # anything else in the file is refused with a reason, and nothing in it runs
    state["trap"] = _Trap()
    torch.save(state, tmp_path / "trap.pt")
    with pytest.raises(TrainingError) as e:
        Trainer(small_cnn, settings(epochs=2, resume=str(tmp_path / "trap.pt")), dataset=small_data).run()
    assert e.value.kind == "usage" and "_mark), so it was refused" in str(e.value) and "holds code (it asks for " \
        in str(e.value) and "damaged" not in str(e.value)
    with pytest.raises(ExportError, match="holds Python objects other than weights"):
        checkpoint_state(tmp_path / "trap.pt")
    assert RAN == []
    assert set(checkpoint_state(legacy)) == set(checkpoint_state(first["checkpoint"])) == set(state["model"])


def test_a_failed_save_keeps_the_previous_checkpoint(small_cnn, small_data, tmp_path, monkeypatch):
    trainer = Trainer(small_cnn, settings(tmp_path, epochs=1), dataset=small_data)
    result = trainer.run()
    before = (tmp_path / "run" / "checkpoint.pt").read_bytes()

    def broken_save(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise OSError("disk full")
    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        trainer.save_checkpoint()
    assert (tmp_path / "run" / "checkpoint.pt").read_bytes() == before
    assert [p.name for p in (tmp_path / "run").iterdir()] and not list((tmp_path / "run").glob("*.tmp"))
    assert load_checkpoint(result["checkpoint"])["epoch"] == 1


def test_nan_loss_stops_with_advice_and_keeps_the_last_good_checkpoint(chain, tmp_path):
    net = chain(("input", "Input", {"shape": [16, 1]}), ("Flatten", {}), ("h", "Linear", {"out_features": 32}),
                ("out", "Linear", {"out_features": 1}))
    good = Trainer(net, settings(tmp_path, dataset="sine", epochs=1, lr=1e-3, optimizer="sgd")).run()
    with pytest.raises(TrainingError) as e:
        Trainer(net, settings(tmp_path, dataset="sine", epochs=3, lr=1e4, optimizer="sgd",
                              resume=good["checkpoint"])).run()
    assert e.value.kind == "nan"
    assert "learning rate 10000 is probably too high; try 1000" in str(e.value)
    assert "checkpoint" in str(e.value)
    assert load_checkpoint(good["checkpoint"])["epoch"] == 1


def test_out_of_memory_stops_cleanly_and_suggests_a_smaller_batch(small_cnn, small_data):
    class Exhaust:
        def on_step(self, trainer):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(TrainingError) as e:
        Trainer(small_cnn, settings(batch_size=64), [Exhaust()], dataset=small_data).run()
    assert e.value.kind == "oom" and "batch size 32" in str(e.value)


def test_batchnorm_trains_when_the_last_batch_would_hold_one_sample(chain):
    net = chain(("input", "Input", {"shape": [8]}), ("fc", "Linear", {"out_features": 16}),
                ("bn", "BatchNorm1d", {}), ("out", "Linear", {"out_features": 3}))
    rng = np.random.default_rng(0)
    data = Dataset("d.npz", rng.normal(size=(72, 8)).astype(np.float32), rng.integers(0, 3, 72), CLASSIFICATION,
                   classes=["0", "1", "2"])
    rec = Recorder()
    trainer = Trainer(net, settings(batch_size=64, val_split=0.1, epochs=2), emit=rec, dataset=data)
    result = trainer.run()        # 65 training samples: 64 + 1 would crash BatchNorm; the one joins the batch
    started = dict(rec.messages)[protocol.STARTED]
    assert started["train_samples"] == 65 and started["steps_per_epoch"] == 1
    assert result["epochs"] == 2 and result["steps"] == 2 and np.isfinite(result["train_loss"])
    progress = [p for k, p in rec.messages if k == protocol.PROGRESS]
    assert progress[-1]["global_step"] <= progress[-1]["total_steps"] == 2
    with pytest.raises(TrainingError, match="BatchNorm cannot train on batches of one sample.*batch size of 2"):
        Trainer(net, settings(batch_size=1, val_split=0.1), dataset=data).run()


def test_data_mismatch_is_found_before_training(small_cnn):
    with pytest.raises(TrainingError) as e:
        Trainer(small_cnn, settings(dataset="recall")).run()
    assert e.value.kind == "data" and "set it to e.g. [30, 5]" in str(e.value)


def test_bad_settings_and_devices_are_explained(small_cnn):
    with pytest.raises(TrainingError, match="Unknown optimizer 'rmsprop'; use one of adam, adamw, sgd"):
        Trainer(small_cnn, settings(optimizer="rmsprop"))
    with pytest.raises(TrainingError, match="validation split"):
        Trainer(small_cnn, settings(val_split=1.5))
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="torch sees no CUDA GPU here; use --device cpu"):
            resolve_device("cuda")
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")


def test_callbacks_see_the_model_the_probe_batch_and_gradients(small_cnn, small_data):
    seen = {}

    class Probe:
        def on_start(self, trainer):
            x, y = trainer.probe_batch
            seen["probe"] = (tuple(x.shape), x.device.type, trainer.task, trainer.dataset.name)

        def on_after_backward(self, trainer):
            seen.setdefault("grad", trainer.model.block("conv").weight.grad.abs().sum().item())

        def on_epoch_end(self, trainer, metrics):
            seen["metrics"] = metrics

        def on_end(self, trainer):
            seen["end"] = trainer.step

        def on_views(self, payload):
            seen["views"] = payload

    control = queue.Queue()
    control.put((protocol.VIEWS, {"every_steps": 5}))
    t = Trainer(small_cnn, settings(), [Probe()], control=control, dataset=small_data)
    t.run()
    assert seen["probe"] == ((16, 1, 12, 12), "cpu", "classification", "shapes")
    assert seen["grad"] > 0 and seen["end"] == t.step and seen["views"] == {"every_steps": 5}
    assert seen["metrics"]["epoch"] == 1 and 0 <= seen["metrics"]["val_accuracy"] <= 1


def test_losses_are_read_back_every_k_steps(small_cnn, small_data):
    rec = Recorder()
    t = Trainer(small_cnn, settings(read_every=5), emit=rec, dataset=small_data)
    t.run()
    scalars = [p for k, p in rec.messages if k == protocol.SCALARS]
    assert all(len(p["loss"]) == 5 for p in scalars[:-1]) and len(scalars) == -(-t.steps_per_epoch // 5)
    assert sum(len(p["step"]) for p in scalars) == t.steps_per_epoch
    assert all(0 <= a <= 1 for p in scalars for a in p["accuracy"])


def test_an_lstm_solves_recall_where_a_plain_rnn_stays_at_chance(chain):
    accuracy = {}
    for kind in ("LSTM", "RNN"):
        net = chain(("input", "Input", {"shape": [30, 5]}),
                    ("memory", kind, {"hidden_size": 32, "return_sequences": False}),
                    ("out", "Linear", {"out_features": 4}))
        result = Trainer(net, TrainSettings(dataset="recall", epochs=8, lr=3e-3, batch_size=32, seed=1,
                                            save=False)).run()
        accuracy[kind] = result["val_accuracy"]
    assert accuracy["LSTM"] >= 0.9 and accuracy["RNN"] <= 0.45, accuracy


def test_lenet_reaches_95_percent_on_real_mnist_digits(load_example, data_dir):
    result = Trainer(load_example("lenet5"), TrainSettings(dataset="mnist", data_dir=str(data_dir), epochs=3,
                                                         lr=1e-3, batch_size=32, save=False)).run()
    assert result["val_accuracy"] >= 0.95
    assert any("padded" in n for n in result["notes"])


def test_char_lstm_loss_falls_on_shakespeare(load_example, data_dir, tmp_path):
    text = (data_dir / "tinyshakespeare.txt").read_text()[:40_000]
    (tmp_path / "slice.txt").write_text(text)
    net = load_example("char_lstm")
    vocab = len(set(text))
    net.set_param("embed", "num_embeddings", vocab)
    net.set_param("dense", "out_features", vocab)
    t = Trainer(net, TrainSettings(dataset=f"text:{tmp_path / 'slice.txt'}", epochs=1, batch_size=16, lr=5e-3,
                                   read_every=4, save=False))
    result = t.run()
    assert result["task"] == "text"
    assert np.mean(t.losses[-4:]) < np.mean(t.losses[:4]) - 0.5
    assert 0 < result["val_accuracy"] < 1
