"""Facts read against the whole of both texts, named by outlet.

A row's fact differences come from its two sentences (``pairing``); a fact one row carries on one side only is a
fact of that side alone only when the other text states it nowhere (Press TV's lead lacks "Tuesday", but its next
paragraph says "on Tuesday": no fact is missing). The facts of a passage one side alone carries (a new paragraph
naming a person, a day and a month) are listed too, under that side's outlet. Each whole text is read sentence by
sentence with the readers' own keys, once per comparison and only when a one-sided fact asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from parallax.engine.facts.attribution import attribution_mentions, same_speaker
from parallax.engine.facts.dates import date_mentions, dates_agree
from parallax.engine.facts.mention import FactDiff, Mention, fact_diff
from parallax.engine.facts.names import name_mentions, name_wholes, with_alias_words
from parallax.engine.facts.numbers import number_mentions
from parallax.engine.facts.pairing import fact_differences
from parallax.engine.lexicon import quote_spans
from parallax.model import FactKind

#: Dates of the other text checked for agreement ("Sept. 12" against "September 12, 2023") per one-sided date.
MAX_AGREEING = 256
#: Kinds a passage one side alone carries lists, in this order (who speaks is listed as a name).
ONE_SIDED_ORDER: tuple[FactKind, ...] = ("date", "number", "name")
#: Words of a quoted span shown in its label when a passage one side alone carries quotes it.
QUOTE_LABEL_WORDS = 12

_QUOTE_WORD_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def _quote_words(text: str) -> str:
    """A text's words folded as the quote reader folds them, space-separated with a space at each end."""
    return " " + " ".join(_QUOTE_WORD_RE.findall(text.casefold().replace("\u2019", "'"))) + " "


class Mentions(NamedTuple):
    """What the fact readers find in one sentence, kind by kind."""

    numbers: list[Mention]
    dates: list[Mention]
    names: list[Mention]
    attributions: list[Mention]

    def of(self, kind: FactKind) -> list[Mention]:
        """The mentions of one kind (none for quotes: those are read by their words)."""
        return {"number": self.numbers, "date": self.dates, "name": self.names,
                "attribution": self.attributions}.get(kind, [])


@lru_cache(maxsize=8192)
def mentions(sentence: str) -> Mentions:
    """Every reader's mentions in one sentence (its NFC form), cached: a comparison reads each sentence of both
    texts, and the next comparison of the story reads most of them again."""
    text = unicodedata.normalize("NFC", sentence)
    dates = date_mentions(text)
    return Mentions(number_mentions(text, [(m.start, m.end) for m in dates]), dates,
                    [m for m in name_mentions(text) if m.group != "quiet"], attribution_mentions(text))


class WholeText:
    """The facts one whole text states, keyed as the fact readers key them: whether it carries a fact anywhere."""

    def __init__(self, sentences: Sequence[str]) -> None:
        """Read lazily from the text's sentences (each kind on its first question)."""
        self.sentences = sentences

    @cached_property
    def _dates(self) -> tuple[frozenset[Any], list[Any]]:
        keys = [m.key for s in self.sentences for m in mentions(s).dates]
        return frozenset(keys), [k for k in dict.fromkeys(keys) if k[0] == "date"][:MAX_AGREEING]

    @cached_property
    def _numbers(self) -> dict[tuple[Any, ...], set[str]]:
        units: dict[tuple[Any, ...], set[str]] = defaultdict(set)
        for sentence in self.sentences:
            for mention in mentions(sentence).numbers:
                qualifier, value, unit, currency = mention.key
                units[(qualifier, value, currency)].add(unit)
        return units

    @cached_property
    def _names(self) -> tuple[frozenset[frozenset[str]], frozenset[frozenset[str]]]:
        keys = frozenset(m.key for s in self.sentences for m in mentions(s).names)
        # Nationality adjectives too: "the North" is part of "North Korean" as much as of "North Korea".
        return keys, frozenset(part for s in self.sentences for m in name_mentions(unicodedata.normalize("NFC", s))
                               for part in name_wholes(m))

    @cached_property
    def _attributions(self) -> list[tuple[frozenset[str], str]]:
        return list(dict.fromkeys(m.key for s in self.sentences for m in mentions(s).attributions))

    @cached_property
    def _words(self) -> str:
        return " " + "".join(_quote_words(s) for s in self.sentences) + " "

    def carries(self, kind: FactKind, key: Any) -> bool:
        """Whether this text states the fact of that kind and key (as its reader keys it) anywhere."""
        if kind == "date":
            keys, dated = self._dates
            return key in keys or (key[0] == "date" and any(dates_agree(key, other) for other in dated))
        if kind == "number":
            units = self._numbers.get((key[0], key[1], key[3]), set())
            return bool(units) and (key[2] in units or not key[2] or "" in units)
        if kind == "name":
            keys, parts = self._names
            return key in keys or key in parts or any(part in keys for part in with_alias_words(key))
        if kind == "attribution":
            speaker, verb = key
            return bool(speaker) and any(same_speaker(speaker, other) and other and (verb is None or verb == how)
                                         for other, how in self._attributions)
        return len(key) > 2 and key in self._words  # a quote's words, in order


def _mention_key(kind: FactKind, text: str, span: tuple[int, int]) -> Any:
    """The key the reader of that kind gives the mention at (or around) a span of a text; None when none is there."""
    if kind == "quote":
        return _quote_words(text[span[0]:span[1]])
    if not unicodedata.is_normalized("NFC", text):
        return None  # spans index the text as given, the cached mentions its NFC form: not compared
    for mention in mentions(text).of(kind):
        if mention.start <= span[0] and span[1] <= mention.end:
            if kind == "attribution":  # the speaker's words alone, or how they say it when only that differs
                whole = (mention.start, mention.end) == span
                return (mention.key[0], None if whole else mention.key[1])
            return mention.key
    return None


class FactReader:
    """The fact differences of one comparison's rows, read against both whole texts and named by outlet."""

    def __init__(self, left: Sequence[str], right: Sequence[str], names: tuple[str, str] = ("left", "right")) -> None:
        """Both texts as their sentences (what takes part in the comparison), and the outlet of each side."""
        self.texts = (WholeText(left), WholeText(right))
        self.names = names

    def outlet(self, side: int) -> str:
        """How a side is named in labels: its outlet, or "the left version" when both sides are one outlet's."""
        if self.names[0] == self.names[1]:
            return ("the left version", "the right version")[side]
        return self.names[side]

    def paired(self, left: str, right: str) -> list[FactDiff]:
        """Facts that differ between two paired passages; a fact on one side only is kept when the other whole text
        carries it nowhere, and is named by its outlet."""
        return [named for diff in fact_differences(left, right)
                if (named := self._kept(diff, left if diff.right is None else right)) is not None]

    def one_sided(self, text: str, side: int) -> list[FactDiff]:
        """The facts of a passage one side alone carries that the other text states nowhere: numbers, dates,
        names (a speaker among them: "said Michael Madden" lists Michael Madden) and quotes, each named by the outlet
        carrying it."""
        if not text.strip():
            return []
        if not unicodedata.is_normalized("NFC", text):
            found = fact_differences(text, "") if side == 0 else fact_differences("", text)
        else:
            found = []
            cover = bytearray(len(text))
            own = mentions(text)
            for kind in ONE_SIDED_ORDER:  # a number inside a date already listed is not listed again
                for mention in own.of(kind):
                    if 0 not in cover[mention.start:mention.end]:
                        continue
                    cover[mention.start:mention.end] = b"\x01" * (mention.end - mention.start)
                    spans = ((mention.start, mention.end), None) if side == 0 else (None, (mention.start, mention.end))
                    found.append(fact_diff(kind, text if side == 0 else "", text if side == 1 else "", *spans))
        found += [self._quote(text, start, end, side) for start, end, _ in quote_spans(text)]
        return [named for diff in found if (named := self._kept(diff, text)) is not None]

    def _quote(self, text: str, start: int, end: int, side: int) -> FactDiff:
        """A quoted span of a one-sided passage as a fact of that side (its label shortened to a few words)."""
        words = text[start:end].split()
        shown = " ".join(words[:QUOTE_LABEL_WORDS]) + ("…" if len(words) > QUOTE_LABEL_WORDS else "")
        spans = ((start, end), None) if side == 0 else (None, (start, end))
        values = (text[start:end], None) if side == 0 else (None, text[start:end])
        return FactDiff("quote", values[0], values[1], spans[0], spans[1], f"“{shown}”: only in")

    def _kept(self, diff: FactDiff, text: str) -> FactDiff | None:
        """The diff named by outlet, or None when it is one side's alone yet the other text carries the fact."""
        if diff.left is not None and diff.right is not None:
            return diff
        side = 0 if diff.right is None else 1
        span = diff.left_span if side == 0 else diff.right_span
        key = _mention_key(diff.kind, text, span) if span else None
        if key is not None and self.texts[1 - side].carries(diff.kind, key):
            return None
        outlet = self.outlet(side)
        label = diff.label.rsplit(": only in", 1)[0] + f": only in {outlet}"
        return replace(diff, label=label, outlet=outlet)
