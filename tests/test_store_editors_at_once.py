"""Editors on two app servers reading one PostgreSQL store, acting at once: every change holds the store's write lock
(an advisory lock all servers share) for its read-check-write, so no acknowledged change is lost and every source
ends in exactly one place.

As in tests/test_editors_at_once.py, each race is made certain: the first request is held between reading and
writing while the second, through the other server, is given time to run. Then many threads on both servers edit,
move, remove and restore the same sources at once, and what each acknowledged is checked against what is stored.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from parallax.corpus import split_front_matter
from parallax.sources import ingest, manage
from parallax.store.writing import PostgresPlace
from tests.conftest import STORY
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)
from tests.test_editors_at_once import Race, delete, patch
from tests.test_store_web_writes import gone, place, served, serves, where


def stored(app: Flask, source_id: str) -> tuple[str, dict[str, Any]]:
    """Where the source's file is (a story path or a trash entry) and its front matter, from the database."""
    found = where(app, source_id)
    assert len(found) == 1, f"{source_id} is in {len(found)} places: {found}"
    path = found[0] if "/" in found[0] else f"{manage.TRASH}/{found[0]}/{source_id}.txt"
    raw = place(app).read(path)
    assert raw is not None
    return found[0], split_front_matter(raw.decode("utf-8"))[0]


def test_two_edits_on_one_digest_one_wins_the_other_is_refused(db_apps: tuple[Flask, Flask],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    digest = one.test_client().get("/sources/rt/edit.json").get_json()["digest"]
    race = Race(monkeypatch, manage, "rewrite_front_matter",
                lambda: patch(two, "rt", outlet="Second editor", digest=digest))
    answer = patch(one, "rt", outlet="First editor", digest=digest)
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 409]
    winner = "First editor" if answer.status_code == 200 else "Second editor"
    assert stored(one, "rt")[1]["outlet"] == winner
    for app in db_apps:
        serves(app, "rt", "outlet", winner)


def test_two_edits_without_digest_both_apply(db_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: patch(two, "rt", title="A new headline"))
    assert patch(one, "rt", outlet="RT (edited)").status_code == 200
    assert race.other().status_code == 200
    meta = stored(two, "rt")[1]
    assert (meta["outlet"], meta["title"]) == ("RT (edited)", "A new headline")


def test_edit_racing_delete_goes_to_the_trash_with_the_file(db_apps: tuple[Flask, Flask],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: delete(two, "rt"))
    edited = patch(one, "rt", outlet="Edited before removal")
    removed = race.other()
    assert (edited.status_code, removed.status_code) == (200, 200)
    found, meta = stored(one, "rt")
    assert found == removed.get_json()["trash_id"] and meta["outlet"] == "Edited before removal"


def test_delete_racing_edit_refuses_the_edit(db_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    race = Race(monkeypatch, PostgresPlace, "write_new", lambda: patch(two, "rt", outlet="Too late"))
    removed = delete(one, "rt")
    edited = race.other()
    assert (removed.status_code, edited.status_code) == (200, 404)
    found, meta = stored(one, "rt")
    assert found == removed.get_json()["trash_id"] and meta["outlet"] != "Too late"


def test_move_racing_delete_leaves_the_source_in_one_place(db_apps: tuple[Flask, Flask],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    race = Race(monkeypatch, manage, "rewrite_front_matter", lambda: delete(two, "rt"))
    moved = patch(one, "rt", story="adv-moved")
    removed = race.other()
    assert (moved.status_code, removed.status_code) == (200, 200)
    entry = next(e for e in manage.list_trash(place(one)) if e.trash_id == removed.get_json()["trash_id"])
    assert entry.path == "adv-moved/rt.txt"  # removed from where the move put it
    assert where(one, "rt") == [entry.trash_id] and place(one).folders(manage.TRASH) == [entry.trash_id]


def test_restore_racing_restore_restores_once(db_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = db_apps
    restore = delete(one, "rt").get_json()["restore"]
    race = Race(monkeypatch, ingest, "ensure_story", lambda: two.test_client().post(restore, json={}))
    answer = one.test_client().post(restore, json={})
    other = race.other()
    assert sorted([answer.status_code, other.status_code]) == [200, 404]
    assert where(one, "rt") == [f"{STORY}/rt.txt"] and place(one).folders(manage.TRASH) == []
    for app in db_apps:
        served(app, "rt")


ROUNDS = 8  # changes each racing thread makes


class Ledger:
    """What the racing threads were told: the last acknowledged value of each (source, field), and how many
    removals and restorations of each source were acknowledged."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], str] = {}
        self.removed: dict[str, int] = {}
        self.restored: dict[str, int] = {}
        self.failures: list[str] = []
        self.lock = threading.Lock()


def _editor(apps: tuple[Flask, Flask], ledger: Ledger, source_id: str, field: str) -> None:
    """Set one field again and again through either server, until ``ROUNDS`` changes were acknowledged; a refusal is
    fine only when the source is in the trash at that moment."""
    acknowledged = 0
    for n, app in zip(range(ROUNDS * 25), itertools.cycle(apps), strict=False):
        if field == "story":
            value = f"{source_id}-elsewhere" if n % 2 == 0 else STORY
        else:
            value = f"{field} {n} of {source_id}"
        answer = patch(app, source_id, **{field: value})
        if answer.status_code == 200:
            ledger.last[(source_id, field)] = value
            acknowledged += 1
            if acknowledged == ROUNDS:
                return
        elif answer.status_code != 404:
            ledger.failures.append(f"{field} of {source_id}: {answer.status_code} {answer.get_json()}")


def _trasher(apps: tuple[Flask, Flask], ledger: Ledger, source_id: str) -> None:
    """Remove the source and restore it from the trash, again and again, through either server (a removal is
    refused once another thread removed it first, a restoration once another restored it first)."""
    for _, app in zip(range(ROUNDS), itertools.cycle(apps), strict=False):
        answer = delete(app, source_id)
        if answer.status_code == 200:
            with ledger.lock:
                ledger.removed[source_id] = ledger.removed.get(source_id, 0) + 1
        elif answer.status_code != 404:
            ledger.failures.append(f"removing {source_id}: {answer.status_code} {answer.get_json()}")
        entries = app.test_client().get("/trash.json").get_json()["entries"]
        for entry in (e for e in entries if e["source_id"] == source_id):
            answer = app.test_client().post(f"/api/trash/{entry['trash_id']}/restore", json={})
            if answer.status_code == 200:
                with ledger.lock:
                    ledger.restored[source_id] = ledger.restored.get(source_id, 0) + 1
            elif answer.status_code != 404:
                ledger.failures.append(f"restoring {source_id}: {answer.status_code} {answer.get_json()}")


def _thread(apps: tuple[Flask, Flask], work: Callable[[], None], ledger: Ledger) -> threading.Thread:
    """A racing thread that closes its database connections when done."""
    def run() -> None:
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
            ledger.failures.append(f"{type(error).__name__}: {error}")
        finally:
            for app in apps:
                app.extensions["parallax.corpus"].close()
    return threading.Thread(target=run)


@pytest.mark.parametrize("sources", [("rt", "press-tv")])
def test_many_editors_on_two_servers_lose_nothing(db_apps: tuple[Flask, Flask], sources: tuple[str, ...]) -> None:
    ledger = Ledger()
    threads = []
    for source_id in sources:
        threads += [_thread(db_apps, functools.partial(_editor, db_apps, ledger, source_id, field), ledger)
                    for field in ("outlet", "title", "story")]
        threads += [_thread(apps, functools.partial(_trasher, apps, ledger, source_id), ledger)
                    for apps in (db_apps, db_apps[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a racing request did not finish"
    assert ledger.failures == []
    assert sum(ledger.removed.values()) and sum(ledger.restored.values())  # the race did race
    assert all(v for v in ledger.last.values()) and len(ledger.last) == 3 * len(sources)
    trash_ids = []
    for source_id in sources:
        found, meta = stored(db_apps[0], source_id)  # exactly one place
        away = "/" not in found
        assert ledger.removed.get(source_id, 0) - ledger.restored.get(source_id, 0) == (1 if away else 0)
        for field in ("outlet", "title", "story"):
            if (source_id, field) in ledger.last:  # the last acknowledged value of each field is the one stored
                assert meta[field] == ledger.last[(source_id, field)], json.dumps(meta)
        if away:
            trash_ids.append(found)
            for app in db_apps:
                gone(app, source_id)
        else:
            assert found == f"{meta['story']}/{source_id}.txt"
            for app in db_apps:  # both servers serve what is stored
                serves(app, source_id, "outlet", str(meta["outlet"]))
                serves(app, source_id, "story", str(meta["story"]))
    assert place(db_apps[0]).folders(manage.TRASH) == sorted(trash_ids)  # no trash folder half made
