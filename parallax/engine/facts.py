"""Fact differences inside a pair of aligned sentences: numbers, dates, names, quoted words and attribution.

Each text is cut into words once; the number, date and attribution patterns are then tried only where such a fact
can start (a digit, a number, month or weekday word, the words just before a speech verb), and names come from one
scan for capitalised runs. Every repetition in those patterns is bounded or has nothing after it, so the work grows
linearly with the input even on hostile text (a 100 KB run of digits or of capitalised words; a run of more than
MAX_DIGITS digits is not read as a number). Mentions are matched across the two sides by normalised keys through
dictionaries (all-pairs only for a handful of leftovers), then leftovers are paired in reading order. Every reported
span indexes the given string exactly: ``left[start:end] == diff.left``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, NamedTuple

import simplemma

from parallax.engine.diffing import Encoder, diff_codes
from parallax.model import FactKind

#: Kinds in the order they are reported; a later diff wholly inside earlier ones' spans is not reported again.
REPORT_ORDER: tuple[FactKind, ...] = ("number", "date", "attribution", "name", "quote")
#: Digits read as one number at most; longer runs are cut, so hostile input never builds huge integers.
MAX_DIGITS = 30
#: Words of a name used to match it by parts ("Putin" in "Vladimir Putin"); longer keys match only whole.
MAX_NAME_WORDS = 6
#: Quoted spans per side considered for pairing (pairing is all-pairs, so it is capped).
MAX_QUOTES = 12
#: Dice of word sets two quoted spans need to be read as the same quote worded differently.
QUOTE_PAIR_DICE = 0.3
#: Seconds one quote's word diff may take.
QUOTE_DIFF_SECONDS = 0.02


@dataclass(frozen=True)
class FactDiff:
    """One fact that differs between two aligned sentences, with exact spans into each side."""

    kind: FactKind
    left: str | None
    right: str | None
    left_span: tuple[int, int] | None
    right_span: tuple[int, int] | None
    label: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"kind": self.kind, "left": self.left, "right": self.right,
                "left_span": list(self.left_span) if self.left_span else None,
                "right_span": list(self.right_span) if self.right_span else None, "label": self.label}


class Mention(NamedTuple):
    """A fact found in one text: its span, exact text and the key that decides equality across sides."""

    start: int
    end: int
    text: str
    key: Any
    group: str = ""
    how: tuple[int, int] | None = None


_TOKEN_RE = re.compile(r"\w+")


@lru_cache(maxsize=16)
def _words(text: str) -> tuple[tuple[int, str], ...]:
    """Start and folded form of every run of word characters (shared by the scans of one pair)."""
    return tuple((m.start(), m.group(0).casefold()) for m in _TOKEN_RE.finditer(text))


def _anchored(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds when matches can only start at ``starts`` (ascending): the pattern is
    tried there alone instead of at every position, which is most of the cost of a scan."""
    end = -1
    for start in starts:
        if start < end:
            continue
        match = pattern.match(text, start)
        if match:
            end = max(match.end(), start + 1)
            yield match


# ---------------------------------------------------------------------------------------------------- numbers

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


def _word_value(words: str) -> float | None:
    """Value of a number written in words ("twenty-five", "a dozen"), None if it is not one."""
    parts = _HYPHEN_SPACE_RE.split(words.casefold())
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
    for start, word in _words(text):
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
    for match in _anchored(_NUMBER_RE, text, _number_starts(text)):
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
            if raw.casefold() == "one" and not (match["qual"] or match["unit"] or match["scale"]):
                continue  # "one of", "one-on-one": not a count
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


# ---------------------------------------------------------------------------------------------------- dates

_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
           "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
           "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_RELATIVE = (r"(?:(?:earlier|later)\s+)?(?:this|last|next|that|the\s+same|the\s+previous|the\s+following)\s+"
             r"(?:week|weekend|month|year|morning|afternoon|evening|night|day)|today|yesterday|tomorrow|tonight")
_DATE_RE = re.compile(
    rf"\b(?:(?P<md>{_MONTH})\s+(?P<mdd>{_DAY})(?![\d:])(?:,?\s+(?P<mdy>{_YEAR}))?"
    rf"|(?P<dm>{_DAY})\s+(?:of\s+)?(?P<dmm>{_MONTH})(?:,?\s+(?P<dmy>{_YEAR}))?"
    rf"|(?P<m>{_MONTH})(?:\s+(?P<my>{_YEAR}))?(?!\w)"
    rf"|(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    rf"|(?P<y>{_YEAR})(?![\d,.]\d|\s*(?:%|per\s*cent|percent))"
    rf"|(?P<rel>(?i:{_RELATIVE})))(?![\w])")
_MAY_VERB_RE = re.compile(r"\s+(?:be|have|not|also|well|still|never|yet|need|want|ask|say|seek|face|take)\b")


def _month(name: str) -> int:
    """Month number of a month name or abbreviation."""
    return _MONTHS[name.rstrip(".").casefold()]


_DATE_TRIGGERS = frozenset({*_MONTHS, *_WEEKDAYS, "earlier", "later", "this", "last", "next", "that", "the",
                            "today", "yesterday", "tomorrow", "tonight"})


def date_mentions(text: str) -> list[Mention]:
    """Dates, weekdays, years and relative days in a text, keyed (kind, month, day, year) or by their words."""
    found: list[Mention] = []
    for match in _anchored(_DATE_RE, text, (start for start, word in _words(text)
                                            if word in _DATE_TRIGGERS or word[0].isdigit())):
        key: tuple[Any, ...]
        if match["md"]:
            key = ("date", _month(match["md"]), int(match["mdd"].rstrip("stndrh")), match["mdy"])
        elif match["dm"]:
            key = ("date", _month(match["dmm"]), int(match["dm"].rstrip("stndrh")), match["dmy"])
        elif match["m"]:
            if match["m"] == "May" and not match["my"] and _MAY_VERB_RE.match(text, match.end()):
                continue  # the verb "May" at a sentence start
            if match["m"].rstrip(".") in ("Mar", "Jan", "Dec") and not match["my"]:
                continue  # names more often than months when bare
            key = ("date", _month(match["m"]), None, match["my"])
        elif match["wd"]:
            key = ("weekday", match["wd"].casefold())
        elif match["y"]:
            key = ("date", None, None, match["y"])
        else:
            key = ("relative", " ".join(match["rel"].casefold().split()))
        found.append(Mention(match.start(), match.end(), match.group(0), key, key[0]))
    return found


def _dates_agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two date keys can name the same day: 'Sept. 12' and 'September 12, 2023' can."""
    if a[0] != "date" or b[0] != "date":
        return a == b
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:], strict=True))


# ---------------------------------------------------------------------------------------------------- names

_UPPER = "A-ZÀ-ÖØ-Þ"
_CAP_WORD = rf"(?:(?:[{_UPPER}]\.){{1,4}}(?=\s+[{_UPPER}])|(?:[{_UPPER}]\.){{2,4}}|[{_UPPER}][\w’'\-]*)"
_CONNECT = r"(?:of|de|da|del|van|von|bin|al|el|du|der|la|le|and\s+the|of\s+the)"
#: Nothing follows the repetition, so a failed extension never makes the engine retry the run: linear.
_NAME_RE = re.compile(rf"(?<![\w’'\-.]){_CAP_WORD}(?:(?:\s+|\s+{_CONNECT}\s+){_CAP_WORD})*")
_SENTENCE_START_RE = re.compile(r"(?:^\s*|[.!?…:;][\"”’')\]]*\s+|[\n\r]\s*)[\"“‘'(\[]*$")
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "president", "comrade", "sir", "dame",
                    "lord", "lady", "king", "queen", "prince", "princess", "pope", "premier", "minister",
                    "secretary", "director", "spokesman", "spokeswoman", "spokesperson", "chairman",
                    "chairwoman", "chancellor", "governor", "mayor", "senator", "sen", "rep", "ambassador", "gen",
                    "admiral", "colonel", "col", "lt", "captain", "capt", "commander", "judge", "sheikh", "leader"})
#: Words that start sentences without being names.
_STARTERS = frozenset("""a an the this that these those he she it they we i you his her its their our my your
but and or so yet if as at in on of for from to by with without after before while when where why how what who
which there here then than also earlier later meanwhile however although though because since until both each
every all some many most few no not nor one another such other others only even still just now today yesterday
tomorrow last next according asked speaking commenting despite amid under over about around between during
against into onto upon through across along among beyond following including instead once unlike whether
ms mr mrs dr""".replace("\n", " ").split(" "))
_CALENDAR = frozenset({*_MONTHS, *_WEEKDAYS})
_DEMONYM_RE = re.compile(r"(?:ian|ean|ese|ish|ern)$")
_DIRECTIONS = frozenset({"north", "south", "east", "west", "far", "middle", "central", "western", "eastern",
                         "northern", "southern"})
_POSSESSIVE_RE = re.compile(r"[’']s?$")
_ALIAS_GROUPS = {
    "north korea": ("north korea", "n korea", "n. korea", "dprk", "d.p.r.k.", "pyongyang",
                    "democratic people’s republic of korea", "democratic people's republic of korea"),
    "south korea": ("south korea", "s korea", "s. korea", "rok", "seoul", "republic of korea"),
    "russia": ("russia", "russian federation", "the russian federation", "moscow", "kremlin", "the kremlin"),
    "united states": ("us", "u.s.", "usa", "u.s.a.", "united states", "the united states", "america",
                      "washington", "united states of america", "white house", "the white house"),
    "united kingdom": ("uk", "u.k.", "britain", "great britain", "united kingdom", "london"),
    "china": ("china", "prc", "beijing", "people’s republic of china", "people's republic of china"),
    "ukraine": ("ukraine", "kyiv", "kiev"),
    "united nations": ("un", "u.n.", "united nations"),
    "european union": ("eu", "e.u.", "european union", "brussels"),
    "kcna": ("kcna", "korean central news agency"),
    "ria novosti": ("ria", "ria novosti"),
}
#: Adjectives of nationality: they match the country's names but are never reported themselves.
DEMONYMS = {"russian": "@russia", "north korean": "@north korea", "south korean": "@south korea",
            "american": "@united states", "ukrainian": "@ukraine", "chinese": "@china", "british": "@united kingdom"}
#: Alias table: a folded name → the one key its aliases share ("N. Korea", "DPRK" and "Pyongyang" → north korea).
ALIASES = {alias: "@" + key for key, aliases in _ALIAS_GROUPS.items() for alias in aliases}


@lru_cache(maxsize=4096)
def _ordinary(word: str) -> bool:
    """Whether a capitalised word is an ordinary dictionary word (its lemma is lower case), not a name."""
    folded = word.casefold()
    if folded in _STARTERS:
        return True
    if not simplemma.is_known(folded, lang="en"):
        return False
    return simplemma.lemmatize(folded, lang="en")[:1].islower()


@lru_cache(maxsize=8192)
def name_key(name: str) -> frozenset[str]:
    """Folded words of a name (aliases mapped to one key) that decide whether two names are one person or place."""
    folded = " ".join(_POSSESSIVE_RE.sub("", w) for w in name.casefold().split())
    alias = ALIASES.get(folded) or ALIASES.get(folded.replace(".", ""))
    if alias:
        return frozenset({alias})
    return frozenset(w for w in re.split(r"[\s\-.]+", folded) if w and w not in ("of", "the", "and"))


@lru_cache(maxsize=8192)
def _run_name(run: str, at_start: bool) -> tuple[int, int, bool] | None:
    """Span (offsets into the run) of the name inside a capitalised run, titles and a sentence-initial ordinary
    word dropped, and whether it is only an adjective of nationality ("Russian", "North Korean"), never reported.
    Cached: the same runs ("Putin", "Mr Kim") come back sentence after sentence."""
    words = [(m.start(), m.group(0)) for m in _WORD_IN_RUN_RE.finditer(run) if m.group(0)[0].isupper()]
    if words and at_start and (words[0][1].casefold() in _STARTERS or (len(words) == 1 and _ordinary(words[0][1]))):
        words = words[1:]
    last_title = -1
    for n, (_, word) in enumerate(words):
        if _POSSESSIVE_RE.sub("", word).rstrip(".").casefold() in TITLES:
            last_title = n
    words = words[last_title + 1:]
    if not words:
        return None
    first, last = words[0][1], words[-1][1]
    if len(words) == 1 and (len(first.rstrip(".")) < 2 or first.casefold() in _STARTERS):
        return None
    plain = [word.casefold() for _, word in words]
    if all(word.rstrip(".") in _CALENDAR for word in plain):
        return None  # "September", "Sept.", "Monday": dates, not names
    demonym = bool(_DEMONYM_RE.search(_POSSESSIVE_RE.sub("", plain[-1])) and (
        len(plain) == 1 or (len(plain) == 2 and plain[0] in _DIRECTIONS)) and " ".join(plain) not in ALIASES)
    end = words[-1][0] + len(_POSSESSIVE_RE.sub("", last))
    return words[0][0], end, demonym


_WORD_IN_RUN_RE = re.compile(r"[^\s]+")


def name_mentions(text: str) -> list[Mention]:
    """Names of people, places and organisations: capitalised runs not at a sentence start, titles stripped."""
    found: list[Mention] = []
    for match in _NAME_RE.finditer(text):
        at_start = bool(_SENTENCE_START_RE.search(text, max(0, match.start() - 8), match.start()))
        for offset, run in _possessive_parts(match.group(0)):
            cleaned = _run_name(run, at_start and offset == 0)
            if cleaned is not None:
                _add_name(text, match.start() + offset, cleaned, found)
    return found


_POSSESSIVE_END_RE = re.compile(r"[’']s(?=\s)")


def _possessive_parts(run: str) -> list[tuple[int, str]]:
    """A capitalised run cut after each possessive: "Russia’s Vladimir Putin" is Russia and Vladimir Putin."""
    parts: list[tuple[int, str]] = []
    start = 0
    for mark in _POSSESSIVE_END_RE.finditer(run):
        parts.append((start, run[start:mark.end()]))
        start = mark.end()
        while start < len(run) and run[start].isspace():
            start += 1
    parts.append((start, run[start:]))
    return [(offset, part) for offset, part in parts if part]


def _add_name(text: str, base: int, cleaned: tuple[int, int, bool], found: list[Mention]) -> None:
    """Append the name found at ``base`` + the cleaned offsets (a nationality adjective as a quiet mention)."""
    start, end = base + cleaned[0], base + cleaned[1]
    name = text[start:end]
    if cleaned[2]:
        folded = " ".join(name.casefold().split())
        found.append(Mention(start, end, name, frozenset({DEMONYMS.get(folded, folded)}), "quiet"))
    else:
        found.append(Mention(start, end, name, name_key(name)))


@lru_cache(maxsize=8192)
def _subsets(key: frozenset[str]) -> tuple[frozenset[str], ...]:
    """Every non-empty subset of a key; a key longer than MAX_NAME_WORDS gives only itself (no 2ⁿ blow-up)."""
    if len(key) > MAX_NAME_WORDS:
        return (key,)
    items = sorted(key)
    return tuple(frozenset(combo) for size in range(1, len(items) + 1) for combo in combinations(items, size))


def _unmatched_names(mine: Sequence[Mention], theirs: Sequence[Mention]) -> list[Mention]:
    """Names of one side that the other side does not name: not the same, nor a part or a whole of one there."""
    their_keys = {m.key for m in theirs}
    their_parts = {part for key in their_keys for part in _subsets(key)}
    missing: list[Mention] = []
    seen: set[frozenset[str]] = set()
    for mention in mine:
        key = mention.key
        if mention.group == "quiet" or key in seen or key in their_parts or any(
                part in their_keys for part in _subsets(key)):
            continue
        seen.add(key)
        missing.append(mention)
    return missing


#: A bare reference to a person: a personal pronoun, or a role without a name after it ("the North Korean leader
#: will meet…", not "North Korean leader Kim Jong Un").
_PERSON_REF_RE = re.compile(
    r"(?<![\w’'-])(?:[Hh]e|[Ss]he|[Hh]im|[Tt]he\s+(?:[\w’'-]+\s+){0,2}?(?:leader|president|premier|prime\s+minister|"
    r"minister|chancellor|king|queen|spokesman|spokeswoman|spokesperson|secretary|governor|mayor|ambassador|envoy)"
    rf"(?![\w-])(?!\s+[{_UPPER}]))(?![\w’'-])")
#: Words that make a name an organisation, event or place rather than a person (never stood for by "he").
_NOT_PERSON = frozenset({"party", "forum", "agency", "ministry", "council", "committee", "news", "house", "department",
                         "office", "union", "nations", "bank", "fund", "organization", "organisation", "region",
                         "republic", "federation", "state", "states", "city", "province", "territory", "university",
                         "army", "forces", "navy", "command", "railways", "railway", "television", "cosmodrome",
                         "station", "group", "company", "corporation", "court", "assembly", "parliament", "congress",
                         "senate", "times", "post", "airport", "port", "island", "islands", "sea", "river"})


def _person_references(text: str) -> Counter[str]:
    """The bare references to a person ("he", "the North Korean leader") a text holds, folded ("him" is "he")."""
    if not any(c in text for c in "hH"):
        return Counter()
    found = (" ".join(m.group(0).casefold().split()) for m in _PERSON_REF_RE.finditer(text))
    return Counter("he" if ref == "him" else ref for ref in found)


def _unreferred(missing: list[Mention], references: int) -> list[Mention]:
    """Names one side alone carries, without those of people the other side refers to by a pronoun or a role
    instead: only when every such name can be one of its spare references (two names and one "he" stay)."""
    people = [m for m in missing if not any(part.startswith("@") for part in m.key)
              and len(m.key) <= 4 and m.key.isdisjoint(_NOT_PERSON)]
    if not people or len(people) > references:
        return missing
    return [m for m in missing if m not in people]


# ---------------------------------------------------------------------------------------------------- attribution

_SPEECH = ("said|says|say|has\\s+said|had\\s+said|told\\s+(?:reporters|journalists|the\\s+press|(?:[\\w’'-]+\\s+){0,2}"
           "media|(?:the\\s+)?[A-Z][\\w’'-]*(?:\\s+[A-Z][\\w’'-]*){0,2})|tells\\s+reporters|added|adds|warned|warns|stated|noted|"
           "announced|claimed|confirmed|insisted|stressed|explained|wrote|reported|reports|was\\s+quoted\\s+as\\s+"
           "saying(?:\\s+by\\s+(?:(?:[\\w’'-]+\\s+){0,2}media|(?:the\\s+)?[A-Z][\\w’'-]*(?:\\s+[A-Z][\\w’'-]*){0,3}))?|quoted|cited|declared|argued|told|tells")
_ROLE = ("spokesman|spokeswoman|spokesperson|officials?|sources?|agency|ministry|media|analysts|experts|"
         "diplomats|government|authorities|statement")
_SPEAKER = (rf"(?:(?:the|a|an)\s+)?(?:[\w’'-]+\s+){{0,2}}?(?:{_ROLE})(?:\s+[{_UPPER}][\w’'-]*){{0,3}}"
            rf"|(?:the\s+)?(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[{_UPPER}][\w’'-]*(?:\s+[{_UPPER}][\w’'-]*){{0,4}}|[Hh]e|[Ss]he|[Tt]hey")
_ATTRIBUTION_RE = re.compile(
    rf"(?<![\w’'-])(?:(?P<who>{_SPEAKER})(?:,[^,“”\"]{{1,60}},)?\s+(?:also\s+|later\s+|recently\s+)?"
    rf"(?P<verb>{_SPEECH})(?![\w’'-])"
    rf"|(?P<verb2>said|says|told|added|wrote)\s+(?P<who2>(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[{_UPPER}][\w’'-]*"
    rf"(?:\s+[{_UPPER}][\w’'-]*){{0,4}})(?=[,.;:]|\s*$)"
    rf"|(?P<verb3>[Aa]ccording\s+to)\s+(?P<who3>[^,.;:!?“”\"\n]{{1,60}}?)(?=[,.;:!?“”\"\n]|$))")
_PRONOUNS = frozenset({"he", "she", "they"})
_ROLE_WORDS = frozenset(_ROLE.replace("?", "").split("|")) | {"officials", "sources"}
_NOT_SPEAKERS = _STARTERS - _PRONOUNS - {"the", "a", "an"}
_VERB_FORMS = {"says": "said", "say": "said", "has said": "said", "had said": "said", "adds": "added",
               "warns": "warned", "reports": "reported", "tells reporters": "told reporters"}


@lru_cache(maxsize=4096)
def _speaker_key(who: str) -> frozenset[str]:
    """Key of a speaker: a name's words, or a role phrase's words ('the Kremlin spokesman'); empty for pronouns."""
    folded = who.casefold()
    if folded in _PRONOUNS:
        return frozenset()
    key = {part for mention in name_mentions(who) for part in mention.key}
    key.update(w for w in folded.split() if w in _ROLE_WORDS)
    return frozenset(key) or frozenset(w for w in folded.split() if w not in ("the", "a", "an"))


#: Words before a speech verb where its speaker may start: the bounded speaker pattern plus a 60-character
#: aside never spans more.
SPEAKER_REACH = 30


def _speech_starts(text: str) -> list[int]:
    """Word starts from SPEAKER_REACH words before each speech verb up to the verb: where attributions start."""
    words = _words(text)
    starts: set[int] = set()
    reached = 0
    for n, (_, word) in enumerate(words):
        if word in _SPEECH_GATE:
            starts.update(start for start, _ in words[max(reached, n - SPEAKER_REACH):n + 1])
            reached = n + 1
    return sorted(starts)


def attribution_mentions(text: str) -> list[Mention]:
    """Who says what and how: 'Peskov told reporters', 'said Madden', 'according to KCNA' (key: speaker, verb)."""
    found: list[Mention] = []
    for match in _anchored(_ATTRIBUTION_RE, text, _speech_starts(text)):
        if match["verb"]:
            who, verb, group = match["who"], match["verb"], "verb"
        elif match["verb2"]:
            who, verb, group = match["who2"], match["verb2"], "verb2"
        else:
            who, verb, group = match["who3"], "according to", "verb3"
        first = who.split()[0]
        if (group == "verb" and first.casefold() in _NOT_SPEAKERS
                and _SENTENCE_START_RE.search(text, max(0, match.start() - 8), match.start())):
            continue  # "Both leaders would ignore…": a sentence-initial function word is nobody
        verb_key = _VERB_FORMS.get(" ".join(verb.casefold().split()), " ".join(verb.casefold().split()))
        found.append(Mention(match.start(), match.end(), match.group(0), (_speaker_key(who), verb_key),
                             how=match.span(group)))
    return found


def _same_speaker(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two speaker keys can be one speaker (a pronoun can be anyone; 'Peskov' is 'Dmitry Peskov')."""
    return not a or not b or a <= b or b <= a


# ---------------------------------------------------------------------------------------------------- quotes

_QUOTE_WORD_RE = re.compile(r"\w+(?:['\u2019\-]\w+)*")


def _quoted(text: str) -> list[tuple[int, int, list[re.Match[str]]]]:
    """Quoted spans of a text (at most MAX_QUOTES) with their words."""
    if not any(c in text for c in "\"“”«»„"):
        return []
    spans = _quote_spans(text)[:MAX_QUOTES]
    return [(start, end, list(_QUOTE_WORD_RE.finditer(text, start, end))) for start, end in spans]


#: Quote marks as quotes.py reads them: curly ones open or close, a straight one opens unless after a letter.
_OPEN, _CLOSE = "“„«", "”»"
_QUOTE_MARK_RE = re.compile(r"[“„«”»\"]")


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """quotes.quote_spans, visiting only the quote marks (it walks every character): same spans, faster."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for mark in _QUOTE_MARK_RE.finditer(text):
        index, char = mark.start(), mark.group(0)
        if start is None:
            if char in _OPEN or (char == '"' and (index == 0 or not text[index - 1].isalnum())):
                start = index + 1
        elif char in _CLOSE or char == '"':
            spans.append((start, index))
            start = None
        else:
            spans.append((start, index))
            start = index + 1
    if start is not None:
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _dice(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two word sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def quote_diffs(left: str, right: str) -> list[FactDiff]:
    """Word-level changes inside quotes both sides carry (quotes paired by shared words)."""
    lefts, rights = _quoted(left), _quoted(right)
    if not lefts or not rights:
        return []
    diffs: list[FactDiff] = []
    used: set[int] = set()
    for _, _, left_words in lefts:
        left_set = {w.group(0).casefold() for w in left_words}
        scored = [(_dice(left_set, {w.group(0).casefold() for w in words}), n) for n, (_, _, words) in enumerate(rights)
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
                diffs.append(_diff("quote", left, right, left_span, right_span, quoted=True))
            pending_a = pending_b = None
            i += length
            j += length
    return diffs


# ---------------------------------------------------------------------------------------------------- pairing


def _diff(kind: FactKind, left: str, right: str, left_span: tuple[int, int] | None,
          right_span: tuple[int, int] | None, quoted: bool = False) -> FactDiff:
    """A FactDiff with its texts cut from the spans and a short label."""
    a = left[left_span[0]:left_span[1]] if left_span else None
    b = right[right_span[0]:right_span[1]] if right_span else None
    shown = [f"“{t}”" if quoted and t is not None else t for t in (a, b)]
    if shown[0] is not None and shown[1] is not None:
        label = f"{shown[0]} → {shown[1]}"
    elif shown[0] is not None:
        label = f"{shown[0]}: only in left"
    else:
        label = f"{shown[1]}: only in right"
    return FactDiff(kind, a, b, left_span, right_span, label)


def _pair_leftovers(kind: FactKind, left: str, right: str, lefts: list[Mention], rights: list[Mention],
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
    return [_diff(kind, left, right, (a.start, a.end) if a else None, (b.start, b.end) if b else None)
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


def _attribution_diffs(left: str, right: str) -> tuple[list[FactDiff], list[Mention], list[Mention]]:
    """Changes of who said something and how (speaker or speech verb differs, or one side alone attributes), and
    the attributions of each side whose speaker the other side names too (their wording of the speaker is no fact)."""
    lefts, rights = attribution_mentions(left), attribution_mentions(right)
    diffs: list[FactDiff] = []
    same_left: list[Mention] = []
    same_right: list[Mention] = []
    free = list(rights)
    rest: list[Mention] = []
    for mention in lefts:
        hit = next((n for n, o in enumerate(free[:MAX_QUOTES]) if o.key[1] == mention.key[1]
                    and _same_speaker(o.key[0], mention.key[0])), None)
        if hit is None:
            rest.append(mention)
        else:
            same_left.append(mention)
            same_right.append(free.pop(hit))
    for n, mention in enumerate(rest):
        if n < len(free):
            other = free[n]
            a, b = mention, other
            if _same_speaker(a.key[0], b.key[0]):
                diffs.append(_diff("attribution", left, right, a.how, b.how))
                same_left.append(a)
                same_right.append(b)
            else:
                diffs.append(_diff("attribution", left, right, (a.start, a.end), (b.start, b.end)))
        elif _names_speaker(right, mention):
            diffs.append(_diff("attribution", left, right, mention.how, None))
        else:
            diffs.append(_diff("attribution", left, right, (mention.start, mention.end), None))
    for mention in free[len(rest):]:
        named = _names_speaker(left, mention)
        diffs.append(_diff("attribution", left, right, None, mention.how if named else (mention.start, mention.end)))
    return diffs, same_left, same_right


def _names_speaker(other: str, mention: Mention) -> bool:
    """Whether the other text names an attribution's speaker too ("Peskov downplayed …, saying" against "Mr Peskov
    was quoted as saying"): then only how it is said is one-sided, not who says it."""
    speaker = mention.key[0]
    return bool(speaker) and speaker <= _name_parts(other)


@lru_cache(maxsize=4)
def _name_parts(text: str) -> frozenset[str]:
    """Every word of every name a text states (quiet nationality adjectives left out); cached for one pair."""
    return frozenset(part for name in name_mentions(text) if name.group != "quiet" for part in name.key)


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


_NUMBER_GATE = frozenset({*_UNITS_WORDS, *_TENS_WORDS, "dozen"})
_DATE_GATE = frozenset({*_MONTHS, *_WEEKDAYS, "today", "yesterday", "tomorrow", "tonight", "week", "weekend",
                        "month", "year", "morning", "afternoon", "evening", "night", "day"})
#: Every verb _SPEECH starts with, and "according": a text without one of them has no attribution.
_SPEECH_GATE = frozenset({"said", "says", "say", "told", "tells", "added", "adds", "warned", "warns",
                          "stated", "noted", "announced", "claimed", "confirmed", "insisted", "stressed",
                          "explained", "wrote", "reported", "reports", "quoted", "cited", "declared", "argued",
                          "according"})


def _gates(text: str) -> tuple[bool, bool, bool]:
    """Whether a text can hold (numbers, dates, attributions): a word-set test that spares most sentences most
    of the work."""
    words = {word for _, word in _words(text)}
    digits = any(word[0].isdigit() for word in words)
    return (digits or not words.isdisjoint(_NUMBER_GATE), digits or not words.isdisjoint(_DATE_GATE),
            not words.isdisjoint(_SPEECH_GATE))


def fact_differences(left: str, right: str) -> list[FactDiff]:
    """The facts that differ between two aligned sentences: numbers, dates, names, quoted words, attribution.

    Decomposed accents ("Mu\u0308ller") are read as their composed form, so NFD and NFC text state the same facts;
    spans still index the given strings."""
    if left == right:
        return []
    if unicodedata.is_normalized("NFC", left) and unicodedata.is_normalized("NFC", right):
        return _fact_differences(left, right)
    (left_nfc, left_map), (right_nfc, right_map) = _nfc_map(left), _nfc_map(right)
    return [_diff(d.kind, left, right, _unmap(d.left_span, left_map), _unmap(d.right_span, right_map),
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
    attributions, same_left, same_right = _attribution_diffs(left, right) if gates[2] else ([], [], [])
    numbers = _pair_leftovers("number", left, right, number_mentions(left, [(m.start, m.end) for m in left_dates]),
                              number_mentions(right, [(m.start, m.end) for m in right_dates]),
                              _numbers_agree) if gates[0] else []
    diffs = [*numbers, *_pair_leftovers("date", left, right, left_dates, right_dates, _dates_agree), *attributions]
    # A name inside an attribution both sides share ("Kremlin spokesman Dmitry Peskov" / "Mr Peskov") is the
    # wording of one speaker, not a fact: such names match but are never reported.
    left_names = _quieten(name_mentions(left), same_left)
    right_names = _quieten(name_mentions(right), same_right)
    # A person one side names and the other calls "he" or "the North Korean leader" is no name difference.
    left_missing, right_missing = _unmatched_names(left_names, right_names), _unmatched_names(right_names, left_names)
    left_refs, right_refs = _person_references(left), _person_references(right)
    left_missing = _unreferred(left_missing, (right_refs - left_refs).total())
    right_missing = _unreferred(right_missing, (left_refs - right_refs).total())
    diffs.extend(_diff("name", left, right, (m.start, m.end), None) for m in left_missing)
    diffs.extend(_diff("name", left, right, None, (m.start, m.end)) for m in right_missing)
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


def _numbers_agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two number keys (qualifier, value, unit, currency) can be one figure: all equal, except that a unit
    on one side only is wording ("about 1,200 people" / "around 1,200 residents")."""
    return a[:2] == b[:2] and a[3] == b[3] and (a[2] == b[2] or not a[2] or not b[2])
