"""The app's logic and main window (Qt), and the command line (engine.cli, Qt-free)."""
from pathlib import Path

# The examples and style sheets. resources/ sits beside app/ both in the source tree and after
# `pip install .` (it is installed as package data, see pyproject.toml), so one relative path finds it.
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
