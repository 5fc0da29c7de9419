"""The watcher: fetches watched articles and feeds when due and keeps every real version in the corpus.

``python -m parallax.sources.watch --once`` runs one cycle (every due watch, then the articles new feed items added);
without ``--once`` it keeps running, sleeping until the next watch is due. Several watchers (and web servers) may
share one corpus: the state database is the coordination point (see ``parallax.sources.state``), and the save itself
re-reads the corpus and checks the text under a file lock, so no version is stored twice.

What counts as a new version (``parallax.cosmetic.cosmetic_text``, the rule set comparisons, timelines and the
overview share): the article text after cosmetic normalisation. Lines that are only an advertising label
("Advertisement", "Story continues below advertisement", "Sponsored"), a date line ("Updated 3 minutes ago", "Last
updated: 10:42 GMT", "Published 12 Sep 2023 09:15") or a stamp ("Feb. 2, 2025 Updated Feb. 3, 2025, 5:41 p.m. ET",
"By Jane Doe, 10:42 GMT") are dropped, and in the other
lines clock times ("10:42", "9.15pm GMT"), ISO time stamps, relative times ("5 minutes ago", "an hour ago") and
reader counters ("12 comments", "Shares: 1,204") become placeholders; whitespace runs become one space and blank
lines go. The phrases are English ones; pages in other languages only get the time and whitespace rules. A page
whose only change is such a line stores nothing. A headline change with the same normalised text is recorded in
the state database (the article's headline history) without a new version.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parallax.config import SettingError, load_settings
from parallax.corpus import Corpus, Source
from parallax.corpus_store import CorpusStore
from parallax.cosmetic import cosmetic_text
from parallax.sources import alerts, change_report, extract, feeds, ingest, notes, originals, state
from parallax.sources.fetch import FetchError
from parallax.sources.originals import keep_original, keep_pending, original_path, read_original
from parallax.sources.refetch import Fetched, fetch_conditional
from parallax.sources.watchlist import check_watch_url, literal_refusal

log = logging.getLogger("parallax.sources.watch")

CAPTURE_PREFIX = "watched: "  # the capture note of every version the watcher stores (it keeps the page too)
MAX_ROUNDS = 50  # claim rounds per cycle (feeds add due articles, fetched in the next round of the same cycle)

def cosmetic_hash(body: str, title: str = "", rules: Sequence[notes.Rule] = ()) -> str:
    """sha256 of the cosmetic text (with what the story's rules match taken out, when it has rules)."""
    text = cosmetic_text(body, title)
    return hashlib.sha256((notes.strip_rules(text, rules) if rules else text).encode("utf-8")).hexdigest()


# ---- politeness ---------------------------------------------------------------------------------------------------

class HostGate:
    """Spaces requests to one host at least ``delay`` seconds apart (slots are handed out in order)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, url: str) -> float:
        """Sleep until this host's next slot; the seconds slept."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.delay
        pause = slot - now
        if pause > 0:
            time.sleep(pause)
        return max(pause, 0.0)


def interleave_hosts(watches: list[state.Watch]) -> list[state.Watch]:
    """The watches reordered round-robin by host, so the threads fetch from different hosts at once."""
    by_host: dict[str, list[state.Watch]] = {}
    for item in watches:
        by_host.setdefault((urlsplit(item.url).hostname or "").lower(), []).append(item)
    queues = list(by_host.values())
    return [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]


# ---- one cycle ----------------------------------------------------------------------------------------------------

@dataclass
class CycleReport:
    """What one cycle did: outcomes counted, requests made, seconds taken."""

    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    seconds: float = 0.0
    stored: list[str] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for logs and benchmarks."""
        return {"outcomes": dict(self.outcomes), "requests": self.requests, "seconds": round(self.seconds, 3),
                "stored": list(self.stored), "alerts": dict(self.alerts)}


@dataclass(frozen=True)
class Outcome:
    """The result of processing one watch."""

    kind: str
    status: int | None = None
    detail: str = ""
    source_id: str = ""
    error: bool = False
    changed: bool = False
    etag: str | None = None
    last_modified: str | None = None


class Watcher:
    """Claims due watches from the state database and processes them on a bounded thread pool."""

    def __init__(self, settings: Mapping[str, Any], owner: str = "") -> None:
        self.settings = dict(settings)
        self.root = Path(self.settings["CORPUS_DIR"]).resolve()
        self.db = state.db_path(self.root, str(self.settings.get("STATE_DB") or ""))
        self.owner = owner or f"{os.uname().nodename}:{os.getpid()}:{os.urandom(3).hex()}"
        self._store = CorpusStore(self.root, int(self.settings["MAX_SOURCE_BYTES"]), rescan=0)
        self.gate = HostGate(float(self.settings["WATCH_HOST_DELAY"]))
        self.concurrency = max(1, int(self.settings["WATCH_CONCURRENCY"]))
        self._local = threading.local()
        self._save_lock = threading.Lock()
        # This process' threads take turns writing (SQLite's busy handler would make them sleep and retry).
        self._db_lock = threading.Lock()

    def conn(self) -> Any:
        """This thread's connection to the state database."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = state.connect(self.db)
        return conn

    def current_corpus(self) -> Corpus:
        """The corpus as it is on disk now (every file is stat'ed; only new or changed ones are parsed again)."""
        return self._store.get()

    def run_cycle(self) -> CycleReport:
        """Process every due watch (and articles that feeds add on the way) once."""
        report = CycleReport()
        started = time.monotonic()
        cycle_start = time.time()  # each watch is fetched at most once per cycle
        lease = float(self.settings["WATCH_LEASE_SECONDS"])
        # A batch must be done well within the lease even if all of it is on one host (politeness delay).
        delay = max(float(self.settings["WATCH_HOST_DELAY"]), 0.001)
        batch = max(self.concurrency, min(self.concurrency * 16, int(lease / delay / 2)))
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="parallax-watch") as pool:
            for _ in range(MAX_ROUNDS):
                claimed = state.claim_due(self.conn(), self.owner, lease, limit=batch, checked_before=cycle_start)
                if not claimed:
                    break
                for outcome in pool.map(self._process, interleave_hosts(claimed)):
                    report.outcomes[outcome.kind] += 1
                    report.requests += 1
                    if outcome.kind == "stored":
                        report.stored.append(outcome.source_id)
        report.alerts = self._send_alerts()
        report.seconds = time.monotonic() - started
        return report

    def _report_change(self, watch: state.Watch, outcome: Outcome) -> None:
        """Record a stored version or a new headline for the story's alerts and feed (a failure is logged only)."""
        try:
            with self._db_lock:
                change_report.record_watch_change(self.conn(), self.current_corpus(), self.settings, watch,
                                                  outcome.kind, outcome.source_id)
        except Exception:  # the version is stored; a report that cannot be made must not undo or stop that
            log.exception("watch %s: the change could not be recorded for alerts", watch.id)

    def _send_alerts(self) -> dict[str, int]:
        """Send the alerts that are due (bounded in time; failing channels back off), never raising."""
        try:
            with self._db_lock:
                return alerts.deliver_due(self.conn())
        except Exception:
            log.exception("alerts could not be sent")
            return {}

    def _process(self, watch: state.Watch) -> Outcome:
        """Fetch one watch and record what happened (never raises for a bad page or server)."""
        try:
            outcome = self._fetch_and_store(watch)
        except (FetchError, ingest.IngestError, feeds.FeedError, state.StateError) as error:
            outcome = Outcome("error", getattr(error, "http_status", None), str(error), error=True)
        except Exception as error:  # a bug must not stop the other watches; it is logged with its traceback
            log.exception("watch %s (%s) failed", watch.id, watch.url)
            outcome = Outcome("error", None, f"unexpected error: {type(error).__name__}: {error}", error=True)
        if outcome.error:
            log.warning("watch %s %s: %s", watch.id, watch.url, outcome.detail)
        with self._db_lock:
            state.finish(self.conn(), watch, self.owner, status=outcome.status, outcome=outcome.kind,
                         detail=outcome.detail, source_id=outcome.source_id, etag=outcome.etag,
                         last_modified=outcome.last_modified, error=outcome.error, changed=outcome.changed,
                         max_backoff=float(self.settings["WATCH_MAX_BACKOFF"]))
        if outcome.kind in ("stored", "headline"):
            self._report_change(watch, outcome)
        return outcome

    def _fetch_and_store(self, watch: state.Watch) -> Outcome:
        """The fetch itself and, for a 200, the article version or the feed's new items."""
        self.gate.wait(watch.url)
        fetched = fetch_conditional(watch.url, watch.kind, etag=watch.etag, last_modified=watch.last_modified,
                                    timeout=float(self.settings["FETCH_TIMEOUT"]),
                                    max_redirects=int(self.settings["FETCH_MAX_REDIRECTS"]),
                                    max_bytes=int(self.settings["MAX_UPLOAD_BYTES"]),
                                    allow_private=bool(self.settings["FETCH_ALLOW_PRIVATE"]))
        tags = {"etag": fetched.etag, "last_modified": fetched.last_modified}
        if fetched.http_status == 304:
            return Outcome("not-modified", 304, etag=tags["etag"], last_modified=tags["last_modified"])
        if watch.kind == "feed":
            added = self._add_feed_items(watch, fetched)
            return Outcome("feed", 200, f"{added} new item(s)" if added else "", changed=bool(added),
                           etag=tags["etag"], last_modified=tags["last_modified"])
        kind, source_id, detail = self._store_version(watch, fetched)
        return Outcome(kind, 200, detail, source_id, changed=kind in ("stored", "headline"), etag=tags["etag"],
                       last_modified=tags["last_modified"])

    def _add_feed_items(self, feed: state.Watch, fetched: Fetched) -> int:
        """Watch the feed's new article links, up to its item limit; how many were added."""
        items = feeds.parse_feed(fetched.body, fetched.url)
        conn = self.conn()
        added = 0
        with self._db_lock, state.transaction(conn):
            known = state.feed_items(conn, feed.id)
            room = feed.item_limit - len(known)
            for item in items:
                if room <= 0:
                    break
                if item.url in known:
                    continue
                try:
                    check_watch_url(item.url)
                    refusal = literal_refusal(item.url, bool(self.settings["FETCH_ALLOW_PRIVATE"]))
                except (state.StateError, FetchError):
                    refusal = "not an http(s) URL the watcher fetches"
                if refusal:  # a feed listing http://169.254.169.254/ gets no watch that fails on every fetch
                    log.info("feed %s: item link %r skipped (%s)", feed.id, item.url, refusal)
                    continue
                exists = conn.execute("SELECT 1 FROM watches WHERE story = ? AND url = ?",
                                      (feed.story, item.url)).fetchone()
                if exists:
                    continue
                state.add_watch(conn, feed.story, "article", item.url, feed.interval, parent_id=feed.id,
                                title=item.title)
                added += 1
                room -= 1
        return added

    @contextlib.contextmanager
    def _saving(self) -> Iterator[None]:
        """Hold the save lock of this process and of the corpus (a file lock other watchers respect)."""
        lock_path = self.db.parent / "save.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self._save_lock, open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _store_version(self, watch: state.Watch, fetched: Fetched) -> tuple[str, str, str]:
        """Extract the article and store it when its text changed: ('stored' | 'headline' | 'unchanged', id, note)."""
        html = extract.decode_html(fetched.body, fetched.charset)
        extracted = extract.from_html(html, fetched.url, capture=f"{CAPTURE_PREFIX}fetched from {fetched.url}; "
                                                                  "article text extracted by trafilatura")
        with self._saving():
            current = self.current_corpus()
            versions = current.articles.get(watch.url, [])
            latest: Source | None = versions[-1] if versions else None
            title = extracted.title or watch.title
            rules = notes.story_rules(self.conn(), watch.story)  # editors' "ignore changes like this"
            if latest is not None and (cosmetic_hash(latest.body, latest.title, rules)
                                       == cosmetic_hash(extracted.body, extracted.title, rules)):
                return self._headline(watch, latest, title)
            new = ingest.NewSource(
                story=watch.story, body=extracted.body, outlet=(latest.outlet if latest else "") or extracted.outlet,
                title=title, published=extracted.published or (latest.published if latest else ""),
                url=fetched.url, language=extracted.language or (latest.language if latest else "") or "en",
                attribution="stated" if extracted.outlet or (latest and latest.outlet) else "unknown",
                attribution_note=f"Author given by the page: {extracted.author}." if extracted.author else "",
                capture=extracted.capture, version_of=watch.url)
            # The page is written first, under a name made from the text, and given the version's id once the
            # version is saved: a watcher killed in between leaves a page that recover() attaches or drops.
            pending = keep_pending(self.root, watch.story, ingest.body_hash(new.body), fetched.body)
            try:
                saved = ingest.save_source(self.root, current, new, int(self.settings["MAX_SOURCE_BYTES"]),
                                           watch.story)
            except BaseException as error:
                pending.unlink(missing_ok=True)
                if isinstance(error, ingest.DuplicateError):
                    return "unchanged", error.existing.id, f"same text as '{error.existing.id}'"
                raise
            os.replace(pending, original_path(self.root, saved))  # a fresh id: any page of that name is stale
        log.info("watch %s: new version %s of %s", watch.id, saved.id, watch.url)
        return "stored", saved.id, f"new version '{saved.id}'"

    def _headline(self, watch: state.Watch, latest: Source, title: str) -> tuple[str, str, str]:
        """Same text as the latest version: note a headline change, if any, else nothing."""
        conn = self.conn()
        seen = state.headlines(conn, watch.url)
        last_title = seen[-1]["title"] if seen and seen[-1]["at"] >= (latest.captured or "") else latest.title
        if title and title != last_title:
            with self._db_lock:
                state.record_headline(conn, watch.url, ingest.now_iso(), title, latest.id)
            return "headline", latest.id, f"headline changed to {title!r} (text unchanged)"
        return "unchanged", latest.id, ""

    def recover(self) -> dict[str, int]:
        """Finish what a killed watcher left half done with kept pages (``originals.recover``), at start and under
        the save lock, so that no save is under way."""
        with self._saving():
            done = originals.recover(self.root, self.current_corpus(), CAPTURE_PREFIX)
        if any(done.values()):
            log.info("kept pages after an interrupted save: %s", done)
        return done

    def next_due_in(self) -> float | None:
        """Seconds until the next unpaused watch is due (0 if one is due), None when nothing is watched."""
        row = self.conn().execute("SELECT MIN(MAX(next_due, lease_until)) FROM watches WHERE paused = 0").fetchone()
        return None if row[0] is None else max(0.0, float(row[0]) - time.time())


# ---- command line -------------------------------------------------------------------------------------------------

def check_now(conn: Any, watch_id: int) -> str | None:
    """Make a watch due at once ("Check now"); why not, when it cannot be (missing or paused), else None."""
    found = state.get_watch(conn, watch_id)
    if found is None:
        return f"no watch with id {watch_id}"
    if found.paused:
        return f"watch {watch_id} is paused: resume it first"
    conn.execute("UPDATE watches SET next_due = ?, last_checked = NULL WHERE id = ?", (time.time(), watch_id))
    return None


def nothing_due(conn: Any, wait: float | None) -> str:
    """Why a cycle fetched nothing: no watches, all paused, or when the next one is due and which."""
    total, paused = conn.execute("SELECT COUNT(*), COALESCE(SUM(paused), 0) FROM watches").fetchone()
    if not total:
        return "nothing was due: no article or feed is watched yet (add one on /watches or POST /api/watches)"
    if total == paused:
        return f"nothing was due: all {total} watches are paused"
    row = conn.execute("SELECT id, url FROM watches WHERE paused = 0 ORDER BY MAX(next_due, lease_until), id "
                       "LIMIT 1").fetchone()
    return (f"nothing was due: {total} watches ({paused} paused); the next, watch {row[0]} ({row[1]}), is due in "
            f"{round(wait or 0)} s (--now {row[0]} checks it at once)")


def main(argv: list[str] | None = None) -> int:
    """``python -m parallax.sources.watch [--once]``: run the watcher on the configured corpus."""
    parser = argparse.ArgumentParser(prog="python -m parallax.sources.watch", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument("--now", type=int, metavar="ID", help="check watch ID now (then run one cycle and exit)")
    parser.add_argument("--corpus", help="corpus folder (default: PARALLAX_CORPUS_DIR)")
    parser.add_argument("--concurrency", type=int, help="fetches at once (default: PARALLAX_WATCH_CONCURRENCY)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every fetch")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {}
    if args.corpus:
        overrides["CORPUS_DIR"] = args.corpus
    if args.concurrency:
        overrides["WATCH_CONCURRENCY"] = args.concurrency
    try:
        settings = load_settings(overrides=overrides)
    except SettingError as error:
        log.error("%s", error)
        return 2
    watcher = Watcher(settings)
    if not watcher.root.is_dir():  # never create a corpus (and its state folder) for a mistyped path
        log.error("no corpus folder at %s (set PARALLAX_CORPUS_DIR or --corpus)", watcher.root)
        return 2
    log.info("watcher %s on %s (state %s)", watcher.owner, watcher.root, watcher.db)
    try:
        watcher.recover()
    except OSError as error:  # an unwritable corpus: said, and the cycles report what they cannot store
        log.error("kept pages cannot be checked in %s: %s", watcher.root, error)
    if args.now is not None:
        refusal = check_now(watcher.conn(), args.now)
        if refusal:
            log.error("%s", refusal)
            return 1
        args.once = True
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while True:
        try:
            report = watcher.run_cycle()
            log.info("cycle: %s", report.to_dict() | {"stored": len(report.stored)})
            wait = watcher.next_due_in()
            if args.once and not report.requests:
                log.info("%s", nothing_due(watcher.conn(), wait))
        except (sqlite3.Error, state.StateError, OSError) as error:  # locked, corrupt or unwritable state database
            log.error("state database %s cannot be used: %s", watcher.db, error)
            if args.once:
                return 1
            wait = None  # the continuous watcher tries again after the poll interval
        if args.once or stop.is_set():
            return 0
        poll = float(watcher.settings["WATCH_POLL_SECONDS"])
        if stop.wait(poll if wait is None else min(max(wait, 1.0), poll)):
            return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["keep_original", "original_path", "read_original"]  # the kept pages, for the web pages and tests
