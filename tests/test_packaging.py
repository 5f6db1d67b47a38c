"""`pip install .` (not editable) gives a working command line and app outside the source tree: the wheel
holds every package (engine.core.blocks, engine.data, widgets.*) and the resources (examples, style sheets);
a fresh virtual environment (torch from constraints.txt) installs it, and from a folder outside the
source tree `netwright check` works on a packaged example and `import engine` is the installed copy.

One test, so the wheel is built and installed once (about a minute: torch and PySide6 are unpacked into
the fresh environment). `pytest -m "not slow"` leaves it out while working."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ("pyproject.toml", "README.md", "main.py", "app", "engine", "widgets", "resources")


def run(cmd, cwd, env=None, timeout=600):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


@pytest.fixture
def workdir(tmp_path):
    yield tmp_path
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)       # 1.3 GB: not kept among pytest's last runs


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_environment_and_works_outside_the_source_tree(workdir):
    tmp_path = workdir
    src = tmp_path / "src"          # a clean copy: no build/ or egg-info of the working tree gets in
    src.mkdir()
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", dist], src)
    wheel = next(dist.glob("netwright-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("engine/core/blocks/__init__.py", "engine/data/__init__.py", "engine/runtime/child.py",
                   "widgets/canvas/__init__.py", "widgets/plots/__init__.py", "engine/cli/__init__.py", "engine/core/names.py", "main.py",
                   "resources/style.qss", "resources/style_dark.qss", "resources/examples/lenet5.json"):
        assert needed in names, f"the wheel lacks {needed}"
    examples = {Path(n).name for n in names if n.startswith("resources/examples/")}
    assert examples == {p.name for p in (ROOT / "resources" / "examples").glob("*.json")}
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    py = venv / "bin" / "python"
    run([py, "-m", "pip", "install", "-q", "--no-compile", "-c", ROOT / "constraints.txt", wheel], tmp_path,
        timeout=900)

    elsewhere = tmp_path / "elsewhere"        # not the source tree, not on sys.path
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(QT_QPA_PLATFORM="offscreen", NETWRIGHT_CONFIG_DIR=str(tmp_path / "config"))
    where = json.loads(run([py, "-c", "import json, app, engine, engine.core.blocks, engine.data; "
                            "print(json.dumps([engine.__file__, str(app.RESOURCES)]))"], elsewhere, env))
    site = Path(run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], elsewhere, env).strip())
    assert Path(where[0]).is_relative_to(site) and not Path(where[0]).is_relative_to(ROOT)
    example = Path(where[1]) / "examples" / "lenet5.json"
    assert example.is_relative_to(site) and example.is_file()

    netwright = venv / "bin" / "netwright"
    assert run([netwright, "--version"], elsewhere, env).strip() == "netwright 0.1.0"
    out = run([netwright, "check", example], elsewhere, env)
    assert "61,706 trainable parameters" in out and "valid (0 warnings)" in out
    run([netwright, "export", example, "-o", "lenet.py"], elsewhere, env)
    assert run([py, "lenet.py"], elsewhere, env).strip() == "output shape: (2, 10)"

    # The app: the window opens, its Examples menu lists the packaged examples and the style sheet loads.
    script = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        from app.main_window import MainWindow
        from app.settings import Settings
        from app.theme import apply_theme
        qt = QApplication(sys.argv[:1])
        apply_theme(qt, "dark")
        window = MainWindow(Settings())
        window.files.open_path(sys.argv[1], ask=False)
        titles = [a.text() for a in window.examples_menu.actions()]
        print(len(qt.styleSheet()) > 0, len(window.doc.network.nodes), len(titles))
    """)
    (elsewhere / "smoke.py").write_text(script)
    styled, nodes, examples_listed = run([py, "smoke.py", example], elsewhere, env).split()[-3:]
    assert styled == "True" and int(nodes) == 13 and int(examples_listed) == len(examples)
