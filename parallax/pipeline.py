"""The reading pipeline: one call per use (compare two sources, build a story overview), owning cache and limits.

Views parse the request, make one call here and respond; nothing here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cachelib import BaseCache

from . import overview, quotes
from .cache import cached, comparison_key
from .compare import CompareOptions, compare
from .corpus import Source
from .summary import summarise


@dataclass(frozen=True)
class Comparison:
    """A comparison of two sources as plain data (rows, stats, display, limits), and whether it is complete."""

    data: dict[str, Any]

    @property
    def limits(self) -> list[str]:
        """The limits that cut this comparison short (empty when it is complete)."""
        return list(self.data["limits"])

    @property
    def complete(self) -> bool:
        """Whether no limit cut the comparison short (only complete results are cached or cacheable)."""
        return not self.data["limits"]


def compare_sources(left: Source, right: Source, options: CompareOptions, cache: BaseCache) -> Comparison:
    """Two sources compared with these options, with the summary of what differs, from the cache when it has them."""
    outlets = (left.outlet or left.id, right.outlet or right.id)  # the summary's text names them
    key = comparison_key(left.content_key, right.content_key, options.unit, options.ignore, extra=outlets)

    def build() -> dict[str, Any]:
        result = compare(left.document(options.ignore), right.document(options.ignore), options)
        return {**result.to_dict(), "summary": summarise(result.rows, *outlets).to_dict()}

    data: dict[str, Any] = cached(cache, key, build,
                                  keep=lambda model: not model["limits"])  # a result cut short is not kept for others
    return Comparison(data)


def row_anchors(base: Source, other: Source, options: CompareOptions, cache: BaseCache) -> tuple[list[int], list[str]]:
    """Sorted left sentence positions of the rows of base vs other, and each row's anchor on the page."""
    rows = compare_sources(base, other, options, cache).data["rows"]
    placed = sorted((row["left_pos"], row["index"], row["kind"]) for row in rows if row["left_pos"] is not None)
    return ([p for p, _, _ in placed],
            [f"r{index}-l" if kind == "moved" else f"r{index}" for _, index, kind in placed])


@dataclass(frozen=True)
class StoryOverview:
    """A story's overview: the similarity/coverage model, the coverage of one base source and the quote groups."""

    model: overview.StoryModel
    base: int
    coverage: list[overview.Coverage]
    anchors: dict[int, tuple[list[int], list[str]]]
    quote_groups: list[quotes.QuoteGroup]
    phrases: list[quotes.Phrase]


def story_overview(sources: list[Source], base: int, options: CompareOptions, cache: BaseCache,
                   max_anchored: int) -> StoryOverview:
    """Everything the story page shows, for these sources with ``base`` as the coverage base.

    Coverage links jump to the exact comparison row only up to ``max_anchored`` sources (one engine run per carrier).
    """
    model = overview.story_model(sources)
    found = model.coverage(base)
    carriers = sorted({c.source for item in found for c in item.carriers})
    anchors = ({k: row_anchors(sources[base], sources[k], options, cache) for k in carriers}
               if len(sources) <= max_anchored else {})
    groups, phrases = quotes.story_quotes(sources)
    return StoryOverview(model, base, found, anchors, groups, phrases)
