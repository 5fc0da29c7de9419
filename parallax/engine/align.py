"""Sentence alignment: exact anchors, similarity pairing in three tiers (same, changed, reworded), gap filling.

Every step is computed in one canonical orientation of the two documents (``canonical_order``) and mirrored
back, so comparing B with A gives exactly the pairs, tiers and moved flags of A with B. How alike two sentences
are is the similarity module's business, and which pairs moved is ``parallax.engine.moves``; this one decides which
sentences pair.
"""

from __future__ import annotations

import heapq
import math
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from parallax.engine import encoders, meaning
from parallax.engine.config import ENGINE, EngineConfig
from parallax.engine.diffing import Encoder, diff_codes
from parallax.engine.moves import Pair, leftover_identical, mark_moved, moved_blocks
from parallax.engine.similarity import (
    Profile,
    dice,
    has_substance,
    is_credit,
    judge,
    lexical,
    meaning_similarity,
    profile,
    settle,
    weighted_overlap,
)
from parallax.engine.translation import translated_pairs
from parallax.text import Sentence

_TIERS = ("same", "changed", "reworded")


# --- alignment --------------------------------------------------------------------------------------------------


def canonical_order(left: Sequence[Sentence], right: Sequence[Sentence]) -> bool:
    """Whether the two sides are in canonical order; alignment runs that way round and is mirrored otherwise."""
    def signature(sentences: Sequence[Sentence]) -> tuple[int, list[tuple[str, bool, str]]]:
        """What orders two documents: their length, then their keys, flags and texts."""
        return len(sentences), [(s.key, s.boilerplate, s.text) for s in sentences]

    return signature(left) <= signature(right)


def exact_anchors(left: Sequence[str], right: Sequence[str], seconds: float) -> list[tuple[int, int]]:
    """In-order pairs of identical keys, found by diffing one code point per distinct key."""
    encoder = Encoder()
    pairs: list[tuple[int, int]] = []
    i = j = 0
    for op, length in diff_codes(encoder.encode(left), encoder.encode(right), seconds, semantic=False):
        if op == "=":
            pairs.extend((i + k, j + k) for k in range(length))
        i += length if op != "+" else 0
        j += length if op != "-" else 0
    return pairs


#: How far similarity pairing got: all of it, part of it before the time budget ran out, or none (no time, or
#: a text too long for it).
Pairing = Literal["complete", "partial", "skipped"]
#: Steps of the similarity lookup between two looks at the clock.
CLOCK_EVERY = 256


@dataclass
class Aligner:
    """One alignment of two sentence lists (in canonical orientation): anchors, similarity pairs, gap filling."""

    left: Sequence[Sentence]
    right: Sequence[Sentence]
    active_left: Sequence[int]
    active_right: Sequence[int]
    config: EngineConfig = ENGINE
    #: Seconds left of the comparison's time budget; similarity pairing stops when it runs out (``cut_short``).
    remaining: Callable[[], float] = lambda: math.inf

    def __post_init__(self) -> None:
        """Profiles are computed lazily, per sentence, once."""
        self._profiles: dict[tuple[int, int], Profile] = {}
        self._substance: tuple[dict[int, bool], dict[int, bool]] = ({}, {})
        self._substance_of: dict[str, bool] = {}
        self.cut_short = False

    def out_of_time(self, step: int) -> bool:
        """Whether the time budget ran out (looked at every ``CLOCK_EVERY`` steps); remembered in ``cut_short``."""
        if not self.cut_short and step % CLOCK_EVERY == 0 and self.remaining() <= 0:
            self.cut_short = True
        return self.cut_short

    def profile(self, side: int, index: int) -> Profile:
        """The pairing profile of sentence index on side 0 (left) or 1 (right)."""
        found = self._profiles.get((side, index))
        if found is None:
            sentence = (self.left, self.right)[side][index]
            found = self._profiles[(side, index)] = profile(sentence.text, sentence.key, self.config,
                                                            self.substantive(side, [index]) == [index])
        return found

    def substantive(self, side: int, indices: Sequence[int]) -> list[int]:
        """The indices of sentences with enough substance to anchor or pair by similarity."""
        known = self._substance[side]
        sentences = (self.left, self.right)[side]
        for n in indices:
            if n not in known:
                text = sentences[n].text
                found = self._substance_of.get(text)
                if found is None:  # the same sentence on both sides is judged once
                    found = self._substance_of[text] = has_substance(text, self.config)
                known[n] = found
        return [n for n in indices if known[n]]

    def anchors(self, seconds: float) -> list[Pair]:
        """Identical substantive sentences in order."""
        # Only keys both sides have can anchor: dropping the others leaves the same common subsequence and spares
        # the diff its worst case (two unrelated texts). Substance is judged after, on the shared ones only.
        shared = {self.left[i].key for i in self.active_left} & {self.right[j].key for j in self.active_right}
        lefts = self.substantive(0, [i for i in self.active_left if self.left[i].key in shared])
        rights = self.substantive(1, [j for j in self.active_right if self.right[j].key in shared])
        shared = {self.left[i].key for i in lefts} & {self.right[j].key for j in rights}
        lefts = [i for i in lefts if self.left[i].key in shared]
        rights = [j for j in rights if self.right[j].key in shared]
        pairs: list[Pair] = []
        # The first pass finds the longest common run in order; each further pass pairs, in order, identical
        # sentences the passes before left over (a moved block, a repeated byline inside it), until none is left.
        # The passes share the anchoring's seconds; the first always runs, the others only while time is left.
        ends = time.perf_counter() + seconds
        for number in range(self.config.anchor_passes):
            left_over = ends - time.perf_counter()
            if number and left_over <= 0:
                break
            found = exact_anchors([self.left[i].key for i in lefts], [self.right[j].key for j in rights],
                                  max(left_over, self.config.small_diff_seconds))
            if not found:
                break
            pairs.extend(Pair(lefts[i], lefts[i] + 1, rights[j], rights[j] + 1, 1.0) for i, j in found)
            taken = ({i for i, _ in found}, {j for _, j in found})
            lefts = [n for k, n in enumerate(lefts) if k not in taken[0]]
            rights = [n for k, n in enumerate(rights) if k not in taken[1]]
        return pairs

    def similar(self, anchors: Sequence[Pair]) -> list[Pair]:
        """Pairs of unanchored substantive sentences by similarity (changed, then reworded), grown over splits."""
        free_left = self.substantive(0, sorted(set(self.active_left) - {p.left for p in anchors}))
        free_right = self.substantive(1, sorted(set(self.active_right) - {p.right for p in anchors}))
        gaps = (gap_numbers(len(self.left), [p.left for p in anchors]),
                gap_numbers(len(self.right), [p.right for p in anchors]))
        scored, near = self._candidates(free_left, free_right)
        # The calibrated judge adds the same facts told in other words that word and term overlap miss; its
        # probabilities and the term scores are on other scales, so each is ranked and checked on its own.
        judged = {ij: chance for ij, chance in (self.same_fact(free_left, free_right) or {}).items()
                  if ij not in scored}
        scored.update((ij, ("reworded", chance)) for ij, chance in judged.items())
        bests: dict[bool, tuple[defaultdict[int, float], defaultdict[int, float]]] = {
            source: (defaultdict(float), defaultdict(float)) for source in (False, True)}
        for (i, j), (tier, score) in scored.items():
            if tier == "reworded":
                best = bests[(i, j) in judged]
                best[0][i] = max(best[0][i], score)
                best[1][j] = max(best[1][j], score)

        def rank(ij: tuple[int, int]) -> tuple[int, bool, float, bool, float, tuple[int, int]]:
            """Better tier, word evidence before the judge, higher score, same gap between anchors, closer
            relative position, then position."""
            tier, score = scored[ij]
            drift = abs(ij[0] / max(len(self.left), 1) - ij[1] / max(len(self.right), 1))
            return _TIERS.index(tier), ij in judged, -score, gaps[0][ij[0]] != gaps[1][ij[1]], drift, ij

        order = sorted(scored, key=rank)
        taken: tuple[set[int], set[int]] = (set(), set())
        pairs: list[Pair] = []
        for i, j in order:
            tier, score = scored[(i, j)]
            if i in taken[0] or j in taken[1]:
                continue
            # A reworded pair must be each side's best match: a false pairing is worse than a miss.
            best = bests[(i, j) in judged]
            if tier == "reworded" and (score < best[0][i] or score < best[1][j]):
                continue
            taken[0].add(i)
            taken[1].add(j)
            pairs.append(Pair(i, i + 1, j, j + 1, score, tier=tier, judged=(i, j) in judged))
        # Near misses may be one half of a split sentence: they pair only if a neighbour completes them.
        # The free sentences are kept up to date as pairs take them (copying them for each near miss was O(n²):
        # 40,000 repeated paragraphs took 40 s, outside the time budget); _neighbours never looks at i or j.
        free = (set(free_left) - taken[0], set(free_right) - taken[1])
        for i, j in sorted(near, key=lambda ij: (-near[ij], ij)):
            if i in taken[0] or j in taken[1]:
                continue
            seed = Pair(i, i + 1, j, j + 1, 0.0, tier="reworded")
            for candidate, side, added in _neighbours(seed, *free):
                grown = self._grown(seed, candidate, side, added)
                if grown is not None:
                    taken[0].update(range(grown.left, grown.left_end))
                    taken[1].update(range(grown.right, grown.right_end))
                    free[0].difference_update(range(grown.left, grown.left_end))
                    free[1].difference_update(range(grown.right, grown.right_end))
                    pairs.append(grown)
                    break
        return self.extend(pairs, set(free_left) - taken[0], set(free_right) - taken[1])

    def translated(self, anchors: Sequence[Pair], languages: tuple[str, str]) -> list[Pair]:
        """Pairs of unanchored sentences of two languages that state the same fact (no word overlap tiers: a
        translation shares no words; see ``parallax.engine.translation``)."""
        free_left = sorted(set(self.active_left) - {p.left for p in anchors})
        free_right = sorted(set(self.active_right) - {p.right for p in anchors})
        found = translated_pairs([s.text for s in self.left], [s.text for s in self.right], free_left, free_right,
                                 languages, self.config)
        return [Pair(i, i + 1, j, j + 1, chance, tier="reworded", judged=True) for i, j, chance in found or ()]

    def lookup(self, free_left: Sequence[int], free_right: Sequence[int]) -> list[tuple[int, int]]:
        """Candidate pairs, looked up from both sides through each sentence's rarest terms the other side also
        has (a sentence's own rare words would find nothing), those sharing most of them first."""
        postings: tuple[defaultdict[str, list[int]], defaultdict[str, list[int]]] = (defaultdict(list),
                                                                                  defaultdict(list))
        step = 0
        for side, free in ((0, free_left), (1, free_right)):
            for n in free:
                step += 1
                if self.out_of_time(step):
                    return []
                for term in self.profile(side, n).terms:
                    postings[side][term].append(n)
        frequency = {term: len(postings[0].get(term, ())) + len(postings[1].get(term, ()))
                     for side in (0, 1) for term in postings[side]}
        # Rarest first, ties by the term itself: one rank per term, so each lookup sorts with a C-level key.
        rank = {term: n for n, term in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))}
        found: dict[tuple[int, int], None] = {}
        for side, free in ((0, free_left), (1, free_right)):
            other = postings[1 - side]
            for n in free:
                step += 1
                if self.out_of_time(step):
                    return list(found)
                shared = heapq.nsmallest(self.config.rare_terms, (t for t in self.profile(side, n).terms if t in other),
                                         key=rank.__getitem__)
                hits: Counter[int] = Counter()
                looked = 0
                for term in shared:
                    if len(other[term]) <= self.config.max_postings:
                        hits.update(other[term])
                        looked += 1
                # Every tier needs several shared terms: one shared rare term alone is no candidate.
                least = min(looked, self.config.min_candidate_hits)
                strong = [(-count, m) for m, count in hits.items() if count >= least]
                for _, m in heapq.nsmallest(self.config.max_candidates, strong):
                    found[(n, m) if side == 0 else (m, n)] = None
        return list(found)

    def same_fact(self, free_left: Sequence[int], free_right: Sequence[int]) -> dict[tuple[int, int], float] | None:
        """Pairs the calibrated judge finds state the same fact, with its probability; None when it cannot judge
        (no encoders, more free sentences than ``judge_max_sentences`` a side, or no time left)."""
        free_left = [i for i in free_left if not meaning.is_heading(self.left[i].text)]
        free_right = [j for j in free_right if not meaning.is_heading(self.right[j].text)]
        if not free_left or not free_right:
            return {}
        if max(len(free_left), len(free_right)) > self.config.judge_max_sentences or self.remaining() <= 0:
            return None
        values = meaning.features([self.profile(0, i) for i in free_left], [self.profile(1, j) for j in free_right],
                                  [i / max(len(self.left), 1) for i in free_left],
                                  [j / max(len(self.right), 1) for j in free_right])
        if values is None:
            return None
        chances = meaning.probability(values, self.config)
        found = np.argwhere(chances >= self.config.judge_threshold)
        return {(free_left[a], free_right[b]): float(chances[a, b]) for a, b in found}

    def _candidates(self, free_left: Sequence[int], free_right: Sequence[int]
                    ) -> tuple[dict[tuple[int, int], tuple[str, float]], dict[tuple[int, int], float]]:
        """Judged candidate pairs (see ``lookup``), and the near misses (enough shared terms to be half of a split
        sentence) with their term score."""
        seen = {ij: lexical(self.profile(0, ij[0]), self.profile(1, ij[1]), self.config)
                for ij in self.lookup(free_left, free_right)}
        judged: dict[tuple[int, int], tuple[str, float]] = {}
        near: dict[tuple[int, int], float] = {}
        encoders.CACHES["wordllama"].vectors([self.profile(side, n).text for ij, evidence in seen.items()
                                              if evidence.needs_meaning for side, n in enumerate(ij)])
        for step, (ij, evidence) in enumerate(seen.items(), 1):
            if self.out_of_time(step):
                break
            meaning = (meaning_similarity(self.profile(0, ij[0]).text, self.profile(1, ij[1]).text)
                       if evidence.needs_meaning else None)
            tier, score = settle(evidence, meaning, self.config)
            if tier is not None:
                judged[ij] = (tier, score)
            elif score >= self.config.reworded_min_terms:
                near[ij] = score
        return judged, near

    def extend(self, pairs: list[Pair], free_left: set[int], free_right: set[int]) -> list[Pair]:
        """Grow pairs over adjacent free sentences that themselves share content with the other side."""
        grown: list[Pair] = []
        for pair in pairs:
            improved = True
            while improved:
                improved = False
                for candidate, side, added in _neighbours(pair, free_left, free_right):
                    if (candidate.left_end - candidate.left > self.config.extend_max_span
                            or candidate.right_end - candidate.right > self.config.extend_max_span):
                        continue
                    found = self._grown(pair, candidate, side, added)
                    if found is not None:
                        (free_left, free_right)[side].discard(added)
                        pair, improved = found, True
                        break
            grown.append(pair)
        return grown

    def _grown(self, pair: Pair, candidate: Pair, side: int, added: int) -> Pair | None:
        """The candidate with its tier and score if the added sentence belongs with the pair, else None."""
        other = self._span(1 - side, *((candidate.right, candidate.right_end) if side == 0
                                        else (candidate.left, candidate.left_end)))
        own = self.profile(side, added)
        share, _ = weighted_overlap(own.terms, other.terms)
        if not own.total or share / own.total < self.config.extend_min_share:
            return None
        left = self._span(0, candidate.left, candidate.left_end)
        right = self._span(1, candidate.right, candidate.right_end)
        tier, score = judge(left, right, self.config)
        if tier is None:
            return None
        # The span must not read worse than the pair; a pair the judge found is scored on another scale, so only
        # its tier is held (the added sentence's own share above keeps unrelated neighbours out).
        if _TIERS.index(tier) > _TIERS.index(pair.tier) or (tier == pair.tier and score < pair.score
                                                             and not pair.judged):
            return None
        if pair.judged:
            return replace(candidate, tier=tier)
        return replace(candidate, score=score, tier=tier)

    def _span(self, side: int, start: int, end: int) -> Profile:
        """The profile of a run of sentences read as one."""
        if end - start == 1:
            return self.profile(side, start)
        sentences = (self.left, self.right)[side][start:end]
        text = "".join(s.text for s in sentences)
        return profile(text, " ".join(s.key for s in sentences), self.config)

    def fill_gaps(self, pairs: list[Pair]) -> list[Pair]:
        """In each gap between in-order pairs, pair the remaining identical sentences in order (list numbers,
        short lines), then remaining sentences without substance one to one where both sides have equally many."""
        used = ({n for p in pairs for n in range(p.left, p.left_end)},
                {n for p in pairs for n in range(p.right, p.right_end)})
        left_active, right_active = set(self.active_left), set(self.active_right)
        fences = sorted((p for p in pairs if not p.moved), key=lambda p: p.left)
        starts = [(0, 0), *((p.left_end, p.right_end) for p in fences)]
        limits = [*((p.left, p.right) for p in fences), (len(self.left), len(self.right))]
        added: list[Pair] = []
        for (i0, j0), (i1, j1) in zip(starts, limits, strict=True):
            lefts = [i for i in range(i0, i1) if i in left_active and i not in used[0]]
            rights = [j for j in range(j0, j1) if j in right_active and j not in used[1]]
            if lefts and rights:
                added.extend(self._fill(lefts, rights))
        return sorted([*pairs, *added], key=lambda p: p.left)

    def _fill(self, lefts: list[int], rights: list[int]) -> list[Pair]:
        """Pairs within one gap: identical keys in order, then replaced runs of equal length without substance."""
        if not {self.left[i].key for i in lefts} & {self.right[j].key for j in rights}:
            # Nothing identical: the whole gap is one replaced run (no diff needed, which unrelated texts make slow).
            if len(lefts) == len(rights) and all(self._filler(0, i) for i in lefts) and all(
                    self._filler(1, j) for j in rights):
                return [Pair(i, i + 1, j, j + 1, dice(self.profile(0, i).surface, self.profile(1, j).surface),
                             tier="changed") for i, j in zip(lefts, rights, strict=True)]
            return []
        encoder = Encoder()
        runs = diff_codes(encoder.encode([self.left[i].key for i in lefts]),
                          encoder.encode([self.right[j].key for j in rights]), self.config.small_diff_seconds,
                          semantic=False)
        out: list[Pair] = []
        a = b = 0
        pending: tuple[list[int], list[int]] = ([], [])
        for op, length in [*runs, ("=", 0)]:
            if op == "=":
                if len(pending[0]) == len(pending[1]) and all(
                        self._filler(0, i) for i in pending[0]) and all(self._filler(1, j) for j in pending[1]):
                    for i, j in zip(*pending, strict=True):
                        out.append(Pair(i, i + 1, j, j + 1, dice(self.profile(0, i).surface,
                                                                   self.profile(1, j).surface), tier="changed"))
                pending = ([], [])
                out.extend(Pair(lefts[a + k], lefts[a + k] + 1, rights[b + k], rights[b + k] + 1, 1.0)
                           for k in range(length))
                a, b = a + length, b + length
            elif op == "-":
                pending[0].extend(lefts[a:a + length])
                a += length
            else:
                pending[1].extend(rights[b:b + length])
                b += length
        return out

    def _filler(self, side: int, index: int) -> bool:
        """Whether a sentence may pair by position alone: no substance (a list number), and not a credit line."""
        sentence = (self.left, self.right)[side][index]
        return not self.substantive(side, [index]) and not is_credit(sentence.text, self.config)


def _neighbours(pair: Pair, free_left: set[int], free_right: set[int]) -> list[tuple[Pair, int, int]]:
    """The pair extended by one adjacent free sentence, in each of four directions, with the side and index added."""
    options: list[tuple[Pair, int, int]] = []
    if pair.left - 1 in free_left:
        options.append((replace(pair, left=pair.left - 1), 0, pair.left - 1))
    if pair.left_end in free_left:
        options.append((replace(pair, left_end=pair.left_end + 1), 0, pair.left_end))
    if pair.right - 1 in free_right:
        options.append((replace(pair, right=pair.right - 1), 1, pair.right - 1))
    if pair.right_end in free_right:
        options.append((replace(pair, right_end=pair.right_end + 1), 1, pair.right_end))
    return options


def gap_numbers(count: int, anchors: Sequence[int]) -> dict[int, int]:
    """For each sentence index, how many anchors stand before it (which gap between anchors it is in)."""
    anchored = sorted(anchors)
    return {index: bisect_left(anchored, index) for index in range(count)}


def align(left: Sequence[Sentence], right: Sequence[Sentence], active_left: Sequence[int],
          active_right: Sequence[int], remaining: Callable[[], float], similar: bool = True,
          config: EngineConfig = ENGINE, languages: tuple[str, str] | None = None) -> tuple[list[Pair], Pairing]:
    """All pairs sorted by left index with moved ones flagged, and how far similarity pairing got in the time.

    Runs in canonical orientation and mirrors the result, so swapping the sides swaps the pairs and nothing else.
    ``languages``, given when the two sides are in different languages, pairs sentences across them.
    """
    if not canonical_order(left, right):
        mirrored, how_far = align(right, left, active_right, active_left, remaining, similar, config,
                                  languages[::-1] if languages else None)
        return sorted((p.mirrored() for p in mirrored), key=lambda p: p.left), how_far
    aligner = Aligner(left, right, active_left, active_right, config, remaining)
    pairs = aligner.anchors(max(remaining(), config.anchor_floor))
    done: Pairing = "skipped"
    if similar and remaining() > 0:
        pairs = pairs + (aligner.translated(pairs, languages) if languages else aligner.similar(pairs))
        done = "partial" if aligner.cut_short else "complete"
    pairs = aligner.fill_gaps(mark_moved(pairs))
    leftover = leftover_identical(pairs, left, right, active_left, active_right, config)
    return moved_blocks(pairs + leftover, left, right), done
