"""Slow-client benchmark: how the team server answers readers while a crowd of slow connections holds it, with nginx
in front of gunicorn and with gunicorn alone.

Run ``.venv/bin/python -m bench.bench_slow_clients``. Each front serves a copy of the bundled corpus as deployed
(``python -m parallax.serve``, 2 workers × 4 threads); 64 connections dribble headers a byte at a time, leave a POST
body unfinished or stay silent, and six readers GET the index one after another. Printed per front: readers
answered 200 within the probe's second, and each reader's seconds. Gunicorn alone is the control for
tests/test_slow_clients.py (which asserts the nginx front keeps answering): whether the crowd holds gunicorn within
the second depends on this machine's timing and load, so it is measured here and never fails on timing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parallax.serve import nginx_binary  # noqa: E402
from tests.conftest import BUNDLED  # noqa: E402
from tests.test_slow_clients import PROBE_SECONDS, PROBES, probe_under_crowd, team_server  # noqa: E402


def measure(front: str) -> list[tuple[float, int, str]]:
    """The readers' (seconds, status, body) under the crowd, with this front."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        corpus = work / "corpus"
        shutil.copytree(BUNDLED, corpus, ignore=shutil.ignore_patterns(".*"))
        with team_server(corpus, work, front) as (base, _log):
            return probe_under_crowd(base)


def main() -> int:
    """Measure each front available and print the readers answered in time."""
    fronts = ["nginx", "none"] if nginx_binary() is not None else ["none"]
    if "nginx" not in fronts:
        print("nginx is not installed (apt-get install nginx-light): gunicorn alone only")
    answered = {}
    for front in fronts:
        results = measure(front)
        answered[front] = sum(1 for seconds, status, _ in results if status == 200 and seconds < PROBE_SECONDS)
        print(f"front={front}: {answered[front]}/{PROBES} readers answered within {PROBE_SECONDS:.1f} s; seconds "
              + " ".join(f"{seconds:.3f}({status})" for seconds, status, _ in results))
    if len(answered) == 2:
        print(f"readers answered in time, nginx vs gunicorn alone: {answered['nginx']} vs {answered['none']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
