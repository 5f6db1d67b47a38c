"""Data sets: generated sets fit whatever Input asks, files load as documented, and every mismatch
between data and network is explained before training starts."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import engine
from engine.data import DataError, InputSpec, load_dataset, prepare
from engine.data.generated import CLASSES


def inp(*shape, dtype="float32"):
    return InputSpec("input", tuple(shape), dtype)


def test_shapes_fit_the_input_size_and_channels_and_are_seeded():
    grey = load_dataset("shapes", inp(1, 20, 24), seed=3)
    colour = load_dataset("shapes", inp(3, 32, 32), seed=3)
    assert grey.x.shape[1:] == (1, 20, 24) and colour.x.shape[1:] == (3, 32, 32)
    assert grey.x.dtype == np.float32 and 0.0 <= grey.x.min() and grey.x.max() <= 1.0
    assert sorted(set(grey.y.tolist())) == list(range(len(CLASSES))) and grey.classes == CLASSES
    again = load_dataset("shapes", inp(1, 20, 24), seed=3)
    other = load_dataset("shapes", inp(1, 20, 24), seed=4)
    assert np.array_equal(grey.x, again.x) and not np.array_equal(grey.x, other.x)
    # a filled square is brighter in total than a thin bar of the same size class
    square = grey.x[grey.y == CLASSES.index("square")].mean()
    bar = grey.x[grey.y == CLASSES.index("vertical bar")].mean()
    assert square > bar


def test_shapes_refuse_an_input_that_is_not_an_image():
    with pytest.raises(DataError, match=r"Input 'input' has shape \[100\]"):
        load_dataset("shapes", inp(100))


def test_sine_targets_are_the_next_value_and_recall_labels_the_marked_symbol():
    sine = load_dataset("sine", inp(30, 1))
    assert sine.x.shape[1:] == (30, 1) and sine.y.shape[1:] == (1,) and sine.task == "regression"
    assert np.allclose(sine.x[:, 1:, 0], np.roll(sine.x[:, :, 0], -1, axis=1)[:, :-1])
    recall = load_dataset("recall", inp(25, 5))
    assert recall.x.shape[1:] == (25, 5) and recall.num_classes == 4
    marked = recall.x[:, :, 4].argmax(1)
    assert np.array_equal(recall.x[:, :, 4].sum(1), np.ones(len(recall)))
    assert np.array_equal(recall.x[np.arange(len(recall)), marked, :4].argmax(-1), recall.y)
    assert len(set(marked.tolist())) > 20                  # the marked step is anywhere in the sequence
    with pytest.raises(DataError, match=r"set it to e.g. \[30, 5\]"):
        load_dataset("recall", inp(25, 2))
    with pytest.raises(DataError, match=r"set its shape to \[30, 1\]"):
        load_dataset("sine", inp(30, 3))


def test_npz_images_gain_a_channel_axis_and_are_scaled(tmp_path):
    x = np.full((6, 8, 8), 255, np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1, 2, 0, 1, 2]))
    ds = load_dataset(f"npz:{tmp_path / 'd.npz'}", inp(1, 8, 8))
    assert ds.x.shape == (6, 1, 8, 8) and ds.x.max() == 1.0 and ds.num_classes == 3
    with pytest.raises(DataError, match=r"8×8 images but Input 'input' asks for 6×6"):
        load_dataset(f"npz:{tmp_path / 'd.npz'}", inp(1, 6, 6))
    np.savez(tmp_path / "bad.npz", a=x)
    with pytest.raises(DataError, match=r"no array named 'x' or 'y'"):
        load_dataset(f"npz:{tmp_path / 'bad.npz'}", inp(1, 8, 8))
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="broken.npz"):
        load_dataset(f"npz:{tmp_path / 'broken.npz'}", inp(1, 8, 8))
    with pytest.raises(DataError, match="missing.npz does not exist"):
        load_dataset(f"npz:{tmp_path / 'missing.npz'}", inp(1, 8, 8))


def test_csv_with_header_gives_classes_or_regression(tmp_path):
    (tmp_path / "c.csv").write_text("a,b,label\n0.5,1.0,0\n0.1,0.2,1\n0.3,0.3,2\n")
    ds = load_dataset(f"csv:{tmp_path / 'c.csv'}", inp(2))
    assert ds.task == "classification" and ds.num_classes == 3 and ds.x.shape == (3, 2)
    (tmp_path / "r.csv").write_text("0.5,1.0,0.25\n0.1,0.2,1.5\n")
    reg = load_dataset(f"csv:{tmp_path / 'r.csv'}", inp(2))
    assert reg.task == "regression" and reg.y.shape == (2, 1)
    with pytest.raises(DataError, match=r"2 feature columns .* set it to \[2\]"):
        load_dataset(f"csv:{tmp_path / 'r.csv'}", inp(5))
    (tmp_path / "t.csv").write_text("1,2,3\n4,x,5\n")
    with pytest.raises(DataError, match="not a number"):
        load_dataset(f"csv:{tmp_path / 't.csv'}", inp(2))


def test_float_targets_mean_regression_even_when_whole_numbers(tmp_path):
    x = np.zeros((4, 2), np.float32)
    np.savez(tmp_path / "f.npz", x=x, y=np.array([0.0, 1.0, 2.0, 3.0], np.float32))
    reg = load_dataset(f"npz:{tmp_path / 'f.npz'}", inp(2))
    assert reg.task == "regression" and reg.y.shape == (4, 1) and reg.y.dtype == np.float32
    np.savez(tmp_path / "i.npz", x=x, y=np.array([0, 1, 2, 3]))
    assert load_dataset(f"npz:{tmp_path / 'i.npz'}", inp(2)).num_classes == 4
    # csv reads every column as a float: whole labels of 0 or more are classes, negative ones regression
    (tmp_path / "n.csv").write_text("0.5,1.0,-3\n0.1,0.2,2\n0.3,0.3,0\n")
    neg = load_dataset(f"csv:{tmp_path / 'n.csv'}", inp(2))
    assert neg.task == "regression" and neg.y[:, 0].tolist() == [-3.0, 2.0, 0.0]


def test_token_ids_beyond_the_embedding_name_the_block_and_the_size(chain, tmp_path):
    net = chain(("input", "Input", {"shape": [10], "dtype": "int64"}),
                ("emb", "Embedding", {"num_embeddings": 100, "embedding_dim": 4}), ("Flatten", {}),
                ("out", "Linear", {"out_features": 2}))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 100, (64, 10))
    x[5, 3] = 499
    np.savez(tmp_path / "tok.npz", x=x, y=rng.integers(0, 2, 64))
    with pytest.raises(DataError) as e:
        prepare(f"npz:{tmp_path / 'tok.npz'}", net)
    assert str(e.value) == ("tok.npz has token ids up to 499 but Embedding 'emb' holds 100 (ids 0 to 99); set "
                            "num_embeddings to at least 500.")
    x[5, 3] = -1
    np.savez(tmp_path / "tok.npz", x=x, y=rng.integers(0, 2, 64))
    with pytest.raises(DataError, match="token id -1, but Embedding 'emb' takes ids from 0 up"):
        prepare(f"npz:{tmp_path / 'tok.npz'}", net)
    x[5, 3] = 99
    np.savez(tmp_path / "tok.npz", x=x, y=rng.integers(0, 2, 64))
    assert len(prepare(f"npz:{tmp_path / 'tok.npz'}", net)) == 64


def test_folder_of_images_per_class_is_resized_to_the_input(tmp_path):
    from PIL import Image
    for k, name in enumerate(["cats", "dogs"]):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.new("RGB", (20, 10), (255 * k, 0, 0)).save(tmp_path / name / f"{i}.png")
    ds = load_dataset(f"folder:{tmp_path}", inp(3, 12, 12))
    assert ds.x.shape == (6, 3, 12, 12) and ds.classes == ["cats", "dogs"]
    assert ds.x[ds.y == 1, 0].mean() == pytest.approx(1.0) and ds.x[ds.y == 0, 0].mean() == 0.0
    (tmp_path / "dogs" / "broken.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="broken.png cannot be read"):
        load_dataset(f"folder:{tmp_path}", inp(3, 12, 12))


def test_text_targets_are_the_next_characters(tmp_path):
    (tmp_path / "t.txt").write_text("abcabcabcabcabcabcabc")
    ds = load_dataset(f"text:{tmp_path / 't.txt'}", inp(4, dtype="int64"))
    assert ds.classes == ["a", "b", "c"] and ds.task == "text" and ds.x.shape == (5, 4)
    assert np.array_equal(ds.y[:, :-1], ds.x[:, 1:])
    assert "".join(ds.classes[i] for i in ds.x[0]) == "abca"
    with pytest.raises(DataError, match="set its shape to \\[100\\] and its dtype to int64"):
        load_dataset(f"text:{tmp_path / 't.txt'}", inp(4))


def test_unknown_spec_lists_the_choices():
    with pytest.raises(DataError, match="Unknown data set 'imagenet'; use one of shapes, sine"):
        load_dataset("imagenet", inp(1, 8, 8))


def test_class_count_mismatch_names_the_block_and_the_fix(chain):
    net = chain(("input", "Input", {"shape": [1, 12, 12]}), ("Flatten", {}), ("fc2", "Linear", {"out_features": 5}))
    with pytest.raises(DataError) as e:
        prepare("shapes", net)
    assert str(e.value) == ("The data has 10 classes but the output block 'fc2' gives 5 values; set its "
                            "out_features to 10.")
    net = chain(("input", "Input", {"shape": [1, 12, 12]}), ("Flatten", {}), ("fc2", "Linear", {"out_features": 5}),
                ("prob", "Softmax", {}))
    with pytest.raises(DataError, match="output block 'prob' gives 5 values; set out_features of 'fc2' to 10"):
        prepare("shapes", net)
    net = chain(("input", "Input", {"shape": [12, 12]}), ("fc", "Linear", {"out_features": 32}),
                ("rnn", "LSTM", {"hidden_size": 64, "return_sequences": False}))  # the LSTM's hidden_size sets the size, not 'fc'
    with pytest.raises(DataError) as e:
        prepare("shapes", net)
    assert "'rnn' gives 64 values" in str(e.value) and "'fc'" not in str(e.value)
    assert "end the network with a Dense (Linear) block of 10" in str(e.value)


def test_regression_target_shape_mismatch(chain):
    net = chain(("input", "Input", {"shape": [20, 1]}), ("LSTM", {"hidden_size": 4, "return_sequences": False}),
                ("out", "Linear", {"out_features": 3}))
    with pytest.raises(DataError, match=r"targets of shape \[1\] .* 'out' gives \[3\]; set its out_features to 1"):
        prepare("sine", net)


def test_text_vocabulary_must_fit_embedding_and_output(chain, tmp_path):
    (tmp_path / "t.txt").write_text("hello world, hello there! " * 20)
    vocab = len(set("hello world, hello there! "))
    spec = f"text:{tmp_path / 't.txt'}"
    small = chain(("input", "Input", {"shape": [10], "dtype": "int64"}),
                  ("emb", "Embedding", {"num_embeddings": 5, "embedding_dim": 4}),
                  ("LSTM", {"hidden_size": 8}), ("out", "Linear", {"out_features": vocab}))
    with pytest.raises(DataError, match=f"{vocab} distinct characters but Embedding 'emb' holds 5; set its "
                                        f"num_embeddings to {vocab}"):
        prepare(spec, small)
    wrong_out = chain(("input", "Input", {"shape": [10], "dtype": "int64"}),
                      ("emb", "Embedding", {"num_embeddings": 50, "embedding_dim": 4}),
                      ("LSTM", {"hidden_size": 8}), ("out", "Linear", {"out_features": 7}))
    with pytest.raises(DataError, match=f"gives 7 values per step; set its out_features to {vocab}"):
        prepare(spec, wrong_out)
    float_input = chain(("input", "Input", {"shape": [10]}), ("out", "Linear", {"out_features": vocab}))
    with pytest.raises(DataError, match="dtype to int64"):
        prepare(spec, float_input)


def test_mnist_from_a_folder_is_padded_for_lenet(data_dir, load_example):
    ds = prepare("mnist", load_example("lenet5"), data_dir=data_dir)
    assert ds.x.shape == (10000, 1, 32, 32) and ds.y[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    assert any("padded with zeros to 32×32" in n for n in ds.notes)
    assert np.bincount(ds.y).tolist()[:3] == [980, 1135, 1032]
    with pytest.raises(DataError, match=r"1-channel images but Input 'input' asks for 3 channels"):
        load_dataset("mnist", inp(3, 28, 28), data_dir=data_dir)
    with pytest.raises(DataError, match=r"28×28 images but Input 'input' asks for 16×16"):
        load_dataset("mnist", inp(1, 16, 16), data_dir=data_dir)


def test_an_lstm_that_reads_rows_gets_mnist_and_shapes_as_sequences_of_rows(data_dir, load_example):
    net = load_example("lstm_mnist_rows")                  # Input [28, 28]: 28 rows of 28 pixels
    ds = prepare("mnist", net, data_dir=data_dir)
    assert ds.x.shape == (10000, 28, 28) and ds.kind == "image"
    assert any("read as sequences of 28 rows of 28 pixels" in n for n in ds.notes)
    assert abs(float(ds.x.mean())) < 0.1                     # standardized like the [1, 28, 28] images
    shapes = prepare("shapes", net)
    assert shapes.x.shape[1:] == (28, 28)
    images = load_dataset("shapes", inp(1, 28, 28))
    np.testing.assert_array_equal(shapes.x, images.x[:, 0])  # the same pictures, without the channel axis


def _write_idx(path, magic, array):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_damaged_idx_file_is_named(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", 2051, np.zeros((4, 28, 28)))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz is damaged"):
        load_dataset("mnist", inp(1, 28, 28), data_dir=tmp_path)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="has no fashion-mnist files"):
        load_dataset("fashion-mnist", inp(1, 28, 28), data_dir=tmp_path / "nothing")
    with pytest.raises(DataError, match="missing does not exist; check --data-dir"):
        load_dataset("fashion-mnist", inp(1, 28, 28), data_dir=tmp_path / "missing")


def test_examples_show_several_classes():
    ds = load_dataset("shapes", inp(1, 16, 16))
    labels = [label for _, label in ds.examples(6)]
    assert len(set(labels)) == 6


def test_multi_input_networks_are_refused(chain):
    net = engine.network_from_dict({"format": "netwright.network", "version": 1, "nodes": [
        {"id": "a", "type": "Input", "params": {"shape": [4]}}, {"id": "b", "type": "Input", "params": {"shape": [4]}},
        {"id": "add", "type": "Add", "params": {}}], "edges": [{"source": "a", "target": "add"},
                                                              {"source": "b", "target": "add"}]})
    with pytest.raises(DataError, match=r"exactly one Input block; this one has 2 \(a, b\)"):
        prepare("shapes", net)


def test_cifar10_from_an_extracted_folder_is_standardized_per_channel(tmp_path):
    import pickle
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    data = np.zeros((4, 3072), np.uint8)
    data[:, :1024] = 255                                   # red plane full
    with open(folder / "data_batch_1", "wb") as f:
        pickle.dump({b"data": data, b"labels": [0, 3, 9, 3]}, f)
    ds = load_dataset("cifar10", inp(3, 32, 32), data_dir=tmp_path)
    assert ds.x.shape == (4, 3, 32, 32) and ds.y.tolist() == [0, 3, 9, 3] and ds.classes[3] == "cat"
    assert ds.x[:, 0].mean() > 1.5 and ds.x[:, 1].mean() < -1.5      # (1 − 0.49) / 0.25 and (0 − 0.48) / 0.24
    assert any("standardized" in n for n in ds.notes)
    with pytest.raises(DataError, match=r"3-channel images but Input 'input' asks for 1 channels"):
        load_dataset("cifar10", inp(1, 32, 32), data_dir=tmp_path)
