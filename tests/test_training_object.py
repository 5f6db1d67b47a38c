"""The network brings its data: the `training` object (spec §1) is checked like the rest of a file,
survives a round trip, is set in every example, and `train NET.json` uses it when the command line
says nothing else."""
import json
from pathlib import Path

import pytest

import engine
from engine.data.fit import check
from engine.data.named import stand_in_text
from engine.core.training_object import training_of

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
TOO_BIG_FOR_BUILT_IN_DATA = {"alexnet"}      # 1000 ImageNet classes: no built-in data set has them


def _file(tmp_path, training):
    d = json.loads((EXAMPLES / "mnist_cnn.json").read_text())
    d["training"] = training
    path = tmp_path / "net.json"
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("training,words", [
    ("shapes", "'training' must be an object"),
    ({"epochs": 0}, "training.epochs is 0, but it must be from 1 to 10000"),
    ({"epochs": 2.5}, "training.epochs must be a whole number"),
    ({"batch_size": True}, "training.batch_size must be a whole number"),
    ({"lr": "0.1"}, "training.lr must be a number"),
    ({"lr": 1e9}, "training.lr is 1000000000.0, but it must be from 1e-06 to 10"),
    ({"val_split": 0.95}, "training.val_split is 0.95"),
    ({"optimizer": "__import__('os')"}, "training.optimizer is"),
    ({"dataset": "imagenet"}, "training.dataset 'imagenet' is not a known data set"),
    ({"dataset": "exec:rm -rf /"}, "must be a named data set or one of npz:PATH"),
    ({"dataset": "text:https://example.com/a.txt"}, "names a web address"),
    ({"dataset": "text:a\x00b"}, "control characters"),
    ({"dataset": 7}, "training.dataset must be the name of a data set"),
])
def test_hostile_training_values_are_refused_with_a_reason(tmp_path, training, words):
    with pytest.raises(engine.NetworkFileError) as e:
        engine.load_network(_file(tmp_path, training))
    assert words in str(e.value)


def test_the_training_object_survives_a_round_trip_and_a_relative_path_follows_the_file(tmp_path):
    path = _file(tmp_path, {"dataset": "text:data/story.txt", "epochs": 3, "future_key": [1, 2]})
    net = engine.load_network(path)
    assert training_of(net, path.parent) == {"dataset": f"text:{(tmp_path / 'data' / 'story.txt').resolve()}",
                                             "epochs": 3}
    engine.save_network(net, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["training"] == {
        "dataset": "text:data/story.txt", "epochs": 3, "future_key": [1, 2]}


@pytest.mark.parametrize("name", NAMES)
def test_every_example_brings_a_named_data_set_that_fits_it(name):
    net = engine.load_network(EXAMPLES / f"{name}.json")
    training = training_of(net)
    assert training["dataset"] and ":" not in training["dataset"]      # names, never this machine's paths
    fit = check(training["dataset"], net)
    if name in TOO_BIG_FOR_BUILT_IN_DATA:
        assert fit.ok is False and "set its out_features to 10" in fit.text
    else:
        assert fit.ok, fit.text


@pytest.mark.parametrize("name", [n for n in NAMES if n not in TOO_BIG_FOR_BUILT_IN_DATA])
def test_every_example_trains_from_the_command_line_without_dataset(name, tmp_path, capsys):
    from engine.cli.train import main
    data = tmp_path / "data"
    data.mkdir()
    (data / "tinyshakespeare.txt").write_text(stand_in_text())       # a short text: one quick epoch
    code = main([str(EXAMPLES / f"{name}.json"), "--epochs", "1", "--batch-size", "256", "--val-split", "0.9", "--data-dir", str(data),
                 "--out", str(tmp_path / "run")])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, result
    expected = json.loads((EXAMPLES / f"{name}.json").read_text())["training"]
    assert result["dataset"] == expected["dataset"] and result["epochs"] == 1
