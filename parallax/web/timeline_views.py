"""Timelines: an article's captures with what changed in each, and when a story's outlets published and updated."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Blueprint, Response, current_app, url_for

from parallax import pipeline
from parallax.corpus import Source
from parallax.sources import state
from parallax.story import edit_kinds, timeline
from parallax.web import notes
from parallax.web.lookup import get_source, get_story
from parallax.web.openapi import NOTE
from parallax.web.render import corpus, page, respond
from parallax.web.watches import state_db

bp = Blueprint("timeline", __name__)
#: Steps whose changes are counted (each is one comparison): the latest ones; older steps keep their links only.
MAX_COUNTED_STEPS = 40
log = logging.getLogger("parallax.story.timeline")


def noted_headlines(article: str) -> list[dict[str, str]]:
    """Headline changes the watcher noted for an article (none when there is no state database)."""
    path = state_db()
    if not path.exists():
        return []
    try:
        with state.opened(path) as conn:
            return state.headlines(conn, article)
    except (sqlite3.Error, state.StateError) as error:  # the timeline still shows what the corpus files say
        log.error("state database: %s", error)
        return []


def _step_dict(step: pipeline.TimelineStep, marks: dict[tuple[str, str], list[dict[str, Any]]], story: str
               ) -> dict[str, Any]:
    """One step as plain data with its links and the editors' marks on it (and where to mark it, in ``story``: the
    story of the page asked for)."""
    version, previous = step.version, step.previous
    pair = (previous.id, version.id) if previous else None
    return {"number": step.number, "id": version.id, "captured": version.captured or None,
            "title": version.title or None, "outlet": version.outlet or None, "words": version.words,
            "href": url_for("pages.source", source_id=version.id),
            "previous": previous.id if previous else None, "counts": step.counts, "similarity": step.similarity,
            "facts": step.facts, "fact_labels": step.fact_labels, "title_changed": step.title_changed,
            "limits": step.limits, "summary": step.summary, "edits": step.edits,
            "compare": url_for("pages.compare_view", left=previous.id, right=version.id) if previous else None,
            "notes": marks.get(pair, []) if pair else [],
            "mark_href": (url_for("notes.story_notes", story=story, left=pair[0], right=pair[1])
                          if pair else None)}


@page(bp, "/sources/<slug:source_id>/timeline")
def source_timeline(source_id: str) -> Response:
    """Every capture of the article in order, what changed at each step, and its headline history."""
    current = corpus()
    source = get_source(current, source_id)
    versions = current.versions(source)
    budget = float(current_app.config["TIMELINE_TIME_BUDGET"])
    built = pipeline.article_timeline(versions, pipeline.options(current_app.config),
                                      current_app.extensions["parallax.cache"], budget, MAX_COUNTED_STEPS)
    marks = notes.step_marks([(s.previous.id, s.version.id) for s in built.steps if s.previous])
    late = built.late
    first, latest = versions[0], versions[-1]
    data = {"source": {"id": source.id, "outlet": source.outlet or None, "title": source.title or None,
                       "story": source.story, "article": source.article_key,
                       "href": url_for("pages.source", source_id=source.id)},
            "steps": [_step_dict(step, marks, source.story) for step in built.steps],
            "headlines": timeline.headline_history(versions, noted_headlines(source.article_key)),
            "first_with_latest": (url_for("pages.compare_view", left=first.id, right=latest.id)
                                  if first.id != latest.id else None),
            "counted": MAX_COUNTED_STEPS,
            "limits": [f"time budget of {budget:g} s reached: {late} step{'s' if late != 1 else ''} shown without "
                       "counts; open each step's comparison to see what changed"] if late else []}
    return respond("timeline.html", data)


@page(bp, "/stories/<slug:story>/timeline")
def story_timeline(story: str) -> Response:
    """When each outlet published and updated its article, as a chart and a table."""
    found, sources = get_story(story)
    grouped: dict[str, list[Source]] = {}
    for source in sorted(sources, key=lambda s: (s.captured or "", s.id)):
        grouped.setdefault(source.article_key, []).append(source)
    articles = sorted(grouped.values(), key=lambda vs: (vs[0].published or vs[0].captured or "9999",
                                                        vs[0].outlet.casefold(), vs[0].id))
    chart = timeline.publication_chart(articles)
    for row in chart["rows"]:
        row["href"] = url_for("timeline.source_timeline", source_id=row["id"])
        for mark in row["marks"]:
            mark["href"] = url_for("pages.source", source_id=mark["source_id"])
    data = {"story": {"slug": story, "title": found.title or story,
                      "href": url_for("stories.story_view", story=story)}, "chart": chart}
    return respond("story_timeline.html", data)


_ERROR: dict[str, Any] = {"description": "No such source or story.", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_NULL_STR = {"type": ["string", "null"]}
_COUNTS = {"type": ["object", "null"], "properties": {k: {"type": "integer"} for k in
                                                      ("added", "removed", "changed", "moved", "same")}}
#: A step's edits by kind (parallax.story.edit_kinds.step_edits).
EDIT_SUMMARY = {"type": "object", "properties": {
    "counts": {"type": "object", "properties": {k: {"type": "integer"} for k in edit_kinds.EDIT_KINDS}},
    "text": {"type": "string"},
    "labels": {"type": "array", "items": {"type": "object", "properties": {
        "kind": {"enum": list(edit_kinds.EDIT_KINDS)}, "label": {"type": "string"}, "count": {"type": "integer"}}}}}}
_STEP = {"type": "object", "properties": {
    "number": {"type": "integer"}, "id": {"type": "string"}, "captured": _NULL_STR, "title": _NULL_STR,
    "outlet": _NULL_STR, "words": {"type": "integer"},
    "previous": _NULL_STR, "counts": _COUNTS, "similarity": {"type": ["number", "null"]},
    "facts": {"type": "array", "items": {"$ref": "#/components/schemas/FactDiff"},
              "description": "Fact differences the comparison rows carry (with the row of each)."},
    "fact_labels": {"type": "array", "items": {"type": "string"}},
    "limits": {"type": "array", "items": {"type": "string"}},
    "title_changed": {"type": "boolean"}, "compare": _NULL_STR, "href": {"type": "string"},
    "notes": {"type": "array", "items": NOTE}, "mark_href": _NULL_STR,
    "summary": {"type": ["string", "null"], "description": "What changed, in plain language."},
    "edits": {"anyOf": [EDIT_SUMMARY, {"type": "null"}], "description": "The step's edits by kind: fact, "
              "addition or removal of a claim, style, structure (null when the step was not compared)."}},
    "required": ["number", "id", "counts", "compare"]}
_SLUG = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}

_NUM = {"type": "number"}
_MARK = {"type": "object", "properties": {
    "kind": {"enum": ["published", "captured"]}, "at": {"type": "string"}, "x": _NUM, "source_id": {"type": "string"},
    "href": {"type": "string"}}}
_STORY_TIMELINE: dict[str, Any] = {"type": "object", "required": ["story", "chart"], "properties": {
    "story": {"type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                                               "href": {"type": "string"}}},
    "chart": {"type": "object", "properties": {
        "start": _NULL_STR, "end": _NULL_STR, "width": _NUM, "height": _NUM, "left": _NUM, "right": _NUM,
        "axis_y": _NUM,
        "ticks": {"type": "array", "items": {"type": "object", "properties": {
            "x": _NUM, "label": {"type": "string"}, "anchor": {"enum": ["start", "middle", "end"]}}}},
        "rows": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "outlet": _NULL_STR, "title": _NULL_STR, "published": _NULL_STR,
            "captures": {"type": "array", "items": _NULL_STR},
            "versions": {"type": "array", "items": {"type": "string"}}, "y": _NUM, "href": {"type": "string"},
            "marks": {"type": "array", "items": _MARK}}}}}}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/sources/{id}/timeline.json": {"get": {
        "summary": "An article's captures in order, what changed at each, and its headline history",
        "operationId": "sourceTimeline",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": _SLUG}],
        "responses": {"200": {"description": "The timeline.", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "source": {"type": "object"}, "steps": {"type": "array", "items": _STEP},
                "headlines": {"type": "array", "items": {"type": "object", "properties": {
                    "at": _NULL_STR, "title": {"type": "string"}, "source_id": _NULL_STR,
                    "how": {"enum": ["version", "noted"]}}}},
                "first_with_latest": _NULL_STR,
                "counted": {"type": "integer", "description": "Only the latest this many steps have counts."},
                "limits": {"type": "array", "items": {"type": "string"},
                           "description": "Steps left uncounted because the page's time budget ran out."}},
                "required": ["source", "steps", "headlines"]}}}},
            "404": _ERROR}}},
    "/stories/{story}/timeline.json": {"get": {
        "summary": "When each outlet published and updated its article in a story", "operationId": "storyTimeline",
        "parameters": [{"name": "story", "in": "path", "required": True, "schema": _SLUG}],
        "responses": {"200": {"description": "The publication timeline, placed for a chart (SVG user units).",
                              "content": {"application/json": {"schema": _STORY_TIMELINE}}},
            "404": _ERROR}}},
}
