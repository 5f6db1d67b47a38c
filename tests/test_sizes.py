"""Size sanity before allocation: `check` warns above the sane limits and names the biggest blocks;
build_model, train and the app's Start refuse, with the estimate, when it exceeds the memory at hand."""
import json

import pytest

import engine
from engine import cli
from engine.core import sizes
GIB = 2 ** 30


def net_of(*steps):
    nodes = [{"id": nid, "type": typ, "params": params} for nid, typ, params in steps]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "netwright.network", "version": 1, "name": "big", "nodes": nodes, "edges": edges}


TERA = net_of(("in", "Input", {"shape": [10 ** 6]}), ("f", "Linear", {"out_features": 10 ** 6}),
              ("g", "Linear", {"out_features": 10}))
WIDE = net_of(("in", "Input", {"shape": [3, 10000, 10000]}),
              ("c", "Conv2d", {"out_channels": 2000, "kernel_size": 1}), ("p", "AdaptiveAvgPool2d", {"output_size": 1}),
              ("f", "Flatten", {}), ("out", "Linear", {"out_features": 10}))


def check_json(tmp_path, capsys, data):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    code = cli.main(["check", str(path), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_check_warns_about_a_trillion_parameters_naming_the_biggest_block(tmp_path, capsys):
    code, report, _ = check_json(tmp_path, capsys, TERA)
    assert code == 0 and report["valid"] and report["total_params"] == 10 ** 12 + 10 ** 6 + 10 ** 7 + 10
    warning = " ".join(report["nodes"]["f"]["warnings"])
    assert "'f' holds 1,000,001,000,000 parameters (3.6 TiB as float32)" in warning and "1,000,000,000" in warning
    assert any("parameters" in w for w in report["nodes"]["g"]["warnings"])     # the second biggest is named too
    assert report["nodes"]["in"]["warnings"] == []


def test_check_warns_about_700_gib_of_activations_per_sample(tmp_path, capsys):
    code, report, _ = check_json(tmp_path, capsys, WIDE)
    assert code == 0
    warning = " ".join(report["nodes"]["c"]["warnings"])
    assert "'c' outputs 745.1 GiB per sample" in warning and "above 4.0 GiB" in warning


def test_examples_get_no_size_warning(load_example):
    for name in ("lenet5", "mnist_cnn"):
        results = engine.infer_shapes(load_example(name))
        assert not any("per sample;" in w or "parameters (" in w for r in results.values() for w in r.warnings)


def test_the_warning_follows_edits_through_the_cache():
    net = engine.network_from_dict(TERA)
    cache = engine.ShapeCache()
    assert cache.infer(net)["f"].warnings
    net.set_param("f", "out_features", 10)
    assert cache.infer(net)["f"].warnings == []
    net.set_param("f", "out_features", 10 ** 6)
    assert cache.infer(net)["f"].warnings


def test_an_input_of_ten_to_the_300_is_an_error_not_a_valid_network(tmp_path, capsys):
    code, report, _ = check_json(tmp_path, capsys, net_of(("in", "Input", {"shape": [10 ** 300]}),
                                                          ("f", "Linear", {"out_features": 3})))
    assert code == 1 and "too large for PyTorch" in report["nodes"]["in"]["error"]


def test_build_model_refuses_before_allocating_with_the_estimate(monkeypatch):
    from engine.runtime.build import ModelError
    with pytest.raises(ModelError) as e:
        engine.build_model(engine.network_from_dict(TERA))       # would be 3.6 TiB: refused at once
    assert "needs at least 3.6 TiB" in str(e.value) and "Dense (Linear) 'f'" in str(e.value)
    assert "nothing was allocated" in str(e.value)
    monkeypatch.setattr(sizes, "available_ram", lambda: 100_000)
    from engine.runtime.build import ModelError
    with pytest.raises(ModelError, match="this computer has 97.7 KiB available"):
        engine.build_model(engine.network_from_dict(net_of(("in", "Input", {"shape": [100]}),
                                                           ("f", "Linear", {"out_features": 1000}))))


def test_the_training_estimate_counts_weights_gradients_optimizer_and_the_batch(monkeypatch):
    import torch
    from engine.runtime.build import device_memory, training_memory_problem
    net = engine.network_from_dict(net_of(("in", "Input", {"shape": [1000]}), ("f", "Linear", {"out_features": 1000})))
    est = sizes.estimate(net, engine.infer_shapes(net))
    assert est.params == 1_001_000 and est.activation_bytes == 8000
    assert est.training_bytes(64, "adam") == 4 * 4 * 1_001_000 + 64 * 8000
    assert est.training_bytes(64, "sgd") == 3 * 4 * 1_001_000 + 64 * 8000
    monkeypatch.setattr(sizes, "available_ram", lambda: 10 * 2 ** 20)
    problem = training_memory_problem(net, "cpu", 64)
    assert "Training with batch size 64 and adam needs at least 15.8 MiB" in problem and "10.0 MiB" in problem
    assert training_memory_problem(net, "cpu", 64, "sgd") is not None
    monkeypatch.setattr(sizes, "available_ram", lambda: 64 * GIB)
    assert training_memory_problem(net, "cpu", 64) is None
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (2 * 2 ** 20, 80 * GIB))
    assert device_memory(torch.device("cuda:0")) == 2 * 2 ** 20           # CUDA: the GPU's own free memory
    assert "the GPU cuda:0 has 2.0 MiB available" in training_memory_problem(net, torch.device("cuda:0"), 64)


def test_train_refuses_before_loading_data_or_building(tmp_path, capsys):
    from engine.cli import train as train_cli
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(WIDE))
    code = train_cli.main([str(path), "--device", "cpu", "--epochs", "1", "--out", str(tmp_path / "run")])
    _out, err = capsys.readouterr()
    assert code == 2 and "needs at least" in err and "746.2 GiB of activations per sample" in err
    assert "Conv2d 'c'" in err and "unexpectedly" not in err and "Traceback" not in err


def test_the_app_refuses_start_with_the_estimate(qtbot, tmp_path, monkeypatch):
    from app.main_window import MainWindow
    monkeypatch.setenv("NETWRIGHT_CONFIG_DIR", str(tmp_path / "config"))
    window = MainWindow(recovery_folder=tmp_path / "recovery")
    qtbot.addWidget(window)
    path = tmp_path / "tera.json"
    path.write_text(json.dumps(TERA))
    assert window.files.open_path(path, ask=False)
    started = []
    window.training_controller.start = lambda net, settings: started.append(settings)
    window.training_panel.start_button.click()
    assert started == [] and window.training_controller.state == "idle"
    text = window.training_panel.message_label.text()
    assert "needs at least 3.6 TiB" in text and "'f'" in text
    assert window.training_panel.progress_label.text() == "Not started."


def test_export_says_the_file_may_not_run(tmp_path, capsys):
    path = tmp_path / "tera.json"
    path.write_text(json.dumps(TERA))
    assert cli.main(["export", str(path), "-o", str(tmp_path / "tera.py")]) == 0
    err = capsys.readouterr().err
    assert "warning: Dense (Linear) 'f' holds 1,000,001,000,000 parameters" in err
