"""Word-level changes inside quotations both sentences carry (quoted spans paired by the words they share)."""

from __future__ import annotations

import re

from parallax.engine.diffing import Encoder, diff_codes
from parallax.engine.facts.mention import MAX_QUOTES, FactDiff, fact_diff
from parallax.engine.lexicon import QUOTE_MARKS, quote_spans
from parallax.engine.similarity import dice

#: Dice of word sets two quoted spans need to be read as the same quote worded differently.
QUOTE_PAIR_DICE = 0.3
#: Seconds one quote's word diff may take.
QUOTE_DIFF_SECONDS = 0.02

_QUOTE_WORD_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def _quoted(text: str) -> list[tuple[int, int, list[re.Match[str]]]]:
    """Quoted spans of a text (at most MAX_QUOTES) with their words."""
    if not any(c in text for c in QUOTE_MARKS):
        return []
    spans = quote_spans(text)[:MAX_QUOTES]
    return [(start, end, list(_QUOTE_WORD_RE.finditer(text, start, end))) for start, end, _ in spans]


def quote_diffs(left: str, right: str) -> list[FactDiff]:
    """Word-level changes inside quotes both sides carry (quotes paired by shared words)."""
    lefts, rights = _quoted(left), _quoted(right)
    if not lefts or not rights:
        return []
    diffs: list[FactDiff] = []
    used: set[int] = set()
    for _, _, left_words in lefts:
        left_set = {w.group(0).casefold() for w in left_words}
        scored = [(dice(left_set, {w.group(0).casefold() for w in words}), n) for n, (_, _, words) in enumerate(rights)
                  if n not in used]
        if not scored:
            break
        best, n = max(scored)
        if best < QUOTE_PAIR_DICE:
            continue
        used.add(n)
        diffs.extend(_word_hunks(left, right, left_words, rights[n][2]))
    return diffs


def _word_hunks(left: str, right: str, a: list[re.Match[str]], b: list[re.Match[str]]) -> list[FactDiff]:
    """FactDiffs for each changed run of words between two quotes' word lists."""
    encoder = Encoder()
    fold = str.maketrans("’", "'")
    runs = diff_codes(encoder.encode([w.group(0).casefold().translate(fold) for w in a]),
                      encoder.encode([w.group(0).casefold().translate(fold) for w in b]), QUOTE_DIFF_SECONDS,
                      semantic=False)
    diffs: list[FactDiff] = []
    i = j = 0
    pending_a: tuple[int, int] | None = None
    pending_b: tuple[int, int] | None = None
    for op, length in [*runs, ("=", 0)]:
        if op == "-":
            pending_a = (i, i + length)
            i += length
        elif op == "+":
            pending_b = (j, j + length)
            j += length
        else:
            if pending_a or pending_b:
                left_span = (a[pending_a[0]].start(), a[pending_a[1] - 1].end()) if pending_a else None
                right_span = (b[pending_b[0]].start(), b[pending_b[1] - 1].end()) if pending_b else None
                diffs.append(fact_diff("quote", left, right, left_span, right_span, quoted=True))
            pending_a = pending_b = None
            i += length
            j += length
    return diffs

