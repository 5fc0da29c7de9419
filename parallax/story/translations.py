"""A quotation and its translations: quote groups of different languages joined when they say the same thing.

Within one language quotes group by the words they share (``parallax.story.quotes``); a translation shares none,
so groups of two languages are compared by the multilingual sentence encoder, and a group joins the other
language's group it is closest to when their speakers can be one person (names compared across scripts) and the
closeness reaches ``TRANSLATION_COSINE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np

from parallax.engine import encoders
from parallax.engine.facts.across import fold_name_word
from parallax.languages import primary

#: Multilingual USE cosine from which two quotes of two languages are one quotation translated. On the labelled
#: sentence translations of bench/data/real/xlang (dev half) 88% of translations reach 0.60 and under 1% of other
#: sentence pairs of the same articles do (their highest: 0.70); a group must also be the other's closest.
TRANSLATION_COSINE = 0.6


class QuoteLike(Protocol):
    """What joining translations reads of a quote."""

    @property
    def text(self) -> str: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def language(self) -> str: ...


def _speaker_keys(cluster: Sequence[QuoteLike]) -> set[str]:
    """The transliterated surname keys of a group's speakers."""
    return {fold_name_word(q.speaker.split()[-1]) for q in cluster if q.speaker and q.speaker.split()}


Q = TypeVar("Q", bound=QuoteLike)


def join_translations(clusters: list[list[Q]]) -> list[list[Q]]:
    """The groups with each group of one language merged into its closest group of another language when that is
    its translation (see the module docstring); groups keep their first-seen order."""
    languages = [{primary(q.language) for q in cluster} for cluster in clusters]
    if len(set().union(*languages)) < 2:
        return clusters
    vectors = encoders.CACHES["use"].vectors([cluster[0].text for cluster in clusters])
    if vectors is None:
        return clusters
    closeness = vectors @ vectors.T
    speakers = [_speaker_keys(cluster) for cluster in clusters]
    allowed = np.array([[bool(languages[a].isdisjoint(languages[b])) and (
        not speakers[a] or not speakers[b] or bool(speakers[a] & speakers[b])) for b in range(len(clusters))]
        for a in range(len(clusters))])
    scores = np.where(allowed, closeness, -1.0)
    parent = list(range(len(clusters)))
    for a in range(len(clusters)):
        b = int(scores[a].argmax())
        if scores[a, b] >= TRANSLATION_COSINE and int(scores[b].argmax()) == a and a < b:
            parent[b] = parent[a]
    merged: dict[int, list[Q]] = {}
    for n, cluster in enumerate(clusters):
        root = n
        while parent[root] != root:
            root = parent[root]
        merged.setdefault(root, []).extend(cluster)
    return list(merged.values())
