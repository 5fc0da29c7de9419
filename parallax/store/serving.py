"""The app's corpus read from PostgreSQL (``PARALLAX_DATABASE_URL``), so app servers on many hosts serve one corpus.

Every store write bumps a generation number in the database (``px_meta``), notes the paths it changed under that
number (``file_changes``) and gives the file its write time. Each time a request reads the corpus, its thread looks
at that number (one primary-key read on its own connection, no lock shared with the process's other threads); when
it moved, the process reads the paths changed since the number it last read, re-reads just those files and brings
its corpus in step by touching only what they concern (``parallax.corpus_update``, as the file corpus does), so a
write costs every server a few reads whatever the corpus's size. When that cannot be told (its first read, a
migration, a folder removed, a rolled-back read, more changes than the log keeps) it lists every file's path and
time (not their bytes), re-reads the files whose time changed and builds the corpus with the file loader's own rules
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parallax import corpus as files
from parallax.corpus import Corpus, CorpusError, Problem, Source, Story, build_corpus, parse_source, parse_story
from parallax.corpus_update import Change, update_corpus
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
        self._owners: dict[str, str] = {}  # source id -> the path holding it (``update_corpus`` keeps it in step)
        self._good: dict[str, Source] = {}  # the last committed version of each file that loaded (as the file corpus)
        self._number: int | None = None  # the generation number the corpus holds every change of (None: not known)
        # Files read inside a change not yet committed (a writer reading its own writes): read again at every look,
        # since the change may roll back, its number then taken by another writer's change.
        self._tentative: set[str] = set()
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

    def prepare(self) -> None:
        """Read the corpus now and close this thread's connection: a server's master, before it forks
        (``parallax.serve``), so its workers share one read instead of each reading every file at its first request
        (a connection must not be used on both sides of a fork; each worker opens its own)."""
        self.get()
        self.store.close()

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
            self._read, self._number = (None, self._read[1]), None
            self._tentative.clear()

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
            self._read, self._number = (None, self._read[1]), None
            self._refresh()
            return self._read[1]

    def generation(self) -> str:
        """The database's generation: its number with the transaction that wrote it ('' before the first write).
        The number alone could name two states: a write rolled back after a reader inside it saw its number, and
        another server's write that committed the same number; the writing transaction tells them apart."""
        row = self.store.conn.execute("SELECT v, xmin::text AS by FROM px_meta WHERE k = 'generation'").fetchone()
        return f"{row['v']}/{row['by']}" if row else ""

    def _refresh(self) -> None:
        """Bring the corpus in step with the database when its generation moved (holding the lock): the files changed
        since the number last read when the log tells them, else every file whose time moved."""
        since = self._number
        row = self.store.conn.execute(
            "SELECT m.v, m.xmin::text AS by, (SELECT v FROM px_meta WHERE k = 'changes_after') AS kept, c.*, "
            "pg_current_xact_id_if_assigned() IS NOT NULL AS writing "
            "FROM px_meta m, LATERAL (SELECT array_agg(DISTINCT path) AS paths, count(DISTINCT generation) AS noted "
            "FROM file_changes WHERE generation > %(since)s AND generation <= m.v::bigint) c "
            "WHERE m.k = 'generation'",
            {"since": since if since is not None else 2**62}).fetchone()  # one statement: one state of the database
        # Whether this thread is inside a change that has written (a transaction is given an id at its first write):
        # what it reads may then roll back. Before its first write, a change reads only what was committed.
        writing = bool(row and row["writing"])
        paths: list[str | None] = (row["paths"] or []) if row else []
        named = {path for path in paths if path is not None and not path.endswith("/")}  # files, not folders
        if row is None:  # nothing was ever written
            generation, number, told = "", None, False
        else:
            generation, number = f"{row['v']}/{row['by']}", int(row["v"])
            # Told when every generation since is in the log (a server of an earlier Parallax writes none) and
            # names only files: not any file (NULL), not a folder (listed in whole).
            told = (since is not None and int(row["kept"] or 0) <= since <= number
                    and row["noted"] == number - since and len(named) == len(paths))
        if generation == self._read[0]:
            return
        corpus = self._apply(sorted(named | self._tentative), writing) if told else None
        if corpus is None:
            corpus = self._rebuild(writing)
        if writing:  # what this change wrote may roll back: the number stays the one committed before it, and the
            # files are read again at the next look (after a full build, every file is: the number is not known)
            self._tentative |= named
            number = since if told else None
        else:
            self._tentative.clear()
        # One assignment: a thread never finds this generation with another corpus, or this corpus with another.
        self._read, self._number = (generation, corpus), number

    def _apply(self, paths: list[str], writing: bool) -> Corpus | None:
        """The corpus with these files re-read, built by touching only what they concern; None when the whole
        corpus must be built instead (``update_corpus`` says so: an id claimed twice, a file that does not load).
        ``writing``: read inside a change that has written (no version read is remembered as the last good)."""
        wanted = [path for path in paths if _wanted(path)]
        found = self._read_files(wanted)
        changes = []
        for path in wanted:
            old, new = self._files.get(path), found.get(path)
            if old is not new:
                changes.append(Change(path, old[1] if old else None, new[1] if new else None))
        owners = dict(self._owners)
        corpus = update_corpus(self._read[1], changes, owners, self._declared_with(found, wanted))
        if corpus is None:
            return None
        for path in wanted:
            if path in found:
                self._files[path] = found[path]
                item = found[path][1]
                if not writing and isinstance(item, Source):
                    self._good[path] = item
            else:
                self._files.pop(path, None)
                self._good.pop(path, None)
        self._owners = owners
        return corpus

    def _declared_with(self, found: dict[str, tuple[int, Source | Story | Problem]], wanted: list[str]
                       ) -> Callable[[str], Story | None]:
        """A story's story.yaml after these changes (``update_corpus``'s ``declared``)."""
        def declared(slug: str) -> Story | None:
            path = f"{slug}/{files.STORY_FILE}"
            held = found.get(path) if path in wanted else self._files.get(path)
            return held[1] if held is not None and isinstance(held[1], Story) else None
        return declared

    def _rebuild(self, writing: bool = False) -> Corpus:
        """The whole corpus built again: every file's time listed, those whose time changed re-read (``writing``: as
        ``_apply``)."""
        conn = self.store.conn
        times = {r["path"]: int(r["mtime_ns"]) for r in conn.execute("SELECT path, mtime_ns FROM files")
                 if _wanted(r["path"])}
        changed = [path for path, stamp in times.items() if self._files.get(path, (None,))[0] != stamp]
        for path in list(self._files):
            if path not in times:
                del self._files[path]
        self._files.update(self._read_files(changed))
        # The version of each source file that last loaded, never one read inside a change that has written (it may
        # roll back): every file that loads now, and for one that does not (or while writing), the one remembered.
        kept = {path: source for path, source in self._good.items()
                if path in self._files and (writing or isinstance(self._files[path][1], Problem))}
        if not writing:
            kept.update((path, item) for path, (_, item) in self._files.items() if isinstance(item, Source))
        self._good = kept
        items = [item for _, item in self._files.values()]
        items += [kept[path] for path, (_, item) in self._files.items() if isinstance(item, Problem) and path in kept]
        # Ids stay with the files that held them, even while one does not load (as the file corpus keeps them).
        owners = {source_id: path for source_id, path in self._owners.items() if path in self._files}
        corpus = build_corpus(items, owners, mtimes=times)
        owners.update((source_id, source.path) for source_id, source in corpus.sources.items())
        self._owners = owners
        return corpus

    def _read_files(self, paths: list[str]) -> dict[str, tuple[int, Source | Story | Problem]]:
        """These files as stored now (gone ones left out), each parsed unless its write time is the one read last."""
        found = {}
        for start in range(0, len(paths), 500):
            for row in self.store.conn.execute("SELECT path, raw, mtime_ns FROM files WHERE path = ANY(%s)",
                                               (paths[start:start + 500],)):
                known, stamp = self._files.get(row["path"]), int(row["mtime_ns"])
                found[row["path"]] = known if known and known[0] == stamp else (
                    stamp, self._parse(row["path"], bytes(row["raw"])))
        return found

    def _parse(self, path: str, raw: bytes) -> Source | Story | Problem:
        """What one stored file gives, by the file loader's rules (a story file, else a source in its folder): a
        source file that stops loading names its problem, and says so when the version that last loaded is served
        instead, as the file corpus does (``CorpusStore._last_good``; the versions are kept by ``_apply`` and
        ``_rebuild``)."""
        folder, _, name = path.rpartition("/")
        try:
            if name == files.STORY_FILE:
                return parse_story(raw, folder)
            source = files.in_its_folder(parse_source(raw, path, self.max_bytes), folder)
        except CorpusError as error:
            return Problem(path, str(error) + (files.STILL_SERVED if path in self._good else ""))
        return source

    def close(self) -> None:
        """Close this thread's database connection."""
        self.store.close()


def _wanted(path: str) -> bool:
    """Whether the file loader reads a stored path: story files and source files outside hidden folders."""
    parts = path.split("/")
    named = parts[-1] == files.STORY_FILE or files.is_candidate_name(parts[-1])
    return named and not any(part.startswith(".") for part in parts[:-1])
