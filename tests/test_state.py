"""The state database: WAL mode, numbered migrations (an old database is upgraded in place), watches CRUD."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from parallax.sources import state


def test_new_database_is_wal_and_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / ".parallax" / "state.db"
    with state.opened(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == state.SCHEMA_VERSION == len(state.MIGRATIONS)


def test_old_schema_database_is_upgraded_keeping_its_watches(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(state.MIGRATIONS[0])
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO watches (story, kind, url, interval, next_due, created) "
                "VALUES ('s', 'article', 'http://example.com/a', 60, 0, 0)")
    old.commit()
    old.close()
    with state.opened(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == state.SCHEMA_VERSION
        kept = state.list_watches(conn)
        assert [w.url for w in kept] == ["http://example.com/a"] and kept[0].item_limit == 0
        assert kept[0].parent_id is None and kept[0].title == ""
        state.record_headline(conn, "http://example.com/a", "2024-01-01T00:00:00+00:00", "New", "x")
        assert state.headlines(conn, "http://example.com/a")[0]["title"] == "New"


def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {state.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(state.StateError, match="newer than this Parallax"):
        state.connect(path)


def test_a_story_watches_a_url_once(tmp_path: Path) -> None:
    with state.opened(tmp_path / "s.db") as conn:
        state.add_watch(conn, "s", "article", "http://example.com/a", 60)
        with pytest.raises(state.StateError, match="already watches"):
            state.add_watch(conn, "s", "article", "http://example.com/a", 60)
        state.add_watch(conn, "other", "article", "http://example.com/a", 60)
        assert len(state.list_watches(conn)) == 2 and len(state.list_watches(conn, "s")) == 1


def test_removing_a_feed_keeps_its_articles_as_watches(tmp_path: Path) -> None:
    with state.opened(tmp_path / "s.db") as conn:
        feed = state.add_watch(conn, "s", "feed", "http://example.com/feed", 60, item_limit=5)
        state.add_watch(conn, "s", "article", "http://example.com/1", 60, parent_id=feed.id)
        assert state.remove_watch(conn, feed.id) and not state.remove_watch(conn, feed.id)
        assert [(w.url, w.parent_id) for w in state.list_watches(conn)] == [("http://example.com/1", None)]


def test_resume_makes_a_watch_due_and_forgets_its_back_off(tmp_path: Path) -> None:
    with state.opened(tmp_path / "s.db") as conn:
        item = state.add_watch(conn, "s", "article", "http://example.com/a", 60, now=0)
        state.claim_due(conn, "me", 30, 5, now=0)
        state.finish(conn, item, "me", status=500, outcome="error", detail="boom", error=True, now=0)
        state.set_paused(conn, item.id, True)
        assert state.claim_due(conn, "me", 30, 5, now=10_000) == []
        resumed = state.set_paused(conn, item.id, False, now=500)
        assert resumed is not None and resumed.failures == 0 and resumed.next_due == 500 and not resumed.paused


def test_finish_from_a_watcher_that_lost_its_lease_changes_nothing(tmp_path: Path) -> None:
    with state.opened(tmp_path / "s.db") as conn:
        item = state.add_watch(conn, "s", "article", "http://example.com/a", 60, now=0)
        state.claim_due(conn, "slow", 10, 5, now=0)
        state.claim_due(conn, "fast", 10, 5, now=20)  # slow's lease expired
        state.finish(conn, item, "slow", status=200, outcome="stored", source_id="x", now=25)
        assert state.fetch_log(conn, item.id) == []
        state.finish(conn, item, "fast", status=200, outcome="unchanged", now=26)
        assert [e["outcome"] for e in state.fetch_log(conn, item.id)] == ["unchanged"]


def test_fetch_log_keeps_the_latest_entries_per_watch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "LOG_KEEP", 3)
    with state.opened(tmp_path / "s.db") as conn:
        item = state.add_watch(conn, "s", "article", "http://example.com/a", 60, now=0)
        other = state.add_watch(conn, "s", "article", "http://example.com/b", 60, now=0)
        state.claim_due(conn, "me", 30, 5, now=0)
        state.finish(conn, other, "me", status=200, outcome="unchanged", now=0)
        for n in range(6):
            conn.execute("UPDATE watches SET lease_owner = 'me'")
            state.finish(conn, item, "me", status=200, outcome="unchanged", detail=str(n), now=n)
        assert [e["detail"] for e in state.fetch_log(conn, item.id)] == ["5", "4", "3"]
        assert len(state.fetch_log(conn, other.id)) == 1
