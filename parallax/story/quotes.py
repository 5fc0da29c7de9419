"""Quote tracker: quoted speech extracted from each source, attributed to a speaker (``parallax.story.speakers``)
and grouped across sources.

Quotes of at least ``MIN_QUOTE_WORDS`` words are tracked and grouped; shorter quoted fragments (scare quotes
such as “sensitive” or “pay a price”) are kept apart as *phrases* and never grouped with quotes.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from parallax.corpus import Source
from parallax.engine.diffing import Segment, token_segments
from parallax.engine.lexicon import QuoteSpan, quote_spans
from parallax.engine.similarity import dice
from parallax.engine.stems import stem_word
from parallax.languages import primary
from parallax.memo import Memo
from parallax.model import DEFAULT_IGNORE
from parallax.story.speakers import attribute, clause_after, is_glue, named_speakers, speaker_key
from parallax.story.translations import join_translations
from parallax.text import WORD_RE, fold, word_count

#: The last "quote" of a source whose reading a deadline cut short (never shown: it marks the rest unread).
UNREAD = "\x00unread"
#: Quotes shorter than this many words are phrases (scare quotes, titles), listed apart and never grouped.
MIN_QUOTE_WORDS = 4
#: Dice of content-word sets at which two quotes of the same speaker are one quote (translations differ a lot).
SAME_SPEAKER_DICE = 0.5
#: Stricter bar when one side has no speaker.
UNKNOWN_SPEAKER_DICE = 0.65
#: Share of the shorter quote's content words found in the longer one for a partial quote to join its group.
CONTAINED = 0.8
#: Rarest content words of a quote used to look up candidates.
RARE_WORDS = 4
#: Seconds a variant's word diff may take.
DIFF_SECONDS = 0.2

#: Characters before a quote searched for who said it ('Peskov told reporters on Tuesday: “…'). Bounded so that a
#: paragraph of n quotes costs O(n), not O(n²): the whole paragraph before each quote was searched, and a 200 KB
#: paragraph of 2,000 short quotes took 17 s of the story overview (which has no time budget for quotes).
ATTRIBUTION_REACH = 2000
_ISE_RE = re.compile(r"is(?:e|ed|es|ing|ation|ations)$")
_TRAIL_PUNCT = ",.;:!?…—–-"

_STOPWORDS = frozenset(WORD_RE.findall("""a about after all also am an and any are as at be been being but by can
could did do does for from had has have he her him his how i if in into is it its just me more most my no not of on or
our ours out over she so some such than that the their them then there these they this those to too up very was we
were what when where which while who will with would you your yours us"""))
_BRITISH = {"neighbour": "neighbor", "armour": "armor", "armoured": "armored", "defence": "defense",
            "centre": "center", "programme": "program", "favour": "favor", "honour": "honor", "labour": "labor",
            "behaviour": "behavior", "colour": "color", "rumour": "rumor", "endeavour": "endeavor",
            "organisation": "organization", "catalogue": "catalog", "dialogue": "dialog", "grey": "gray",
            "travelled": "traveled", "travelling": "traveling", "offence": "offense", "licence": "license"}
_ISE_KEEP = {"promise", "otherwise", "exercise", "advise", "rise", "wise", "surprise", "enterprise", "expertise",
             "franchise", "compromise", "premise", "raise", "praise", "arise", "revise", "supervise", "concise",
             "precise", "noise", "poise", "cruise", "guise", "disguise", "despise", "devise", "treatise"}


@dataclass(frozen=True)
class Quote:
    """Quoted speech in one source: its parts (a quote split by 'he said' has two), speaker and place."""

    source: str
    outlet: str
    parts: tuple[str, ...]
    speaker: str | None
    para: int
    #: The language of the source the quote is in.
    language: str = "en"

    @property
    def text(self) -> str:
        """The parts joined with a space."""
        return " ".join(self.parts)

    @property
    def words(self) -> int:
        """Number of words."""
        return word_count(self.text)

    @property
    def speaker_key(self) -> str | None:
        """The speaker's surname, case-folded: 'Mr Peskov' and 'Dmitry Peskov' share it."""
        return speaker_key(self.speaker)


@dataclass(frozen=True)
class Variant:
    """One wording of a grouped quote, the sources using it and its word diff against the group's first wording."""

    text: str
    sources: tuple[str, ...]
    outlets: tuple[str, ...]
    segments: tuple[Segment, ...]
    #: The language of this wording, and whether it translates the group's first wording (another language).
    language: str = "en"
    translation: bool = False


@dataclass(frozen=True)
class QuoteGroup:
    """The same quote as carried by one or more sources."""

    speaker: str | None
    quotes: tuple[Quote, ...]
    variants: tuple[Variant, ...]

    @property
    def outlets(self) -> list[str]:
        """Distinct outlets carrying the quote, in first-seen order."""
        return list(dict.fromkeys(q.outlet for q in self.quotes))

    @property
    def sources(self) -> list[str]:
        """Distinct sources carrying the quote, in first-seen order."""
        return list(dict.fromkeys(q.source for q in self.quotes))


@dataclass(frozen=True)
class Phrase:
    """A short quoted fragment (fewer than MIN_QUOTE_WORDS words) and who uses it."""

    text: str
    sources: tuple[str, ...]
    outlets: tuple[str, ...]


def _bare(text: str) -> bool:
    """Whether text outside the quotes is only punctuation and spacing."""
    return not WORD_RE.search(text)


@dataclass
class _Draft:
    """A quote under construction while a source is read."""

    parts: list[str]
    speaker: str | None
    para: int
    attributed: bool
    open_end: bool


def extract(source: Source, deadline: float = math.inf) -> list[Quote]:
    """Every quote and phrase in a source, in reading order, attributed where the text says who; reading stops
    at ``deadline`` (``time.monotonic()``), and a source cut short ends with an ``UNREAD`` quote."""
    document = source.document(DEFAULT_IGNORE)
    paragraphs = [(n, document.text[p.start:p.end]) for n, p in enumerate(document.passages) if not p.boilerplate]
    drafts: list[_Draft] = []
    last_speaker: str | None = None
    previous_para = -2
    for number, paragraph in paragraphs:
        if time.monotonic() > deadline:
            drafts.append(_Draft([UNREAD], None, number, False, False))
            break
        spans = quote_spans(paragraph)
        groups: list[list[QuoteSpan]] = []
        for span in spans:
            if groups and is_glue(paragraph[groups[-1][-1].end + 1:span.start - 1],
                                   paragraph[groups[-1][-1].start:groups[-1][-1].end]):
                groups[-1].append(span)
            else:
                groups.append([span])
        cursor = 0
        for g, group in enumerate(groups):
            first, last = group[0], group[-1]
            before = paragraph[:max(first.start - 1, 0)]
            after_end = groups[g + 1][0].start - 1 if g + 1 < len(groups) else len(paragraph)
            after = paragraph[min(last.end + 1, len(paragraph)):after_end]
            glue = [paragraph[a.end + 1:b.start - 1] for a, b in pairwise(group)]
            for _, named in named_speakers(paragraph[cursor:max(first.start - 1, 0)]):
                last_speaker = named
            name, pronoun = attribute(before[-ATTRIBUTION_REACH:], after, glue)
            speaker = name or (last_speaker if pronoun else None)
            parts = [paragraph[s.start:s.end].strip() for s in group]
            standalone = len(groups) == 1 and _bare(before) and _bare(after)
            # Only a quotation left open at its paragraph's end runs on into the next paragraph; a closed one
            # followed by another quotation (next paragraph, or after 'he said.') is a second quote, which keeps
            # the speaker of the attributed quote just before it.
            continues = (drafts and previous_para == number - 1 and g == 0 and _bare(before)
                         and drafts[-1].open_end)
            follows = (drafts and not name and not pronoun and drafts[-1].attributed
                       and (drafts[-1].para == number
                            or (standalone and previous_para == number - 1 and g == 0)))
            if continues:
                drafts[-1].parts.extend(parts)
                drafts[-1].open_end = not last.closed
            elif follows:
                speaker = drafts[-1].speaker
                drafts.append(_Draft(parts, speaker, number, True, not last.closed))
            else:
                drafts.append(_Draft(parts, speaker, number, bool(name or pronoun), not last.closed))
            if speaker:
                last_speaker = speaker
            cursor = min(last.end + 1, len(paragraph))
            for _, found in named_speakers(clause_after(after)):
                last_speaker = found
        for _, named in named_speakers(paragraph[cursor:]):
            last_speaker = named
        if spans:
            previous_para = number
    outlet = source.outlet or source.id
    return [Quote(source.id, outlet, tuple(d.parts), d.speaker, d.para, source.language) for d in drafts]


def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem, after British spellings are mapped to US ones (neighbours → neighbor)."""
    word = _BRITISH.get(word, word)
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    ise = _ISE_RE.search(word)
    if ise and word[:ise.start()] + "ise" not in _ISE_KEEP:
        word = word[:ise.start()] + "iz" + word[ise.start() + 2:]
    stemmed = stem_word(word)
    stemmed = _BRITISH.get(stemmed, stemmed)
    if stemmed.endswith("our") and len(stemmed) > 5:
        stemmed = stemmed[:-3] + "or"
    return stemmed


def content_words(text: str) -> frozenset[str]:
    """Normalised content words of a quote: quotes and case folded, stop words dropped, crudely stemmed."""
    folded = fold(text, frozenset({"quotes", "dashes", "case"}))
    return frozenset(stem(w) for w in WORD_RE.findall(folded) if w not in _STOPWORDS)


def same_quote(a: frozenset[str], b: frozenset[str], speaker_a: str | None, speaker_b: str | None) -> bool:
    """Whether two quotes (as content-word sets, with speaker keys) are one quote, perhaps translated differently."""
    if speaker_a and speaker_b and speaker_a != speaker_b:
        return False
    bar = SAME_SPEAKER_DICE if speaker_a and speaker_b else UNKNOWN_SPEAKER_DICE
    # Two quotes without a content word are not evidence of one quote: empty sets score 0.
    if dice(a, b, empty=0.0) >= bar:
        return True
    small = min(len(a), len(b))
    return small >= 5 and len(a & b) / small >= CONTAINED and bool(speaker_a and speaker_b)


class _Union:
    """Union-find over integers."""

    def __init__(self, size: int) -> None:
        """Each item in its own set."""
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        """Representative of the item's set."""
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: int, b: int) -> None:
        """Merge two sets (the smaller representative wins, keeping first-seen order)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_quotes(quotes: Sequence[Quote]) -> list[QuoteGroup]:
    """Group quotes (≥ MIN_QUOTE_WORDS words) that are the same words of the same speaker, most outlets first."""
    tracked = [q for q in quotes if q.words >= MIN_QUOTE_WORDS]
    # Identical (speaker, normalised words) collapse first; fuzzy matching then runs over distinct keys only.
    keys: dict[tuple[str | None, frozenset[str]], int] = {}
    members: list[list[Quote]] = []
    for quote in tracked:
        key = (quote.speaker_key, content_words(quote.text))
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        members[keys[key]].append(quote)
    distinct = list(keys)
    union = _Union(len(distinct))
    frequency: Counter[str] = Counter(w for _, ws in distinct for w in ws)
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for n, (_, ws) in enumerate(distinct):
        for word in sorted(ws, key=lambda w: (frequency[w], w))[:RARE_WORDS]:
            postings[word].append(n)
    for n, (speaker, ws) in enumerate(distinct):
        seen: set[int] = set()
        for word in sorted(ws, key=lambda w: (frequency[w], w))[:RARE_WORDS]:
            for other in postings[word]:
                if other <= n or other in seen:
                    continue
                seen.add(other)
                if same_quote(ws, distinct[other][1], speaker, distinct[other][0]):
                    union.join(n, other)
    clusters: dict[int, list[Quote]] = {}
    for n in range(len(distinct)):
        clusters.setdefault(union.find(n), []).extend(members[n])
    names = full_names(quotes)
    groups = [_make_group(found, names) for found in join_translations(list(clusters.values()))]
    order = {id(g): n for n, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-len(g.outlets), -len(g.sources), order[id(g)]))


def full_names(quotes: Iterable[Quote]) -> dict[str, str]:
    """Surname key → the fullest name any quote gives that speaker ('Dmitry Peskov' over 'Mr Peskov')."""
    counts = Counter(q.speaker for q in quotes if q.speaker)
    best: dict[str, str] = {}
    for name in sorted(counts, key=lambda n: (len(n.split()), counts[n], n)):
        best[speaker_key(name) or name] = name
    return best


def _make_group(quotes: list[Quote], names: dict[str, str]) -> QuoteGroup:
    """A group with its distinct wordings, the most used first, each diffed word by word against the first."""
    by_text: dict[str, list[Quote]] = {}
    for quote in quotes:
        by_text.setdefault(fold(quote.text, DEFAULT_IGNORE).rstrip(_TRAIL_PUNCT + " "), []).append(quote)
    ordered = sorted(((found[0].text, found) for found in by_text.values()),
                     key=lambda item: -len({q.source for q in item[1]}))
    reference, language = ordered[0][0], primary(ordered[0][1][0].language)
    ignore = DEFAULT_IGNORE | {"case", "punctuation"}
    variants = tuple(
        Variant(text, tuple(dict.fromkeys(q.source for q in found)), tuple(dict.fromkeys(q.outlet for q in found)),
                tuple(token_segments(reference, text, "word", ignore, DIFF_SECONDS))
                if n and primary(found[0].language) == language else (Segment("equal", text),),
                found[0].language, primary(found[0].language) != language)
        for n, (text, found) in enumerate(ordered))
    key = next((q.speaker_key for q in quotes if q.speaker_key), None)
    return QuoteGroup(names.get(key) if key else None, tuple(quotes), variants)


def phrases(quotes: Sequence[Quote]) -> list[Phrase]:
    """Short quoted fragments, merged by their folded text, most outlets first."""
    merged: dict[str, list[Quote]] = {}
    for quote in quotes:
        if quote.words < MIN_QUOTE_WORDS:
            key = fold(quote.text, frozenset({"quotes", "case", "punctuation", "whitespace"}))
            merged.setdefault(key, []).append(quote)
    found = [Phrase(items[0].text.strip(_TRAIL_PUNCT + " "), tuple(dict.fromkeys(q.source for q in items)),
                    tuple(dict.fromkeys(q.outlet for q in items))) for items in merged.values()]
    return sorted(found, key=lambda p: -len(p.outlets))


def _source_key(source: Source) -> tuple[str, str, str]:
    """What a source's quotes depend on: its text (``content_key``) and the id and outlet each quote carries."""
    return (source.id, source.content_key, source.outlet)


def _cut_short(quotes: Sequence[Quote]) -> bool:
    """Whether a deadline stopped reading a source before its end (its last quote is ``UNREAD``)."""
    return bool(quotes) and quotes[-1].parts == (UNREAD,)


# Keyed on strings only, never on the Source: a cache entry must not keep an old (up to 2 MB) body alive.
def source_quotes(source: Source, memo: Memo | None = None, deadline: float = math.inf) -> tuple[Quote, ...]:
    """Quotes of one source, memoised per id, content key and outlet (unless cut short by ``deadline``)."""
    if memo is None:
        return tuple(extract(source, deadline))
    return memo.get("quotes", _source_key(source), lambda: tuple(extract(source, deadline)),
                    keep=lambda found: not _cut_short(found))


def story_quotes(sources: Sequence[Source], memo: Memo | None = None) -> tuple[list[QuoteGroup], list[Phrase]]:
    """Quote groups and phrases of a story, memoised per corpus state (ids, content keys and outlets, in order)."""
    groups, found, _ = story_quotes_within(sources, memo)
    return groups, found


def story_quotes_within(sources: Sequence[Source], memo: Memo | None = None, deadline: float = math.inf
                        ) -> tuple[list[QuoteGroup], list[Phrase], int]:
    """Quote groups and phrases of a story read until ``deadline`` (``time.monotonic()``), and how many sources
    were cut short; memoised per corpus state when none was."""
    def build() -> tuple[list[QuoteGroup], list[Phrase], int]:
        per_source = [source_quotes(source, memo, deadline) for source in sources]
        quotes = [q for found in per_source for q in found if q.parts != (UNREAD,)]
        return group_quotes(quotes), phrases(quotes), sum(map(_cut_short, per_source))

    if memo is None:
        return build()
    return memo.get("story_quotes", tuple(_source_key(s) for s in sources), build, keep=lambda built: not built[2])
