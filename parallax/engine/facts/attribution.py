"""Attribution in a sentence (who says something and how: "Peskov told reporters", "said Madden", "according to
KCNA") and its changes across two sentences: the speaker or the speech verb differs, or one side alone attributes.

The pattern is tried only from SPEAKER_REACH words before each speech verb, so a text without one costs a word scan.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parallax.engine.facts.mention import MAX_QUOTES, FactDiff, Mention, anchored, fact_diff, words
from parallax.engine.facts.names import SENTENCE_START_RE, name_mentions, name_parts
from parallax.engine.lexicon import SENTENCE_STARTERS, SOURCE_WORDS, SPEECH_VERBS, UPPER

_SPEECH = ("said|says|say|has\\s+said|had\\s+said|told\\s+(?:reporters|journalists|the\\s+press|(?:[\\w’'-]+\\s+){0,2}"
           "media|(?:the\\s+)?[A-Z][\\w’'-]*(?:\\s+[A-Z][\\w’'-]*){0,2})|tells\\s+reporters|added|adds|warned|warns|stated|noted|"
           "announced|claimed|confirmed|insisted|stressed|explained|wrote|reported|reports|was\\s+quoted\\s+as\\s+"
           "saying(?:\\s+by\\s+(?:(?:[\\w’'-]+\\s+){0,2}media|(?:the\\s+)?[A-Z][\\w’'-]*(?:\\s+[A-Z][\\w’'-]*){0,3}))?|quoted|cited|declared|argued|told|tells")
_ROLE = ("spokesman|spokeswoman|spokesperson|officials?|sources?|agency|ministry|media|analysts|experts|"
         "diplomats|government|authorities|statement")
_SPEAKER = (rf"(?:(?:the|a|an)\s+)?(?:[\w’'-]+\s+){{0,2}}?(?:{_ROLE})(?:\s+[{UPPER}][\w’'-]*){{0,3}}"
            rf"|(?:the\s+)?(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[{UPPER}][\w’'-]*(?:\s+[{UPPER}][\w’'-]*){{0,4}}|[Hh]e|[Ss]he|[Tt]hey")
_ATTRIBUTION_RE = re.compile(
    rf"(?<![\w’'-])(?:(?P<who>{_SPEAKER})(?:,[^,“”\"]{{1,60}},)?\s+(?:also\s+|later\s+|recently\s+)?"
    rf"(?P<verb>{_SPEECH})(?![\w’'-])"
    rf"|(?P<verb2>said|says|told|added|wrote)\s+(?P<who2>(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[{UPPER}][\w’'-]*"
    rf"(?:\s+[{UPPER}][\w’'-]*){{0,4}})(?=[,.;:]|\s*$)"
    rf"|(?P<verb3>[Aa]ccording\s+to)\s+(?P<who3>[^,.;:!?“”\"\n]{{1,60}}?)(?=[,.;:!?“”\"\n]|$))")
_PRONOUNS = frozenset({"he", "she", "they"})
_ROLE_WORDS = frozenset(_ROLE.replace("?", "").split("|")) | {"officials", "sources"}
_NOT_SPEAKERS = SENTENCE_STARTERS - _PRONOUNS - {"the", "a", "an"}
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


#: Speech verbs (every verb _SPEECH starts with among them) and "according": a text without one has no attribution.
SPEECH_GATE = frozenset(SPEECH_VERBS) | SOURCE_WORDS
#: Words before a speech verb where its speaker may start: the bounded speaker pattern plus a 60-character
#: aside never spans more.
SPEAKER_REACH = 30


def _speech_starts(text: str) -> list[int]:
    """Word starts from SPEAKER_REACH words before each speech verb up to the verb: where attributions start."""
    tokens = words(text)
    starts: set[int] = set()
    reached = 0
    for n, (_, word) in enumerate(tokens):
        if word in SPEECH_GATE:
            starts.update(start for start, _ in tokens[max(reached, n - SPEAKER_REACH):n + 1])
            reached = n + 1
    return sorted(starts)


def attribution_mentions(text: str) -> list[Mention]:
    """Who says what and how: 'Peskov told reporters', 'said Madden', 'according to KCNA' (key: speaker, verb)."""
    found: list[Mention] = []
    for match in anchored(_ATTRIBUTION_RE, text, _speech_starts(text)):
        if match["verb"]:
            who, verb, group = match["who"], match["verb"], "verb"
        elif match["verb2"]:
            who, verb, group = match["who2"], match["verb2"], "verb2"
        else:
            who, verb, group = match["who3"], "according to", "verb3"
        first = who.split()[0]
        if (group == "verb" and first.casefold() in _NOT_SPEAKERS
                and SENTENCE_START_RE.search(text, max(0, match.start() - 8), match.start())):
            continue  # "Both leaders would ignore…": a sentence-initial function word is nobody
        verb_key = _VERB_FORMS.get(" ".join(verb.casefold().split()), " ".join(verb.casefold().split()))
        found.append(Mention(match.start(), match.end(), match.group(0), (_speaker_key(who), verb_key),
                             how=match.span(group)))
    return found


def same_speaker(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two speaker keys can be one speaker (a pronoun can be anyone; 'Peskov' is 'Dmitry Peskov')."""
    return not a or not b or a <= b or b <= a


def attribution_diffs(left: str, right: str) -> tuple[list[FactDiff], list[Mention], list[Mention]]:
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
                    and same_speaker(o.key[0], mention.key[0])), None)
        if hit is None:
            rest.append(mention)
        else:
            same_left.append(mention)
            same_right.append(free.pop(hit))
    for n, mention in enumerate(rest):
        if n < len(free):
            other = free[n]
            a, b = mention, other
            if same_speaker(a.key[0], b.key[0]):
                diffs.append(fact_diff("attribution", left, right, a.how, b.how))
                same_left.append(a)
                same_right.append(b)
            else:
                diffs.append(fact_diff("attribution", left, right, (a.start, a.end), (b.start, b.end)))
        elif _names_speaker(right, mention):
            diffs.append(fact_diff("attribution", left, right, mention.how, None))
        else:
            diffs.append(fact_diff("attribution", left, right, (mention.start, mention.end), None))
    for mention in free[len(rest):]:
        named = _names_speaker(left, mention)
        span = mention.how if named else (mention.start, mention.end)
        diffs.append(fact_diff("attribution", left, right, None, span))
    return diffs, same_left, same_right


def _names_speaker(other: str, mention: Mention) -> bool:
    """Whether the other text names an attribution's speaker too ("Peskov downplayed …, saying" against "Mr Peskov
    was quoted as saying"): then only how it is said is one-sided, not who says it."""
    speaker = mention.key[0]
    return bool(speaker) and speaker <= name_parts(other)

