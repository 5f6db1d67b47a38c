"""Messages between the app and the training child process (both directions are tuples
`(kind, payload)` sent through a multiprocessing Pipe; payloads are plain dicts of numbers,
strings, lists and numpy arrays, never torch tensors).

Child → parent
--------------
- STARTED   {"device", "params", "train_samples", "val_samples", "steps_per_epoch", "epochs",
             "task" ("classification" | "regression" | "text"), "classes" (list or None), "run_dir",
             "notes" (sentences: what was adapted to fit the network), "epoch", "step" (where a resumed
             run starts)}
- PROGRESS  {"epoch", "step", "global_step", "total_steps", "samples_per_sec", "eta_s", "loss"}
            at most ~10 a second
- SCALARS   {"step": [...], "loss": [...], "accuracy": [...] (or absent)}: per-step values since
            the last SCALARS, read from the device every k steps (never one sync per step)
- EPOCH     {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
- FRAME     {"step", "epoch", "views": {view name: data}, "overhead": fraction of time on views}
            the newest frame wins: the parent keeps only the last one it has read
- PAUSED {"step", "epoch", "lr"} / RESUMED {"step", "lr"} / CHECKPOINT {"path"}
- LOG       {"message"}: a note for the person (what was adapted, download progress)
- DONE      the final result (the same dict `main.py train` prints as its last line)
- ERROR     {"message": a sentence a person can act on, "kind": "usage" | "data" | "nan" | "diverged" | "oom" |
             "io" | "internal"} (TrainingError below)

Parent → child
--------------
- PAUSE, RESUME, STOP        (payload {})
- SET_LR   {"lr": float}     (honoured at the next batch; the app allows it while paused)
- VIEWS    {"enabled": {view name: bool}, "every_steps": int, "max_fps": float, "block": node id
            or None, "probe_index": int, ...}   (live-view configuration; see engine/runtime/live.py)
"""
from enum import StrEnum

STARTED, PROGRESS, SCALARS, EPOCH, FRAME = "started", "progress", "scalars", "epoch", "frame"
PAUSED, RESUMED, CHECKPOINT, DONE, ERROR, LOG = "paused", "resumed", "checkpoint", "done", "error", "log"
PAUSE, RESUME, STOP, SET_LR, VIEWS = "pause", "resume", "stop", "set_lr", "views"


class RunState(StrEnum):
    """The one vocabulary for where a run stands, used by the trainer's host, the app's run model, the
    training panel, the Training menu and the status bar (a str, so it compares equal to its value)."""
    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class View(StrEnum):
    """The live views, declared once: the engine maps each to its compute function (engine.runtime.live.COMPUTE),
    the GUI to its widget class (widgets.live_views.WIDGETS). A str: it is its own name in messages."""
    CURVES = "curves"
    FILTERS = "filters"
    FEATURES = "features"
    GATES = "gates"
    WEIGHTS = "weights"
    OUTCOME = "outcome"


FRAME_VIEWS = tuple(v for v in View if v is not View.CURVES)   # curves come from SCALARS and EPOCH, not frames

# The gates view's letters per recurrent layer, in the order it shows them: LSTM input, forget, candidate,
# output gates, cell and hidden state; GRU reset, update and new gates and hidden state. The probes compute
# them (engine.runtime.probes), the view draws them (widgets/plots/gates.py).
GATE_LETTERS = {"LSTM": "ifgoch", "GRU": "rznh", "RNN": "h"}
SIGMOID_GATES = frozenset("ifozr")   # in [0, 1]; the others lie in [-1, 1] (tanh), except the LSTM's cell c
UNBOUNDED_GATES = frozenset("c")


def gate_range(letter: str) -> tuple[float, float] | None:
    """Where a gate's values lie, or None (the cell state is unbounded)."""
    if letter in UNBOUNDED_GATES:
        return None
    return (0.0, 1.0) if letter in SIGMOID_GATES else (-1.0, 1.0)


class TrainingError(Exception):
    """A run that cannot start or failed, with a sentence for a person (the ERROR message's "message").
    `kind`: "usage" (a setting, the run folder, the checkpoint), "data" (the data set, or its fit to the
    network), "nan" (the loss became NaN or infinite), "diverged" (the loss exploded), "oom", "io" (a
    file could not be written), "internal"."""
    WHILE_TRAINING = ("nan", "diverged", "oom", "io", "internal")     # the run started and failed: exit 1, not 2

    def __init__(self, message: str, kind: str = "internal"):
        super().__init__(message)
        self.kind = kind
