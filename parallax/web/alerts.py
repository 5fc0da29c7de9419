"""Alerts on the web: a story's channels (add, mute, remove; secrets never shown), its Atom feed of changes,
and "Check now" on a watch.

Channels, changes and deliveries are kept where watches are (``parallax.web.watches.watch_db``): this server's state
database, or, when the app reads the PostgreSQL store, that database's state tables, so a channel added on one app
server is listed by every other and the store's watchers send to it.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from parallax.sources import alerts, state, watch
from parallax.web.editors import editor_write
from parallax.web.notes import read_notes
from parallax.web.openapi import error, json_response
from parallax.web.render import corpus, error_response, json_object, page, respond
from parallax.web.watches import WATCH_ID, StoreUnavailable, form_data, no_store, read_watches, watch_db

bp = Blueprint("alerts", __name__)
FEED_ENTRIES = 50
log = logging.getLogger("parallax.web.alerts")


@bp.errorhandler(sqlite3.Error)
@bp.errorhandler(StoreUnavailable)
def _database_error(error: Exception) -> Response:
    """Where channels are kept cannot be read or written now: 503 with what to do, logged."""
    log.error("alert channels: %s", error)
    return error_response(503, "The alert channels cannot be read or written now (state database busy or "
                               "unreadable); try again in a moment.")


def _story_or_404(story: str) -> Response | None:
    """A 404 answer when the corpus has no such story, else None."""
    return None if story in corpus().stories else error_response(404, f"No story '{story}'.")


@page(bp, "/stories/<slug:story>/alerts")
def story_alerts(story: str) -> Response:
    """Where a story's changes are sent: its channels (scheme and host only), pending deliveries, the add form."""
    missing = _story_or_404(story)
    if missing:
        return missing
    found = corpus().stories[story]
    none: list[dict[str, Any]] = []
    data = {"story": {"slug": story, "title": found.title or story, "href": url_for("stories.story_view", story=story)},
            "channels": read_notes(lambda conn: alerts.channels(conn, story), none),
            "pending": read_notes(lambda conn: alerts.pending(conn, story), none),
            "watches": [{"id": w.id, "url": w.url} for w in read_watches(story)],
            "thresholds": list(alerts.THRESHOLDS), "digests": [d for d in alerts.DIGESTS if d],
            "feed": url_for("alerts.changes_feed", story=story),
            "feed_json": url_for("alerts.changes_json", story=story)}
    return no_store(respond("alerts.html", form_data(data)))


def _watch_id(value: Any) -> int | None:
    """The optional watch a channel is for (form text or JSON number); AlertError when not a whole number."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise alerts.AlertError("watch must be the number of a watch of this story")
    return int(value)


def _add(story: str, values: dict[str, Any]) -> dict[str, Any]:
    """Subscribe a channel from form or JSON values, logging it (never the URL)."""
    with watch_db() as conn:
        created = alerts.add_channel(conn, story, values.get("url"), values.get("threshold", "facts"),
                                     values.get("digest", ""), _watch_id(values.get("watch")))
        state.log_event(conn, "channel-added", f"channel {created['id']}", f"{created['label']} for {story}")
    return created


@bp.post("/stories/<slug:story>/alerts")
@editor_write(shared=True)
def add_channel_form(story: str) -> BaseResponse:
    """The add-channel form submitted."""
    missing = _story_or_404(story)
    if missing:
        return missing
    try:
        created = _add(story, request.form.to_dict())
    except alerts.AlertError as error:
        flash(f"Not added: {error}")
    else:
        flash(f"Changes of this story will be sent to {created['label']}.")
    return redirect(url_for("alerts.story_alerts", story=story), 303)


def _change(channel_id: int, action: str, story: str | None = None) -> dict[str, Any] | None:
    """Mute, unmute or remove a channel (of ``story`` when given); the channel, None when there is none."""
    with watch_db() as conn:
        found = alerts.get_channel(conn, channel_id)
        if found is None or (story is not None and found["story"] != story):
            return None
        if action == "remove":
            alerts.remove_channel(conn, channel_id)
        else:
            found = alerts.update_channel(conn, channel_id, {"muted": action == "mute"}) or found
        state.log_event(conn, f"channel-{action}", f"channel {channel_id}", found["label"])
    return found


@bp.post("/stories/<slug:story>/alerts/<int:channel_id>/<any(mute, unmute, remove):action>")
@editor_write(shared=True)
def change_channel_form(story: str, channel_id: int, action: str) -> BaseResponse:
    """Mute, unmute or remove a channel from a form."""
    found = _change(channel_id, action, story)
    if found is None:
        return error_response(404, f"No channel {channel_id} in story '{story}'.")
    flash(f"{action.capitalize()}d {found['label']}." if action != "remove" else f"Removed {found['label']}.")
    return redirect(url_for("alerts.story_alerts", story=story), 303)


@bp.post("/api/stories/<slug:story>/channels")
@editor_write(api=True, shared=True)
def api_add_channel(story: str) -> Response:
    """Subscribe a channel from JSON ``{"url", "threshold"?, "digest"?, "watch"?}``; 201 without the URL."""
    payload = json_object("the channel")
    missing = _story_or_404(story)
    if missing:
        return missing
    try:
        created = _add(story, payload)
    except alerts.AlertError as error:
        return error_response(400, str(error), {"cause": "bad_input"})
    response = jsonify({"ok": True, "channel": created})
    response.status_code = 201
    return response


@bp.route("/api/channels/<int:channel_id>", methods=["PATCH", "DELETE"])
@editor_write(api=True, shared=True)
def api_change_channel(channel_id: int) -> Response:
    """PATCH ``{"muted"?, "threshold"?, "digest"?}`` or DELETE a channel."""
    try:
        with watch_db() as conn:
            if request.method == "DELETE":
                found = alerts.get_channel(conn, channel_id)
                if found is not None:
                    alerts.remove_channel(conn, channel_id)
                    return jsonify({"ok": True, "removed": channel_id})
            else:
                found = alerts.update_channel(conn, channel_id, json_object("the changes"))
    except alerts.AlertError as error:
        return error_response(400, str(error), {"cause": "bad_input"})
    if found is None:
        return error_response(404, f"No channel {channel_id}.")
    return jsonify({"ok": True, "channel": found})


# ---- the feed of changes ------------------------------------------------------------------------------------------

def _entries(story: str) -> list[dict[str, Any]]:
    """The story's latest changes, newest first."""
    none: list[dict[str, Any]] = []
    return read_notes(lambda conn: alerts.story_changes(conn, story, FEED_ENTRIES), none)


@bp.route("/stories/<slug:story>/changes.atom")
def changes_feed(story: str) -> Response:
    """An Atom feed of the story's changes the watcher recorded."""
    missing = _story_or_404(story)
    if missing:
        return missing
    found = corpus().stories[story]
    xml = render_feed(found.title or story, story, _entries(story))
    return Response(xml, mimetype="application/atom+xml")


@bp.route("/stories/<slug:story>/changes.json")
def changes_json(story: str) -> Response:
    """The feed's JSON twin."""
    missing = _story_or_404(story)
    if missing:
        return missing
    return jsonify({"story": story, "entries": _entries(story), "atom": url_for("alerts.changes_feed", story=story)})


def render_feed(title: str, story: str, entries: list[dict[str, Any]]) -> str:
    """The Atom document (through a template, every value escaped)."""
    updated = entries[0]["at"] if entries else "1970-01-01T00:00:00+00:00"
    return render_template("changes.atom.xml", title=title, story=story, entries=entries, updated=updated,
                           self_url=request.url, home=request.host_url.rstrip("/") +
                           url_for("stories.story_view", story=story))


# ---- check now ------------------------------------------------------------------------------------------------------

def _check(watch_id: int) -> str | None:
    """Make a watch due now where watches are kept (so the watchers of that place fetch it: this server's, or the
    PostgreSQL store's, whichever app server was asked); why not (None when done)."""
    try:
        with watch_db() as conn:
            refusal = watch.check_now(conn, watch_id)
            if refusal is None:
                state.log_event(conn, "watch-check-now", f"watch {watch_id}")
            return refusal
    except (sqlite3.Error, StoreUnavailable) as error:
        return f"the state database cannot be used: {error}"


@bp.post(f"/watches/<{WATCH_ID}>/check")
@editor_write(shared=True)
def check_now_form(watch_id: int) -> BaseResponse:
    """"Check now" from a form: the watcher fetches it on its next look for due watches."""
    refusal = _check(watch_id)
    if refusal and refusal.startswith("no watch"):
        return error_response(404, refusal[0].upper() + refusal[1:] + ".")
    flash(f"Not checked: {refusal}." if refusal else "The watcher will check it at once (within its poll interval).")
    return redirect(url_for("watches.watch_detail", watch_id=watch_id), 303)


@bp.post(f"/api/watches/<{WATCH_ID}>/check")
@editor_write(api=True, shared=True)
def api_check_now(watch_id: int) -> Response:
    """Make a watch due now; the body must be JSON (``{}``)."""
    if not request.is_json:
        return error_response(415, "Send a JSON body ({}) with Content-Type: application/json.")
    refusal = _check(watch_id)
    if refusal:
        return error_response(404 if refusal.startswith("no watch") else 409, refusal)
    return jsonify({"ok": True, "watch_id": watch_id, "due": "now"})



_CHANNEL = {"type": "object", "description": "A channel as pages show it: never its URL, only scheme and host.",
            "properties": {"id": {"type": "integer"}, "story": {"type": "string"},
                           "watch_id": {"type": ["integer", "null"]}, "label": {"type": "string"},
                           "threshold": {"enum": list(alerts.THRESHOLDS)}, "muted": {"type": "boolean"},
                           "digest": {"enum": [d for d in alerts.DIGESTS if d] + [None]},
                           "created": {"type": "string"}, "failures": {"type": "integer"},
                           "last_error": {"type": ["string", "null"]}, "last_sent": {"type": ["string", "null"]}}}
_STORY_PARAM = [{"name": "story", "in": "path", "required": True, "schema": {"type": "string"}}]
OPENAPI_PATHS: dict[str, Any] = {
    "/stories/{story}/alerts.json": {"get": {
        "summary": "Where a story's changes are sent: its channels and deliveries waiting", "parameters": _STORY_PARAM,
        "responses": {"200": json_response("The channels", {"type": "object", "properties": {
            "story": {"type": "object"}, "channels": {"type": "array", "items": _CHANNEL},
            "pending": {"type": "array", "items": {"type": "object"}},
            "watches": {"type": "array", "items": {"type": "object"}},
            "thresholds": {"type": "array", "items": {"type": "string"}},
            "digests": {"type": "array", "items": {"type": "string"}},
            "feed": {"type": "string"}, "feed_json": {"type": "string"}}}), "404": error("No such story.")}}},
    "/stories/{story}/changes.json": {"get": {
        "summary": "The story's changes the watcher recorded, newest first (the Atom feed's twin)",
        "parameters": _STORY_PARAM,
        "responses": {"200": json_response("The changes", {"type": "object", "properties": {
            "story": {"type": "string"}, "atom": {"type": "string"},
            "entries": {"type": "array", "items": {"type": "object", "description": "summary, facts, passages, "
                                                                                    "compare and timeline links"}}}}),
                      "404": error("No such story.")}}},
    "/api/stories/{story}/channels": {"post": {
        "summary": "Send a story's changes to an apprise URL", "parameters": _STORY_PARAM,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["url"], "properties": {
                "url": {"type": "string", "maxLength": alerts.MAX_URL, "pattern": r"^\s*[^\s\x00-\x1f\x7f]+\s*$",
                        "description": "An apprise URL (json://host/path, mailto://user:pass@host, ...)."},
                "threshold": {"enum": list(alerts.THRESHOLDS)},
                "digest": {"enum": list(alerts.DIGESTS)}, "watch": {"type": "integer"}}}}}},
        "responses": {"201": json_response("The channel", {"type": "object", "properties": {
            "ok": {"const": True}, "channel": _CHANNEL}}), "400": error("A value cannot be used."),
            "403": error("Not allowed to write."), "404": error("No such story.")}}},
    "/api/watches/{watch_id}/check": {"post": {
        "summary": "Check a watch now (the watcher fetches it on its next look)",
        "parameters": [{"name": "watch_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": json_response("Due now", {"type": "object", "properties": {
            "ok": {"const": True}, "watch_id": {"type": "integer"}, "due": {"const": "now"}}}),
            "404": error("No such watch."), "409": error("The watch is paused.")}}},
}
