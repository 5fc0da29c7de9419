"""Candidate lookup recall: is a labelled pair (edited or reworded, dev half) proposed for judging at all?

``python -m bench.candidate_recall`` plants each dev positive pair among 30 other sentences of the labelled set
(15 a side, fixed seed) and reports how often the lookup proposes it: the engine's lookup (rarest terms the other
side has, from both sides) against the first engine's (4 rarest words over both sides, whatever the other side has).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from bench.bench_quality import load_pairs
from parallax.engine.align import Aligner
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, plain_document, words

OTHERS = 30


def first_engine_proposes(aligner: Aligner, free_left: list[int], free_right: list[int]) -> bool:
    """Whether the first engine's lookup (4 rarest words over both sides, postings <= 40, top 8) finds (0, 0)."""
    bags_left = {i: words(aligner.left[i].key) for i in free_left}
    bags_right = {j: words(aligner.right[j].key) for j in free_right}
    frequency: Counter[str] = Counter()
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for bag in bags_left.values():
        frequency.update(bag.keys())
    for j, bag in bags_right.items():
        frequency.update(bag.keys())
        for word in bag:
            postings[word].append(j)
    if 0 not in bags_left:
        return False
    shared: Counter[int] = Counter()
    for word in sorted(bags_left[0], key=lambda w: (frequency[w], w))[:4]:
        if len(postings.get(word, ())) <= 40:
            shared.update(postings.get(word, ()))
    return 0 in [j for j, _ in shared.most_common(8)]


def main() -> None:
    """Print both lookups' recall on the dev positives."""
    pairs = [p for p in load_pairs() if p.split == "dev"]
    positives = [p for p in pairs if p.label in ("edited", "reworded")]
    pool = sorted({text for p in pairs for text in (p.left, p.right)})
    rng = random.Random(7)
    engine = first = 0
    for pair in positives:
        others = [t for t in rng.sample(pool, OTHERS) if t not in (pair.left, pair.right)]
        half = len(others) // 2
        left = cut_sentences(plain_document("\n\n".join([pair.left, *others[:half]])), DEFAULT_IGNORE)
        right = cut_sentences(plain_document("\n\n".join([pair.right, *others[half:]])), DEFAULT_IGNORE)
        aligner = Aligner(left, right, range(len(left)), range(len(right)))
        free_left, free_right = aligner.substantive(0, range(len(left))), aligner.substantive(1, range(len(right)))
        engine += (0, 0) in aligner.lookup(free_left, free_right)
        first += first_engine_proposes(aligner, free_left, free_right)
    print(f"dev positives {len(positives)} (edited + reworded), each among {OTHERS} other sentences: "
          f"first engine's lookup {first / len(positives):.2f}, engine's lookup {engine / len(positives):.2f}")


if __name__ == "__main__":
    main()
