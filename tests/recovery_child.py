"""The crash test's child (tests/test_recovery.py): opens an example the way the app does, edits it
every 200 ms through the editor layer for as long as it lives, and prints each edit's number. The test
kills it with SIGKILL; recovery must still have written a copy. Usage: recovery_child.py FOLDER NETWORK"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import engine  # noqa: E402
from app.document import Document  # noqa: E402
from app.editing import Editor  # noqa: E402
from app.recovery import Recovery  # noqa: E402

EDIT_MS = 200


def main() -> None:
    app = QApplication([])
    folder, network = Path(sys.argv[1]), Path(sys.argv[2])
    doc = Document()
    doc.replace(engine.load_network(network), network.resolve())
    recovery = Recovery(doc, folder)
    editor = Editor(doc)
    count = [0]

    def edit():
        count[0] += 1
        n = count[0]
        editor.set_param("c1", "out_channels", n)                  # one merged undo step …
        editor.move({"a1": (doc.network.nodes["a1"].position, (float(n), 200.0))})   # … and one per edit
        print(n, flush=True)

    timer = QTimer()
    timer.setInterval(EDIT_MS)
    timer.timeout.connect(edit)
    timer.start()
    print(f"ready {recovery.path}", flush=True)
    app.exec()


if __name__ == "__main__":
    main()
