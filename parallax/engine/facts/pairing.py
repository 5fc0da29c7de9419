"""Fact differences of two aligned sentences: each reader's mentions paired across the sides, reported once.

Mentions are matched across the two sides by normalised keys through dictionaries (all-pairs only for a handful of
leftovers), then leftovers are paired in reading order. Every reported span indexes the given string exactly:
``left[start:end] == diff.left``.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from parallax.engine.facts.attribution import SPEECH_GATE, attribution_diffs
from parallax.engine.facts.dates import DATE_GATE, date_mentions, dates_agree
from parallax.engine.facts.mention import FactDiff, Mention, fact_diff, words
from parallax.engine.facts.names import name_mentions, person_references, unmatched_names, unreferred
from parallax.engine.facts.numbers import NUMBER_GATE, number_mentions, numbers_agree
from parallax.engine.facts.quotes import quote_diffs
from parallax.model import FactKind

#: Kinds in the order they are reported; a later diff wholly inside earlier ones' spans is not reported again.
REPORT_ORDER: tuple[FactKind, ...] = ("number", "date", "attribution", "name", "quote")


def pair_leftovers(kind: FactKind, left: str, right: str, lefts: list[Mention], rights: list[Mention],
                    agree: Callable[[Any, Any], bool]) -> list[FactDiff]:
    """Cancel mentions with equal or agreeing keys, pair the rest by group then reading order, report the rest."""
    by_key: dict[Any, list[int]] = defaultdict(list)
    for n, mention in enumerate(rights):
        by_key[mention.key].append(n)
    taken = [False] * len(rights)
    rest: list[Mention] = []
    for mention in lefts:
        slot = by_key.get(mention.key)
        if slot:
            taken[slot.pop()] = True
        else:
            rest.append(mention)
    others = [m for n, m in enumerate(rights) if not taken[n]]
    if kind in ("date", "number") and rest and others and len(rest) * len(others) <= 64:
        rest, others = _cancel_agreeing(rest, others, agree)
    pairs: list[tuple[Mention | None, Mention | None]] = []
    grouped: dict[str, deque[Mention]] = defaultdict(deque)
    for mention in others:
        grouped[mention.group].append(mention)
    unpaired_left: list[Mention] = []
    for mention in rest:
        bucket = grouped.get(mention.group)
        if bucket:
            pairs.append((mention, bucket.popleft()))
        else:
            unpaired_left.append(mention)
    left_over = [m for bucket in grouped.values() for m in bucket]
    left_over.sort(key=lambda m: m.start)
    for n, mention in enumerate(unpaired_left):
        pairs.append((mention, left_over[n] if n < len(left_over) else None))
    pairs.extend((None, m) for m in left_over[len(unpaired_left):])
    return [fact_diff(kind, left, right, (a.start, a.end) if a else None, (b.start, b.end) if b else None)
            for a, b in sorted(pairs, key=_pair_start)]


def _pair_start(pair: tuple[Mention | None, Mention | None]) -> int:
    """Where a pair of mentions starts (its left one, else its right one), for reading order."""
    first = pair[0] or pair[1]
    return first.start if first else 0


def _cancel_agreeing(rest: list[Mention], others: list[Mention],
                     agree: Callable[[Any, Any], bool]) -> tuple[list[Mention], list[Mention]]:
    """Drop pairs whose keys agree though not equal (few mentions only: this is all-pairs)."""
    kept: list[Mention] = []
    free = list(others)
    for mention in rest:
        for n, other in enumerate(free):
            if agree(mention.key, other.key):
                del free[n]
                break
        else:
            kept.append(mention)
    return kept, free


def _covered(diff: FactDiff, cover: tuple[bytearray, bytearray]) -> bool:
    """Whether a diff's spans lie wholly inside spans already reported."""
    spans = [(span, mask) for span, mask in ((diff.left_span, cover[0]), (diff.right_span, cover[1])) if span]
    return bool(spans) and all(span[1] > span[0] and 0 not in mask[span[0]:span[1]] for span, mask in spans)


def _mark(diff: FactDiff, cover: tuple[bytearray, bytearray]) -> None:
    """Record a reported diff's spans."""
    for span, mask in ((diff.left_span, cover[0]), (diff.right_span, cover[1])):
        if span:
            mask[span[0]:span[1]] = b"\x01" * (span[1] - span[0])


def _dedupe(diffs: Iterable[FactDiff], left: str, right: str) -> list[FactDiff]:
    """Diffs in kind order, each dropped when earlier kinds already cover its text on every side it has."""
    ordered = sorted(diffs, key=lambda d: REPORT_ORDER.index(d.kind))
    if len({d.kind for d in ordered}) < 2:
        return ordered
    cover = (bytearray(len(left)), bytearray(len(right)))
    kept: list[FactDiff] = []
    for diff in ordered:
        if not _covered(diff, cover):
            kept.append(diff)
            _mark(diff, cover)
    return kept

def _gates(text: str) -> tuple[bool, bool, bool]:
    """Whether a text can hold (numbers, dates, attributions): a word-set test that spares most sentences most
    of the work."""
    seen = {word for _, word in words(text)}
    digits = any(word[0].isdigit() for word in seen)
    return (digits or not seen.isdisjoint(NUMBER_GATE), digits or not seen.isdisjoint(DATE_GATE),
            not seen.isdisjoint(SPEECH_GATE))


def fact_differences(left: str, right: str) -> list[FactDiff]:
    """The facts that differ between two aligned sentences: numbers, dates, names, quoted words, attribution.

    Decomposed accents ("Mu\u0308ller") are read as their composed form, so NFD and NFC text state the same facts;
    spans still index the given strings."""
    if left == right:
        return []
    if unicodedata.is_normalized("NFC", left) and unicodedata.is_normalized("NFC", right):
        return _fact_differences(left, right)
    (left_nfc, left_map), (right_nfc, right_map) = _nfc_map(left), _nfc_map(right)
    return [fact_diff(d.kind, left, right, _unmap(d.left_span, left_map), _unmap(d.right_span, right_map),
                  quoted=d.kind == "quote") for d in _fact_differences(left_nfc, right_nfc)]


def _nfc_map(text: str) -> tuple[str, tuple[list[int], list[int]]]:
    """NFC form of a text, composed a cluster (a character and its combining marks) at a time, with where each
    character of that form starts and ends in the given text."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (unicodedata.combining(text[j]) or "\u1160" <= text[j] <= "\u11ff"):
            j += 1  # combining marks and Hangul vowel/final jamo compose with what precedes them
        piece = unicodedata.normalize("NFC", text[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(out), (starts, ends)


def _unmap(span: tuple[int, int] | None, where: tuple[list[int], list[int]]) -> tuple[int, int] | None:
    """A span of a text's NFC form as a span of the text itself."""
    if span is None:
        return None
    if span[1] <= span[0]:  # an empty span: where its position falls
        at = where[0][span[0]] if span[0] < len(where[0]) else (where[1][-1] if where[1] else 0)
        return at, at
    return where[0][span[0]], where[1][span[1] - 1]


def _fact_differences(left: str, right: str) -> list[FactDiff]:
    """fact_differences of two texts in NFC form."""
    if left == right:
        return []
    gates = [a or b for a, b in zip(_gates(left), _gates(right), strict=True)]
    left_dates, right_dates = (date_mentions(left), date_mentions(right)) if gates[1] else ([], [])
    attributions, same_left, same_right = attribution_diffs(left, right) if gates[2] else ([], [], [])
    numbers = pair_leftovers("number", left, right, number_mentions(left, [(m.start, m.end) for m in left_dates]),
                              number_mentions(right, [(m.start, m.end) for m in right_dates]),
                              numbers_agree) if gates[0] else []
    diffs = [*numbers, *pair_leftovers("date", left, right, left_dates, right_dates, dates_agree), *attributions]
    # A name inside an attribution both sides share ("Kremlin spokesman Dmitry Peskov" / "Mr Peskov") is the
    # wording of one speaker, not a fact: such names match but are never reported.
    left_names = _quieten(name_mentions(left), same_left)
    right_names = _quieten(name_mentions(right), same_right)
    # A person one side names and the other calls "he" or "the North Korean leader" is no name difference.
    left_missing, right_missing = unmatched_names(left_names, right_names), unmatched_names(right_names, left_names)
    left_refs, right_refs = person_references(left), person_references(right)
    left_missing = unreferred(left_missing, (right_refs - left_refs).total())
    right_missing = unreferred(right_missing, (left_refs - right_refs).total())
    diffs.extend(fact_diff("name", left, right, (m.start, m.end), None) for m in left_missing)
    diffs.extend(fact_diff("name", left, right, None, (m.start, m.end)) for m in right_missing)
    diffs.extend(quote_diffs(left, right))
    return _dedupe(diffs, left, right)


def _quieten(names: list[Mention], speakers: Sequence[Mention]) -> list[Mention]:
    """Names with those inside the given attributions marked as never to be reported (group 'quiet')."""
    if not speakers:
        return names
    spans = sorted((m.start, m.end) for m in speakers)
    out: list[Mention] = []
    cursor = 0
    for name in names:
        while cursor < len(spans) and spans[cursor][1] <= name.start:
            cursor += 1
        inside = cursor < len(spans) and spans[cursor][0] <= name.start and name.end <= spans[cursor][1]
        out.append(Mention(name.start, name.end, name.text, name.key, "quiet") if inside else name)
    return out

