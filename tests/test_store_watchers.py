"""Many watchers on one PostgreSQL: four watcher processes, 1,000 loopback URLs on ten sites. Each due URL is
fetched once per interval, consecutive requests to one site keep the politeness delay, nothing is stored twice."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from parallax.store import claims
from parallax.store.postgres import PostgresStore
from parallax.store.watchers import StoreWatcher, WatchSettings
from tests.stores import pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

SITES, PER_SITE = 10, 100
INTERVAL, DELAY = 8.0, 0.02
DEADLINE = 240.0  # the run stops when every URL was fetched and 200 again, or at this bound (a busy machine)
REFETCHED = 200


class Log:
    """Every request the fixture sites answered: (site, path, arrival, departure)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: list[tuple[int, str, float, float]] = []
        self.seen: dict[tuple[int, str], int] = defaultdict(int)


def _server(site: int, log: Log) -> ThreadingHTTPServer:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrived = time.time()
            with log.lock:
                log.seen[(site, self.path)] += 1
                visit = log.seen[(site, self.path)]
            number = int(self.path.strip("/").split("-")[1])
            # even pages change once, after their first fetch; odd pages never change
            edition = "second" if number % 2 == 0 and visit > 1 else "first"
            body = (f"<html><head><title>Story {site}-{number}</title></head><body><article>"
                    f"<h1>Story {site}-{number}</title></h1><p>Harbour workers at site {site} walked out on "
                    f"page {number}, the union said in its {edition} statement on the strike.</p><p>The port "
                    f"authority said talks would resume with the union next week.</p></article></body></html>")
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with log.lock:
                log.hits.append((site, self.path, arrived, time.time()))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _watch(url: str, stop: Any) -> None:
    store = PostgresStore(url)
    watcher = StoreWatcher(store, WatchSettings(delay=DELAY, lease=30, concurrency=4, allow_private=True,
                                                timeout=10))
    try:
        watcher.run(DEADLINE, stop=stop.is_set)
    finally:
        watcher.close()
        store.close()


@pytest.fixture()
def sites() -> Iterator[tuple[list[ThreadingHTTPServer], Log]]:
    log = Log()
    servers = [_server(site, log) for site in range(SITES)]
    yield servers, log
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_four_watchers_share_the_work_politely(pg_url: str, sites: tuple[list[ThreadingHTTPServer], Log]) -> None:
    servers, log = sites
    with contextlib.closing(PostgresStore(pg_url)) as store:
        port_site = {server.server_address[1]: site for site, server in enumerate(servers)}
        urls = [f"http://127.0.0.1:{server.server_address[1]}/page-{n}" for server in servers for n in range(PER_SITE)]
        assert claims.add_watches(store.conn, [("strike", "article", url, int(INTERVAL)) for url in urls]) == 1000
        started = time.time()
        context = multiprocessing.get_context("spawn")
        stop = context.Event()
        watchers = [context.Process(target=_watch, args=(pg_url, stop)) for _ in range(4)]
        for process in watchers:
            process.start()
        while time.time() - started < DEADLINE:
            time.sleep(0.5)
            row = store.conn.execute("SELECT count(*) FILTER (WHERE last_checked IS NULL) AS waiting, "
                                     "(SELECT count(*) FROM fetch_log) AS fetched FROM watches").fetchone()
            if row and row["waiting"] == 0 and row["fetched"] >= 1000 + REFETCHED:
                break
        stop.set()
        for process in watchers:
            process.join(60)
            assert process.exitcode == 0
        elapsed = time.time() - started

        by_url: dict[tuple[int, str], list[float]] = defaultdict(list)
        by_site: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for site, path, arrived, left in log.hits:
            by_url[(site, path)].append(arrived)
            by_site[site].append((arrived, left))
        assert len(by_url) == 1000, "every URL fetched"
        for times in by_url.values():  # never twice within an interval
            times.sort()
            assert all(b - a >= INTERVAL - 0.05 for a, b in itertools.pairwise(times))
        refetched = sum(1 for times in by_url.values() if len(times) >= 2)
        assert refetched >= REFETCHED, f"URLs were due again and fetched again in {elapsed:.0f}s ({refetched})"
        for visits in by_site.values():  # one request in flight per site, DELAY between one's end and the next start
            visits.sort()
            assert all(b[0] - a[1] >= DELAY * 0.9 for a, b in itertools.pairwise(visits))

        rows = store.conn.execute("SELECT watch_id, count(*) AS n FROM versions GROUP BY watch_id").fetchall()
        versions = {row["watch_id"]: row["n"] for row in rows}
        watches = {w.id: w for w in store.watches()}
        for watch_id, count in versions.items():
            url = watches[watch_id].url
            site = port_site[int(url.split(":")[2].split("/")[0])]
            path = "/" + url.rsplit("/", 1)[1]
            number = int(path.split("-")[1])
            fetched = len(by_url[(site, path)])
            assert count == (2 if number % 2 == 0 and fetched >= 2 else 1), (url, count, fetched)
        assert len(versions) == 1000
        sources = store.counts()["sources"]
        assert sources == sum(versions.values()), "one source per version, none stored twice"
        logged = store.conn.execute("SELECT count(*) AS n FROM fetch_log").fetchone()
        assert logged is not None and logged["n"] == len(log.hits)
