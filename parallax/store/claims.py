"""Watch claims in PostgreSQL for many watcher processes on many hosts: leases, SKIP LOCKED, one shared politeness
schedule per site.

A watcher claims work in one short transaction. It locks sites whose turn has come (``host_schedule.next_ok``) that
have a due, unleased watch, skipping sites another watcher has locked (``FOR UPDATE SKIP LOCKED``), then takes one
due watch of each such site, again skipping locked rows. The claimed watch gets a lease (``lease_owner``,
``lease_until``) and its site is held busy until the lease ends, so at most one request is in flight per site across
every watcher. ``finish`` records the fetch, schedules the watch a full interval later and gives the site its next
turn ``delay`` seconds after this fetch ended: consecutive requests to one site start at least ``delay`` apart
whichever watchers send them. A watcher that dies leaves leases that expire; the watch and its site come due again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import psycopg

from parallax.sources import state


def host_of(url: str) -> str:
    """The site a URL belongs to for politeness: its host and port, lower case."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def watch_of(row: dict[str, Any]) -> state.Watch:
    """A Watch from a PostgreSQL row."""
    return state.Watch(id=row["id"], story=row["story"], kind=row["kind"], url=row["url"], interval=row["interval"],
                       paused=bool(row["paused"]), next_due=row["next_due"], etag=row["etag"],
                       last_modified=row["last_modified"], failures=row["failures"], last_error=row["last_error"],
                       last_checked=row["last_checked"], last_changed=row["last_changed"], created=row["created"],
                       parent_id=row["parent_id"], item_limit=row["item_limit"], title=row["title"])


def add_watch(conn: psycopg.Connection[Any], story: str, kind: str, url: str, interval: int, item_limit: int = 0,
              now: float | None = None) -> state.Watch:
    """Add a watch, due at once, with its site in the shared schedule (a feed watches up to ``item_limit`` of its
    items); StateError when the story already watches this URL."""
    if kind not in state.KINDS:
        raise state.StateError(f"kind must be one of {', '.join(state.KINDS)}, not {kind!r}")
    now = time.time() if now is None else now
    host = host_of(url)
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO watches (story, kind, url, interval, next_due, created, host, item_limit) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
                (story, kind, url, interval, now, now, host, item_limit)
            ).fetchone()
            conn.execute("INSERT INTO host_schedule(host) VALUES (%s) ON CONFLICT DO NOTHING", (host,))
    except psycopg.errors.UniqueViolation:
        raise state.StateError(f"story '{story}' already watches {url}") from None
    assert row is not None  # noqa: S101  # nosec B101 (RETURNING gives the row)
    return watch_of(row)


def add_watches(conn: psycopg.Connection[Any], watches: Iterable[tuple[str, str, str, int]],
                now: float | None = None) -> int:
    """Add many (story, kind, url, interval) watches at once, all due now; how many were new."""
    now = time.time() if now is None else now
    rows = [(story, kind, url, interval, now, now, host_of(url)) for story, kind, url, interval in watches]
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany("INSERT INTO watches (story, kind, url, interval, next_due, created, host) "
                           "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)
        added = cursor.rowcount
        sync_hosts(cursor)
    return added


def sync_hosts(cursor: psycopg.Cursor[Any]) -> None:
    """Fill in the site of watches that have none (rows moved from a file corpus) and give every site a turn."""
    cursor.execute("SELECT id, url FROM watches WHERE host = ''")
    missing = [(host_of(row["url"] if isinstance(row, dict) else row[1]), row["id"] if isinstance(row, dict)
                else row[0]) for row in cursor.fetchall()]
    if missing:
        cursor.executemany("UPDATE watches SET host = %s WHERE id = %s", missing)
    cursor.execute("INSERT INTO host_schedule(host) SELECT DISTINCT host FROM watches ON CONFLICT DO NOTHING")


def claim(conn: psycopg.Connection[Any], owner: str, lease: float, limit: int,
          now: float | None = None) -> list[state.Watch]:
    """Take up to ``limit`` due watches, each of a different site whose turn has come, for ``lease`` seconds."""
    now = time.time() if now is None else now
    claimed: list[state.Watch] = []
    with conn.transaction():
        hosts = conn.execute(
            "SELECT h.host FROM host_schedule h WHERE h.next_ok <= %(now)s AND EXISTS (SELECT 1 FROM watches w "
            "WHERE w.host = h.host AND w.paused = 0 AND w.next_due <= %(now)s AND w.lease_until <= %(now)s) "
            "ORDER BY h.next_ok LIMIT %(n)s FOR UPDATE SKIP LOCKED", {"now": now, "n": limit}).fetchall()
        for host in hosts:
            row = conn.execute(
                "UPDATE watches SET lease_owner = %(owner)s, lease_until = %(until)s WHERE id = ("
                "SELECT id FROM watches WHERE host = %(host)s AND paused = 0 AND next_due <= %(now)s "
                "AND lease_until <= %(now)s ORDER BY next_due, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                {"owner": owner, "until": now + lease, "host": host["host"], "now": now}).fetchone()
            if row is None:
                continue
            conn.execute("UPDATE host_schedule SET next_ok = %s WHERE host = %s", (now + lease, host["host"]))
            claimed.append(watch_of(row))
    return claimed


def holds(conn: psycopg.Connection[Any], watch_id: int, owner: str) -> bool:
    """Whether ``owner`` still holds the lease on the watch (locking its row until the transaction ends)."""
    row = conn.execute("SELECT 1 FROM watches WHERE id = %s AND lease_owner = %s FOR UPDATE",
                       (watch_id, owner)).fetchone()
    return row is not None


def finish(conn: psycopg.Connection[Any], watch: state.Watch, owner: str, *, delay: float, status: int | None,
           outcome: str, detail: str = "", source_id: str = "", error: bool = False, changed: bool = False,
           etag: str | None = None, last_modified: str | None = None, max_backoff: float = 86_400,
           now: float | None = None) -> float:
    """Record one fetch inside the caller's transaction, schedule the watch's next fetch (backing off after
    errors), release the lease and give the site its next turn; the next due time. A lease lost meanwhile (it
    expired and another watcher took the watch) records nothing."""
    now = time.time() if now is None else now
    failures = watch.failures + 1 if error else 0
    wait = min(float(watch.interval) * (2 ** failures), max_backoff) if error else float(watch.interval)
    host = host_of(watch.url)
    conn.execute("UPDATE host_schedule SET next_ok = %s WHERE host = %s", (now + delay, host))
    if not holds(conn, watch.id, owner):
        return now + wait
    conn.execute("INSERT INTO fetch_log (watch_id, at, status, outcome, detail, source_id) "
                 "VALUES (%s, %s, %s, %s, %s, %s)", (watch.id, now, status, outcome, detail[:2000], source_id))
    conn.execute(
        "UPDATE watches SET next_due = %s, lease_until = 0, lease_owner = '', failures = %s, last_error = %s, "
        "last_checked = %s, last_changed = CASE WHEN %s THEN %s ELSE last_changed END, "
        "etag = COALESCE(%s, etag), last_modified = COALESCE(%s, last_modified) WHERE id = %s",
        (now + wait, failures, detail[:2000] if error else "", now, changed, now, etag, last_modified, watch.id))
    return now + wait
