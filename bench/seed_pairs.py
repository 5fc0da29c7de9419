"""Print every pair the engine makes across the ten unordered pairs of seed captures, reworded ones first.

``python -m bench.seed_pairs`` lists the reworded pairs, moved ones included (for reading one by one: none may
pair two different facts); ``--all`` also lists changed pairs and moved identical ones, ``--summary`` only the row
counts per seed pair.
"""

from __future__ import annotations

import argparse
import itertools
import textwrap

from bench.synth import seed_texts
from parallax.engine.align import align
from parallax.engine.compare import Comparison, compare
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, plain_document

NAMES = ("000 Moscow Times (plain)", "001 Moscow Times (markdown)", "002 Press TV", "003 RT", "004 The National")


def comparisons() -> list[tuple[int, int, Comparison]]:
    """The engine's comparison of every unordered pair of seed captures, as plain text with default options."""
    texts = seed_texts()
    return [(a, b, compare(plain_document(texts[a]), plain_document(texts[b])))
            for a, b in itertools.combinations(range(len(texts)), 2)]


def tiers(left: str, right: str) -> dict[tuple[int, int], str]:
    """The tier (same, changed, reworded) of each pair by its first sentences, moved pairs included."""
    lefts = cut_sentences(plain_document(left), DEFAULT_IGNORE)
    rights = cut_sentences(plain_document(right), DEFAULT_IGNORE)
    active_left = [n for n, s in enumerate(lefts) if not s.boilerplate]
    active_right = [n for n, s in enumerate(rights) if not s.boilerplate]
    pairs, _ = align(lefts, rights, active_left, active_right, lambda: 10.0)
    return {(p.left, p.right): p.tier for p in pairs}


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
    texts = seed_texts()
    for a, b, result in comparisons():
        print(f"== {NAMES[a]}  vs  {NAMES[b]}: {counts(result)}")
        if args.summary:
            continue
        tier = tiers(texts[a], texts[b])
        shown = ("reworded", "changed", "same") if args.all else ("reworded",)
        # Moved rows are listed under the tier that paired them (a moved reworded pair is a reworded pair).
        labelled = [(tier.get((row.left_pos or 0, row.right_pos or 0), row.kind) if row.kind == "moved" else row.kind,
                     row) for row in result.rows if row.kind not in ("left_only", "right_only")]
        for kind, row in sorted(labelled, key=lambda item: shown.index(item[0]) if item[0] in shown else 9):
            if kind not in shown or (kind == "same" and row.kind != "moved"):
                continue
            total += kind == "reworded"
            moved = " moved" if row.kind == "moved" else ""
            print(f"  [{kind}{moved} {row.similarity:.2f}] rows L{row.left_pos} / R{row.right_pos}")
            print(_wrap("L:", row.left or ""))
            print(_wrap("R:", row.right or ""))
    if not args.summary:
        print(f"\n{total} reworded pairs in all")


if __name__ == "__main__":
    main()
