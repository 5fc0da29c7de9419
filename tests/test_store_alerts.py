"""Alert channels on app servers reading one PostgreSQL store: kept in the store's channels table, so a channel added
through one server (form or API) is listed by the other, muting, changing and removing it on one are seen on the
other, a bad channel is answered as on one server, and the store's watchers record each new version for the story's
alerts and feed and send it to the channels added through the web."""

from __future__ import annotations

import contextlib
import json

from flask import Flask

from parallax.store.postgres import PostgresStore
from parallax.store.watchers import StoreWatcher, WatchSettings
from tests.conftest import STORY, csrf_of
from tests.fixtures.alertsinks import webhook
from tests.fixtures.watchserver import serve_watched
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)


def _channels(app: Flask) -> list[dict[str, object]]:
    """The story's channels as a server lists them."""
    return app.test_client().get(f"/stories/{STORY}/alerts.json").get_json()["channels"]  # type: ignore[no-any-return]


def test_a_channel_added_on_one_server_is_listed_and_changed_on_the_other(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    created = one.test_client().post(f"/api/stories/{STORY}/channels", json={
        "url": "json://user:hook-s3cret@hooks.example.org/p", "threshold": "every"})
    assert created.status_code == 201
    channel = created.get_json()["channel"]
    editor = one.test_client()
    page = editor.get(f"/stories/{STORY}/alerts")
    added = editor.post(f"/stories/{STORY}/alerts", data={"csrf_token": csrf_of(page.data),
                                                          "url": "json://hooks.example.net/q", "threshold": "facts"})
    assert added.status_code == 303

    listed = _channels(two)
    assert [(c["label"], c["threshold"], c["muted"]) for c in listed] == [
        ("json://hooks.example.org", "every", False), ("json://hooks.example.net", "facts", False)]
    assert "hook-s3cret" not in two.test_client().get(f"/stories/{STORY}/alerts").get_data(as_text=True)

    other = two.test_client()
    form = other.get(f"/stories/{STORY}/alerts")
    muted = other.post(f"/stories/{STORY}/alerts/{channel['id']}/mute", data={"csrf_token": csrf_of(form.data)})
    assert muted.status_code == 303
    assert _channels(one)[0]["muted"] is True
    changed = one.test_client().patch(f"/api/channels/{channel['id']}", json={"threshold": "headline",
                                                                             "digest": "day"})
    assert changed.status_code == 200
    assert (_channels(two)[0]["threshold"], _channels(two)[0]["digest"]) == ("headline", "day")
    assert two.test_client().delete(f"/api/channels/{channel['id']}").get_json() == {"ok": True,
                                                                                     "removed": channel["id"]}
    assert [c["label"] for c in _channels(one)] == ["json://hooks.example.net"]
    assert one.test_client().delete(f"/api/channels/{channel['id']}").status_code == 404

    bad = two.test_client().post(f"/api/stories/{STORY}/channels", json={"url": "json://hooks.example.org/p",
                                                                         "threshold": "loud"})
    assert bad.status_code == 400 and "threshold" in bad.get_json()["error"]
    assert len(_channels(one)) == 1


def test_the_store_watchers_send_a_new_version_to_a_channel_added_through_the_web(db_apps: tuple[Flask, Flask],
                                                                                 pg_url: str) -> None:
    one, two = db_apps
    one.config["FETCH_ALLOW_PRIVATE"] = True  # the page is on loopback
    with serve_watched() as (base, _site), webhook() as (hook_url, hook), \
            contextlib.closing(PostgresStore(pg_url)) as store:
        created = one.test_client().post("/api/watches", json={"story": STORY, "url": f"{base}/changing/3"})
        assert created.status_code == 201
        watch_id = created.get_json()["watch"]["id"]
        assert two.test_client().post(f"/api/stories/{STORY}/channels",
                                      json={"url": hook_url, "threshold": "facts"}).status_code == 201
        watcher = StoreWatcher(store, WatchSettings(delay=0, lease=30, concurrency=1, allow_private=True, timeout=10),
                               reports={**one.config, "PUBLIC_URL": "https://news.example/px"})
        try:
            assert watcher.run_once() == 1
            assert hook.received == []  # a first capture differs from nothing
            assert two.test_client().post(f"/api/watches/{watch_id}/check", json={}).status_code == 200
            assert watcher.run_once() == 1
        finally:
            watcher.close()
    [posted] = [json.loads(body) for body in hook.received]
    log = one.test_client().get(f"/watches/{watch_id}.json").get_json()["log"]
    new, old = (entry["source_id"] for entry in log)
    assert "Fact differences:" in posted["message"] and "Update number" in posted["message"]
    assert f"https://news.example/px/compare/{old}/{new}" in posted["message"]
    feed = two.test_client().get(f"/stories/{STORY}/changes.json").get_json()["entries"]
    assert [entry["source_id"] for entry in feed] == [new, old]
    assert _channels(one)[0]["last_sent"] is not None and _channels(one)[0]["failures"] == 0
