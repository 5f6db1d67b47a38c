"""The run model (Qt-free) and the live-view registry: one vocabulary for the run's state, each view one
entry on the engine's side and one on the GUI's, the newest frame of each view kept."""
import subprocess
import sys

from engine.runtime.live import COMPUTE
from engine.runtime.protocol import FRAME_VIEWS, RunState, View
from engine.runtime.run_model import RunEvent, RunModel


def test_every_view_has_its_compute_function_and_its_widget():
    from widgets.live_views import WIDGETS
    assert set(COMPUTE) == set(FRAME_VIEWS) and set(WIDGETS) == set(View)
    assert RunState.PAUSED == "paused" and View.FEATURES == "features"      # their own names in messages


def test_the_run_model_keeps_the_newest_frame_of_each_view_and_says_what_changed():
    run, seen = RunModel(), []
    for kind in RunEvent:
        run.subscribe(kind, lambda payload, kind=kind: seen.append(kind))
    run.begin({"nodes": []}, {"epochs": 1})
    run.set_state("running")
    run.on_frame({"step": 5, "views": {"features": {"block": "conv1"}}, "overhead": 0.02})
    run.on_frame({"step": 9, "views": {"outcome": {"epoch": 1}}})
    assert run.state is RunState.RUNNING and run.frame_of("features").step == 5     # still its newest
    assert run.frame_of("outcome").step == 9 and run.frame_step == 9
    run.clear("another network")              # a run going on keeps its frames
    assert run.frame_of("features") is not None
    run.set_state(RunState.IDLE)
    run.on_finished({"epochs": 1})
    run.clear("another network")
    assert not run.latest and run.result is None
    assert seen == [RunEvent.STATE, RunEvent.FRAME, RunEvent.FRAME, RunEvent.STATE, RunEvent.FINISHED,
                    RunEvent.CLEARED]


def test_the_run_model_needs_neither_qt_nor_torch():
    code = "import sys, engine.runtime.run_model; print(sorted({'torch', 'PySide6'} & {m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
