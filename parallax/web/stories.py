"""Story overview: similarity matrix, passage coverage, unique passages and quotes."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from flask import Blueprint, abort, current_app, request, url_for

from .. import model, overview, pipeline, quotes
from ..compare import CompareOptions
from ..corpus import Source, Story
from ..model import PAIRED_KINDS
from .render import BadOption, corpus, page, respond

bp = Blueprint("stories", __name__)

#: Beyond this many sources, coverage links open the comparison without jumping to the row (no engine run per pair).
MAX_ANCHORED = 60


def heat(value: float) -> int:
    """A 0-10 heat step for a share between 0 and 1."""
    return max(0, min(10, round(value * 10)))


def _source_brief(source: Source) -> dict[str, Any]:
    """Id, outlet, headline, date and page link of a source."""
    return {"id": source.id, "outlet": source.outlet or None, "title": source.title or None,
            "published": source.published or None, "href": url_for("pages.source", source_id=source.id)}


def _matrix(sources: list[Source], model: overview.StoryModel, order: list[int]) -> dict[str, Any]:
    """The similarity matrix in the chosen order, each cell linking to that pair's comparison."""
    rows = []
    for i in order:
        cells = []
        for j in order:
            value = round(model.matrix[i][j], 3)
            href = (url_for("pages.source", source_id=sources[i].id) if i == j else
                    url_for("pages.compare_view", left=sources[i].id, right=sources[j].id))
            cells.append({"id": sources[j].id, "similarity": value, "heat": heat(value), "href": href})
        rows.append({"id": sources[i].id, "cells": cells})
    return {"order": [sources[i].id for i in order], "rows": rows}


def _coverage(sources: list[Source], story: pipeline.StoryOverview) -> dict[str, Any]:
    """Each passage of the base source with the sources carrying it, linked to the exact comparison row."""
    base = story.base
    total = len(sources)
    passages = []
    for item in story.coverage:
        links = []
        for carrier in item.carriers:
            other = sources[carrier.source]
            href = url_for("pages.compare_view", left=sources[base].id, right=other.id)
            if carrier.source in story.anchors:
                positions, names = story.anchors[carrier.source]
                at = bisect_right(positions, item.sent.pos) - 1
                if at >= 0:
                    href += "#" + names[at]
            links.append({"id": other.id, "outlet": other.outlet or None, "kind": carrier.kind,
                          "score": carrier.score, "href": href})
        count = len(links) + 1
        passages.append({"pos": item.sent.pos, "para": item.sent.para, "text": item.sent.text,
                         "sources": count, "of": total, "only_here": not links, "heat": heat(count / total),
                         "carriers": links})
    return {"base": sources[base].id, "passages": passages}


def _unique(sources: list[Source], model: overview.StoryModel) -> list[dict[str, Any]]:
    """Per source, the passages no source of another outlet carries."""
    return [{"id": source.id, "outlet": source.outlet or None,
             "passages": [{"pos": run[0].pos, "text": " ".join(s.text for s in run)} for run in runs]}
            for source, runs in zip(sources, model.unique, strict=True)]


def _quotes(story: pipeline.StoryOverview) -> dict[str, Any]:
    """Quote groups (most outlets first) with their wordings diffed, and the short phrases apart."""
    groups, phrases = story.quote_groups, story.phrases
    return {
        "min_words": quotes.MIN_QUOTE_WORDS,
        "groups": [{"speaker": g.speaker, "outlets": g.outlets, "outlet_count": len(g.outlets), "sources": g.sources,
                    "variants": [{"text": v.text, "sources": list(v.sources), "outlets": list(v.outlets),
                                  "segments": [s.to_dict() for s in v.segments]} for v in g.variants]}
                   for g in groups],
        "phrases": [{"text": p.text, "sources": list(p.sources), "outlets": list(p.outlets)} for p in phrases],
    }


def get_story(slug: str) -> tuple[Story, list[Source]]:
    """The story with this slug and its sources, or a 404 naming it."""
    current = corpus()
    found = current.stories.get(slug)
    sources = current.story_sources(slug)
    if found is None or not sources:
        abort(404, description=f"No story with slug '{slug}'.")
    return found, sources


@page(bp, "/stories/<slug:story>")
def story_view(story: str) -> Any:
    """A story's overview: how alike its sources are, who carries each passage, what is unique, who is quoted."""
    found, sources = get_story(story)
    ids = [s.id for s in sources]
    order = request.args.get("order", "date")
    if order not in model.ORDERS:
        raise BadOption("order", order, model.ORDERS)
    base_id = request.args.get("base", ids[0])
    if base_id not in ids:
        raise BadOption("base", base_id, ids)
    options = CompareOptions(unit="word", ignore=model.DEFAULT_IGNORE,
                             time_budget=current_app.config["COMPARE_TIME_BUDGET"],
                             max_chars=current_app.config["COMPARE_MAX_CHARS"])
    story_data = pipeline.story_overview(sources, ids.index(base_id), options,
                                         current_app.extensions["parallax.cache"], MAX_ANCHORED)
    chosen = story_data.model.orders[order]
    data = {"story": {"slug": found.slug, "title": found.title or None, "date": found.date or None,
                      "summary": found.summary or None},
            "options": {"order": order, "base": base_id},
            "choices": {"order": list(model.ORDERS), "base": ids},
            "sources": [_source_brief(sources[i]) for i in chosen],
            "matrix": _matrix(sources, story_data.model, chosen),
            "coverage": _coverage(sources, story_data),
            "unique": _unique(sources, story_data.model),
            "quotes": _quotes(story_data)}
    return respond("story.html", data)


_NULLABLE = {"type": ["string", "null"]}
_SOURCE_REF = {"type": "object", "properties": {"id": {"type": "string"}, "outlet": _NULLABLE, "title": _NULLABLE,
                                                "published": _NULLABLE, "href": {"type": "string"}}}
_STORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "story": {"type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": ["string", "null"]},
                                                   "date": {"type": ["string", "null"]},
                                                   "summary": {"type": ["string", "null"]}}},
        "options": {"type": "object", "properties": {"order": {"type": "string"}, "base": {"type": "string"}}},
        "choices": {"type": "object", "properties": {"order": {"type": "array", "items": {"type": "string"}},
                                                     "base": {"type": "array", "items": {"type": "string"}}}},
        "sources": {"type": "array", "items": _SOURCE_REF},
        "matrix": {"type": "object", "description": "Dice similarity of word 3-shingle sets, rows and columns in "
                                                    "the chosen order; 1.0 on the diagonal.",
                   "properties": {"order": {"type": "array", "items": {"type": "string"}},
                                  "rows": {"type": "array", "items": {"type": "object", "properties": {
                                      "id": {"type": "string"},
                                      "cells": {"type": "array", "items": {"type": "object", "properties": {
                                          "id": {"type": "string"}, "similarity": {"type": "number"},
                                          "heat": {"type": "integer", "minimum": 0, "maximum": 10},
                                          "href": {"type": "string"}}}}}}}}},
        "coverage": {"type": "object", "properties": {
            "base": {"type": "string"},
            "passages": {"type": "array", "items": {"type": "object", "properties": {
                "pos": {"type": "integer"}, "para": {"type": "integer"}, "text": {"type": "string"},
                "sources": {"type": "integer"},
                "of": {"type": "integer"}, "only_here": {"type": "boolean"}, "heat": {"type": "integer"},
                "carriers": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "outlet": _NULLABLE,
                    "kind": {"type": "string", "enum": sorted(PAIRED_KINDS)},
                    "score": {"type": "number"},
                    "href": {"type": "string", "description": "/compare/<base>/<other>#r<row index>"}}}}}}}}},
        "unique": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "outlet": _NULLABLE,
            "passages": {"type": "array", "items": {"type": "object", "properties": {
                "pos": {"type": "integer"}, "text": {"type": "string"}}}}}}},
        "quotes": {"type": "object", "properties": {
            "min_words": {"type": "integer"},
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "speaker": {"type": ["string", "null"]}, "outlet_count": {"type": "integer"},
                "outlets": {"type": "array", "items": {"type": "string"}},
                "sources": {"type": "array", "items": {"type": "string"}},
                "variants": {"type": "array", "items": {"type": "object", "properties": {
                    "text": {"type": "string"}, "sources": {"type": "array", "items": {"type": "string"}},
                    "outlets": {"type": "array", "items": {"type": "string"}},
                    "segments": {"type": "array", "items": {"$ref": "#/components/schemas/Segment"}}}}}}}},
            "phrases": {"type": "array", "items": {"type": "object", "properties": {
                "text": {"type": "string"}, "sources": {"type": "array", "items": {"type": "string"}},
                "outlets": {"type": "array", "items": {"type": "string"}}}}}}},
    },
}
_ERROR_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "ok": {"type": "boolean", "const": False}, "status": {"type": "integer"}, "error": {"type": "string"},
    "option": {"type": "string"}, "allowed": {"type": "array", "items": {"type": "string"}}}}
_PARAMETERS: list[dict[str, Any]] = [
    {"name": "story", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"}},
    {"name": "order", "in": "query", "required": False, "description": "Matrix order: by published date or "
     "clustered by similarity.", "schema": {"type": "string", "enum": list(model.ORDERS), "default": "date"}},
    {"name": "base", "in": "query", "required": False, "description": "Source whose passages the coverage "
     "lists (default: the story's first source).", "schema": {"type": "string"}},
]


def _operation(summary: str, media: str) -> dict[str, Any]:
    """An OpenAPI GET operation for the overview in one media type."""
    schema = _STORY_SCHEMA if media == "application/json" else {"type": "string"}
    return {"get": {"summary": summary, "tags": ["stories"], "parameters": _PARAMETERS, "responses": {
        "200": {"description": "The story overview.", "content": {media: {"schema": schema}}},
        "400": {"description": "Bad 'order' or 'base' value (the option is named).",
                "content": {"application/json": {"schema": _ERROR_SCHEMA}}},
        "404": {"description": "No such story.", "content": {"application/json": {"schema": _ERROR_SCHEMA}}}}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/stories/{story}": _operation("Story overview page (HTML)", "text/html"),
    "/stories/{story}.json": _operation("Story overview data: similarity matrix, coverage, unique passages, quotes",
                                        "application/json"),
}
