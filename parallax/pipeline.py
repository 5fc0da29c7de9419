"""The reading pipeline: one call per use (compare two sources, build a story overview), owning cache and limits.

Views parse the request, make one call here and respond; nothing here knows HTTP.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachelib import BaseCache

from parallax.cache import cached, comparison_key
from parallax.corpus import Source
from parallax.engine.compare import CompareOptions, compare
from parallax.memo import Memo
from parallax.model import DEFAULT_IGNORE, Unit, View, ignore_list, row_anchor
from parallax.story import digest, edit_kinds, timeline
from parallax.story.speakers import side_speakers
from parallax.story.summary import shared_wording, summarise

if TYPE_CHECKING:  # the story-wide uses import their modules when first called: a comparison needs none of them
    from parallax.index.search import CorpusIndex
    from parallax.story import overview, quotes
    from parallax.story.drawing import LineageDrawing


def options(settings: Mapping[str, Any], unit: Unit = "word", ignore: frozenset[str] = DEFAULT_IGNORE
            ) -> CompareOptions:
    """Comparison options with the settings' limits (COMPARE_TIME_BUDGET, COMPARE_MAX_CHARS): the defaults are what
    the comparison page opens with."""
    return CompareOptions(unit=unit, ignore=ignore, time_budget=float(settings["COMPARE_TIME_BUDGET"]),
                          max_chars=int(settings["COMPARE_MAX_CHARS"]))


@dataclass(frozen=True)
class SourceComparison:
    """A comparison of two sources as plain data: rows, stats, display, summary, and the limits that cut it short."""

    data: dict[str, Any]


def compare_sources(left: Source, right: Source, options: CompareOptions, cache: BaseCache,
                    names: tuple[str, str] | None = None) -> SourceComparison:
    """Two sources compared with these options, with the summary of what differs, from the cache when it has them;
    the summary and the facts one side alone states name each side by ``names``, else by its outlet."""
    outlets = names or (left.outlet or left.id, right.outlet or right.id)  # the summary's text names them
    key = comparison_key(left.content_key, right.content_key, options.unit, options.ignore, extra=outlets)

    def build() -> dict[str, Any]:
        result = compare(left.document(options.ignore), right.document(options.ignore), options, outlets)
        summary = summarise(result.rows, *outlets, side_speakers(result.rows))
        return {**result.to_dict(), "summary": summary.to_dict()}

    data: dict[str, Any] = cached(cache, key, build,
                                  keep=lambda model: not model["limits"])  # a result cut short is not kept for others
    return SourceComparison(data)


def comparison_document(left: Source, right: Source, options: CompareOptions, cache: BaseCache, view: View = "side",
                        sides: tuple[dict[str, Any], dict[str, Any]] | None = None,
                        names: tuple[str, str] | None = None) -> tuple[dict[str, Any], list[list[Any]]]:
    """The comparison as one document, the JSON twin's without its links (the web adds those, the command line
    prints it as it is): both sides (``sides``, else each source's metadata), the options, stats, limits, rows, the
    summary and the digest (what changed at a glance, names, the change list); and the rows' display order.

    Shared wording counts the words a reworded pair shares too (the engine's figure counts word diffs only);
    ``names`` name the sides in the summary and the facts (see ``compare_sources``)."""
    result = compare_sources(left, right, options, cache, names).data
    first, second = sides if sides is not None else (left.metadata(), right.metadata())
    rows, display = result["rows"], result["display"]
    document: dict[str, Any] = {
        "left": first, "right": second,
        "options": {"view": view, "unit": options.unit, "ignore": ignore_list(options.ignore)},
        **{k: result[k] for k in ("stats", "limits", "rows", "summary") if k in result}}
    document["stats"] = {**document["stats"], "similarity": round(
        shared_wording(rows, "boilerplate" in options.ignore), 4)}
    names = digest.side_names(first, second)
    document["digest"] = {**digest.summary(result, names), "names": list(names),
                          "changes": digest.changes(rows, display, names)}
    return document, display


#: Rows (display entries) one comparison page shows at most; the JSON twin always has every row.
ROWS_PER_PAGE = 400
#: Characters of passage text one comparison page shows at most (a single longer passage gets a page of its own).
#: With ROWS_PER_PAGE this keeps a page to a few hundred KB of HTML, whatever the sources' sizes.
PAGE_CHARS = 150_000


#: Characters of one side of one row a comparison page shows at most (a block of passages moved together can
#: be most of a source); the page says where it shortened a row, and the JSON twin and exports have it whole.
ROW_CHARS = 50_000


def shorten_rows(rows: Sequence[dict[str, Any]], shown: Iterable[int]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows with each shown one longer than ROW_CHARS a side cut to about that length (after a space, "…"
    marking the cut; its segments and facts cut alike), and for each one shortened: its index and both lengths."""
    out, notes = list(rows), []
    for index in sorted(set(shown)):
        row = rows[index]
        sizes = {side: len(row[side] or "") for side in ("left", "right")}
        if max(sizes.values()) <= ROW_CHARS:
            continue
        cuts = {side: _cut_at(row[side] or "", ROW_CHARS) for side in sizes}
        short = {**row, **{side: (row[side] or "")[:cut] + "…" if row[side] is not None and cut < sizes[side]
                           else row[side] for side, cut in cuts.items()}}
        short["segments"] = _cut_segments(row["segments"], cuts["left"], cuts["right"])
        short["facts"] = [f for f in row.get("facts", []) if all(
            not f.get(f"{side}_span") or f[f"{side}_span"][1] <= cut for side, cut in cuts.items())]
        out[index] = short
        notes.append({"index": index, "kind": row["kind"], "left": sizes["left"], "right": sizes["right"],
                      "shown": ROW_CHARS})
    return out, notes


def _cut_at(text: str, limit: int) -> int:
    """Where to cut text to at most ``limit`` characters: after its last space in the second half, else at limit."""
    if len(text) <= limit:
        return len(text)
    space = text.rfind(" ", limit // 2, limit)
    return space + 1 if space >= 0 else limit


def _cut_segments(segments: Sequence[dict[str, Any]], left: int, right: int) -> list[dict[str, Any]]:
    """A row's diff segments up to ``left`` characters of the left text and ``right`` of the right ("…" at a cut)."""
    kept: list[dict[str, Any]] = []
    used = {"left": 0, "right": 0}
    room = {"left": left, "right": right}
    for segment in segments:
        sides = {"equal": ("left", "right"), "delete": ("left",), "insert": ("right",)}[segment["op"]]
        texts = {"left": segment["text"], "right": segment.get("right_text") or segment["text"]}
        if all(used[side] + len(texts[side]) <= room[side] for side in sides):
            kept.append(segment)
            for side in sides:
                used[side] += len(texts[side])
            continue
        take = min(room[side] - used[side] for side in sides)
        cut = dict(segment, text=segment["text"][:max(take, 0)] + "…")
        if segment.get("right_text") is not None:
            cut["right_text"] = segment["right_text"][:max(take, 0)] + "…"
        kept.append(cut)
        break
    return kept


@dataclass(frozen=True)
class RowPage:
    """One page of a comparison's rows in display order: which entries it shows and where moved partners are."""

    number: int  # 1-based
    count: int  # pages in all
    start: int  # first display entry shown (0-based)
    end: int  # one past the last one shown
    total: int  # display entries in all
    elsewhere: dict[str, int]  # anchor (r<index>-l|r) of a moved row's other place -> its page, when not this one


def page_starts(display: Sequence[Sequence[Any]], rows: Sequence[dict[str, Any]],
                rows_per_page: int = ROWS_PER_PAGE, page_chars: int = PAGE_CHARS) -> list[int]:
    """Index in ``display`` where each page starts: a page ends before ROWS_PER_PAGE entries or PAGE_CHARS."""
    starts = [0]
    count = chars = 0
    for at, (index, _place) in enumerate(display):
        row = rows[index]
        size = len(row["left"] or "") + len(row["right"] or "")
        if count and (count >= rows_per_page or chars + size > page_chars):
            starts.append(at)
            count = chars = 0
        count += 1
        chars += size
    return starts


def row_page(display: Sequence[Sequence[Any]], rows: Sequence[dict[str, Any]], number: int,
             rows_per_page: int = ROWS_PER_PAGE, page_chars: int = PAGE_CHARS) -> RowPage | None:
    """Page ``number`` (1-based) of a comparison's rows, or None when there is no such page."""
    starts = page_starts(display, rows, rows_per_page, page_chars)
    if not 1 <= number <= len(starts):
        return None
    start = starts[number - 1]
    end = starts[number] if number < len(starts) else len(display)
    elsewhere: dict[str, int] = {}
    shown_moved = {index for index, _place in display[start:end] if rows[index]["kind"] == "moved"}
    if shown_moved:
        for at, (index, place) in enumerate(display):
            if index in shown_moved and not start <= at < end:
                elsewhere[row_anchor(index, "moved", place)] = bisect_right(starts, at)
    return RowPage(number, len(starts), start, end, len(display), elsewhere)


def row_anchors(base: Source, other: Source, options: CompareOptions,
                cache: BaseCache) -> tuple[list[int], list[str], list[int]]:
    """Sorted left sentence positions of the rows of base vs other, each row's anchor and the page that shows it."""
    data = compare_sources(base, other, options, cache).data
    rows, display = data["rows"], data["display"]
    starts = page_starts(display, rows)
    page_of = {(index, place): bisect_right(starts, at) for at, (index, place) in enumerate(display)}
    placed = sorted((row["left_pos"], row["index"], row["kind"]) for row in rows if row["left_pos"] is not None)
    return ([p for p, _, _ in placed],
            [row_anchor(index, kind, "left") for _, index, kind in placed],
            [page_of.get((index, "left" if kind == "moved" else "both"), 1) for _, index, kind in placed])


@dataclass(frozen=True)
class StoryOverview:
    """A story's overview: the similarity/coverage model, the coverage of one base source and the quote groups."""

    model: overview.StoryModel
    base: int
    coverage: list[overview.Coverage]
    anchors: dict[int, tuple[list[int], list[str], list[int]]]
    quote_groups: list[quotes.QuoteGroup]
    phrases: list[quotes.Phrase]
    limits: list[str] = field(default_factory=list)  # parts cut short by the time budget
    #: Per source, runs of passages no other outlet carries, as the comparisons pair them.
    unique: list[list[list[overview.Sent]]] = field(default_factory=list)
    #: For each compared pair of sources (i < j), the share of their passages the comparison pairs.
    paired: dict[tuple[int, int], float] = field(default_factory=dict)


def story_overview(sources: list[Source], base: int, options: CompareOptions, cache: BaseCache,
                   max_anchored: int, budget: float = math.inf, deadline: float | None = None,
                   memo: Memo | None = None) -> StoryOverview:
    """Everything the story page shows, for these sources with ``base`` as the coverage base.

    Coverage links jump to the exact comparison row only up to ``max_anchored`` sources (one engine run per carrier).
    Passage matching, coverage and row links stop ``budget`` seconds from now (or at ``deadline``, a
    ``time.monotonic()`` value); what was left out is said in ``limits``.
    """
    from parallax.story import coverage, overview, quotes

    end = deadline if deadline is not None else time.monotonic() + budget
    model = overview.story_model(sources, budget, end, memo)
    limits = list(model.limits)
    # The pairs are the comparison pages' own: the engine's comparisons, through the cache those pages use.
    reading = coverage.read(model, base, lambda i, j: compare_sources(sources[i], sources[j], options, cache).data[
        "rows"], end, budget, max_anchored)
    found = reading.coverage
    limits += reading.limits
    carriers = sorted({c.source for item in found for c in item.carriers})
    anchors: dict[int, tuple[list[int], list[str], list[int]]] = {}
    for k in carriers if len(sources) <= max_anchored else ():
        if time.monotonic() > end and (base, k) not in reading.compared:  # a compared pair's rows are in the cache
            limits.append(f"time budget of {budget:g} s reached: links to {len(carriers) - len(anchors)} of "
                          f"{len(carriers)} sources open their comparison at the top, not at the passage")
            break
        anchors[k] = row_anchors(sources[base], sources[k], options, cache)
    groups, phrases, unread = quotes.story_quotes_within(sources, memo, end)
    if unread:
        limits.append(f"time budget of {budget:g} s reached: quotes of {unread} of {len(sources)} sources were not "
                      "all read")
    return StoryOverview(model, base, found, anchors, groups, phrases, limits, reading.unique,
                         reading.paired_shares(model))


def similarity(sources: list[Source], memo: Memo | None = None) -> list[list[float]]:
    """How alike a story's sources are (shared three-word phrases), for the index's "closest source"."""
    from parallax.story import overview

    return overview.similarity(sources, memo)


def story_lineage(story: str, sources: Sequence[Source], found: CorpusIndex, memo: Memo | None = None
                  ) -> LineageDrawing:
    """Who carried a story's shared text first and who later, with what attribution, placed for drawing: the
    index's shared sentences within the story, read as edges from each passage's first carrier."""
    from parallax.index import reuse
    from parallax.story import drawing, lineage

    with found.lock:
        pairs = reuse.story_pairs(found.db, story)
    nodes = [lineage.source_node(s, memo) for s in sources]
    return drawing.lineage_drawing(nodes, lineage.build(nodes, pairs), {s.id: s.title for s in sources})


@dataclass(frozen=True)
class TimelineStep:
    """One capture of an article and, when it was counted, what changed since the capture before it."""

    number: int
    version: Source
    previous: Source | None
    #: The step's comparison, summed up (None when it was not compared: the first capture, an old or late step).
    counts: dict[str, int] | None = None
    similarity: float | None = None
    facts: list[dict[str, Any]] = field(default_factory=list)
    fact_labels: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    summary: str | None = None
    edits: dict[str, Any] | None = None

    @property
    def title_changed(self) -> bool:
        """Whether the headline differs from the capture before."""
        return self.previous is not None and self.previous.title != self.version.title


@dataclass(frozen=True)
class ArticleTimeline:
    """An article's captures in order, and how many steps the time budget left uncounted."""

    steps: list[TimelineStep]
    late: int


def article_timeline(versions: Sequence[Source], options: CompareOptions, cache: BaseCache, budget: float,
                     counted: int) -> ArticleTimeline:
    """Every capture with what changed since the one before: the latest ``counted`` steps are compared (from the
    cache when it has them) until ``budget`` seconds are spent; the rest keep their place without counts."""
    deadline = time.monotonic() + budget
    steps, late = [], 0
    for number, version in enumerate(versions):
        previous = versions[number - 1] if number else None
        wanted = previous is not None and number >= len(versions) - counted
        if wanted and time.monotonic() > deadline:  # the budget is spent: the step only links to its comparison
            late, wanted = late + 1, False
        if previous is None or not wanted:
            steps.append(TimelineStep(number + 1, version, previous))
            continue
        model = compare_sources(previous, version, options, cache).data
        summary = model.get("summary")
        facts = timeline.fact_changes(model)
        steps.append(TimelineStep(
            number + 1, version, previous, counts=timeline.change_counts(model),
            similarity=model.get("stats", {}).get("similarity"), facts=facts,
            fact_labels=[timeline.fact_label(f) for f in facts], limits=model.get("limits", []),
            summary=summary.get("text") if isinstance(summary, dict) else None,
            edits=edit_kinds.step_edits(summary)))
    return ArticleTimeline(steps, late)
