"""What the watcher reports about a change it stored: the comparison of the new capture with the one before, told
in a few lines (summary, fact differences, first changed passages, links), recorded for the story's alerts and feed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cachelib import SimpleCache

from parallax import pipeline
from parallax.corpus import Corpus, Source
from parallax.sources import alerts, notes, state
from parallax.story import timeline

log = logging.getLogger("parallax.sources.alerts")
MAX_EXCERPT = 300
_CACHE = SimpleCache(threshold=64)  # the watcher's own comparisons: one process, a handful at a time


def link(base: str, path: str) -> str:
    """An absolute link to a page of the app at ``base`` (the configured public URL)."""
    return base.rstrip("/") + path


def _clip(text: str | None) -> str:
    """A passage shortened for a message."""
    text = " ".join((text or "").split())
    return text if len(text) <= MAX_EXCERPT else text[:MAX_EXCERPT - 1].rstrip() + "…"


def report(previous: Source | None, current: Source, kind: str, settings: Mapping[str, Any],
           rules: list[notes.Rule] | None = None, headline: str = "") -> dict[str, Any]:
    """The body of a change: what a subscriber reads and the Atom feed shows."""
    base = str(settings.get("PUBLIC_URL") or "") or (f"http://{settings.get('HOST', '127.0.0.1')}:"
                                                     f"{settings.get('PORT', 5000)}{settings.get('URL_PREFIX', '')}")
    name = current.outlet or "An outlet"
    body: dict[str, Any] = {
        "title": headline or current.title, "outlet": current.outlet or None, "story": current.story,
        "source_id": current.id, "facts": [], "passages": [], "title_changed": kind == "headline",
        "timeline": link(base, f"/sources/{quote(current.id)}/timeline"),
        "source": link(base, f"/sources/{quote(current.id)}"), "compare": None, "counts": None}
    if kind == "headline":
        body["summary"] = f"{name} changed the headline to “{headline}” (the text is unchanged)."
        return body
    if previous is None:
        body["summary"] = f"{name}: first capture of this article."
        return body
    model = pipeline.compare_sources(previous, current, pipeline.options(settings), _CACHE).data
    ruled = notes.ruled_rows(model["rows"], rules or [])
    changed = [r for r in model["rows"] if r["kind"] != "same" and not r.get("boilerplate")
               and r["index"] not in ruled]
    summary = model.get("summary")
    body.update(
        summary=(summary.get("text") if isinstance(summary, dict) else "") or f"{name} published a new version.",
        facts=[timeline.fact_label(f) for f in timeline.fact_changes(model)],
        passages=[{"kind": r["kind"], "before": _clip(r.get("left")), "after": _clip(r.get("right"))}
                  for r in changed[:alerts.MAX_PASSAGES]],
        counts=timeline.change_counts(model), title_changed=previous.title != current.title,
        compare=link(base, f"/compare/{quote(previous.id)}/{quote(current.id)}"))
    return body


def record_watch_change(conn: state.Connection, corpus: Corpus, settings: Mapping[str, Any], watch: state.Watch,
                        kind: str, source_id: str, headline: str = "") -> int | None:
    """Record what the watcher just stored (``kind`` 'stored' or 'headline') and queue its alerts; the change's id,
    None when the source is not in the corpus."""
    current = corpus.get(source_id)
    if current is None:
        return None
    versions = corpus.versions(current)
    position = next((n for n, v in enumerate(versions) if v.id == current.id), 0)
    previous = versions[position - 1] if kind == "stored" and position > 0 else None
    body = report(previous, current, "headline" if kind == "headline" else "version", settings,
                  notes.story_rules(conn, watch.story), headline)
    return alerts.record_change(conn, watch.story, watch.id, "headline" if kind == "headline" else "version",
                                current.id, previous.id if previous else "", body)
