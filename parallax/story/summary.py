"""The summary of a comparison: row counts, facts that differ, passages one side alone carries, who is quoted.

Boilerplate rows are counted (so the counts add up to the rows) but left out of everything else: the facts, the
one-sided passages, the speakers and the plain-language text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from parallax.engine.facts import FactDiff, fact_differences
from parallax.languages import name as language_name
from parallax.model import KINDS, PAIRED_KINDS
from parallax.story import edit_kinds
from parallax.story.speakers import Speaker, SpeakerRow
from parallax.text import WORD_RE

Side = Literal["left", "right"]
#: Words quoted from the start of a one-sided passage.
FIRST_WORDS = 8
#: Fact labels spelled out in the text; the rest are counted ("and 3 more").
TEXT_FACTS = 5
#: Speakers spelled out in the text.
TEXT_SPEAKERS = 4
#: Places of a passage's first three words on the other side checked for the whole passage (a text repeating one
#: phrase thousands of times stays linear; a passage found at none of them counts as carried alone).
_ELSEWHERE_CANDIDATES = 64
#: Words of one side past which passages carried elsewhere are not looked for: the trigram look-up costs about
#: 1 s per 100,000 words on this machine, and a summary must stay inside the comparison's budget (a 1 MB pair).
_ELSEWHERE_MAX_WORDS = 60_000


class RowLike(SpeakerRow, Protocol):
    """What the summary reads of a comparison row (parallax.engine.compare.Row has it all)."""

    @property
    def kind(self) -> str: ...
    @property
    def para_start_left(self) -> bool: ...
    @property
    def para_start_right(self) -> bool: ...


@dataclass(frozen=True)
class RowFact:
    """A fact difference and the row it belongs to."""

    row: int
    fact: FactDiff

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form: the fact's fields plus its row index."""
        return {"row": self.row, **self.fact.to_dict()}


@dataclass(frozen=True)
class OneSided:
    """A paragraph (run of consecutive one-sided rows) that only one side carries."""

    side: Side
    rows: tuple[int, ...]
    first_words: str
    sentences: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"side": self.side, "rows": list(self.rows), "first_words": self.first_words,
                "sentences": self.sentences}


@dataclass(frozen=True)
class Summary:
    """What a comparison comes to, as data and as one plain-language paragraph."""

    left_outlet: str
    right_outlet: str
    counts: tuple[tuple[str, int], ...]
    boilerplate: int
    facts: tuple[RowFact, ...]
    one_sided: tuple[OneSided, ...]
    left_speakers: tuple[Speaker, ...]
    right_speakers: tuple[Speaker, ...]
    text: str
    #: Each edited row's edit kind (parallax.story.edit_kinds), in row order.
    edits: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        found = edit_kinds.counts(kind for _, kind in self.edits)
        return {"edits": {"counts": found, "text": edit_kinds.describe(found),
                          "rows": [{"row": row, "kind": kind} for row, kind in self.edits]},
                "left_outlet": self.left_outlet, "right_outlet": self.right_outlet, "counts": dict(self.counts),
                "boilerplate": self.boilerplate, "facts": [f.to_dict() for f in self.facts],
                "one_sided": [p.to_dict() for p in self.one_sided],
                "speakers": {"left": [s.to_dict() for s in self.left_speakers],
                             "right": [s.to_dict() for s in self.right_speakers]},
                "text": self.text}


def row_facts(row: RowLike) -> list[FactDiff]:
    """The fact differences of a row: its own list when the engine gives one (a one-sided passage lists the facts
    the other text states nowhere), else those of a paired row's two sentences."""
    own = getattr(row, "facts", None)
    if isinstance(own, list):
        return list(own)
    if row.kind not in PAIRED_KINDS or row.left is None or row.right is None:
        return []
    return fact_differences(row.left, row.right)


def summarise(rows: Sequence[RowLike], left_outlet: str, right_outlet: str,
              speakers: tuple[tuple[Speaker, ...], tuple[Speaker, ...]]) -> Summary:
    """Summarise a comparison's rows for two outlets, given who each side cites (``speakers.side_speakers``)."""
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    read = [row for row in rows if not row.boilerplate]
    facts = tuple(RowFact(row.index, fact) for row in read for fact in row_facts(row))
    elsewhere = _carried_elsewhere(read)
    one_sided = tuple(_one_sided(read, elsewhere))
    repeated = {side: sum(1 for r in read if r.index in elsewhere and r.kind == f"{side}_only")
                for side in ("left", "right")}
    left_speakers, right_speakers = speakers
    text = _text(read, left_outlet, right_outlet, facts, one_sided, left_speakers, right_speakers, repeated)
    languages = row_languages(rows)
    if languages:
        text = (f"{left_outlet} is in {language_name(languages[0])} and {right_outlet} in "
                f"{language_name(languages[1])}: their wording differs as a translation's does, so facts are "
                f"compared, not words. {text}")
    with_facts = {f.row for f in facts}
    edits = tuple((row.index, kind) for row in read if (kind := edit_kinds.edit_kind(
        row.kind, row.boilerplate, row.index in with_facts and row.kind in PAIRED_KINDS,
        row.right if row.kind == "right_only" else row.left)) is not None)
    return Summary(left_outlet, right_outlet, tuple(counts.items()), sum(1 for r in rows if r.boilerplate), facts,
                   one_sided, left_speakers, right_speakers, text, edits)


def row_languages(rows: Sequence[RowLike]) -> tuple[str, str] | None:
    """The two languages of a comparison across languages (its paired rows say "ru → en"), else None."""
    for row in rows:
        found = str(getattr(row, "languages", "") or "")
        if " → " in found:
            left, right = found.split(" → ", 1)
            return left, right
    sides = {("left" if row.right is None else "right"): str(getattr(row, "languages", "") or "") for row in rows}
    if sides.get("left") and sides.get("right"):
        return sides["left"], sides["right"]
    return None


def _folded_words(text: str) -> list[str]:
    """A text's words in lower case, for telling whether one side carries the other's words verbatim."""
    return [word.casefold() for word in WORD_RE.findall(text)]


def _carried_elsewhere(rows: Sequence[RowLike]) -> frozenset[int]:
    """One-sided rows whose words the other side carries verbatim at another place (a sentence repeated on one side,
    or carried inside a longer sentence on the other): the other side does not lack them. Looked up through each
    side's word trigrams (at most ``_ELSEWHERE_CANDIDATES`` places each), so the cost stays linear in the text."""
    found: set[int] = set()
    for side, kind in (("left", "right_only"), ("right", "left_only")):
        words = [w for row in rows for w in _folded_words((row.left if side == "left" else row.right) or "")]
        if len(words) > _ELSEWHERE_MAX_WORDS:
            continue  # past this size the look-up would cost more than the comparison's budget: not looked for
        starts: dict[tuple[str, ...], list[int]] = {}
        for at in range(len(words) - 2):
            starts.setdefault(tuple(words[at:at + 3]), []).append(at)
        for row in rows:
            if row.kind != kind:
                continue
            own = _folded_words((row.right if kind == "right_only" else row.left) or "")
            candidates = starts.get(tuple(own[:3]), [])[:_ELSEWHERE_CANDIDATES]
            if len(own) >= 3 and any(words[at:at + len(own)] == own for at in candidates):
                found.add(row.index)
    return frozenset(found)


def shared_wording(rows: Sequence[Mapping[str, Any]], skip_boilerplate: bool) -> float:
    """Words both texts carry, as a share of all their words (2 × shared / total), over the rows a reader sees.

    Rows with a word diff share their unchanged words; a reworded row (shown whole, without a word diff) shares the
    words both of its sentences use, so two wordings of one fact are not counted as sharing nothing."""
    shared = total = 0
    for row in rows:
        if skip_boilerplate and row.get("boilerplate"):
            continue
        left, right = _folded_words(str(row.get("left") or "")), _folded_words(str(row.get("right") or ""))
        total += len(left) + len(right)
        if row.get("kind") not in PAIRED_KINDS:
            continue
        segments = row.get("segments") or []
        equal = sum(len(WORD_RE.findall(str(s["text"]))) for s in segments if s["op"] == "equal")
        if not equal and row.get("kind") != "same":
            equal = sum((Counter(left) & Counter(right)).values())
        shared += equal
    return min(1.0, 2 * shared / total) if total else 1.0


def _one_sided(rows: Sequence[RowLike], elsewhere: frozenset[int] = frozenset()) -> list[OneSided]:
    """Runs of consecutive rows one side alone carries, cut where that side starts a paragraph; rows whose words the
    other side carries verbatim elsewhere are not counted."""
    groups: list[OneSided] = []
    run: list[RowLike] = []
    side: Side | None = None

    def close() -> None:
        if run and side:
            # Enough text for FIRST_WORDS words and to know whether more follow, without reading whole passages.
            words = " ".join((r.left if side == "left" else r.right) or "" for r in run[:2])[:40 * FIRST_WORDS].split()
            first = " ".join(words[:FIRST_WORDS]) + ("…" if len(words) > FIRST_WORDS else "")
            groups.append(OneSided(side, tuple(r.index for r in run), first, len(run)))

    for row in rows:
        this: Side | None = "left" if row.kind == "left_only" else "right" if row.kind == "right_only" else None
        if row.index in elsewhere:
            this = None
        starts = row.para_start_left if this == "left" else row.para_start_right
        if this is None or this != side or starts:
            close()
            run = []
        side = this
        if this is not None:
            run.append(row)
    close()
    return groups


def _plural(count: int, word: str, plural: str | None = None) -> str:
    """'1 passage', '3 passages'."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _text(rows: Sequence[RowLike], left: str, right: str, facts: Sequence[RowFact], one_sided: Sequence[OneSided],
          left_speakers: Sequence[Speaker], right_speakers: Sequence[Speaker],
          repeated: Mapping[str, int] | None = None) -> str:
    """The summary as one plain-language paragraph; ``repeated`` counts, per side, the one-sided passages whose words
    the other side carries at another place (not counted as carried alone)."""
    outlets = (left, right)
    if left == right:  # two versions of one outlet
        subject, left, right = f"The two versions from {left}", "The left version", "The right version"
    else:
        subject = f"{left} and {right}"
    kinds: dict[str, int] = {kind: sum(1 for r in rows if r.kind == kind) for kind in KINDS}
    across = row_languages(rows) is not None
    shared = sum(kinds[k] for k in PAIRED_KINDS)
    paired_rows = {r.index for r in rows if r.kind in PAIRED_KINDS}
    sentences: list[str] = []
    if shared:
        present = [(kinds[k], k) for k in ("changed", "reworded", "moved") if kinds[k]]
        parts = [f"{n} {k}" for n, k in present]
        if parts:
            parts[0] = f"{present[0][0]} {'is' if present[0][0] == 1 else 'are'} {present[0][1]}"
        tail = f"; {_join(parts)}" if parts else ", word for word"
        if across:  # every pair is worded otherwise: what counts is that it states the same fact
            tail = " that state the same facts in both languages"
        sentences.append(f"{subject} share {_plural(shared, 'passage')}{tail}.")
        differing = [f for f in facts if f.row in paired_rows]
        if differing:
            labels = [f.fact.label for f in differing[:TEXT_FACTS]]
            more = f"; and {len(differing) - TEXT_FACTS} more" if len(differing) > TEXT_FACTS else ""
            sentences.append(f"{_plural(len(differing), 'fact')} {'differs' if len(differing) == 1 else 'differ'}: "
                             f"{'; '.join(labels)}{more}.")
        else:
            sentences.append("No number, date or name differs in them." if across
                             else "No number, date, name, quote or attribution differs in them.")
    else:
        sentences.append(f"{subject} share no passage.")
    for side, outlet, other in (("left", left, right), ("right", right, left)):
        groups = [g for g in one_sided if g.side == side]
        if groups:
            count = sum(g.sentences for g in groups)
            sentences.append(f"{outlet} alone carries {_plural(count, 'passage')} "
                             f"({_plural(len(groups), 'paragraph')}).")
        alone = [f.fact for f in facts if f.row not in paired_rows and f.fact.outlet is not None
                 and (f.fact.left if side == "left" else f.fact.right) is not None]
        if alone:
            named = ["a quote" if f.kind == "quote" else f"{f.left or f.right} ({f.kind})" for f in alone[:TEXT_FACTS]]
            more = f" and {len(alone) - TEXT_FACTS} more" if len(alone) > TEXT_FACTS else ""
            who = outlet.lower() if outlet in ("The left version", "The right version") else outlet
            sentences.append(f"Only {who} states {_join(named) if not more else ', '.join(named)}{more}.")
        again = (repeated or {}).get(side, 0)
        if again:
            by = other.lower() if other in ("The left version", "The right version") else other
            sentences.append(f"{_plural(again, 'more passage')} of {outlet} {'is' if again == 1 else 'are'} carried "
                             f"word for word at another place by {by}.")
    cited = _cited(left_speakers, right_speakers, *outlets)
    if cited:
        sentences.append(f"Cited: {cited}.")
    return " ".join(sentences)


def _cited(left_speakers: Sequence[Speaker], right_speakers: Sequence[Speaker], left: str, right: str) -> str:
    """'Dmitry Peskov (both), Matthew Miller (Press TV only)': the most cited speakers and who cites them."""
    by_key: dict[str, tuple[str, int, frozenset[Side]]] = {}
    sides: tuple[tuple[Side, Sequence[Speaker]], ...] = (("left", left_speakers), ("right", right_speakers))
    for side, speakers in sides:
        for speaker in speakers:
            key = speaker.key
            name, count, seen = by_key.get(key, (speaker.name, 0, frozenset()))
            by_key[key] = (max(name, speaker.name, key=len), count + len(speaker.rows), seen | {side})
    ranked = sorted(by_key.values(), key=lambda item: (-item[1], item[0]))[:TEXT_SPEAKERS]
    # Two versions of one outlet: say which side, not which outlet.
    names = {"left": "left", "right": "right"} if left == right else {"left": left, "right": right}
    return ", ".join(f"{name} ({'both' if len(seen) == 2 else names[next(iter(seen))] + ' only'})"
                     for name, _, seen in ranked)
