"""The PostgreSQL store: the corpus and its state in one database that many app servers and watchers share.

Files are kept byte for byte (``files``); each source file also has a row in ``sources`` with the metadata queries
need, and its reading sentences in ``sentences`` with a ``tsvector`` column under a GIN index for search. Sources
are parsed from their stored bytes by the corpus's own parser, so a source read from PostgreSQL is the source the
file corpus gives. Sentence embeddings live in ``vectors`` as ``real[]`` (pgvector is not in Debian 12's archive),
keyed by model and text, and serve the engine's encoders as their persistent store. Connections come from a small
pool (psycopg 3); every statement binds its values.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row

from parallax.corpus import Corpus, CorpusError, Source, build_corpus, capture_order, is_candidate_name, parse_source
from parallax.index.spans import reading_document, source_spans
from parallax.sources import state
from parallax.sources.notes import MARKS
from parallax.store.base import Found, StoredFile
from parallax.store.claims import add_watch, sync_hosts, watch_of
from parallax.store.schema import LATER, SCHEMA_VERSION, SENTENCES_TSV, full_ddl, state_columns

MAX_BYTES = 2_000_000
#: Seconds a search may spend ranking (``ts_rank``) before it answers unranked, as the embedded index does.
RANK_MS = 60
#: A word in at least this share of sentences is not ranked: ranking reads every match, and at a million articles
#: a word this common matches hundreds of thousands of sentences (the share comes from the planner's statistics).
COMMON_SHARE = 0.01
#: Nor is a word with at least this many matches, whatever its share: ``ts_rank`` reads each match's row (~7 µs here,
#: 5,500 matches in 39 ms at a million articles), so more cannot be ranked within RANK_MS anyway.
RANK_ROWS = 8000
#: Seconds a process keeps the commonest words before reading the statistics again.
COMMON_REFRESH = 300.0
_MIGRATE_KEY = 727_021  # advisory lock held while a database is brought to the current schema


class SchemaMismatch(RuntimeError):
    """The database was made by another Parallax schema version."""


def _source_row(source: Source) -> tuple[str, ...]:
    """A source's row of the sources table."""
    return (source.id, source.path, source.story, source.outlet, source.title, source.published, source.captured,
            source.url, source.language, source.article_key, source.sha256, source.content_key, source.body)


def _sentence_rows(source: Source) -> list[tuple[str, int, str, bool]]:
    """A source's reading sentences as rows of the sentences table."""
    document = reading_document(source)
    return [(source.id, span.pos, document.text[span.start:span.end], span.boilerplate)
            for span in source_spans(source)]


def connect(url: str) -> psycopg.Connection[dict[str, Any]]:
    """A connection with rows as dicts, autocommit (each block takes its own transaction)."""
    conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
    # No JIT compilation: these are short queries whose estimated cost (a million-row table) would otherwise start
    # LLVM, ~0.5 s of compiling for a search that runs in milliseconds.
    conn.execute("SET jit = off")
    return conn


def ensure_schema(conn: psycopg.Connection[dict[str, Any]]) -> None:
    """Create the schema in a fresh database; refuse a database of another schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_KEY,))
        exists = conn.execute("SELECT to_regclass('px_meta') IS NOT NULL AS t").fetchone()
        if exists and exists["t"]:
            row = conn.execute("SELECT v FROM px_meta WHERE k = 'schema'").fetchone()
            version = row["v"] if row else ""
            if version != SCHEMA_VERSION:
                raise SchemaMismatch(f"the database has Parallax schema {version or 'none'}, this Parallax "
                                     f"needs {SCHEMA_VERSION}")
            conn.execute(LATER.encode())
            conn.execute(SENTENCES_TSV)  # back if a migration that dropped it to load faster did not finish
            return
        conn.execute(full_ddl().encode())
        conn.execute("INSERT INTO px_meta(k, v) VALUES ('schema', %s)", (SCHEMA_VERSION,))


class PostgresStore:
    """The store in PostgreSQL, at ``url`` (``postgresql://…``)."""

    kind = "postgres"

    def __init__(self, url: str, max_bytes: int = MAX_BYTES) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self._local = threading.local()
        self._common: tuple[float, frozenset[str]] | None = None  # see common_words
        ensure_schema(self.conn)

    @property
    def conn(self) -> psycopg.Connection[dict[str, Any]]:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = connect(self.url)
        return conn

    # -- corpus --------------------------------------------------------------------------------------------------

    def _parse(self, path: str, raw: bytes) -> Source:
        return parse_source(raw, path, self.max_bytes)

    def sources(self) -> list[Source]:
        """Every source, parsed from its stored bytes."""
        rows = self.conn.execute("SELECT f.path, f.raw FROM sources s JOIN files f ON f.path = s.path ORDER BY s.id")
        return [self._parse(r["path"], r["raw"]) for r in rows]

    def corpus(self) -> Corpus:
        """The corpus as the file loader builds it from the stored sources (stories grouped, versions ordered)."""
        return build_corpus(list(self.sources()))

    def get(self, source_id: str) -> Source | None:
        """The source with this id, or None."""
        row = self.conn.execute("SELECT f.path, f.raw FROM sources s JOIN files f ON f.path = s.path "
                                "WHERE s.id = %s", (source_id,)).fetchone()
        return self._parse(row["path"], row["raw"]) if row else None

    def versions(self, source_id: str) -> list[Source]:
        """Every capture of the source's article, oldest capture first (the corpus's own order)."""
        rows = self.conn.execute(
            "SELECT f.path, f.raw FROM sources s JOIN files f ON f.path = s.path WHERE s.article = "
            "(SELECT article FROM sources WHERE id = %s)", (source_id,)).fetchall()
        found = [self._parse(r["path"], r["raw"]) for r in rows]
        return sorted(found, key=lambda s: (capture_order(s.captured), s.id))

    def put_file(self, path: str, raw: bytes, mtime_ns: int = 0) -> Source | None:
        """Add or replace one file; a source file also gets its source row and sentences (in one transaction). A
        source file that does not load is kept as a file, as the file corpus keeps it (a problem, no source). The
        file's modification time is now unless given (app servers re-read the files whose time moved)."""
        return self._store_file(path, raw, mtime_ns, replace=True)[1]

    def add_file(self, path: str, raw: bytes) -> bool:
        """Add one file unless its path is taken (then nothing is written): whether it was added."""
        return self._store_file(path, raw, 0, replace=False)[0]

    def _store_file(self, path: str, raw: bytes, mtime_ns: int, replace: bool) -> tuple[bool, Source | None]:
        """Write one file (replacing one at its path, or not) with its source row; (written, its source)."""
        if path.startswith("/") or ".." in path.split("/") or not path.strip("/"):
            raise ValueError(f"not a path inside the corpus: {path!r}")
        source = None
        if served(path):
            try:
                source = self._parse(path, raw)
            except CorpusError:
                source = None
        mtime_ns = mtime_ns or time.time_ns()
        sql = ("INSERT INTO files(path, raw, mtime_ns) VALUES (%s, %s, %s) ON CONFLICT (path) DO UPDATE SET "
               "raw = excluded.raw, mtime_ns = excluded.mtime_ns RETURNING path" if replace else
               "INSERT INTO files(path, raw, mtime_ns) VALUES (%s, %s, %s) ON CONFLICT (path) DO NOTHING "
               "RETURNING path")
        with self.conn.transaction():
            written = self.conn.execute(sql, (path, raw, mtime_ns)).fetchone() is not None
            if not written:
                return False, None
            if source is not None:
                with self.conn.cursor() as cursor:
                    self._put_source(source, cursor)
            bump_generation(self.conn, [path])
        return True, source

    def remove_files(self, path: str, folder: bool = False) -> int:
        """Remove one file (with its source row and sentences), or every file under a folder; how many."""
        with self.conn.transaction():
            if folder:
                prefix = path.rstrip("/") + "/"
                ids = self.conn.execute("SELECT id FROM sources WHERE starts_with(path, %s)", (prefix,)).fetchall()
                gone = self.conn.execute("DELETE FROM files WHERE starts_with(path, %s)", (prefix,))
            else:
                ids = self.conn.execute("SELECT id FROM sources WHERE path = %s", (path,)).fetchall()
                gone = self.conn.execute("DELETE FROM files WHERE path = %s", (path,))
            if gone.rowcount:
                forget_reuse(self.conn, [r["id"] for r in ids])
                bump_generation(self.conn, [path.rstrip("/") + "/" if folder else path])
        return gone.rowcount

    def put_files(self, files: Sequence[StoredFile], sources: Sequence[Source]) -> None:
        """Store many files and the sources the corpus loader chose from them, in one transaction, into a store
        being filled from empty (a migration): files, sources and sentences are copied in (``COPY``), not inserted
        row by row."""
        with self.conn.transaction(), self.conn.cursor() as cursor:
            with cursor.copy("COPY files(path, raw, mtime_ns) FROM STDIN") as copy:
                for item in files:
                    copy.write_row((item.path, item.raw, item.mtime_ns))
            with cursor.copy("COPY sources(id, path, story, outlet, title, published, captured, url, language, "
                             "article, sha256, content_key, body) FROM STDIN") as copy:
                for source in sources:
                    copy.write_row(_source_row(source))
            with cursor.copy("COPY sentences(source_id, pos, text, boilerplate) FROM STDIN") as copy:
                for source in sources:
                    for row in _sentence_rows(source):
                        copy.write_row(row)
            bump_generation(cursor, None)

    @contextlib.contextmanager
    def bulk_loading(self) -> Iterator[None]:
        """While a migration fills the store from empty: the sentences' full-text index is dropped, and built once
        from every row at the end (PostgreSQL builds a GIN index many times faster than it grows one row by row)."""
        self.conn.execute("DROP INDEX IF EXISTS sentences_tsv")
        try:
            yield
        finally:
            self.conn.execute("SET maintenance_work_mem = '256MB'")
            self.conn.execute(SENTENCES_TSV)
            self.conn.execute("RESET maintenance_work_mem")
            self.conn.execute("ANALYZE files, sources, sentences")

    def _put_source(self, source: Source, cursor: psycopg.Cursor[Any], fresh: bool = False) -> None:
        """The source's row and its reading sentences (replacing any row with its id or path). A replaced source
        whose text or what orders it in time changed loses the shared pairs and lineage edges a reuse job wrote for
        it: they described what it was (``fresh``: the store is filled from empty, so there are none)."""
        run = cursor
        if not fresh:
            now = (source.id, source.content_key, source.story, source.outlet, source.published, source.captured)
            run.execute("SELECT id, content_key, story, outlet, published, captured FROM sources "
                        "WHERE id = %s OR path = %s", (source.id, source.path))
            forget_reuse(run, [r["id"] for r in run.fetchall() if tuple(r.values()) != now])
        run.execute("DELETE FROM sources WHERE id = %s OR path = %s", (source.id, source.path))
        run.execute(
            "INSERT INTO sources(id, path, story, outlet, title, published, captured, url, language, article, "
            "sha256, content_key, body) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            _source_row(source))
        rows = _sentence_rows(source)
        if rows:
            run.executemany("INSERT INTO sentences(source_id, pos, text, boilerplate) VALUES (%s, %s, %s, %s)", rows)

    def files(self) -> Iterator[StoredFile]:
        """Every stored file, in path order (read in batches: a large corpus never sits in memory at once)."""
        with self.conn.cursor(name="px_files", row_factory=dict_row) as cursor:
            conn = self.conn
            with conn.transaction():
                cursor.itersize = 500
                cursor.execute("SELECT path, raw, mtime_ns FROM files ORDER BY path")
                for row in cursor:
                    yield StoredFile(row["path"], bytes(row["raw"]), int(row["mtime_ns"]))

    # -- state ---------------------------------------------------------------------------------------------------

    def watches(self, story: str | None = None) -> list[state.Watch]:
        """Every watch (of one story when given), by story, feeds first, then URL."""
        rows = self.conn.execute("SELECT * FROM watches WHERE %(s)s::text IS NULL OR story = %(s)s "
                                 "ORDER BY story, kind DESC, url", {"s": story})
        return [watch_of(r) for r in rows]

    def add_watch(self, story: str, kind: str, url: str, interval: int, now: float | None = None) -> state.Watch:
        """Add a watch, due at once (its host joins the shared politeness schedule)."""
        return add_watch(self.conn, story, kind, url, interval, now=now)

    def add_note(self, story: str, left_id: str, right_id: str, mark: str, note: str = "",
                 author: str = "") -> int:
        """Keep an editor's mark on a change; its id."""
        if mark not in MARKS:
            raise ValueError(f"mark must be one of {', '.join(MARKS)}, not {mark!r}")
        row = self.conn.execute(
            "INSERT INTO notes (story, left_id, right_id, mark, note, author, at) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s) RETURNING id", (story, left_id, right_id, mark, note, author, state.iso(_now()))).fetchone()
        return int(row["id"]) if row else 0

    def notes(self, story: str) -> list[dict[str, Any]]:
        """A story's notes, newest first, in the shape the embedded store gives."""
        rows = self.conn.execute("SELECT * FROM notes WHERE story = %s ORDER BY id DESC", (story,))
        return [{"id": r["id"], "story": r["story"], "left": r["left_id"], "right": r["right_id"],
                 "row": r["row_key"] or None, "excerpt": r["excerpt"] or None, "mark": r["mark"],
                 "note": r["note"], "by": r["author"] or None, "at": r["at"]} for r in rows]

    def state_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one state table, by id (only the columns the embedded table has)."""
        names = [column[0] for column in _columns(table)]
        rows = self.conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY id")  # noqa: S608  # nosec B608
        return [dict(r) for r in rows]

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Put rows into one state table as they are, ids included; the id sequence moves past them."""
        if not rows:
            return
        names = [column[0] for column in _columns(table)]
        with self.conn.transaction(), self.conn.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608
                           f"(SELECT max(id) FROM {table}))")
            if table == "watches":
                sync_hosts(cursor)

    # -- search and vectors ----------------------------------------------------------------------------------------

    def search(self, words: str, limit: int = 50) -> list[Found]:
        """Sentences holding every word (``tsvector`` under GIN): ranked by ``ts_rank`` when that fits its time
        budget (RANK_MS), else the first matches found, so a common word answers as fast as a rare one."""
        query = " & ".join(f"'{w}'" for w in (part.replace("'", "") for part in words.split()) if w)
        if not query:
            return []
        sql = ("SELECT s.source_id, r.story, s.pos, s.text FROM sentences s JOIN sources r ON r.id = s.source_id "
               "WHERE s.tsv @@ to_tsquery('simple', %(q)s) AND NOT s.boilerplate ")
        if not self.worth_ranking(words):
            rows = self.conn.execute(sql + "LIMIT %(n)s", {"q": query, "n": limit}).fetchall()
            return [Found(r["source_id"], r["story"], r["pos"], r["text"]) for r in rows]
        try:
            with self.conn.transaction():
                self.conn.execute(f"SET LOCAL statement_timeout = {RANK_MS}")
                rows = self.conn.execute(sql + "ORDER BY ts_rank(s.tsv, to_tsquery('simple', %(q)s)) DESC, "
                                         "s.source_id, s.pos LIMIT %(n)s", {"q": query, "n": limit}).fetchall()
        except psycopg.errors.QueryCanceled:
            rows = self.conn.execute(sql + "LIMIT %(n)s", {"q": query, "n": limit}).fetchall()
        return [Found(r["source_id"], r["story"], r["pos"], r["text"]) for r in rows]

    def worth_ranking(self, words: str) -> bool:
        """Whether a search for these words is ranked: not when every word is among the commonest (each in
        ``COMMON_SHARE`` of sentences or more, as ANALYZE's statistics of the search column say), where ranking
        would read hundreds of thousands of matches only to run out of its time budget."""
        lexemes = {row["w"] for row in self.conn.execute(
            "SELECT lexeme AS w FROM unnest(to_tsvector('simple', %s))", (words,))}
        return not lexemes or not lexemes <= self.common_words()

    def common_words(self) -> frozenset[str]:
        """The words in at least ``COMMON_SHARE`` of sentences or in ``RANK_ROWS`` of them, from the planner's
        statistics (kept for ``COMMON_REFRESH`` seconds; empty before the first ANALYZE)."""
        now = time.monotonic()
        if self._common is None or now - self._common[0] > COMMON_REFRESH:
            row = self.conn.execute(
                "SELECT most_common_elems::text::text[] AS words, most_common_elem_freqs AS shares, "
                "(SELECT reltuples FROM pg_class WHERE oid = 'sentences'::regclass) AS sentences FROM pg_stats "
                "WHERE tablename = 'sentences' AND attname = 'tsv' AND schemaname = current_schema()").fetchone()
            least = min(COMMON_SHARE, RANK_ROWS / max(float(row["sentences"] or 0), 1.0)) if row else 1.0
            found = frozenset(word for word, share in zip(row["words"] or [], row["shares"] or [], strict=False)
                              if share >= least) if row else frozenset()
            self._common = (now, found)
        return self._common[1]

    def get_many(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors of those texts that have one (the encoders' persistent store)."""
        keys = {_text_key(t): t for t in texts}
        rows = self.conn.execute("SELECT text_key, vec FROM vectors WHERE model = %s AND text_key = ANY(%s)",
                                 (model, list(keys)))
        return {keys[r["text_key"]]: np.asarray(r["vec"], dtype=np.float32) for r in rows}

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Keep sentence vectors as ``real[]`` for every later process."""
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.executemany("INSERT INTO vectors(model, text_key, vec) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                               [(model, _text_key(t), [float(x) for x in v]) for t, v in vectors.items()])

    def counts(self) -> dict[str, int]:
        """Files, sources, articles with more than one version, and rows of each state table."""
        one = self.conn.execute(
            "SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM sources) AS sources, "
            "(SELECT count(*) FROM (SELECT article FROM sources GROUP BY article HAVING count(*) > 1) v) "
            "AS versioned_articles").fetchone() or {}
        counted = {k: int(v) for k, v in one.items()}
        for table in state_columns():
            row = self.conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()  # noqa: S608  # nosec B608
            counted[table] = int(row["n"]) if row else 0
        return counted

    def clear(self) -> None:
        """Empty every table (a fresh migration into a used database)."""
        tables = ["files", "sources", "sentences", "vectors", "sketches", "shared", "lineage", "host_schedule",
                  "versions", "editor_sessions", "drafts", *state_columns()]
        with self.conn.transaction():
            self.conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            bump_generation(self.conn, None)

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


#: Generations whose changed paths ``file_changes`` keeps: an app server that last read the corpus further back lists
#: every file's time instead (``parallax.store.serving``).
KEEP_CHANGES = 10_000
#: Every this many generations, the changes older than ``KEEP_CHANGES`` are dropped.
PRUNE_EVERY = 500


def bump_generation(conn: Any, paths: Sequence[str] | None) -> int:
    """Count one more change to the corpus's files and note which (file paths; a folder's path ending in '/'; None:
    any file may have changed): app servers reading the store re-read those when the generation moves
    (``parallax.store.serving``). The new generation number.

    The update holds the generation's row until the transaction ends, so writes take their numbers in the order they
    commit: a reader that saw number N has seen every change numbered N or less."""
    row = conn.execute("INSERT INTO px_meta(k, v) VALUES ('generation', '1') ON CONFLICT (k) "
                       "DO UPDATE SET v = (px_meta.v::bigint + 1)::text RETURNING v").fetchone()
    number = int(row["v"])
    conn.execute("INSERT INTO file_changes(generation, path) SELECT %s, unnest(%s::text[])",
                 (number, list(paths) if paths is not None else [None]))
    if number % PRUNE_EVERY == 0:
        conn.execute("DELETE FROM file_changes WHERE generation <= %s", (number - KEEP_CHANGES,))
        conn.execute("INSERT INTO px_meta(k, v) VALUES ('changes_after', %(n)s) ON CONFLICT (k) "
                     "DO UPDATE SET v = %(n)s", {"n": str(number - KEEP_CHANGES)})
    return number


def forget_reuse(conn: Any, source_ids: list[str]) -> None:
    """Drop the shared pairs and lineage edges a reuse job wrote for these sources (removed, or their text or times
    changed): the job's next run finds them again from what the sources hold now."""
    if source_ids:
        conn.execute("DELETE FROM shared WHERE a = ANY(%(ids)s) OR b = ANY(%(ids)s)", {"ids": source_ids})
        conn.execute("DELETE FROM lineage WHERE origin = ANY(%(ids)s) OR carrier = ANY(%(ids)s)", {"ids": source_ids})


def served(path: str) -> bool:
    """Whether the file loader reads a stored path as a source: a source file name outside hidden folders (the trash
    and kept pages are stored, never served)."""
    parts = path.split("/")
    return is_candidate_name(parts[-1]) and not any(part.startswith(".") for part in parts[:-1])


def _columns(table: str) -> list[tuple[str, str, bool, str]]:
    """The columns of a state table (refusing any other name: table names are spliced into SQL)."""
    columns = state_columns().get(table)
    if columns is None:
        raise ValueError(f"no state table {table!r}")
    return columns


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> float:
    import time
    return time.time()

