"""The app's corpus read from PostgreSQL (``PARALLAX_DATABASE_URL``), so app servers on many hosts serve one corpus.

Every store write bumps a generation number in the database (``px_meta``) and gives the file its write time. Each
time a request reads the corpus, its thread looks at that number (one primary-key read on its own connection, no
lock shared with the process's other threads); when it moved, the process lists every file's path and time (not
their bytes), re-reads only the files whose time changed and rebuilds its corpus with the file loader's own rules
(ids, stories, versions, problems). A write made anywhere — another worker of the same server, a watcher on another
host, a migration, another app server's store — is therefore served by every worker of every app server to any
request that begins after the write was acknowledged: an editor who saves and reloads never sees the page as it was.

Adding a source (the add form, the JSON API, a batch), editing its metadata, moving it to another story, removing
it to the trash and restoring it through the web are written to the database (``place``, a
``parallax.store.writing.PostgresPlace``): each change holds one advisory lock every app server shares for its
read-check-write, in one transaction that moves the generation, so editors on several servers at once never lose an
acknowledged change and every server serves it from the next request on. Editors' marks and notes on comparison
rows and story rules are kept in the database's state tables (``parallax.store.state_sql`` runs the embedded store's
statements there), so every server lists them as soon as they are written; so are watch lists (added, paused,
resumed, checked now and removed through the web, a new watch joining its site's schedule for the store's
watchers, ``parallax.store.claims``) and alert channels; the outlet registry is a file of the store, saved under the
write lock. A change the web would keep in one server's own state is refused while the app reads PostgreSQL
(``refusal``), rather than written where no other server would see it; none is left.

Editors' sign-ins, their change log and the add form's draft between its two steps are kept in the database too,
so a load balancer may send an editor's requests to any server, and ``/search`` is answered by the database's search
column (``parallax.store.search``). The app's derived files (the index behind shared passages, lineage and story
suggestions, catalogue, sentence vectors) stay in the local corpus folder (``PARALLAX_CORPUS_DIR``), each host
building its own from the corpus it reads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from parallax import corpus as files
from parallax.corpus import Corpus, CorpusError, Problem, Source, Story, build_corpus, parse_source, parse_story
from parallax.store.postgres import PostgresStore
from parallax.store.writing import PostgresPlace


def refusal() -> str:
    """Why a server reading PostgreSQL does not take this change through the web."""
    return ("This server reads its corpus from the shared PostgreSQL store; this change would be kept in this "
            "server's own state database, where no other server sees it, so it is not taken here. Sources can be "
            "added, edited, moved, removed and restored, changes marked and noted, articles and feeds "
            "watched, alert channels kept and outlets edited.")


class DatabaseCorpus:
    """A corpus store over PostgreSQL with the interface the app uses (``get``, ``current``, ``find``,
    ``invalidate``, ``reload``, ``root``) and the place changes are written to (``place``)."""

    def __init__(self, url: str, root: Path | str, max_bytes: int) -> None:
        self.store = PostgresStore(url, max_bytes)
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        # The corpus with the generation it was read at, replaced as one pair: a thread that finds the database at
        # that generation serves that corpus, never a corpus of another generation.
        self._read: tuple[str | None, Corpus] = (None, Corpus())
        self._files: dict[str, tuple[int, Source | Story | Problem]] = {}  # path -> (its write time, its item)
        self.place = PostgresPlace(self.store, self.forget)

    def get(self) -> Corpus:
        """The corpus, re-read when the database changed since it was last read. The generation is read on this
        thread's own connection without the process's lock, so threads serving an unchanged corpus never wait on
        each other; only a moved generation takes the lock and re-reads."""
        generation, corpus = self._read
        if self.generation() == generation:
            return corpus
        with self._lock:
            self._refresh()
            return self._read[1]

    def current(self) -> Corpus:
        """The corpus as the database holds it now (what a change holding the write lock acts on): looked at again
        whatever another thread read a moment ago."""
        with self._lock:
            self._refresh()
            return self._read[1]

    def file_named(self, source_id: str) -> bool:
        """Never a file the corpus has not read: ``current`` reads every change in the database."""
        return False

    def forget(self) -> None:
        """Compare every file's write time on the next look (a change was rolled back after a read inside it)."""
        with self._lock:
            self._read = (None, self._read[1])

    def find(self, source_id: str) -> Source | None:
        """A source by id; a miss looks at the database first (a source another server added or restored a moment
        ago is found at once)."""
        return self.get().get(source_id) or self.current().get(source_id)

    def invalidate(self) -> None:
        """Nothing to do: every read looks at the database's generation."""

    def reload(self, progress: Any = None) -> Corpus:
        """Re-read every file."""
        with self._lock:
            self._files.clear()
            self._read = (None, self._read[1])
            self._refresh()
            return self._read[1]

    def generation(self) -> str:
        """The database's generation: its number with the transaction that wrote it ('' before the first write).
        The number alone could name two states: a write rolled back after a reader inside it saw its number, and
        another server's write that committed the same number; the writing transaction tells them apart."""
        row = self.store.conn.execute("SELECT v, xmin::text AS by FROM px_meta WHERE k = 'generation'").fetchone()
        return f"{row['v']}/{row['by']}" if row else ""

    def _refresh(self) -> None:
        """Re-read the files that changed, when the generation moved (holding the lock)."""
        generation = self.generation()
        if generation == self._read[0]:
            return
        conn = self.store.conn
        times = {r["path"]: int(r["mtime_ns"]) for r in conn.execute("SELECT path, mtime_ns FROM files")
                 if _wanted(r["path"])}
        changed = [path for path, stamp in times.items() if self._files.get(path, (None,))[0] != stamp]
        for path in list(self._files):
            if path not in times:
                del self._files[path]
        for start in range(0, len(changed), 500):
            for row in conn.execute("SELECT path, raw, mtime_ns FROM files WHERE path = ANY(%s)",
                                    (changed[start:start + 500],)):
                self._files[row["path"]] = (int(row["mtime_ns"]), self._parse(row["path"], bytes(row["raw"])))
        self._read = (generation, build_corpus([item for _, item in self._files.values()], mtimes=times))

    def _parse(self, path: str, raw: bytes) -> Source | Story | Problem:
        """What one stored file gives, by the file loader's rules (a story file, else a source in its folder)."""
        folder, _, name = path.rpartition("/")
        try:
            if name == files.STORY_FILE:
                return parse_story(raw, folder)
            return files.in_its_folder(parse_source(raw, path, self.max_bytes), folder)
        except CorpusError as error:
            return Problem(path, str(error))

    def close(self) -> None:
        """Close this thread's database connection."""
        self.store.close()


def _wanted(path: str) -> bool:
    """Whether the file loader reads a stored path: story files and source files outside hidden folders."""
    parts = path.split("/")
    named = parts[-1] == files.STORY_FILE or files.is_candidate_name(parts[-1])
    return named and not any(part.startswith(".") for part in parts[:-1])
