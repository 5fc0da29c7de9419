"""Adding many sources at once: ``POST /api/sources/batch`` (a JSON list or NDJSON) and the add page's multi-file
upload (``POST /add/batch``), each item answering on its own (see ``parallax.sources.batch``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, stream_with_context, url_for
from werkzeug.datastructures import FileStorage

from parallax.sources import adding, batch, extract, ingest
from parallax.web.add import limits
from parallax.web.editors import csrf_token, editor_write
from parallax.web.render import corpus, error_response

bp = Blueprint("batch", __name__)
NDJSON = "application/x-ndjson"


def _current() -> Any:
    """The corpus as it stands now (re-read after each saved item)."""
    current_app.extensions["parallax.corpus"].invalidate()
    return corpus()


def _result(result: batch.ItemResult) -> dict[str, Any]:
    """An item's result with the links to the source it names."""
    data = result.to_dict()
    if result.id:
        data["href"] = url_for("pages.source", source_id=result.id)
    return data


def _api_items() -> list[batch.Item]:
    """The request's items: a JSON list (or ``{"items": [...]}``) or NDJSON; each one's fields checked on its own."""
    if request.mimetype == NDJSON:
        raw: Any = batch.parse_ndjson(request.get_data(as_text=True))
    elif request.is_json:
        try:
            raw = request.get_json(silent=True)
        except RecursionError:
            raw = None
        if isinstance(raw, dict) and set(raw) - {"items"}:
            unknown = ", ".join(sorted(set(raw) - {"items"}))[:300]
            raise ValueError(f"Unknown field(s): {unknown}; send {{\"items\": [...]}}.")
        raw = raw.get("items") if isinstance(raw, dict) else raw
        if not isinstance(raw, list):
            raise ValueError("Send a JSON list of sources (or {\"items\": [...]}), or NDJSON (one source a line).")
    else:
        raise TypeError(f"Send the sources as JSON (application/json) or NDJSON ({NDJSON}).")
    if not raw:
        raise ValueError("The batch is empty.")
    if len(raw) > batch.MAX_ITEMS:
        raise ValueError(f"The batch has {len(raw):,} items; at most {batch.MAX_ITEMS:,} a request.")
    items = []
    for index, payload in enumerate(raw):
        try:
            values = batch.check_fields(payload) if not isinstance(payload, Exception) else {}
            problem = payload if isinstance(payload, ingest.IngestError) else None
        except ingest.IngestError as error:
            values, problem = {}, error
        items.append(batch.Item(batch.item_name(values, index), values, "", problem))
    return items


@bp.post("/api/sources/batch")
@editor_write(api=True, shared=True)
def api_batch() -> Response:
    """Add many sources; each item answers saved, duplicate or error. NDJSON in, NDJSON out (one line an item as
    it is done, then a summary line); a JSON list in, one JSON object out."""
    try:
        items = _api_items()
    except TypeError as error:
        return error_response(415, str(error))
    except ValueError as error:
        return error_response(400, str(error))
    settings = limits()
    if request.mimetype == NDJSON:
        def lines() -> Iterator[str]:
            results = []
            for result in batch.add_many(items, _current, settings):
                results.append(result)
                yield json.dumps(_result(result), ensure_ascii=False) + "\n"
            found = batch.counts(results)
            yield json.dumps({"done": True, "counts": found, "summary": batch.summary(found)}) + "\n"

        return Response(stream_with_context(lines()), mimetype=NDJSON)
    results = list(batch.add_many(items, _current, settings))
    found = batch.counts(results)
    return jsonify({"ok": True, "counts": found, "summary": batch.summary(found),
                    "items": [_result(r) for r in results]})


def _upload_items(files: list[FileStorage], values: dict[str, str], max_bytes: int) -> list[batch.Item]:
    """The uploaded files as batch items (HTML extracted on adding; text and markdown need the outlet given)."""
    items = []
    for upload in files:
        name = extract.safe_file_name(upload.filename or "upload")
        fields = dict(values)
        capture = f"uploaded file {name} (one of several)"
        try:
            extracted = extract.from_upload(upload.filename or name, upload.stream.read(max_bytes + 1), max_bytes)
            fields.update(text=extracted.body, format=extracted.format)
            for key in ("title", "outlet", "published", "url", "language"):
                if getattr(extracted, key) and not fields.get(key):
                    fields[key] = getattr(extracted, key)
            capture = extracted.capture
            if not fields.get("outlet", "").strip():
                raise ingest.IngestError("this file does not say which outlet published it; give the outlet",
                                         "bad_input", "outlet")
            items.append(batch.Item(name, fields, capture))
        except ingest.IngestError as error:
            items.append(batch.Item(name, fields, capture, error))
    return items


def _story_values() -> dict[str, str]:
    """The story and outlet chosen for every file of the upload (a new story's slug when that was chosen)."""
    story = request.form.get("story", "").strip()
    if story == adding.NEW_STORY:
        story = request.form.get("new_story", "").strip()
    return {"story": story, "outlet": request.form.get("outlet", "").strip()}


@bp.post("/add/batch")
@editor_write(shared=True)
def add_batch() -> Response:
    """Several files uploaded at once: each is saved, a duplicate, or an error with its reason. A script on the page
    sends the files one request each (``Accept: application/json``) to draw its progress bar; without it the page
    answers with the whole report."""
    files = [f for f in request.files.getlist("files") if f and f.filename]
    values = _story_values()
    if not files or not values["story"]:
        message = "Choose the files to upload." if not files else "Choose a story (or give a slug for a new one)."
        return error_response(400, message)
    settings = limits()
    results = list(batch.add_many(_upload_items(files, values, settings.max_upload_bytes), _current, settings))
    found = batch.counts(results)
    data = {"counts": found, "summary": batch.summary(found), "items": [_result(r) for r in results]}
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, **data})
    page = render_template("add_batch.html", data={**data, "csrf_token": csrf_token()}, alternate=None)
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


_ITEM = {"type": "object", "properties": {
    "index": {"type": "integer"}, "name": {"type": "string"}, "status": {"enum": ["saved", "duplicate", "error"]},
    "id": {"type": "string"}, "path": {"type": "string"}, "href": {"type": "string"}, "error": {"type": "string"},
    "cause": {"type": "string"}, "field": {"type": "string"}}}
#: The items: any JSON values, each answering on its own (an item that is not an object of source fields is an error
#: item, not a refused batch).
_LIST = {"type": "array", "minItems": 1, "maxItems": batch.MAX_ITEMS, "items": {}}
OPENAPI_PATHS: dict[str, Any] = {"/api/sources/batch": {"post": {
    "summary": "Add many sources (each item answers on its own)",
    "description": ("Items have the fields of `POST /api/sources`. Send a JSON list (or `{\"items\": [...]}`) for "
                    "one JSON answer, or NDJSON (one source a line) for an NDJSON answer streamed one line an item "
                    "as it is done, then `{\"done\": true, \"counts\": …}` (Content-Type: application/x-ndjson, "
                    "both ways). Each item is saved whole or not at all; "
                    f"at most {batch.MAX_ITEMS} items a request."),
    "security": [{"editorToken": []}],
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"oneOf": [_LIST, {"type": "object", "required": ["items"],
                                                          "properties": {"items": _LIST}}]}}}},
    "responses": {
        "200": {"description": "Each item's result: saved (id, href), duplicate (the source holding the text) or "
                               "error (reason, cause, field).", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "ok": {"type": "boolean"}, "summary": {"type": "string"},
                "counts": {"type": "object", "properties": {k: {"type": "integer"}
                                                            for k in ("saved", "duplicate", "error")}},
                "items": {"type": "array", "items": _ITEM}}}},
            NDJSON: {"schema": {"type": "string"}}}},
        "400": {"description": "Empty, not a list, or too many items"},
        "403": {"description": "Editor token missing or wrong, or writing is turned off"},
        "413": {"description": "Over the request size limit"},
        "415": {"description": "Neither JSON nor NDJSON"}}}}}
