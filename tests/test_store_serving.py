"""App servers reading one PostgreSQL store (PARALLAX_DATABASE_URL): a change made through one is served by the other
within a second (changes through the web: tests/test_store_web_writes.py for sources, test_store_notes.py,
test_store_watches.py, test_store_alerts.py and test_store_outlets.py for the rest)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

NEW = """---
id: wire-copy
story: kim-putin-2023
outlet: The Wire
published: 2023-09-13
---
Kim Jong Un's armoured train crossed into Russia on Tuesday, the wire reported from Vladivostok this morning.
"""


def _sources(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/index.json").get_json()  # type: ignore[no-any-return]


@pytest.mark.slow
def test_both_servers_serve_the_stores_corpus(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    for app in (one, two):
        answer = app.test_client().get("/sources/rt.json")
        assert answer.status_code == 200 and answer.get_json()["source"]["outlet"] == "RT"
        assert app.test_client().get("/compare/rt/press-tv").status_code == 200
    assert _sources(one) == _sources(two)


def test_a_change_through_one_server_is_served_by_the_other_within_a_second(
        db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    assert two.test_client().get("/sources/wire-copy.json").status_code == 404
    store = one.extensions["parallax.corpus"].store  # the first server's own connection to the store
    store.put_file("kim-putin-2023/wire-copy.txt", NEW.encode())
    started = time.monotonic()
    while two.test_client().get("/sources/wire-copy.json").status_code != 200:
        assert time.monotonic() - started < 1.0, "the second server did not serve the new source within 1 s"
        time.sleep(0.02)
    edited = NEW.replace("The Wire", "The Other Wire")
    store.put_file("kim-putin-2023/wire-copy.txt", edited.encode())
    started = time.monotonic()
    while two.test_client().get("/sources/wire-copy.json").get_json()["source"]["outlet"] != "The Other Wire":
        assert time.monotonic() - started < 1.0, "the second server did not serve the edit within 1 s"
        time.sleep(0.02)



def test_an_acknowledged_edit_is_served_by_the_other_servers_next_request(db_apps: tuple[Flask, Flask]) -> None:
    """Read your writes across servers: once one server acknowledged an edit, the very next request to another
    server that had the page in memory serves the edited page, with no wait."""
    one, two = db_apps
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"  # read, kept in memory
    for n in range(5):
        edited = one.test_client().patch("/api/sources/rt", json={"outlet": f"RT edit {n}"})
        assert edited.status_code == 200, edited.get_json()
        assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == f"RT edit {n}"
        assert one.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == f"RT edit {n}"


def test_a_write_not_yet_committed_is_never_served_to_another_thread(db_apps: tuple[Flask, Flask]) -> None:
    """A writer that reads the corpus inside its own open change sees its write; another thread of the same server
    meanwhile serves the corpus as committed, and after a rollback nobody serves the write."""
    import threading

    one, _two = db_apps
    corpus = one.extensions["parallax.corpus"]
    seen: list[str] = []
    with pytest.raises(RuntimeError), corpus.place.lock():
        corpus.place.replace("kim-putin-2023/rt.txt", corpus.place.read("kim-putin-2023/rt.txt").replace(
            b"outlet: RT", b"outlet: Never Committed"))
        assert corpus.current().get("rt").outlet == "Never Committed"  # the writer sees its own write
        reader = threading.Thread(target=lambda: seen.append(corpus.get().get("rt").outlet))
        reader.start()
        reader.join(30)
        raise RuntimeError("roll the change back")
    assert seen == ["RT"]
    assert corpus.get().get("rt").outlet == "RT"
    assert one.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
