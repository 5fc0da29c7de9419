"""A second link per sentence, measured on real news before it goes into the engine.

The engine pairs sentences one to one (a pair may grow over adjacent sentences, ``Aligner.extend``). Real
cross-outlet links are often one to several and not adjacent: one outlet's sentence holds part of a fact another
outlet splits over two places. The step measured here runs after the engine's alignment: a sentence one side shows
alone is linked to a sentence the other side already pairs when the calibrated same-fact judge
(``parallax.engine.meaning``, reading every substantive sentence of both texts, paired or not) gives the two at least
a threshold. Links between two one-sided sentences are the alignment's own business and are not proposed; nor are
links between two sentences paired elsewhere (on the dev half they added one wrong link and no right one).

The threshold is chosen on the dev half of bench/data/real/cross only: the highest dev recall at which the dev
half's row precision does not fall below the engine's own (a false link is worse than a miss): 0.95.
``python -m bench.bench_real`` prints the engine with and without these links on both halves. At 0.95 the dev half
gains (precision 0.855 -> 0.863, recall 0.170 -> 0.194, whole facts 0.291 -> 0.308, hard negatives linked 2.2% ->
3.0%) but the held-back test half loses precision (0.726 -> 0.707; recall 0.150 -> 0.162, whole facts 0.257 ->
0.276, hard negatives 2.7% -> 3.3%), so the engine does not draw these links. The wrong ones link two sentences of
one story and one subject that state different claims (two quotes of one speaker, the charge and the verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.real import CrossPair, Score, score_method
from parallax.engine import meaning
from parallax.engine.align import Aligner
from parallax.engine.compare import CompareOptions, Row, compare
from parallax.model import DEFAULT_IGNORE, PAIRED_KINDS
from parallax.text import Sentence, cut_sentences, plain_document

#: Thresholds tried on the dev half.
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.70, 1.0, 0.01))


@dataclass(frozen=True)
class Linking:
    """One comparison's rows as the engine draws them, and every possible second link with the judge's chance."""

    rows: list[tuple[str, str]]
    candidates: list[tuple[str, str, float]]

    def links(self, threshold: float | None) -> list[tuple[str, str]]:
        """The engine's rows plus the second links at or above ``threshold`` (None: the engine's rows alone)."""
        if threshold is None:
            return list(self.rows)
        return [*self.rows, *((left, right) for left, right, chance in self.candidates if chance >= threshold)]


def row_of(rows: Sequence[Row], sentences: Sequence[Sentence], left_side: bool) -> dict[int, int]:
    """For each sentence of one side that a paired row carries, that row's index."""
    found: dict[int, int] = {}
    for row in rows:
        text, start = (row.left, row.left_pos) if left_side else (row.right, row.right_pos)
        if row.kind not in PAIRED_KINDS or text is None or start is None or row.left is None or row.right is None:
            continue
        length = 0
        position = start
        while length < len(text) and position < len(sentences):
            found[position] = row.index
            length += len(sentences[position].text)
            position += 1
    return found


def linking(left_text: str, right_text: str) -> Linking:
    """The engine's rows of two texts and the second links it could add, each with the judge's probability."""
    left_doc, right_doc = plain_document(left_text), plain_document(right_text)
    result = compare(left_doc, right_doc, CompareOptions(time_budget=30))
    rows = [(r.left, r.right) for r in result.rows if r.kind in PAIRED_KINDS and r.left and r.right]
    left = cut_sentences(left_doc, DEFAULT_IGNORE)
    right = cut_sentences(right_doc, DEFAULT_IGNORE)
    active = ([n for n, s in enumerate(left) if not s.boilerplate],
              [n for n, s in enumerate(right) if not s.boilerplate])
    aligner = Aligner(left, right, *active)
    lefts = [i for i in aligner.substantive(0, active[0]) if not meaning.is_heading(left[i].text)]
    rights = [j for j in aligner.substantive(1, active[1]) if not meaning.is_heading(right[j].text)]
    if not lefts or not rights:
        return Linking(rows, [])
    values = meaning.features([aligner.profile(0, i) for i in lefts], [aligner.profile(1, j) for j in rights],
                              [i / len(left) for i in lefts], [j / len(right) for j in rights])
    if values is None:
        return Linking(rows, [])
    chances = meaning.probability(values)
    paired = (row_of(result.rows, left, True), row_of(result.rows, right, False))
    candidates = []
    for a, i in enumerate(lefts):
        for b, j in enumerate(rights):
            # Exactly one of the two already paired: a one-sided sentence joining a pair's sentence.
            if (i in paired[0]) != (j in paired[1]):
                candidates.append((left[i].text, right[j].text, float(chances[a, b])))
    return Linking(rows, candidates)


def scored(pairs: Sequence[CrossPair], linkings: dict[str, Linking], threshold: float | None) -> Score:
    """The score of the engine's rows plus the second links at ``threshold`` on some pairs."""
    by_texts = {(p.left, p.right): linkings[p.id] for p in pairs}
    return score_method(pairs, lambda left, right: by_texts[(left, right)].links(threshold))


def choose(dev: Sequence[CrossPair], linkings: dict[str, Linking]) -> float | None:
    """The dev half's threshold: highest recall with row precision not below the engine's own (None: no
    threshold keeps it)."""
    floor = scored(dev, linkings, None).precision
    kept = [(scored(dev, linkings, t), t) for t in THRESHOLDS]
    fine = [(score.recall, t) for score, t in kept if score.precision >= floor]
    return max(fine)[1] if fine else None


def table(dev: Sequence[CrossPair], test: Sequence[CrossPair]) -> list[str]:
    """Lines of the before/after table: the engine alone and with second links, dev and test halves."""
    linkings = {p.id: linking(p.left, p.right) for p in [*dev, *test]}
    threshold = choose(dev, linkings)
    lines = [f"second links (a one-sided sentence linked to an already-paired one when the judge gives >= "
             f"{threshold if threshold is not None else 'none'}; threshold chosen on dev)"]
    for split, half in (("dev", dev), ("test", test)):
        before, after = scored(half, linkings, None), scored(half, linkings, threshold)
        added = sum(len(linkings[p.id].links(threshold)) - len(linkings[p.id].rows) for p in half)
        lines.append(f"  {'engine':<34} {split:<5} {before.line()}")
        lines.append(f"  {f'engine + {added} second links':<34} {split:<5} {after.line()}")
    return lines
