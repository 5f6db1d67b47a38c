"""The current run, as a Qt-free model that the training panel, the live views, the Training menu and
the status bar mirror: its state (engine.runtime.protocol.RunState), settings, the network snapshot it
trains, the newest frame of each live view, the epochs so far, and the result or the failure.

The training controller writes it (on the window's thread: it drains the child's pipe there); views
subscribe to the events they need and read the rest from the model. Only the newest frame of each view
is kept, so a view that comes on screen shows the newest state at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .protocol import FRAME_VIEWS, RunState


class RunEvent(Enum):
    """What changed; a listener subscribes to the kinds it needs (`RunModel.subscribe(kind, fn)`)."""
    STATE = "state"              # fn(state: RunState)
    STARTED = "started"          # fn(payload: the child's STARTED message)
    PROGRESS = "progress"        # fn(payload)
    SCALARS = "scalars"          # fn(payload: per-step values since the last ones)
    EPOCH = "epoch"              # fn(payload: one finished epoch)
    FRAME = "frame"              # fn(frame: the newest frame; its views are now in `latest`)
    LOG = "log"                  # fn(message: str)
    FINISHED = "finished"        # fn(result: dict; "stopped" true after Stop)
    FAILED = "failed"            # fn(message: str)
    CLEARED = "cleared"          # fn(reason: str): what belonged to the previous network is gone


@dataclass
class ViewFrame:
    """One view's newest data and where in the run it was computed."""
    data: dict
    step: int
    epoch: int
    serial: int                                  # the run model's count of frames when it came
    final: bool = False


@dataclass
class RunModel:
    state: RunState = RunState.IDLE
    settings: dict = field(default_factory=dict)
    snapshot: dict | None = None                 # the network dict the run trains
    started: dict | None = None                  # the child's STARTED payload
    latest: dict[str, ViewFrame] = field(default_factory=dict)
    overhead: float = 0.0                        # share of training time spent on views (newest frame)
    frame_step: int | None = None                # the newest frame's step
    epochs: list[dict] = field(default_factory=list)
    result: dict | None = None
    failure: str | None = None
    frames_received: int = 0
    _listeners: dict = field(default_factory=dict, repr=False)

    # ---- subscribing ---------------------------------------------------------------------------
    def subscribe(self, kind: RunEvent, fn) -> None:
        self._listeners.setdefault(kind, []).append(fn)

    def unsubscribe(self, kind: RunEvent, fn) -> None:
        if fn in self._listeners.get(kind, []):
            self._listeners[kind].remove(fn)

    def _emit(self, kind: RunEvent, payload=None) -> None:
        for fn in list(self._listeners.get(kind, [])):
            fn(payload)

    # ---- reading -------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state is not RunState.IDLE

    def frame_of(self, view: str) -> ViewFrame | None:
        return self.latest.get(view)

    # ---- written by the controller ---------------------------------------------------------------
    def begin(self, snapshot: dict, settings: dict) -> None:
        """A run is being started: what belonged to the last one goes."""
        self.snapshot, self.settings = snapshot, dict(settings)
        self.started = self.result = self.failure = None
        self.latest, self.epochs = {}, []
        self.overhead, self.frame_step, self.frames_received = 0.0, None, 0

    def set_state(self, state: RunState) -> None:
        state = RunState(state)
        if state is not self.state:
            self.state = state
            self._emit(RunEvent.STATE, state)

    def on_started(self, payload: dict) -> None:
        self.started = payload
        self._emit(RunEvent.STARTED, payload)

    def on_progress(self, payload: dict) -> None:
        self._emit(RunEvent.PROGRESS, payload)

    def on_scalars(self, payload: dict) -> None:
        self._emit(RunEvent.SCALARS, payload)

    def on_epoch(self, payload: dict) -> None:
        self.epochs.append(payload)
        self._emit(RunEvent.EPOCH, payload)

    def on_frame(self, frame: dict) -> None:
        """Keep each view's newest data (a frame holds only the views computed for it)."""
        self.frames_received += 1
        step, epoch, serial = int(frame.get("step", 0)), int(frame.get("epoch", 0)), self.frames_received
        for name, data in (frame.get("views") or {}).items():
            if name in FRAME_VIEWS and data is not None:
                self.latest[str(name)] = ViewFrame(data, step, epoch, serial, bool(frame.get("final")))
        self.overhead = float(frame.get("overhead", 0.0))
        self.frame_step = step
        self._emit(RunEvent.FRAME, frame)

    def on_log(self, message: str) -> None:
        self._emit(RunEvent.LOG, message)

    def on_finished(self, result: dict) -> None:
        self.result = result
        self._emit(RunEvent.FINISHED, result)

    def on_failed(self, message: str) -> None:
        self.failure = message
        self._emit(RunEvent.FAILED, message)

    def clear(self, reason: str) -> None:
        """Another network was opened: the last run's frames and history no longer describe what is
        on the canvas (a run still going keeps its own; it trains its snapshot)."""
        if self.active:
            return
        self.snapshot = self.started = self.result = self.failure = None
        self.latest, self.epochs = {}, []
        self.overhead, self.frame_step = 0.0, None
        self._emit(RunEvent.CLEARED, reason)
