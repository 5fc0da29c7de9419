"""Storage backends for tests: a private PostgreSQL server per test session, a fresh schema per test, and a
``store`` fixture that runs a test once on the embedded store and once on PostgreSQL.

Import the fixtures a module uses (``from tests.stores import pg_server_fixture, pg_url_fixture``; they are
named ``pg_server``, ``pg_url``, ``store`` and ``db_apps``: two app servers on one database holding the bundled
corpus). PostgreSQL comes from the OS's packages
(``parallax.store.localpg``); when it cannot start here the PostgreSQL cases skip, saying why — unless
``PARALLAX_REQUIRE_POSTGRES=1`` (set by CI), where that is a failure. ``PARALLAX_TEST_DATABASE_URL`` points the
tests at a server of your own instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from flask import Flask

from parallax.app import create_app
from parallax.store import localpg
from parallax.store.embedded import EmbeddedStore
from parallax.store.postgres import PostgresStore
from parallax.store.transfer import migrate
from tests.conftest import BUNDLED


@pytest.fixture(scope="session", name="pg_server")
def pg_server_fixture() -> Iterator[str]:
    """The URL of a PostgreSQL server for this test session (started here, stopped at the end). Its folder is made
    under the system's temporary folder, not pytest's: the server's own user must be able to reach it."""
    given = os.environ.get("PARALLAX_TEST_DATABASE_URL", "")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="parallax-pg-"))
    folder.chmod(0o755)
    try:
        url = localpg.start(folder)
    except localpg.PostgresUnavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("PARALLAX_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here and cannot start: {error}")
        pytest.skip(f"PostgreSQL cannot start here: {error}")
    try:
        yield url
    finally:
        localpg.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(name="pg_url")
def pg_url_fixture(pg_server: str) -> Iterator[str]:
    """A URL whose connections work in a schema of their own, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{joiner}options={quote(f'-c search_path={schema}')}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["embedded", "postgres"], name="store")
def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedStore | PostgresStore]:
    """An empty store of each kind."""
    made: EmbeddedStore | PostgresStore
    if request.param == "embedded":
        (tmp_path / "corpus").mkdir()
        made = EmbeddedStore(tmp_path / "corpus")
    else:
        made = PostgresStore(request.getfixturevalue("pg_url"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(name="db_apps")
def db_apps_fixture(pg_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """Two app servers on one PostgreSQL store holding the bundled corpus, each with its own local folder (derived
    files) and open to writing from loopback."""
    corpus = tmp_path / "bundled"
    shutil.copytree(BUNDLED, corpus, ignore=shutil.ignore_patterns(".*"))
    store = PostgresStore(pg_url)
    try:
        migrate(corpus, store)
    finally:
        store.close()
    made = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        app = create_app({"CORPUS_DIR": str(tmp_path / name), "DATABASE_URL": pg_url})
        app.config["TESTING"] = True
        made.append(app)
    yield made[0], made[1]
    for app in made:
        app.extensions["parallax.corpus"].close()
