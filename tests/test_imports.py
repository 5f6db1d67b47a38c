"""`import engine` and `python main.py check` stay light: no torch (seconds to import), no Qt."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "PySide6", "pyqtgraph", "shiboken6")

PROBE = """
import json, sys
{body}
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
sys.stderr.write("LOADED=" + json.dumps(heavy) + "\\n")
"""


def loaded_after(body: str) -> list[str]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(body=body, heavy=HEAVY)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    line = next(x for x in p.stderr.splitlines() if x.startswith("LOADED="))
    return json.loads(line[len("LOADED="):])


def test_import_engine_loads_neither_torch_nor_qt():
    assert loaded_after("import engine; engine.infer_shapes(engine.load_network('resources/examples/crnn.json'))") \
        == []


def test_main_py_check_loads_neither_torch_nor_qt():
    body = ("import main\n"
            "assert main.main(['check', 'resources/examples/lenet5.json']) == 0\n"
            "assert main.main(['check', '--json', 'resources/examples/char_lstm.json']) == 0")
    assert loaded_after(body) == []


def test_the_probe_does_see_torch_when_a_model_is_built():
    body = "import engine; engine.build_model(engine.load_network('resources/examples/mnist_cnn.json'))"
    assert "torch" in loaded_after(body)


def test_the_window_starts_a_run_and_opens_its_panel_without_importing_torch():
    """Start and the training panel must not wait for torch (the app imports it in the background)."""
    body = ("import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "import engine.runtime.child, engine.data, app.training_controller, widgets.training_panel")
    assert "torch" not in loaded_after(body)
