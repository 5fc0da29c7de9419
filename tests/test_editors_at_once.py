"""Editors acting at once: every change holds the corpus's write lock and acts on the corpus as it stands under it.

Each race is made certain rather than likely: the first request is held at the moment between reading the file and
writing it while a second request (through a second app on the same corpus, as a second worker process would) is
given time to run. With the lock the second waits for the first, then acts on what the first left.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from parallax.corpus_store import load_corpus
from parallax.sources import ingest, manage
from parallax.sources.storage import FolderPlace, write_exclusive
from tests.conftest import STORY

WAIT = 0.5  # seconds the held request gives the racing one


class Race:
    """Runs ``other`` in a thread the first time ``module.name`` is called, and gives it ``WAIT`` seconds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str, other: Callable[[], Any]) -> None:
        self.results: list[Any] = []
        self.thread: threading.Thread | None = None
        original = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            if self.thread is None:
                self.thread = threading.Thread(target=lambda: self.results.append(other()))
                self.thread.start()
                self.thread.join(WAIT)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    def other(self) -> Any:
        """The racing request's answer, once it is done."""
        assert self.thread is not None, "the race never started"
        self.thread.join(30)
        assert self.results, "the racing request did not finish"
        return self.results[0]


@pytest.fixture()
def workers(make_app: Callable[..., Flask]) -> tuple[Flask, Flask]:
    """Two apps on one corpus, as two worker processes of the team server (rescanning only every minute)."""
    return make_app(CORPUS_RESCAN_SECONDS=60), make_app(CORPUS_RESCAN_SECONDS=60)


def patch(app: Flask, source_id: str, **changes: Any) -> TestResponse:
    """PATCH /api/sources/<id> (loopback: no token needed)."""
    return app.test_client().patch(f"/api/sources/{source_id}", json=changes)


def delete(app: Flask, source_id: str) -> TestResponse:
    """DELETE /api/sources/<id>."""
    return app.test_client().delete(f"/api/sources/{source_id}")


def places(corpus_dir: Path, source_id: str) -> list[str]:
    """Every place the source's file is: story folders, and trash folders with a complete entry."""
    found = [p.relative_to(corpus_dir).as_posix() for p in corpus_dir.glob(f"*/{source_id}.txt")]
    found += [e.trash_id for e in manage.list_trash(corpus_dir) if e.source_id == source_id]
    return found


def trash_folders(corpus_dir: Path) -> list[str]:
    """Every folder in the trash, complete or not."""
    trash = corpus_dir / manage.TRASH
    return sorted(p.name for p in trash.iterdir()) if trash.is_dir() else []


def test_two_edits_on_one_digest_one_wins_the_other_is_refused(workers: tuple[Flask, Flask],
                                                                 corpus_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    digest = first.test_client().get("/sources/rt/edit.json").get_json()["digest"]
    race = Race(monkeypatch, manage, "rewrite_front_matter",
                lambda: patch(second, "rt", outlet="Second editor", digest=digest))
    answer = patch(first, "rt", outlet="First editor", digest=digest)
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 409]
    assert "changed by someone else" in (other if other.status_code == 409 else answer).get_json()["error"]
    winner = "First editor" if answer.status_code == 200 else "Second editor"
    source = load_corpus(corpus_dir).get("rt")
    assert source is not None and source.outlet == winner
    for app in workers:  # both workers show the change that was acknowledged
        assert app.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == winner


def test_two_edits_without_digest_both_apply(workers: tuple[Flask, Flask], corpus_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: patch(second, "rt", title="A new headline"))
    assert patch(first, "rt", outlet="RT (edited)").status_code == 200
    assert race.other().status_code == 200
    source = load_corpus(corpus_dir).get("rt")
    assert source is not None and (source.outlet, source.title) == ("RT (edited)", "A new headline")


def test_removing_twice_at_once_removes_once_and_leaves_nothing_half_made(workers: tuple[Flask, Flask],
                                                                          corpus_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    race = Race(monkeypatch, FolderPlace, "write_new", lambda: delete(second, "rt"))
    answer = delete(first, "rt")
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 404]
    assert places(corpus_dir, "rt") == [(answer if answer.status_code == 200 else other).get_json()["trash_id"]]
    assert trash_folders(corpus_dir) == places(corpus_dir, "rt")  # no folder holding only entry.json


def test_edit_racing_delete_never_writes_the_file_back(workers: tuple[Flask, Flask], corpus_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: delete(second, "rt"))
    edited = patch(first, "rt", outlet="Edited before removal")
    removed = race.other()
    assert (edited.status_code, removed.status_code) == (200, 200)
    trash_id = removed.get_json()["trash_id"]
    assert places(corpus_dir, "rt") == [trash_id]  # not written back at its old path
    kept = (corpus_dir / manage.TRASH / trash_id / "rt.txt").read_text("utf-8")
    assert "outlet: Edited before removal" in kept  # the acknowledged edit went to the trash with the file


def test_delete_racing_edit_refuses_the_edit(workers: tuple[Flask, Flask], corpus_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    race = Race(monkeypatch, FolderPlace, "write_new", lambda: patch(second, "rt", outlet="Too late"))
    removed = delete(first, "rt")
    edited = race.other()
    assert (removed.status_code, edited.status_code) == (200, 404)
    assert places(corpus_dir, "rt") == [removed.get_json()["trash_id"]]
    assert "Too late" not in json.dumps([e.to_dict() for e in manage.list_trash(corpus_dir)])


def test_move_racing_delete_leaves_the_source_in_one_place(workers: tuple[Flask, Flask], corpus_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: delete(second, "rt"))
    moved = patch(first, "rt", story="adv-moved")
    removed = race.other()
    assert (moved.status_code, removed.status_code) == (200, 200)
    assert moved.get_json()["path"] == "adv-moved/rt.txt"
    entry = next(e for e in manage.list_trash(corpus_dir) if e.trash_id == removed.get_json()["trash_id"])
    assert entry.path == "adv-moved/rt.txt"  # removed from where the move put it
    assert places(corpus_dir, "rt") == [entry.trash_id] and trash_folders(corpus_dir) == [entry.trash_id]


def test_restore_racing_restore_restores_once(workers: tuple[Flask, Flask], corpus_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = workers
    restore = delete(first, "rt").get_json()["restore"]
    race = Race(monkeypatch, ingest, "ensure_story",
                lambda: second.test_client().post(restore, json={}))
    answer = first.test_client().post(restore, json={})
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 404]
    assert places(corpus_dir, "rt") == [f"{STORY}/rt.txt"] and trash_folders(corpus_dir) == []


def test_a_source_added_on_one_worker_is_found_on_the_other_at_once(workers: tuple[Flask, Flask]) -> None:
    first, second = workers
    assert second.test_client().get("/index.json").status_code == 200  # the second worker has read the corpus
    added = first.test_client().post("/api/sources", json={
        "text": "The harbour bridge opened on Monday after six years of building work.\n", "story": STORY,
        "outlet": "Gazette", "title": "Harbour bridge opens"})
    assert added.status_code == 201
    new_id = added.get_json()["id"]
    other = second.test_client()
    assert other.get(f"/sources/{new_id}.json").status_code == 200
    assert other.get(f"/compare/{new_id}/rt.json").status_code == 200
    removed = delete(second, new_id)
    assert removed.status_code == 200
    assert first.test_client().get(f"/sources/{new_id}.json").status_code == 404
    restored = first.test_client().post(removed.get_json()["restore"], json={})
    assert restored.status_code == 200 and other.get(f"/sources/{new_id}.json").status_code == 200


def test_a_file_rewritten_in_place_keeps_serving_its_last_good_version(app: Flask, corpus_dir: Path) -> None:
    client = app.test_client()
    assert client.get("/compare/rt/press-tv.json").status_code == 200
    path = corpus_dir / STORY / "rt.txt"
    text = path.read_text("utf-8")
    with path.open("w", encoding="utf-8") as file:  # an editor's tool: truncate, then write
        file.write(text[:40])  # the front matter is not closed yet
        file.flush()
        assert client.get("/compare/rt/press-tv.json").status_code == 200
        assert client.get("/compare/rt/press-tv").status_code == 200
        index = client.get("/index.json").get_json()
        problem = next(p for p in index["problems"] if p["path"] == f"{STORY}/rt.txt")
        assert "last loaded" in problem["reason"]
        file.seek(0)
        file.truncate()
        file.flush()
        assert client.get("/sources/rt.json").status_code == 200  # empty: still the last good version
        file.write(text.replace("outlet: RT", "outlet: RT rewritten"))
    source = client.get("/sources/rt.json").get_json()["source"]
    assert source["outlet"] == "RT rewritten"
    assert not [p for p in client.get("/index.json").get_json()["problems"] if p["path"] == f"{STORY}/rt.txt"]
    path.unlink()
    assert client.get("/sources/rt.json").status_code == 404  # a file removed is gone at once


def test_a_file_that_fails_to_load_does_not_make_each_miss_read_the_corpus(make_app: Callable[..., Flask],
                                                                          corpus_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(CORPUS_RESCAN_SECONDS=60, CORPUS_WATCH=False)  # nothing but the requests reads the folder
    client = app.test_client()
    (corpus_dir / STORY / "broken.txt").write_text("no front matter\n", encoding="utf-8")
    store = app.extensions["parallax.corpus"]
    store.reload()
    reloads: list[int] = []
    original = store.reload

    def counted(*args: Any, **kwargs: Any) -> Any:
        reloads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "reload", counted)
    unread: list[list[str]] = []
    read_unread = store.read_unread

    def told(paths: list[str]) -> Any:
        unread.append(paths)
        return read_unread(paths)

    monkeypatch.setattr(store, "read_unread", told)
    for _ in range(3):
        assert client.get("/sources/broken.json").status_code == 404
    assert client.get("/sources/never-there.json").status_code == 404
    assert reloads == [] and unread == []
    added = write_exclusive(corpus_dir / STORY / "late.txt",
                                          f"---\nid: late\nstory: {STORY}\noutlet: X\n---\nLate text.\n".encode())
    assert added and client.get("/sources/late.json").status_code == 200  # not seen yet: its folder read, found
    assert unread == [[str(corpus_dir.resolve() / STORY / "late.txt")]] and reloads == []  # never the whole corpus


def test_edit_form_follows_a_file_moved_meanwhile(make_app: Callable[..., Flask], corpus_dir: Path) -> None:
    app = make_app(CORPUS_RESCAN_SECONDS=60, CORPUS_WATCH=False)
    client = app.test_client()
    assert client.get("/sources/rt/edit.json").status_code == 200
    (corpus_dir / "adv-moved").mkdir()
    text = (corpus_dir / STORY / "rt.txt").read_text("utf-8").replace(f"story: {STORY}", "story: adv-moved")
    (corpus_dir / "adv-moved" / "rt.txt").write_text(text.replace("outlet: RT", "outlet: RT moved"), "utf-8")
    (corpus_dir / STORY / "rt.txt").unlink()  # moved by hand: this app has not looked since
    form = client.get("/sources/rt/edit.json")
    assert form.status_code == 200
    data = form.get_json()
    assert data["source"]["path"] == "adv-moved/rt.txt" and data["form"]["outlet"] == "RT moved"
    (corpus_dir / "adv-moved" / "rt.txt").unlink()
    assert client.get("/sources/rt/edit.json").status_code == 404
