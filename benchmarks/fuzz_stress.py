"""Stress the network-file checks with 10,000 hostile files (tests/hostile_cases.py): mutated examples and
hostile JSON text through `check` in-process (every third one with --json), and a few through the real
command line. Prints the count per campaign and per outcome, the slowest cases, and every case that broke
a rule (a traceback, "internal error", exit 2 without a one-line reason, ...); exits 1 if any did.

    python benchmarks/fuzz_stress.py [--cases 10000] [--seed 0]
"""
from __future__ import annotations

import argparse
import collections
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_cases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args()
    per_campaign = collections.Counter()
    per_outcome = collections.Counter()
    by_campaign_outcome = collections.Counter()
    broken, slowest = [], []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.json"
        for i in range(ns.cases):
            seed = ns.seed * 1_000_003 + i
            campaign, data = hostile_cases.case(random.Random(seed))
            path.write_bytes(data)
            as_json = i % 3 == 0
            t = time.perf_counter()
            code, out, err = hostile_cases.outcome(path, as_json)
            seconds = time.perf_counter() - t
            why = hostile_cases.problem(code, out, err, as_json)
            per_campaign[campaign] += 1
            kind = hostile_cases.reason_kind(code, out, err)
            per_outcome[kind] += 1
            by_campaign_outcome[(campaign, code)] += 1
            slowest = sorted(slowest + [(seconds, seed, campaign)], reverse=True)[:5]
            if why:
                broken.append((seed, campaign, why, (out + err)[:300]))
        for seed in range(5):                      # and a few through the real command line
            campaign, data = hostile_cases.case(random.Random(10 ** 9 + seed))
            path.write_bytes(data)
            done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", str(path)], capture_output=True,
                                  text=True, cwd=ROOT, timeout=300, errors="backslashreplace")
            why = hostile_cases.problem(done.returncode, done.stdout, done.stderr)
            if why:
                broken.append((10 ** 9 + seed, campaign, "CLI: " + why, done.stderr[:300]))
    total = time.perf_counter() - start
    print(f"{ns.cases:,} hostile network files (+5 through the command line) in {total:.1f} s "
          f"({1000 * total / max(ns.cases, 1):.2f} ms per file)\n")
    print("per campaign            cases   exit 0   exit 1   exit 2")
    for campaign in hostile_cases.CAMPAIGNS:
        row = [by_campaign_outcome[(campaign, c)] for c in (0, 1, 2)]
        print(f"  {campaign:22} {per_campaign[campaign]:6,} {row[0]:8,} {row[1]:8,} {row[2]:8,}")
    print("\nper outcome (exit status: first words of the reason)")
    for kind, n in per_outcome.most_common():
        print(f"  {n:6,}  {kind}")
    print("\nslowest cases: " + ", ".join(f"{s * 1000:.0f} ms (seed {seed}, {c})" for s, seed, c in slowest))
    print(f"\nbroken rules: {len(broken)}")
    for seed, campaign, why, text in broken[:20]:
        print(f"  seed {seed} ({campaign}): {why}\n      {text!r}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
