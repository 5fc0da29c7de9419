"""App servers reading one PostgreSQL store (PARALLAX_DATABASE_URL): a change made through one is served by the other
within a second, and changes through the web are refused rather than written where no other server would see them."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from parallax.app import create_app
from parallax.store.postgres import PostgresStore
from parallax.store.transfer import migrate
from tests.conftest import BUNDLED
from tests.stores import pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

NEW = """---
id: wire-copy
story: kim-putin-2023
outlet: The Wire
published: 2023-09-13
---
Kim Jong Un's armoured train crossed into Russia on Tuesday, the wire reported from Vladivostok this morning.
"""


@pytest.fixture()
def servers(pg_url: str, tmp_path: Path) -> Callable[[], tuple[Flask, Flask]]:
    """Two apps on one database, each with its own local folder (for its index and drafts)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED, corpus, ignore=shutil.ignore_patterns(".*"))
    store = PostgresStore(pg_url)
    try:
        migrate(corpus, store)
    finally:
        store.close()

    def build() -> tuple[Flask, Flask]:
        made = []
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            app = create_app({"CORPUS_DIR": str(tmp_path / name), "DATABASE_URL": pg_url,
                              "DRAFT_DIR": str(tmp_path / f"drafts-{name}")})
            app.config["TESTING"] = True
            made.append(app)
        return made[0], made[1]
    return build


def _sources(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/index.json").get_json()  # type: ignore[no-any-return]


@pytest.mark.slow
def test_both_servers_serve_the_stores_corpus(servers: Callable[[], tuple[Flask, Flask]]) -> None:
    one, two = servers()
    for app in (one, two):
        answer = app.test_client().get("/sources/rt.json")
        assert answer.status_code == 200 and answer.get_json()["source"]["outlet"] == "RT"
        assert app.test_client().get("/compare/rt/press-tv").status_code == 200
    assert _sources(one) == _sources(two)


def test_a_change_through_one_server_is_served_by_the_other_within_a_second(
        servers: Callable[[], tuple[Flask, Flask]]) -> None:
    one, two = servers()
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


def test_changes_through_the_web_are_refused_while_reading_the_store(
        servers: Callable[[], tuple[Flask, Flask]], tmp_path: Path) -> None:
    one, _ = servers()
    answer = one.test_client().post("/api/sources", json={"text": NEW.split("---\n")[2], "story": "kim-putin-2023",
                                                          "outlet": "The Wire"})
    assert answer.status_code == 403 and "PostgreSQL" in answer.get_json()["error"]
    assert not list((tmp_path / "one").glob("*/*.txt"))
    assert one.test_client().get("/sources/wire-copy.json").status_code == 404
