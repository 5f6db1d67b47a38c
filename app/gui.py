"""The desktop app's entry point: `python main.py [NETWORK.json]`.

The window is shown before torch is imported (torch takes seconds to load); torch is then imported
in a background thread so training and export are ready when asked for.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from . import RESOURCES

DEFAULT_EXAMPLE = RESOURCES / "examples" / "mnist_cnn.json"
TORCH_DELAY_MS = 800
EXTRAS_DELAY_MS = 100    # the training panel (numpy, data sets) joins once the window is painted

_torch_thread: threading.Thread | None = None


def preload_torch() -> threading.Thread:
    """Import torch in a background thread (the import itself holds no Qt objects)."""
    global _torch_thread
    if _torch_thread is None:
        # the import runs with garbage collection paused, so no Qt object is destroyed in that thread
        from widgets.worker import start_worker

        def load():
            try:
                import torch  # noqa: F401
            except ImportError:
                pass
        _torch_thread = start_worker(load, "torch-preload")
    return _torch_thread


def usage() -> str:
    return ("usage: python main.py [NETWORK.json]\n"
            "       python main.py check|train|export ...   (see python main.py --help)")


def run(args: list[str]) -> int:
    paths = [a for a in args if not a.startswith("-")]
    unknown = [a for a in args if a.startswith("-")]
    if unknown or len(paths) > 1:
        print(usage(), file=sys.stderr)
        return 2
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .gc_pauses import settle
    from .settings import Settings
    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Netwright")
    app.setApplicationName("Netwright")
    app.setApplicationDisplayName("Netwright")
    from widgets.icons import app_icon
    app.setWindowIcon(app_icon())
    settings = Settings()
    apply_theme(app, settings.theme)

    from .main_window import MainWindow
    window = MainWindow(settings, defer_extras=True)
    window.restore_state()
    target = Path(paths[0]) if paths else (DEFAULT_EXAMPLE if DEFAULT_EXAMPLE.is_file() else None)
    window.show()

    def after_show():
        recovered = window.files.offer_recovery()
        if not recovered and target is not None:
            if window.files.open_path(target, ask=False, remember=bool(paths)) and not paths:
                window.show_status(f"Opened the example {target.name}. " + _hint())
        elif not recovered:
            window.show_status(_hint())
        QTimer.singleShot(EXTRAS_DELAY_MS, window, window.install_extras)
        QTimer.singleShot(TORCH_DELAY_MS, window, start_preload)

    def start_preload():
        thread = preload_torch()
        if thread is None:          # tests replace the preload
            return
        poll = QTimer(window)
        poll.setInterval(250)

        def check():
            if not thread.is_alive():
                poll.stop()
                window.summary.refresh_devices()     # CUDA devices appear once torch is loaded
                panel = getattr(window, "training_panel", None)
                if panel is not None:
                    panel.device.detect()
                settle()        # start-up is done: later garbage collections skip what is alive now
        poll.timeout.connect(check)
        poll.start()
    # Open the network right after the first paint, so the window appears at once.
    QTimer.singleShot(0, window, after_show)
    code = app.exec()
    if _torch_thread is not None:
        _torch_thread.join()
    return code


def _hint() -> str:
    return ("Drag blocks from the palette, link them port to port, select one to edit it; "
            "F1 lists the shortcuts.")
