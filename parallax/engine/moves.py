"""The pair of sentence runs that alignment produces, and moved detection over pairs.

Pairs outside the heaviest in-order chain are moved (``mark_moved``); identical sentences still unpaired on both
sides pair as moved (``leftover_identical``); runs of identical moved sentences that follow each other on both
sides read as one moved block (``moved_blocks``). ``parallax.engine.align`` decides which sentences pair.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from parallax.engine.config import EngineConfig
from parallax.engine.similarity import is_credit
from parallax.text import Sentence


@dataclass(frozen=True)
class Pair:
    """Sentences [left, left_end) matched with [right, right_end); score is the similarity that paired them."""

    left: int
    left_end: int
    right: int
    right_end: int
    score: float
    moved: bool = False
    tier: str = "same"
    #: Paired by the calibrated same-fact judge (score is its probability), not by word and term overlap.
    judged: bool = False

    def mirrored(self) -> Pair:
        """The same pair seen from the other side."""
        return Pair(self.right, self.right_end, self.left, self.left_end, self.score, self.moved, self.tier,
                    self.judged)


def mark_moved(pairs: list[Pair]) -> list[Pair]:
    """Pairs sorted by left index, those outside the heaviest in-order chain flagged as moved.

    A pair weighs its sentence count times (1 + score), so long identical runs outweigh a short reworded pair.
    """
    ordered = sorted(pairs, key=lambda p: p.left)
    weights = [(p.left_end - p.left + p.right_end - p.right) * (1 + p.score) for p in ordered]
    keep = set(heaviest_increasing([p.right for p in ordered], weights))
    return [p if n in keep else replace(p, moved=True) for n, p in enumerate(ordered)]


def heaviest_increasing(values: Sequence[int], weights: Sequence[float]) -> list[int]:
    """Positions of a heaviest strictly increasing subsequence (Fenwick tree of prefix maxima, O(n log n))."""
    if all(a < b for a, b in itertools.pairwise(values)):
        return list(range(len(values)))
    ranks = {v: r + 1 for r, v in enumerate(sorted(set(values)))}
    size = len(ranks)
    tree: list[tuple[float, int]] = [(0.0, -1)] * (size + 1)
    best: list[float] = [0.0] * len(values)
    previous = [-1] * len(values)
    for position, value in enumerate(values):
        rank = ranks[value] - 1
        found: tuple[float, int] = (0.0, -1)
        while rank > 0:
            found = max(found, tree[rank])
            rank -= rank & -rank
        best[position] = found[0] + weights[position]
        previous[position] = found[1]
        rank = ranks[value]
        while rank <= size:
            tree[rank] = max(tree[rank], (best[position], position))
            rank += rank & -rank
    position = max(range(len(values)), key=lambda p: (best[p], p))
    chain: list[int] = []
    while position >= 0:
        chain.append(position)
        position = previous[position]
    return chain[::-1]


def leftover_identical(pairs: Sequence[Pair], left: Sequence[Sentence], right: Sequence[Sentence],
                       active_left: Sequence[int], active_right: Sequence[int], config: EngineConfig) -> list[Pair]:
    """Moved pairs for identical sentences still unpaired on both sides (too short to anchor, and in another
    gap): a sentence found verbatim on both sides is never shown as one-sided. Paired in reading order."""
    used = ({n for p in pairs for n in range(p.left, p.left_end)},
            {n for p in pairs for n in range(p.right, p.right_end)})
    waiting: defaultdict[str, list[int]] = defaultdict(list)
    for j in active_right:
        sentence = right[j]
        # A lone word ("Updated.") or a photo credit repeated elsewhere says nothing moved.
        if (j not in used[1] and len(sentence.key.split()) >= config.min_moved_words
                and not is_credit(sentence.text, config)):
            waiting[sentence.key].append(j)
    found: list[Pair] = []
    for i in active_left:
        key = left[i].key
        if i not in used[0] and waiting.get(key):
            j = waiting[key].pop(0)
            found.append(Pair(i, i + 1, j, j + 1, 1.0, moved=True))
    return found


def moved_blocks(pairs: list[Pair], left: Sequence[Sentence], right: Sequence[Sentence]) -> list[Pair]:
    """Pairs sorted by left index, each run of identical moved sentences that follow each other on both sides
    joined into one moved block (a block moved in a live page reads as one move, not one move per sentence)."""
    out: list[Pair] = []
    joinable = False  # whether out[-1] is a moved block of identical sentences
    for pair in sorted(pairs, key=lambda p: p.left):
        identical = pair.moved and _identical(pair, left, right)
        last = out[-1] if out else None
        if last is not None and joinable and identical and pair.left == last.left_end and pair.right == last.right_end:
            out[-1] = replace(last, left_end=pair.left_end, right_end=pair.right_end, tier="same", score=1.0)
        else:
            out.append(pair)
            joinable = identical
    return out


def _identical(pair: Pair, left: Sequence[Sentence], right: Sequence[Sentence]) -> bool:
    """Whether a pair's sentences are the same keys one for one."""
    return (pair.left_end - pair.left == pair.right_end - pair.right
            and all(left[pair.left + k].key == right[pair.right + k].key for k in range(pair.left_end - pair.left)))
