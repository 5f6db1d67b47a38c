"""Training faults are named (issue 9, item 6): every bad option, every unusable data file and every
wrong checkpoint ends `python main.py train` with exit 2 (1 for a run that failed while training), one
line on stderr saying why, and a last stdout line that is one JSON object with an "error" key; never a
traceback, never a raw numpy or torch warning. The same sentences reach scripts (engine.train) and the
app (the training child's ERROR message)."""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.cli import train as train_cli
ROOT = Path(__file__).resolve().parents[1]
VEC = {"format": "netwright.network", "version": 1, "name": "vec", "nodes": [
    {"id": "input", "type": "Input", "params": {"shape": [4]}},
    {"id": "fc", "type": "Linear", "params": {"out_features": 3}}],
    "edges": [{"source": "input", "target": "fc"}]}


@pytest.fixture(autouse=True)
def one_thread():
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny network ([4] → 3 classes) and data files, good and bad."""
    d = tmp_path_factory.mktemp("faults")
    (d / "vec.json").write_text(json.dumps(VEC))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = (np.arange(60) % 3).astype(np.int64)
    np.savez(d / "ok.npz", x=x, y=y)
    bad = x.copy()
    bad[3, 1], bad[5, 0], bad[7, 2] = np.nan, np.inf, np.nan
    np.savez(d / "nan.npz", x=bad, y=y)
    np.savez(d / "inf_y.npz", x=x, y=np.where(np.arange(60) == 9, np.inf, 1.0))
    np.savez(d / "huge.npz", x=x.astype(np.float64) * 1e300, y=y)
    np.save(d / "one.npy", x)
    np.savez(d / "zero_d.npz", x=np.array(1.0), y=np.array(2))
    np.savez(d / "strings.npz", x=np.array(["a"] * 60), y=y)
    np.savez(d / "objects.npz", x=np.array([{"a": 1}] * 60, dtype=object), y=y, allow_pickle=True)
    np.savez(d / "complex.npz", x=x.astype(np.complex64), y=y)
    np.savez(d / "empty.npz", x=np.zeros((0, 4), np.float32), y=np.zeros(0, np.int64))
    np.savez(d / "one_class.npz", x=x, y=np.full(60, 2, np.int64))
    np.savez(d / "lengths.npz", x=x, y=y[:50])
    np.savez(d / "no_y.npz", x=x)
    np.savez(d / "labels_huge.npz", x=x, y=np.where(np.arange(60) == 0, 10 ** 9, 1))
    (d / "ragged.csv").write_text("1,2,3,4,0\n1,2,3,4,1\n1,2,3,1\n")
    (d / "words.csv").write_text("a,b,c,d,label\n1,2,3,4,0\n1,2,x,4,1\n")
    (d / "nan.csv").write_text("1,2,3,4,0\n\n1,nan,3,4,1\n1,2,3,4,2\n")
    (d / "empty.csv").write_text("")
    (d / "semicolons.csv").write_text("1;2;3;4;0\n1;2;3;4;1\n")
    (d / "blank.csv").write_text("\n  \n")
    (d / "header.csv").write_text("a,b,c,d,label\n")
    (d / "one_class.csv").write_text("1,2,3,4,0\n5,6,7,8,0\n")
    (d / "one_column.csv").write_text("1\n2\n")
    (d / "binary.csv").write_bytes(bytes(range(256)))
    (d / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") * 50)
    (d / "empty.txt").write_text("")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 40)
    (d / "folder").mkdir()
    (d / "a_file").write_text("not a folder")
    return d


def run(capsys, *args):
    code = train_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_named(code, out, err, status, reason):
    """Exit `status`, `reason` in the one line on stderr that says why, the same reason as the "error"
    of the JSON object on the last stdout line, and nothing raw on stderr."""
    assert code == status, err
    last = json.loads(out.strip().splitlines()[-1])
    assert reason in last["error"] and last["exit_status"] == status
    why = [line for line in err.splitlines() if reason in line]
    assert len(why) == 1 and why[0].endswith(last["error"]), err
    for raw in ("Traceback", "Warning", "warn(", "Note:", "unexpectedly"):
        assert raw not in err
    return last


BAD_OPTIONS = [
    (["--seed", "-1"], "The seed must be a whole number from 0 to 9,223,372,036,854,775,807"),
    (["--seed", str(10 ** 20)], "The seed must be a whole number from 0"),
    (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
    (["--weight-decay", "nan"], "The weight decay must be a finite number, not nan"),
    (["--weight-decay", "-0.5"], "The weight decay must be 0 or more, not -0.5"),
    (["--lr", "0"], "The learning rate must be a positive number"),
    (["--lr", "-0.1"], "The learning rate must be a positive number"),
    (["--lr", "inf"], "The learning rate must be a finite number, not inf"),
    (["--lr", "nan"], "The learning rate must be a finite number, not nan"),
    (["--lr", "fast"], "argument --lr: invalid float value: 'fast'"),
    (["--epochs", "0"], "The number of epochs must be from 1 to 1,000,000, not 0"),
    (["--epochs", "-3"], "The number of epochs must be from 1"),
    (["--epochs", str(10 ** 12)], "The number of epochs must be from 1 to 1,000,000, not 1000000000000"),
    (["--batch-size", "0"], "The batch size must be from 1"),
    (["--batch-size", str(2 ** 40)], "The batch size must be from 1 to 2,147,483,647"),
    (["--threads", "100000"], "The number of threads must be from 0 (torch's choice) to"),
    (["--threads", "-1"], "The number of threads must be from 0"),
    (["--val-split", "1"], "The validation split must be a fraction from 0 up to (not including) 1"),
    (["--val-split", "-0.1"], "The validation split must be a fraction"),
    (["--val-split", "nan"], "The validation split must be a finite number"),
    (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
    (["--device", "tpu"], "Unknown device 'tpu'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--dataset", "npz:"], "'npz:' names no file"),
    (["--dataset", "zip:data.zip"], "Unknown data set kind 'zip:'"),
    (["--dataset", "imagenet"], "Unknown data set 'imagenet'"),
]


@pytest.mark.parametrize("option, reason", BAD_OPTIONS, ids=[" ".join(o)[:30] for o, _ in BAD_OPTIONS])
def test_a_bad_option_is_named_with_exit_2(files, tmp_path, capsys, option, reason):
    code, out, err = run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--out",
                         tmp_path / "run", *option)
    last = assert_named(code, out, err, 2, reason)
    assert len(err.strip().splitlines()) == 1 and last["kind"] in ("usage", "data")
    assert not (tmp_path / "run").exists()          # nothing was started, nothing left behind


def test_no_network_argument_and_a_network_that_cannot_be_read(files, tmp_path, capsys):
    assert_named(*run(capsys), 2, "the following arguments are required: NET.json")
    (tmp_path / "broken.json").write_text("{not json")
    assert_named(*run(capsys, tmp_path / "broken.json"), 2, "broken.json")


def test_a_cuda_device_without_cuda_is_named(files, tmp_path, capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert_named(*run(capsys, files / "vec.json", "--device", "cuda:0", "--out", tmp_path / "r"), 2,
                 "torch sees no CUDA GPU here")


@pytest.mark.parametrize("where, reason", [
    ("file", "is a file, not a folder; give --out a folder"),
    ("under_file", "cannot be created: "),
], ids=["a file", "below a file"])
def test_an_unusable_run_folder_is_named_before_anything_runs(files, tmp_path, capsys, where, reason):
    out_dir = files / "a_file" if where == "file" else files / "a_file" / "run"
    last = assert_named(*run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--out", out_dir),
                        2, reason)
    assert last["kind"] == "usage" and (files / "a_file").read_text() == "not a folder"


def test_a_run_folder_without_write_permission_is_named(tmp_path, files, capsys):
    import os
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        assert_named(*run(capsys, files / "vec.json", "--out", locked / "run"), 2, "cannot be written")
    finally:
        locked.chmod(0o700)


DATA_FAULTS = [
    ("npz:nan.npz", "nan.npz has 2 NaN value(s) and 1 infinite value(s) in x (3 samples, the first is sample 3)"),
    ("npz:inf_y.npz", "inf_y.npz has 1 infinite value(s) in y (1 sample, the first is sample 9)"),
    ("npz:huge.npz", "huge.npz has 240 value(s) too large for float32 (beyond ±3.4e+38) in x (60 samples"),
    ("npz:one.npy", "is a .npy file (one array), but npz: needs an .npz archive with the arrays x and y"),
    ("npz:ragged.csv", "is not an .npz file (not a zip archive of arrays) (for this file, try csv:"),
    ("npz:zero_d.npz", "zero_d.npz: x is a single value (a 0-d array), not one entry per sample"),
    ("npz:strings.npz", "strings.npz: x holds text (strings), which training cannot use"),
    ("npz:objects.npz", "objects.npz holds Python objects (an object array), which are not read"),
    ("npz:complex.npz", "complex.npz: x holds complex numbers, which training cannot use"),
    ("npz:empty.npz", "empty.npz holds no samples (x has the shape [0, 4])"),
    ("npz:one_class.npz", "one_class.npz: all 60 samples have the label 2, so there is nothing to tell apart"),
    ("npz:lengths.npz", "lengths.npz: x has 60 samples but y has 50"),
    ("npz:no_y.npz", "has no array named 'y'"),
    ("npz:labels_huge.npz", "the class labels go up to 1,000,000,000"),
    ("npz:folder", "is a folder, but npz: reads a file"),
    ("csv:semicolons.csv", "(the file seems to separate its values with semicolons; csv: reads commas)"),
    ("npz:missing.npz", "missing.npz does not exist"),
    ("folder:a_file", "a_file is a file, but folder: needs a folder with one sub-folder of images per class"),
    ("folder:missing", "The folder"),
    ("folder:folder", "needs one sub-folder of images per class (at least 2); it has 0"),
    ("csv:ragged.csv", "ragged.csv: line 3 has 4 columns but the first row has 5"),
    ("csv:words.csv", "words.csv: line 3, column 3 holds 'x', which is not a number"),
    ("csv:nan.csv", "nan.csv has 1 NaN value(s) in the feature columns (1 line, the first is line 3)"),
    ("csv:empty.csv", "empty.csv is empty"),
    ("csv:blank.csv", "blank.csv is empty"),
    ("csv:header.csv", "header.csv has a header line but no rows of data"),
    ("csv:one_class.csv", "one_class.csv: all 2 samples have the label 0, so there is nothing to tell apart; "
                          "classification needs at least two classes."),
    ("csv:one_column.csv", "one_column.csv has one column"),
    ("csv:binary.csv", "binary.csv is a binary file, not text"),
    ("csv:folder", "is a folder, but csv: reads a file"),
    ("text:empty.txt", "empty.txt is empty"),
    ("text:binary.txt", "binary.txt is a binary file, not text"),
    ("text:latin1.txt", "latin1.txt is not UTF-8 text (the byte 0xe9 at position 3"),
    ("text:folder", "is a folder, but text: reads a file"),
    ("text:/dev/null", "is not a regular file"),
]


@pytest.mark.parametrize("spec, reason", DATA_FAULTS, ids=[s for s, _ in DATA_FAULTS])
def test_unusable_data_is_named_before_training_with_exit_2(files, tmp_path, capsys, spec, reason):
    kind, _, name = spec.partition(":")
    path = name if name.startswith("/") else files / name
    last = assert_named(*run(capsys, files / "vec.json", "--dataset", f"{kind}:{path}", "--out", tmp_path / "run"),
                        2, reason)
    assert last["kind"] == "data" and last["steps"] == 0
    assert "learning rate" not in last["error"]


@pytest.mark.parametrize("data_dir, reason", [("missing", "does not exist; check --data-dir"),
                                             ("a_file", "is a file; --data-dir takes the folder")])
def test_an_unusable_data_folder_is_named(files, tmp_path, capsys, data_dir, reason):
    assert_named(*run(capsys, files / "vec.json", "--dataset", "mnist", "--data-dir", files / data_dir, "--out",
                      tmp_path / "run"), 2, reason)


def test_cifar10_batches_that_hold_code_are_refused_and_nothing_runs(tmp_path):
    import os
    import pickle

    from engine.data import DataError, InputSpec, load_dataset

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Payload(), b"labels": [0]}))
    with pytest.raises(DataError, match=r"is damaged \(it holds code \(posix.system\), which is refused\)"):
        load_dataset("cifar10", InputSpec("input", (3, 32, 32)), data_dir=tmp_path)
    assert not (tmp_path / "ran").exists()


def test_a_folder_where_only_one_class_has_images_is_one_class(tmp_path, capsys, chain):
    from PIL import Image
    for name in ("cat", "dog"):
        (tmp_path / "pics" / name).mkdir(parents=True)
    for i in range(3):
        Image.new("L", (8, 8), 40 * i).save(tmp_path / "pics" / "cat" / f"{i}.png")
    net = chain(("input", "Input", {"shape": [1, 8, 8]}), ("Flatten", {}), ("fc", "Linear", {"out_features": 2}))
    engine.save_network(net, tmp_path / "img.json")
    assert_named(*run(capsys, tmp_path / "img.json", "--dataset", f"folder:{tmp_path / 'pics'}", "--out",
                      tmp_path / "run"), 2, "pics: all 3 samples have the label 0")


def test_a_diverging_run_stops_with_exit_1_and_says_so(files, tmp_path, capsys):
    last = assert_named(*run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--lr", "1e9",
                             "--epochs", "3", "--out", tmp_path / "run"), 1, "The run diverged: ")
    assert last["kind"] == "diverged" and "at step 1 (epoch 1)" in last["error"]
    assert "the learning rate 1e+09 is probably too high; try 1e+08 or less" in last["error"]
    assert last["epochs"] == 0 and last["run_dir"] == str(tmp_path / "run")


def test_a_loss_that_becomes_infinite_stops_naming_the_step_and_the_cause(files, tmp_path, capsys):
    x = np.random.default_rng(1).normal(size=(40, 4)).astype(np.float32) * 1e25     # finite, but squared: inf
    np.savez(tmp_path / "scale.npz", x=x, y=np.ones(40, np.float32))
    net = dict(VEC, nodes=[VEC["nodes"][0], {"id": "fc", "type": "Linear", "params": {"out_features": 1}}])
    (tmp_path / "reg.json").write_text(json.dumps(net))
    last = assert_named(*run(capsys, tmp_path / "reg.json", "--dataset", f"npz:{tmp_path / 'scale.npz'}",
                             "--out", tmp_path / "run"), 1, "The loss became inf at step 1 (epoch 1)")
    assert last["kind"] == "nan" and "the input values reach" in last["error"] and "scale the data" in last["error"]


def test_a_loss_that_rises_far_but_stays_finite_is_flagged(files, tmp_path, capsys):
    code, out, err = run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--lr", "100",
                         "--epochs", "2", "--batch-size", "8", "--out", tmp_path / "run")
    result = json.loads(out.splitlines()[-1])
    assert code == 0 and result["diverging"] is True
    note = "the run may be diverging; the learning rate 100 is probably too high; try 10 or less."
    assert any(note in n for n in result["notes"]) and note in err and "Warning" not in err


def test_a_healthy_run_is_not_called_diverged(files, tmp_path, capsys):
    code, out, err = run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--lr", "0.05",
                         "--epochs", "3", "--batch-size", "8", "--seed", str(2 ** 63 - 1), "--out", tmp_path / "run")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["epochs"] == 3 and result["diverging"] is False and "diverg" not in err


# ---- checkpoints --------------------------------------------------------------------------------------

class _Payload:
    def __reduce__(self):
        return (print, ("code ran",))


@pytest.fixture(scope="module")
def checkpoints(files, tmp_path_factory):
    import torch
    d = tmp_path_factory.mktemp("checkpoints")
    good = d / "good"
    assert train_cli.main([str(files / "vec.json"), "--dataset", f"npz:{files / 'ok.npz'}", "--epochs", "1",
                           "--out", str(good)]) == 0
    state = torch.load(good / "checkpoint.pt", weights_only=True)
    other = dict(state, model={"fc.weight": torch.zeros(5, 4), "extra.weight": torch.zeros(2),
                               "extra.bias": torch.zeros(2)}, network=dict(VEC, name="another net"))
    torch.save(other, d / "other.pt")
    torch.save(dict(state, payload=_Payload()), d / "code.pt")
    raw = (good / "checkpoint.pt").read_bytes()
    (d / "cut.pt").write_bytes(raw[:len(raw) // 2])
    (d / "garbage.pt").write_bytes(b"\x80\x04 this is not a checkpoint" * 10)
    (d / "empty.pt").write_bytes(b"")
    torch.save(state["model"], d / "bare.pt")
    torch.save(dict(state, rng={"torch": "not a state"}), d / "bad_rng.pt")
    return d


CHECKPOINT_FAULTS = [
    ("other.pt", "was saved for another network ('another net'): its weights do not fit this one (1 missing: "
                 "'fc.bias'; 2 unexpected: 'extra.weight', 'extra.bias'; 1 of another shape: 'fc.weight' is [5, 4] "
                 "in the checkpoint but [3, 4] here)"),
    ("code.pt", "holds code (it asks for print), so it was refused"),
    ("cut.pt", "is damaged (cut short or not a PyTorch file"),
    ("garbage.pt", "is damaged (cut short or not a PyTorch file"),
    ("empty.pt", "is damaged (cut short or not a PyTorch file"),
    ("bare.pt", "is not a Netwright checkpoint (it has no 'model' and 'network')"),
    ("bad_rng.pt", "is damaged: its weights fit, but its training state cannot be read"),
    ("missing.pt", "missing.pt does not exist"),
]


@pytest.mark.parametrize("name, reason", CHECKPOINT_FAULTS, ids=[n for n, _ in CHECKPOINT_FAULTS])
def test_a_checkpoint_that_cannot_be_resumed_says_why(files, checkpoints, tmp_path, capsys, name, reason):
    last = assert_named(*run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", "--epochs", "2",
                             "--resume", checkpoints / name, "--out", tmp_path / "run"), 2, reason)
    assert last["kind"] == "usage"
    if name == "code.pt":
        assert "damaged" not in last["error"]


# ---- the same reasons for scripts and the app ----------------------------------------------------------

def test_scripts_get_the_same_reasons_as_training_errors(files, tmp_path):
    with pytest.raises(engine.TrainingError) as e:
        engine.train(files / "vec.json", seed=-1)
    assert e.value.kind == "usage" and str(e.value).startswith("The seed must be a whole number")
    with pytest.raises(engine.TrainingError, match="The number of epochs must be a whole number, not '5'"):
        engine.train(VEC, epochs="5")
    with pytest.raises(engine.TrainingError, match="must be true or false, not 'yes'"):
        engine.train(VEC, save="yes")
    with pytest.raises(engine.TrainingError, match=r"Unknown training setting\(s\): 'lerning_rate'"):
        engine.train(VEC, lerning_rate=0.1)
    with pytest.raises(engine.TrainingError) as e:
        engine.train(VEC, dataset=f"npz:{files / 'nan.npz'}", save=False)
    assert e.value.kind == "data" and "nan.npz has 2 NaN value(s)" in str(e.value)
    from engine.data import Dataset
    empty = Dataset("mine", np.zeros((0, 4), np.float32), np.zeros(0, np.int64), "classification", classes=["a", "b"])
    from engine.runtime.trainer import Trainer
    with pytest.raises(engine.TrainingError, match="mine holds no samples"):
        Trainer(VEC, {"save": False}, dataset=empty).run()
    result = engine.train(VEC, dataset=f"npz:{files / 'ok.npz'}", epochs=1, save=False)
    assert result["epochs"] == 1 and result["checkpoint"] is None


def _child_error(settings: dict) -> dict:
    """What the app's training process sends for these settings (its ERROR payload)."""
    from engine.runtime.child import run_child
    parent, child = multiprocessing.Pipe()
    run_child(child, VEC, settings)
    messages = []
    try:
        while parent.poll(0):
            messages.append(parent.recv())
    except EOFError:            # the child's end is closed once it has said everything
        pass
    errors = [p for kind, p in messages if kind == "error"]
    assert len(errors) == 1, messages
    return errors[0]


def test_the_app_gets_the_same_one_line_reasons(files, tmp_path, capsys):
    for option, setting, value in (("--seed", "seed", -1), ("--weight-decay", "weight_decay", float("nan")),
                                   ("--threads", "threads", 100000)):
        error = _child_error({"dataset": f"npz:{files / 'ok.npz'}", setting: value, "save": False})
        code, out, _ = run(capsys, files / "vec.json", "--dataset", f"npz:{files / 'ok.npz'}", option, str(value))
        assert error == {"message": json.loads(out)["error"], "kind": "usage"} and "\n" not in error["message"]
    error = _child_error({"dataset": f"npz:{files / 'nan.npz'}", "save": False})
    assert error["kind"] == "data" and error["message"].startswith("nan.npz has 2 NaN value(s)")
    error = _child_error({"dataset": f"npz:{files / 'ok.npz'}", "lr": 1e9, "save": False})
    assert error["kind"] == "diverged" and "try 1e+08 or less" in error["message"]


# ---- real processes: no crash, nothing raw on stderr ---------------------------------------------------

@pytest.mark.parametrize("args, status, reason", [
    (["--threads", "100000"], 2, "The number of threads must be from 0"),      # was a segfault (exit 139)
    (["--dataset", "npz:{d}/huge.npz"], 2, "value(s) too large for float32"),   # numpy's overflow warning before
])
def test_main_py_train_faults_in_a_real_process(files, tmp_path, args, status, reason):
    args = [a.replace("{d}", str(files)) for a in args]
    proc = subprocess.run([sys.executable, "main.py", "train", str(files / "vec.json"), "--out", str(tmp_path / "r"),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == status, proc.stderr
    assert proc.stderr.count("\n") == 1 and reason in proc.stderr and "Warning" not in proc.stderr
    assert reason in json.loads(proc.stdout.splitlines()[-1])["error"]
