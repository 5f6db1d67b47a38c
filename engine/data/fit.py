"""Do a data set and a network fit? Answered the moment either changes, before Start, from a few
samples (generated sets make only these; files are read whole, so the app asks from a worker thread).

When they do not fit, the advice points the right way: first the data sets that fit the network as
it is (a built-in one or one chosen before), then what to change in the network, and a change of the
Input is offered only if, tried on a copy, it breaks no other block.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import DataError, check_fit, input_spec, load_dataset
from .registry import DOWNLOAD, GENERATED, SETS

SAMPLES = 16      # enough to read the sample shape, classes and targets; a 3×224×224 set of 64 took seconds


@dataclass
class Fit:
    ok: bool | None            # None: cannot tell yet (data not downloaded)
    text: str
    fitting: tuple[str, ...] = ()    # data sets that fit the network as it is


def small_dataset(spec: str, inp, data_dir=None):
    """A few samples of `spec` for `inp`; None for a download not made yet."""
    from . import remote
    named = SETS.get(spec)
    if named is not None and named.kind == GENERATED:
        return named.load(inp, seed=0, n=SAMPLES)
    if named is not None and named.kind == DOWNLOAD and data_dir is None and not remote.is_cached(spec):
        return None
    return load_dataset(spec, inp, data_dir)


def network_problem(net, results=None) -> str | None:
    from engine.core.shapes import infer_shapes
    results = results if results is not None else infer_shapes(net)
    errors = [r.error for r in results.values() if r.error and not r.blocked]
    if not errors:
        return None
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"Fix the network before training: {errors[0]}{more}"


def fits(spec: str, net, inp, data_dir=None) -> bool:
    try:
        ds = small_dataset(spec, inp, data_dir)
        if ds is None:
            return False
        check_fit(ds, net)
        return True
    except DataError:
        return False
    except Exception:  # noqa: BLE001 - an unreadable candidate simply does not fit
        return False


def check(spec: str, net, data_dir=None, candidates=None) -> Fit:
    """Whether `spec` fits `net`, in a sentence; `candidates`: other data sets to suggest (default: the
    built-in ones that need no download)."""
    problem = network_problem(net)
    if problem:
        return Fit(False, problem)
    try:
        inp = input_spec(net)
    except DataError as e:
        return Fit(False, str(e))
    try:
        ds = small_dataset(spec, inp, data_dir)
        if ds is None:
            return Fit(None, f"{spec} is checked against the network once it is downloaded (when training starts).")
        notes = check_fit(ds, net)
    except DataError as e:
        return _advice(spec, net, inp, str(e), data_dir, candidates)
    except Exception as e:  # noqa: BLE001 - a fit check must never take the window down
        return Fit(False, f"{spec} could not be read ({type(e).__name__}: {e}); check the file or choose another.")
    what = (f"text of {len(ds.classes or [])} characters" if ds.task == "text" else
            f"{ds.num_classes} classes" if ds.num_classes else f"targets {list(ds.target_shape)}")
    text = f"✔ {label(spec)} fits this network ({what}, samples {list(ds.sample_shape)})."
    return Fit(True, " ".join([text, *notes]))


def _advice(spec, net, inp, reason, data_dir, candidates) -> Fit:
    if candidates is None:
        candidates = [s.name for s in SETS.values() if s.kind != DOWNLOAD]
    fitting = tuple(c for c in candidates if c != spec and fits(c, net, inp, data_dir))
    change, broken = _network_change(spec, net, inp, reason, data_dir)
    head = f"✖ {label(spec)} does not fit this network."
    if fitting:
        text = f"{head} Data that fits it as it is: {', '.join(label(c) for c in fitting)}."
        if change:
            text += f" Or change the network: {change}"
        return Fit(False, text, fitting)
    if change:
        return Fit(False, f"{head} {change}")
    return Fit(False, f"{head} {reason.split(';')[0]}; changing the Input for it would break another block "
                      f"({broken}). Choose data made for this network.")


def label(spec: str) -> str:
    """A data set as the person knows it: its name, or the file's name."""
    kind, colon, path = spec.partition(":")
    if not colon:
        return spec
    from pathlib import PurePath
    return f"{PurePath(path).name} ({kind})"


def _network_change(spec, net, inp, reason, data_dir) -> tuple[str | None, str]:
    """(the reason's advice, ""), or (None, what breaks) when it is a change of the Input that, tried on a
    copy, breaks another block."""
    if f"Input '{inp.node_id}'" not in reason:
        return reason, ""
    trial = _input_for_data(spec, net, inp, data_dir)
    problem = network_problem(trial) if trial is not None else None
    if problem is None:
        return reason, ""
    return None, problem.removeprefix("Fix the network before training: ")


def _input_for_data(spec, net, inp, data_dir):
    """A copy of the network whose Input takes what `spec` gives (for a few common cases), or None."""
    named = SETS.get(spec)
    if named is not None and named.fits is not None:
        shape, dtype = list(named.fits), named.dtype
    elif spec.partition(":")[0] == "text":
        shape, dtype = [100], "int64"
    else:
        return None
    trial = net.copy()
    trial.nodes[inp.node_id].params.update(shape=shape, dtype=dtype)
    return trial
