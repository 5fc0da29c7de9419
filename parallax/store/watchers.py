"""A watcher for the PostgreSQL store: many of these, on many hosts, share the watch list, the per-site politeness
schedule and the corpus through the database (``parallax.store.claims``).

Each process claims due watches (one per site whose turn has come), fetches them on a small thread pool with the
same address checks and conditional requests as the embedded watcher, extracts the article, and stores a new version
only when the article's cosmetic text changed (``parallax.cosmetic``, with what its story's rules match taken out,
as the embedded watcher decides). The version
check and the write happen in one transaction holding the watch's row and the corpus's write lock (the one editors'
changes through the web hold), and ``versions`` is keyed by (watch, text hash): no version is ever stored twice,
whichever watcher fetched it. Each stored version is reported to its story's alerts (the change recorded, a
delivery queued for each channel that wants it) and the watchers send what is due, one at a time.

    PARALLAX_DATABASE_URL=postgresql://… python -m parallax.store.watchers [--once] [--for SECONDS]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from parallax.config import load_settings
from parallax.corpus import Problem, Source, Story, build_corpus
from parallax.sources import alerts, change_report, extract, ingest, notes, state
from parallax.sources.fetch import FetchError
from parallax.sources.refetch import fetch_conditional
from parallax.sources.watch import CAPTURE_PREFIX, cosmetic_hash
from parallax.store import claims
from parallax.store.postgres import PostgresStore
from parallax.store.state_sql import StateConnection
from parallax.store.writing import WRITE_KEY

log = logging.getLogger("parallax.store.watchers")
#: The advisory lock a watcher holds while it sends the alerts that are due (the others skip sending meanwhile).
ALERTS_KEY = 727_023
#: Seconds between two looks for alerts due (retries, digest windows) when nothing new was stored.
SEND_EVERY = 10.0


@dataclass(frozen=True)
class WatchSettings:
    """How one watcher process works: politeness, leases, concurrency and the fetch's limits."""

    delay: float = 1.0  # seconds between the end of one request to a site and the start of the next
    lease: float = 120.0  # seconds a claim holds a watch (and its site) before another watcher may take it
    concurrency: int = 4  # watches fetched at once by this process (each of a different site)
    timeout: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 5_000_000
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> WatchSettings:
        """The watcher's settings from the app's (``PARALLAX_WATCH_*``)."""
        return cls(delay=float(settings["WATCH_HOST_DELAY"]), lease=float(settings["WATCH_LEASE_SECONDS"]),
                   concurrency=int(settings["WATCH_CONCURRENCY"]),
                   allow_private=bool(settings["FETCH_ALLOW_PRIVATE"]))


class StoreWatcher:
    """Claims due watches from PostgreSQL and keeps every real version in the store."""

    def __init__(self, store: PostgresStore, settings: WatchSettings, owner: str = "",
                 reports: Mapping[str, Any] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner or f"{os.uname().nodename}:{os.getpid()}:{os.urandom(3).hex()}"
        self.reports = reports  # the app's settings: given, each stored version is reported to the story's alerts
        self._pool = ThreadPoolExecutor(max(1, settings.concurrency), thread_name_prefix="px-watch")
        self._next_send = 0.0

    def run_once(self) -> int:
        """Claim what is due now and process it, then send the alerts that are due (after a stored version, else
        every ``SEND_EVERY`` seconds, for retries and digests); how many watches were processed."""
        claimed = claims.claim(self.store.conn, self.owner, self.settings.lease, self.settings.concurrency)
        stored = any(list(self._pool.map(self._process, claimed)))
        if self.reports is not None and (stored or time.monotonic() >= self._next_send):
            self._next_send = time.monotonic() + SEND_EVERY
            self.send_alerts()
        return len(claimed)

    def send_alerts(self) -> dict[str, int]:
        """Send the alerts that are due, as the embedded watcher does after a cycle (``alerts.deliver_due``): one
        watcher at a time holds ``ALERTS_KEY`` while it sends, so no delivery goes out twice; the others skip. Counts
        of what was sent (empty when another watcher was sending); never raises."""
        conn = self.store.conn
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (ALERTS_KEY,)).fetchone()
            if not row or not row["got"]:
                return {}
            try:
                return alerts.deliver_due(StateConnection(conn))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (ALERTS_KEY,))
        except Exception:  # a channel or the database failing must not stop the watcher
            log.exception("alerts could not be sent")
            return {}

    def _report(self, watch: state.Watch, source_id: str) -> None:
        """Record a stored version for the story's alerts and change feed, compared with the capture before it
        (``change_report``, as the embedded watcher does); a failure is logged only, the version stays stored."""
        try:
            captures: list[Source | Story | Problem] = [*self.store.versions(source_id)]
            article = build_corpus(captures)
            change_report.record_watch_change(StateConnection(self.store.conn), article, self.reports or {}, watch,
                                              "stored", source_id)
        except Exception:
            log.exception("watch %s: the change could not be recorded for alerts", watch.id)

    def run(self, seconds: float | None = None, idle: float = 0.02, stop: Callable[[], bool] | None = None) -> int:
        """Keep claiming until ``seconds`` have passed (for ever when None) or ``stop()`` says so; watches
        processed."""
        end = None if seconds is None else time.monotonic() + seconds
        done = 0
        while (end is None or time.monotonic() < end) and not (stop and stop()):
            count = self.run_once()
            done += count
            if not count:
                time.sleep(idle)
        return done

    def close(self) -> None:
        """Stop the thread pool."""
        self._pool.shutdown(wait=True)

    def _process(self, watch: state.Watch) -> bool:
        """Fetch one watch and record what came of it (any failure is the watch's error, never the process's);
        whether a new version was stored."""
        conn = self.store.conn
        settings = self.settings
        try:
            fetched = fetch_conditional(watch.url, watch.kind, etag=watch.etag, last_modified=watch.last_modified,
                                        timeout=settings.timeout, max_redirects=settings.max_redirects,
                                        max_bytes=settings.max_bytes, allow_private=settings.allow_private)
        except FetchError as error:
            with conn.transaction():
                claims.finish(conn, watch, self.owner, delay=settings.delay, status=None, outcome="error",
                              detail=str(error), error=True)
            return False
        if fetched.http_status == 304 or watch.kind != "article":
            with conn.transaction():
                claims.finish(conn, watch, self.owner, delay=settings.delay, status=fetched.http_status,
                              outcome="not-modified" if fetched.http_status == 304 else "feed",
                              etag=fetched.etag, last_modified=fetched.last_modified)
            return False
        html = extract.decode_html(fetched.body, fetched.charset)
        extracted = extract.from_html(html, fetched.url, capture=f"{CAPTURE_PREFIX}fetched from {fetched.url}")
        digest = cosmetic_hash(extracted.body, extracted.title)
        with conn.transaction():
            if not claims.holds(conn, watch.id, self.owner):
                return False
            known = conn.execute("SELECT source_id FROM versions WHERE watch_id = %s AND text_hash = %s",
                                 (watch.id, digest)).fetchone()
            source_id = ""
            if known is None and not self._ruled_out(watch, extracted):
                source_id = self._store_version(watch, extracted, digest)
            claims.finish(conn, watch, self.owner, delay=settings.delay, status=fetched.http_status,
                          outcome="stored" if source_id else "unchanged", source_id=source_id,
                          changed=bool(source_id), etag=fetched.etag, last_modified=fetched.last_modified)
        if source_id and self.reports is not None:
            self._report(watch, source_id)
        return bool(source_id)

    def _ruled_out(self, watch: state.Watch, extracted: ingest.Extracted) -> bool:
        """Whether the page reads as the watch's latest stored version once its story's rules (editors' "ignore
        changes like this", read from the store's rules table as every app server keeps them) take out what they
        match: then it is no new version, as the embedded watcher decides."""
        rules = notes.story_rules(StateConnection(self.store.conn), watch.story)
        if not rules:
            return False
        row = self.store.conn.execute("SELECT source_id FROM versions WHERE watch_id = %s ORDER BY at DESC LIMIT 1",
                                      (watch.id,)).fetchone()
        latest = self.store.get(row["source_id"]) if row else None
        return latest is not None and (cosmetic_hash(latest.body, latest.title, rules)
                                       == cosmetic_hash(extracted.body, extracted.title, rules))

    def _store_version(self, watch: state.Watch, extracted: ingest.Extracted, digest: str) -> str:
        """Write the version as a source file of the watch's story and note it; its id."""
        conn = self.store.conn
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_KEY,))  # the lock editors' changes hold too
        row = conn.execute("SELECT count(*) AS n FROM versions WHERE watch_id = %s", (watch.id,)).fetchone()
        number = (int(row["n"]) if row else 0) + 1
        source_id = f"w{watch.id}-v{number}"
        now = time.time()
        new = ingest.NewSource(story=watch.story, body=extracted.body, outlet=extracted.outlet or "",
                               title=extracted.title or "", url=watch.url, capture=extracted.capture,
                               captured=state.iso(now) or "")
        self.store.put_file(f"{watch.story}/{source_id}.txt", ingest.build_file_text(source_id, new).encode())
        conn.execute("INSERT INTO versions (watch_id, text_hash, source_id, at) VALUES (%s, %s, %s, %s)",
                     (watch.id, digest, source_id, now))
        return source_id


def main(argv: list[str] | None = None) -> int:
    """Run one watcher process against ``PARALLAX_DATABASE_URL``."""
    parser = argparse.ArgumentParser(prog="python -m parallax.store.watchers", description=__doc__)
    parser.add_argument("--once", action="store_true", help="process what is due now, then stop")
    parser.add_argument("--for", dest="seconds", type=float, default=None, help="stop after this many seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    url = os.environ.get("PARALLAX_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://")):
        parser.error("PARALLAX_DATABASE_URL must name a PostgreSQL database (postgresql://…)")
    store = PostgresStore(url)
    watcher = StoreWatcher(store, WatchSettings.from_settings(settings), reports=settings)
    try:
        done = watcher.run_once() if args.once else watcher.run(args.seconds)
    finally:
        watcher.close()
        store.close()
    log.info("processed %d watches", done)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
