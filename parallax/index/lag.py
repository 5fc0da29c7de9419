"""How far the search index is behind a corpus, found without reading the whole corpus on a request's path.

A corpus made from an earlier one by a change shares its sources with it (``parallax.layered``): only the sources
the change touched are compared with the index. A process that has nothing to start from (its first look) measures
the whole corpus at once when it is small, and on a thread of its own when it is large (a million sources take
seconds); until then the lag is not known and pages use the index as last committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager

from parallax.corpus import Corpus, Source
from parallax.layered import changed_keys

log = logging.getLogger("parallax.index.search")

#: Sources a corpus may hold for its lag to be measured whole on the asking thread (about 0.1 s).
MEASURE_AT_ONCE = 20_000
#: Ids out of step the last measurement keeps, so the next corpus's lag is found from its changes alone.
IDS_KEPT = 10_000
#: Ids asked of the index in one query.
CHUNK = 500


def doc_key(source: Source) -> str:
    """What the index stores of a source: its content key and the metadata searches filter and show."""
    parts = [source.content_key, source.story, source.outlet, source.title, source.language, source.published,
             source.captured, source.article_key]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def stored_keys(db: sqlite3.Connection, ids: Collection[str] | None) -> dict[str, str]:
    """The index's key of each of these ids it holds (of every id it holds, with None)."""
    if ids is None:
        return dict(db.execute("SELECT id, key FROM docs").fetchall())
    found: dict[str, str] = {}
    listed = list(ids)
    for start in range(0, len(listed), CHUNK):
        chunk = json.dumps(listed[start:start + CHUNK])
        found.update(db.execute("SELECT id, key FROM docs WHERE id IN (SELECT value FROM json_each(?))",
                                (chunk,)).fetchall())
    return found


def diff(corpus: Corpus, stored: dict[str, str], ids: Iterable[str] | None = None) -> tuple[list[str], list[Source]]:
    """Ids the index holds out of step (gone or changed) and sources it lacks or holds out of date, among these
    ids (every source, with None)."""
    sources = corpus.sources
    if ids is None:
        wanted = {s.id: doc_key(s) for s in sources.values()}
    else:
        wanted = {i: doc_key(s) for i in ids if (s := sources.get(i)) is not None}
    gone = [i for i, k in stored.items() if wanted.get(i) != k]
    return gone, [sources[i] for i, k in wanted.items() if stored.get(i) != k]


def out_of_step(corpus: Corpus, stored: dict[str, str], ids: Iterable[str] | None = None) -> set[str]:
    """The ids (among these, or all) that the index holds out of step with the corpus or lacks."""
    gone, new = diff(corpus, stored, ids)
    return {*gone, *(s.id for s in new)}


class Lag:
    """The lag of one index (its reading connection, used under ``lock``) behind the corpora a process serves."""

    def __init__(self, db: sqlite3.Connection, lock: AbstractContextManager[object],
                 reader: Callable[[], sqlite3.Connection] | None = None) -> None:
        self._db, self._lock = db, lock
        #: Opens a connection of its own for a whole measure on a thread of its own (a file index: WAL readers do
        #: not wait for each other), so reading a million keys never holds the reading connection's lock that a
        #: page's shared passages wait on; None (an in-memory index) measures on ``db`` under ``lock``.
        self._reader = reader
        #: The last corpus measured, the ids out of step for it (None: more than IDS_KEPT) and how many.
        self._measured: tuple[Corpus, frozenset[str] | None, int] | None = None
        self._measuring: threading.Thread | None = None
        self._guard = threading.Lock()

    def of(self, corpus: Corpus, synced: Corpus | None) -> int | None:
        """How many sources the committed index lacks, holds out of date or holds no more, for this corpus (the
        index was last brought in step with ``synced`` by this process); None while not known yet."""
        if corpus is synced:
            return 0
        measured = self._measured
        if measured is not None and measured[0] is corpus:
            return measured[2]
        starts: list[tuple[Corpus, frozenset[str] | None, int]] = []
        if synced is not None:
            starts.append((synced, frozenset(), 0))
        if measured is not None:
            starts.append(measured)
        for earlier, differing, count in starts:
            ids = changed_keys(earlier.sources, corpus.sources)
            if ids is not None:
                with self._lock:
                    now = out_of_step(corpus, stored_keys(self._db, ids), ids)
                if differing is None:
                    return self._keep(corpus, None, count + len(now))  # an upper bound: the lag is large anyway
                return self._keep(corpus, (differing - ids) | now, 0)
        if len(corpus.sources) <= MEASURE_AT_ONCE:
            return self._measure(corpus)
        self._measure_behind(corpus)
        return None

    def _keep(self, corpus: Corpus, differing: set[str] | frozenset[str] | None, count: int) -> int:
        """Remember a corpus's measurement (its ids out of step only while few); the lag it gives."""
        if differing is not None:
            count = len(differing)
            differing = frozenset(differing) if count <= IDS_KEPT else None
        self._measured = (corpus, differing, count)
        return count

    def _measure(self, corpus: Corpus, own: bool = False) -> int:
        """Measure the whole corpus against the whole index (``own``: on a connection of its own, if it can)."""
        if own and self._reader is not None:
            db = self._reader()
            try:
                stored = stored_keys(db, None)
            finally:
                db.close()
        else:
            with self._lock:
                stored = stored_keys(self._db, None)
        return self._keep(corpus, out_of_step(corpus, stored), 0)

    def _measure_behind(self, corpus: Corpus) -> None:
        """Measure the whole corpus on a thread of its own (one at a time)."""
        with self._guard:
            if self._measuring is not None and self._measuring.is_alive():
                return

            def run() -> None:
                try:
                    self._measure(corpus, own=True)
                except sqlite3.Error as error:
                    log.warning("the search index's lag could not be measured: %s", error)

            self._measuring = threading.Thread(target=run, name="parallax-index-lag", daemon=True)
            self._measuring.start()
