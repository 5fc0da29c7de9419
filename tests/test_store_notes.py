"""Editors' marks and notes on app servers reading one PostgreSQL store: kept in the store's state tables, so a mark
given through one server is listed and shown by the other (the notes page, its JSON and CSV, the comparison), and a
note that cannot be kept is answered as on a single server."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import STORY, csrf_of
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)


def _form(client: FlaskClient, left: str, right: str) -> tuple[str, list[str]]:
    """The marking form's CSRF token and the row keys it offers."""
    page = client.get(f"/stories/{STORY}/notes?left={left}&right={right}")
    assert page.status_code == 200
    return csrf_of(page.data), re.findall(r'name="row" value="([0-9a-f]{20})"', page.get_data(as_text=True))


def test_a_mark_given_on_one_server_is_listed_and_shown_by_the_other(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    first, second = one.test_client(), two.test_client()
    before = second.get("/compare/rt/the-national").get_data(as_text=True)  # cached by the second server
    token, keys = _form(first, "rt", "the-national")
    saved = first.post(f"/stories/{STORY}/notes", data={
        "csrf_token": token, "left": "rt", "right": "the-national", "row": keys[0], "mark": "significant",
        "note": "The date moved <a day>", "by": "Ana Editor"})
    assert saved.status_code == 303
    assert "The date moved" not in before
    listed = second.get(f"/stories/{STORY}/notes.json").get_json()["notes"]
    assert [(n["mark"], n["note"], n["by"], n["row"]) for n in listed] == [
        ("significant", "The date moved <a day>", "Ana Editor", keys[0])]
    assert "The date moved &lt;a day&gt;" in second.get(f"/stories/{STORY}/notes").get_data(as_text=True)
    records = list(csv.DictReader(io.StringIO(second.get(f"/stories/{STORY}/notes.csv").get_data(as_text=True))))
    assert [(r["id"], r["mark"], r["by"]) for r in records] == [(str(listed[0]["id"]), "significant", "Ana Editor")]
    marks = second.get("/compare/rt/the-national.json").get_json()["notes"]["marks"]
    assert [m["id"] for m in marks] == [listed[0]["id"]] and marks[0]["row_index"] is not None
    assert "The date moved &lt;a day&gt;" in second.get("/compare/rt/the-national").get_data(as_text=True)
    assert second.get(f"/stories/{STORY}/notes.json?mark=minor").get_json()["notes"] == []


def test_api_notes_and_rules_are_shared_and_bad_notes_answer_as_before(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    first, second = one.test_client(), two.test_client()
    body = {"left": "press-tv", "right": "rt", "mark": "minor", "note": "order of paragraphs"}
    created = second.post("/api/notes", json=body)
    assert created.status_code == 201
    note_id = created.get_json()["note"]["id"]
    assert [n["id"] for n in first.get(f"/stories/{STORY}/notes.json").get_json()["notes"]] == [note_id]
    for bad, field, status in (({**body, "mark": "huge"}, "mark", 400), ({**body, "right": "nope"}, "right", 404),
                               ({**body, "row": "0" * 20}, "row", 400), ({**body, "rule": "x"}, "rule", 400)):
        answer = first.post("/api/notes", json=bad)
        assert answer.status_code == status and answer.get_json()["field"] == field, bad
    rule = first.post(f"/api/stories/{STORY}/rules", json={"pattern": "Read more"})
    assert rule.status_code == 201
    assert [r["pattern"] for r in second.get(f"/stories/{STORY}/notes.json").get_json()["rules"]] == ["Read more"]
    assert second.delete(f"/api/rules/{rule.get_json()['rule']['id']}").status_code == 200
    assert first.get(f"/stories/{STORY}/notes.json").get_json()["rules"] == []
    assert first.delete(f"/api/notes/{note_id}").get_json() == {"ok": True, "removed": note_id}
    assert second.get(f"/stories/{STORY}/notes.json").get_json()["notes"] == []
    assert second.delete(f"/api/notes/{note_id}").status_code == 404
