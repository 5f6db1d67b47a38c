"""The layers stay as the README draws them: import-linter's contracts (pyproject.toml) hold, and the core
is pure Python in a fresh interpreter (no torch, no numpy, no Qt when every core module is imported)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the dev extra (pip install -e '.[dev]')"
    p = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "broken" not in p.stdout.lower().replace("0 broken", "")


def test_every_core_module_imports_without_torch_numpy_or_qt():
    modules = sorted("engine.core." + ".".join(path.relative_to(ROOT / "engine" / "core").with_suffix("").parts)
                     for path in (ROOT / "engine" / "core").rglob("*.py") if path.name != "__init__.py")
    body = ("import importlib, json, sys\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'numpy', 'PySide6', 'pyqtgraph'})\n"
            "print(json.dumps(heavy))")
    p = subprocess.run([sys.executable, "-c", body], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(modules) > 15 and json.loads(p.stdout.splitlines()[-1]) == []
