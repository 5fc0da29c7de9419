"""The OpenAPI 3.1 description of every page's JSON twin, plus paths other blueprints declare."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from .. import text

EXTRA_MODULES = ("parallax.web.stories", "parallax.web.add", "parallax.web.search")
KINDS = ["same", "changed", "moved", "left_only", "right_only"]
OPS = ["equal", "delete", "insert"]
SLUG = {"type": "string", "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}


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


def schemas() -> dict[str, Any]:
    """Component schemas for the JSON twins and the error shape."""
    source_summary = obj({
        "id": SLUG, "story": SLUG, "outlet": {"type": "string"}, "title": {"type": "string"},
        "published": NULLABLE_STRING, "url": NULLABLE_STRING, "format": {"enum": ["text", "markdown"]},
        "language": {"type": "string"}, "attribution": {"enum": ["stated", "inferred", "unknown"]},
        "attribution_note": {"type": "string"}, "capture": {"type": "string"}, "captured": NULLABLE_STRING,
        "original_file": NULLABLE_STRING, "words": {"type": "integer", "minimum": 0},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "path": {"type": "string"},
        "href": {"type": "string"}, "versions": {"type": "integer", "minimum": 1}})
    segment = obj({"op": {"enum": OPS}, "text": {"type": "string"}, "right_text": NULLABLE_STRING})
    row = obj({"index": {"type": "integer"}, "kind": {"enum": KINDS}, "left": NULLABLE_STRING,
               "right": NULLABLE_STRING, "segments": {"type": "array", "items": ref("Segment")},
               "left_pos": NULLABLE_INT, "right_pos": NULLABLE_INT,
               "similarity": {"type": "number", "minimum": 0, "maximum": 1}, "boilerplate": {"type": "boolean"}})
    count = {"type": "integer", "minimum": 0}
    stats = obj({"similarity": {"type": "number", "minimum": 0, "maximum": 1}, "words_added": count,
                 "words_removed": count, "words_changed": count, "same": count, "changed": count, "moved": count,
                 "left_only": count, "right_only": count})
    options = obj({"view": {"enum": ["side", "inline"]}, "unit": {"enum": ["word", "char", "sentence"]},
                   "ignore": {"type": "array", "items": {"enum": list(text.IGNORABLE)}}})
    comparison = obj({"left": ref("SourceSummary"), "right": ref("SourceSummary"), "options": options,
                      "permalink": {"type": "string"}, "swap": {"type": "string"}, "stats": ref("Stats"),
                      "limits": {"type": "array", "items": {"type": "string"}},
                      "rows": {"type": "array", "items": ref("Row")}})
    problem = obj({"path": {"type": "string"}, "reason": {"type": "string"}})
    story = obj({"slug": SLUG, "title": {"type": "string"}, "date": NULLABLE_STRING, "summary": {"type": "string"},
                 "sources": {"type": "array", "items": ref("SourceSummary")}})
    index = obj({"stories": {"type": "array", "items": story}, "problems": {"type": "array", "items": problem},
                 "source_count": count})
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
                       "shared": {"type": "array", "description": "Passages shared with sources of any story "
                                  "(parallax.web.search.shared_summary).", "items": {"type": "object"}}})
    health = obj({"ok": {"type": "boolean"}, "version": {"type": "string"},
                  "corpus": obj({"readable": {"type": "boolean"}, "sources": count, "stories": count,
                                 "problems": {"type": "array", "items": problem}}),
                  "cache": obj({"backend": {"enum": ["memory", "redis"]}, "ok": {"type": "boolean"}})})
    error_shape = obj({"ok": {"const": False}, "status": {"type": "integer"}, "error": {"type": "string"}})
    return {"Error": error_shape, "SourceSummary": source_summary, "Segment": segment, "Row": row, "Stats": stats,
            "Comparison": comparison, "Index": index, "SourcePage": source_page, "Health": health}


def compare_parameters() -> list[dict[str, Any]]:
    """Path and query parameters of ``/compare/{left}/{right}.json``."""
    ignore_pattern = "^(none|(" + "|".join(text.IGNORABLE) + ")(,(" + "|".join(text.IGNORABLE) + "))*)$"
    return [
        {"name": "left", "in": "path", "required": True, "schema": SLUG, "description": "Id of the left source."},
        {"name": "right", "in": "path", "required": True, "schema": SLUG, "description": "Id of the right source."},
        {"name": "view", "in": "query", "schema": {"enum": ["side", "inline"], "default": "side"},
         "description": "Side by side or inline."},
        {"name": "unit", "in": "query", "schema": {"enum": ["word", "char", "sentence"], "default": "word"},
         "description": "Granularity of the differences."},
        {"name": "ignore", "in": "query", "schema": {"type": "string", "pattern": ignore_pattern},
         "description": "Comma list of cosmetic differences to ignore (" + ", ".join(text.IGNORABLE)
                        + "), or 'none'. Default: " + ",".join(sorted(text.DEFAULT_IGNORE)) + "."},
    ]


def core_paths() -> dict[str, Any]:
    """Paths of the reading pages' JSON twins and the operations endpoints."""
    bad = error("A query option has a value outside its allowed set.")
    missing = error("No source with that id.")
    return {
        "/index.json": {"get": {"summary": "Stories, their sources and files that failed to load",
                                "operationId": "index",
                                "responses": {"200": json_response("The index.", ref("Index"))}}},
        "/sources/{id}.json": {"get": {
            "summary": "One source: metadata, reading text and the original", "operationId": "source",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": SLUG}],
            "responses": {"200": json_response("The source.", ref("SourcePage")), "404": missing}}},
        "/compare/{left}/{right}.json": {"get": {
            "summary": "Two sources compared: aligned rows with their differences", "operationId": "compare",
            "parameters": compare_parameters(),
            "responses": {"200": json_response("The comparison.", ref("Comparison")), "400": bad, "404": missing}}},
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


def build(version: str, server_url: str, modules: Iterable[str] = EXTRA_MODULES) -> dict[str, Any]:
    """The whole OpenAPI document, with the server URL the request came through (prefix included)."""
    paths = {**core_paths()}
    for path, item in extra_paths(modules).items():
        paths.setdefault(path, {}).update(item)
    return {"openapi": "3.1.0",
            "info": {"title": "Parallax", "version": version,
                     "description": "JSON twins of Parallax's reading pages. Errors: "
                                    '{"ok": false, "status": <int>, "error": <text>}.'},
            "servers": [{"url": server_url or "/"}],
            "paths": paths,
            "components": {"schemas": schemas()}}
