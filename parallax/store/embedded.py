"""The embedded store: the corpus folder's files, the watcher's SQLite state and the SQLite search index, as today.

This wraps the modules that own them (``parallax.corpus``, ``parallax.sources.state`` and ``notes``,
``parallax.index.search``) behind the storage interface; it changes none of them. Writes hold the corpus's write
lock (``parallax.sources.storage.write_lock``) like every other change to the corpus.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from parallax.corpus import Corpus, Source, is_candidate_name
from parallax.corpus_store import CorpusStore
from parallax.index.query import parse_query
from parallax.index.search import open_index
from parallax.sources import notes, state
from parallax.sources.storage import write_lock
from parallax.store.base import Found, StoredFile
from parallax.store.schema import state_columns

MAX_BYTES = 2_000_000
#: Folders of the corpus that hold derived data (the index, the catalogue, locks): rebuilt, never moved.
DERIVED = (".parallax",)


class EmbeddedStore:
    """A corpus folder with its state database beside it."""

    kind = "embedded"

    def __init__(self, root: Path | str, state_db: str = "", max_bytes: int = MAX_BYTES,
                 corpus: CorpusStore | None = None) -> None:
        self.root = Path(root)
        self.state_path = state.db_path(self.root, state_db)
        # Every file checked on every look, unless a store is given (a migration's, read from the catalogue).
        self._corpus = corpus if corpus is not None else CorpusStore(self.root, max_bytes, rescan=0)
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The state database, opened on first use."""
        if self._conn is None:
            self._conn = state.connect(self.state_path)
        return self._conn

    def corpus(self) -> Corpus:
        """The corpus as it stands now."""
        return self._corpus.get()

    def sources(self) -> list[Source]:
        """Every source, as the corpus loader reads it."""
        return list(self.corpus().sources.values())

    def get(self, source_id: str) -> Source | None:
        """The source with this id, or None."""
        return self.corpus().get(source_id)

    def versions(self, source_id: str) -> list[Source]:
        """Every capture of the source's article, oldest first."""
        corpus = self.corpus()
        source = corpus.get(source_id)
        return corpus.versions(source) if source else []

    def put_file(self, path: str, raw: bytes) -> Source | None:
        """Write one corpus file atomically under the write lock; the source it holds, if it is a source file."""
        target = self.root / path
        with write_lock(self.root):
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            temporary.write_bytes(raw)
            os.replace(temporary, target)
        self._corpus.invalidate()
        if not is_candidate_name(target.name):
            return None
        return next((s for s in self.sources() if s.path == path), None)

    def file_names(self) -> list[str]:
        """Every file of the corpus folder but derived data, by its name relative to the folder, in path order."""
        found = []
        for folder, dirs, names in os.walk(self.root):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not (here == self.root and d in DERIVED))
            for name in names:
                path = here / name
                if path.is_file() and not path.is_symlink():
                    found.append(path)
        return [path.relative_to(self.root).as_posix() for path in sorted(found)]

    def read_file(self, name: str) -> StoredFile:
        """One file of the corpus folder (a name ``file_names`` gave) with its bytes and modification time."""
        path = self.root / name
        return StoredFile(name, path.read_bytes(), path.stat().st_mtime_ns)

    def files(self) -> Iterator[StoredFile]:
        """Every file of the corpus folder but derived data, in path order (read one at a time)."""
        for name in self.file_names():
            yield self.read_file(name)

    def watches(self, story: str | None = None) -> list[state.Watch]:
        """Every watch (of one story when given)."""
        return state.list_watches(self.conn, story)

    def add_watch(self, story: str, kind: str, url: str, interval: int) -> state.Watch:
        """Add a watch, due at once."""
        return state.add_watch(self.conn, story, kind, url, interval)

    def add_note(self, story: str, left_id: str, right_id: str, mark: str, note: str = "",
                 author: str = "") -> int:
        """Keep an editor's mark on a change; its id."""
        return int(notes.add_note(self.conn, story, left_id, right_id, mark, note, author)["id"])

    def notes(self, story: str) -> list[dict[str, Any]]:
        """A story's notes, newest first."""
        return notes.story_notes(self.conn, story)

    def search(self, words: str, limit: int = 50) -> list[Found]:
        """Sentences holding every word (the SQLite FTS5 index, brought up to date first)."""
        index = open_index(self.root)
        try:
            index.sync(self.corpus())
            return [Found(hit.source, hit.story, hit.pos, hit.text)
                    for hit in index.search(parse_query(words), limit)]
        finally:
            index.close()

    def state_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one state table, by id."""
        if table not in state_columns():
            raise ValueError(f"no state table {table!r}")
        rows = self.conn.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608  # nosec B608
        return [dict(row) for row in rows]

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Put rows into one state table as they are, ids included."""
        if table not in state_columns() or not rows:
            return
        names = [column[0] for column in state_columns()[table]]
        sql = (f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608  # nosec B608
               f"VALUES ({', '.join('?' * len(names))})")
        with state.transaction(self.conn):
            self.conn.executemany(sql, [[row[name] for name in names] for row in rows])

    def counts(self) -> dict[str, int]:
        """Files, sources, articles with more than one version, and rows of each state table."""
        corpus = self.corpus()
        counted = {"files": len(self.file_names()), "sources": len(corpus.sources),
                   "versioned_articles": sum(1 for v in corpus.articles.values() if len(v) > 1)}
        for table in state_columns():
            counted[table] = int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608  # nosec B608
        return counted

    def close(self) -> None:
        """Close the state database."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
