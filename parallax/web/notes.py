"""Editors' marks and notes on changes, per story: the list and its exports, the marking form, the API, the rules.

Reading pages only show marks (and stay cacheable for readers without cookies); marking happens on
``/stories/<story>/notes`` (``?left=&right=`` opens the form on one comparison) or through ``/api/notes``.
Marks, notes and rules are kept in this server's state database, or, when the app reads the PostgreSQL store, in
that database's state tables, so every app server shows a mark given on any of them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, session, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from parallax import pipeline
from parallax.corpus import Source
from parallax.model import BadOption
from parallax.sources import notes, state
from parallax.story import digest
from parallax.web.editors import editor_write
from parallax.web.openapi import NOTE, RULE, SLUG, error, json_response
from parallax.web.ops import PAGE_TOKENS
from parallax.web.render import corpus, error_response, json_object, link, page, respond, wants_json
from parallax.web.watches import form_data, no_store, state_db

bp = Blueprint("notes", __name__)
log = logging.getLogger("parallax.web.notes")
T = TypeVar("T")
MARK_PARAM = "marked"  # the comparison's change-list filter: only changes marked so


@bp.record_once
def _setup(setup: BlueprintSetupState) -> None:
    """Pages that show marks are cached until a note or rule is added or removed."""
    setup.app.extensions.setdefault(PAGE_TOKENS, []).append(_revision)


def _revision() -> tuple[int, ...]:
    """The notes' revision (empty when there is no state database yet)."""
    return read_notes(notes.revision, ())


def read(reader: Callable[[sqlite3.Connection], T], default: T) -> T:
    """Run a reader on the state database; ``default`` when there is none yet or it cannot be read (logged)."""
    path = state_db()
    if not path.exists():
        return default
    try:
        with state.opened(path) as conn:
            return reader(conn)
    except (sqlite3.Error, state.StateError) as error:
        log.error("state database: %s", error)
        return default


def read_notes(reader: Callable[[state.Connection], T], default: T) -> T:
    """Run a reader on the database marks, notes and rules are kept in: the PostgreSQL store's when the app reads
    one, else this server's state database (``read``); ``default`` when it cannot be read (logged)."""
    if not current_app.config.get("DATABASE_URL"):
        return read(reader, default)
    from parallax.store.state_sql import DatabaseError, StateConnection  # psycopg is imported only with a database
    try:
        return reader(StateConnection(current_app.extensions["parallax.corpus"].store.conn))
    except DatabaseError as error:
        log.error("state tables: %s", error)
        return default


@contextlib.contextmanager
def notes_db() -> Iterator[state.Connection]:
    """A write transaction on the database marks, notes and rules are kept in (see ``read_notes``)."""
    if current_app.config.get("DATABASE_URL"):
        from parallax.store.state_sql import StateConnection
        with StateConnection(current_app.extensions["parallax.corpus"].store.conn).transaction() as shared:
            yield shared
    else:
        with state.opened(state_db()) as conn, state.transaction(conn):
            yield conn


def story_rules(story: str) -> list[notes.Rule]:
    """The story's rules."""
    return read_notes(lambda conn: notes.story_rules(conn, story), [])


def mark_filter() -> str | None:
    """The ``marked`` query value (a mark), None when absent; BadOption on another value."""
    raw = request.args.get(MARK_PARAM) or None
    if raw is not None and raw not in notes.MARKS:
        raise BadOption(MARK_PARAM, raw, notes.MARKS)
    return raw


def row_keys(rows: list[Mapping[str, Any]]) -> dict[int, str]:
    """The key of each changed row of a comparison (the rows a mark can be given to)."""
    return {int(r["index"]): notes.row_key(r.get("left"), r.get("right")) for r in rows if r["kind"] != "same"}


def annotate(data: dict[str, Any], rows: list[Mapping[str, Any]], left: Source, right: Source) -> None:
    """Add a comparison's marks, its story's rules and the rows they make cosmetic to its page data; take ruled
    rows out of the change list, and keep only the changes marked so when ``marked`` asks."""
    chosen = mark_filter()
    rules = story_rules(left.story) if left.story == right.story else []
    empty: dict[notes.Pair, list[dict[str, Any]]] = {}
    found = read_notes(lambda conn: notes.pair_notes(conn, [(left.id, right.id)]), empty).get((left.id, right.id), [])
    keys = row_keys(list(rows))
    index_of = {key: index for index, key in keys.items()}
    latest = notes.latest_marks(found)
    ruled = notes.ruled_rows(rows, rules)
    marks = [{**n, "row_index": index_of.get(n["row"] or "")} for n in found]
    changes = [c for c in data["digest"]["changes"] if c["row"] not in ruled]
    if chosen:
        changes = [c for c in changes if (latest.get(keys.get(c["row"], "")) or {}).get("mark") == chosen]
    data["digest"]["changes"] = changes
    data["notes"] = {"marks": marks, "step": latest.get(""), "marked": chosen,
                     "rules": [r.to_dict() for r in rules],
                     "ruled_rows": [{"row": index, "rule": rule} for index, rule in sorted(ruled.items())],
                     "rows": [{"row": index, "key": key} for index, key in keys.items()],
                     "href": url_for("notes.story_notes", story=left.story, left=left.id, right=right.id)}
    if not wants_json():
        data["notes"]["by_row"] = {index_of[k]: v for k, v in latest.items() if k in index_of}


def csv_rows(found: Mapping[str, Any]) -> list[list[str]]:
    """A comparison's marks as CSV records in the columns of its rows: ``mark``, the row (empty for the whole
    change), the mark as its kind, and the note with who gave it and when as its difference."""
    return [[digest.csv_cell(v) for v in ("mark", "" if n["row_index"] is None else n["row_index"], "", n["mark"],
                                           *[""] * 6, f"{n['note']} ({n['by'] or 'an editor'}, {n['at']})")]
            for n in found["marks"]]


def step_marks(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Notes on each timeline step (previous capture → capture)."""
    return read_notes(lambda conn: notes.pair_notes(conn, pairs), {})


def _pair(story: str, left_id: str, right_id: str) -> tuple[Source, Source]:
    """Two sources of this story, or NoteError naming the one that is not."""
    current = corpus()
    found = []
    for name, source_id in (("left", left_id), ("right", right_id)):
        source = current.get(str(source_id or ""))
        if source is None or source.story != story:
            raise notes.NoteError(f"'{name}' must be the id of a source of the story '{story}'", name)
        found.append(source)
    return found[0], found[1]


def _changed_rows(left: Source, right: Source) -> list[dict[str, Any]]:
    """The changed rows of a comparison, with their keys and a short excerpt, for the marking form."""
    options = pipeline.options(current_app.config)
    result = pipeline.compare_sources(left, right, options, current_app.extensions["parallax.cache"]).data
    names = digest.side_names({"outlet": left.outlet, "id": left.id}, {"outlet": right.outlet, "id": right.id})
    keys = row_keys(result["rows"])
    return [{"row": c["row"], "number": c["number"], "kind": c["kind"], "key": keys[c["row"]],
             "excerpt": " ".join(str(c["excerpt"].get(k) or "") for k in ("before", "deleted", "inserted", "after")),
             "labels": c["labels"]} for c in digest.changes(result["rows"], result["display"], names)]


def author() -> str:
    """The display name editors gave at sign-in or on an earlier note, else ''."""
    name = session.get("display_name")
    return name if isinstance(name, str) else ""


def save_note(story: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Keep a mark from form or JSON values (and a rule, when a pattern is given); NoteError says what is wrong."""
    left, right = _pair(story, str(values.get("left") or ""), str(values.get("right") or ""))
    key = str(values.get("row") or "")
    rows = {r["key"]: r for r in _changed_rows(left, right)} if key else {}
    if key and key not in rows:
        raise notes.NoteError("row is not a changed row of this comparison", "row")
    by = values.get("by") if values.get("by") not in (None, "") else author()
    pattern = values.get("rule")
    regex = values.get("regex") in (True, "on", "1", "true")
    if pattern not in (None, "") and values.get("mark") != "cosmetic":
        raise notes.NoteError("only a cosmetic mark can become a rule", "rule")
    if pattern not in (None, ""):
        notes.check_pattern(pattern, regex)
    with notes_db() as conn:
        saved = notes.add_note(conn, story, left.id, right.id, str(values.get("mark") or ""), values.get("note"),
                               by, key, rows[key]["excerpt"] if key else "")
        if pattern not in (None, ""):
            saved["rule"] = notes.add_rule(conn, story, pattern, regex, saved["id"], by).to_dict()
        state.log_event(conn, "note-added", f"note {saved['id']}", f"{saved['mark']} {left.id} → {right.id}")
    return saved


def story_notes_data(story: str) -> dict[str, Any]:
    """A story's notes and rules (only the notes with the ``mark`` asked for, when given)."""
    current = corpus()
    if story not in current.stories:
        return {}
    mark = request.args.get("mark") or None
    if mark is not None and mark not in notes.MARKS:
        raise BadOption("mark", mark, notes.MARKS)
    found: list[dict[str, Any]] = read_notes(lambda conn: notes.story_notes(conn, story, mark), [])
    for item in found:
        item["compare"] = url_for("pages.compare_view", left=item["left"], right=item["right"])
        item["timeline"] = url_for("timeline.source_timeline", source_id=item["right"]) \
            if item["right"] in current.sources else None
    return {"story": {"slug": story, "title": current.stories[story].title or story,
                      "href": url_for("stories.story_view", story=story)},
            "mark": mark, "marks": list(notes.MARKS), "notes": found,
            "rules": [r.to_dict() for r in story_rules(story)],
            "exports": {"csv": link("notes.story_notes_export", {"story": story, **({"mark": mark} if mark else {})})}}


@page(bp, "/stories/<slug:story>/notes")
def story_notes(story: str) -> Response:
    """A story's marks and notes, newest first, its rules, and (with ``left`` and ``right``) the marking form."""
    data = story_notes_data(story)
    if not data:
        return error_response(404, f"No story '{story}'.")
    left_id, right_id = request.args.get("left"), request.args.get("right")
    if left_id and right_id and not wants_json():
        try:
            left, right = _pair(story, left_id, right_id)
        except notes.NoteError as error:
            return error_response(404, str(error))
        data["form"] = {"left": left.id, "right": right.id, "rows": _changed_rows(left, right), "by": author(),
                        "left_name": left.outlet or left.id, "right_name": right.outlet or right.id,
                        "compare": url_for("pages.compare_view", left=left.id, right=right.id)}
    return no_store(respond("notes.html", form_data(data)))


@bp.route("/stories/<slug:story>/notes.csv")
def story_notes_export(story: str) -> Response:
    """A story's notes as CSV."""
    data = story_notes_data(story)
    if not data:
        return error_response(404, f"No story '{story}'.")
    fields = ("id", "at", "by", "mark", "note", "left", "right", "row", "excerpt")
    records = [list(fields)] + [[digest.csv_cell(n[f]) for f in fields] for n in data["notes"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="parallax-notes-{story}.csv"'
    return response


def _back(story: str) -> str:
    """Where a form returns to: the page it names when that is a local path, else the story's notes."""
    back = request.form.get("back", "")
    return back if back.startswith("/") and not back.startswith("//") and "\\" not in back \
        else url_for("notes.story_notes", story=story)


@bp.post("/stories/<slug:story>/notes")
@editor_write(shared=True)
def add_note_form(story: str) -> BaseResponse:
    """The marking form submitted."""
    if story not in corpus().stories:
        return error_response(404, f"No story '{story}'.")
    try:
        saved = save_note(story, request.form.to_dict())
    except notes.NoteError as error:
        flash(f"Not saved: {error}")
        return redirect(_back(story), 303)
    if saved["by"]:  # the next note of this browser is signed with the same name
        session["display_name"] = saved["by"]
    flash(f"Marked {saved['mark']}" + (f"; rule “{saved['rule']['pattern']}” added." if "rule" in saved else "."))
    return redirect(_back(story), 303)


@bp.post("/stories/<slug:story>/<any(notes, rules):what>/<int:item_id>/delete")
@editor_write(shared=True)
def remove_form(story: str, what: str, item_id: int) -> BaseResponse:
    """Remove a note or a rule from a form."""
    if not _remove(what, item_id, story):
        return error_response(404, f"No {what[:-1]} {item_id} in story '{story}'.")
    flash(f"Removed the {what[:-1]}.")
    return redirect(_back(story), 303)


def _remove(what: str, item_id: int, story: str | None = None) -> bool:
    """Delete a note or rule (of ``story``, when given), logged; False when there is none."""
    table = {"notes": "notes", "rules": "rules"}[what]
    with notes_db() as conn:
        row = conn.execute(f"SELECT story FROM {table} WHERE id = ?", (item_id,)).fetchone()  # noqa: S608  # nosec B608
        if row is None or (story is not None and row[0] != story):
            return False
        gone = notes.remove_note(conn, item_id) if what == "notes" else notes.remove_rule(conn, item_id)
        state.log_event(conn, f"{what[:-1]}-removed", f"{what[:-1]} {item_id}", row[0])
    return gone


# ---- JSON API -------------------------------------------------------------------------------------------------------

def _note_error(error: notes.NoteError) -> Response:
    """A note that cannot be kept: 404 when a source it names does not exist (or is of another story), else 400;
    the field named."""
    status = 404 if error.field in ("left", "right") else 400
    return error_response(status, str(error), {"cause": "bad_input", **({"field": error.field} if error.field else {})})


@bp.post("/api/notes")
@editor_write(api=True, shared=True)
def api_add_note() -> Response:
    """Mark a change from JSON: ``{"left", "right", "mark", "row"?, "note"?, "by"?, "rule"?, "regex"?}``; 201."""
    payload = json_object("the note")
    if not isinstance(payload.get("regex", False), bool):
        return _note_error(notes.NoteError("'regex' must be true or false", "regex"))
    left = corpus().get(str(payload.get("left") or ""))
    if left is None:
        return _note_error(notes.NoteError("'left' must be the id of a source", "left"))
    try:
        saved = save_note(left.story, payload)
    except notes.NoteError as error:
        return _note_error(error)
    response = jsonify({"ok": True, "note": saved})
    response.status_code = 201
    return response


@bp.post("/api/stories/<slug:story>/rules")
@editor_write(api=True, shared=True)
def api_add_rule(story: str) -> Response:
    """Add a story rule from JSON: ``{"pattern", "regex"?, "by"?}``; 201 with the rule."""
    payload = json_object("the rule")
    if story not in corpus().stories:
        return error_response(404, f"No story '{story}'.")
    try:
        with notes_db() as conn:
            if not isinstance(payload.get("regex", False), bool):
                raise notes.NoteError("'regex' must be true or false", "regex")
            rule = notes.add_rule(conn, story, payload.get("pattern"), payload.get("regex") is True, None,
                                  payload.get("by"))
            state.log_event(conn, "rule-added", f"rule {rule.id}", f"{story}: {rule.pattern}")
    except notes.NoteError as error:
        return _note_error(error)
    response = jsonify({"ok": True, "rule": rule.to_dict()})
    response.status_code = 201
    return response


@bp.delete("/api/<any(notes, rules):what>/<int:item_id>")
@editor_write(api=True, shared=True)
def api_remove(what: str, item_id: int) -> Response:
    """Delete a note or a rule."""
    if not _remove(what, item_id):
        return error_response(404, f"No {what[:-1]} {item_id}.")
    return jsonify({"ok": True, "removed": item_id})


_WRITE_ERRORS = {"400": error("A field is wrong (``field`` names it)."), "403": error("Not allowed to write."),
                 "404": error("No such story, source, note or rule.")}
OPENAPI_PATHS: dict[str, Any] = {
    "/stories/{story}/notes.json": {"get": {
        "summary": "A story's marks and notes, newest first, and its rules",
        "parameters": [{"name": "story", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "mark", "in": "query", "required": False, "schema": {"enum": list(notes.MARKS)},
                        "description": "Only notes with this mark."}],
        "responses": {"200": json_response("The notes", {"type": "object", "properties": {
            "story": {"type": "object"}, "mark": {"enum": [*notes.MARKS, None]},
            "marks": {"type": "array", "items": {"enum": list(notes.MARKS)}},
            "notes": {"type": "array", "items": NOTE}, "rules": {"type": "array", "items": RULE},
            "exports": {"type": "object"}}}),
            "400": error("An unknown mark."), "404": error("No such story.")}}},
    "/api/notes": {"post": {
        "summary": "Mark a change (a row by its key from the comparison's notes.rows, or the whole change)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["left", "right", "mark"], "additionalProperties": True, "properties": {
                "left": SLUG, "right": SLUG, "mark": {"enum": list(notes.MARKS)},
                "row": {"type": "string", "pattern": "^([0-9a-f]{20})?$"},
                "note": {"type": "string", "maxLength": notes.MAX_NOTE},
                "by": {"type": "string", "maxLength": notes.MAX_AUTHOR},
                "rule": {"type": "string", "maxLength": notes.MAX_PATTERN,
                         "description": "Make a cosmetic mark a story rule: a phrase or pattern."},
                "regex": {"type": "boolean"}}}}}},
        "responses": {"201": json_response("The note", {"type": "object", "properties": {
            "ok": {"const": True}, "note": NOTE}}), **_WRITE_ERRORS}}},
    "/api/stories/{story}/rules": {"post": {
        "summary": "Add a story rule: text it matches is cosmetic for the watcher and the comparisons",
        "parameters": [{"name": "story", "in": "path", "required": True, "schema": SLUG}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["pattern"], "additionalProperties": True, "properties": {
                "pattern": {"type": "string", "minLength": 1, "maxLength": notes.MAX_PATTERN, "pattern": r"\S"},
                "regex": {"type": "boolean"}, "by": {"type": ["string", "null"], "maxLength": notes.MAX_AUTHOR}}}}}},
        "responses": {"201": json_response("The rule", {"type": "object", "properties": {
            "ok": {"const": True}, "rule": RULE}}), **_WRITE_ERRORS}}},
    "/api/{what}/{item_id}": {"delete": {
        "summary": "Remove a note or a rule",
        "parameters": [{"name": "what", "in": "path", "required": True, "schema": {"enum": ["notes", "rules"]}},
                       {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": json_response("Removed", {"type": "object", "properties": {
            "ok": {"const": True}, "removed": {"type": "integer"}}}), **_WRITE_ERRORS}}},
}
