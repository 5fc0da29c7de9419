"""Print every pair the engine makes across the ten unordered pairs of seed captures, reworded ones first.

``python -m bench.seed_pairs`` lists the reworded pairs (for reading one by one: none may pair two different
facts); ``--all`` also lists changed and moved pairs, ``--summary`` only the row counts per seed pair.
"""

from __future__ import annotations

import argparse
import itertools
import textwrap

from bench.synth import seed_texts
from parallax.compare import Comparison, compare
from parallax.text import plain_document

NAMES = ("000 Moscow Times (plain)", "001 Moscow Times (markdown)", "002 Press TV", "003 RT", "004 The National")


def comparisons() -> list[tuple[int, int, Comparison]]:
    """The engine's comparison of every unordered pair of seed captures, as plain text with default options."""
    texts = seed_texts()
    return [(a, b, compare(plain_document(texts[a]), plain_document(texts[b])))
            for a, b in itertools.combinations(range(len(texts)), 2)]


def counts(result: Comparison) -> str:
    """Row counts of one comparison."""
    stats = result.stats
    return (f"{stats.same} same, {stats.changed} changed, {stats.reworded} reworded, {stats.moved} moved, "
            f"{stats.left_only}+{stats.right_only} one-sided")


def _wrap(label: str, text: str) -> str:
    """One side of a pair, wrapped for a terminal."""
    return textwrap.fill(" ".join(text.split()), width=110, initial_indent=f"    {label} ",
                         subsequent_indent=" " * (len(label) + 5))


def main() -> None:
    """Print the pairs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="also list changed and moved pairs")
    parser.add_argument("--summary", action="store_true", help="only the row counts per seed pair")
    args = parser.parse_args()
    total = 0
    for a, b, result in comparisons():
        print(f"== {NAMES[a]}  vs  {NAMES[b]}: {counts(result)}")
        if args.summary:
            continue
        shown = ("reworded", "changed", "moved") if args.all else ("reworded",)
        for row in sorted(result.rows, key=lambda r: shown.index(r.kind) if r.kind in shown else 9):
            if row.kind not in shown:
                continue
            total += row.kind == "reworded"
            print(f"  [{row.kind} {row.similarity:.2f}] rows L{row.left_pos} / R{row.right_pos}")
            print(_wrap("L:", row.left or ""))
            print(_wrap("R:", row.right or ""))
    if not args.summary:
        print(f"\n{total} reworded pairs in all")


if __name__ == "__main__":
    main()
