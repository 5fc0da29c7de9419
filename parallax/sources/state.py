"""The watcher's state in an embedded SQLite database beside the corpus: watches, fetch log, headline changes, events.

Corpus files stay the source of truth for texts; the database only says what to fetch when and what happened.
It is the coordination point between the watcher processes and the web servers: WAL mode lets readers and one
writer work at once, and watchers claim due watches with a lease inside one write transaction, so two watchers
never fetch the same watch at the same time. The schema is versioned with ``PRAGMA user_version`` and upgraded
by numbered migrations, in order, when a database is opened.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from parallax.errors import ParallaxError

STATE_FOLDER = ".parallax"  # hidden, so the corpus loader skips it
STATE_FILE = "state.db"
BUSY_TIMEOUT_MS = 10_000
LOG_KEEP = 100  # fetch log entries kept per watch (older ones are deleted as new ones come)
KINDS = ("article", "feed")

#: Numbered migrations: MIGRATIONS[n] takes a database from version n to n + 1. Never edit a published one.
MIGRATIONS: tuple[str, ...] = (
    # 1: watches and their fetch log
    """
    CREATE TABLE watches (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('article', 'feed')),
        url TEXT NOT NULL,
        interval INTEGER NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        next_due REAL NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0,
        lease_owner TEXT NOT NULL DEFAULT '',
        etag TEXT NOT NULL DEFAULT '',
        last_modified TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_checked REAL,
        last_changed REAL,
        created REAL NOT NULL,
        UNIQUE (story, url)
    );
    CREATE INDEX watches_due ON watches (paused, next_due);
    CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        watch_id INTEGER NOT NULL,
        at REAL NOT NULL,
        status INTEGER,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        source_id TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX fetch_log_watch ON fetch_log (watch_id, at);
    """,
    # 2: feeds create article watches (parent_id, item limit); headline changes; audit events
    """
    ALTER TABLE watches ADD COLUMN parent_id INTEGER;
    ALTER TABLE watches ADD COLUMN item_limit INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE watches ADD COLUMN title TEXT NOT NULL DEFAULT '';
    CREATE INDEX watches_parent ON watches (parent_id);
    CREATE TABLE headlines (
        id INTEGER PRIMARY KEY,
        article TEXT NOT NULL,
        at TEXT NOT NULL,
        title TEXT NOT NULL,
        source_id TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX headlines_article ON headlines (article, at);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: editors' marks and notes on changes (a comparison's row, or a whole step: row_key ''); story rules
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        left_id TEXT NOT NULL,
        right_id TEXT NOT NULL,
        row_key TEXT NOT NULL DEFAULT '',
        excerpt TEXT NOT NULL DEFAULT '',
        mark TEXT NOT NULL CHECK (mark IN ('significant', 'minor', 'cosmetic')),
        note TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    CREATE INDEX notes_pair ON notes (left_id, right_id);
    CREATE INDEX notes_story ON notes (story, id);
    CREATE TABLE rules (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        pattern TEXT NOT NULL,
        regex INTEGER NOT NULL DEFAULT 0,
        note_id INTEGER,
        author TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    CREATE INDEX rules_story ON rules (story);
    """,
    # 4: alerts: channels per story (or one watch of it), the changes the watcher recorded, deliveries to send
    """
    CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        watch_id INTEGER,
        url TEXT NOT NULL,
        label TEXT NOT NULL,
        threshold TEXT NOT NULL CHECK (threshold IN ('facts', 'headline', 'every')),
        muted INTEGER NOT NULL DEFAULT 0,
        digest TEXT NOT NULL DEFAULT '' CHECK (digest IN ('', 'hour', 'day')),
        created TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_sent TEXT
    );
    CREATE INDEX channels_story ON channels (story);
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        story TEXT NOT NULL,
        watch_id INTEGER,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('version', 'headline')),
        source_id TEXT NOT NULL,
        previous_id TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL
    );
    CREATE INDEX changes_story ON changes (story, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        channel_id INTEGER NOT NULL,
        change_id INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try REAL NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        sent_at TEXT,
        UNIQUE (channel_id, change_id)
    );
    CREATE INDEX deliveries_due ON deliveries (state, next_try);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


class Connection(Protocol):
    """What the state functions that also run on the PostgreSQL store need of a connection: ``execute`` with ``?``
    placeholders (a ``sqlite3.Connection``, or ``parallax.store.state_sql.StateConnection``)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any:
        """Run one statement with its values bound."""


class StateError(ParallaxError, ValueError):
    """A request about watches that cannot be done; the message says why."""


@dataclass(frozen=True)
class Watch:
    """One watched article URL or feed, with its schedule and what the last fetch left behind."""

    id: int
    story: str
    kind: str
    url: str
    interval: int
    paused: bool
    next_due: float
    etag: str
    last_modified: str
    failures: int
    last_error: str
    last_checked: float | None
    last_changed: float | None
    created: float
    parent_id: int | None
    item_limit: int
    title: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for pages and JSON (times as ISO text in UTC)."""
        return {"id": self.id, "story": self.story, "kind": self.kind, "url": self.url, "interval": self.interval,
                "paused": self.paused, "next_due": iso(self.next_due), "failures": self.failures,
                "last_error": self.last_error or None, "last_checked": iso(self.last_checked),
                "last_changed": iso(self.last_changed), "created": iso(self.created), "parent_id": self.parent_id,
                "item_limit": self.item_limit, "title": self.title or None}


def iso(stamp: float | None) -> str | None:
    """A Unix time as an ISO date-time in UTC to the second, or None."""
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(microsecond=0).isoformat()


def db_path(corpus_dir: Path | str, configured: str = "") -> Path:
    """Where the state database lives: the configured path, else ``<corpus>/.parallax/state.db``."""
    return Path(configured) if configured else Path(corpus_dir) / STATE_FOLDER / STATE_FILE


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database has not had yet, each in its own transaction; the new version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StateError(f"the state database has schema version {version}, newer than this Parallax "
                         f"({SCHEMA_VERSION}); upgrade Parallax")
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current == number:  # another process may have migrated while this one waited for the lock
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when needed) the state database in WAL mode, migrated to the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    key = str(path.resolve())
    if key not in _migrated:
        with _migrate_lock:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
            _migrated.add(key)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection closed at the end of the block."""
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(conn: Any) -> Iterator[Any]:
    """A write transaction taken at once (BEGIN IMMEDIATE), committed at the end or rolled back on error; on the
    PostgreSQL store's state tables (a connection with its own ``transaction``), that one (nested: a savepoint)."""
    own = getattr(conn, "transaction", None)
    if own is not None:
        with own():
            yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _watch(row: sqlite3.Row) -> Watch:
    """A Watch from a database row."""
    return Watch(id=row["id"], story=row["story"], kind=row["kind"], url=row["url"], interval=row["interval"],
                 paused=bool(row["paused"]), next_due=row["next_due"], etag=row["etag"],
                 last_modified=row["last_modified"], failures=row["failures"], last_error=row["last_error"],
                 last_checked=row["last_checked"], last_changed=row["last_changed"], created=row["created"],
                 parent_id=row["parent_id"], item_limit=row["item_limit"], title=row["title"])


def add_watch(conn: sqlite3.Connection, story: str, kind: str, url: str, interval: int, item_limit: int = 0,
              parent_id: int | None = None, title: str = "", now: float | None = None) -> Watch:
    """Add a watch, due at once; StateError when the story already watches this URL."""
    if kind not in KINDS:
        raise StateError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    now = time.time() if now is None else now
    try:
        cursor = conn.execute(
            "INSERT INTO watches (story, kind, url, interval, next_due, created, parent_id, item_limit, title) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (story, kind, url, interval, now, now, parent_id, item_limit, title))
    except sqlite3.IntegrityError:
        raise StateError(f"story '{story}' already watches {url}") from None
    found = get_watch(conn, int(cursor.lastrowid or 0))
    if found is None:
        raise StateError(f"the watch of {url} was removed while it was being added")
    return found


def get_watch(conn: Connection, watch_id: int) -> Watch | None:
    """The watch with this id, or None."""
    row = conn.execute("SELECT * FROM watches WHERE id = ?", (watch_id,)).fetchone()
    return _watch(row) if row else None


def list_watches(conn: Connection, story: str | None = None) -> list[Watch]:
    """Every watch (of one story when given), feeds first, then by URL."""
    rows = conn.execute("SELECT * FROM watches WHERE CAST(? AS TEXT) IS NULL OR story = ? "
                        "ORDER BY story, kind DESC, url", (story, story))
    return [_watch(row) for row in rows]


def set_paused(conn: Connection, watch_id: int, paused: bool, now: float | None = None) -> Watch | None:
    """Pause or resume a watch (a resumed watch is due at once, its back-off forgotten); None when missing."""
    now = time.time() if now is None else now
    if paused:
        conn.execute("UPDATE watches SET paused = 1 WHERE id = ?", (watch_id,))
    else:
        conn.execute("UPDATE watches SET paused = 0, failures = 0, next_due = ? WHERE id = ?", (now, watch_id))
    return get_watch(conn, watch_id)


def remove_watch(conn: Connection, watch_id: int) -> bool:
    """Delete a watch and its log (articles a feed added stay, as watches of their own); False when missing."""
    with transaction(conn):
        gone = conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount
        conn.execute("DELETE FROM fetch_log WHERE watch_id = ?", (watch_id,))
        conn.execute("UPDATE watches SET parent_id = NULL WHERE parent_id = ?", (watch_id,))
    return bool(gone)


def claim_due(conn: sqlite3.Connection, owner: str, lease: float, limit: int, now: float | None = None,
              checked_before: float | None = None) -> list[Watch]:
    """Take up to ``limit`` due watches for ``owner`` for ``lease`` seconds, in one write transaction.

    A watch is due when it is not paused, its ``next_due`` has come, and no other watcher holds an unexpired
    lease on it; a watcher killed mid-fetch leaves a lease that simply expires, and the watch is due again.
    ``checked_before`` leaves out watches fetched since that time (so a cycle fetches each watch once).
    """
    now = time.time() if now is None else now
    checked = now + 1 if checked_before is None else checked_before
    with transaction(conn):
        conn.execute(
            "UPDATE watches SET lease_owner = ?, lease_until = ? WHERE id IN ("
            "SELECT id FROM watches WHERE paused = 0 AND next_due <= ? AND lease_until <= ? "
            "AND COALESCE(last_checked, 0) < ? ORDER BY next_due, id LIMIT ?)",
            (owner, now + lease, now, now, checked, limit))
        rows = conn.execute("SELECT * FROM watches WHERE lease_owner = ? AND lease_until = ?",
                            (owner, now + lease)).fetchall()
    return [_watch(row) for row in rows]


def finish(conn: sqlite3.Connection, watch: Watch, owner: str, *, status: int | None, outcome: str, detail: str = "",
           source_id: str = "", etag: str | None = None, last_modified: str | None = None, error: bool = False,
           changed: bool = False, max_backoff: float = 86_400, now: float | None = None) -> float:
    """Record one fetch: log it, keep validators, schedule the next fetch (backing off exponentially after errors)
    and release the lease; returns the next due time. Does nothing to a watch another owner holds now."""
    now = time.time() if now is None else now
    failures = watch.failures + 1 if error else 0
    delay = min(float(watch.interval) * (2 ** failures), max_backoff) if error else float(watch.interval)
    next_due = now + delay
    with transaction(conn):
        held = conn.execute("SELECT 1 FROM watches WHERE id = ? AND lease_owner = ?", (watch.id, owner)).fetchone()
        if not held:
            return next_due
        conn.execute("INSERT INTO fetch_log (watch_id, at, status, outcome, detail, source_id) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (watch.id, now, status, outcome, detail[:2000], source_id))
        conn.execute("DELETE FROM fetch_log WHERE watch_id = ? AND id <= (SELECT id FROM fetch_log WHERE watch_id = ? "
                     "ORDER BY id DESC LIMIT 1 OFFSET ?)", (watch.id, watch.id, LOG_KEEP))
        conn.execute(
            "UPDATE watches SET next_due = ?, lease_until = 0, lease_owner = '', failures = ?, last_error = ?, "
            "last_checked = ?, last_changed = CASE WHEN ? THEN ? ELSE last_changed END, "
            "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified) WHERE id = ?",
            (next_due, failures, detail[:2000] if error else "", now, changed, now, etag, last_modified, watch.id))
    return next_due


def fetch_log(conn: Connection, watch_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The latest fetches of a watch, newest first."""
    rows = conn.execute("SELECT * FROM fetch_log WHERE watch_id = ? ORDER BY at DESC, id DESC LIMIT ?",
                        (watch_id, limit)).fetchall()
    return [{"at": iso(r["at"]), "status": r["status"], "outcome": r["outcome"], "detail": r["detail"] or None,
             "source_id": r["source_id"] or None} for r in rows]


def feed_items(conn: sqlite3.Connection, feed_id: int) -> set[str]:
    """URLs of the article watches a feed has created."""
    return {row[0] for row in conn.execute("SELECT url FROM watches WHERE parent_id = ?", (feed_id,))}


def record_headline(conn: sqlite3.Connection, article: str, at: str, title: str, source_id: str) -> None:
    """Note a headline seen for an article whose text did not change (no new version was stored)."""
    conn.execute("INSERT INTO headlines (article, at, title, source_id) VALUES (?, ?, ?, ?)",
                 (article, at, title, source_id))


def headlines(conn: sqlite3.Connection, article: str) -> list[dict[str, str]]:
    """Headline changes noted for an article, oldest first."""
    rows = conn.execute("SELECT at, title, source_id FROM headlines WHERE article = ? ORDER BY at, id", (article,))
    return [{"at": r["at"], "title": r["title"], "source_id": r["source_id"]} for r in rows]


def log_event(conn: Connection, action: str, subject: str, detail: str = "") -> None:
    """Keep an audit record of an editor's change (edit, remove, restore, watch added or removed)."""
    conn.execute("INSERT INTO events (at, action, subject, detail) VALUES (?, ?, ?, ?)",
                 (iso(time.time()), action, subject, detail[:2000]))


def events(conn: Connection, limit: int = 50) -> list[dict[str, str]]:
    """The latest audit records, newest first."""
    rows = conn.execute("SELECT at, action, subject, detail FROM events ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(r) for r in rows]
