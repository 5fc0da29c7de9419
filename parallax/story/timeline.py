"""Timelines: what changed between an article's captures, its headline history, and when a story's outlets
published and updated (placed on a time axis for a server-drawn chart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parallax.corpus import Source

#: The publication chart's drawing area (SVG user units): labels on the left, then the time axis.
CHART_WIDTH = 1000
CHART_LEFT = 300
CHART_RIGHT = 980
CHART_ROW = 36
CHART_TOP = 30


def change_counts(model: Mapping[str, Any]) -> dict[str, int]:
    """Passages added, removed, changed, moved and kept between two captures, from a comparison's rows."""
    counts = {"added": 0, "removed": 0, "changed": 0, "moved": 0, "same": 0}
    names = {"right_only": "added", "left_only": "removed", "changed": "changed", "moved": "moved", "same": "same"}
    for row in model.get("rows", []):
        name = names.get(str(row.get("kind")))
        if name:
            counts[name] += 1
    return counts


def fact_changes(model: Mapping[str, Any]) -> list[Any]:
    """Fact differences the comparison's rows carry (a ``facts`` list per row, when the engine provides one)."""
    found: list[Any] = []
    for row in model.get("rows", []):
        facts = row.get("facts")
        if isinstance(facts, list):
            found.extend(facts)
    return found


def fact_label(fact: Any) -> str:
    """One fact difference as a line of text, whatever its shape."""
    if isinstance(fact, Mapping):
        kind = fact.get("kind") or fact.get("type") or "fact"
        for key in ("label", "text", "summary", "description"):
            if isinstance(fact.get(key), str) and fact[key]:
                label = str(fact[key]).replace("only in left", "only in the earlier capture")
                return f"{kind}: {label.replace('only in right', 'only in the later capture')}"
        left, right = fact.get("left"), fact.get("right")
        if left is not None or right is not None:
            return f"{kind}: {left if left is not None else '-'} → {right if right is not None else '-'}"
    return str(fact)


def headline_history(versions: Sequence[Source], noted: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """The article's headlines in time order: each version's title and the changes the watcher noted between
    versions, a headline listed again only when it changed."""
    seen = [(v.captured or "", 0, v.title, v.id, "version") for v in versions]
    seen += [(n["at"], 1, n["title"], n.get("source_id", ""), "noted") for n in noted]
    history: list[dict[str, Any]] = []
    for at, _order, title, source_id, how in sorted(seen, key=lambda item: (item[0], item[1])):
        if title and (not history or history[-1]["title"] != title):
            history.append({"at": at or None, "title": title, "source_id": source_id or None, "how": how})
    return history


def parse_time(value: str) -> dt.datetime | None:
    """An ISO date or date-time as an aware UTC date-time (dates at midnight, naive times as UTC), or None."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:59-23:59 is valid ISO text but past datetime's range in UTC
        return None


@dataclass(frozen=True)
class Mark:
    """One point of the publication chart: a publication or a capture of an article."""

    kind: str  # 'published' or 'captured'
    at: str
    x: float
    source_id: str


def publication_chart(articles: Sequence[Sequence[Source]]) -> dict[str, Any]:
    """Rows (one per article: outlet, headline, published date and captures) placed on one time axis."""
    times = [t for versions in articles for v in versions
             for t in (parse_time(v.published), parse_time(v.captured)) if t is not None]
    start, end = (min(times), max(times)) if times else (None, None)
    span = (end - start).total_seconds() if start and end else 0.0

    def x_of(moment: dt.datetime) -> float:
        """Horizontal position of a moment."""
        if not start or span <= 0:
            return (CHART_LEFT + CHART_RIGHT) / 2
        return round(CHART_LEFT + (moment - start).total_seconds() / span * (CHART_RIGHT - CHART_LEFT), 1)

    rows = []
    for number, versions in enumerate(articles):
        latest = versions[-1]
        marks: list[Mark] = []
        published = parse_time(versions[0].published or latest.published)
        if published:
            marks.append(Mark("published", versions[0].published or latest.published, x_of(published), latest.id))
        for version in versions:
            moment = parse_time(version.captured)
            if moment:
                marks.append(Mark("captured", version.captured, x_of(moment), version.id))
        rows.append({"id": latest.id, "outlet": latest.outlet or None, "title": latest.title or None,
                     "published": (versions[0].published or latest.published) or None,
                     "captures": [v.captured or None for v in versions], "versions": [v.id for v in versions],
                     "y": CHART_TOP + number * CHART_ROW + CHART_ROW / 2,
                     "marks": [m.__dict__ for m in marks]})
    ticks = []
    if start and end:
        for fraction in (0.0, 0.5, 1.0) if span > 0 else (0.5,):
            moment = start + (end - start) * fraction
            ticks.append({"x": round(CHART_LEFT + fraction * (CHART_RIGHT - CHART_LEFT), 1),
                          "anchor": {0.0: "start", 1.0: "end"}.get(fraction, "middle") if span > 0 else "middle",
                          "label": moment.strftime("%Y-%m-%d %H:%M") if span < 4 * 86_400 else f"{moment:%Y-%m-%d}"})
    return {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
            "width": CHART_WIDTH, "height": CHART_TOP + max(1, len(rows)) * CHART_ROW + 30, "left": CHART_LEFT,
            "right": CHART_RIGHT, "axis_y": CHART_TOP + max(1, len(rows)) * CHART_ROW + 4,
            "rows": rows, "ticks": ticks}
