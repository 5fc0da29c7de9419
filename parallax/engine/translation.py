"""Sentences of two languages paired as the same fact: the calibrated judge with its weights for two languages.

Within one language, word overlap finds edited and reworded sentences and the judge adds the rest; across
languages no word is shared, so pairs come from the judge alone: the multilingual encoder, names transliterated
and numbers read in both languages, each sentence's best match and margin, its neighbours and its place. A pair
must be each side's best and reach ``EngineConfig.across_threshold``.
"""

from __future__ import annotations

from collections.abc import Sequence

from parallax.engine import meaning
from parallax.engine.config import ENGINE, EngineConfig

#: Letters a sentence without spaces (Chinese, Japanese) needs to be judged; elsewhere, two words of letters.
MIN_LETTERS = 4


def substantive(text: str) -> bool:
    """Whether a sentence says enough to be paired across languages: two words, or a few letters of a script
    written without spaces."""
    letters = sum(1 for ch in text if ch.isalpha())
    return letters >= MIN_LETTERS and (len(text.split()) >= 2 or letters >= MIN_LETTERS * 2 or not text.isascii())


def translated_pairs(left: Sequence[str], right: Sequence[str], free_left: Sequence[int], free_right: Sequence[int],
                     languages: tuple[str, str], config: EngineConfig = ENGINE
                     ) -> list[tuple[int, int, float]] | None:
    """Pairs ``(i, j, probability)`` of free sentences that state the same fact in two languages, each the other's
    best; None when the judge cannot run (no encoder, more free sentences than ``judge_max_sentences``)."""
    lefts = [i for i in free_left if substantive(left[i])]
    rights = [j for j in free_right if substantive(right[j])]
    if not lefts or not rights:
        return []
    if max(len(lefts), len(rights)) > config.judge_max_sentences:
        return None
    values = meaning.across_features([left[i] for i in lefts], [right[j] for j in rights], languages,
                                     [i / max(len(left), 1) for i in lefts], [j / max(len(right), 1) for j in rights])
    if values is None:
        return None
    chances = meaning.probability(values, config, across=True)
    best_right, best_left = chances.argmax(1), chances.argmax(0)
    return [(lefts[a], rights[int(b)], float(chances[a, b])) for a, b in enumerate(best_right)
            if best_left[b] == a and chances[a, b] >= config.across_threshold]

