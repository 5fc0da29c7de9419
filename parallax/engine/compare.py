"""The comparison engine's entry point: options, the row/segment model, reading-order layout and statistics."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from parallax.engine.align import align
from parallax.engine.config import ENGINE
from parallax.engine.diffing import (
    Segment,
    change_counts,
    equal_words,
    segment_similarity,
    token_segments,
    whole_segments,
)
from parallax.engine.moves import Pair
from parallax.engine.similarity import load_models
from parallax.languages import differ, primary
from parallax.model import DEFAULT_IGNORE, KINDS, UNITS, RowKind, Unit, ignore_list
from parallax.text import CutMemo, Document, Sentence, check_ignore, cut_sentences, match_key, word_count

if TYPE_CHECKING:  # the fact readers load with the first fact read (a plain diff prints none)
    from parallax.engine.facts import FactDiff
    from parallax.engine.facts.across import AcrossReader
    from parallax.engine.facts.whole import FactReader


@dataclass(frozen=True)
class CompareOptions:
    """How to compare: diff unit, cosmetic differences to ignore and resource limits."""

    unit: Unit = "word"
    ignore: frozenset[str] = DEFAULT_IGNORE
    time_budget: float = 2.0
    max_chars: int = 2_000_000

    def __post_init__(self) -> None:
        """Refuse an unknown unit or ignore option (ValueError naming it); ``ignore`` is kept as a frozenset."""
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; allowed: {', '.join(UNITS)}")
        object.__setattr__(self, "ignore", check_ignore(self.ignore))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"unit": self.unit, "ignore": ignore_list(self.ignore), "time_budget": self.time_budget,
                "max_chars": self.max_chars}


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side view: a sentence (or merged sentences) on either or both sides."""

    index: int
    kind: RowKind
    left: str | None
    right: str | None
    left_pos: int | None
    right_pos: int | None
    segments: list[Segment]
    similarity: float
    boilerplate: bool = False
    para_start_left: bool = False
    para_start_right: bool = False
    whole: bool = False
    #: Sentences a moved row carries (a block moved together is one row), 1 for any other row.
    passages: int = 1
    #: For a moved row: "up" when the right text has it earlier than the left did, else "down".
    direction: str = ""
    #: When the two texts are in different languages: "ru → en" for a paired row, a one-sided row's own language.
    languages: str = ""
    #: Reads this row's facts against both whole texts, naming outlets (compare() sets it; a row built alone reads
    #: its own two sentences only).
    reader: ClassVar[Facts | None] = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"index": self.index, "kind": self.kind, "left": self.left, "right": self.right,
                "left_pos": self.left_pos, "right_pos": self.right_pos,
                "segments": [s.to_dict() for s in self.segments], "similarity": self.similarity,
                "boilerplate": self.boilerplate, "para_start_left": self.para_start_left,
                "para_start_right": self.para_start_right, "whole": self.whole,
                "passages": self.passages, "direction": self.direction, "languages": self.languages,
                "facts": [f.to_dict() for f in self.facts]}

    @cached_property
    def facts(self) -> list[FactDiff]:
        """Numbers, dates, names, quoted words and attribution that differ between the sides. A fact one side alone
        states is reported, under its outlet, only when the other whole text states it nowhere; a passage one side
        alone carries lists such facts of its own."""
        if self.boilerplate:
            return []  # page furniture (an update stamp, a byline, a promotion) reports no fact
        if self.reader is None:
            from parallax.engine.facts import fact_differences

            return [] if self.left is None or self.right is None else fact_differences(self.left, self.right)
        reader = self.reader.get()
        if self.left is None or self.right is None:
            return reader.one_sided(self.left or self.right or "", 0 if self.right is None else 1)
        return reader.paired(self.left, self.right)


@dataclass
class Facts:
    """What reads the facts of one comparison's rows, made when a row's facts are first read: a comparison shown as
    text reads none, and the fact modules are then never imported."""

    texts: tuple[list[str], list[str]]
    names: tuple[str, str]
    languages: tuple[str, str] | None = None
    _reader: FactReader | AcrossReader | None = None

    def get(self) -> FactReader | AcrossReader:
        """The reader: across languages when the texts' languages differ, else against both whole texts."""
        if self._reader is None:  # two threads may both make one: the same reader, the first one kept
            if self.languages:  # a translation words everything otherwise: only numbers, dates and names count
                from parallax.engine.facts.across import AcrossReader

                self._reader = AcrossReader(*self.texts, self.languages, self.names)
            else:
                from parallax.engine.facts.whole import FactReader

                self._reader = FactReader(*self.texts, self.names)
        return self._reader


@dataclass(frozen=True)
class Stats:
    """Word-level similarity and change counts, and row counts per kind."""

    similarity: float = 1.0
    words_added: int = 0
    words_removed: int = 0
    words_changed: int = 0
    same: int = 0
    changed: int = 0
    reworded: int = 0
    moved: int = 0
    left_only: int = 0
    right_only: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    """The result of comparing two documents."""

    rows: list[Row]
    display: list[tuple[int, str]]
    stats: Stats
    limits: list[str]
    options: CompareOptions

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"rows": [r.to_dict() for r in self.rows], "display": [[i, side] for i, side in self.display],
                "stats": self.stats.to_dict(), "limits": list(self.limits), "options": self.options.to_dict()}


@dataclass
class _Run:
    """Mutable state of one comparison: sentences, clock and the limits met."""

    left: list[Sentence]
    right: list[Sentence]
    options: CompareOptions
    ignore: frozenset[str]
    deadline: float
    coarse: bool
    limits: list[str] = field(default_factory=list)
    late_rows: int = 0
    #: The two texts' languages when they differ (sentences pair across languages, rows are read whole).
    languages: tuple[str, str] | None = None

    def remaining(self) -> float:
        """Seconds left of the time budget (negative once exceeded)."""
        return self.deadline - time.perf_counter()


def compare(left: Document, right: Document, options: CompareOptions = CompareOptions(),
            names: tuple[str, str] = ("left", "right")) -> Comparison:
    """Compare two documents sentence by sentence, then word by word inside changed sentences; ``names`` (the two
    outlets) name the side that alone states a fact."""
    ignore = options.ignore
    load_models()  # loaded once per process, before the clock starts: a first comparison is not cut short by it
    deadline = time.perf_counter() + options.time_budget
    cut_by = time.monotonic() + options.time_budget  # sentence cutting counts against the same budget
    coarse = max(len(left.text), len(right.text)) > options.max_chars
    memo = CutMemo()  # splits and match keys shared by both sides
    run = _Run(cut_sentences(left, ignore, memo, cut_by), cut_sentences(right, ignore, memo, cut_by), options,
               ignore, deadline, coarse,
               languages=(primary(left.language), primary(right.language)) if differ(left.language, right.language)
               else None)
    if time.monotonic() > cut_by:
        run.limits.append(f"time budget of {options.time_budget} s reached while cutting sentences: the rest was cut "
                          "after every full stop, question or exclamation mark")
    if coarse:
        run.limits.append(f"text longer than {options.max_chars:,} characters: compared at sentence level only")
    pairs = _align(run)
    rows, display = _layout(run, pairs)
    texts = ([run.left[n].text for n in _active(run.left, ignore)],
             [run.right[n].text for n in _active(run.right, ignore)])
    reader = Facts(texts, names, run.languages)
    if run.languages:
        rows = [replace(row, languages=_row_languages(row, run.languages)) for row in rows]
    for row in rows:
        object.__setattr__(row, "reader", reader)  # frozen rows; facts are read lazily, on first use
    if run.late_rows:
        run.limits.append(f"time budget of {options.time_budget} s reached: "
                          f"{run.late_rows} passages compared at sentence level")
    return Comparison(rows, display, _stats(rows, ignore), run.limits, options)


def _row_languages(row: Row, languages: tuple[str, str]) -> str:
    """What a row says of its languages: "ru → en" when paired, else its one side's language."""
    if row.left is not None and row.right is not None:
        return f"{languages[0]} → {languages[1]}"
    return languages[0] if row.right is None else languages[1]


def _active(sentences: Sequence[Sentence], ignore: frozenset[str]) -> list[int]:
    """Indices of the sentences that take part in matching (boilerplate sits out when ignored)."""
    hide = "boilerplate" in ignore
    return [n for n, s in enumerate(sentences) if not (hide and s.boilerplate)]


def _align(run: _Run) -> list[Pair]:
    """All matched pairs (exact and by similarity), sorted by left index, with moved ones flagged."""
    active_left, active_right = _active(run.left, run.ignore), _active(run.right, run.ignore)
    pairs, done = align(run.left, run.right, active_left, active_right, run.remaining, similar=not run.coarse,
                        languages=run.languages)
    if done == "skipped" and not run.coarse:
        run.limits.append(f"time budget of {run.options.time_budget} s reached before pairing reworded sentences: "
                          "they are shown as removed and added")
    elif done == "partial":
        run.limits.append(f"time budget of {run.options.time_budget} s reached while pairing reworded sentences: "
                          "some of them may be shown as removed and added")
    return pairs


def _layout(run: _Run, pairs: list[Pair]) -> tuple[list[Row], list[tuple[int, str]]]:
    """Rows in reading order and the side-by-side display list (moved rows shown on both sides)."""
    moved_at_left = {p.left: p for p in pairs if p.moved}
    moved_at_right = {p.right: p for p in pairs if p.moved}
    rows: list[Row] = []
    entries: list[tuple[Pair | int, str]] = []
    row_of: dict[int, int] = {}
    i = j = 0
    end = Pair(len(run.left), len(run.left), len(run.right), len(run.right), 0.0)
    for anchor in [*(p for p in pairs if not p.moved), end]:
        while i < anchor.left:
            if i in moved_at_left:
                pair = moved_at_left[i]
                row_of[id(pair)] = len(rows)
                entries.append((len(rows), "left"))
                rows.append(_pair_row(run, pair, len(rows)))
                i = pair.left_end
            else:
                entries.append((len(rows), "both"))
                rows.append(_one_sided(run.left[i], i, len(rows), left_side=True))
                i += 1
        while j < anchor.right:
            if j in moved_at_right:
                entries.append((moved_at_right[j], "right"))
                j = moved_at_right[j].right_end
            else:
                entries.append((len(rows), "both"))
                rows.append(_one_sided(run.right[j], j, len(rows), left_side=False))
                j += 1
        if anchor is not end:
            entries.append((len(rows), "both"))
            rows.append(_pair_row(run, anchor, len(rows)))
            i, j = anchor.left_end, anchor.right_end
    display = [(row_of[id(ref)] if isinstance(ref, Pair) else ref, side) for ref, side in entries]
    return rows, display


def _one_sided(sentence: Sentence, position: int, index: int, left_side: bool) -> Row:
    """A row for a sentence with no counterpart on the other side."""
    if left_side:
        return Row(index, "left_only", sentence.text, None, position, None, [Segment("delete", sentence.text)],
                   0.0, sentence.boilerplate, para_start_left=sentence.para_start)
    return Row(index, "right_only", None, sentence.text, None, position, [Segment("insert", sentence.text)], 0.0,
               sentence.boilerplate, para_start_right=sentence.para_start)


def _pair_row(run: _Run, pair: Pair, index: int) -> Row:
    """A row for matched sentences: one equal segment when their keys agree, else a word/char diff."""
    lefts, rights = run.left[pair.left:pair.left_end], run.right[pair.right:pair.right_end]
    left_text, right_text = "".join(s.text for s in lefts), "".join(s.text for s in rights)
    boilerplate = any(s.boilerplate for s in [*lefts, *rights])
    identical = pair.left_end - pair.left == 1 == pair.right_end - pair.right and lefts[0].key == rights[0].key
    kind: RowKind
    if identical or match_key(left_text, run.ignore) == match_key(right_text, run.ignore):
        segments = [Segment("equal", left_text, None if left_text == right_text else right_text)]
        kind, similarity, whole = ("moved" if pair.moved else "same"), 1.0, False
    else:
        # The row shows the score that paired it (word Dice for changed, weighted term Dice for reworded).
        segments, whole = _diff(run, left_text, right_text, pair.tier)
        similarity = round(pair.score, 4)
        kind = "moved" if pair.moved else ("reworded" if pair.tier == "reworded" else "changed")
    direction = ""
    if pair.moved:
        direction = "up" if pair.right / max(len(run.right), 1) < pair.left / max(len(run.left), 1) else "down"
    return Row(index, kind, left_text, right_text, pair.left, pair.right, segments, similarity, boilerplate,
               lefts[0].para_start, rights[0].para_start, whole, pair.left_end - pair.left if pair.moved else 1,
               direction)


def _diff(run: _Run, left: str, right: str, tier: str) -> tuple[list[Segment], bool]:
    """Segments and 'whole' flag for a changed or reworded pair, within the unit and time budget.

    Reworded pairs, and any pair of two languages, are always shown whole: a word diff of two wordings of one fact
    is mostly noise.
    """
    if run.options.unit == "sentence" or run.coarse or tier == "reworded" or run.languages:
        return whole_segments(left, right), True
    remaining = run.remaining()
    if remaining <= 0:
        run.late_rows += 1
        return whole_segments(left, right), True
    segments = token_segments(left, right, run.options.unit, run.ignore, remaining)
    if segment_similarity(segments) < ENGINE.whole_below:
        return whole_segments(left, right), True
    return segments, False


def _stats(rows: Sequence[Row], ignore: frozenset[str]) -> Stats:
    """Similarity and counts over the rows a reader sees (boilerplate left out when ignored)."""
    counted = [r for r in rows if not (r.boilerplate and "boilerplate" in ignore)]
    kinds = {kind: sum(1 for r in counted if r.kind == kind) for kind in KINDS}
    added = removed = changed = shared = total = 0
    for row in counted:
        if row.kind in ("left_only", "right_only"):
            # One-sided rows: every word is added or removed, no need to walk segments.
            count = word_count(row.left or row.right or "")
            total += count
            added, removed = (added + count, removed) if row.left is None else (added, removed + count)
            continue
        left_words = word_count(row.left or "")
        total += left_words + (left_words if row.right == row.left else word_count(row.right or ""))
        if len(row.segments) == 1 and row.segments[0].op == "equal":
            shared += left_words  # same (or identical moved) row: nothing added, removed or changed
            continue
        shared += equal_words(row.segments)
        more, fewer, replaced = change_counts(row.segments)
        added, removed, changed = added + more, removed + fewer, changed + replaced
    similarity = min(1.0, 2 * shared / total) if total else 1.0  # capped as in segment_similarity
    moved = sum(r.passages for r in counted if r.kind == "moved")  # passages moved, a block counting each
    return Stats(similarity, added, removed, changed, kinds["same"], kinds["changed"], kinds["reworded"],
                 moved, kinds["left_only"], kinds["right_only"])
