"""The shared pairs and lineage edges the reuse job writes back to a PostgreSQL store describe the sources as they were
exported: a source whose text or times are changed through any app server (edited, removed) loses them, the others
keep theirs, and a change that leaves what the job read alone keeps them."""

from __future__ import annotations

import contextlib
from pathlib import Path

from flask import Flask

from parallax.index.jobs import exchange
from parallax.store.postgres import PostgresStore
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

PAIRS = [("moscow-times-plain", 1, "rt", 2, 0.9), ("press-tv", 0, "rt", 0, 0.8),
         ("press-tv", 3, "the-national", 1, 0.7), ("moscow-times-plain", 0, "the-national", 2, 0.6)]
EDGES = [("rt", "press-tv", 2), ("moscow-times-plain", "rt", 1), ("press-tv", "the-national", 1),
         ("moscow-times-plain", "the-national", 1)]


def _rows(store: PostgresStore) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The sources of each shared pair, and each lineage edge (origin, carrier), as the job's next reader sees them."""
    shared = {(r["a"], r["b"]) for r in store.conn.execute("SELECT a, b FROM shared")}
    lineage = {(r["origin"], r["carrier"]) for r in store.conn.execute("SELECT origin, carrier FROM lineage")}
    return shared, lineage


def test_a_source_changed_through_a_server_loses_the_reuse_jobs_rows(db_apps: tuple[Flask, Flask], pg_url: str,
                                                                      tmp_path: Path) -> None:
    one, two = db_apps
    with contextlib.closing(PostgresStore(pg_url)) as job:
        exchange.export_postgres(job.conn, tmp_path)
        written = exchange.write_postgres(job.conn, exchange.read_sources(tmp_path), PAIRS, EDGES)
        assert (written.pairs, written.edges) == (len(PAIRS), len(EDGES))
        every = ({(a, b) for a, _, b, _, _ in PAIRS}, {(o, c) for o, c, _ in EDGES})
        assert _rows(job) == every

        retitled = one.test_client().patch("/api/sources/the-national", json={"title": "A new headline"})
        assert retitled.status_code == 200
        assert _rows(job) == every, "the job read no title: its rows still hold"

        redated = two.test_client().patch("/api/sources/rt", json={"published": "2023-09-01"})
        assert redated.status_code == 200
        shared, lineage = _rows(job)
        assert shared == {(a, b) for a, b in every[0] if "rt" not in (a, b)}
        assert lineage == {(o, c) for o, c in every[1] if "rt" not in (o, c)}

        removed = one.test_client().delete("/api/sources/press-tv")
        assert removed.status_code == 200
        assert _rows(job) == ({("moscow-times-plain", "the-national")},
                              {("moscow-times-plain", "the-national")})
