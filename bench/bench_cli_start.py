"""What a ``parallax`` command costs as a whole process, start-up and model loading included, against baselines
measured in the same run.

Run ``python -m bench.bench_cli_start [--runs N] [--against REV]``. Commands run in turn (A B C … A B C …) so a
drift in the machine's speed touches each alike; each figure is the median of N runs (wall seconds, and CPU seconds
of the child as the kernel counts them), with the mean one-minute load average seen as its runs started. Ratios are
against ``python -c pass`` (the interpreter's own start) and ``git diff --no-index --word-diff`` on the same two
files (a comparison with no model at all). It prints:

* ``parallax compare`` of two seed articles (000 and 001) beside ``git diff --no-index --word-diff`` on the same
  files, and beside the same command of an earlier commit (``--against``, the parent commit by default) checked out
  in a temporary worktree and run in the same turns;

* ``parallax --help`` and ``parallax check`` on the bundled corpus (neither may import the reading engine);
* ``parallax compare`` on two real ~40-sentence articles from different outlets (bench/data/real/cross) and on two
  versions of one article (bench/data/real/versions), copied to fresh files for each run;
* the same comparison with an empty user cache (the one run that unpacks the multilingual encoder);
* one process's phases: importing the command line, reading the files, importing the engine, loading each model,
  comparing;
* the engine in-process on the seed pairs, cold (every engine memo cleared, models loaded) and warm
  (``bench.bench_engine --seeds``).

The load average is printed with the figures: on a shared machine, read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.real import earlier_checkout
from bench.synth import seed_texts

ROOT = Path(__file__).resolve().parent.parent
CROSS = ROOT / "bench" / "data" / "real" / "cross" / "e08-extreme-heat-is-baking--n25"
VERSIONS = ROOT / "bench" / "data" / "real" / "versions" / "theweek-assisted-dying-bill"
CLI = [sys.executable, "-m", "parallax.cli"]

#: One process's phases, in CPU and wall seconds, printed as JSON.
PHASES = r"""
import json, sys, time
from pathlib import Path
clock = [(time.perf_counter(), time.process_time())]
phases = {}
def mark(name):
    now = (time.perf_counter(), time.process_time())
    phases[name] = [round(now[0] - clock[-1][0], 3), round(now[1] - clock[-1][1], 3)]
    clock.append(now)
from parallax import cli
from parallax.engine import blas
blas.one_thread()  # as parallax compare does before numpy loads
mark("import the command line")
sides = (cli.resolve(sys.argv[1], "left", Path("."), []), cli.resolve(sys.argv[2], "right", Path("."), []))
mark("read the two files")
from parallax.engine import compare, encoders
from parallax.model import DEFAULT_IGNORE
mark("import the engine")
from parallax.engine import similarity
similarity._zipf()("the")
mark("load word frequencies")
for name in encoders.LOADERS:
    encoders.model(name)
    mark(f"load encoder {name}")
result = compare.compare(*(side.source.document(DEFAULT_IGNORE) for side in sides))
mark("compare")
print(json.dumps(phases))
"""


#: A command to time: its arguments, environment (None: this one's) and folder (None: this checkout).
Command = tuple[list[str], dict[str, str] | None, Path | None]


def run_once(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of a command (its output discarded). Python may write bytecode, as an
    installed package has it: the warm-up run compiles each checkout once, and no run times compiling."""
    env = {name: value for name, value in (env or os.environ).items() if name != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, cwd=cwd or ROOT,
                          env=env)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: the two texts differ
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-1000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fresh_pair(folder: Path, pair: Path, run: int) -> tuple[str, str]:
    """The pair's two files copied under new names (nothing about them is known to any cache)."""
    names = []
    for side in ("left", "right"):
        target = folder / f"{pair.name}-{run}-{side}.txt"
        shutil.copyfile(pair / f"{side}.txt", target)
        names.append(str(target))
    return names[0], names[1]


def seed_pair(folder: Path, run: int) -> tuple[str, str]:
    """Seed articles 000 and 001 as plain text files under new names."""
    names = []
    for number, text in enumerate(seed_texts()[:2]):
        target = folder / f"seed-{run}-{number:03d}.txt"
        target.write_text(text, encoding="utf-8")
        names.append(str(target))
    return names[0], names[1]


def commands(work: Path, earlier: Path, revision: str) -> dict[str, Callable[[int], Command]]:
    """What is timed, by name: each makes its command for run number n."""
    empty_cache = work / "empty-cache"
    return {
        "python -c pass": lambda n: ([sys.executable, "-c", "pass"], None, None),
        "git diff --word-diff (seed pair)": lambda n: (
            ["git", "diff", "--no-index", "--word-diff", *seed_pair(work, n)], None, None),
        "parallax compare (seed pair)": lambda n: ([*CLI, "compare", *seed_pair(work, n)], None, None),
        f"{revision}: compare (seed pair)": lambda n: ([*CLI, "compare", *seed_pair(work, n)], None, earlier),
        "git diff --word-diff (cross pair)": lambda n: (
            ["git", "diff", "--no-index", "--word-diff", *fresh_pair(work, CROSS, n)], None, None),
        "parallax --help": lambda n: ([*CLI, "--help"], None, None),
        "parallax check corpus": lambda n: ([*CLI, "check", "corpus"], None, None),
        "parallax compare (cross pair)": lambda n: ([*CLI, "compare", *fresh_pair(work, CROSS, n)], None, None),
        "parallax compare (versions pair)": lambda n: (
            [*CLI, "compare", *fresh_pair(work, VERSIONS, n)], None, None),
        "parallax compare, empty user cache": lambda n: (
            [*CLI, "compare", *fresh_pair(work, CROSS, n)],
            {**os.environ, "XDG_CACHE_HOME": str(empty_cache / str(n))}, None),
    }


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", default="HEAD~1", help="the earlier commit to time beside this checkout")
    args = parser.parse_args()
    runs = args.runs
    work = Path(tempfile.mkdtemp(prefix="bench-cli-start-"))
    try:
        with earlier_checkout(args.against) as earlier:
            timed = commands(work, earlier, args.against)
            for name, make in timed.items():  # one warm-up each: the page cache, the user's unpacked encoder
                run_once(*make(-1 - len(name)))
            figures: dict[str, list[tuple[float, float]]] = {name: [] for name in timed}
            loads: dict[str, list[float]] = {name: [] for name in timed}
            for n in range(runs):
                for name, make in timed.items():
                    loads[name].append(os.getloadavg()[0])
                    figures[name].append(run_once(*make(n)))
        phases = subprocess.run([sys.executable, "-c", PHASES, *seed_pair(work, runs)], cwd=ROOT,
                                capture_output=True, text=True, check=True,
                                env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}).stdout
        engine = subprocess.run([sys.executable, "-m", "bench.bench_engine", "--seeds"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = {name: statistics.median(w for w, _ in figures[name]) for name in figures}
    cpu = {name: statistics.median(c for _, c in figures[name]) for name in figures}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; {os.cpu_count()} cores; "
          f"median of {runs} runs each, in turn")
    print(f"{'command':38s} {'wall s':>7s} {'cpu s':>7s} {'load':>5s} {'÷ python':>9s} {'÷ git diff':>10s}")
    for name in figures:
        git = "git diff --word-diff (cross pair)" if "seed" not in name else "git diff --word-diff (seed pair)"
        print(f"{name:38s} {base[name]:7.3f} {cpu[name]:7.3f} {statistics.mean(loads[name]):5.2f} "
              f"{base[name] / base['python -c pass']:9.1f} {base[name] / base[git]:10.1f}")
    print("\none process, seed pair (wall s, cpu s):")
    for phase, (wall, used) in json.loads(phases).items():
        print(f"  {phase:30s} {wall:6.3f} {used:6.3f}")
    print(f"\nin-process engine: {engine}")


if __name__ == "__main__":
    main()
