"""Reading across languages, held-back test half: same-fact links per language pair beside the English figures.

Run ``python -m bench.bench_xlang`` (``--before REV``: the engine English comparisons are timed against, default
the commit before comparisons across languages; ``--no-before`` skips the timing). In one run it prints:

* per language pair (bench/data/real/xlang, test half: translated news, ru-en from WMT22, zh-en, ko-en): row
  precision, link recall, F1 and hard negatives linked, by ``compare`` with each text's language; the same
  articles each beside another article's English (nothing there is the same fact: every row drawn is wrong); and
  the fact differences reported on these faithful translations (each one a false alarm or a translator's liberty);
* the same figures for English cross-outlet news (bench/data/real/cross, test half), the engine's same-language
  path;
* English-only comparison time, this engine against the one at REV, as a ratio measured in this run.

The dev half is the only one the weights and threshold saw (bench/calibrate_judge.py --across).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from bench.calibrate_judge import mismatched
from bench.real import REAL, ROOT, CrossPair, Score, earlier_checkout, load_cross, load_versions, score_rows

#: The engine before comparisons across languages.
BEFORE = "4386759"
#: Target of the Russian-English pair on the test half.
TARGET = "recall >= 0.70 at precision >= 0.80"

#: Seconds to compare every English pair (best of three), by the engine of the checkout it runs in.
TIMER = r"""
import json, sys, time
from parallax.engine.compare import CompareOptions, compare
from parallax.text import plain_document
pairs = json.load(sys.stdin)
compare(plain_document(pairs[0][0]), plain_document(pairs[0][1]))  # models loaded, caches warm
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    for left, right in pairs:
        compare(plain_document(left), plain_document(right), CompareOptions(time_budget=30))
    best = min(best, time.perf_counter() - start)
print(json.dumps(best))
"""


def rows_of(pair: CrossPair) -> tuple[list[tuple[str, str]], int, int]:
    """The linked rows the engine draws for a pair (each text in its language), its paired rows and the fact
    differences reported on them."""
    from parallax.engine.compare import CompareOptions, compare
    from parallax.text import plain_document

    result = compare(plain_document(pair.left, pair.languages[0]), plain_document(pair.right, pair.languages[1]),
                     CompareOptions(time_budget=30), (pair.left_outlet, pair.right_outlet))
    linked = [(row.left, row.right) for row in result.rows if row.left and row.right]
    return linked, len(linked), sum(len(row.facts) for row in result.rows if row.left and row.right)


def timed(pairs: list[tuple[str, str]], checkout: Path) -> float:
    """Seconds the engine of a checkout takes to compare the pairs (best of three, in a fresh process)."""
    done = subprocess.run([sys.executable, "-c", TIMER], input=json.dumps(pairs), capture_output=True, text=True,
                          cwd=checkout, env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin",
                                             "OMP_NUM_THREADS": "1"}, check=True)
    seconds: float = json.loads(done.stdout)
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Print the per-language table, the English figures and the timing ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", default=BEFORE, help="git revision of the earlier engine (timing)")
    parser.add_argument("--no-before", action="store_true", help="leave the timing out")
    args = parser.parse_args(argv)
    test = [p for p in load_cross(REAL / "xlang") if p.split == "test"]
    english = [p for p in load_cross() if p.split == "test"]
    print(f"same-fact links, test half ({len(test)} translated article pairs, {len(english)} English pairs); "
          f"target for ru-en: {TARGET}")
    print(f"  {'pair':<8} {'articles':>8}  figures{'':<62} unrelated rows  facts on paired rows")
    by_pair: dict[str, list[CrossPair]] = defaultdict(list)
    for pair in test:
        by_pair["-".join(pair.languages)].append(pair)
    for name, pairs in [*sorted(by_pair.items()), ("en-en", english)]:
        score, paired, facts = Score(), 0, 0
        for pair in pairs:
            linked, count, found = rows_of(pair)
            score.add(score_rows(pair, linked))
            paired, facts = paired + count, facts + found
        unrelated = sum(rows_of(p)[1] for p in mismatched(pairs)) if name != "en-en" else 0
        shown = f"{unrelated}" if name != "en-en" else "-"
        print(f"  {name:<8} {len(pairs):>8}  {score.line():<69} {shown:>14}  {facts} on {paired}")
    if not args.no_before:
        texts = [(p.left, p.right) for p in load_cross()] + [(v.left, v.right) for v in load_versions()]
        with earlier_checkout(args.before) as checkout:  # alternated, best of each: other load falls on both alike
            runs = [timed(texts, where) for where in (checkout, ROOT, checkout, ROOT)]
            before, after = min(runs[0::2]), min(runs[1::2])
        print(f"\nEnglish-only comparisons ({len(texts)} real pairs, best of 3): {after:.2f} s now, {before:.2f} s at "
              f"{args.before}: ratio {after / before:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
