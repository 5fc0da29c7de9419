"""Names of people, places and organisations in a sentence, and which of one side's names the other side lacks.

Names come from one scan for capitalised runs; nothing follows the pattern's repetition, so it is linear on a
100 KB run of capitalised words. Names are matched across sides by their folded words (aliases mapped to one key)
through dictionaries, so "Putin" matches "Vladimir Putin" and "DPRK" matches "North Korea".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

from parallax.engine.facts.dates import MONTHS, WEEKDAYS
from parallax.engine.facts.mention import Mention
from parallax.engine.lexicon import (
    ALIASES,
    CAP_WORD,
    DEMONYMS,
    NAME_CONNECTORS,
    ORGANISATION_WORDS,
    SENTENCE_STARTERS,
    TITLES,
    UPPER,
)

#: Words of a name used to match it by parts ("Putin" in "Vladimir Putin"); longer keys match only whole.
MAX_NAME_WORDS = 6

#: Nothing follows the repetition, so a failed extension never makes the engine retry the run: linear.
_NAME_RE = re.compile(rf"(?<![\w’'\-.]){CAP_WORD}(?:(?:\s+|\s+{NAME_CONNECTORS}\s+){CAP_WORD})*")
#: What precedes a word that starts a sentence (searched in the few characters before it).
SENTENCE_START_RE = re.compile(r"(?:^\s*|[.!?…:;][\"”’')\]]*\s+|[\n\r]\s*)[\"“‘'(\[]*$")
_CALENDAR = frozenset({*MONTHS, *WEEKDAYS})
_DEMONYM_RE = re.compile(r"(?:ian|ean|ese|ish|ern)$")
_DIRECTIONS = frozenset({"north", "south", "east", "west", "far", "middle", "central", "western", "eastern",
                         "northern", "southern"})
_POSSESSIVE_RE = re.compile(r"[’']s?$")
#: A capitalised word made an adjective by its tail ("Moscow-backed", "US-led"): never a name by itself.
_COMPOUND_RE = re.compile(r"-(?:backed|based|led|held|born|made|owned|run|funded|controlled|occupied|allied|aligned|"
                          r"friendly|speaking|style|linked|sponsored|armed)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _ordinary(word: str) -> bool:
    """Whether a capitalised word is an ordinary dictionary word (its lemma is lower case), not a name."""
    folded = word.casefold()
    if folded in SENTENCE_STARTERS:
        return True
    import simplemma  # imported when a fact is first read: its import compiles hundreds of rules

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
    return word_key(name)


@lru_cache(maxsize=8192)
def word_key(name: str) -> frozenset[str]:
    """Folded words of a name as written, aliases not mapped ("North Korea": north, korea): what a shorter name
    that is only a part of it ("the North") is matched by."""
    folded = " ".join(_POSSESSIVE_RE.sub("", w) for w in name.casefold().split())
    return frozenset(w for w in re.split(r"[\s\-.]+", folded) if w and w not in ("of", "the", "and"))


def with_alias_words(key: frozenset[str]) -> tuple[frozenset[str], ...]:
    """A name key's parts and, for a key of an alias, the parts of its canonical words ("@north korea": north,
    korea): the shorter names a longer one holds."""
    if not any(part.startswith("@") for part in key):
        return subsets(key)
    return subsets(key) + subsets(frozenset(w for part in key for w in part.lstrip("@").split()))


def name_wholes(mention: Mention) -> tuple[frozenset[str], ...]:
    """The keys a name of the other side is matched by as a part: its key's parts and, for a name keyed by an
    alias or a nationality adjective ("North Korea", "North Korean"), the parts of its words as written."""
    if mention.group != "quiet" and not any(part.startswith("@") for part in mention.key):
        return subsets(mention.key)
    return subsets(mention.key) + subsets(word_key(mention.text))


@lru_cache(maxsize=8192)
def _run_name(run: str, at_start: bool) -> tuple[int, int, bool] | None:
    """Span (offsets into the run) of the name inside a capitalised run, titles and a sentence-initial ordinary
    word dropped, and whether it is only an adjective of nationality ("Russian", "North Korean"), never reported.
    Cached: the same runs ("Putin", "Mr Kim") come back sentence after sentence."""
    words = [(m.start(), m.group(0)) for m in _WORD_IN_RUN_RE.finditer(run) if m.group(0)[0].isupper()]
    if words and at_start and (words[0][1].casefold() in SENTENCE_STARTERS
                               or (len(words) == 1 and _ordinary(words[0][1]))):
        words = words[1:]
    last_title = -1
    for n, (_, word) in enumerate(words):
        if _POSSESSIVE_RE.sub("", word).rstrip(".").casefold() in TITLES:
            last_title = n
    words = words[last_title + 1:]
    if not words:
        return None
    first, last = words[0][1], words[-1][1]
    if len(words) == 1 and (len(first.rstrip(".")) < 2 or first.casefold() in SENTENCE_STARTERS):
        return None
    plain = [word.casefold() for _, word in words]
    if all(word.rstrip(".") in _CALENDAR for word in plain):
        return None  # "September", "Sept.", "Monday": dates, not names
    if len(words) > 1 and _COMPOUND_RE.search(first):
        words, plain = words[1:], plain[1:]  # "Washington-based Stimson Center": the name is the centre
    return words[0][0], words[-1][0] + len(_POSSESSIVE_RE.sub("", last)), _adjective(plain)


def _adjective(plain: list[str]) -> bool:
    """Whether the folded words of a name are only adjectives of nationality or the people of a country ("North
    Korean", "Russian-North Korean", "Americans") or a name made an adjective ("Moscow-backed")."""
    adjective = " ".join(_POSSESSIVE_RE.sub("", word) for word in plain)
    if adjective in ALIASES:
        return False
    if len(plain) == 1 and _COMPOUND_RE.search(adjective):
        return True
    if _DEMONYM_RE.search(adjective) and (len(plain) == 1 or (len(plain) == 2 and plain[0] in _DIRECTIONS)):
        return True
    pieces = [piece[:-1] if piece.endswith("s") and piece[:-1] in DEMONYMS else piece
              for piece in re.split(r"[\s\-]+", adjective)]
    if " ".join(pieces) in DEMONYMS:
        return True
    return "-" in adjective and any(piece not in _DIRECTIONS for piece in pieces) and all(
        piece in _DIRECTIONS or piece in DEMONYMS or _DEMONYM_RE.search(piece) for piece in pieces)


_WORD_IN_RUN_RE = re.compile(r"[^\s]+")
#: A party's adjective alone ("the Democratic primary", "a Republican senator") says which side, like a nationality;
#: the party's own name ("Democratic Party", "Republican National Committee") is a longer run and stays a name.
_AFFILIATIONS = frozenset({"democratic", "republican", "democrat", "democrats", "republicans"})
#: Colours capitalised as the name of a group of people ("White voters", "Black Americans"), not the surname White.
_GROUP_COLOURS = frozenset({"white", "black", "brown"})
#: What follows such a colour when it names a group of people.
_GROUP_NOUNS_RE = re.compile(
    r"\s+(?:and\s+[A-Z]\w+\s+)?(?:voters?|people|persons?|men|women|adults|children|kids|students|families|"
    r"households|residents|workers|patients|communit(?:y|ies)|neighbou?rhoods|populations?|americans?|"
    r"britons?|evangelicals|christians|supremacists?|nationalists?|majority|counterparts|applicants|officers|"
    r"police|mothers|fathers|youths?|teens?|girls|boys)\b", re.IGNORECASE)
#: A line that is only capitalised words (a table row of places, a title-case heading) holds several names run
#: together without commas when it has at least this many words and none of an organisation's ("Korean Central
#: News Agency" is one name).
LIST_LINE_WORDS = 5
_LINE_RE = re.compile(r"[^\n]+")


def name_mentions(text: str) -> list[Mention]:
    """Names of people, places and organisations: capitalised runs not at a sentence start, titles stripped; a
    party's or a group's adjective is read as a nationality is (never reported), and a line made only of capitalised
    words is read word by word."""
    found: list[Mention] = []
    lists = _list_lines(text)
    for match in _NAME_RE.finditer(text):
        if any(start <= match.start() < end for start, end in lists):
            continue
        at_start = bool(SENTENCE_START_RE.search(text, max(0, match.start() - 8), match.start()))
        for offset, run in _possessive_parts(match.group(0)):
            cleaned = _run_name(run, at_start and offset == 0)
            if cleaned is not None:
                start = match.start() + offset
                _add_name(text, start, _group_adjective(text, start, cleaned), found)
    for start, end in lists:
        for word in _WORD_IN_RUN_RE.finditer(text, start, end):
            name = word.group(0).rstrip(".,;:")
            if len(name) > 1 and not _ordinary(name) and _run_name(name, False) is not None:
                _add_name(text, word.start(), (0, len(name), False), found)
    return found


def _list_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the lines that are only capitalised words, at least LIST_LINE_WORDS of them, with no closing mark
    and no organisation's word (a table row "New Caledonia U.S Virgin Islands Puerto Rico Cape Verde ..." or a
    title-case heading): several names run together, not one."""
    spans = []
    for line in _LINE_RE.finditer(text):
        words = line.group(0).split()
        if (len(words) >= LIST_LINE_WORDS and all(w[:1].isupper() for w in words)
                and not line.group(0).rstrip().endswith((".", "!", "?", ":", ";", "\"", "”"))
                and not any(w.casefold().rstrip(".,;:") in ORGANISATION_WORDS for w in words)):
            spans.append((line.start(), line.end()))
    return spans


def _group_adjective(text: str, start: int, cleaned: tuple[int, int, bool]) -> tuple[int, int, bool]:
    """The cleaned name, made a quiet adjective when it is a party's adjective alone ("Democratic") or a colour
    naming a group of people ("White voters")."""
    words = text[start + cleaned[0]:start + cleaned[1]].casefold().split()
    group = words[0] in _GROUP_COLOURS and (_GROUP_NOUNS_RE.fullmatch(" " + " ".join(words[1:])) if len(words) > 1
                                            else _GROUP_NOUNS_RE.match(text, start + cleaned[1]))
    if group or (len(words) == 1 and words[0] in _AFFILIATIONS):
        return cleaned[0], cleaned[1], True
    return cleaned


_POSSESSIVE_END_RE = re.compile(r"[’']s(?=\s)")
#: Plurals whose possessive is part of a name ("People’s Liberation Army"), not its owner.
_COLLECTIVE_OWNERS = frozenset({"people", "women", "men", "children"})


def _possessive_parts(run: str) -> list[tuple[int, str]]:
    """A capitalised run cut after each possessive of a name: "Russia’s Vladimir Putin" is Russia and Vladimir Putin,
    "Donetsk People’s Republic" is one name (the possessive of people, women, men or children does not cut)."""
    parts: list[tuple[int, str]] = []
    start = 0
    for mark in _POSSESSIVE_END_RE.finditer(run):
        if run[:mark.start()].rsplit(None, 1)[-1].casefold() in _COLLECTIVE_OWNERS:
            continue  # "Donetsk People’s Republic", "Women’s World Cup": one name
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
        singular = folded[:-1] if folded.endswith("s") and folded[:-1] in DEMONYMS else folded
        found.append(Mention(start, end, name, frozenset({DEMONYMS.get(singular, folded)}), "quiet"))
    else:
        found.append(Mention(start, end, name, name_key(name)))


@lru_cache(maxsize=8192)
def subsets(key: frozenset[str]) -> tuple[frozenset[str], ...]:
    """Every non-empty subset of a key; a key longer than MAX_NAME_WORDS gives only itself (no 2ⁿ blow-up)."""
    if len(key) > MAX_NAME_WORDS:
        return (key,)
    items = sorted(key)
    return tuple(frozenset(combo) for size in range(1, len(items) + 1) for combo in combinations(items, size))


def unmatched_names(mine: Sequence[Mention], theirs: Sequence[Mention]) -> list[Mention]:
    """Names of one side that the other side does not name: not the same, nor a part or a whole of one there."""
    their_keys = {m.key for m in theirs}
    their_parts = {part for m in theirs for part in name_wholes(m)}
    missing: list[Mention] = []
    seen: set[frozenset[str]] = set()
    for mention in mine:
        key = mention.key
        if mention.group == "quiet" or key in seen or key in their_parts or any(
                part in their_keys for part in with_alias_words(key)):
            continue
        seen.add(key)
        missing.append(mention)
    return missing


#: A bare reference to a person: a personal pronoun, or a role without a name after it ("the North Korean leader
#: will meet…", not "North Korean leader Kim Jong Un").
_PERSON_REF_RE = re.compile(
    r"(?<![\w’'-])(?:[Hh]e|[Ss]he|[Hh]im|[Tt]he\s+(?:[\w’'-]+\s+){0,2}?(?:leader|president|premier|prime\s+minister|"
    r"minister|chancellor|king|queen|spokesman|spokeswoman|spokesperson|secretary|governor|mayor|ambassador|envoy)"
    rf"(?![\w-])(?!\s+[{UPPER}]))(?![\w’'-])")
#: Words that make a name an organisation, event or place rather than a person (never stood for by "he").
_NOT_PERSON = frozenset({"party", "forum", "agency", "ministry", "council", "committee", "news", "house", "department",
                         "office", "union", "nations", "bank", "fund", "organization", "organisation", "region",
                         "republic", "federation", "state", "states", "city", "province", "territory", "university",
                         "army", "forces", "navy", "command", "railways", "railway", "television", "cosmodrome",
                         "station", "group", "company", "corporation", "court", "assembly", "parliament", "congress",
                         "senate", "times", "post", "airport", "port", "island", "islands", "sea", "river"})


def person_references(text: str) -> Counter[str]:
    """The bare references to a person ("he", "the North Korean leader") a text holds, folded ("him" is "he")."""
    if not any(c in text for c in "hH"):
        return Counter()
    found = (" ".join(m.group(0).casefold().split()) for m in _PERSON_REF_RE.finditer(text))
    return Counter("he" if ref == "him" else ref for ref in found)


def unreferred(missing: list[Mention], references: int) -> list[Mention]:
    """Names one side alone carries, without those of people the other side refers to by a pronoun or a role
    instead: only when every such name can be one of its spare references (two names and one "he" stay)."""
    people = [m for m in missing if not any(part.startswith("@") for part in m.key)
              and len(m.key) <= 4 and m.key.isdisjoint(_NOT_PERSON)]
    if not people or len(people) > references:
        return missing
    return [m for m in missing if m not in people]



@lru_cache(maxsize=4)
def name_parts(text: str) -> frozenset[str]:
    """Every word of every name a text states (quiet nationality adjectives left out); cached for one pair."""
    return frozenset(part for name in name_mentions(text) if name.group != "quiet" for part in name.key)
