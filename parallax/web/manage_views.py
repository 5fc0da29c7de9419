"""Managing sources: edit metadata, move to the trash and restore, and the page a watched version was fetched from."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from parallax.corpus_store import CorpusStore
from parallax.model import ATTRIBUTIONS
from parallax.sources import manage, state, watch
from parallax.web.editors import editor_write
from parallax.web.lookup import get_source
from parallax.web.render import corpus, error_response, json_object, page, respond, status_of
from parallax.web.watches import StoreUnavailable, form_data, no_store, read_state, watch_db

bp = Blueprint("manage", __name__)
log = logging.getLogger("parallax.sources.manage")

#: Causes of a refused change whose name the error body carries (a storage failure the editor may act on).
STORAGE_CAUSES = ("disk_full", "read_only", "storage")


@bp.errorhandler(sqlite3.Error)
@bp.errorhandler(StoreUnavailable)  # the PostgreSQL store's audit table cannot be read now
@bp.errorhandler(state.StateError)  # a newer schema than this Parallax knows (state.migrate)
def _database_error(error: Exception) -> Response:
    """The audit log could not be written or read: 503, logged (a file change already made stays made)."""
    log.error("state database: %s", error)
    return error_response(503, "The change log (state database) is busy or unreadable; reload the page.")


def root() -> Path:
    """The corpus folder (this server's own: kept pages, derived files)."""
    return Path(current_app.config["CORPUS_DIR"]).resolve()


def store() -> CorpusStore:
    """The app's corpus store (changes are made on the corpus as it stands under the write lock)."""
    found: CorpusStore = current_app.extensions["parallax.corpus"]
    return found


def refused(error: manage.ManageError) -> Response:
    """A change that was not made, in the error shape (storage failures name their cause)."""
    extra = {"cause": error.cause} if error.cause in STORAGE_CAUSES else None
    return error_response(status_of(error), str(error), extra)


def audit(action: str, subject: str, detail: str) -> None:
    """Log an editor's change to the server log and the audit table: this server's state database, or, when the
    app reads PostgreSQL, the store's (every app server lists it, with the marks, watches and channels logged
    there)."""
    log.info("%s %s: %s", action, subject, detail)
    try:
        with watch_db() as conn:
            state.log_event(conn, action, subject, detail)
    except (sqlite3.Error, state.StateError, StoreUnavailable, OSError) as error:  # the change is made: answering
        log.error("audit record of %s %s not kept: state database: %s", action, subject, error)  # 503 invites a retry


def _edit_data(source_id: str, values: dict[str, str] | None = None, error: str = "",
               digest: str | None = None) -> dict[str, Any]:
    """The edit form's data: current (or submitted) values, the file's digest and the stories to choose from."""
    current = corpus()
    found = manage.read_for_edit(store(), get_source(current, source_id))
    if found is None:
        abort(404, description=f"No source with id '{source_id}'.")
    source, file_digest = found
    base = {"outlet": source.outlet, "title": source.title, "published": source.published,
            "captured": source.captured, "story": source.story, "language": source.language, "url": source.url,
            "attribution": source.attribution, "attribution_note": source.attribution_note,
            "version_of": source.version_of, "boilerplate": "\n".join(source.boilerplate)}
    return {"source": {"id": source.id, "path": source.path, "story": source.story, "outlet": source.outlet or None,
                       "title": source.title or None, "href": url_for("pages.source", source_id=source.id)},
            "form": values or base, "digest": digest or file_digest, "error": error,
            "stories": sorted(current.stories), "fields": list(manage.EDITABLE), "attributions": list(ATTRIBUTIONS),
            "versions": [{"id": s.id, "label": f"{s.outlet or s.id}: {s.title or s.id}"}
                         for s in current.story_sources(source.story) if s.id != source.id]}


@page(bp, "/sources/<slug:source_id>/edit")
def edit_form(source_id: str) -> Response:
    """The metadata of a source as a form (the text itself cannot be edited: add a new version instead)."""
    return no_store(respond("edit.html", form_data(_edit_data(source_id))))


@bp.post("/sources/<slug:source_id>/edit")
@editor_write(shared=True)
def edit_save(source_id: str) -> BaseResponse:
    """Rewrite the front matter of the source's file; the body stays byte for byte."""
    source = get_source(corpus(), source_id)
    values = {name: request.form[name] for name in manage.EDITABLE if name in request.form}  # absent: unchanged
    digest = request.form.get("digest", "")
    try:
        source, new_path = manage.edit_source(store(), source_id, values, digest,
                                              int(current_app.config["MAX_SOURCE_BYTES"]))
    except manage.ManageError as error:
        shown = {name: str(values.get(name, _edit_value(source, name))) for name in manage.EDITABLE}
        data = _edit_data(source_id, shown, str(error), digest if error.cause != "conflict" else None)
        page_ = Response(render_template("edit.html", data=form_data(data), alternate=None), status_of(error))
        return no_store(page_)
    store().invalidate()
    changed = [f"{k}={v!r}" for k, v in values.items() if v != _edit_value(source, k)]
    audit("edit", source.id, f"{source.path} -> {new_path}: " + (", ".join(changed) or "no change"))
    flash(f"Saved the details of '{source.id}'.")
    return redirect(url_for("pages.source", source_id=source.id), 303)


def _edit_value(source: Any, name: str) -> str:
    """A source's current value of an editable field, as the form shows it."""
    return "\n".join(source.boilerplate) if name == "boilerplate" else str(getattr(source, name) or "")


def _trash(source_id: str, via: str = "") -> manage.TrashEntry | Response:
    """Move a source's file to the trash, reload the corpus and log it; the trash entry, or the error answer."""
    get_source(corpus(), source_id)
    try:
        entry = manage.remove_source(store(), source_id)
    except manage.ManageError as error:
        return refused(error)
    store().invalidate()
    audit("remove", entry.source_id, f"{entry.path} -> {manage.TRASH}/{entry.trash_id}{via}")
    return entry


@bp.post("/sources/<slug:source_id>/remove")
@editor_write(shared=True)
def remove(source_id: str) -> BaseResponse:
    """Move the source's file to the trash (it can be restored from /trash)."""
    removed = _trash(source_id)
    if isinstance(removed, Response):
        return removed
    flash(f"Moved '{source_id}' to the trash.")
    return redirect(url_for("manage.trash"), 303)


@page(bp, "/trash")
def trash() -> Response:
    """Removed sources, each with a restore button, and the latest editor changes."""
    entries = [{**e.to_dict(), "restore": url_for("manage.restore", trash_id=e.trash_id)}
               for e in manage.list_trash(store())]
    recent: list[dict[str, str]] = read_state(lambda conn: state.events(conn, 30), [])
    return no_store(respond("trash.html", form_data({"entries": entries, "events": recent})))


@bp.post("/trash/<trash_id>/restore")
@editor_write(shared=True)
def restore(trash_id: str) -> BaseResponse:
    """Put a removed source back in its story."""
    try:
        entry = manage.restore_source(store(), trash_id)
    except manage.ManageError as error:
        return refused(error)
    store().invalidate()
    audit("restore", entry.source_id, f"{manage.TRASH}/{trash_id} -> {entry.path}")
    flash(f"Restored '{entry.source_id}'.")
    return redirect(url_for("pages.source", source_id=entry.source_id), 303)


# ---- JSON API ---------------------------------------------------------------------------------------------------

@bp.patch("/api/sources/<source_id:source_id>")
@editor_write(api=True, shared=True)
def api_edit(source_id: str) -> Response:
    """Change a source's metadata; give ``digest`` (from /sources/<id>/edit.json) to refuse a changed file."""
    payload = json_object("the changes")
    unknown = sorted(set(payload) - {*manage.EDITABLE, "digest"})
    if unknown:
        return error_response(400, f"Unknown field(s): {', '.join(unknown)}; editable: "
                                   f"{', '.join(manage.EDITABLE)} (and digest).")
    get_source(corpus(), source_id)
    changes = {k: v for k, v in payload.items() if k != "digest"}
    digest = payload.get("digest")
    try:
        if digest is not None and not isinstance(digest, str):
            raise manage.ManageError("digest must be a string")
        source, new_path = manage.edit_source(store(), source_id, changes, digest,
                                              int(current_app.config["MAX_SOURCE_BYTES"]))
    except manage.ManageError as error:
        return refused(error)
    store().invalidate()
    audit("edit", source.id, f"{source.path} -> {new_path} (API): " + ", ".join(sorted(changes)))
    return jsonify({"ok": True, "id": source.id, "path": new_path,
                    "href": url_for("pages.source", source_id=source.id)})


@bp.delete("/api/sources/<source_id:source_id>")
@editor_write(api=True, shared=True)
def api_remove(source_id: str) -> Response:
    """Move a source to the trash; the answer names the trash entry to restore it from."""
    entry = _trash(source_id, " (API)")
    if isinstance(entry, Response):
        return entry
    return jsonify({"ok": True, "trash_id": entry.trash_id,
                    "restore": url_for("manage.api_restore", trash_id=entry.trash_id)})


@bp.post("/api/trash/<trash_id>/restore")
@editor_write(api=True, shared=True)
def api_restore(trash_id: str) -> Response:
    """Put a removed source back (JSON body ``{}``)."""
    json_object("an empty object")
    try:
        entry = manage.restore_source(store(), trash_id)
    except manage.ManageError as error:
        return refused(error)
    store().invalidate()
    audit("restore", entry.source_id, f"{manage.TRASH}/{trash_id} -> {entry.path} (API)")
    return jsonify({"ok": True, "id": entry.source_id, "href": url_for("pages.source", source_id=entry.source_id)})


@bp.get("/sources/<slug:source_id>/original-page")
def original_page(source_id: str) -> Response:
    """The page a watched version was extracted from, as plain text in a sandbox: shown, never run."""
    source = get_source(corpus(), source_id)
    raw = watch.read_original(root(), source)
    if raw is None:
        return error_response(404, f"No fetched page is kept for '{source_id}' (only the watcher keeps one).")
    try:
        raw.decode("utf-8")
        mimetype = "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        mimetype = "text/plain"
    response = Response(raw, content_type=mimetype)  # as given: a mimetype would gain a second charset
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Content-Disposition"] = f'inline; filename="{source_id}.html.txt"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_template_global()
def original_page_href(source_id: str) -> str | None:
    """The link to the page a source was fetched from, when one is kept (for the source page)."""
    source = corpus().get(source_id)
    if source is None or not source.capture.startswith(watch.CAPTURE_PREFIX):
        return None  # decided from the file alone, so a cached page never goes stale
    return url_for("manage.original_page", source_id=source_id)


_ERROR: dict[str, Any] = {"description": "Error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
#: A change that could not be stored: nothing was changed, ``cause`` says why.
_STORAGE = {"500": {**_ERROR, "description": "The corpus could not be written (`cause`: storage)"},
            "503": {**_ERROR, "description": "The corpus is read-only (`cause`: read_only)"},
            "507": {**_ERROR, "description": "The corpus disk is full (`cause`: disk_full)"}}
_ID = {"name": "id", "in": "path", "required": True,
       "schema": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}}

OPENAPI_PATHS: dict[str, Any] = {
    "/sources/{id}/edit.json": {"get": {
        "summary": "A source's editable metadata and the digest of its file (edits of a changed file are refused)",
        "operationId": "sourceEdit", "parameters": [_ID],
        "responses": {"200": {"description": "Editable fields.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["source", "form", "digest"],
            "properties": {
                "source": {"type": "object", "properties": {
                    "id": {"type": "string"}, "path": {"type": "string"}, "story": {"type": "string"},
                    "outlet": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                    "href": {"type": "string"}}},
                "form": {"type": "object", "properties": {name: {"type": "string"} for name in manage.EDITABLE}},
                "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "error": {"type": "string"},
                "stories": {"type": "array", "items": {"type": "string"}},
                "fields": {"type": "array", "items": {"enum": list(manage.EDITABLE)}},
                "attributions": {"type": "array", "items": {"enum": list(ATTRIBUTIONS)}},
                "versions": {"type": "array", "description": "Other sources of the story, for version_of.",
                             "items": {"type": "object", "properties": {"id": {"type": "string"},
                                                                        "label": {"type": "string"}}}}}}}}},
            "404": _ERROR}}},
    "/trash.json": {"get": {
        "summary": "Removed sources that can be restored, and the latest editor changes", "operationId": "trash",
        "responses": {"200": {"description": "The trash.", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "entries": {"type": "array", "items": {"type": "object", "properties": {
                    **{name: {"type": "string"} for name in manage.TrashEntry.__dataclass_fields__},
                    "restore": {"type": "string"}}}},
                "events": {"type": "array", "items": {"type": "object", "properties": {
                    name: {"type": "string"} for name in ("at", "action", "subject", "detail")}}}},
            "required": ["entries", "events"]}}}}}}},
    "/api/sources/{id}": {
        "patch": {
            "summary": "Edit a source's metadata (front matter only; the text stays byte for byte)",
            "security": [{"editorToken": []}], "parameters": [_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "outlet": {"type": "string"}, "title": {"type": "string"},
                    "published": {"anyOf": [{"type": "string", "format": "date"}, {"const": ""}]},
                    "captured": {"anyOf": [{"type": "string", "format": "date-time"}, {"const": ""}],
                                 "description": "Empty clears it."},
                    "story": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80,
                              "description": "A new story moves the file."},
                    "language": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
                    "url": {"type": "string", "pattern": r"^\s*(https?://[^/?#\s\[\]][^\s]*)?\s*$",
                            "description": "The article's http(s) URL; empty: unknown."},
                    "attribution": {"enum": list(ATTRIBUTIONS)}, "attribution_note": {"type": "string"},
                    "version_of": {"type": "string", "description": "Id of another source (stored as its article "
                                   "key) or the article's URL; empty: not a version of another article."},
                    "boilerplate": {"type": ["array", "string"], "items": {"type": "string"},
                                    "description": "Texts, as a list or one per line."},
                    "digest": {"type": ["string", "null"],
                               "description": "sha256 of the file as last read; a changed file is not overwritten "
                                              "(409)."}}}}}},
            "responses": {"200": {"description": "Saved."}, "400": _ERROR, "403": _ERROR, "404": _ERROR,
                          "409": _ERROR, "415": _ERROR, **_STORAGE}},
        "delete": {
            "summary": "Move a source to the trash", "security": [{"editorToken": []}], "parameters": [_ID],
            "responses": {"200": {"description": "Moved; `trash_id` and `restore` name the entry."},
                          "403": _ERROR, "404": _ERROR, **_STORAGE}}},
    "/api/trash/{trash_id}/restore": {"post": {
        "summary": "Restore a removed source (JSON body `{}`)", "security": [{"editorToken": []}],
        "parameters": [{"name": "trash_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "Restored."}, "403": _ERROR, "404": _ERROR, "409": _ERROR,
                      "415": _ERROR, **_STORAGE}}},
    "/sources/{source_id}/original-page": {"get": {
        "summary": "The page a watched version was extracted from, as plain text (sandboxed, never run); errors in "
                   "the JSON error shape",
        "operationId": "originalPage", "parameters": [{**_ID, "name": "source_id"}],
        "responses": {"200": {"description": "The fetched page.", "content": {"text/plain": {"schema": {
            "type": "string"}}}}, "404": _ERROR}}},
}
