"""The cause of the frozen Feature maps / Gates tab, pinned down: the first frame of a run (at step 0)
pays for the probes' import and the first forward pass of the probe batch, and its cost was kept as
the price of the next frame while the overhead budget (5 % of training time) started again from zero.
With a 2 s first frame the next one was due only after 40 s of training, so the tab on screen kept its
step-0 picture and the meter read "view overhead (step 0) 100%". Visiting Curves switched to cheap
frames (outcome only), which is why another tab "unfroze" it."""
from test_live_support import CNN, MiniTrainer, shapes_dataset

from engine.runtime.live import FRAME_VIEWS, LiveCallback


class ManualClock:
    """Time moves only when the test says so: training steps and view computations cost what we set."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _costly_first_frame(live, clock, first=2.0, later=0.002):
    compute = live.compute
    calls = []

    def timed(trainer, names=None):
        clock.t += first if not calls else later
        calls.append(trainer.step)
        return compute(trainer, names)
    live.compute = timed
    return calls


def _features_on_screen():
    return {"enabled": {n: n == "features" for n in FRAME_VIEWS}}     # "only the view on screen": Feature maps


def test_an_expensive_first_frame_does_not_freeze_the_view_on_screen():
    clock = ManualClock()
    live = LiveCallback(_features_on_screen(), clock=clock)
    _costly_first_frame(live, clock)

    def step_cost(_trainer):
        clock.t += 0.02          # 20 ms a step: 144 steps are about 3 s of training
    trainer = MiniTrainer(CNN, shapes_dataset(384), [live], batch=8).run(epochs=3, on_batch=step_cost)
    frames = trainer.frames()
    during = [f for f in frames if 0 < f["step"] < trainer.step]
    assert len(during) >= 5                       # every 20 steps, not once at the start and once at the end
    assert all("features" in f["views"] for f in during)
    assert frames[0]["step"] == 0 and frames[0]["overhead"] < 0.5     # never "step 0 100%"
    assert all(f["overhead"] <= 0.1 for f in during)                   # the budget still holds


def test_a_view_brought_on_screen_gets_a_frame_at_the_next_step_even_when_the_budget_is_spent():
    clock = ManualClock()
    live = LiveCallback({"enabled": {n: n == "outcome" for n in FRAME_VIEWS}, "every_steps": 1000}, clock=clock)
    switched = []

    def step(trainer):
        clock.t += 0.02
        if trainer.step == 10:
            live.spent += 100.0                  # views were slow so far: the budget is spent for a long while
            live.configure({"enabled": {n: n == "gates" or n == "features" for n in FRAME_VIEWS}})
            switched.append(len(trainer.frames()))
    trainer = MiniTrainer(CNN, shapes_dataset(384), [live], batch=8).run(epochs=1, on_batch=step)
    after = trainer.frames()[switched[0]:]
    assert after[0]["step"] == 11 and "features" in after[0]["views"]


def test_the_last_frame_holds_every_view_that_applies_not_only_the_one_on_screen():
    live = LiveCallback(_features_on_screen(), clock=ManualClock())
    trainer = MiniTrainer(CNN, shapes_dataset(96), [live]).run(epochs=1)
    last = trainer.frames()[-1]
    assert last["step"] == trainer.step and last.get("final") is True
    assert set(last["views"]) == set(FRAME_VIEWS)
    assert last["views"]["filters"]["block"] == "conv1"
    assert "confusion" in last["views"]["outcome"]
