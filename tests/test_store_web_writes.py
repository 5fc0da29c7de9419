"""Changes to sources through the web on app servers reading one PostgreSQL store: adding (API and form), editing
with the digest check, moving, removing to the trash and restoring are written to the database, under one lock all
servers share, and every server serves them within a second."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from parallax.sources import manage
from parallax.store.writing import PostgresPlace
from tests.add_flow import confirm, paste
from tests.conftest import STORY, csrf_of
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)
from tests.test_editors_at_once import Race
from tests.test_manage import edit

TEXT = "The harbour bridge opened on Monday after six years of building work, the city said.\n"


def served(app: Flask, source_id: str, within: float = 1.0) -> dict[str, Any]:
    """The source as ``app`` serves it, waiting at most ``within`` seconds for it to appear."""
    client, started = app.test_client(), time.monotonic()
    while True:
        answer = client.get(f"/sources/{source_id}.json")
        if answer.status_code == 200:
            return answer.get_json()["source"]  # type: ignore[no-any-return]
        assert time.monotonic() - started < within, f"{source_id} not served within {within} s"
        time.sleep(0.02)


def serves(app: Flask, source_id: str, field: str, value: str, within: float = 1.0) -> None:
    """Wait at most ``within`` seconds for ``app`` to serve the source with ``field`` set to ``value``."""
    started = time.monotonic()
    while served(app, source_id, within)[field] != value:
        assert time.monotonic() - started < within, f"{source_id}'s {field} is not {value!r} after {within} s"
        time.sleep(0.02)


def gone(app: Flask, source_id: str, within: float = 1.0) -> None:
    """Wait at most ``within`` seconds for ``app`` to stop serving the source."""
    client, started = app.test_client(), time.monotonic()
    while client.get(f"/sources/{source_id}.json").status_code != 404:
        assert time.monotonic() - started < within, f"{source_id} still served after {within} s"
        time.sleep(0.02)


def place(app: Flask) -> PostgresPlace:
    """Where the app writes its corpus."""
    found: PostgresPlace = app.extensions["parallax.corpus"].place
    return found


def where(app: Flask, source_id: str) -> list[str]:
    """Every place the source's file is in the database: story folders, and complete trash entries."""
    store = place(app)
    found = [f"{story}/{source_id}.txt" for story in store.folders("") if not story.startswith(".")
             and f"{source_id}.txt" in store.listing(story)]
    return found + [e.trash_id for e in manage.list_trash(store) if e.source_id == source_id]


def test_a_source_added_through_the_api_is_served_by_the_other_server(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    assert two.test_client().get("/index.json").status_code == 200  # the second server has read the corpus
    added = one.test_client().post("/api/sources", json={"text": TEXT, "story": STORY, "outlet": "Gazette",
                                                          "title": "Harbour bridge opens"})
    assert added.status_code == 201, added.get_json()
    new_id = added.get_json()["id"]
    source = served(two, new_id)
    assert source["outlet"] == "Gazette" and source["story"] == STORY
    assert two.test_client().get(f"/compare/{new_id}/rt.json").status_code == 200
    again = two.test_client().post("/api/sources", json={"text": TEXT, "story": STORY, "outlet": "Gazette"})
    assert again.status_code == 409 and again.get_json()["id"] == new_id  # the other server sees the duplicate
    assert where(one, new_id) == [f"{STORY}/{new_id}.txt"]


def test_a_source_added_through_the_form_is_served_by_the_other_server(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    client = one.test_client()
    first = paste(client, TEXT)
    saved = confirm(client, first.headers["Location"], outlet="Wire Service", title="Bridge by form")
    assert saved.status_code == 303 and saved.headers["Location"] == "/sources/bridge-by-form"
    assert served(two, "bridge-by-form")["outlet"] == "Wire Service"


def test_an_edit_on_a_stale_digest_is_refused_and_the_first_edit_is_served(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    digest = two.test_client().get("/sources/rt/edit.json").get_json()["digest"]
    first = one.test_client().patch("/api/sources/rt", json={"outlet": "RT first", "digest": digest})
    assert first.status_code == 200
    stale = two.test_client().patch("/api/sources/rt", json={"outlet": "RT second", "digest": digest})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_json()["error"]
    fresh = two.test_client().get("/sources/rt/edit.json").get_json()
    assert fresh["digest"] != digest and fresh["form"]["outlet"] == "RT first"
    serves(two, "rt", "outlet", "RT first")


def test_a_move_to_another_story_is_served_there(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    moved = one.test_client().patch("/api/sources/rt", json={"story": "rt-moved"})
    assert moved.status_code == 200 and moved.get_json()["path"] == "rt-moved/rt.txt"
    serves(two, "rt", "story", "rt-moved")
    assert where(two, "rt") == ["rt-moved/rt.txt"]
    assert two.test_client().get("/stories/rt-moved.json").status_code == 200


def test_removing_twice_at_once_removes_once(db_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    race = Race(monkeypatch, PostgresPlace, "write_new", lambda: two.test_client().delete("/api/sources/rt"))
    answer = one.test_client().delete("/api/sources/rt")
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 404]
    removed = answer if answer.status_code == 200 else other
    assert where(one, "rt") == [removed.get_json()["trash_id"]]
    assert place(one).folders(manage.TRASH) == [removed.get_json()["trash_id"]]  # nothing half made
    gone(one, "rt")
    gone(two, "rt")
    entries = two.test_client().get("/trash.json").get_json()["entries"]
    assert [e["source_id"] for e in entries] == ["rt"]


def test_a_removed_source_is_restored_through_the_other_server(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    removed = one.test_client().delete("/api/sources/rt")
    assert removed.status_code == 200
    gone(two, "rt")
    restored = two.test_client().post(removed.get_json()["restore"], json={})
    assert restored.status_code == 200 and restored.get_json()["id"] == "rt"
    assert served(one, "rt")["outlet"] == "RT"
    assert where(two, "rt") == [f"{STORY}/rt.txt"] and place(two).folders(manage.TRASH) == []
    assert one.test_client().post(removed.get_json()["restore"], json={}).status_code == 404


def test_the_form_views_write_to_the_store(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    client = one.test_client()
    assert edit(client, "press-tv", outlet="Press TV (form)").status_code == 303
    serves(two, "press-tv", "outlet", "Press TV (form)")
    token = csrf_of(client.get("/sources/press-tv/edit").data)
    assert client.post("/sources/press-tv/remove", data={"csrf_token": token}).status_code == 303
    gone(two, "press-tv")
    trash = client.get("/trash.json").get_json()["entries"]
    assert [e["source_id"] for e in trash] == ["press-tv"]
    assert client.post(trash[0]["restore"], data={"csrf_token": token}).status_code == 303
    serves(two, "press-tv", "outlet", "Press TV (form)")


def test_a_batch_added_on_one_server_is_served_by_the_other(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    items = [{"text": f"Report {n}: {TEXT}", "story": STORY, "outlet": "Gazette", "title": f"Bridge report {n}"}
             for n in (1, 2)]
    answer = one.test_client().post("/api/sources/batch", json=items)
    assert answer.status_code == 200 and answer.get_json()["counts"]["saved"] == 2, answer.get_json()
    for item in answer.get_json()["items"]:
        assert served(two, item["id"])["outlet"] == "Gazette"
