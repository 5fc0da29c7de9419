"""MSRP no-regression check: does the engine pair two sentences that say the same thing, and only those?

Run ``python -m bench.bench_msrp PATH`` where PATH is ``msr_paraphrase_test.txt`` of the Microsoft Research
Paraphrase Corpus (a TSV: Quality, #1 ID, #2 ID, #1 String, #2 String; not shipped here: it is in the public
repository github.com/galsang/ABCNN under ``MSRP_Corpus/``, or in Microsoft's own download). ``--train PATH``
(default: ``msr_paraphrase_train.txt`` beside the test file, when present) chooses the wordllama baseline's
threshold; ``--sample N --seed S`` runs a fixed random sample of the test pairs.

Each sentence pair is compared as two one-sentence texts, exactly as the real-news benchmark runs the engine
(``compare(plain_document(a), plain_document(b))``); the engine calls the pair a paraphrase when one of its rows
links the two sides (kinds same, changed, reworded, moved). Printed: precision and recall against the gold label
for the engine and, measured in the same run, for two baselines: word-overlap Jaccard >= 0.5, and the cosine of
the two sentences' wordllama vectors at the threshold that gives the best accuracy on the train file. The bar
is precision >= 0.75 at recall >= 0.85. MSRP is a check only: no engine threshold is chosen on it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LINKED = frozenset({"same", "changed", "reworded", "moved"})
BAR_PRECISION, BAR_RECALL = 0.75, 0.85
JACCARD = 0.5
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Pair:
    """One MSRP sentence pair with its gold label (True: a paraphrase)."""

    gold: bool
    left: str
    right: str


def load(path: Path) -> list[Pair]:
    """The pairs of an MSRP TSV file (the header line skipped; quotes are plain characters in it)."""
    pairs = []
    for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) == 5:
            pairs.append(Pair(fields[0] == "1", fields[3], fields[4]))
    return pairs


def figures(gold: Sequence[bool], said: Sequence[bool]) -> str:
    """Precision, recall, F1 and accuracy of the calls against the labels, and whether the bar is met."""
    tp = sum(g and s for g, s in zip(gold, said, strict=True))
    fp = sum(s and not g for g, s in zip(gold, said, strict=True))
    fn = sum(g and not s for g, s in zip(gold, said, strict=True))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    accuracy = sum(g == s for g, s in zip(gold, said, strict=True)) / max(len(gold), 1)
    met = "meets" if precision >= BAR_PRECISION and recall >= BAR_RECALL else "below"
    return (f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  acc {accuracy:.3f}  "
            f"(said {tp + fp}, tp {tp}, fp {fp}, fn {fn}; {met} the bar)")


def jaccard(left: str, right: str) -> float:
    """Word-overlap Jaccard of two sentences (case-folded word sets)."""
    a, b = set(WORD.findall(left.lower())), set(WORD.findall(right.lower()))
    return len(a & b) / max(len(a | b), 1)


def cosines(pairs: Sequence[Pair]) -> np.ndarray:
    """The cosine of each pair's two wordllama sentence vectors."""
    from parallax.engine.encoders import CACHES

    left = CACHES["wordllama"].vectors([p.left for p in pairs])
    right = CACHES["wordllama"].vectors([p.right for p in pairs])
    assert left is not None and right is not None, "wordllama did not load"
    left = left / np.maximum(np.linalg.norm(left, axis=1, keepdims=True), 1e-9)
    right = right / np.maximum(np.linalg.norm(right, axis=1, keepdims=True), 1e-9)
    return np.asarray((left * right).sum(1))


def best_threshold(pairs: Sequence[Pair]) -> float:
    """The wordllama cosine threshold with the best accuracy on the given (train) pairs."""
    values, gold = cosines(pairs), np.array([p.gold for p in pairs])
    grid = np.arange(0.30, 0.99, 0.01)
    accuracy = [float(((values >= t) == gold).mean()) for t in grid]
    return float(grid[int(np.argmax(accuracy))])


def engine_calls(pairs: Sequence[Pair]) -> tuple[list[bool], list[str]]:
    """The engine's call on each pair (a row links the two sides), and each pair's row layout."""
    from parallax.engine.compare import CompareOptions, compare
    from parallax.text import plain_document

    calls, layouts = [], []
    options = CompareOptions(time_budget=30)
    for pair in pairs:
        rows = compare(plain_document(pair.left), plain_document(pair.right), options).rows
        calls.append(any(r.kind in LINKED and r.left and r.right for r in rows))
        layouts.append(" + ".join(r.kind for r in rows))
    return calls, layouts


def main(argv: list[str] | None = None) -> int:
    """Score the engine and the baselines on the test file (or a fixed sample of it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", type=Path, help="msr_paraphrase_test.txt")
    parser.add_argument("--train", type=Path, help="msr_paraphrase_train.txt (default: beside the test file)")
    parser.add_argument("--sample", type=int, default=0, help="score a random sample of this many pairs")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample")
    parser.add_argument("--layouts", action="store_true", help="print how often each row layout came out")
    parser.add_argument("--dump", type=Path, help="write each pair's sentences, label and engine rows (JSON lines)")
    args = parser.parse_args(argv)
    pairs = load(args.path)
    if args.sample and args.sample < len(pairs):
        pairs = random.Random(args.seed).sample(pairs, args.sample)
        print(f"MSRP test: a random sample of {len(pairs)} pairs (seed {args.seed})")
    else:
        print(f"MSRP test: all {len(pairs)} pairs")
    gold = [p.gold for p in pairs]
    print(f"  {sum(gold)} paraphrases, {len(gold) - sum(gold)} not; the bar: precision >= {BAR_PRECISION} at "
          f"recall >= {BAR_RECALL}")

    start = time.perf_counter()
    calls, layouts = engine_calls(pairs)
    took = time.perf_counter() - start
    print(f"  {'engine (a row links the two)':<34} {figures(gold, calls)}  {took:.1f} s, "
          f"{1000 * took / len(pairs):.0f} ms a pair")

    start = time.perf_counter()
    said = [jaccard(p.left, p.right) >= JACCARD for p in pairs]
    print(f"  {f'word Jaccard >= {JACCARD}':<34} {figures(gold, said)}  {time.perf_counter() - start:.2f} s")

    train = args.train or args.path.with_name("msr_paraphrase_train.txt")
    if train.exists():
        start = time.perf_counter()
        threshold = best_threshold(load(train))
        said = list(cosines(pairs) >= threshold)
        label = f"wordllama cos >= {threshold:.2f} (train)"
        print(f"  {label:<34} {figures(gold, said)}  {time.perf_counter() - start:.1f} s")
    else:
        print(f"  wordllama baseline left out: no train file at {train}")
    if args.layouts:
        counts = Counter(f"{'paraphrase' if p.gold else 'other':<10} {layout}"
                         for p, layout in zip(pairs, layouts, strict=True))
        for layout, count in counts.most_common():
            print(f"    {count:5d}  {layout}")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for pair, layout in zip(pairs, layouts, strict=True):
                row = {"gold": pair.gold, "rows": layout, "left": pair.left, "right": pair.right}
                out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
