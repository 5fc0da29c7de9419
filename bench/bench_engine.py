"""Benchmark the comparison engine against raw diff-match-patch, difflib and git on seed and synthetic pairs.

Each engine figure is given cold and warm. Cold: every memo the engine keeps between comparisons is cleared first
(``parallax.engine.caches.clear_caches``: stems, rarity weights, terms, fact and text memos, sentence vectors), as a
process comparing two texts for the first time finds them; the models stay loaded. Warm: the same comparison again,
everything remembered. BLAS runs on one thread, as ``parallax compare`` runs it. ``--seeds`` prints the seed pairs'
summary alone.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads, as parallax.engine.blas.one_thread does

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import diff_match_patch

from bench.synth import seed_texts, synthetic_pair, unrelated_pair
from parallax.engine.caches import clear_caches
from parallax.engine.compare import Comparison, compare
from parallax.engine.diffing import Encoder, diff_codes, token_key, tokenize
from parallax.model import DEFAULT_IGNORE
from parallax.text import plain_document

DIFFLIB_CAP_SECONDS = 30.0
#: A seed pair compared cold, in milliseconds.
SEED_TARGET_MS = 15.0
#: Baseline diffs get the engine's default time budget; a '*' marks a baseline that ran into it.
BASELINE_TIMELIMIT = 2.0
_DIFFLIB_CHILD = """
import difflib, sys, time
a = open(sys.argv[1], encoding="utf-8").read().splitlines()
b = open(sys.argv[2], encoding="utf-8").read().splitlines()
start = time.perf_counter()
difflib.HtmlDiff().make_file(a, b)
print(time.perf_counter() - start)
"""


@dataclass
class Case:
    """One benchmark input pair and the target it is judged against."""

    name: str
    left: str
    right: str
    target_ms: float | None


def median_ms(action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time of an action in milliseconds (wall clock unless another clock is given)."""
    times = []
    for _ in range(repeat):
        start = clock()
        action()
        times.append(clock() - start)
    return statistics.median(times) * 1000


def engine(case: Case) -> Comparison:
    """The engine at word level on a case, building documents afresh (with whatever the engine remembers)."""
    return compare(plain_document(case.left), plain_document(case.right))


def cold_ms(case: Case, repeat: int, clock: Callable[[], float] = time.perf_counter, vectors: bool = True) -> float:
    """Median milliseconds of the engine on a case with every engine memo cleared before each run (``vectors=False``
    keeps the sentence vectors); the clearing itself is not timed."""
    times = []
    for _ in range(repeat):
        clear_caches(vectors)
        start = clock()
        engine(case)
        times.append(clock() - start)
    return statistics.median(times) * 1000


def encoded_words(left: str, right: str) -> tuple[str, str]:
    """Both texts as word tokens encoded one code point each, as the engine encodes them."""
    encoder = Encoder()

    def encode(text: str) -> str:
        """One text's word keys as code points (ignorable spacing kept as itself)."""
        return encoder.encode([token_key(t, "word", DEFAULT_IGNORE) or t for t in tokenize(text, "word")])

    return encode(left), encode(right)


def raw_fast(case: Case) -> None:
    """A whole-text word diff with fast_diff_match_patch (the floor the engine builds on)."""
    left, right = encoded_words(case.left, case.right)
    diff_codes(left, right, BASELINE_TIMELIMIT)


def raw_python(case: Case) -> None:
    """The same whole-text word diff with the pure-Python diff_match_patch port."""
    left, right = encoded_words(case.left, case.right)
    dmp = diff_match_patch.diff_match_patch()
    dmp.Diff_Timeout = BASELINE_TIMELIMIT
    dmp.diff_cleanupSemantic(dmp.diff_main(left, right, False))


def difflib_ms(folder: Path) -> str:
    """difflib.HtmlDiff().make_file on the pair's lines in a child process, abandoned after the cap."""
    try:
        done = subprocess.run([sys.executable, "-c", _DIFFLIB_CHILD, str(folder / "a"), str(folder / "b")],
                              capture_output=True, text=True, timeout=DIFFLIB_CAP_SECONDS, check=True)
    except subprocess.TimeoutExpired:
        return f">{DIFFLIB_CAP_SECONDS:.0f}s"
    return f"{float(done.stdout) * 1000:.1f}"


def git_ms(folder: Path, repeat: int) -> float:
    """git diff --no-index --word-diff=porcelain on the pair (process start included); NaN without git."""
    git = shutil.which("git")
    if not git:
        return float("nan")
    command = [git, "diff", "--no-index", "--word-diff=porcelain", str(folder / "a"), str(folder / "b")]
    return median_ms(lambda: subprocess.run(command, capture_output=True, check=False), repeat)


def _capped(ms: float) -> str:
    """A baseline time, starred when the baseline ran into its time limit (its result is then coarse)."""
    return f"{ms:.1f}{'*' if ms >= BASELINE_TIMELIMIT * 950 else ''}"


def peak_mb(case: Case) -> float:
    """Peak Python heap during one engine run, in MB (tracemalloc)."""
    tracemalloc.start()
    engine(case)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def summary(result: Comparison) -> str:
    """Row counts and similarity in a few characters."""
    stats = result.stats
    text = (f"sim {stats.similarity:.2f}: {stats.same} same, {stats.changed} chg, {stats.reworded} rew, "
            f"{stats.moved} mov, "
            f"{stats.left_only}/{stats.right_only} L/R-only")
    return text + (f" [{'; '.join(result.limits)}]" if result.limits else "")


def cases(quick: bool) -> list[Case]:
    """Seed pairs, then synthetic edited pairs and an unrelated pair."""
    texts = seed_texts()
    out = [Case(f"seed {a:03d}-{b:03d}", texts[a], texts[b], SEED_TARGET_MS)
           for a, b in itertools.combinations(range(5), 2)]
    out.append(Case("synthetic 100 KB", *synthetic_pair(100_000, seed=1), None))
    out.append(Case("unrelated 100 KB", *unrelated_pair(100_000, seed=2), 100.0))
    if not quick:
        out.append(Case("synthetic 1 MB", *synthetic_pair(1_000_000, seed=3), 1000.0))
    return out


def model_load() -> str:
    """Load the pairing's word-frequency list and sentence-embedding model once, timed, with the memory they take.

    Timed without tracemalloc (which slows loading several times over); memory is the process's RSS growth.
    """
    from parallax.engine import encoders, similarity

    rss = _rss_mb()
    start = time.perf_counter()
    similarity._zipf()("the")
    parts = [f"word frequencies {(time.perf_counter() - start) * 1000:.0f} ms"]
    for name in encoders.LOADERS:
        began = time.perf_counter()
        state = "" if encoders.model(name) is not None else " NOT AVAILABLE"
        parts.append(f"{name} {(time.perf_counter() - began) * 1000:.0f} ms{state}")
    return f"models (once per process): {', '.join(parts)}; RSS +{_rss_mb() - rss:.0f} MB"


def _rss_mb() -> float:
    """Current resident set size of this process in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * 4096 / 1e6
    except OSError:
        return 0.0


def stored_cold_ms(seeds: list[Case], repeat: int) -> list[float]:
    """Each seed pair cold (every memo and in-memory vector cleared), its sentence vectors read from a vector store
    on disk as a server's are (``.parallax/vectors.db``), filled by one comparison first."""
    from parallax.engine import encoders
    from parallax.index.vectors import SentenceVectors

    with tempfile.TemporaryDirectory() as folder:
        encoders.set_store(SentenceVectors(Path(folder) / "vectors.db"))
        try:
            for case in seeds:
                engine(case)
            return [cold_ms(case, repeat) for case in seeds]
        finally:
            encoders.set_store(None)


def seed_summary(repeat: int) -> str:
    """The seed pairs' medians over pairs: cold, cold with the sentence vectors kept (what is left without the
    embedding), cold with them read from a vector store on disk, and warm, in wall milliseconds (CPU milliseconds of
    the cold run beside)."""
    seeds = [case for case in cases(quick=True) if case.name.startswith("seed")]
    cold = [cold_ms(case, repeat) for case in seeds]
    cpu = [cold_ms(case, repeat, time.process_time) for case in seeds]
    kept = [cold_ms(case, repeat, vectors=False) for case in seeds]
    stored = stored_cold_ms(seeds, repeat)
    warm = [median_ms(partial(engine, case), repeat) for case in seeds]
    return (f"seed pairs ({len(seeds)}, word level): cold median {statistics.median(cold):.1f} ms "
            f"(max {max(cold):.1f}, CPU {statistics.median(cpu):.1f}); cold with sentence vectors kept "
            f"{statistics.median(kept):.1f} ms; cold with the vectors read from the corpus's vector store (a "
            f"stored pair in a restarted server) {statistics.median(stored):.1f} ms; warm "
            f"{statistics.median(warm):.1f} ms; target cold <= "
            f"{SEED_TARGET_MS:.0f} ms; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(quick: bool) -> None:
    """Time every case cold and warm and print one table row per case, then the seed summary."""
    print(model_load())
    header = (f"{'case':<18}{'chars L/R':>17}{'cold ms':>9}{'cpu ms':>8}{'warm ms':>9}{'fdmp ms':>9}{'x':>6}"
              f"{'py-dmp ms':>11}{'x':>7}{'difflib ms':>12}{'git ms':>8}{'xgit':>6}{'peak MB':>9}{'target':>11}"
              "  result")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in cases(quick):
            big = len(case.left) > 500_000
            repeat = 1 if quick else (3 if big else 9 if len(case.left) > 50_000 else 25)
            (folder / "a").write_text(case.left, encoding="utf-8")
            (folder / "b").write_text(case.right, encoding="utf-8")
            ms = cold_ms(case, repeat)
            # CPU time too: other work on a shared machine inflates wall time but not this.
            cpu = cold_ms(case, repeat, time.process_time)
            warm = median_ms(partial(engine, case), repeat)
            fast = median_ms(partial(raw_fast, case), repeat)
            seed = case.name.startswith("seed")
            python = median_ms(partial(raw_python, case), 1 if big else min(repeat, 3)) \
                if seed or not quick else float("nan")
            slow = difflib_ms(folder) if seed or not quick else "skipped"
            verdict = "" if case.target_ms is None else ("ok" if min(ms, cpu) <= case.target_ms else "MISS")
            target = "" if case.target_ms is None else f"<={case.target_ms:.0f} {verdict}"
            git = git_ms(folder, 3 if not quick else 1)
            print(f"{case.name:<18}{f'{len(case.left)}/{len(case.right)}':>17}{ms:>9.2f}{cpu:>8.1f}{warm:>9.2f}"
                  f"{_capped(fast):>9}{ms / fast:>6.2f}{_capped(python):>11}{ms / python:>7.3f}{slow:>12}"
                  f"{git:>8.1f}{min(ms, cpu) / git:>6.1f}{peak_mb(case):>9.1f}{target:>11}  "
                  f"{summary(engine(case))}")
    print()
    print(seed_summary(1 if quick else 9))
    print("cold = every engine memo cleared before each run (models loaded), warm = run again; target judged on the "
          "lower of cold wall and CPU time; x = engine cold time / baseline time; "
          "fdmp = fast_diff_match_patch whole-text word diff (C++), "
          "py-dmp = pure-Python diff_match_patch, same encoding; both with semantic cleanup and a "
          f"{BASELINE_TIMELIMIT:.0f} s limit (* = hit it: coarse result); difflib = HtmlDiff().make_file on lines, "
          f"capped at {DIFFLIB_CAP_SECONDS:.0f} s; git = word-diff porcelain incl. process start; "
          "xgit = the lower of engine cold wall and CPU time / git time (target for the 100 KB edited pair: <= 10)")
    if sys.platform != "win32":
        import resource

        print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one repetition, no 1 MB pair: a smoke run")
    parser.add_argument("--seeds", action="store_true", help="the seed pairs' cold and warm summary alone")
    args = parser.parse_args()
    if args.seeds:
        print(seed_summary(1 if args.quick else 9))
        return
    run(args.quick)


if __name__ == "__main__":
    main()
