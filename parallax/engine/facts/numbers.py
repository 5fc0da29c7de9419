"""Numbers in a sentence with their qualifier, scale, percent, currency and unit, keyed by what they mean.

Every repetition in the pattern is bounded or has nothing after it, so the work grows linearly with the input even
on hostile text (a 100 KB run of digits; a run of more than MAX_DIGITS digits is not read as a number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from parallax.engine.facts.mention import Mention, anchored, words

#: Digits read as one number at most; longer runs are cut, so hostile input never builds huge integers.
MAX_DIGITS = 30

_UNITS_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
               "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000, "bn": 1_000_000_000, "mn": 1_000_000, "m": 1_000_000, "k": 1_000}
_QUALIFIERS = {"more than": ">", "over": ">", "above": ">", "just over": ">", "upwards of": ">",
               "less than": "<", "fewer than": "<", "under": "<", "below": "<", "just under": "<",
               "at least": ">=", "no fewer than": ">=", "at most": "<=", "up to": "<=", "no more than": "<=",
               "nearly": "<~", "almost": "<~", "close to": "<~", "about": "~", "around": "~", "roughly": "~",
               "approximately": "~", "some": "~", "an estimated": "~", "estimated": "~"}
_CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "€": "EUR", "eur": "EUR",
               "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
               "¥": "JPY", "yen": "JPY", "yuan": "CNY", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB",
               "roubles": "RUB", "won": "KRW"}
#: Nouns kept as a number's unit (singular form): a change of unit with the same value is a fact, other nouns are
#: just wording ("two countries" / "two nations").
_UNIT_NOUNS = ("second", "minute", "hour", "day", "night", "week", "month", "year", "decade", "century", "time",
               "person", "people", "kilometre", "kilometer", "km", "mile", "metre", "meter", "tonne", "ton",
               "percent", "troop", "soldier", "missile", "shell", "round", "delegation", "official", "leader")
_IRREGULAR = {"people": "person", "centuries": "century", "km": "kilometre", "kilometer": "kilometre",
              "kilometers": "kilometre", "meter": "metre", "meters": "metre", "ton": "tonne", "tons": "tonne"}

_WORD_NUMBER = (r"(?:(?:" + "|".join(_TENS_WORDS) + r")(?:[-\s](?:" + "|".join(k for k in _UNITS_WORDS if k != "zero")
                + r"))?|" + "|".join(sorted(_UNITS_WORDS, key=len, reverse=True)) + r"|a\s+dozen|dozen)")
_DIGIT_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}}){{1,6}}(?!\d)|\d{{1,{MAX_DIGITS}}})(?:\.\d{{1,10}})?"
_QUALIFIER = "|".join(sorted((q.replace(" ", r"\s+") for q in _QUALIFIERS), key=len, reverse=True))
_UNIT = "|".join(sorted({*_UNIT_NOUNS, *(u + "s" for u in _UNIT_NOUNS), "people", "centuries", "per\\s+cent",
                         "kilometres", "kilometers", "metres", "meters", "tonnes", "tons"}, key=len, reverse=True))
_CURRENCY_WORD = "|".join(sorted((c for c in _CURRENCIES if c.isalpha()), key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<qual>{_QUALIFIER})\s+)?(?P<cur>US\$|[$€£¥])?\s?"
    rf"(?P<num>{_DIGIT_NUMBER}|{_WORD_NUMBER})"
    rf"(?:\s*(?P<scale>hundred|thousand|million|billion|trillion|bn|mn|[mk])(?![\w])){{0,2}}"
    rf"(?:\s?(?P<pct>%|percent\b|per\s+cent\b))?"
    rf"(?:[-\s](?P<unit>{_UNIT}|{_CURRENCY_WORD}))?(?![\w])", re.IGNORECASE)
_HYPHEN_SPACE_RE = re.compile(r"[-\s]+")
#: The denominator of a fraction written in words, just after its numerator ("one third", "two-fifths").
_FRACTION_RE = re.compile(r"[-\s]+(?:halves|half|thirds?|quarters?|(?:four|fif|six|seven|eigh|nin|ten)ths?)(?![\w])",
                          re.IGNORECASE)


def _word_value(spelled: str) -> float | None:
    """Value of a number written in words ("twenty-five", "a dozen"), None if it is not one."""
    parts = _HYPHEN_SPACE_RE.split(spelled.casefold())
    if parts in (["a", "dozen"], ["dozen"]):
        return 12.0
    total = 0
    for part in parts:
        if part in _TENS_WORDS:
            total += _TENS_WORDS[part]
        elif part in _UNITS_WORDS:
            total += _UNITS_WORDS[part]
        else:
            return None
    return float(total)


def _unit_key(unit: str | None) -> str:
    """A unit in singular lower case ("Years" → "year", "per cent" → "percent", "dollars" → "USD")."""
    if not unit:
        return ""
    folded = _HYPHEN_SPACE_RE.sub(" ", unit.casefold())
    if folded in _CURRENCIES:
        return _CURRENCIES[folded]
    if folded in ("per cent", "percent", "percents"):
        return "%"
    if folded in _IRREGULAR:
        return _IRREGULAR[folded]
    if folded.endswith("s") and folded[:-1] in _UNIT_NOUNS:
        return folded[:-1]
    return folded


#: Words a number (with its qualifier) can start with; currency signs are looked for just before a digit.
_NUMBER_TRIGGERS = frozenset({*_UNITS_WORDS, *_TENS_WORDS, "dozen", *(q.split()[0] for q in _QUALIFIERS)})


def _number_starts(text: str) -> Iterator[int]:
    """Where a number may start: a digit (or the currency sign before it), a number word or a qualifier."""
    for start, word in words(text):
        if word[0].isdigit():
            if text[max(0, start - 3):start] == "US$":
                yield start - 3
            elif start and text[start - 1] in "$€£¥":
                yield start - 1
            yield start
        elif word in _NUMBER_TRIGGERS:
            yield start


def number_mentions(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Mention]:
    """Numbers in a text with qualifier, scale, percent, currency and unit, keyed by what they mean."""
    found: list[Mention] = []
    cursor = 0
    for match in anchored(_NUMBER_RE, text, _number_starts(text)):
        while cursor < len(skip) and skip[cursor][1] <= match.start():
            cursor += 1
        if cursor < len(skip) and skip[cursor][0] < match.end():
            continue  # part of a date
        raw = match["num"]
        if raw[0].isdigit():
            value = float(raw.replace(",", ""))
        else:
            word = _word_value(raw)
            if word is None:
                continue
            value = word
            if raw.casefold() == "one" and not (match["unit"] or match["scale"] or match["cur"]):
                continue  # "one of", "one-on-one", "about one", "at least one": not a count
            if _FRACTION_RE.match(text, match.end("num")):
                continue  # "around one third", "two-thirds": a share, not the count it starts with
        for scale in re.findall(r"hundred|thousand|million|billion|trillion|bn|mn|\b[mk]\b", match.group(0)[
                match.end("num") - match.start():], re.IGNORECASE):
            value *= _SCALES.get(scale.casefold(), 1)
        currency = _CURRENCIES.get((match["cur"] or "").casefold(), "")
        unit = _unit_key(match["unit"])
        if unit in _CURRENCIES.values():
            currency, unit = unit, ""
        if match["pct"]:
            unit = "%"
        qualifier = _QUALIFIERS.get(_HYPHEN_SPACE_RE.sub(" ", (match["qual"] or "").casefold()), "")
        start, end = match.span()
        while end > start and text[end - 1].isspace():
            end -= 1
        key = (qualifier, float(f"{value:.9g}"), unit, currency)
        found.append(Mention(start, end, text[start:end], key, unit or currency))
    return found



#: Number words that make a text worth scanning (with any digit).
NUMBER_GATE = frozenset({*_UNITS_WORDS, *_TENS_WORDS, "dozen"})


def numbers_agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two number keys (qualifier, value, unit, currency) can be one figure: all equal, except that a unit
    on one side only is wording ("about 1,200 people" / "around 1,200 residents")."""
    return a[:2] == b[:2] and a[3] == b[3] and (a[2] == b[2] or not a[2] or not b[2])
