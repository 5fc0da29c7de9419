"""The OpenAPI 3.1 description of every page's JSON twin, plus paths other blueprints declare."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from parallax import model
from parallax.engine.compare import Row, Stats
from parallax.engine.diffing import Segment
from parallax.model import ATTRIBUTIONS, FACT_KINDS, FORMATS, KINDS, UNITS, VIEWS
from parallax.story import digest, edit_kinds

#: Result types whose JSON schemas are derived from their definitions rather than written by hand.
MODEL_TYPES = (Row, Segment, Stats)

EXTRA_MODULES = ("parallax.web.stories", "parallax.web.add_api", "parallax.web.watches", "parallax.web.timeline_views",
                 "parallax.web.manage_views", "parallax.web.search_views", "parallax.web.outlets", "parallax.web.notes",
                 "parallax.web.alerts", "parallax.web.batch")
SLUG = {"type": "string", "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
OUTLET_KINDS = ("state-affiliated", "public", "private", "wire", "unknown")  # parallax.sources.outlets.KINDS
#: What the outlet registry says about a source's outlet (parallax.sources.outlets.Outlet.to_dict), or null.
OUTLET: dict[str, Any] = {"type": "object", "properties": {
    "name": {"type": "string"}, "aliases": {"type": "array", "items": {"type": "string"}},
    "country": NULLABLE_STRING, "language": NULLABLE_STRING, "owner": NULLABLE_STRING,
    "kind": {"enum": list(OUTLET_KINDS)}, "kind_label": {"type": "string"}, "state_affiliated": {"type": "boolean"},
    "sources": {"type": "object", "additionalProperties": {"type": "string"},
                "description": "Where each fact (country, language, owner, kind) comes from."}}}
OUTLET_INFO = {"anyOf": [{"type": "null"}, OUTLET]}
MARKS = ("significant", "minor", "cosmetic")  # parallax.sources.notes.MARKS
#: An editor's mark on a change (parallax.sources.notes).
NOTE: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "story": {"type": "string"}, "left": {"type": "string"}, "right": {"type": "string"},
    "row": {**NULLABLE_STRING, "description": "The row's key (null: the whole change)."},
    "excerpt": NULLABLE_STRING, "mark": {"enum": list(MARKS)}, "note": {"type": "string"}, "by": NULLABLE_STRING,
    "at": {"type": "string"}, "row_index": {**NULLABLE_INT, "description": "The row in this comparison."},
    "compare": {"type": "string"}, "timeline": NULLABLE_STRING,
    "rule": {"type": "object", "description": "The rule a cosmetic mark became."}}, "required": ["id", "mark"]}
RULE: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "story": {"type": "string"}, "pattern": {"type": "string"}, "regex": {"type": "boolean"},
    "note_id": NULLABLE_INT, "author": NULLABLE_STRING, "at": {"type": "string"}}}
COMPARISON_NOTES: dict[str, Any] = {"type": "object", "properties": {
    "marks": {"type": "array", "items": NOTE}, "step": {"anyOf": [{"type": "null"}, NOTE]},
    "marked": {"enum": [*MARKS, None]}, "rules": {"type": "array", "items": RULE},
    "ruled_rows": {"type": "array", "description": "Changed rows the story's rules make cosmetic (left out of the "
                   "change list).", "items": {"type": "object", "properties": {"row": {"type": "integer"},
                                                                               "rule": {"type": "integer"}}}},
    "rows": {"type": "array", "description": "The key of each changed row, to mark it through /api/notes.",
             "items": {"type": "object", "properties": {"row": {"type": "integer"}, "key": {"type": "string"}}}},
    "href": {"type": "string"}}}
KIND_CHOICES = {"type": "array", "items": {"type": "object", "properties": {"value": {"enum": list(OUTLET_KINDS)},
                                                                           "label": {"type": "string"}}}}


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: Mapping[str, Any], required: Iterable[str] | None = None) -> dict[str, Any]:
    """An object schema; every property is required unless ``required`` says otherwise."""
    return {"type": "object", "properties": dict(properties),
            "required": list(properties if required is None else required)}


def json_response(description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """A response with an ``application/json`` body."""
    return {"description": description, "content": {"application/json": {"schema": dict(schema)}}}


def error(description: str) -> dict[str, Any]:
    """An error response in the app's one error shape."""
    return json_response(description, ref("Error"))


def html_error(response: Mapping[str, Any]) -> dict[str, Any]:
    """The same error answered by an HTML page (a page or an HTML download opened in a browser)."""
    return {"description": response["description"], "content": {"text/html": {"schema": {"type": "string"}}}}


def model_schemas() -> dict[str, Any]:
    """Schemas of the engine's result types, derived from their dataclasses (what ``to_dict`` emits, every field)."""
    _, components = msgspec.json.schema_components(MODEL_TYPES, ref_template="#/components/schemas/{name}")
    components["Row"]["properties"]["facts"] = {  # a derived property of Row, emitted by to_dict
        "type": "array", "items": ref("FactDiff"),
        "description": "Facts that differ between the two sides; for a one-sided row, its facts the other text "
                       "states nowhere."}
    for schema in components.values():
        schema.pop("title", None)
        if "properties" in schema:
            schema["required"] = list(schema["properties"])
    return dict(components)


def closed(node: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that lists its properties."""
    if isinstance(node, dict):
        for value in node.values():
            closed(value)
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        for value in node:
            closed(value)
    return node


def schemas() -> dict[str, Any]:
    """Component schemas for the JSON twins and the error shape."""
    source_summary = obj({
        "id": SLUG, "story": SLUG, "outlet": {"type": "string"}, "title": {"type": "string"},
        "published": NULLABLE_STRING, "url": NULLABLE_STRING, "format": {"enum": list(FORMATS)},
        "language": {"type": "string"}, "attribution": {"enum": list(ATTRIBUTIONS)},
        "attribution_note": {"type": "string"}, "capture": {"type": "string"}, "captured": NULLABLE_STRING,
        "original_file": NULLABLE_STRING, "words": {"type": "integer", "minimum": 0},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "path": {"type": "string"},
        "href": {"type": "string"}, "versions": {"type": "integer", "minimum": 1}, "outlet_info": OUTLET_INFO})
    count = {"type": "integer", "minimum": 0}
    options = obj({"view": {"enum": list(VIEWS)}, "unit": {"enum": list(UNITS)},
                   "ignore": {"type": "array", "items": {"enum": list(model.IGNORABLE)}}})
    comparison = obj({"left": ref("SourceSummary"), "right": ref("SourceSummary"), "options": options,
                      "permalink": {"type": "string"}, "swap": {"type": "string"}, "stats": ref("Stats"),
                      "limits": {"type": "array", "items": {"type": "string"}},
                      "rows": {"type": "array", "items": ref("Row")}, "digest": ref("Digest"),
                      "summary": ref("Summary"), "notes": COMPARISON_NOTES})
    problem = obj({"path": {"type": "string"}, "reason": {"type": "string"}})
    closest = {"anyOf": [{"type": "null"}, obj({"id": SLUG, "outlet": {"type": "string"},
                                                 "similarity": {"type": "number", "minimum": 0, "maximum": 1},
                                                 "href": {"type": "string"}})],
               "description": "The source of the story sharing most three-word phrases with this one."}
    index_source = obj({**source_summary["properties"], "closest": closest})
    story = obj({"slug": SLUG, "title": {"type": "string"}, "date": NULLABLE_STRING, "summary": {"type": "string"},
                 "href": {"type": "string"}, "sources": {"type": "array", "items": index_source}})
    paging = obj({"number": {"type": "integer", "minimum": 1}, "count": {"type": "integer", "minimum": 1},
                  "first": count, "last": count, "total": count, "previous": NULLABLE_STRING, "next": NULLABLE_STRING})
    index = obj({"stories": {"type": "array", "items": story}, "problems": {"type": "array", "items": problem},
                 "source_count": count, "story_count": count, "problem_count": count, "paging": paging,
                 "outlet_kind": {"enum": [*OUTLET_KINDS, None]}, "outlet_kinds": KIND_CHOICES})
    version = obj({"id": SLUG, "captured": NULLABLE_STRING, "href": {"type": "string"},
                   "compare_previous": NULLABLE_STRING})
    source_page = obj({"source": ref("SourceSummary"), "original": {"type": "string"},
                       "reading_text": {"type": "string"},
                       "paragraphs": {"type": "array", "items": obj({"text": {"type": "string"},
                                                                     "boilerplate": {"type": "boolean"},
                                                                     "sentences": {"type": "array", "items": obj({
                                                                         "pos": {"type": "integer"},
                                                                         "text": {"type": "string"}})}})},
                       "versions": {"type": "array", "items": version},
                       "story": closed({"slug": SLUG, "title": NULLABLE_STRING, "href": NULLABLE_STRING}),
                       "compare_with": {"type": "array", "items": closed({"id": SLUG, "label": {"type": "string"}})},
                       "shared": {"type": "array", "description": "Passages shared with sources of any story "
                                  "(parallax.web.search_views.shared_summary).", "items": {"type": "object"}}})
    health = obj({"ok": {"type": "boolean"}, "version": {"type": "string"},
                  "corpus": obj({"readable": {"type": "boolean"}, "writable": {"type": "boolean"},
                                 "write_problem": {"type": ["string", "null"], "description": "Why a file cannot be "
                                                   "written in the corpus now (a full disk, a read-only one)."},
                                 "sources": count, "stories": count,
                                 "problems": {"type": "array", "items": problem}}),
                  "cache": obj({"backend": {"enum": ["memory", "redis"]}, "ok": {"type": "boolean"}})})
    error_shape = obj({"ok": {"const": False}, "status": {"type": "integer"}, "error": {"type": "string"},
                       "option": {"type": "string", "description": "The query option with a bad value."},
                       "allowed": {"type": "array", "items": {"type": "string"}, "description": "Its allowed values."},
                       "cause": {"type": "string", "description": "What kind of failure (adding sources)."},
                       "field": {"type": "string", "description": "The request field at fault."},
                       "id": {"type": "string", "description": "The source that already holds the text (409)."},
                       "href": {"type": "string"}, "json": {"type": "string"}},
                      required=("ok", "status", "error"))
    return {**model_schemas(), "Error": error_shape, "SourceSummary": source_summary, "Comparison": comparison,
            "Index": index, "SourcePage": source_page, "Health": health,
            "Digest": digest_schema(), **summary_schemas()}


def digest_schema() -> dict[str, Any]:
    """What changed at a glance: the summary above the passages, the change list and the export links."""
    count = {"type": "integer", "minimum": 0}
    kind = {"enum": list(KINDS)}
    fact = obj({"label": {"type": "string", "description": "e.g. 'Tuesday → Monday'"},
                   "row": {"type": "integer"}, "kind": kind,
                   "fact": {"enum": [*FACT_KINDS, "passage", "edit"],
                            "description": "Kind of fact; 'passage' for a one-sided passage, 'edit' for an edit."},
                   "outlet": {**NULLABLE_STRING, "description": "The outlet that alone states it."},
                   "value": {**NULLABLE_STRING, "description": "The fact as stated, without the outlet."},
                   "anchor": {"type": "string", "description": "Page anchor of the row: r<index> or r<index>-l."}})
    alone = obj({"outlet": {"type": "string"}, "facts": {"type": "array", "items": fact}, "more": count})
    excerpt = obj({"before": {"type": "string"}, "deleted": {"type": "string"}, "inserted": {"type": "string"},
                      "after": {"type": "string"}})
    change = obj({"number": {"type": "integer", "minimum": 1, "description": "Page anchor #c<number>."},
                     "row": {"type": "integer"}, "kind": kind, "anchor": {"type": "string"},
                     "excerpt": excerpt, "labels": {"type": "array", "items": {"type": "string"}},
                     "side": {**NULLABLE_STRING, "description": "Outlet of a one-sided change."}})
    return obj({
        "text": {"type": "string", "description": "One plain-language paragraph of what differs."},
        "counts": obj(dict.fromkeys(KINDS, count)),
        "facts": {"type": "array", "items": fact,
                  "description": "The first fact differences, each linked to its row."},
        "more": count, "total_facts": count,
        "alone": {"type": "array", "items": alone,
                  "description": "Per outlet, facts of passages it alone carries that the other text states nowhere."},
        "names": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        "focus": {"type": "boolean", "description": "Whether runs of unchanged passages are folded."},
        "kind": {"enum": [*model.FILTER_KINDS, None], "description": "The change list's filter."},
        "changes": {"type": "array", "items": change},
        "exports": obj({"html": {"type": "string"}, "csv": {"type": "string"}})})


#: Edit kinds of a comparison's changes (parallax.story.edit_kinds): counts, the counts in words, each edited row.
EDITS = obj({"counts": obj({kind: {"type": "integer", "minimum": 0} for kind in edit_kinds.EDIT_KINDS}),
             "text": {"type": "string", "description": "The counts in words: \"3 factual changes, 11 style edits\"."},
             "rows": {"type": "array", "items": obj({"row": {"type": "integer", "minimum": 0},
                                                     "kind": {"enum": list(edit_kinds.EDIT_KINDS)}})}})


def summary_schemas() -> dict[str, Any]:
    """Schemas of a row's fact differences and of a comparison's summary."""
    span = {"type": ["array", "null"], "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2,
            "description": "[start, end) character offsets into the row's text on that side."}
    fact = {"kind": {"enum": list(FACT_KINDS)}, "left": NULLABLE_STRING,
            "right": NULLABLE_STRING, "left_span": span, "right_span": span, "label": {"type": "string"},
            "outlet": {**NULLABLE_STRING, "description": "The outlet whose text alone states the fact (the other "
                                                         "text states it nowhere); null when both state it."}}
    count = {"type": "integer", "minimum": 0}
    rows = {"type": "array", "items": {"type": "integer", "minimum": 0}}
    speaker = obj({"name": {"type": "string"}, "rows": rows})
    one_sided = obj({"side": {"enum": ["left", "right"]}, "rows": rows, "first_words": {"type": "string"},
                        "sentences": count})
    summary = obj({
        "left_outlet": {"type": "string"}, "right_outlet": {"type": "string"},
        "counts": obj(dict.fromkeys(KINDS, count)),
        "boilerplate": count,
        "facts": {"type": "array", "items": obj({"row": count, **fact})},
        "one_sided": {"type": "array", "items": one_sided},
        "speakers": obj({"left": {"type": "array", "items": speaker},
                            "right": {"type": "array", "items": speaker}}),
        "text": {"type": "string", "description": "The summary as one plain-language paragraph."},
        "edits": EDITS})
    return {"FactDiff": obj(fact), "Summary": summary}


def compare_parameters() -> list[dict[str, Any]]:
    """Path and query parameters of ``/compare/{left}/{right}.json``."""
    ignore_pattern = "^(none|(" + "|".join(model.IGNORABLE) + ")(,(" + "|".join(model.IGNORABLE) + "))*)$"
    return [
        {"name": "left", "in": "path", "required": True, "schema": SLUG, "description": "Id of the left source."},
        {"name": "right", "in": "path", "required": True, "schema": SLUG, "description": "Id of the right source."},
        {"name": "view", "in": "query", "schema": {"enum": list(VIEWS), "default": "side"},
         "description": "Side by side or inline."},
        {"name": "unit", "in": "query", "schema": {"enum": list(UNITS), "default": "word"},
         "description": "Granularity of the differences."},
        {"name": "ignore", "in": "query", "schema": {"type": "string", "pattern": ignore_pattern},
         "description": "Comma list of cosmetic differences to ignore (" + ", ".join(model.IGNORABLE)
                        + "), or 'none'. Default: " + ",".join(sorted(model.DEFAULT_IGNORE)) + "."},
        {"name": "focus", "in": "query", "schema": {"enum": ["on", "off"]},
         "description": f"Fold runs of unchanged passages (default: on above {digest.FOCUS_ABOVE} passages)."},
        {"name": "kind", "in": "query", "schema": {"enum": list(model.FILTER_KINDS)},
         "description": "Show only changes of this kind in the change list."},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1},
         "description": "Page of rows of the HTML page (up to 400 rows or 150,000 characters each); the JSON "
                        "twin checks it is a number from 1 and always returns every row."},
    ]


def core_paths() -> dict[str, Any]:
    """Paths of the reading pages' JSON twins and the operations endpoints."""
    bad = error("A query option has a value outside its allowed set.")
    missing = error("No source with that id.")
    return {
        "/index.json": {"get": {"summary": "Stories, their sources and files that failed to load",
                                "operationId": "index",
                                "parameters": [{"name": "outlet_kind", "in": "query", "required": False,
                                                "schema": {"enum": list(OUTLET_KINDS)},
                                                "description": "Only sources of outlets of this kind."},
                                               {"name": "page", "in": "query", "required": False,
                                                "schema": {"type": "integer", "minimum": 1, "default": 1},
                                                "description": "Page of stories (25 a page)."}],
                                "responses": {"200": json_response("The index.", ref("Index")),
                                              "400": error("An unknown outlet kind or a page out of range.")}}},
        "/sources/{id}.json": {"get": {
            "summary": "One source: metadata, reading text and the original", "operationId": "source",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": SLUG}],
            "responses": {"200": json_response("The source.", ref("SourcePage")), "404": missing}}},
        "/compare/{left}/{right}.json": {"get": {
            "summary": "Two sources compared: aligned rows with their differences", "operationId": "compare",
            "parameters": compare_parameters(),
            "responses": {"200": json_response("The comparison.", ref("Comparison")), "400": bad, "404": missing}}},
        "/compare/{left}/{right}/export.html": {"get": {
            "summary": "The comparison as one standalone HTML file (styles inlined, no script), as a download",
            "operationId": "compareExportHtml", "parameters": compare_parameters(),
            "responses": {"200": {"description": "The file.", "content": {"text/html": {"schema": {
                "type": "string"}}}}, "400": html_error(bad), "404": html_error(missing)}}},
        "/compare/{left}/{right}/export.csv": {"get": {
            "summary": "The comparison's rows and fact differences as CSV (formula-like cells start with a quote)",
            "operationId": "compareExportCsv", "parameters": compare_parameters(),
            "responses": {"200": {"description": "The file.", "content": {"text/csv": {"schema": {
                "type": "string"}}}}, "400": bad, "404": missing}}},
        "/-/health.json": {"get": {
            "summary": "Version, corpus size and problems, cache backend and whether it answers",
            "operationId": "health",
            "responses": {"200": json_response("Healthy.", ref("Health")),
                          "503": json_response("The corpus folder is missing or unreadable.", ref("Health"))}}},
        "/openapi.json": {"get": {"summary": "This description", "operationId": "openapi",
                                  "responses": {"200": {"description": "OpenAPI 3.1 document.",
                                                        "content": {"application/json": {"schema": {
                                                            "type": "object"}}}}}}},
    }


def extra_paths(modules: Iterable[str] = EXTRA_MODULES) -> dict[str, Any]:
    """``OPENAPI_PATHS`` dicts that other blueprint modules declare (missing ones are skipped)."""
    paths: dict[str, Any] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        declared = getattr(module, "OPENAPI_PATHS", {})
        for path, item in (declared.items() if isinstance(declared, Mapping) else ()):
            paths.setdefault(path, {}).update(item)
    return paths


WRITES = ("post", "put", "patch")


def api_conventions(paths: dict[str, Any]) -> dict[str, Any]:
    """What every write under ``/api/`` shares, stated on each operation: its body is a JSON object (``{}`` when
    it carries nothing; render.json_object refuses anything else with 415, so no cross-site form can send it)."""
    for path, item in paths.items():
        for method in WRITES if path.startswith("/api/") else ():
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.setdefault("requestBody", {"content": {"application/json": {"schema": {
                "type": "object", "description": "`{}`: nothing in it is read."}}}})
            if set(body.get("content", {})) == {"application/json"}:
                body["required"] = True
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", error("The body is not a JSON object, or a field is wrong."))
                responses.setdefault("415", error("The body is not JSON."))
    return paths


def build(version: str, server_url: str, modules: Iterable[str] = EXTRA_MODULES) -> dict[str, Any]:
    """The whole OpenAPI document, with the server URL the request came through (prefix included)."""
    paths = {**core_paths()}
    for path, item in copy.deepcopy(extra_paths(modules)).items():
        paths.setdefault(path, {}).update(item)
    api_conventions(paths)
    document: dict[str, Any] = closed({"openapi": "3.1.0",
            "info": {"title": "Parallax", "version": version,
                     "description": "JSON twins of Parallax's reading pages. Errors: "
                                    '{"ok": false, "status": <int>, "error": <text>}.'},
            "servers": [{"url": server_url or "/"}],
            "paths": paths,
            "components": {"schemas": schemas()}})
    return document
