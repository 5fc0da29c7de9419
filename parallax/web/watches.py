"""Watch lists: the articles and feeds the watcher fetches, per story and in all; forms and a JSON API.

The watches are kept in this server's state database, or, when the app reads the PostgreSQL store, in that
database's watches table (through ``parallax.store.state_sql``), so a watch added on one app server is listed by
every other and claimed by the store's watchers (``parallax.store.watchers``).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from parallax.corpus import MAX_SLUG_LENGTH, SLUG_RE, Corpus
from parallax.sources import alerts, state, watchlist
from parallax.web.editors import csrf_token, editor_write, signed_in, token_required
from parallax.web.render import corpus, error_response, json_object, page, respond, wants_json

bp = Blueprint("watches", __name__)
#: Watch ids in URLs: SQLite integers are 64-bit, so a longer number is no watch (404), never an OverflowError.
WATCH_ID = "int(max=9223372036854775807):watch_id"
log = logging.getLogger("parallax.watches")
T = TypeVar("T")
#: A watch (None when there is none), its latest fetches and the alert channels its changes go to.
WatchDetail = tuple[state.Watch | None, list[dict[str, Any]], list[dict[str, Any]]]


class StoreUnavailable(Exception):
    """The PostgreSQL store's watches table cannot be read or written now."""


@bp.errorhandler(sqlite3.Error)
@bp.errorhandler(StoreUnavailable)
@bp.errorhandler(state.StateError)  # the views catch a bad request's StateError; one that escapes is the database's
def _database_error(error: Exception) -> Response:
    """The state database is locked, unreadable or of a newer schema: 503 with what to do, logged."""
    log.error("state database: %s", error)
    return error_response(503, "The watch list cannot be read or written now (state database busy or "
                               "unreadable); try again in a moment.")


def state_db() -> Path:
    """The state database's path for this app."""
    return state.db_path(current_app.config["CORPUS_DIR"], str(current_app.config.get("STATE_DB") or ""))


@contextlib.contextmanager
def watch_db() -> Iterator[Any]:
    """A connection to where watches are kept: this server's state database (each statement its own transaction),
    or, when the app reads PostgreSQL, one transaction on the store's state tables."""
    if not current_app.config.get("DATABASE_URL"):
        with state.opened(state_db()) as conn:
            yield conn
        return
    from parallax.store.state_sql import DatabaseError, StateConnection  # psycopg is imported only with a database
    try:
        with StateConnection(current_app.extensions["parallax.corpus"].store.conn).transaction() as shared:
            yield shared
    except DatabaseError as error:
        raise StoreUnavailable(str(error)) from error


def read_state(reader: Callable[[Any], T], default: T) -> T:
    """Run a reader where watches are kept, without creating a state database when there is none yet."""
    if not current_app.config.get("DATABASE_URL") and not state_db().exists():
        return default
    with watch_db() as conn:
        return reader(conn)


def read_watches(story: str | None = None) -> list[state.Watch]:
    """The watches (of a story)."""
    return read_state(lambda conn: state.list_watches(conn, story), [])


def watch_summary(item: state.Watch, current: Corpus) -> dict[str, Any]:
    """A watch with its links and how many versions of its article the corpus holds."""
    versions = current.articles.get(item.url, []) if item.kind == "article" else []
    latest = versions[-1] if versions else None
    return {**item.to_dict(), "versions": len(versions), "latest": latest.id if latest else None,
            "href": url_for("watches.watch_detail", watch_id=item.id),
            "story_href": url_for("watches.story_watches", story=item.story),
            "timeline": url_for("timeline.source_timeline", source_id=latest.id) if latest else None}


def form_data(data: dict[str, Any]) -> dict[str, Any]:
    """Add what the HTML forms need (CSRF token, sign-in state) to a page's data; JSON twins get none of it."""
    if wants_json():
        return data
    return {**data, "csrf_token": csrf_token(), "token_required": token_required(), "signed_in": signed_in(),
            "token_configured": bool(current_app.config.get("EDITOR_TOKEN")), "error": data.get("error", ""),
            "kinds": state.KINDS}


def no_store(response: Response) -> Response:
    """Pages with forms and live state are never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _defaults() -> dict[str, int]:
    """Default interval and feed item limit, for forms and JSON."""
    cfg = current_app.config
    return {"interval": int(cfg["WATCH_INTERVAL"]), "min_interval": int(cfg["WATCH_MIN_INTERVAL"]),
            "item_limit": int(cfg["WATCH_FEED_LIMIT"])}


@page(bp, "/watches")
def all_watches() -> Response:
    """Every watched article and feed, with their state, and a form to add one."""
    current = corpus()
    data = {"story": None, "watches": [watch_summary(w, current) for w in read_watches()],
            "stories": sorted(current.stories), "defaults": _defaults()}
    return no_store(respond("watches.html", form_data(data)))


@page(bp, "/stories/<slug:story>/watches")
def story_watches(story: str) -> Response:
    """The watch list of one story."""
    if len(story) > MAX_SLUG_LENGTH:
        abort(404, description=f"No story with slug '{story}'.")
    current = corpus()
    found = current.stories.get(story)
    data = {"story": {"slug": story, "title": (found.title if found else "") or story, "exists": found is not None},
            "watches": [watch_summary(w, current) for w in read_watches(story)],
            "stories": sorted(current.stories), "defaults": _defaults()}
    if not wants_json():
        data["prefill"] = request.args.get("url", "")[:2000]  # "watch this article" links from source pages
    return no_store(respond("watches.html", form_data(data)))


@page(bp, f"/watches/<{WATCH_ID}>")
def watch_detail(watch_id: int) -> Response:
    """One watch: its schedule, last error and the latest fetches."""
    def detail(conn: Any) -> WatchDetail:
        found = state.get_watch(conn, watch_id)
        if found is None:
            return None, [], []
        return found, state.fetch_log(conn, watch_id), alerts.channels(conn, found.story, watch_id)
    nothing: WatchDetail = (None, [], [])
    found, history, channels = read_state(detail, nothing)
    if found is None:
        abort(404, description=f"No watch with id {watch_id}.")
    data = {"watch": watch_summary(found, corpus()), "log": history, "alerts": channels,
            "alerts_href": url_for("alerts.story_alerts", story=found.story)}
    return no_store(respond("watch.html", form_data(data)))


# ---- forms ----------------------------------------------------------------------------------------------------------

def _back() -> str:
    """Where a form returns to: its story's watch list, or the list of all watches."""
    story = request.form.get("back", "")
    return url_for("watches.story_watches", story=story) if SLUG_RE.match(story) else url_for("watches.all_watches")


def _int_field(values: dict[str, Any], name: str) -> int | None:
    """An optional whole-number field (form text or JSON number); StateError when it is not one."""
    value = values.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise state.StateError(f"'{name}' must be a whole number")
    try:
        return int(value)
    except ValueError:
        raise state.StateError(f"'{name}' must be a whole number, not {value!r}") from None


def _adder(conn: Any) -> Callable[..., state.Watch]:
    """How a new watch is kept: in the state database, or in the store with its site's schedule (so the store's
    watchers claim it)."""
    if not current_app.config.get("DATABASE_URL"):
        return state.add_watch
    from parallax.store import claims
    return lambda _conn, story, kind, url, interval, limit: claims.add_watch(conn.conn, story, kind, url, interval,
                                                                            item_limit=limit)


def _create(values: dict[str, Any]) -> state.Watch:
    """Add a watch from form or JSON values, logging it."""
    story = str(values.get("story") or "").strip()
    kind = str(values.get("kind") or "article").strip()
    url = str(values.get("url") or "")
    with watch_db() as conn:
        created = watchlist.new_watch(conn, current_app.config, story, kind, url, _int_field(values, "interval"),
                                      _int_field(values, "item_limit"), _adder(conn))
        state.log_event(conn, "watch-added", f"watch {created.id}", f"{created.kind} {created.url} in {story}")
    log.info("watch %s added: %s %s in %s", created.id, created.kind, created.url, story)
    return created


@bp.post("/watches")
@editor_write(shared=True)
def add_watch_form() -> BaseResponse:
    """The add form submitted: watch the URL, then go back to the list."""
    try:
        created = _create(request.form.to_dict())
    except state.StateError as error:
        flash(f"Not added: {error}")
        return redirect(_back(), 303)
    flash(f"Watching {created.url} (every {created.interval} s).")
    return redirect(_back(), 303)


def _change(watch_id: int, action: str) -> state.Watch | None:
    """Pause, resume or remove a watch, logging it; the watch (None when it does not exist or was removed)."""
    with watch_db() as conn:
        found = state.get_watch(conn, watch_id)
        if found is None:
            return None
        if action == "remove":
            state.remove_watch(conn, watch_id)
        else:
            found = state.set_paused(conn, watch_id, action == "pause") or found
        state.log_event(conn, f"watch-{action}", f"watch {watch_id}", found.url)
    log.info("watch %s: %s", watch_id, action)
    return found


@bp.post(f"/watches/<{WATCH_ID}>/<any(pause, resume, remove):action>")
@editor_write(shared=True)
def change_watch_form(watch_id: int, action: str) -> BaseResponse:
    """Pause, resume or remove a watch from a form."""
    found = _change(watch_id, action)
    if found is None:
        return error_response(404, f"No watch with id {watch_id}.")
    flash({"pause": "Paused", "resume": "Resumed", "remove": "Stopped watching"}[action] + f" {found.url}.")
    return redirect(_back(), 303)


# ---- JSON API -------------------------------------------------------------------------------------------------------

API_FIELDS = ("story", "kind", "url", "interval", "item_limit")


@bp.post("/api/watches")
@editor_write(api=True, shared=True)
def api_add_watch() -> Response:
    """Watch an article or feed from JSON; 201 with the watch."""
    payload = json_object("the watch")
    unknown = sorted(set(payload) - set(API_FIELDS))
    if unknown:
        return error_response(400, f"Unknown field(s): {', '.join(unknown)}; known: {', '.join(API_FIELDS)}.")
    bad = [k for k in ("story", "kind", "url") if k in payload and not isinstance(payload[k], str)]
    if bad:
        return error_response(400, f"Field '{bad[0]}' must be a string.")
    for name in ("interval", "item_limit"):
        if isinstance(payload.get(name), float) and payload[name].is_integer():
            payload[name] = int(payload[name])  # JSON's 530.0 is the number 530: a whole number, as described
    numbers = [k for k in ("interval", "item_limit")
               if k in payload and (isinstance(payload[k], bool) or not isinstance(payload[k], int))]
    if numbers:  # null too: leave a field out for its default
        return error_response(400, f"Field '{numbers[0]}' must be a whole number (leave it out for the default).",
                              {"field": numbers[0]})
    try:
        created = _create(payload)
    except state.StateError as error:
        status = 409 if "already watches" in str(error) else 400
        return error_response(status, str(error))
    response = jsonify({"ok": True, "watch": watch_summary(created, corpus())})
    response.status_code = 201
    response.headers["Location"] = url_for("watches.watch_detail", watch_id=created.id)
    return response


def _api_change(watch_id: int, action: str) -> Response:
    """Pause, resume or delete through the API (the views are behind ``editor_write(api=True, shared=True)``)."""
    found = _change(watch_id, action)
    if found is None:
        return error_response(404, f"No watch with id {watch_id}.")
    if action == "remove":
        return jsonify({"ok": True, "removed": watch_id})
    return jsonify({"ok": True, "watch": watch_summary(found, corpus())})


@bp.delete(f"/api/watches/<{WATCH_ID}>")
@editor_write(api=True, shared=True)
def api_remove_watch(watch_id: int) -> Response:
    """Stop watching (articles a feed added stay watched)."""
    return _api_change(watch_id, "remove")


@bp.post(f"/api/watches/<{WATCH_ID}>/<any(pause, resume):action>")
@editor_write(api=True, shared=True)
def api_pause_watch(watch_id: int, action: str) -> Response:
    """Pause or resume a watch; the body must be JSON (``{}``), so a cross-site form cannot post it."""
    if not request.is_json:
        return error_response(415, "Send a JSON body ({}) with Content-Type: application/json.")
    return _api_change(watch_id, action)


_WATCH_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "story": {"type": "string"}, "kind": {"enum": list(state.KINDS)},
    "url": {"type": "string"}, "interval": {"type": "integer"}, "paused": {"type": "boolean"},
    "next_due": {"type": ["string", "null"]}, "failures": {"type": "integer"},
    "last_error": {"type": ["string", "null"]}, "last_checked": {"type": ["string", "null"]},
    "last_changed": {"type": ["string", "null"]}, "created": {"type": ["string", "null"]},
    "parent_id": {"type": ["integer", "null"]}, "item_limit": {"type": "integer"},
    "title": {"type": ["string", "null"]}, "versions": {"type": "integer"}, "latest": {"type": ["string", "null"]},
    "href": {"type": "string"}, "story_href": {"type": "string"}, "timeline": {"type": ["string", "null"]}},
    "required": ["id", "story", "kind", "url", "interval", "paused", "failures", "last_error"]}
_LIST_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "story": {"type": ["object", "null"],
              "properties": {"slug": {"type": "string"}, "title": {"type": "string"}, "exists": {"type": "boolean"}}},
    "watches": {"type": "array", "items": _WATCH_SCHEMA},
    "stories": {"type": "array", "items": {"type": "string"}},
    "defaults": {"type": "object", "properties": {"interval": {"type": "integer"},
                                                  "min_interval": {"type": "integer"},
                                                  "item_limit": {"type": "integer"}}}},
    "required": ["watches"]}
_ERROR: dict[str, Any] = {"description": "Error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_ID = {"name": "watch_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/watches.json": {"get": {"summary": "Every watched article and feed", "operationId": "watches",
                              "responses": {"200": _json("The watch list.", _LIST_SCHEMA)}}},
    "/stories/{story}/watches.json": {"get": {
        "summary": "One story's watched articles and feeds", "operationId": "storyWatches",
        "parameters": [{"name": "story", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80}}],
        "responses": {"200": _json("The story's watch list (a story may be watched before it has sources).",
                                   _LIST_SCHEMA), "404": _ERROR}}},
    "/watches/{watch_id}.json": {"get": {
        "summary": "One watch with its latest fetches", "operationId": "watch", "parameters": [_ID],
        "responses": {"200": _json("The watch.", {"type": "object", "required": ["watch", "log"], "properties": {
            "watch": _WATCH_SCHEMA, "log": {"type": "array", "items": {"type": "object", "properties": {
                "at": {"type": ["string", "null"]}, "status": {"type": ["integer", "null"]},
                "outcome": {"enum": ["stored", "unchanged", "headline", "not-modified", "feed", "error"]},
                "detail": {"type": ["string", "null"]}, "source_id": {"type": ["string", "null"]}}}},
            "alerts": {"type": "array", "description": "Channels its changes go to (scheme and host only, their last "
                       "error and when they last sent).", "items": {"type": "object"}},
            "alerts_href": {"type": "string"}}}),
            "404": _ERROR}}},
    "/api/watches": {"post": {
        "summary": "Watch an article URL or an RSS/Atom feed",
        "description": "The watcher (`python -m parallax.sources.watch`) fetches it every `interval` seconds and "
                       "stores a new version when the text changed beyond cosmetic changes; a feed's new items become "
                       "watched articles, up to `item_limit`. Beyond loopback send "
                       "`Authorization: Bearer <EDITOR_TOKEN>`.",
        "security": [{"editorToken": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["story", "url"], "properties": {
                "story": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80},
                "kind": {"enum": list(state.KINDS), "default": "article"}, "url": {"type": "string", "format": "uri"},
                "interval": {"type": "integer", "minimum": 60, "maximum": watchlist.MAX_INTERVAL,
                             "description": "Seconds between fetches (default WATCH_INTERVAL, at least "
                                            "WATCH_MIN_INTERVAL); leave it out for the default (null is refused)."},
                "item_limit": {"type": "integer",
                               "description": "Feeds: items to watch (WATCH_FEED_LIMIT); not read for an article."}},
            "if": {"required": ["kind"], "properties": {"kind": {"const": "feed"}}, "additionalProperties": True},
            "then": {"properties": {"item_limit": {"minimum": 1, "maximum": watchlist.MAX_FEED_LIMIT}},
                     "additionalProperties": True}}}}},
        "responses": {"201": _json("Watching.", {"type": "object", "properties": {
            "ok": {"type": "boolean"}, "watch": _WATCH_SCHEMA}}),
            "400": _ERROR, "403": _ERROR, "409": _ERROR, "415": _ERROR, "503": _ERROR}}},
    "/api/watches/{watch_id}": {"delete": {
        "summary": "Stop watching", "security": [{"editorToken": []}], "parameters": [_ID],
        "responses": {"200": _json("Removed.", {"type": "object"}), "403": _ERROR, "404": _ERROR}}},
    "/api/watches/{watch_id}/pause": {"post": {
        "summary": "Pause a watch (JSON body `{}`)", "security": [{"editorToken": []}], "parameters": [_ID],
        "responses": {"200": _json("Paused.", {"type": "object"}), "403": _ERROR, "404": _ERROR, "415": _ERROR}}},
    "/api/watches/{watch_id}/resume": {"post": {
        "summary": "Resume a watch, due at once (JSON body `{}`)", "security": [{"editorToken": []}],
        "parameters": [_ID],
        "responses": {"200": _json("Resumed.", {"type": "object"}), "403": _ERROR, "404": _ERROR, "415": _ERROR}}},
}
