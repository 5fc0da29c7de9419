"""Full-text search over every sentence of the corpus: an SQLite FTS5 index kept in step with it.

The index lives beside the corpus (``<corpus>/.parallax/search.db``, a hidden folder the loader never reads), in
WAL mode so several server processes can share it. It holds one row per source (``docs``), one per sentence
(``sent``, the FTS5 table's external content), and the reuse tables of ``parallax.index.reuse`` (sentence sketches
and the shared-sentence pairs they lead to). ``CorpusIndex.sync`` diffs the index against the corpus's content
keys and re-indexes only what was added, edited or removed, so it is cheap to call on every request. Queries come
parsed from ``parallax.index.query``; sentence positions from ``parallax.index.spans``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parallax.corpus import Corpus, Source
from parallax.corpus_store import load_corpus, require_folder
from parallax.index import reuse
from parallax.index.lag import Lag, diff, doc_key, stored_keys
from parallax.index.query import Query, QueryError
from parallax.index.spans import reading_document, sentence_spans, source_spans
from parallax.layered import changed_keys
from parallax.text import plain_document

log = logging.getLogger("parallax.index.search")

#: Bumped whenever the schema or what is stored changes: an index of another version is rebuilt from scratch.
SCHEMA_VERSION = "6"
#: Sentences returned by one search (best bm25 rank first), grouped by story afterwards.
RESULT_LIMIT = 200
#: Stories a suggestion lists at most (/api/suggest-story; the add flow preselects the first).
MAX_SUGGESTIONS = 5
#: Seconds a search may spend ranking its matches by bm25. Ranking costs time in proportion to the matches (a word
#: in one sentence in twenty takes ~100 ms at 100k articles); past this budget the search returns the most recently
#: indexed matches it finds within half as long again, marked unranked, so every search answers within ~50 ms
#: (bench/bench_corpus.py).
RANK_SECONDS = 0.03
#: Matches a search ranks at most: bm25 costs ~30 µs a match on this 2-core machine, so more than this many cannot
#: be ranked within RANK_SECONDS anyway. A search first counts its matches up to this many (reading no rank, ~1 ms)
#: and, past it, takes the unranked answer at once instead of spending the whole budget to learn it is too late.
RANK_ROWS = 2000
#: Sources indexed per transaction in a sync: readers see progress, an interrupted build keeps what it did.
COMMIT_EVERY = 500
#: Seconds a search waits for the index to take in changed sources (the sync runs on a thread of its own) before
#: it answers from what is committed: a large or hostile source being indexed never holds searches longer.
SYNC_WAIT = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL,
    story TEXT NOT NULL, outlet TEXT NOT NULL, outlet_fold TEXT NOT NULL, title TEXT NOT NULL,
    language TEXT NOT NULL, day TEXT NOT NULL, time TEXT NOT NULL, article TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_story ON docs(story);
CREATE TABLE IF NOT EXISTS sent(id INTEGER PRIMARY KEY, doc INTEGER NOT NULL, pos INTEGER NOT NULL,
    text TEXT NOT NULL, boilerplate INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sent_doc ON sent(doc, pos);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, content='sent', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS sketch(h INTEGER NOT NULL, sid INTEGER NOT NULL, doc INTEGER NOT NULL,
    PRIMARY KEY(h, sid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sketch_doc ON sketch(doc);
CREATE TABLE IF NOT EXISTS shared(a INTEGER NOT NULL, b INTEGER NOT NULL, da INTEGER NOT NULL,
    db INTEGER NOT NULL, score REAL NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS shared_da ON shared(da, db);
CREATE INDEX IF NOT EXISTS shared_db ON shared(db);
"""



def source_time(source: Source) -> str:
    """When a source appeared: its capture time, else its published date, else '' (unknown)."""
    return source.captured or source.published


@dataclass(frozen=True)
class Hit:
    """One matching sentence."""

    source: str
    story: str
    outlet: str
    title: str
    day: str
    pos: int
    text: str
    rank: float


class Results(list[Hit]):
    """Hits in order; ``ranked`` is False when ranking ran out of time and the newest indexed come first."""

    ranked: bool = True


@dataclass
class SyncStats:
    """What one sync changed."""

    added: int = 0
    removed: int = 0
    seconds: float = 0.0
    pairs: int = 0
    ids: list[str] = field(default_factory=list)


def default_path(corpus_dir: Path | str) -> Path:
    """Where the index of a corpus folder lives: ``<corpus>/.parallax/search.db``."""
    return Path(corpus_dir) / ".parallax" / "search.db"


class CorpusIndex:
    """The search and reuse index of one corpus folder, kept in step with the corpus by ``sync``."""

    #: Which matches an unranked search shows (too many to rank within the budget).
    unranked_order = "the most recently indexed come first"

    def __init__(self, path: Path | str | None) -> None:
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # guards the reading connection
        self._write = threading.Lock()  # one sync at a time in this process (other processes: BEGIN IMMEDIATE)
        self._db = self._connect()
        # A file index has a second connection for writing, so searches read the last committed state while a
        # long build runs (WAL); an in-memory one (tests) cannot share its data, so it uses one connection.
        self._writer = self._connect() if self.path != ":memory:" else self._db
        self._synced: Corpus | None = None
        self._lag = Lag(self._db, self._lock, self._connect if self.path != ":memory:" else None)
        self._commits = 0  # syncs by this object (an in-memory index's own writes move no data_version)
        self._facet_cache: tuple[tuple[int, int], list[str], list[str]] | None = None
        self._behind: tuple[threading.Thread, list[Any]] | None = None  # a sync started by a search, its outcome
        self._behind_lock = threading.Lock()
        #: Why the last sync failed ('' when it did not): the index then lags the corpus and searches would miss
        #: sources, so they are refused with this reason until a sync succeeds.
        self.unusable = ""
        self._create()

    def _connect(self) -> sqlite3.Connection:
        """A connection in autocommit mode (transactions are explicit), WAL for a file."""
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def _create(self) -> None:
        """Create the tables, dropping an index written by another schema version."""
        with self._lock, self._write:
            db = self._writer
            found = db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
            version = (db.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone() if found else None)
            if found and (version is None or version[0] != SCHEMA_VERSION):
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table') "
                                          "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fts_%'").fetchall():
                    db.execute(f'DROP TABLE IF EXISTS "{name}"')
            db.executescript(_SCHEMA)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        """Close the database."""
        with self._lock, self._write:
            self._db.close()
            if self._writer is not self._db:
                self._writer.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The reading connection (callers hold ``lock`` while using it)."""
        return self._db

    @property
    def lock(self) -> threading.RLock:
        """The lock that serialises use of the reading connection within this process."""
        return self._lock

    @property
    def updating(self) -> bool:
        """Whether a sync is running in this process (searches then see the index as last committed)."""
        return self._write.locked()

    def lag(self, corpus: Corpus) -> int | None:
        """How many sources the committed index lacks, holds out of date or holds no more (0 when in step), or None
        while that is not known yet (see ``parallax.index.lag``); a page asking again before the corpus changes
        costs nothing, and after a change only the changed sources are looked at."""
        return self._lag.of(corpus, self._synced)

    def sync(self, corpus: Corpus, progress: Callable[[int, int], None] | None = None,
             wait: bool = True) -> SyncStats:
        """Bring the index in step with the corpus: remove gone or changed sources, index new or changed ones.

        Work is committed every ``COMMIT_EVERY`` sources, so a long first build shows results as it goes and an
        interrupted one resumes where it stopped. With ``wait=False`` (a search) the sync runs on a thread of its own
        and the caller waits at most ``SYNC_WAIT`` seconds for it; while another thread syncs, it returns at once.
        """
        if corpus is self._synced:
            return SyncStats()
        if not wait and self._writer is not self._db:
            return self._sync_behind(corpus)
        if not self._write.acquire(blocking=wait):
            return SyncStats()
        started = time.perf_counter()
        shared = self._writer is self._db
        try:
            if shared:
                self._lock.acquire()
            stats = self._sync(corpus, progress)
            self.unusable = ""
        except (sqlite3.Error, OSError) as error:
            self.unusable = f"{error.strerror or error}" if isinstance(error, OSError) else str(error)
            raise
        finally:
            if shared:
                self._lock.release()
            self._write.release()
        stats.seconds = time.perf_counter() - started
        if stats.added or stats.removed:
            log.info("search index: %d source(s) indexed, %d removed in %.2fs", stats.added, stats.removed,
                     stats.seconds)
        return stats

    def _sync_behind(self, corpus: Corpus) -> SyncStats:
        """Sync on a thread of its own (one at a time), waiting ``SYNC_WAIT`` s for it: its stats if it finished,
        its error raised here if it failed by then (a later failure is logged), else empty stats."""
        with self._behind_lock:
            if self._behind is None or not self._behind[0].is_alive():
                if self._write.locked():  # another thread is syncing (the start-up build): answer at once
                    return SyncStats()
                outcome: list[Any] = []

                def run() -> None:
                    try:
                        outcome.append(self.sync(corpus))
                    except Exception as error:  # noqa: BLE001 - handed to the waiting search, or logged
                        outcome.append(error)
                        log.warning("search index sync failed: %s", error)

                thread = threading.Thread(target=run, name="parallax-index-sync", daemon=True)
                self._behind = (thread, outcome)
                thread.start()
            thread, outcome = self._behind
        thread.join(SYNC_WAIT)
        if thread.is_alive() or not outcome:
            return SyncStats()
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        found: SyncStats = outcome[0]
        return found

    def _sync(self, corpus: Corpus, progress: Callable[[int, int], None] | None) -> SyncStats:
        """The body of ``sync``, holding the write lock."""
        db = self._writer
        # After a change to the corpus last synced, only the sources it touched are compared.
        ids = changed_keys(self._synced.sources, corpus.sources) if self._synced is not None else None
        gone, new = diff(corpus, stored_keys(db, ids), ids)
        if gone or new:
            # Another process may have indexed the same change meanwhile: diff again under the write lock.
            db.execute("BEGIN IMMEDIATE")
            gone, new = diff(corpus, stored_keys(db, ids), ids)
        stats = SyncStats(added=len(new), removed=len(gone), ids=[s.id for s in new])
        if db.in_transaction:
            try:
                for source_id in gone:
                    self._remove(source_id)
                for number, source in enumerate(new):
                    stats.pairs += self._add(source)
                    if progress:
                        progress(number + 1, len(new))
                    if (number + 1) % COMMIT_EVERY == 0:
                        db.execute("COMMIT")
                        db.execute("BEGIN IMMEDIATE")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self._synced = corpus
        self._commits += 1
        return stats

    def suggest_story(self, text: str, most: int = MAX_SUGGESTIONS) -> list[tuple[str, float]]:
        """At most ``most`` stories whose sources already carry the text's sentences, best first, with the share
        carried (0..1): the add flow preselects the best on its confirm page, /api/suggest-story lists them."""
        document = plain_document(text.replace("\r\n", "\n"))
        sentences = [document.text[s.start:s.end] for s in sentence_spans(document)]
        with self._lock:
            return reuse.suggest_story(self._db, sentences)[:most]

    def _remove(self, source_id: str) -> None:
        """Delete one source, its sentences, sketches, shared pairs and the lineage edges a reuse job wrote for it
        (they described the text it had)."""
        row = self._writer.execute("SELECT n FROM docs WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            return
        n = row[0]
        for sid, text in self._writer.execute("SELECT id, text FROM sent WHERE doc = ?", (n,)).fetchall():
            self._writer.execute("INSERT INTO fts(fts, rowid, text) VALUES ('delete', ?, ?)", (sid, text))
        self._writer.execute("DELETE FROM sent WHERE doc = ?", (n,))
        self._writer.execute("DELETE FROM sketch WHERE doc = ?", (n,))
        self._writer.execute("DELETE FROM shared WHERE da = ?", (n,))
        self._writer.execute("DELETE FROM shared WHERE db = ?", (n,))
        if self._writer.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lineage'").fetchone():
            self._writer.execute("DELETE FROM lineage WHERE origin = ? OR carrier = ?", (source_id, source_id))
        self._writer.execute("DELETE FROM docs WHERE n = ?", (n,))

    def _add(self, source: Source) -> int:
        """Index one source: its row, its sentences (full text), their sketches and the pairs they share."""
        cursor = self._writer.execute(
            "INSERT INTO docs(id, key, story, outlet, outlet_fold, title, language, day, time, article) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source.id, doc_key(source), source.story, source.outlet, source.outlet.casefold(), source.title,
             source.language, (source.published or source.captured)[:10], source_time(source),
             source.article_key))
        n = int(cursor.lastrowid or 0)
        document = reading_document(source)
        rows = []
        for span in source_spans(source):
            rows.append((n, span.pos, document.text[span.start:span.end], int(span.boilerplate)))
        units: list[tuple[int, str]] = []
        for doc, pos, text, boilerplate in rows:
            sid = int(self._writer.execute("INSERT INTO sent(doc, pos, text, boilerplate) VALUES (?, ?, ?, ?)",
                                       (doc, pos, text, boilerplate)).lastrowid or 0)
            self._writer.execute("INSERT INTO fts(rowid, text) VALUES (?, ?)", (sid, text))
            if not boilerplate:
                units.append((sid, text))
        return reuse.index_units(self._writer, n, units)

    def search(self, query: Query, limit: int = RESULT_LIMIT) -> Results:
        """Sentences matching the query, best bm25 rank first, at most ``limit``."""
        where, args = ["fts MATCH ?"], [query.match()]
        if query.outlet:
            where.append("docs.outlet_fold = ?")
            args.append(query.outlet.casefold())
        for column, value in (("docs.story", query.story), ("docs.id", query.source),
                              ("docs.language", query.lang)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if query.date_from:
            where.append("docs.day != '' AND docs.day >= ?")
            args.append(query.date_from)
        if query.date_to:
            where.append("docs.day != '' AND substr(docs.day, 1, ?) <= ?")
            args.extend([str(len(query.date_to)), query.date_to])
        # Only fixed clauses are joined into the SQL; every value is bound.
        matches = ("FROM fts JOIN sent ON sent.id = fts.rowid JOIN docs ON docs.n = sent.doc "
                   f"WHERE {' AND '.join(where)}")
        sql = f"SELECT docs.id, docs.story, docs.outlet, docs.title, docs.day, sent.pos, sent.text, fts.rank {matches}"  # nosec B608
        probe = f"SELECT count(*) FROM (SELECT 1 {matches} LIMIT ?)"  # noqa: S608  # nosec B608
        with self._lock:
            ranking_ends = time.perf_counter() + RANK_SECONDS  # the count and the ranking share the budget
            counted = self._run(probe, [*args, str(RANK_ROWS + 1)], 1, ends=ranking_ends)
            args.append(str(limit))
            if counted is not None and counted[0][0] <= RANK_ROWS:
                ranked = self._run(sql + " ORDER BY fts.rank LIMIT ?", args, limit, ends=ranking_ends)
                if ranked is not None:
                    return Results(Hit(*row) for row in ranked)
            # Too many matches to rank in time (counted, or ranking ran out of time): the most recently indexed.
            found = Results(Hit(*row) for row in (self._run(sql + " ORDER BY fts.rowid DESC LIMIT ?", args, limit,
                                                            partial=True) or []))
            found.ranked = False
            return found

    def _run(self, sql: str, args: list[str], limit: int, partial: bool = False,
             ends: float | None = None) -> list[tuple[Any, ...]] | None:
        """Rows of a search query within its budget; None when it ran out of time (``partial``: the rows so far).

        Ranking gets RANK_SECONDS (until ``ends``, when given); the unranked fallback (``partial``) half of that.
        """
        deadline = ends if ends is not None else time.perf_counter() + (RANK_SECONDS / 2 if partial else RANK_SECONDS)
        self._db.set_progress_handler(lambda: int(time.perf_counter() > deadline), 500)
        rows: list[tuple[Any, ...]] = []
        try:
            for row in self._db.execute(sql, args):
                rows.append(row)
            return rows
        except sqlite3.OperationalError as error:
            if "interrupted" in str(error):
                return rows if partial else None
            raise QueryError(f"The search could not run this query ({error}).") from None  # not expected
        finally:
            self._db.set_progress_handler(None, 0)

    def outlets(self) -> list[str]:
        """Outlet names in the index, for the filter's choices."""
        return self._facets()[0]

    def languages(self) -> list[str]:
        """Languages in the index."""
        return self._facets()[1]

    def _facets(self) -> tuple[list[str], list[str]]:
        """Outlets and languages in the index, read again only after the index changed (a scan of every source
        row: a search page must not pay it each time at a million sources). ``data_version`` moves with every
        commit of another connection, this process's writer included."""
        with self._lock:
            key = (self._db.execute("PRAGMA data_version").fetchone()[0], self._commits)
            if self._facet_cache is None or self._facet_cache[0] != key:
                outlets = [r[0] for r in self._db.execute("SELECT DISTINCT outlet FROM docs WHERE outlet != '' "
                                                          "ORDER BY outlet_fold").fetchall()]
                languages = [r[0] for r in self._db.execute("SELECT DISTINCT language FROM docs ORDER BY 1")]
                self._facet_cache = (key, outlets, languages)
            return self._facet_cache[1], self._facet_cache[2]

    def count(self) -> tuple[int, int]:
        """Sources and sentences indexed."""
        with self._lock:
            docs = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]
            sents = self._db.execute("SELECT count(*) FROM sent").fetchone()[0]
        return int(docs), int(sents)


def open_index(corpus_dir: Path | str, path: Path | str | None = None) -> CorpusIndex:
    """The index of a corpus folder at ``path`` (default beside the corpus); in memory when that cannot be written."""
    target = Path(path) if path else default_path(corpus_dir)
    if not path and not Path(corpus_dir).is_dir():  # never make a corpus folder for its index
        log.warning("corpus folder %s does not exist; keeping the search index in memory", corpus_dir)
        return CorpusIndex(None)
    try:
        return CorpusIndex(target)
    except (OSError, sqlite3.Error) as error:
        log.warning("search index cannot be written at %s (%s); keeping it in memory", target, error)
        return CorpusIndex(None)


def build_index(corpus_dir: Path | str, progress: Callable[[int, int], None] | None = None,
                path: Path | str | None = None, max_bytes: int = 2_000_000,
                corpus: Corpus | None = None) -> SyncStats:
    """Bring a corpus folder's index up to date (the ``parallax index`` command's domain call), from ``corpus``
    when given (as the folder holds it now), else loading the folder.

    ``progress(done, total)`` is called after each source indexed. A missing corpus folder raises CorpusMissing.
    """
    require_folder(corpus_dir)
    index = open_index(corpus_dir, path)
    try:
        return index.sync(corpus if corpus is not None else load_corpus(corpus_dir, max_bytes), progress)
    finally:
        index.close()


def group_hits(hits: Iterable[Hit]) -> dict[str, list[Hit]]:
    """Hits grouped by story, stories in order of their best hit, hits in rank order."""
    grouped: dict[str, list[Hit]] = {}
    for hit in hits:
        grouped.setdefault(hit.story, []).append(hit)
    return grouped
