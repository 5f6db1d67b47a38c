"""The status bar's run line: it mirrors the run model (state, epoch, step) and is empty when idle."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from engine.runtime.protocol import RunState
from engine.runtime.run_model import RunEvent, RunModel


class RunStatus(QLabel):
    def __init__(self, run: RunModel, parent=None):
        super().__init__(parent)
        self.run = run
        run.subscribe(RunEvent.STATE, self._state)
        run.subscribe(RunEvent.PROGRESS, self._progress)
        self._state(run.state)

    def _state(self, state: RunState) -> None:
        words = {RunState.STARTING: "Training: starting…", RunState.PAUSED: "Training paused",
                 RunState.STOPPING: "Training: stopping…"}
        self.setText(words.get(state, "Training" if state is RunState.RUNNING else ""))

    def _progress(self, p: dict) -> None:
        if self.run.state is RunState.RUNNING:
            total = max(1, p.get("total_steps") or 1)
            self.setText(f"Training: epoch {p.get('epoch')} · {100 * p.get('global_step', 0) / total:.0f}%")
