"""Alerts end to end: the watcher stores a new version, the webhook and the mail carry what changed, the Atom
feed has it; thresholds, mute, digest, retries with back-off; channels from the UI and API; "Check now"."""

from __future__ import annotations

import json
import logging
import re
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.sources import alerts, state, watch
from tests.conftest import STORY, csrf_of
from tests.fixtures.alertsinks import smtp_sink, webhook
from tests.fixtures.watchserver import serve_watched
from tests.test_watch import make_due, make_watcher, settings_for

ATOM = "{http://www.w3.org/2005/Atom}"


def mail_text(raw: bytes) -> str:
    """The plain-text part of a mail."""
    found: Message = message_from_bytes(raw)
    for part in found.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode("utf-8") if isinstance(payload, bytes) else ""
    return ""


def test_a_changed_page_reaches_the_webhook_the_mail_and_the_feed(corpus_dir: Path, make_app: Any) -> None:
    with serve_watched() as (base, _served), webhook() as (hook_url, hook), smtp_sink() as (mail_url, mail):
        url = f"{base}/changing/1"
        watcher = make_watcher(corpus_dir, [("article", url)], PUBLIC_URL="https://news.example/px")
        watch_id = state.list_watches(watcher.conn())[0].id
        alerts.add_channel(watcher.conn(), STORY, hook_url, "facts")
        alerts.add_channel(watcher.conn(), STORY, mail_url, "facts", watch_id=watch_id)
        first = watcher.run_cycle()
        assert first.outcomes["stored"] == 1 and hook.received == []  # a first capture differs from nothing
        make_due(watcher)
        second = watcher.run_cycle()
        assert second.outcomes["stored"] == 1 and second.alerts == {"sent": 2, "failed": 0, "given_up": 0}
    [posted] = [json.loads(body) for body in hook.received]
    [mailed] = [mail_text(raw) for raw in mail.received]
    old, new = second.stored[0], first.stored[0]
    for text in (posted["message"], mailed):
        assert "7 → 14" in text or ("7" in text and "14" in text and "Fact differences" in text), text
        assert "Fact differences:" in text
        assert f"https://news.example/px/compare/{new}/{old}" in text
        assert f"https://news.example/px/sources/{old}/timeline" in text
        assert "Update number 2" in text  # the first changed passage
    assert "Bridge story 1" in posted["title"]
    client = make_app().test_client()
    feed = ElementTree.fromstring(client.get(f"/stories/{STORY}/changes.atom").data)  # noqa: S314 - our own feed
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and f"/compare/{new}/{old}" in link.get("href", "")
    assert "Fact differences" in (entries[0].findtext(f"{ATOM}content") or "")
    twin = client.get(f"/stories/{STORY}/changes.json").get_json()
    assert [e["source_id"] for e in twin["entries"]] == [old, new] and twin["entries"][0]["facts"]


def test_a_failing_channel_backs_off_and_never_blocks_the_watcher(corpus_dir: Path, make_app: Any) -> None:
    with serve_watched() as (base, _served), webhook() as (hook_url, hook):
        hook.status = 500
        watcher = make_watcher(corpus_dir, [("article", f"{base}/changing/2")])
        alerts.add_channel(watcher.conn(), STORY, hook_url, "every")
        started = time.time()
        watcher.run_cycle()
        make_due(watcher)
        report = watcher.run_cycle()
        assert report.outcomes["stored"] == 1 and report.alerts["failed"] == 1
        row = watcher.conn().execute("SELECT state, attempts, next_try, last_error FROM deliveries").fetchall()
        assert [(r[0], r[1]) for r in row] == [("pending", 1), ("pending", 1)]  # each change failed once
        assert all(r[2] >= started + alerts.BACKOFF_FIRST and "500" in r[3] for r in row)
        assert watcher.run_cycle().alerts == {"sent": 0, "failed": 0, "given_up": 0}  # not yet due again
        watcher.conn().execute("UPDATE deliveries SET next_try = 0")
        hook.status = 200
        assert watcher.run_cycle().alerts["sent"] == 1
    assert len(hook.received) == 3
    page = make_app().test_client().get(f"/stories/{STORY}/alerts").get_data(as_text=True)
    assert "hook-s3cret-pw" not in page and "json://127.0.0.1" in page


def test_thresholds_mute_and_digest_choose_who_is_told(tmp_path: Path) -> None:
    with state.opened(tmp_path / "s.db") as conn:
        ids = {name: alerts.add_channel(conn, "s", f"json://127.0.0.1:9/{name}", threshold, digest)["id"]
               for name, threshold, digest in (("facts", "facts", ""), ("headline", "headline", ""),
                                               ("every", "every", ""), ("daily", "every", "day"))}
        muted = alerts.add_channel(conn, "s", "json://127.0.0.1:9/muted", "every")
        alerts.update_channel(conn, muted["id"], {"muted": True})
        now = 1_700_000_000.0
        wording = alerts.record_change(conn, "s", None, "version", "b", "a", {"facts": [], "summary": "x"}, now)
        facts = alerts.record_change(conn, "s", None, "version", "c", "b", {"facts": ["Tuesday → Monday"]}, now)
        headline = alerts.record_change(conn, "s", None, "headline", "c", "", {"title": "New"}, now)
        told = {(r[0], r[1]): r[2] for r in conn.execute("SELECT channel_id, change_id, next_try FROM deliveries")}
        by_change = {change: sorted(name for name, cid in ids.items() if (cid, change) in told)
                     for change in (wording, facts, headline)}
        assert by_change == {wording: ["daily", "every"], facts: ["daily", "every", "facts"],
                             headline: ["daily", "every", "facts", "headline"]}
        assert told[(ids["daily"], wording)] == alerts.window_end("day", now) > now
        assert all(channel != muted["id"] for channel, _ in told)
        sent: list[tuple[str, str]] = []
        assert alerts.deliver_due(conn, now, lambda url, title, body: sent.append((url, body)))["sent"] == 3
        assert alerts.deliver_due(conn, alerts.window_end("day", now),
                                  lambda url, title, body: sent.append((url, body)))["sent"] == 1
        assert sent[-1][0].endswith("/daily") and sent[-1][1].count("----") == 2  # one digest of three changes
        with pytest.raises(alerts.AlertError):
            alerts.add_channel(conn, "s", "nosuchservice://x", "every")
        with pytest.raises(alerts.AlertError):
            alerts.add_channel(conn, "s", "json://127.0.0.1/x", "loud")


TOKEN = "alerts-test-token-0123456789"  # noqa: S105 - a test token


def test_channels_through_the_api_and_the_form_never_show_their_secret(make_app: Any) -> None:
    app: Flask = make_app(REQUIRE_TOKEN="always", EDITOR_TOKEN=TOKEN)  # noqa: S106 - a test token
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"url": "json://user:very-s3cret@hooks.example.org/p?token=abcdefgh", "threshold": "every"}
    assert client.post(f"/api/stories/{STORY}/channels", json=body).status_code == 403
    created = client.post(f"/api/stories/{STORY}/channels", json=body, headers=auth)
    assert created.status_code == 201 and created.get_json()["channel"]["label"] == "json://hooks.example.org"
    channel_id = created.get_json()["channel"]["id"]
    for answer in (created, client.get(f"/stories/{STORY}/alerts"), client.get(f"/stories/{STORY}/alerts.json")):
        assert "very-s3cret" not in answer.get_data(as_text=True) and "abcdefgh" not in answer.get_data(as_text=True)
    muted = client.patch(f"/api/channels/{channel_id}", json={"muted": True}, headers=auth)
    assert muted.get_json()["channel"]["muted"] is True
    assert client.patch(f"/api/channels/{channel_id}", json={"threshold": "x"}, headers=auth).status_code == 400
    assert client.post(f"/api/stories/{STORY}/channels", json={"url": "nope://x"}, headers=auth).status_code == 400
    assert client.delete(f"/api/channels/{channel_id}", headers=auth).get_json() == {"ok": True, "removed": channel_id}
    assert client.delete(f"/api/channels/{channel_id}", headers=auth).status_code == 404


def test_channel_form_and_check_now(client: FlaskClient, corpus_dir: Path) -> None:
    page = client.get(f"/stories/{STORY}/alerts")
    token = csrf_of(page.data)
    added = client.post(f"/stories/{STORY}/alerts", data={"csrf_token": token, "url": "ntfys://ntfy.example/topic",
                                                           "threshold": "headline", "digest": "hour"})
    assert added.status_code == 303
    listed = client.get(f"/stories/{STORY}/alerts.json").get_json()["channels"]
    assert [(c["label"], c["threshold"], c["digest"]) for c in listed] == [("ntfys://ntfy.example", "headline",
                                                                            "hour")]
    with state.opened(state.db_path(corpus_dir)) as conn:
        watched = state.add_watch(conn, STORY, "article", "https://news.example/a", 3600, now=0)
        conn.execute("UPDATE watches SET next_due = 1e12, last_checked = 5 WHERE id = ?", (watched.id,))
    checked = client.post(f"/watches/{watched.id}/check", data={"csrf_token": token})
    assert checked.status_code == 303
    with state.opened(state.db_path(corpus_dir)) as conn:
        again = state.get_watch(conn, watched.id)
        assert again is not None and again.next_due < 1e12 and again.last_checked is None
    assert client.post("/api/watches/999/check", json={}).status_code == 404


def test_command_line_check_now_and_once_explains_an_empty_cycle(corpus_dir: Path,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_FETCH_ALLOW_PRIVATE", "true")
    caplog.set_level(logging.INFO, logger="parallax.sources.watch")
    assert watch.main(["--once", "--corpus", str(corpus_dir)]) == 0
    assert "no article or feed is watched yet" in caplog.text
    with serve_watched() as (base, served):
        watcher = make_watcher(corpus_dir, [("article", f"{base}/static/1")])
        watcher.run_cycle()
        caplog.clear()
        assert watch.main(["--once", "--corpus", str(corpus_dir)]) == 0
        assert re.search(r"nothing was due: 1 watches \(0 paused\); the next, watch \d+ .* is due in \d+ s",
                         caplog.text)
        assert served.hits["/static/1"] == 1
        watch_id = state.list_watches(watcher.conn())[0].id
        assert watch.main(["--now", str(watch_id), "--corpus", str(corpus_dir)]) == 0
        assert served.hits["/static/1"] == 2
        assert watch.main(["--now", "999", "--corpus", str(corpus_dir)]) == 1
    assert settings_for(corpus_dir)["PUBLIC_URL"] == ""
    make_due  # noqa: B018 - shared helper imported for the tests above


def test_api_values_of_the_wrong_type_are_refused(make_app: Any) -> None:
    client = make_app().test_client()
    for body in ({"url": "json://hooks.example.org/x", "digest": 0}, {"url": "json://hooks.example.org/x",
                                                                       "threshold": False}):
        assert client.post(f"/api/stories/{STORY}/channels", json=body).status_code == 400, body
    note = {"left": "rt", "right": "press-tv", "mark": "cosmetic", "rule": "Read more", "regex": "yes"}
    assert client.post("/api/notes", json=note).get_json()["field"] == "regex"
