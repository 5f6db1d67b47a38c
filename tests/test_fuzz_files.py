"""Fuzz test over network files: valid examples mutated at random and hostile JSON written from scratch
(tests/hostile_cases.py) go through `check` in-process (table and --json) and a handful through the real
command line. Never a traceback, never "internal error": exit 0, 1 with errors on blocks, or 2 with one
line of reason. benchmarks/fuzz_stress.py runs 10,000 such cases."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile_cases

ROOT = Path(__file__).resolve().parents[1]
HANG_SECONDS = 60       # a guard against a hang (an endless loop), not a speed requirement


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _no_hang(signum, frame):
    raise AssertionError(f"check did not finish within {HANG_SECONDS} s: a hang")


def _run(folder: Path, seed: int, as_json: bool):
    campaign, data = hostile_cases.case(random.Random(seed))
    path = folder / "case.json"
    path.write_bytes(data)
    old = signal.signal(signal.SIGALRM, _no_hang)
    signal.alarm(HANG_SECONDS)
    try:
        code, out, err = hostile_cases.outcome(path, as_json)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    why = hostile_cases.problem(code, out, err, as_json)
    assert why is None, f"seed {seed} ({campaign}): {why}\n{data[:300]!r}\n{(out + err)[:600]}"
    return code


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_mutated_and_hostile_files_get_a_reason_in_process(folder, seed):
    _run(folder, seed, as_json=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_check_json_always_prints_one_report_or_a_reason(folder, seed):
    _run(folder, seed, as_json=True)


def test_every_campaign_is_exercised_and_reaches_each_exit_status(folder):
    codes, campaigns = set(), set()
    for seed in range(120):
        campaigns.add(hostile_cases.case(random.Random(seed))[0])
        codes.add(_run(folder, seed, as_json=False))
    assert campaigns == set(hostile_cases.CAMPAIGNS) and {1, 2} <= codes


def test_a_handful_through_the_real_command_line(tmp_path):
    for seed in range(6):
        campaign, data = hostile_cases.case(random.Random(1000 + seed))
        path = tmp_path / f"case{seed}.json"
        path.write_bytes(data)
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(path)], capture_output=True,
                              check=False, text=True, timeout=120, cwd=ROOT, errors="backslashreplace")
        why = hostile_cases.problem(done.returncode, done.stdout, done.stderr)
        assert why is None, f"seed {1000 + seed} ({campaign}): {why}\n{done.stderr[:600]}"
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": "netwright.network", "version": 1, "nodes": ' + "[" * 200_000 + "]" * 200_000 + "}")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(deep)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 2 and "too deeply" in done.stderr and "Traceback" not in done.stderr
