"""Runs training in a child process and turns its messages into Qt signals for the views.

The child (multiprocessing, spawn) gets a snapshot of the network as a dict and the settings, never
the live graph, so the canvas stays editable and edits apply to the next run. A ~30 fps QTimer
drains the pipe without blocking; of the FRAME messages read in one tick only the newest is kept.
Stop sends STOP (the trainer saves a checkpoint and ends within a batch); a child that has not
ended within `stop_timeout` seconds is terminated, and the last checkpoint on disk stays intact.
"""
from __future__ import annotations

import multiprocessing
import os
import time

from PySide6.QtCore import QObject, QTimer, Signal

from engine.runtime import protocol
from engine.runtime.protocol import RunState
from engine.runtime.run_model import RunEvent, RunModel

IDLE, STARTING, RUNNING, PAUSED, STOPPING = (RunState.IDLE, RunState.STARTING, RunState.RUNNING, RunState.PAUSED,
                                             RunState.STOPPING)
POLL_MS = 33
READ_BUDGET_S = 0.012          # stop reading the pipe after this long in one tick; the rest waits


class TrainingController(QObject):
    started = Signal(dict)
    progress = Signal(dict)
    scalars = Signal(dict)
    epoch_finished = Signal(dict)
    frame = Signal(dict)
    checkpoint_saved = Signal(str)
    paused = Signal(dict)
    resumed = Signal(dict)
    log = Signal(str)
    finished = Signal(dict)        # the result; "stopped" is true after Stop
    failed = Signal(str)           # a sentence for the person
    state_changed = Signal(str)

    def __init__(self, parent=None, stop_timeout: float = 3.0, poll_ms: int = POLL_MS, run: RunModel | None = None):
        super().__init__(parent)
        self.run = run if run is not None else RunModel()     # what the views mirror
        self._feed_run_model()
        self.stop_timeout = stop_timeout
        self.state = IDLE
        self.process = None
        self.conn = None
        self.views_config: dict | None = {}        # live views on (engine.runtime.live defaults) until configured
        self.snapshot_time: float | None = None
        self.last_checkpoint: str | None = None
        self.last_frame: dict | None = None
        self._ended = False
        self._stop_deadline: float | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)

    def _feed_run_model(self) -> None:
        """Every message also goes to the run model, which the views follow (the signals stay for
        scripts and tests that want one kind of message)."""
        r = self.run
        for signal, slot in ((self.started, r.on_started), (self.progress, r.on_progress), (self.scalars, r.on_scalars),
                             (self.epoch_finished, r.on_epoch), (self.frame, r.on_frame), (self.log, r.on_log),
                             (self.finished, r.on_finished), (self.failed, r.on_failed),
                             (self.state_changed, r.set_state)):
            signal.connect(slot)

    # ---- commands -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.state != IDLE

    def start(self, network_dict: dict, settings: dict) -> bool:
        """Start a run on a snapshot of the network; False when one is already running."""
        if self.running:
            return False
        from engine.runtime.child import run_child
        settings = dict(settings)
        if self.views_config is not None and "live_views" not in settings:
            settings["live_views"] = dict(self.views_config)
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=run_child, args=(child_conn, network_dict, settings), daemon=True,
                                   name="netwright-training")
        try:
            self.process.start()
        except OSError as e:
            self.conn.close()
            self.conn = self.process = None
            self.failed.emit(f"The training process could not be started ({e}); close other programs and try again.")
            return False
        finally:
            child_conn.close()
        self.snapshot_time = time.time()
        self.run.begin(network_dict, settings)
        self.last_checkpoint = self.last_frame = None
        self._ended = False
        self._stop_deadline = None
        self._set_state(STARTING)
        self.timer.start()
        return True

    def pause(self) -> None:
        self._send(protocol.PAUSE)

    def resume(self) -> None:
        self._send(protocol.RESUME)

    def set_lr(self, lr: float) -> None:
        self._send(protocol.SET_LR, {"lr": float(lr)})

    def send_views(self, config: dict) -> None:
        """Live-view configuration: kept for the next run and sent to a running one."""
        self.views_config = dict(config)
        self._send(protocol.VIEWS, dict(config))

    def stop(self) -> None:
        """Ask the run to stop (it saves a checkpoint); terminate it if it has not ended in time."""
        if not self.running or self.state == STOPPING:
            return
        self._send(protocol.STOP)
        self._stop_deadline = time.monotonic() + self.stop_timeout
        self._set_state(STOPPING)

    def shutdown(self) -> None:
        """The app is closing: stop the run, wait briefly, then terminate it."""
        if self.process is None:
            return
        self._send(protocol.STOP)
        self.process.join(self.stop_timeout)
        self._terminate()

    # ---- the pipe -------------------------------------------------------------------------------
    def _send(self, kind: str, payload: dict | None = None) -> None:
        if self.conn is not None and self.running:
            try:
                self.conn.send((kind, payload or {}))
            except (BrokenPipeError, OSError):
                pass

    def poll(self) -> None:
        """Read what the child sent (never blocking), dispatch it, keep only the newest frame."""
        newest_frame = None
        began = time.perf_counter()
        try:
            while self.conn is not None and time.perf_counter() - began < READ_BUDGET_S and self.conn.poll():
                kind, payload = self.conn.recv()
                if kind == protocol.FRAME:
                    newest_frame = payload
                    continue
                if kind in (protocol.DONE, protocol.ERROR) and newest_frame is not None:
                    self.last_frame = newest_frame        # the run's last frame comes before its end
                    self.frame.emit(newest_frame)
                    newest_frame = None
                self._dispatch(kind, payload)
        except (EOFError, OSError):
            self._child_gone()
        if newest_frame is not None:
            self.last_frame = newest_frame
            self.frame.emit(newest_frame)
        if self.process is not None and not self._ended:
            if not self.process.is_alive() and not (self.conn is not None and self._poll_safe()):
                self._child_gone()
            elif self._stop_deadline is not None and time.monotonic() > self._stop_deadline:
                self._terminate()
                self._finish_stopped(f"The training process did not stop within {self.stop_timeout:g} s and was "
                                     f"ended; the last checkpoint on disk is kept.")

    def _poll_safe(self) -> bool:
        try:
            return self.conn.poll()
        except (EOFError, OSError):
            return False

    def _dispatch(self, kind: str, payload: dict) -> None:
        if kind == protocol.STARTED:
            self._set_state(RUNNING if self.state != STOPPING else STOPPING)
            self.started.emit(payload)
        elif kind == protocol.PROGRESS:
            self.progress.emit(payload)
        elif kind == protocol.SCALARS:
            self.scalars.emit(payload)
        elif kind == protocol.EPOCH:
            self.epoch_finished.emit(payload)
        elif kind == protocol.CHECKPOINT:
            self.last_checkpoint = payload.get("path")
            self.checkpoint_saved.emit(self.last_checkpoint or "")
        elif kind == protocol.PAUSED:
            if self.state != STOPPING:
                self._set_state(PAUSED)
            self.paused.emit(payload)
        elif kind == protocol.RESUMED:
            if self.state != STOPPING:
                self._set_state(RUNNING)
            self.resumed.emit(payload)
        elif kind == protocol.LOG:
            self.log.emit(payload.get("message", ""))
        elif kind == protocol.DONE:
            self._end()
            self.finished.emit(payload)
        elif kind == protocol.ERROR:
            self._end()
            self.failed.emit(payload.get("message") or "Training failed.")

    def _child_gone(self) -> None:
        if self._ended:
            return
        code = self.process.exitcode if self.process is not None else None
        if self.state == STOPPING:
            self._finish_stopped("Training stopped.")
            return
        self._end()
        self.failed.emit(f"The training process ended unexpectedly (exit code {code}); nothing in the editor is "
                         f"lost" + (f", and the last checkpoint {self.last_checkpoint} is kept." if self.last_checkpoint
                                    else "."))

    def _finish_stopped(self, message: str) -> None:
        self._end()
        self.log.emit(message)
        self.finished.emit({"stopped": True, "checkpoint": self.last_checkpoint, "epochs": None})

    def _terminate(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(2.0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)

    def _end(self) -> None:
        self._ended = True
        self.timer.stop()
        if self.process is not None:
            self.process.join(0.5)
            if self.process.is_alive():
                self._terminate()
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.process = None
        self._stop_deadline = None
        self._set_state(IDLE)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)


def threads_beside_window() -> int:
    """Torch threads for a run started from the app: one core is left to the window (threads that wait
    for a busy core crawl, and the window would stutter)."""
    return max(1, (os.cpu_count() or 2) - 1)


def install_training(window) -> TrainingController:
    """Add the Training dock to the main window and wire it to a controller (window.training_controller);
    the live views attach to the same controller."""
    from PySide6.QtWidgets import QApplication

    from engine.data import DataError, input_spec
    from engine.core.graph import ChangeKind
    from engine.core.training_object import set_training, training_of
    from widgets.live_views import OTHER_NETWORK
    from widgets.training_panel import TrainingPanel

    from .settings import data_dir

    run = getattr(window, "run", None)
    controller = TrainingController(window, run=run)
    window.run = controller.run
    panel = TrainingPanel(window, run=controller.run)
    window.training_panel, window.training_controller = panel, controller
    window.training_dock = window.add_dock(panel, "Training", "right")
    beside = getattr(window, "explain_dock", None)
    if beside is not None:      # a tab beside "Shapes explained": the panel gets the dock's full height
        window.tabifyDockWidget(beside, window.training_dock)
    doc = window.doc

    def follow_input(_results=None):
        try:
            panel.set_input(input_spec(doc.network))
        except DataError as e:
            panel.set_input(None, str(e))

    def start(settings: dict):
        errors = [r.error for r in doc.results.values() if r.error and not r.blocked]
        if errors:      # no process for a network that cannot be built
            panel.refuse("Fix the network before training: " + errors[0]
                         + (f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""))
            return
        from engine.core.sizes import start_problem
        too_big = start_problem(doc.network, doc.results, settings.get("device", "auto"),
                                settings.get("batch_size", 64), settings.get("optimizer", "adam"))
        if too_big:     # refused before a process starts or anything is allocated, with the estimate
            panel.refuse(too_big)
            return
        fit = panel.current_fit()
        if fit is not None and fit.ok is False:     # data and network do not fit: said at once, no process
            panel.refuse(fit.text)
            return
        if panel.input is None:       # no single usable Input: the data cannot be shaped for it
            panel.refuse(panel.input_problem or "The network needs one Input block to train.")
            return
        if not settings.get("threads"):
            settings = dict(settings, threads=threads_beside_window())
        if not settings.get("out"):      # runs live beside the app's other files, not in the current folder
            from engine.runtime.runs import default_run_dir
            settings = dict(settings, out=str(default_run_dir(doc.network.name, data_dir() / "runs")))
        bridge = getattr(window, "bridge", None)
        if bridge is not None and not settings.get("resume"):   # loaded or imported weights: the run starts from them
            start_from = bridge.start_checkpoint()
            if start_from:
                settings = dict(settings, resume=start_from)
        if controller.start(doc.snapshot(), settings):
            panel.show_snapshot(controller.snapshot_time)

    def follow_network(change):          # another network opened: the last run's views no longer apply
        if change.kind == ChangeKind.RESET:
            controller.run.clear(OTHER_NETWORK)
            QTimer.singleShot(0, panel, bring_data)     # once the document knows the new file's folder

    def folder():
        return doc.path.parent if doc.path is not None else None

    def bring_data():                    # the network's `training` object selects its data and settings
        panel.apply_training(training_of(doc.network, folder()))

    def choose(settings: dict):           # the user's choice: an undoable edit of the document (saved with it)
        from types import SimpleNamespace

        from .commands import SetTraining
        probe = SimpleNamespace(extra=dict(doc.network.extra))
        set_training(probe, settings, folder())
        new = probe.extra.get("training")
        if isinstance(new, dict) and new != doc.network.extra.get("training"):
            doc.undo_stack.push(SetTraining(doc, new))

    panel.training_changed.connect(choose)
    doc.training_changed.connect(      # undo / redo of a choice: the panel shows it again
        lambda: panel.apply_training(training_of(doc.network, folder()), changes_only=True))
    panel.set_network(doc.network)
    bring_data()

    doc.network.subscribe(follow_network)
    doc.results_changed.connect(follow_input)
    follow_input()
    panel.start_requested.connect(start)
    if getattr(window, "bridge", None) is not None:
        panel.follow_start_weights(window.bridge.start_weights)
        panel.fresh_weights_requested.connect(window.bridge.forget_start_weights)
    panel.pause_requested.connect(controller.pause)
    panel.resume_requested.connect(controller.resume)
    panel.stop_requested.connect(controller.stop)
    panel.lr_change_requested.connect(controller.set_lr)
    controller.failed.connect(lambda message: window.show_status(message))
    if hasattr(window, "statusBar"):
        from widgets.run_status import RunStatus
        window.run_status = RunStatus(controller.run, window)
        window.statusBar().addPermanentWidget(window.run_status)
    live = getattr(window, "live_views", None)
    if live is not None and hasattr(live, "attach"):
        live.attach(controller)
    if hasattr(window, "add_menu"):
        add_training_menu(window, panel, controller)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(controller.shutdown)
    return controller


def add_training_menu(window, panel, controller) -> None:
    """A Training menu with the keys debuggers use: F5 starts (or resumes), F6 pauses, Shift+F5 stops.
    Each entry is enabled exactly when the panel's button it presses is."""
    menu = window.add_menu("&Training")
    window.training_menu = menu

    def start_or_resume():
        if panel.resume_button.isEnabled():
            panel.resume_button.click()
        elif panel.start_button.isEnabled():
            window.training_dock.show()
            window.training_dock.raise_()
            panel.start_button.click()

    items = [("&Start / Resume", start_or_resume, "F5", (panel.start_button, panel.resume_button)),
             ("&Pause", panel.pause_button.click, "F6", (panel.pause_button,)),
             ("S&top", panel.stop_button.click, "Shift+F5", (panel.stop_button,))]
    actions = []
    for text, slot, key, buttons in items:
        action = window._action(text, slot, key)
        menu.addAction(action)
        actions.append((action, buttons))

    def follow(_state=None):          # after the panel's, which subscribed first
        for action, buttons in actions:
            action.setEnabled(any(b.isEnabled() for b in buttons))
    controller.run.subscribe(RunEvent.STATE, follow)
    follow()
    window.training_actions = [a for a, _ in actions]
