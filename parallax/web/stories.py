"""Story overview: similarity matrix, passage coverage, unique passages and quotes."""

from __future__ import annotations

import csv
import io
import time
from bisect import bisect_right
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from parallax import languages, model, pipeline
from parallax.corpus import Source
from parallax.model import PAIRED_KINDS, BadOption
from parallax.story import digest, overview, quotes
from parallax.web.lookup import get_story, outlet_info
from parallax.web.openapi import OUTLET_INFO
from parallax.web.render import page, respond

bp = Blueprint("stories", __name__)

#: Beyond this many sources, coverage links open the comparison without jumping to the row (no engine run per pair).
MAX_ANCHORED = 60
#: Outlet names up to this many characters head a matrix column whole; longer ones by their initials.
SHORT_NAME = 8


def heat(value: float) -> int:
    """A 0-10 heat step for a share between 0 and 1."""
    return max(0, min(10, round(value * 10)))


def _source_brief(source: Source, short: str = "", version: tuple[int, int] = (1, 1)) -> dict[str, Any]:
    """Id, outlet, headline, date, capture, short label, version (n of m captures of its article) and page link."""
    return {"id": source.id, "outlet": source.outlet or None, "title": source.title or None,
            "published": source.published or None, "capture": capture_label(source), "short": short or source.id,
            "article": source.article_key, "version": version[0], "versions": version[1],
            "href": url_for("pages.source", source_id=source.id), "outlet_info": outlet_info(source.outlet),
            "language": source.language, "language_name": languages.name(source.language)}


def _matrix(sources: list[Source], story: pipeline.StoryOverview, order: list[int]) -> dict[str, Any]:
    """The similarity matrix in the chosen order, each cell linking to that pair's comparison: the share of the two
    sources' passages their comparison pairs (as that page shows them), or their shared phrasing where the time
    budget left the pair uncompared (``measure`` says which)."""
    rows = []
    for i in order:
        cells = []
        for j in order:
            paired = story.paired.get((min(i, j), max(i, j))) if i != j else 1.0
            value = round(story.model.matrix[i][j] if paired is None else paired, 3)
            href = (url_for("pages.source", source_id=sources[i].id) if i == j else
                    url_for("pages.compare_view", left=sources[i].id, right=sources[j].id))
            cells.append({"id": sources[j].id, "similarity": value, "heat": heat(value), "href": href,
                          "measure": "phrasing" if paired is None else "paired"})
        rows.append({"id": sources[i].id, "cells": cells})
    return {"order": [sources[i].id for i in order], "rows": rows}


def _coverage(sources: list[Source], story: pipeline.StoryOverview) -> dict[str, Any]:
    """Each passage of the base source with the sources carrying it, linked to the exact comparison row."""
    base = story.base
    total = len(sources)
    outlet_total = len({outlet_key(s) for s in sources})
    passages = []
    for item in story.coverage:
        links = []
        for carrier in item.carriers:
            other = sources[carrier.source]
            href = url_for("pages.compare_view", left=sources[base].id, right=other.id)
            if carrier.source in story.anchors:
                positions, names, pages = story.anchors[carrier.source]
                at = bisect_right(positions, item.sent.pos) - 1
                if at >= 0:
                    if pages[at] > 1:  # a long comparison: the row is on a later page
                        href = url_for("pages.compare_view", left=sources[base].id, right=other.id, page=pages[at])
                    href += "#" + names[at]
            links.append({"id": other.id, "outlet": other.outlet or None, "kind": carrier.kind,
                          "score": carrier.score, "href": href, "language": other.language,
                          "translation": story.model.in_translation(base, carrier.source)})
        count = len(links) + 1
        outlets = len({outlet_key(sources[base]), *(outlet_key(sources[c.source]) for c in item.carriers)})
        passages.append({"pos": item.sent.pos, "para": item.sent.para, "text": item.sent.text,
                         "sources": count, "of": total, "outlets": outlets, "outlets_of": outlet_total,
                         "only_here": not links, "heat": heat(outlets / outlet_total), "carriers": links,
                         "in_translation": sum(1 for link in links if link["translation"])})
    return {"base": sources[base].id, "passages": passages,
            "translated": sum(1 for p in passages if p["in_translation"])}


def outlet_key(source: Source) -> str:
    """What counts as one outlet: its name, or the source's article when the outlet is unknown."""
    return source.outlet or source.article_key


def capture_label(source: Source) -> str:
    """A short name for how a source was captured ('plain-text capture'), from its ``capture`` field."""
    return source.capture.split(" (")[0].strip() or source.format


def short_labels(sources: list[Source]) -> dict[str, str]:
    """Short column labels for the matrix: the outlet's initials ('MT'), numbered when an outlet has several."""
    initials = {}
    for source in sources:
        words = [w for w in (source.outlet or source.id).replace("-", " ").split() if w.lower() != "the"]
        name = " ".join(words)
        initials[source.id] = (name if len(name) <= SHORT_NAME else
                               "".join(w[0].upper() for w in words if w[0].isalnum())[:4] or source.id[:4])
    counts: dict[str, int] = {}
    labels = {}
    for source in sources:
        same = [s for s in sources if initials[s.id] == initials[source.id]]
        if len(same) > 1:
            counts[initials[source.id]] = counts.get(initials[source.id], 0) + 1
            labels[source.id] = f"{initials[source.id]} {counts[initials[source.id]]}"
        else:
            labels[source.id] = initials[source.id]
    return labels


def group_versions(order: list[int], sources: list[Source]) -> list[int]:
    """An order with the versions of one article kept together, at the place of the first of them."""
    grouped: list[int] = []
    for i in order:
        if i in grouped:
            continue
        grouped += [j for j in order if sources[j].article_key == sources[i].article_key]
    return grouped


def _unique(sources: list[Source], unique: list[list[list[overview.Sent]]]) -> list[dict[str, Any]]:
    """Per outlet, the passages no other outlet carries, its captures folded together (a passage in two captures
    of one article is listed once, naming both)."""
    outlets: dict[str, dict[str, Any]] = {}
    for source, runs in zip(sources, unique, strict=True):
        entry = outlets.setdefault(outlet_key(source), {"id": source.id, "outlet": source.outlet or None,
                                                        "ids": [], "passages": [], "_seen": {}})
        entry["ids"].append(source.id)
        for run in runs:
            text = " ".join(s.text for s in run)
            key = " ".join(text.casefold().split())
            if key in entry["_seen"]:
                entry["_seen"][key]["sources"].append(source.id)
                continue
            passage = {"pos": run[0].pos, "text": text, "sources": [source.id]}
            entry["_seen"][key] = passage
            entry["passages"].append(passage)
    return [{k: v for k, v in entry.items() if k != "_seen"} for entry in outlets.values()]


def _quotes(story: pipeline.StoryOverview) -> dict[str, Any]:
    """Quote groups (most outlets first) with their wordings diffed, and the short phrases apart."""
    groups, phrases = story.quote_groups, story.phrases
    return {
        "min_words": quotes.MIN_QUOTE_WORDS,
        "groups": [{"speaker": g.speaker, "outlets": g.outlets, "outlet_count": len(g.outlets), "sources": g.sources,
                    "languages": list(dict.fromkeys(languages.primary(v.language) for v in g.variants)),
                    "variants": [{"text": v.text, "sources": list(v.sources), "outlets": list(v.outlets),
                                  "segments": [s.to_dict() for s in v.segments], "language": v.language,
                                  "translation": v.translation} for v in g.variants]}
                   for g in groups],
        "phrases": [{"text": p.text, "sources": list(p.sources), "outlets": list(p.outlets)} for p in phrases],
    }


def _languages(sources: list[Source]) -> list[dict[str, Any]]:
    """The story's languages, first seen first, each with its name and sources (more than one: it is read across
    languages, and a passage another language carries is carried in translation)."""
    found: dict[str, list[str]] = {}
    for source in sources:
        found.setdefault(languages.primary(source.language), []).append(source.id)
    return [{"language": tag, "name": languages.name(tag), "sources": ids} for tag, ids in found.items()]


@page(bp, "/stories/<slug:story>")
def story_view(story: str) -> Any:
    """A story's overview: how alike its sources are, who carries each passage, what is unique, who is quoted."""
    data = story_data(story)
    response = respond("story.html", data)
    if data["limits"]:
        response.cache_control.no_store = True  # cut short by the time budget: not kept by browsers
    return response


@bp.route("/stories/<slug:story>/export.csv")
def story_export(story: str) -> Any:
    """The overview as CSV: coverage per passage, quote groups with their variants, unique passages per outlet."""
    data = story_data(story)
    names = {s["id"]: s["outlet"] or s["id"] for s in data["sources"]}
    records: list[list[Any]] = [["section", "item", "who", "text", "outlets", "of_outlets", "captures", "sources"]]
    for p in data["coverage"]["passages"]:
        records.append(["coverage", p["pos"], names[data["coverage"]["base"]], p["text"], p["outlets"],
                        p["outlets_of"], p["sources"], " ".join([data["coverage"]["base"],
                                                                *(c["id"] for c in p["carriers"])])])
    for n, g in enumerate(data["quotes"]["groups"], 1):
        for v in g["variants"]:
            records.append(["quote", n, g["speaker"] or "unattributed", v["text"], len(set(v["outlets"])),
                            g["outlet_count"], len(v["sources"]), " ".join(v["sources"])])
    for u in data["unique"]:
        for p in u["passages"]:
            records.append(["unique", p["pos"], u["outlet"] or u["id"], p["text"], 1, data["outlets"],
                            len(p["sources"]), " ".join(p["sources"])])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[digest.csv_cell(v) for v in r] for r in records])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="parallax-story-{story}.csv"'
    return response


def story_data(story: str) -> dict[str, Any]:
    """Everything the overview shows, as plain data (page, twin and CSV export alike)."""
    found, sources = get_story(story)
    ids = [s.id for s in sources]
    order = request.args.get("order", "date")
    if order not in model.ORDERS:
        raise BadOption("order", order, model.ORDERS)
    base_id = request.args.get("base", ids[0])
    if base_id not in ids:
        raise BadOption("base", base_id, ids)
    budget = current_app.config["OVERVIEW_TIME_BUDGET"]
    deadline = time.monotonic() + budget  # the whole page's work: matching, coverage and row links
    computed = pipeline.story_overview(sources, ids.index(base_id), pipeline.options(current_app.config),
                                       current_app.extensions["parallax.cache"], MAX_ANCHORED,
                                       budget=budget, deadline=deadline,
                                       memo=current_app.extensions["parallax.memo"])
    chosen = group_versions(computed.model.orders[order], sources)
    labels = short_labels(sources)
    articles: dict[str, list[str]] = {}
    for source in sorted(sources, key=lambda s: (s.captured or "", s.id)):
        articles.setdefault(source.article_key, []).append(source.id)
    versions = {s.id: (articles[s.article_key].index(s.id) + 1, len(articles[s.article_key])) for s in sources}
    data = {"story": {"slug": found.slug, "title": found.title or None, "date": found.date or None,
                      "summary": found.summary or None},
            "options": {"order": order, "base": base_id},
            "choices": {"order": list(model.ORDERS), "base": ids},
            "sources": [_source_brief(sources[i], labels[sources[i].id], versions[sources[i].id])
                        for i in chosen],
            "outlets": len({outlet_key(s) for s in sources}),
            "languages": _languages(sources),
            "export": url_for("stories.story_export", story=found.slug, base=base_id),
            "matrix": _matrix(sources, computed, chosen),
            "coverage": _coverage(sources, computed),
            "unique": _unique(sources, computed.unique),
            "quotes": _quotes(computed),
            "limits": computed.limits}
    return data


_NULLABLE = {"type": ["string", "null"]}
_SOURCE_REF = {"type": "object", "properties": {"id": {"type": "string"}, "outlet": _NULLABLE, "title": _NULLABLE,
                                                "published": _NULLABLE, "href": {"type": "string"},
                                                "capture": {"type": "string", "description": "Short capture name."},
                                                "short": {"type": "string", "description": "Matrix column label."},
                                                "article": {"type": "string"}, "version": {"type": "integer"},
                                                "versions": {"type": "integer"}, "outlet_info": OUTLET_INFO,
                                                "language": {"type": "string"}, "language_name": {"type": "string"}}}
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
        "matrix": {"type": "object", "description": "For every pair of sources, the share of their passages "
                                                    "their comparison pairs (identical, edited, reworded or "
                                                    "translated; measure 'paired'), or, for a pair the time budget "
                                                    "left uncompared, the Dice similarity of their word 3-shingle "
                                                    "sets (measure 'phrasing'); rows and columns in the chosen "
                                                    "order, 1.0 on the diagonal.",
                   "properties": {"order": {"type": "array", "items": {"type": "string"}},
                                  "rows": {"type": "array", "items": {"type": "object", "properties": {
                                      "id": {"type": "string"},
                                      "cells": {"type": "array", "items": {"type": "object", "properties": {
                                          "id": {"type": "string"}, "similarity": {"type": "number"},
                                          "measure": {"type": "string", "enum": ["paired", "phrasing"]},
                                          "heat": {"type": "integer", "minimum": 0, "maximum": 10},
                                          "href": {"type": "string"}}}}}}}}},
        "coverage": {"type": "object", "properties": {
            "base": {"type": "string"},
            "passages": {"type": "array", "items": {"type": "object", "properties": {
                "pos": {"type": "integer"}, "para": {"type": "integer"}, "text": {"type": "string"},
                "sources": {"type": "integer", "description": "Captures carrying the passage (base included)."},
                "of": {"type": "integer", "description": "Captures in the story."},
                "outlets": {"type": "integer", "description": "Outlets carrying it (versions count once)."},
                "outlets_of": {"type": "integer", "description": "Outlets in the story."},
                "only_here": {"type": "boolean"}, "heat": {"type": "integer"},
                "carriers": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "outlet": _NULLABLE,
                    "kind": {"type": "string", "enum": sorted(PAIRED_KINDS)},
                    "score": {"type": "number"}, "language": {"type": "string"},
                    "translation": {"type": "boolean", "description": "Carried in another language (translated)."},
                    "href": {"type": "string", "description": "/compare/<base>/<other>#r<row index>"}}}},
                "in_translation": {"type": "integer", "description": "Carriers in another language."}}}},
            "translated": {"type": "integer", "description": "Passages carried in another language."}}},
        "languages": {"type": "array", "items": {"type": "object", "properties": {
            "language": {"type": "string"}, "name": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "string"}}}}},
        "outlets": {"type": "integer", "description": "Distinct outlets among the story's sources."},
        "export": {"type": "string", "description": "CSV download of the overview."},
        "unique": {"type": "array", "description": "Per outlet, its captures folded together.",
                   "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "outlet": _NULLABLE, "ids": {"type": "array", "items": {"type": "string"}},
            "passages": {"type": "array", "items": {"type": "object", "properties": {
                "pos": {"type": "integer"}, "text": {"type": "string"},
                "sources": {"type": "array", "items": {"type": "string"}}}}}}}},
        "quotes": {"type": "object", "properties": {
            "min_words": {"type": "integer"},
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "speaker": {"type": ["string", "null"]}, "outlet_count": {"type": "integer"},
                "outlets": {"type": "array", "items": {"type": "string"}},
                "sources": {"type": "array", "items": {"type": "string"}},
                "languages": {"type": "array", "items": {"type": "string"}},
                "variants": {"type": "array", "items": {"type": "object", "properties": {
                    "text": {"type": "string"}, "sources": {"type": "array", "items": {"type": "string"}},
                    "outlets": {"type": "array", "items": {"type": "string"}}, "language": {"type": "string"},
                    "translation": {"type": "boolean", "description": "Another language than the first wording's."},
                    "segments": {"type": "array", "items": {"$ref": "#/components/schemas/Segment"}}}}}}}},
            "phrases": {"type": "array", "items": {"type": "object", "properties": {
                "text": {"type": "string"}, "sources": {"type": "array", "items": {"type": "string"}},
                "outlets": {"type": "array", "items": {"type": "string"}}}}}}},
        "limits": {"type": "array", "items": {"type": "string"},
                   "description": "Parts cut short by OVERVIEW_TIME_BUDGET (empty when the overview is whole)."},
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
    """An OpenAPI GET operation for the overview in one media type (the HTML page's errors are HTML pages)."""
    data = media == "application/json"
    schema = _STORY_SCHEMA if data else {"type": "string"}
    errors = {media: {"schema": _ERROR_SCHEMA if data else {"type": "string"}}}
    return {"get": {"summary": summary, "tags": ["stories"], "parameters": _PARAMETERS, "responses": {
        "200": {"description": "The story overview.", "content": {media: {"schema": schema}}},
        "400": {"description": "Bad 'order' or 'base' value (the option is named).", "content": errors},
        "404": {"description": "No such story.", "content": errors}}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/stories/{story}/export.csv": {"get": {
        "summary": "Story overview as CSV: coverage per passage, quote variants, unique passages per outlet",
        "tags": ["stories"], "parameters": _PARAMETERS, "responses": {
            "200": {"description": "The file.", "content": {"text/csv": {"schema": {"type": "string"}}}},
            "400": {"description": "Bad 'order' or 'base' value.",
                    "content": {"application/json": {"schema": _ERROR_SCHEMA}}},
            "404": {"description": "No such story.", "content": {"application/json": {"schema": _ERROR_SCHEMA}}}}}},
    "/stories/{story}": _operation("Story overview page (HTML)", "text/html"),
    "/stories/{story}.json": _operation("Story overview data: similarity matrix, coverage, unique passages, quotes",
                                        "application/json"),
}
