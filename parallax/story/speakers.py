"""Who said a quote: speaker names kept whole, cleaned of titles and sentence words, and found by speech verbs
around a quote ("Peskov said", "said Madden", "according to …", a pronoun) or in running text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from parallax.engine.facts import name_mentions
from parallax.engine.lexicon import (
    ADDRESS_TITLES,
    ALIASES,
    NOT_SPEAKER_NAMES,
    SPEAKER_NAME,
    SPEECH_VERB_PATTERN,
    SPEECH_VERBS,
    WHOLE_NAME,
    name_parts,
)

_PRONOUNS = {"he", "she"}
#: Capitalised words a pattern may take for a name that never say who spoke ("said Tuesday").
_NOT_SPEAKERS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                           "february", "march", "april", "may", "june", "july", "august", "september", "october",
                           "november", "december", "today", "tonight", "yesterday"})
#: A speaker's name kept whole ("the Department of Homeland Security", "the Group of Seven", not "Homeland
#: Security" or "Seven"), with a role after it ("a White House spokesperson").
_SPEAKER = rf"{WHOLE_NAME}(?:\s+(?:spokesman|spokeswoman|spokesperson|official|officials))?"
_NAME_VERB = re.compile(rf"({_SPEAKER})(?:,[^,“”\"]{{1,60}},)?\s+(?:has\s+|had\s+|also\s+)?"
                        rf"(?:was quoted as saying|{SPEECH_VERB_PATTERN})\b")
#: Verbs that take the speaker after them ("said Madden"); "told" and "asked" take the one spoken to.
_VERBS_BEFORE_NAME = SPEECH_VERB_PATTERN.replace('told|tells|', '').replace('asked|asks|', '')
#: "said Madden", "said EU foreign policy chief Josep Borrell in Brussels": a few lower-case role words (or an
#: acronym) may stand between the verb and the name.
_VERB_NAME = re.compile(rf"\b(?:{_VERBS_BEFORE_NAME})\s+(?:(?:[a-z][\w’'\-]{{0,30}}|[A-Z]{{2,6}})\s+){{0,5}}?"
                        rf"({WHOLE_NAME})(?=[,.;]|\s+(?:in|on|at|from|during|after)\b|$)")
_PRONOUN_VERB = re.compile(rf"\b([Hh]e|[Ss]he)\s+(?:also\s+)?(?:{SPEECH_VERB_PATTERN})\b")
_ACCORDING = re.compile(rf"\baccording to\s+(?:[\w’'-]+\s+){{0,4}}?({WHOLE_NAME})(?=[,.;]|$)")
_SAYING_END = re.compile(r"\b(?:saying|adding|warning|noting|telling \w+|insisting|stressing)\s*[,:]?\s*$")
_VERB_END = re.compile(rf"\b(?:{SPEECH_VERB_PATTERN})\s*(?:that\s*)?[,:]?\s*$")
_VERB_ANY = re.compile(rf"\b(?:{SPEECH_VERB_PATTERN}|according to|saying|adding|quoted)\b", re.IGNORECASE)
#: A sentence's end: not the full stop of a title before a name ("said Dr. Daniel Kuritzkes").
_SENTENCE_END = re.compile(r"(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bMrs)(?<!\bGov)(?<!\bSen)(?<!\bRep)"
                           r"(?<!\bGen)(?<!\bProf)[.!?][\"”’)]?\s+(?=[A-Z“\"])")


#: A sentence without one of these words names no speaker, so named_speakers (three full scans) is skipped.
_SPEECH_WORDS = frozenset(SPEECH_VERBS) | {"according", "quoted", "saying"}
_LETTERS_RE = re.compile(r"[a-z]+")
_PRONOUN_SAID = re.compile(r"\b(?:[Hh]e|[Ss]he)\s+(?:also\s+)?(?:said|says|added|told|warned|stressed|noted)\b")
#: Alias keys (parallax.engine.lexicon.ALIASES) of organisations that speak: their names and acronyms cite one speaker.
_ORGANISATIONS = frozenset({"@kcna", "@ria novosti", "@united nations", "@european union"})
#: A sentence that opens on its source ("According to North Korea’s official KCNA news agency, Kim left…"), which
#: named_speakers reads only in lower case and right before a comma.
_ACCORDING_START = re.compile(rf"^\W*According to\s+(?:[\w’'-]+\s+){{0,4}}?({SPEAKER_NAME})(?:\s+news)?(?:\s+agency)?"
                              r"(?=[,.;])")


def clean_name(name: str) -> str | None:
    """A speaker name without leading titles or sentence words ("The National Air and Space Museum" → "National
    Air and Space Museum", "But Peskov" → "Peskov"), the first of names joined by "and"; None for pronouns, days,
    months and other non-names."""
    parts = name_parts(name.replace("’s", "").replace("'s", ""))[0].split()
    while len(parts) > 1 and (parts[0].casefold() in ADDRESS_TITLES or parts[0].casefold() in NOT_SPEAKER_NAMES):
        parts.pop(0)
    if not parts or parts[0].casefold() in NOT_SPEAKER_NAMES or " ".join(parts).casefold() in _NOT_SPEAKERS:
        return None
    return " ".join(parts)


def speaker_key(name: str | None) -> str | None:
    """Surname key of a speaker name."""
    return name.split()[-1].casefold().strip(".") if name else None


def clause_after(text: str) -> str:
    """The first sentence of the text after a quote."""
    match = _SENTENCE_END.search(text)
    return text[:match.start() + 1] if match else text


def _clause_before(text: str) -> str:
    """The last (unfinished) sentence of the text before a quote."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[ends[-1].end():] if ends else text


def _name_or_pronoun(match: re.Match[str] | None) -> tuple[str | None, bool]:
    """(name, is_pronoun) for a regex match whose group 1 is a name."""
    if not match:
        return None, False
    raw = match.group(1)
    if raw.casefold() in _PRONOUNS:
        return None, True
    return clean_name(raw), False


def attribute(before: str, after: str, glue: Sequence[str]) -> tuple[str | None, bool]:
    """Who a quote is attributed to from the text around it: (name, pronoun?) with glue (between parts) first."""
    for text in [*glue, clause_after(after)]:
        for pattern in (_PRONOUN_VERB, _NAME_VERB, _VERB_NAME, _ACCORDING):
            name, pronoun = _name_or_pronoun(pattern.search(text))
            if name or pronoun:
                return name, pronoun
    clause = _clause_before(before)
    if _SAYING_END.search(clause):
        first = re.search(f"({WHOLE_NAME})", clause)
        if first:
            name, pronoun = _name_or_pronoun(first)
            return name, pronoun or (first.group(0).casefold() in _PRONOUNS)
    if _VERB_END.search(clause):
        for pattern in (_NAME_VERB, _PRONOUN_VERB):
            found = [m for m in pattern.finditer(clause) if not clause[m.end():].strip(" ,:").split()[1:]]
            if found:
                return _name_or_pronoun(found[-1])
    name, pronoun = _name_or_pronoun(_ACCORDING.search(clause))
    if name or pronoun:
        return name, pronoun
    # The quote's own sentence names who spoke earlier on ("Biden said last month that “…", "Peskov told Russian
    # media: “…"): the last speaker it names before the quote.
    for match in reversed(list(_NAME_VERB.finditer(clause))):
        if clean_name(match.group(1)):
            return clean_name(match.group(1)), False
    return None, False


def named_speakers(text: str) -> list[tuple[int, str]]:
    """Positions and names of speakers named by a speech verb in running text ('Peskov said', 'said Madden')."""
    found: list[tuple[int, str]] = []
    for pattern in (_NAME_VERB, _VERB_NAME, _ACCORDING):
        for match in pattern.finditer(text):
            name = clean_name(match.group(1))
            if name:
                found.append((match.start(), name))
    return sorted(found)


def is_glue(between: str, first_part: str) -> bool:
    """Whether text between two quoted spans only attributes one quotation cut in two ('," he said, "').

    An attribution that ends its sentence ('," Peskov told reporters. "') closes the quotation: what follows is a
    separate quote (of the same speaker), never stitched to the first.
    """
    return (first_part.rstrip().endswith(tuple(",.!?…—–-")) and len(between.split()) <= 14
            and bool(_VERB_ANY.search(between)) and not between.rstrip().endswith(tuple(".!?…")))


@dataclass(frozen=True)
class Speaker:
    """Someone one side quotes or cites, and the rows where it does."""

    name: str
    rows: tuple[int, ...]
    #: What makes two cited names one speaker (``speaker_id``).
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"name": self.name, "rows": list(self.rows)}


def cited_speakers(rows: Sequence[tuple[int, str | None]]) -> tuple[Speaker, ...]:
    """Who one side's sentences (each with its row) cite by name ('Peskov said', 'according to KCNA'); 'he said'
    goes to the last one named."""
    names: dict[str, str] = {}
    found: dict[str, list[int]] = {}
    last: str | None = None
    for index, text in rows:
        if not text:
            continue
        keys = []
        speech = not _SPEECH_WORDS.isdisjoint(_LETTERS_RE.findall(text.casefold()))
        opening = _ACCORDING_START.match(text) if speech else None
        for _, raw in [*([(0, opening.group(1))] if opening else []), *(named_speakers(text) if speech else ())]:
            name = _person(raw)
            if name is None:
                continue
            key = speaker_id(name)
            if len(name) > len(names.get(key, "")):
                names[key] = name
            keys.append(key)
        if not keys and last and _PRONOUN_SAID.search(text):
            keys = [last]
        for key in dict.fromkeys(keys):
            rows_of = found.setdefault(key, [])
            if not rows_of or rows_of[-1] != index:
                rows_of.append(index)
        if keys:
            last = keys[-1]
    return tuple(Speaker(names[key], tuple(indices), key) for key, indices in found.items())


def speaker_id(name: str) -> str:
    """What makes two cited names one speaker: an organisation's alias ("KCNA", "Korean Central News Agency"),
    else the surname ("Mr Peskov", "Dmitry Peskov"). Place aliases are left apart: "Moscow said" is not "the
    Kremlin said"."""
    alias = ALIASES.get(" ".join(name.casefold().split()))
    return alias if alias in _ORGANISATIONS else speaker_key(name) or name


def _person(raw: str) -> str | None:
    """A cited name without titles ('Kremlin Press Secretary Dmitry Peskov' → 'Dmitry Peskov'); None for words
    the speaker patterns (speakers.py) take for names that are not ('Experts say', 'reported Tuesday')."""
    found = name_mentions(raw.strip(" .,;:"))
    return found[-1].text if found and found[-1].group != "quiet" else None


class SpeakerRow(Protocol):
    """What speaker finding reads of a comparison row."""

    @property
    def index(self) -> int: ...
    @property
    def left(self) -> str | None: ...
    @property
    def right(self) -> str | None: ...
    @property
    def boilerplate(self) -> bool: ...


def side_speakers(rows: Sequence[SpeakerRow]) -> tuple[tuple[Speaker, ...], tuple[Speaker, ...]]:
    """Who each side of a comparison cites, boilerplate rows left out."""
    read = [row for row in rows if not row.boilerplate]
    return cited_speakers([(r.index, r.left) for r in read]), cited_speakers([(r.index, r.right) for r in read])
