"""Hostile and odd requests answer a clear 4xx, never a 500: oversized ids, deeply nested JSON, odd query values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import STORY


def _watch(client: FlaskClient) -> int:
    """Add one watch (so the state database exists) and return its id."""
    response = client.post("/api/watches", json={"story": STORY, "url": "https://example.org/a"})
    assert response.status_code == 201
    return int(response.get_json()["watch"]["id"])


def test_watch_ids_past_sqlite_integers_are_404_not_500(client: FlaskClient) -> None:
    _watch(client)
    for number in ("9223372036854775808", "99999999999999999999999"):
        assert client.get(f"/watches/{number}").status_code == 404
        assert client.get(f"/watches/{number}.json").status_code == 404
        assert client.delete(f"/api/watches/{number}").status_code == 404
        assert client.post(f"/api/watches/{number}/pause", json={}).status_code == 404
    assert client.get("/watches/9223372036854775807.json").get_json()["error"] == (
        "No watch with id 9223372036854775807.")


def test_deeply_nested_json_is_a_400_on_every_json_write(client: FlaskClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for method, url in (("POST", "/api/watches"), ("PATCH", "/api/sources/rt"), ("POST", "/api/sources")):
        response = client.open(url, method=method, data=deep, content_type="application/json")
        assert response.status_code == 400, (method, url)
        assert "nested too deeply" in response.get_json()["error"]


def test_a_change_made_is_reported_made_when_only_the_audit_log_fails(client: FlaskClient, corpus_dir: Path) -> None:
    (corpus_dir / ".parallax").mkdir()
    (corpus_dir / ".parallax" / "state.db").write_bytes(b"this is not a database" * 100)
    edited = client.patch("/api/sources/rt", json={"title": "A new headline"})
    assert edited.status_code == 200 and edited.get_json()["ok"] is True
    assert "title: A new headline" in (corpus_dir / STORY / "rt.txt").read_text(encoding="utf-8")
    removed = client.delete("/api/sources/rt")
    assert removed.status_code == 200 and not (corpus_dir / STORY / "rt.txt").exists()
    restored = client.post(removed.get_json()["restore"], json={})
    assert restored.status_code == 200 and (corpus_dir / STORY / "rt.txt").exists()


def test_sign_in_with_an_unreadable_next_address_falls_back_to_the_add_page(client: FlaskClient) -> None:
    for target in ("//[", "/\\[", "http://[::1"):
        response = client.get("/add/sign-in", query_string={"next": target})
        assert response.status_code == 200, target
        assert 'name="next" value="/add"' in response.get_data(as_text=True)


def test_story_timeline_survives_capture_times_at_the_edge_of_the_calendar(client: FlaskClient) -> None:
    for captured in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"):
        assert client.patch("/api/sources/rt", json={"captured": captured}).status_code == 200
        page = client.get(f"/stories/{STORY}/timeline")
        assert page.status_code == 200, captured
        assert client.get(f"/stories/{STORY}/timeline.json").status_code == 200


def test_a_state_database_of_a_newer_schema_answers_503_not_500(client: FlaskClient, corpus_dir: Path) -> None:
    import sqlite3

    (corpus_dir / ".parallax").mkdir()
    with sqlite3.connect(corpus_dir / ".parallax" / "state.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    for url in ("/watches", "/watches.json", f"/stories/{STORY}/watches", "/watches/1", "/trash", "/trash.json"):
        assert client.get(url).status_code == 503, url
    assert client.get("/sources/rt/timeline").status_code == 200  # headline notes left out, the rest shown


def test_near_misses_reuse_the_free_sentence_sets(client: FlaskClient, corpus_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Similarity pairing keeps one set of free sentences per side for its near misses; it copied both sets for
    each one, O(n²): 40,000 repeated paragraphs against a short article took 40 s, outside the time budget."""
    from parallax.engine import align

    held: list[Any] = [None, None]  # the last sets seen, kept alive so that "is" compares objects
    calls = changes = 0
    original = align._neighbours

    def spy(pair: Any, free_left: set[int], free_right: set[int]) -> Any:
        nonlocal calls, changes
        calls += 1
        if free_left is not held[0] or free_right is not held[1]:
            changes += 1
            held[:] = [free_left, free_right]
        return original(pair, free_left, free_right)

    monkeypatch.setattr(align, "_neighbours", spy)
    body = "Putin said Kim arrived in Vladivostok by train.\n\n" * 2000
    (corpus_dir / STORY / "many.md").write_text(
        f"---\nid: many\nstory: {STORY}\noutlet: X\nformat: markdown\n---\n{body}", encoding="utf-8")
    assert client.get("/compare/many/rt.json").status_code == 200
    assert calls > 100 and changes <= 2  # one pair of sets for near misses, one for extending pairs
