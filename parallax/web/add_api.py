"""Adding sources from scripts: ``/add.json`` (what a source can be added with, and where to post it) and
``POST /api/sources``, the same checks as the add form, with their OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from parallax.model import ATTRIBUTIONS, FORMATS
from parallax.sources import adding, ingest
from parallax.web.add import limits, too_large_message
from parallax.web.editors import editor_write, token_required
from parallax.web.render import corpus, domain_error_response, error_response, json_object

bp = Blueprint("add_api", __name__)


def given(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema saying ``field`` is a string that is there and not blank (other fields are free)."""
    return {"required": [field], "properties": {field: {"type": "string", **schema}}, "additionalProperties": True}


OPENAPI_PATHS: dict[str, Any] = {
    "/add.json": {"get": {
        "summary": "What a source can be added with: kinds, fields, formats, stories, limits and the API to post to",
        "operationId": "add_form",
        "responses": {"200": {"description": "The add page's description.", "content": {"application/json": {
            "schema": {"type": "object", "additionalProperties": False,
                       "required": ["api", "kinds", "fields", "formats", "attributions", "new_story", "stories",
                                    "limits"],
                       "properties": {
                           "api": {"type": "object"}, "kinds": {"type": "array", "items": {"type": "string"}},
                           "fields": {"type": "array", "items": {"type": "string"}},
                           "formats": {"type": "array", "items": {"type": "string"}},
                           "attributions": {"type": "array", "items": {"type": "string"}},
                           "new_story": {"type": "string"}, "stories": {"type": "array"},
                           "limits": {"type": "object"}}}}}}}}},
    "/api/sources": {
        "post": {
            "summary": "Add a source",
            "description": (
                "Adds one version of an article to a story. Give exactly one of `text` (plain text or markdown), "
                "`html` (article text and metadata are extracted with trafilatura) or `url` alone (the page is "
                "fetched, then extracted). Metadata fields override what was extracted. When the server is reachable "
                "beyond loopback (HOST not loopback, or behind a reverse proxy), send "
                "`Authorization: Bearer <EDITOR_TOKEN>`."),
            "security": [{"editorToken": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["story"], "description": "A field that is null is left out.",
                "properties": {
                    "text": {"type": ["string", "null"], "description": "Article text, stored exactly."},
                    "html": {"type": ["string", "null"], "description": "An HTML page to extract the article from."},
                    "url": {"type": ["string", "null"], "pattern": r"^\s*(https?://[^/?#\s\[\]][^\s]*)?\s*$",
                            "description": "The article's http(s) URL; fetched when neither text nor html is given."},
                    "format": {"enum": [*FORMATS, None], "default": "text"},
                    "outlet": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                    "published": {"type": ["string", "null"], "format": "date"},
                    "story": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$",
                              "description": "Story slug; a new story is created when it does not exist."},
                    "story_title": {"type": ["string", "null"], "description": "Title of a new story."},
                    "language": {"type": ["string", "null"], "default": "en",
                                 "pattern": "^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$"},
                    "version_of": {"type": ["string", "null"],
                                   "description": "Id of an existing source (or its article URL) this is a new "
                                                  "version of."}},
                "anyOf": [given("text", {"pattern": r"\S"}), given("html", {"minLength": 1}),
                          given("url", {"pattern": r"\S"})],
                "not": {"required": ["text", "html"], "additionalProperties": True, "description": "Not both.",
                        "properties": {"text": {"type": "string", "minLength": 1},
                                       "html": {"type": "string", "minLength": 1}}}}}}},
            "responses": {
                "201": {"description": "Saved", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"ok": {"type": "boolean"}, "id": {"type": "string"},
                                                     "href": {"type": "string"}, "json": {"type": "string"}}}}}},
                "400": {"description": "Bad input (a malformed field, a lone surrogate, a URL that cannot be read, "
                                       "JSON nested too deeply), or a fetch refused (private or metadata address); "
                                       "`field` names the field at fault and `cause` the kind of failure"},
                "403": {"description": "Editor token missing or wrong, or writing is turned off"},
                "409": {"description": "The same text is already in the story (`id` and `href` name it); of "
                                       "identical adds sent at once exactly one is saved"},
                "413": {"description": "Over MAX_UPLOAD_BYTES"},
                "415": {"description": "Not JSON, or the fetched URL is not an HTML page"},
                "422": {"description": "No article text found in the page, or the extractor failed on it"},
                "502": {"description": "The fetch failed (HTTP error, too many redirects, connection), or the HTML "
                                       "extractor cannot run on this server"},
                "503": {"description": "The corpus is read-only (`cause`: read_only); nothing was saved"},
                "504": {"description": "The fetch timed out"},
                "507": {"description": "The corpus disk is full (`cause`: disk_full); nothing was saved"}}}}}


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    """413 that names the limit, as the add form's."""
    return error_response(413, too_large_message())


@bp.get("/add.json")
def add_form_json() -> Response:
    """The add page's JSON twin: what a source can be added with, the stories it can join, the limits, and where a
    script sends it (``POST /api/sources``, the same checks as the form)."""
    current = corpus()
    return jsonify({
        "api": {"method": "POST", "url": url_for("add_api.api_add"), "content_type": "application/json",
                "token_required": token_required()},
        "kinds": ["paste", "upload", "fetch"],
        "fields": ["kind", "format", "url", "story", "text", "outlet", "title", "published", "language",
                   "attribution"],
        "formats": list(FORMATS),
        "attributions": list(ATTRIBUTIONS),
        "new_story": adding.NEW_STORY,
        "stories": [{"slug": s.slug, "title": s.title or s.slug} for s in current.stories.values()],
        "limits": {"max_upload_bytes": int(current_app.config["MAX_UPLOAD_BYTES"])},
    })


@bp.post("/api/sources")
@editor_write(api=True, shared=True)
def api_add() -> Response:
    """Add a source from JSON; 201 with its id and URLs, 409 when the text is already in the story."""
    payload = json_object("the source")
    unknown = sorted(set(payload) - set(adding.API_FIELDS))
    bad = [k for k in adding.API_FIELDS if k in payload and payload[k] is not None and not isinstance(payload[k], str)]
    if unknown or bad:
        return error_response(400, f"Unknown field(s): {', '.join(unknown)[:500]}" if unknown
                              else f"Field '{bad[0]}' must be a string.", {"field": (unknown or bad)[0][:100]})
    values = {k: str(v) for k, v in payload.items() if v is not None}
    try:
        saved = adding.add_source(values, corpus(), limits())
        current_app.extensions["parallax.corpus"].invalidate()
    except ingest.DuplicateError as duplicate:
        existing = duplicate.existing
        return domain_error_response(duplicate, {
            "id": existing.id, "href": url_for("pages.source", source_id=existing.id),
            "json": url_for("pages.source_json", source_id=existing.id)})
    except adding.DomainError as error:
        return domain_error_response(error)
    href = url_for("pages.source", source_id=saved.id)
    response = jsonify({"ok": True, "id": saved.id, "href": href,
                        "json": url_for("pages.source_json", source_id=saved.id)})
    response.status_code = 201
    response.headers["Location"] = href
    return response
