"""The status bar's run line: it mirrors the run model, the run's state and progress while one runs
("Training: epoch 2 of 5, 30 %, 12 s left, loss 0.25"), and afterwards how the last run ended (its
validation figures, or that it was stopped or failed) until another run starts or another network is
opened. Hidden when it has nothing to say."""
from __future__ import annotations

import math

from PySide6.QtWidgets import QLabel

from engine.runtime.protocol import RunState
from engine.runtime.run_model import RunEvent, RunModel

WORDS = {RunState.STARTING: "Training: starting…", RunState.PAUSED: "Training paused",
         RunState.STOPPING: "Training: stopping…", RunState.RUNNING: "Training…"}


class RunStatus(QLabel):
    def __init__(self, run: RunModel, parent=None):
        super().__init__(parent)
        self.run = run
        run.subscribe(RunEvent.STATE, lambda _state: self._show_state())
        run.subscribe(RunEvent.PROGRESS, self._progress)
        for event in (RunEvent.FINISHED, RunEvent.FAILED, RunEvent.CLEARED):
            run.subscribe(event, lambda _payload: self._show_state())
        self._show_state()

    def _say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def _show_state(self) -> None:
        self._say(WORDS.get(self.run.state) or self._ended())

    def _progress(self, p: dict) -> None:
        if self.run.state is not RunState.RUNNING:
            return
        epoch, epochs = p.get("epoch"), p.get("epochs") or (self.run.settings or {}).get("epochs")
        step, steps = p.get("global_step"), p.get("total_steps")
        parts = []
        if epoch is not None and epochs:
            parts.append(f"epoch {epoch} of {epochs}")
        if step is not None and steps:
            parts.append(f"{100 * step / max(1, steps):.0f} %")
        if _finite(p.get("eta_s")):
            parts.append(f"{max(0, round(p['eta_s']))} s left")
        if _finite(p.get("loss")):
            parts.append(f"loss {p['loss']:.4g}")
        self._say("Training: " + ", ".join(parts) if parts else WORDS[RunState.RUNNING])

    def _ended(self) -> str:
        """How the last run ended, in a few words ("" when there is none)."""
        if self.run.failure:
            return "Last run failed: the Training panel says why"
        result = self.run.result
        if not result:
            return ""
        epochs = result.get("epochs")
        if result.get("stopped"):
            return f"Last run stopped after {epochs} epoch(s)" if epochs else "Last run stopped"
        parts = [f"Last run: {epochs} epoch(s)" if epochs else "Last run finished"]
        acc, loss = result.get("val_accuracy"), result.get("val_loss")
        if _finite(acc):
            parts.append(f"validation accuracy {acc:.1%}")
        if _finite(loss):
            parts.append(f"loss {loss:.4g}")
        return ", ".join(parts)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
