"""Canvas speed on networks of 50, 300 and 1,000 blocks, laid out left to right as the app does.

* edit → repaint: a parameter edit (network.set_param → ShapeCache.infer → scene.show_results →
  processEvents + viewport repaint), for an edit at the bottom of the network (one card changes) and
  at the top (every card and link below it changes), with the whole network in view (the most to paint)
  and at 100 % zoom.
* drag frame: one block dragged with mouse events through the view in the 300- and 1,000-block
  networks, each step repainted.
* app: the same Input edit in the whole app (MainWindow with the 300-block network, the Input selected),
  sent as the inspector sends it, through the undo command, the document and every panel that follows.

Targets: edit → repaint p95 ≤ 16 ms on 300 and 1,000 blocks; a drag frame ≤ 16 ms (60 fps) at 1,000; the
app's inspector edit p95 ≤ 16 ms at 300. Each figure is also
printed as a ratio to a reference measured in the same run: repainting the same view with an empty
scene, i.e. the fixed cost of one frame on this machine.

The garbage collector is set as the app sets it once started (app/gc_pauses.py: what start-up left alive
is out of its full collections).

Run: python benchmarks/canvas.py [--no-startup]   (offscreen unless DISPLAY is set)
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import engine  # noqa: E402
from widgets.canvas import NetworkScene, NetworkView  # noqa: E402

TARGET_MS = 16.0
REPEATS = 60
DIRECTION = "lr"        # the app's default layout


def build_network(blocks: int) -> engine.Network:
    """Input, a stem convolution, residual units (conv, BN, ReLU, conv, ReLU, Add with the unit's input)
    and a head (global pooling, Flatten, Dense): `blocks` blocks in all."""
    net = engine.Network(f"{blocks} blocks")
    net.add_node("Input", {"shape": [3, 32, 32]}, "input")
    prev = net.add_node("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, "stem")
    net.connect("input", prev)
    unit = [("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("BatchNorm2d", {}), ("ReLU", {}),
            ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("ReLU", {})]
    while len(net) + len(unit) + 1 + 3 <= blocks:
        start, last = prev, prev
        for type_name, params in unit:
            nid = net.add_node(type_name, params)
            net.connect(last, nid)
            last = nid
        prev = net.add_node("Add", {})
        net.connect(last, prev)
        net.connect(start, prev)
    while len(net) < blocks - 3:
        nid = net.add_node("Dropout", {"p": 0.1})
        net.connect(prev, nid)
        prev = nid
    for type_name, params in [("AdaptiveAvgPool2d", {"output_size": 1}), ("Flatten", {}),
                              ("Linear", {"out_features": 10})]:
        nid = net.add_node(type_name, params)
        net.connect(prev, nid)
        prev = nid
    return net


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def frame(app: QApplication, view: NetworkView) -> None:
    """One frame: the events an edit posted handled, and the whole viewport painted once (until 2026-12-02
    this also called repaint() after processEvents(), which painted every frame twice)."""
    view.viewport().update()
    app.processEvents()


def reference(app: QApplication) -> float:
    """Median time of one frame of the same view with nothing in it."""
    scene = NetworkScene(engine.Network())
    view = NetworkView(scene)
    view.resize(1280, 800)
    view.show()
    for _ in range(5):
        frame(app, view)
    times = []
    for _ in range(REPEATS):
        view.viewport().update()
        t = time.perf_counter()
        frame(app, view)
        times.append(time.perf_counter() - t)
    view.close()
    return statistics.median(times) * 1000


def edit_repaint(app, blocks: int, where: str, zoom: str) -> tuple[float, float, int, float]:
    """(median, p95, cards changed, p95 of the canvas's own part: the edit's time less shape inference)."""
    net = build_network(blocks)
    scene = NetworkScene(net, direction=DIRECTION)
    view = NetworkView(scene)
    view.resize(1280, 800)
    view.show()
    cache = engine.ShapeCache()
    scene.show_results(cache.infer(net))
    if zoom == "fit":
        view.fit_all()
    else:
        view.reset_zoom()
        view.centerOn(scene.block_rect("stem").center())
    for _ in range(5):
        frame(app, view)
    node, name, values = (("input", "shape", ([3, 32, 32], [3, 30, 30])) if where == "top"
                          else (net.output_node(), "out_features", (10, 12)))
    times, own, touched = [], [], 0
    for i in range(REPEATS):
        t = time.perf_counter()
        net.set_param(node, name, values[i % 2])
        results = cache.infer(net)
        inferred = time.perf_counter()
        touched = len(scene.show_results(results))
        frame(app, view)
        end = time.perf_counter()
        times.append(end - t)
        own.append(end - inferred)
    view.close()
    return (*stats(times), touched, stats(own)[1])


def send_mouse(view: NetworkView, kind: QEvent.Type, at: QPoint, button: Qt.MouseButton) -> None:
    vp = view.viewport()
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    QApplication.sendEvent(vp, QMouseEvent(kind, QPointF(at), QPointF(vp.mapToGlobal(at)), button, held,
                                           Qt.KeyboardModifier.NoModifier))


def drag_frames(app, blocks: int, zoom: str) -> tuple[float, float]:
    """A real drag: press on a block, then mouse moves through the view, each followed by a repaint."""
    net = build_network(blocks)
    scene = NetworkScene(net, direction=DIRECTION)
    view = NetworkView(scene)
    view.resize(1280, 800)
    view.show()
    scene.show_results(engine.infer_shapes(net))
    middle = list(net.nodes)[blocks // 2]
    if zoom == "fit":
        view.fit_all()
    else:
        view.reset_zoom()
        view.centerOn(scene.block_rect(middle).center())
    for _ in range(5):
        frame(app, view)
    rect = scene.block_rect(middle)
    start = view.mapFromScene(QPointF(rect.center().x() - 30, rect.center().y()))
    send_mouse(view, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    times = []
    for i in range(REPEATS * 2):
        step = i % 40 if (i // 40) % 2 == 0 else 40 - i % 40      # there and back
        t = time.perf_counter()
        send_mouse(view, QEvent.Type.MouseMove, start + QPoint(3 * step, 2 * step), Qt.MouseButton.NoButton)
        frame(app, view)
        times.append(time.perf_counter() - t)
    assert scene.block_rect(middle) != rect, "the drag did not move the block"
    send_mouse(view, QEvent.Type.MouseButtonRelease, start, Qt.MouseButton.LeftButton)
    view.close()
    return stats(times)


def app_edit(app, zoom: str) -> tuple[float, float]:
    """The whole app: a MainWindow showing the 300-block network with its Input selected (as when the
    user types a new input shape in the inspector), the edit sent as the inspector sends it (through the
    editor, an undo command, the document's shape inference and every panel that follows it), then the
    window's pending repaints and the canvas repainted. Summary and problems follow after a pause on a
    network this large; they are timed apart (`tables_refresh`)."""
    import tempfile
    os.environ["NETWRIGHT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="netwright-bench-")     # no user settings
    from app.gc_pauses import settle
    from app.main_window import MainWindow
    window = MainWindow(recovery_folder=Path(tempfile.mkdtemp(prefix="netwright-bench-")))
    for _ in range(10):
        app.processEvents()
    import torch  # noqa: F401  (app.gui imports it in the background after start-up, then settles)
    settle()            # as app.gui does once start-up is done: later full collections skip the window and torch
    window.doc.replace(build_network(300), None)
    window.resize(1600, 1000)
    window.show()
    view, scene = window.view, window.scene
    for _ in range(10):
        app.processEvents()
    if zoom == "fit":
        view.fit_all()
    else:
        view.reset_zoom()
        view.centerOn(scene.block_rect("stem").center())
    scene.select_ids(["input"])
    for _ in range(5):
        frame(app, view)
    times, tables = [], []
    for i in range(REPEATS // 2):
        t = time.perf_counter()
        window.inspector.param_edit_requested.emit("input", "shape", [3, 30, 30] if i % 2 == 0 else [3, 32, 32])
        frame(app, view)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        window._refresh_tables()          # what the pause's timer runs
        app.processEvents()
        tables.append(time.perf_counter() - t)
    window.doc.undo_stack.setClean()        # closing asks nothing
    window.close()
    app.processEvents()
    return (*stats(times), statistics.median(tables) * 1000)


def main() -> None:
    from app.gc_pauses import settle
    app = QApplication.instance() or QApplication(sys.argv)
    settle()            # the app's state after start-up: what is imported is out of the collector's walks
    ref = reference(app)
    print(f"Canvas benchmark ({os.environ.get('QT_QPA_PLATFORM', 'display')}); reference: an empty "
          f"1280×800 canvas frame = {ref:.2f} ms\n")
    header = f"{'measure':<58} {'median':>8} {'p95':>8} {'target':>8} {'p95/ref':>8}  cards  canvas-only p95"
    print(header)
    print("-" * len(header))
    for blocks in (50, 300, 1000):
        for where in ("bottom", "top"):
            for zoom in ("100%", "fit"):
                med, p95, touched, own = edit_repaint(app, blocks, where, zoom)
                label = f"edit → repaint, {blocks} blocks, edit at the {where}, zoom {zoom}"
                target = f"{TARGET_MS:.0f} ms" if blocks >= 300 else "-"
                print(f"{label:<58} {med:6.2f}ms {p95:6.2f}ms {target:>8} {p95 / ref:7.1f}×  {touched:5}  {own:6.2f}ms",
                      flush=True)
    for blocks in (300, 1000):
        for zoom in ("100%", "fit"):
            med, p95 = drag_frames(app, blocks, zoom)
            label = f"drag frame, {blocks} blocks, zoom {zoom}"
            target = f"{TARGET_MS:.0f} ms" if blocks == 1000 else "-"
            print(f"{label:<58} {med:6.2f}ms {p95:6.2f}ms {target:>8} {p95 / ref:7.1f}×", flush=True)
    for zoom in ("100%", "fit"):
        med, p95, tables = app_edit(app, zoom)
        label = f"app: inspector edit of the Input, 300 blocks, zoom {zoom}"
        print(f"{label:<58} {med:6.2f}ms {p95:6.2f}ms {TARGET_MS:>5.0f} ms {p95 / ref:7.1f}×  298", flush=True)
        print(f"{'    then summary and problems follow (after a pause)':<58} {tables:6.2f}ms")


# ---- start-up: `python main.py` to a painted window ---------------------------------------------------
# Each figure is the wall time from starting a fresh interpreter to the first paint of the window,
# the median of a few runs. References measured in the same run: the same for a bare QMainWindow
# (Python + Qt alone), and for a bare window after also importing pyqtgraph and torch.

STARTUP_PROBE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
{imports}
app = QApplication.instance() or QApplication(sys.argv[:1])

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint and obj.isWidgetType() \
                and isinstance(obj.window(), QMainWindow) and obj.window().isVisible():
            self.done = True
            print("PAINTED", "torch" in sys.modules, "pyqtgraph" in sys.modules, "numpy" in sys.modules, flush=True)
            QTimer.singleShot(0, app.quit)
        return False

probe = FirstPaint()
app.installEventFilter(probe)
{run}
"""


def _startup_once(imports: str, run: str, env: dict) -> tuple[float, str]:
    import subprocess
    code = STARTUP_PROBE.format(imports=imports, run=run)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], env=env,
                       capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t
    line = next((x for x in p.stdout.splitlines() if x.startswith("PAINTED")), "")
    if not line:
        raise RuntimeError(f"start-up probe failed: {p.stderr[-800:]}")
    return elapsed, line


def startup(runs: int = 5) -> dict:
    """Seconds from a fresh `python main.py` to the painted main window, with references."""
    import tempfile
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["NETWRIGHT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="netwright-bench-")   # no recovery prompt, no user settings
    # As installed: byte code cached (in a temporary folder, so the repository stays clean); one warm-up run each.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="netwright-pyc-")
    bare = "w = QMainWindow(); w.resize(1280, 800); w.show(); app.exec()"
    cases = {
        "Python + Qt, bare window (reference)": ("", bare),
        "Python + Qt + pyqtgraph, bare window": ("import pyqtgraph", bare),
        "Python + Qt + torch, bare window": ("import torch", bare),
        "python main.py (Netwright)": ("", "import main; main.main([])"),
    }
    out = {}
    for name, (imports, run) in cases.items():
        times, line = [], ""
        _startup_once(imports, run, env)
        for _ in range(runs):
            t, line = _startup_once(imports, run, env)
            times.append(t)
        out[name] = (statistics.median(times), line)
    return out


def print_startup() -> None:
    results = startup()
    ref = results["Python + Qt, bare window (reference)"][0]
    print("\nStart-up to a painted window (median of 5 fresh processes after a warm-up, byte code cached; "
          "target ≤ 1 s for main.py)")
    print(f"{'case':<44} {'seconds':>8} {'vs ref':>8}  torch/pyqtgraph/numpy loaded at first paint")
    for name, (t, line) in results.items():
        _, torch_loaded, pg_loaded, np_loaded = line.split()
        print(f"{name:<44} {t:8.3f} {t / ref:7.2f}×  {torch_loaded}/{pg_loaded}/{np_loaded}")


if __name__ == "__main__":
    main()
    if "--no-startup" not in sys.argv:
        print()
        print_startup()
