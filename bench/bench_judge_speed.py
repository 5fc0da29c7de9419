"""What the same-fact judge costs: warm and cold comparisons of real articles, the command line as a process, and
a 100 KB pair against the engine at an earlier revision, in one run.

Run ``python -m bench.bench_judge_speed [--before REV]``. It prints:

* two stored ~40-sentence real articles (bench/data/real/cross), warm (models loaded, vectors kept): median of 20
  comparisons, against ``git diff --word-diff --no-index`` on the same files as a process-level reference;
* the same pair cold in-process: the engine's memory caches cleared (models stay loaded), vectors embedded again;
* ``parallax compare`` on two fresh files as a whole process (start-up, imports and model loading included);
* a 100 KB synthetic edited pair (bench.synth.synthetic_pair) with this engine and the engine at REV (a
  temporary git worktree), each in a fresh process, best of 3, and the ratio;
* the resident memory of a process that has loaded every model and compared once.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.real import ROOT, earlier_checkout

PAIR = ROOT / "bench" / "data" / "real" / "cross" / "e11-parts-of-great-barrier--n01"
BEFORE = "a7e8706"

#: A 100 KB edited pair, compared once warm in a fresh process by whichever engine is on PYTHONPATH.
HUNDRED_KB = r"""
import json, sys, time
try:
    from parallax.engine.compare import CompareOptions, compare
except ImportError:
    from parallax.compare import CompareOptions, compare
from parallax.text import plain_document
left, right = (open(name, encoding="utf-8").read() for name in sys.argv[1:3])
compare(plain_document("Warm up the models. It is a short text."), plain_document("Warm up the models."))
start = time.perf_counter()
compare(plain_document(left), plain_document(right), CompareOptions(time_budget=60))
print(json.dumps(time.perf_counter() - start))
"""


def timed(command: list[str], runs: int, cwd: Path = ROOT) -> float:
    """Median wall seconds of a command as a whole process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process() -> tuple[int, float, float, float, float]:
    """Sentences a side, then in milliseconds: warm median; cold median with the memory caches cleared and the
    vectors read from a store (stored sources); fresh median (vectors embedded again); then peak RSS in MB."""
    from parallax.engine import encoders
    from parallax.engine.compare import compare
    from parallax.engine.similarity import load_models
    from parallax.index.vectors import SentenceVectors
    from parallax.model import DEFAULT_IGNORE
    from parallax.text import cut_sentences, plain_document

    left = plain_document((PAIR / "left.txt").read_text(encoding="utf-8"))
    right = plain_document((PAIR / "right.txt").read_text(encoding="utf-8"))
    sentences = len(cut_sentences(left, DEFAULT_IGNORE))
    load_models()

    def median_ms(runs: int, before: Callable[[], None] = lambda: None) -> float:
        times = []
        for _ in range(runs):
            before()
            start = time.perf_counter()
            compare(left, right)
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times)

    def clear() -> None:
        for cache in encoders.CACHES.values():
            cache.clear()

    fresh = median_ms(5, clear)
    with tempfile.TemporaryDirectory() as folder:
        encoders.set_store(SentenceVectors(Path(folder) / "vectors.db"))
        compare(left, right)
        cold = median_ms(5, clear)
        encoders.set_store(None)
    warm = median_ms(20)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return sentences, warm, cold, fresh, peak


def hundred_kb(checkout: Path, files: tuple[Path, Path]) -> float:
    """Best of three warm 100 KB comparisons, each in a fresh process of the engine in ``checkout``."""
    return min(float(json.loads(subprocess.run([sys.executable, "-c", HUNDRED_KB, *map(str, files)], cwd=checkout,
                                               env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"},
                                               capture_output=True, text=True, check=True).stdout))
               for _ in range(3))


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", default=BEFORE, help="git revision of the earlier engine")
    args = parser.parse_args(argv)
    sentences, warm, cold, fresh, peak = in_process()
    git = timed(["git", "diff", "--word-diff", "--no-index", str(PAIR / "left.txt"), str(PAIR / "right.txt")], 5)
    print(f"two real articles ({sentences} sentences on the left), in-process: warm {warm:.1f} ms; cold (memory "
          f"caches cleared, vectors from the store) {cold:.1f} ms; fresh text (vectors embedded) {fresh:.1f} ms; "
          f"git diff --word-diff as a process {1000 * git:.1f} ms")
    cli = timed([sys.executable, "-m", "parallax.cli", "compare", str(PAIR / "left.txt"), str(PAIR / "right.txt")], 3)
    print(f"parallax compare on the two files as a process (start-up and model loading included): {cli:.2f} s "
          f"= {cli / git:.0f}x git diff --word-diff")
    print(f"peak RSS of a process with every model loaded after comparing: {peak:.0f} MB")
    from bench.synth import synthetic_pair

    with tempfile.TemporaryDirectory() as folder:
        files = (Path(folder) / "left.txt", Path(folder) / "right.txt")
        for path, text in zip(files, synthetic_pair(100_000), strict=True):
            path.write_text(text, encoding="utf-8")
        now = hundred_kb(ROOT, files)
        with earlier_checkout(args.before) as checkout:
            before = hundred_kb(checkout, files)
    print(f"100 KB edited pair, warm, best of 3: this engine {now:.2f} s, engine at {args.before} {before:.2f} s, "
          f"ratio {now / before:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
