"""Watch lists on app servers reading one PostgreSQL store: kept in the store's watches table, so a watch added
through one server (form or API) is listed by the other (page and JSON) with its detail page, pausing, resuming and
removing on one are seen on the other, a bad watch is answered as on a single server, and the store's watchers
claim and fetch what was added through the web."""

from __future__ import annotations

import contextlib

from flask import Flask

from parallax.store.postgres import PostgresStore
from parallax.store.watchers import StoreWatcher, WatchSettings
from tests.conftest import STORY, csrf_of
from tests.fixtures.watchserver import serve_watched
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)


def test_a_watch_added_on_one_server_is_listed_and_changed_on_the_other(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    first, second = one.test_client(), two.test_client()
    page = first.get(f"/stories/{STORY}/watches")
    added = first.post("/watches", data={"csrf_token": csrf_of(page.data), "story": STORY, "kind": "article",
                                         "url": "https://example.com/news/bridge", "interval": "900", "back": STORY})
    assert added.status_code == 303
    created = first.post("/api/watches", json={"story": "harbour-strike", "kind": "feed",
                                               "url": "https://example.org/feed.xml", "item_limit": 7})
    assert created.status_code == 201
    feed = created.get_json()["watch"]

    listed = second.get(f"/stories/{STORY}/watches.json").get_json()["watches"]
    assert [(w["url"], w["interval"], w["paused"]) for w in listed] == [("https://example.com/news/bridge", 900, False)]
    everything = second.get("/watches.json").get_json()["watches"]
    assert {(w["story"], w["kind"], w["url"]) for w in everything} == {
        (STORY, "article", "https://example.com/news/bridge"), ("harbour-strike", "feed", "https://example.org/feed.xml")}
    assert "https://example.com/news/bridge" in second.get("/watches").get_data(as_text=True)
    detail = second.get(f"/watches/{feed['id']}.json")
    assert detail.status_code == 200
    assert (detail.get_json()["watch"]["item_limit"], detail.get_json()["log"]) == (7, [])
    assert "https://example.org/feed.xml" in second.get(f"/watches/{feed['id']}").get_data(as_text=True)

    article_id = listed[0]["id"]
    assert second.post(f"/api/watches/{article_id}/pause", json={}).status_code == 200
    assert first.get(f"/watches/{article_id}.json").get_json()["watch"]["paused"] is True
    form = first.get(f"/watches/{article_id}")
    resumed = first.post(f"/watches/{article_id}/resume", data={"csrf_token": csrf_of(form.data)})
    assert resumed.status_code == 303
    assert second.get(f"/watches/{article_id}.json").get_json()["watch"]["paused"] is False
    assert second.delete(f"/api/watches/{feed['id']}").get_json() == {"ok": True, "removed": feed["id"]}
    assert first.get(f"/watches/{feed['id']}.json").status_code == 404
    assert [w["id"] for w in first.get("/watches.json").get_json()["watches"]] == [article_id]
    assert first.delete(f"/api/watches/{feed['id']}").status_code == 404


def test_a_bad_watch_is_answered_as_on_one_server(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    first = one.test_client()
    body = {"story": STORY, "url": "https://example.com/news/bridge"}
    for bad, status in (({**body, "url": "ftp://example.com/a"}, 400), ({**body, "url": "not a url"}, 400),
                        ({**body, "interval": 5}, 400), ({**body, "interval": "soon"}, 400),
                        ({**body, "story": "Not A Slug"}, 400)):
        answer = first.post("/api/watches", json=bad)
        assert answer.status_code == status, (bad, answer.get_json())
        assert answer.get_json()["error"]
    assert first.post("/api/watches", json=body).status_code == 201
    again = two.test_client().post("/api/watches", json=body)
    assert again.status_code == 409 and "already watches" in again.get_json()["error"]
    assert len(two.test_client().get("/watches.json").get_json()["watches"]) == 1


def test_a_store_watcher_fetches_a_watch_added_through_the_web(db_apps: tuple[Flask, Flask], pg_url: str) -> None:
    one, two = db_apps
    one.config["FETCH_ALLOW_PRIVATE"] = True  # the page is on loopback
    with serve_watched() as (base, site):
        url = f"{base}/static/1"
        created = one.test_client().post("/api/watches", json={"story": STORY, "url": url})
        assert created.status_code == 201
        watch_id = created.get_json()["watch"]["id"]
        with contextlib.closing(PostgresStore(pg_url)) as store:
            watcher = StoreWatcher(store, WatchSettings(delay=0, lease=30, concurrency=1, allow_private=True,
                                                        timeout=10))
            try:
                assert watcher.run_once() == 1
            finally:
                watcher.close()
        assert site.hits["/static/1"] == 1
    detail = two.test_client().get(f"/watches/{watch_id}.json").get_json()
    assert [(entry["status"], entry["outcome"]) for entry in detail["log"]] == [(200, "stored")]  # the schema's word
    source_id = detail["log"][0]["source_id"]
    assert detail["watch"]["last_checked"] is not None and detail["watch"]["failures"] == 0
    assert two.test_client().get(f"/sources/{source_id}.json").get_json()["source"]["url"] == url


def test_check_now_on_one_server_makes_the_store_watchers_fetch_at_once(db_apps: tuple[Flask, Flask],
                                                                         pg_url: str) -> None:
    one, two = db_apps
    one.config["FETCH_ALLOW_PRIVATE"] = True  # the page is on loopback
    with serve_watched() as (base, site), contextlib.closing(PostgresStore(pg_url)) as store:
        url = f"{base}/static/2"
        created = one.test_client().post("/api/watches", json={"story": STORY, "url": url, "interval": 3600})
        assert created.status_code == 201
        watch_id = created.get_json()["watch"]["id"]
        watcher = StoreWatcher(store, WatchSettings(delay=0, lease=30, concurrency=1, allow_private=True, timeout=10))
        try:
            assert watcher.run_once() == 1
            assert watcher.run_once() == 0  # fetched: due again in an hour
            checked = two.test_client().post(f"/api/watches/{watch_id}/check", json={})
            assert checked.status_code == 200 and checked.get_json()["due"] == "now"
            assert watcher.run_once() == 1
            editor = one.test_client()
            form = editor.get(f"/watches/{watch_id}")
            again = editor.post(f"/watches/{watch_id}/check", data={"csrf_token": csrf_of(form.data)})
            assert again.status_code == 303
            assert watcher.run_once() == 1
        finally:
            watcher.close()
        assert site.hits["/static/2"] == 3
    assert len(one.test_client().get(f"/watches/{watch_id}.json").get_json()["log"]) == 3
    assert two.test_client().post(f"/api/watches/{watch_id}/pause", json={}).status_code == 200
    paused = one.test_client().post(f"/api/watches/{watch_id}/check", json={})
    assert paused.status_code == 409 and "paused" in paused.get_json()["error"]
    assert one.test_client().post(f"/api/watches/{watch_id + 1}/check", json={}).status_code == 404


def test_a_story_rule_added_on_one_server_stops_the_store_watchers_storing_a_cosmetic_version(
        db_apps: tuple[Flask, Flask], pg_url: str) -> None:
    one, two = db_apps
    one.config["FETCH_ALLOW_PRIVATE"] = True  # the page is on loopback
    with serve_watched() as (base, site), contextlib.closing(PostgresStore(pg_url)) as store:
        created = one.test_client().post("/api/watches", json={"story": STORY, "url": f"{base}/changing/1"})
        assert created.status_code == 201
        watch_id = created.get_json()["watch"]["id"]
        watcher = StoreWatcher(store, WatchSettings(delay=0, lease=30, concurrency=1, allow_private=True, timeout=10))
        try:
            assert watcher.run_once() == 1
            assert two.test_client().post(f"/api/watches/{watch_id}/check", json={}).status_code == 200
            assert watcher.run_once() == 1  # the page's update line changed: a second version
            rule = one.test_client().post(f"/api/stories/{STORY}/rules", json={
                "pattern": r"Update number \d+: the council added \d+ more", "regex": True})
            assert rule.status_code == 201
            assert two.test_client().post(f"/api/watches/{watch_id}/check", json={}).status_code == 200
            assert watcher.run_once() == 1
        finally:
            watcher.close()
        assert site.hits["/changing/1"] == 3
    log = two.test_client().get(f"/watches/{watch_id}.json").get_json()["log"]
    assert [entry["outcome"] for entry in log] == ["unchanged", "stored", "stored"]
    stored = [entry["source_id"] for entry in log if entry["outcome"] == "stored"]
    assert all(two.test_client().get(f"/sources/{s}.json").status_code == 200 for s in stored)
    assert not log[0]["source_id"]
