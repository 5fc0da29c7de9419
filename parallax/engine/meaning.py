"""The same fact told in other words: a calibrated judge over sentence encoders, shared terms and context.

Word overlap finds edited sentences; two outlets reporting one fact often share few words ("At least 36 people
have died..." / "At least 28 people have died..."). For the unanchored sentences of two texts this module builds,
for every left/right pair, features a reader would weigh — how close the two encoders place them, the rare terms
and names they share (numbers are not evidence against: differing numbers are a fact difference to show), whether
each is the other's best match and by how much, whether their neighbours match, how far apart they stand — and a
logistic model calibrated on real news (bench/calibrate_judge.py, dev half of bench/data/real/cross) turns them
into the probability that the two state the same fact. Sentences of two languages have features of their own
(``across_features``) and weights of their own, fitted on translated news (dev half of bench/data/real/xlang).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from parallax.engine import encoders
from parallax.engine.config import ENGINE, EngineConfig
from parallax.engine.similarity import Profile

#: Feature names, in the order of the calibrated weights (EngineConfig.judge_weights).
FEATURES = ("cos_use", "cos_wordllama", "terms", "cover", "names", "numbers", "best_row", "best_col", "top3_row",
            "top3_col", "margin_row", "margin_col", "context", "drift", "length")
#: Features of two sentences in different languages (EngineConfig.across_weights): only what survives translation
#: (the multilingual encoder, transliterated names and numbers shared, ranks, margins, context, place, length
#: relative to each text's own sentences).
ACROSS_FEATURES = ("cos_use", "names", "numbers", "best_row", "best_col", "top3_row", "top3_col", "margin_row",
                   "margin_col", "context", "drift", "length")


#: A line that ends without a sentence's closing mark (a heading, a label, a caption credit) and is this short.
HEADING_WORDS = 14
_CLOSED = re.compile(r"[.!?…:;\"”’»)\]]\s*$")


def is_heading(text: str) -> bool:
    """Whether a line is a heading or label rather than a sentence ("LIVE UPDATES ON INVASION", "Gains for far
    right"): on real news such lines are what the judge pairs wrongly most often (two outlets' section heads share
    the story's words without stating one fact), so only their wording pairs them, never the judge."""
    return not _CLOSED.search(text) and len(text.split()) < HEADING_WORDS


def _ranks(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Each cell's rank in its row (axis 1) or column (axis 0), 0 for the highest."""
    order = np.argsort(-matrix, axis=axis, kind="stable")
    return np.argsort(order, axis=axis, kind="stable")


def _margins(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Each cell minus the best other cell of its row (axis 1) or column (axis 0)."""
    if matrix.shape[axis] < 2:
        return np.zeros_like(matrix)
    top = np.sort(matrix, axis=axis)
    first = np.take(top, [-1], axis=axis)
    second = np.take(top, [-2], axis=axis)
    return matrix - np.where(matrix >= first, second, first)


def _terms(profile: Profile) -> dict[str, float]:
    """A profile's weighted terms without numbers (a number is a fact, not the wording)."""
    return {term: weight for term, weight in profile.terms.items() if not term[0].isdigit()}


def _numbers(profile: Profile) -> set[str]:
    return {term for term in profile.terms if term[0].isdigit()}


def features(left: Sequence[Profile], right: Sequence[Profile], left_place: Sequence[float],
             right_place: Sequence[float]) -> np.ndarray | None:
    """Features (n x m x len(FEATURES)) of every pair of left and right sentences; None without the encoders.

    ``left_place`` and ``right_place`` say where each sentence stands in its text (0 at the start, 1 at the end).
    """
    n, m = len(left), len(right)
    cosines = []
    for name in ("use", "wordllama"):
        vectors = encoders.CACHES[name].vectors([p.text for p in [*left, *right]])
        if vectors is None:
            return None
        cosines.append(vectors[:n] @ vectors[n:].T)
    closeness = (cosines[0] + cosines[1]) / 2
    terms = np.zeros((n, m))
    cover = np.zeros((n, m))
    names = np.zeros((n, m))
    numbers = np.zeros((n, m))
    left_terms, right_terms = [_terms(p) for p in left], [_terms(p) for p in right]
    left_numbers, right_numbers = [_numbers(p) for p in left], [_numbers(p) for p in right]
    for i, a in enumerate(left_terms):
        total_a = sum(a.values())
        for j, b in enumerate(right_terms):
            shared = a.keys() & b.keys()
            if shared:
                total_b = sum(b.values())
                weight = sum(a[t] + b[t] for t in shared) / 2
                terms[i, j] = 2 * weight / (total_a + total_b)
                cover[i, j] = weight / max(min(total_a, total_b), 1e-9)
                names[i, j] = len(left[i].names & right[j].names)
            if left_numbers[i] and right_numbers[j]:
                numbers[i, j] = len(left_numbers[i] & right_numbers[j])
    drift = np.abs(np.asarray(left_place, dtype=float)[:, None] - np.asarray(right_place, dtype=float)[None, :])
    left_len = np.array([len(p.text) for p in left], dtype=float)
    right_len = np.array([len(p.text) for p in right], dtype=float)
    length = np.minimum(left_len[:, None], right_len[None, :]) / np.maximum(
        np.maximum(left_len[:, None], right_len[None, :]), 1.0)
    columns = [cosines[0], cosines[1], terms, cover, np.minimum(names, 3), np.minimum(numbers, 2),
               *_context_columns(closeness), drift, length]
    return np.stack([np.asarray(c, dtype=float) for c in columns], axis=-1)


def _context_columns(closeness: np.ndarray) -> list[np.ndarray]:
    """Best match in its row and column, among the top three, margins over the next best, neighbours' closeness."""
    row_rank, col_rank = _ranks(closeness, 1), _ranks(closeness, 0)
    padded = np.pad(closeness, 1)
    context = np.maximum(padded[:-2, :-2], padded[2:, 2:])
    return [row_rank == 0, col_rank == 0, row_rank <= 2, col_rank <= 2, _margins(closeness, 1),
            _margins(closeness, 0), context]


def across_features(left: Sequence[str], right: Sequence[str], languages: tuple[str, str],
                    left_place: Sequence[float], right_place: Sequence[float]) -> np.ndarray | None:
    """Features (n x m x len(ACROSS_FEATURES)) of every pair of sentences of two languages; None without the
    multilingual encoder. A sentence's length counts against its own text's median sentence (Chinese is short)."""
    from parallax.engine.facts.across import marks

    n = len(left)
    vectors = encoders.CACHES["use"].vectors([*left, *right])
    if vectors is None:
        return None
    cosine = vectors[:n] @ vectors[n:].T
    left_marks = [marks(text, languages[0]) for text in left]
    right_marks = [marks(text, languages[1]) for text in right]
    names = np.array([[len(a[1] & b[1]) for b in right_marks] for a in left_marks], dtype=float).reshape(cosine.shape)
    numbers = np.array([[len(a[0] & b[0]) for b in right_marks] for a in left_marks],
                       dtype=float).reshape(cosine.shape)
    drift = np.abs(np.asarray(left_place, dtype=float)[:, None] - np.asarray(right_place, dtype=float)[None, :])
    left_len = np.array([len(t) for t in left], dtype=float)
    right_len = np.array([len(t) for t in right], dtype=float)
    left_len, right_len = left_len / max(np.median(left_len), 1.0), right_len / max(np.median(right_len), 1.0)
    length = np.minimum(left_len[:, None], right_len[None, :]) / np.maximum(
        np.maximum(left_len[:, None], right_len[None, :]), 1e-9)
    columns = [cosine, np.minimum(names, 3), np.minimum(numbers, 3), *_context_columns(cosine), drift, length]
    return np.stack([np.asarray(c, dtype=float) for c in columns], axis=-1)


def probability(values: np.ndarray, config: EngineConfig = ENGINE, across: bool = False) -> np.ndarray:
    """The calibrated probability that each pair states the same fact (``across``: two languages' weights)."""
    if across:
        means, scales, weights, bias = (config.across_means, config.across_scales, config.across_weights,
                                        config.across_bias)
    else:
        means, scales, weights, bias = config.judge_means, config.judge_scales, config.judge_weights, config.judge_bias
    scaled = (values - np.asarray(means)) / np.asarray(scales)
    chances: np.ndarray = 1.0 / (1.0 + np.exp(-(scaled @ np.asarray(weights) + bias)))
    return chances
