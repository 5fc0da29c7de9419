"""Editors' marks and notes on changes: the migration, the rules, the pages, twins and exports, the watcher."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.sources import notes, state
from tests.conftest import STORY, csrf_of
from tests.fixtures.watchserver import serve_watched
from tests.test_watch import make_due, make_watcher, versions_of

TOKEN = "notes-test-token-0123456789"  # noqa: S105 - a test token


def test_a_version_2_database_gains_notes_rules_and_alert_tables(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    old = sqlite3.connect(path)
    for script in state.MIGRATIONS[:2]:
        old.executescript(script)
    old.execute("PRAGMA user_version = 2")
    old.execute("INSERT INTO watches (story, kind, url, interval, next_due, created) "
                "VALUES ('s', 'article', 'http://example.com/a', 60, 0, 0)")
    old.commit()
    old.close()
    with state.opened(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == state.SCHEMA_VERSION >= 4
        assert [w.url for w in state.list_watches(conn)] == ["http://example.com/a"]
        note = notes.add_note(conn, "s", "a", "b", "cosmetic", "typo", "Ana")
        assert notes.add_rule(conn, "s", "Updated at", note_id=note["id"]).note_id == note["id"]
        assert conn.execute("SELECT COUNT(*) FROM channels").fetchone()[0] == 0
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO notes (story, left_id, right_id, mark, at) VALUES ('s', 'a', 'b', 'huge', '')")


def test_rules_take_matches_out_and_refuse_patterns_that_match_everywhere() -> None:
    rule = notes.Rule(1, "s", "Update   number", False, None, "", "")
    regex = notes.Rule(2, "s", r"added \d+ more", True, None, "", "")
    assert notes.strip_rules("An UPDATE number 3 here", [rule]) == "An 3 here"
    rows = [{"index": 0, "kind": "changed", "left": "We added 7 more ferries.", "right": "We added 14 more ferries."},
            {"index": 1, "kind": "changed", "left": "Tuesday", "right": "Monday"},
            {"index": 2, "kind": "same", "left": "x", "right": "x"}]
    assert notes.ruled_rows(rows, [rule, regex]) == {0: 2}
    assert notes.ruled_rows(rows, []) == {}
    for pattern, regex_on in (("", False), ("a*", True), ("(", True), ("x" * 201, False)):
        with pytest.raises(notes.NoteError):
            notes.check_pattern(pattern, regex_on)
    assert notes.row_key("a", None) == notes.row_key("a", "") != notes.row_key("", "a")


def _mark_form(client: FlaskClient, left: str, right: str, **fields: str) -> tuple[str, list[str]]:
    """The marking form's CSRF token and its row keys."""
    page = client.get(f"/stories/{STORY}/notes?left={left}&right={right}")
    assert page.status_code == 200
    return csrf_of(page.data), re.findall(r'name="row" value="([0-9a-f]{20})"', page.get_data(as_text=True))


def test_a_mark_round_trips_through_the_form_pages_twins_and_exports(client: FlaskClient) -> None:
    token, keys = _mark_form(client, "rt", "the-national")
    assert len(keys) >= 3
    saved = client.post(f"/stories/{STORY}/notes", data={
        "csrf_token": token, "left": "rt", "right": "the-national", "row": keys[1], "mark": "significant",
        "note": "Tuesday vs Monday <matters>", "by": "Ana Editor", "back": "/compare/rt/the-national"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/compare/rt/the-national")
    twin = client.get("/compare/rt/the-national.json").get_json()["notes"]
    [mark] = twin["marks"]
    assert mark["mark"] == "significant" and mark["by"] == "Ana Editor" and mark["row"] == keys[1]
    row_index = mark["row_index"]
    assert {"row": row_index, "key": keys[1]} in twin["rows"]
    html = client.get("/compare/rt/the-national").get_data(as_text=True)
    assert "Tuesday vs Monday &lt;matters&gt;" in html and f'href="#r{row_index}"' in html
    only = client.get("/compare/rt/the-national.json?marked=significant").get_json()["digest"]["changes"]
    assert [c["row"] for c in only] == [row_index]
    assert client.get("/compare/rt/the-national.json?marked=loud").status_code == 400
    export = client.get("/compare/rt/the-national/export.html").get_data(as_text=True)
    assert "Tuesday vs Monday &lt;matters&gt;" in export and "Ana Editor" in export
    records = list(csv.reader(io.StringIO(client.get("/compare/rt/the-national/export.csv").get_data(as_text=True))))
    assert ["mark", str(row_index), "", "significant"] == records[-1][:4] and "Ana Editor" in records[-1][-1]
    listed = client.get(f"/stories/{STORY}/notes.json?mark=significant").get_json()["notes"]
    assert [n["id"] for n in listed] == [mark["id"]]
    assert client.get(f"/stories/{STORY}/notes.json?mark=minor").get_json()["notes"] == []
    story_csv = list(csv.DictReader(io.StringIO(client.get(f"/stories/{STORY}/notes.csv").get_data(as_text=True))))
    assert story_csv[0]["by"] == "Ana Editor" and story_csv[0]["mark"] == "significant"
    # the name given is offered for the next note
    assert 'value="Ana Editor"' in client.get(f"/stories/{STORY}/notes?left=rt&right=press-tv").get_data(as_text=True)


def write_versions(corpus_dir: Path, *extras: str) -> None:
    """Captures mt-1, mt-2, … of one article, each with its own last sentence."""
    for number, extra in enumerate(extras, 1):
        (corpus_dir / STORY / f"mt-{number}.txt").write_text(
            f"---\nid: mt-{number}\nstory: {STORY}\noutlet: The Moscow Times\nversion_of: mt\n"
            f"captured: 2023-09-12T0{number}:00:00+00:00\n---\nKim Jong Un arrived in Russia by train.\n\n"
            f"The talks were held in Vladivostok. {extra}\n\nPutin met him at the cosmodrome.\n", "utf-8")


def test_a_cosmetic_mark_becomes_a_rule_applied_to_comparisons(client: FlaskClient, corpus_dir: Path) -> None:
    write_versions(corpus_dir, "Page updated at 10:42 GMT.", "Page updated at 11:15 GMT.")
    before = client.get("/compare/mt-1/mt-2.json").get_json()
    assert [c["kind"] for c in before["digest"]["changes"]] == ["changed"]
    token, keys = _mark_form(client, "mt-1", "mt-2")
    client.post(f"/stories/{STORY}/notes", data={"csrf_token": token, "left": "mt-1", "right": "mt-2",
                                                 "row": keys[0], "mark": "cosmetic",
                                                 "rule": r"updated at \d+:\d+", "regex": "on"})
    after = client.get("/compare/mt-1/mt-2.json").get_json()
    [rule] = after["notes"]["rules"]
    assert rule["regex"] and after["notes"]["ruled_rows"]
    ruled = {r["row"] for r in after["notes"]["ruled_rows"]}
    assert ruled <= {c["row"] for c in before["digest"]["changes"]}
    assert not ruled & {c["row"] for c in after["digest"]["changes"]}
    listed = client.get(f"/stories/{STORY}/notes").get_data(as_text=True)
    removal = csrf_of(listed.encode())
    assert client.post(f"/stories/{STORY}/rules/{rule['id']}/delete", data={"csrf_token": removal}).status_code == 303
    assert client.get("/compare/mt-1/mt-2.json").get_json()["digest"]["changes"] == before["digest"]["changes"]


def test_api_marks_and_refusals(make_app: Callable[..., Flask]) -> None:
    app = make_app(REQUIRE_TOKEN="always", EDITOR_TOKEN=TOKEN)  # noqa: S106 - a test token
    client = app.test_client()
    body = {"left": "press-tv", "right": "rt", "mark": "minor", "note": "order of paragraphs"}
    assert client.post("/api/notes", json=body).status_code == 403
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = client.post("/api/notes", json=body, headers=auth)
    assert created.status_code == 201 and created.get_json()["note"]["mark"] == "minor"
    for bad, field, status in (({**body, "mark": "huge"}, "mark", 400), ({**body, "right": "nope"}, "right", 404),
                               ({**body, "row": "0" * 20}, "row", 400), ({**body, "rule": "x"}, "rule", 400)):
        answer = client.post("/api/notes", json=bad, headers=auth)
        assert answer.status_code == status and answer.get_json()["field"] == field, bad
    rule = client.post(f"/api/stories/{STORY}/rules", json={"pattern": "Read more"}, headers=auth)
    assert rule.status_code == 201
    assert client.post(f"/api/stories/{STORY}/rules", json={"pattern": ".*", "regex": True},
                       headers=auth).status_code == 400
    assert client.delete(f"/api/rules/{rule.get_json()['rule']['id']}", headers=auth).status_code == 200
    note_id = created.get_json()["note"]["id"]
    assert client.delete(f"/api/notes/{note_id}").status_code == 403
    assert client.delete(f"/api/notes/{note_id}", headers=auth).get_json() == {"ok": True, "removed": note_id}
    assert client.delete(f"/api/notes/{note_id}", headers=auth).status_code == 404
    assert client.post(f"/stories/{STORY}/notes", data={"mark": "minor"}).status_code == 400  # no CSRF token


def test_timeline_steps_show_marks(client: FlaskClient, corpus_dir: Path) -> None:
    write_versions(corpus_dir, "", "It rained on Monday.")
    token, _keys = _mark_form(client, "mt-1", "mt-2")
    client.post(f"/stories/{STORY}/notes", data={"csrf_token": token, "left": "mt-1", "right": "mt-2",
                                                 "mark": "minor", "note": "weather only"})
    steps = client.get("/sources/mt-2/timeline.json").get_json()["steps"]
    assert steps[0]["notes"] == [] and steps[1]["notes"][0]["note"] == "weather only"
    assert "weather only" in client.get("/sources/mt-2/timeline").get_data(as_text=True)


def test_a_story_rule_stops_the_watcher_storing_a_cosmetic_version(corpus_dir: Path) -> None:
    with serve_watched() as (base, _served):
        url = f"{base}/changing/1"
        watcher = make_watcher(corpus_dir, [("article", url)])
        watcher.run_cycle()
        make_due(watcher)
        assert watcher.run_cycle().outcomes["stored"] == 1
        notes.add_rule(watcher.conn(), STORY, r"Update number \d+: the council added \d+ more", regex=True)
        make_due(watcher)
        assert watcher.run_cycle().outcomes["unchanged"] == 1
        assert len(versions_of(corpus_dir, url)) == 2
