"""Benchmark fact differences on sentence pairs against a plain difflib word diff of the same pairs.

Typical pairs: the paired rows of every seed comparison, seed sentences with a fact edited (weekday, number,
speech verb, a name dropped) and random seed sentence pairs. Hostile pairs: 25 KB and 100 KB of digits,
capitalised words, numbers and attributions, to show the cost grows linearly (4x input → about 4x time).
Also the summary of each seed comparison against the comparison itself.

Run: .venv/bin/python -m bench.bench_facts  (reports; never fails on timing)
"""

from __future__ import annotations

import difflib
import gc
import itertools
import random
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial

from parallax.engine.compare import compare
from parallax.engine.facts import fact_differences
from parallax.story.speakers import side_speakers
from parallax.story.summary import Summary, summarise
from parallax.text import Document, plain_document, split_sentences
from tests.engine_seeds import seed_sources, seed_text

#: Target per typical sentence pair.
TARGET_MS = 0.2
REPEAT = 7
EDITS = (("Tuesday", "Monday"), (" said", " told reporters"), ("four", "more than five"), ("2019", "2023"),
         ("Mr Peskov", "the Kremlin"), ("Pyongyang", "N. Korea"), ("Jo Chun Ryong", "him"), ("two", "three"))


def typical_pairs() -> list[tuple[str, str]]:
    """Seed row pairs, edited seed sentences and random seed sentence pairs."""
    prefixes = ("000", "002", "003", "004")
    pairs: list[tuple[str, str]] = []
    for left, right in itertools.permutations(prefixes, 2):
        result = compare(plain_document(seed_text(left)), plain_document(seed_text(right)))
        pairs += [(r.left, r.right) for r in result.rows if r.left is not None and r.right is not None]
    sentences = [s.strip() for p in prefixes for s in split_sentences(seed_text(p)) if len(s.split()) > 5]
    for sentence in sentences:
        edited = sentence
        for old, new in EDITS:
            edited = edited.replace(old, new)
        if edited != sentence:
            pairs.append((sentence, edited))
    rng = random.Random(7)
    pairs += [(rng.choice(sentences), rng.choice(sentences)) for _ in range(100)]
    return pairs


def difflib_words(left: str, right: str) -> object:
    """The baseline: difflib's opcodes over whitespace-split words."""
    return difflib.SequenceMatcher(None, left.split(), right.split(), autojunk=False).get_opcodes()


def per_pair_ms(work: Callable[[str, str], object], pairs: Sequence[tuple[str, str]]) -> float:
    """Median over REPEAT runs of the mean CPU time per pair, in milliseconds."""
    runs = []
    for _ in range(REPEAT):
        gc.collect()
        start = time.process_time()  # CPU time: other processes on a shared machine do not count
        for left, right in pairs:
            work(left, right)
        runs.append((time.process_time() - start) / len(pairs) * 1000)
    return statistics.median(runs)


HOSTILE: dict[str, Callable[[int], tuple[str, str]]] = {
    "digits": lambda n: ("1" * n, "2" * n),
    "spaced numbers": lambda n: (" ".join(["1,234"] * (n // 6)), " ".join(["four years"] * (n // 11))),
    "capitalised words": lambda n: (" ".join(f"Alpha{i % 13}" for i in range(n // 7)),
                                    " ".join(f"Beta{i % 7} Mr" for i in range(n // 10))),
    "attributions": lambda n: (" ".join(["Peskov said"] * (n // 12)),
                               " ".join(["the Kremlin told Reuters"] * (n // 25))),
    "dates and quotes": lambda n: (" ".join(['Sept. 12 "a b"'] * (n // 15)), " ".join(["Monday “a c”"] * (n // 13))),
}


def best_seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU time of a few runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def compared_and_summarised(documents: tuple[Document, Document], left: str, right: str) -> Summary:
    """A comparison and its summary (which reads every paired row's facts)."""
    rows = compare(*documents).rows
    return summarise(rows, left, right, side_speakers(rows))


def main() -> None:
    """Print per-pair times against difflib, hostile growth, and the summary's share of a comparison."""
    pairs = typical_pairs()
    fact_differences(*pairs[0])  # load the lemma dictionary once, outside the timing
    facts = per_pair_ms(fact_differences, pairs)
    base = per_pair_ms(difflib_words, pairs)
    found = sum(len(fact_differences(a, b)) for a, b in pairs)
    print(f"typical pairs: {len(pairs)} ({found} fact differences), "
          f"{statistics.mean(len(a) + len(b) for a, b in pairs):.0f} chars per pair")
    print(f"{'':24} {'ms/pair':>8} {'x difflib':>9}")
    print(f"{'difflib word diff':24} {base:>8.4f} {1.0:>9.2f}")
    print(f"{'fact_differences':24} {facts:>8.4f} {facts / base:>9.2f}")
    print(f"target ≤ {TARGET_MS} ms per pair: {'met' if facts <= TARGET_MS else 'NOT met'}")

    print(f"\n{'hostile input':18} {'25 KB s':>8} {'100 KB s':>9} {'x (4x input)':>12} {'difflib 100 KB s':>16}")
    for name, make in HOSTILE.items():
        small, large = make(25_000), make(100_000)
        t_small = best_seconds(partial(fact_differences, *small))
        t_large = best_seconds(partial(fact_differences, *large))
        t_base = best_seconds(partial(difflib_words, *large), repeat=1)
        print(f"{name:18} {t_small:>8.3f} {t_large:>9.3f} {t_large / t_small:>12.2f} {t_base:>16.3f}")

    print(f"\n{'seed comparison':32} {'compare ms':>10} {'+ facts & summary ms':>20} {'share':>6}")
    names = {prefix: source.outlet for prefix, source in seed_sources().items()}
    for left, right in (("000", "002"), ("002", "004"), ("000", "003")):
        documents = plain_document(seed_text(left)), plain_document(seed_text(right))
        engine = best_seconds(partial(compare, *documents))
        total = best_seconds(partial(compared_and_summarised, documents, names[left], names[right]))
        print(f"{names[left] + ' / ' + names[right]:32} {engine * 1000:>10.2f} {(total - engine) * 1000:>20.2f} "
              f"{(total - engine) / engine:>6.0%}")


if __name__ == "__main__":
    main()
