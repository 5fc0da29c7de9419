"""The corpus catalogue: what each corpus file held when it was last parsed, kept in SQLite beside the search index
(``corpus/.parallax/catalogue.db``), so a server starts from the catalogue instead of parsing every file.

``CataloguedStore`` is the app's corpus store. It never walks the corpus on a request's path:

- at start it builds the corpus from the catalogue (files parsed only when the catalogue is empty);
- one process of a server leads: the one holding ``.parallax/rescan.lock`` (the others try to take it every
  ``LEAD_POLL_SECONDS``, so one takes over soon after the leader ends). It runs the file-system watcher
  (watchfiles: inotify on Linux), which reports files added, edited or removed by anyone, and re-reads just those;
  and a full rescan (stat every file) in the background every ``full_rescan`` seconds as a safety net, and once
  at start, for changes made while no server ran. What either finds it publishes in the corpus's change log
  (``parallax.changes.mark_changed``, naming the story folders), so every other process reads those folders at its
  next look. One watcher per server: inotify's per-user limit (often 8,192 to 200,000 folders) is not spent once
  per worker, and a million files are not listed once per worker;
- after a write by this process (``invalidate``) the next look lists only the story folders whose modification time
  moved, which any create, rename or unlink in them does, so the writer sees its own change at once;
- a process serving without watchers (``watch`` off) rescans for itself every ``rescan`` seconds.

The catalogue's database, and sources that read their text from their file on demand, are in
``parallax.index.catalogue``.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parallax import corpus as corpus_module
from parallax import corpus_store
from parallax.changes import STATE_FOLDER, FolderTimes, changed_since, folder_time, mark_changed, read_generation
from parallax.corpus import STORY_FILE, Story, is_candidate_name
from parallax.corpus_follow import follow
from parallax.corpus_store import CorpusStore
from parallax.corpus_update import Change, update_corpus
from parallax.corpus_watcher import WATCHING, watching_pid
from parallax.index.catalogue import CATALOGUE_FILE, Catalogue, Figures, Stamp

__all__ = ["CATALOGUE_FILE", "WATCHING", "Catalogue", "CataloguedStore", "Figures", "Stamp"]

log = logging.getLogger("parallax.catalogue")

#: Held (flock) by the one process of a server that runs the safety-net rescan while watchers run.
RESCAN_LOCK = Path(STATE_FOLDER) / "rescan.lock"


def _wanted(prefix: str, path: str) -> bool:
    """Whether a reported path (a full name) can matter to the corpus (whose folder's name with a trailing slash is
    ``prefix``): inside it, in no hidden folder."""
    parts = path[len(prefix):].split("/") if path.startswith(prefix) else ()
    return bool(parts) and not any(part.startswith(".") for part in parts)


class CataloguedStore(CorpusStore):
    """The corpus store of a server: starts from the catalogue, follows changes without walking the corpus.

    ``rescan`` 0 is the plain store: every file checked on every look, no catalogue, no threads."""

    def __init__(self, root: Path | str, max_bytes: int, rescan: float = 1.0, full_rescan: float = 600.0,
                 watch: bool = True, first_rescan: float = 10.0) -> None:
        super().__init__(root, max_bytes, rescan)
        self.catalogue = Catalogue(self.root / CATALOGUE_FILE)
        self.figures = Figures(self.catalogue)
        self.full_rescan = full_rescan
        self.first_rescan = first_rescan  # seconds after start before the first full rescan
        self.watch = watch
        self._saved: dict[str, Stamp] = {}
        self._saved_owners: dict[str, str] = {}
        self._folders = FolderTimes(0, {})
        self._in_folder: dict[str, set[str]] | None = None  # see _folder_index
        self._look = False
        self._threads_pid = 0
        self._stop = threading.Event()
        self.watching = False  # whether the server's watcher process runs with its watches in place
        self.behind = False  # this process missed more changes than the change log keeps (see ``get``)
        self._rescan_lock: int | None = None  # the rescan lock's descriptor, in the process that holds it
        weakref.finalize(self, self._stop.set)

    def get(self) -> corpus_module.Corpus:
        """The corpus as last brought in step; never a walk of the corpus (see the module's description)."""
        if self.rescan <= 0:  # every file checked on every look (tests, a tiny corpus): no catalogue, no threads
            return super().get()
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._start()
        if self._threads_pid != os.getpid():
            self._start_threads()
        if self._look or read_generation(self.root) != self._generation:  # a write by this or another process
            with self._lock:
                generation = read_generation(self.root)  # read before the look: a change during it is seen next
                if self._look or generation != self._generation:
                    self._look = False
                    moved = generation != self._generation
                    touched = changed_since(self.root, self._generation) if moved else None
                    if moved and touched is None:  # more changes than the log keeps: edits in place may be missed
                        self.behind = True  # by the folders' times; the follower thread stats every file
                    self._apply(self._changed_folders(touched))
                    self._generation = generation  # only now: a thread looking meanwhile waits for this update
        return self._corpus

    def prepare(self) -> None:
        """Build the corpus now, starting no thread: a server's master, before it forks (``parallax.serve``), so every
        worker shares one build and starts its own threads at its first look."""
        if self.rescan > 0:
            with self._lock:
                if not self._loaded:
                    self._start()
            self.catalogue.close()  # an SQLite connection must not be used on both sides of a fork

    def current(self) -> corpus_module.Corpus:
        """The corpus with every change the app made in any process read in (each look checks that already)."""
        return super().current() if self.rescan <= 0 else self.get()

    def invalidate(self) -> None:
        """After this process wrote a file: the next look lists the story folders that changed."""
        self._look = True

    def unread_files(self, source_id: str) -> list[str]:
        """As ``CorpusStore.unread_files``, but none while the server's watcher runs: it reports a new file within
        a fraction of a second, and looking for one id in every story folder is a stat per folder (125,000 at a
        million articles) that any request for an unknown id would cost."""
        if self.rescan > 0 and self.server_watches():
            return []
        return super().unread_files(source_id)

    def read_unread(self, paths: list[str]) -> corpus_module.Corpus:
        """Files found unread (written before the watcher told) read in: only their story folders, not every file."""
        if self.rescan <= 0:
            return super().read_unread(paths)
        with self._lock:
            self._apply({file for path in paths for file in self._folder_files(os.path.dirname(path))})
        return self._corpus

    def reload(self, progress: Any = None) -> corpus_module.Corpus:
        """A full rescan now (the command line's ``index`` and ``check``), saved to the catalogue."""
        if self.rescan <= 0:
            return super().reload(progress)
        with self._lock:
            self._generation = read_generation(self.root)
            self._full_rescan(progress)
        return self._corpus

    def _start(self) -> None:
        """Build the corpus from the catalogue, or parse every file when it is empty (the first start), with the
        grouping by article each source page reads and the files of each folder each look after a change reads;
        all of it is then kept out of the cycle collector's reach (``gc.freeze``): it lives as long as the server.
        Frozen before the collector runs again: its first run would otherwise look at every object just made."""
        with corpus_store.building_many():
            self._build_at_start()
            _ = self._corpus.articles
            self._folder_index()
            gc.freeze()

    def _build_at_start(self) -> None:
        """``_start``'s work (see there)."""
        self._generation = read_generation(self.root)
        try:
            parsed, owners = self.catalogue.read(self.root)
        except sqlite3.Error as error:
            log.warning("corpus catalogue %s cannot be read (%s): reading every file", self.catalogue.path, error)
            parsed, owners = {}, {}
        if parsed:
            self._parsed, self._owners = parsed, owners
            self._saved = {path: stamp for path, (stamp, _) in parsed.items()}
            self._saved_owners = dict(owners)
            self._rebuild()
            self._folders = self._folder_times()  # each story folder's modification time
        else:
            self._full_rescan()

    def _save(self, changes: Mapping[str, Change] | None = None) -> None:
        """Write what changed since the last save to the catalogue (a failure is logged: the corpus still serves);
        with ``changes``, only those files and the ids they concern are looked at."""
        if changes is None:
            paths: Iterable[str] = self._parsed.keys() | self._saved.keys()
            ids: Iterable[str] = self._owners.keys() | self._saved_owners.keys()
        else:
            paths = changes.keys()
            ids = {item.id for change in changes.values() for item in (change.old, change.new)
                   if isinstance(item, corpus_module.Source)}
        upserts, removed = [], []
        for path in paths:
            now, saved = self._parsed.get(path), self._saved.get(path)
            if now is None and saved is not None:
                removed.append((path, self._relative(path)))
            elif now is not None and now[0] != saved:
                upserts.append((path, self._relative(path), now[0], now[1]))
        owners_set = {i: self._owners[i] for i in ids if i in self._owners and self._saved_owners.get(i) !=
                      self._owners[i]}
        owners_gone = [i for i in ids if i in self._saved_owners and i not in self._owners]
        if not (upserts or removed or owners_set or owners_gone):
            return
        try:
            self.catalogue.write([(rel, stamp, item) for _, rel, stamp, item in upserts], [rel for _, rel in removed],
                                 owners_set, owners_gone)
        except sqlite3.Error as error:
            log.warning("corpus catalogue %s not updated: %s", self.catalogue.path, error)
            return
        for path, _, stamp, _ in upserts:
            self._saved[path] = stamp
        for path, _ in removed:
            del self._saved[path]
        self._saved_owners.update(owners_set)
        for i in owners_gone:
            del self._saved_owners[i]

    def background_rescan(self) -> None:
        """The safety net's pass: stat every file without holding the store (requests, writes and the watcher go
        on meanwhile), then re-read under it only the files that appeared, changed or went, and publish what
        changed to the other processes."""
        with self._lock:
            known = {path: stamp for path, (stamp, _) in self._parsed.items()}
        folders = self._folder_times()
        try:
            paths = corpus_store.walk_files(self.root) if self.root.is_dir() else []
        except OSError as error:
            log.warning("corpus folder %s cannot be listed: %s", self.root, error)
            return
        changed = set()
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                changed.add(path)  # a broken link, a loop, or gone: _apply decides
                continue
            if known.pop(path, None) != (st.st_mtime_ns, st.st_size, st.st_ino):
                changed.add(path)
        changed.update(known)  # files the corpus had that are gone
        with self._lock:
            touched = self._apply(changed)
            self._folders = folders
        self._publish(touched)

    def _publish(self, touched: set[str]) -> None:
        """Tell the other processes of a server which story folders changed outside the app (found by this, the
        leading process's watcher or rescan): they read those folders at their next look."""
        if touched and self.watch:
            try:
                mark_changed(self.root, touched)
            except OSError as error:  # a read-only corpus: the others' own looks still find it in time
                log.warning("cannot tell the other processes what changed in the corpus: %s", error)

    def leads_rescan(self) -> bool:
        """Whether this process watches and rescans the corpus: always when it serves without watchers, else only
        when it holds the rescan lock (taken here if free: the lock lasts as long as the process)."""
        if not self.watch:
            return True
        if self._rescan_lock is None:
            path = self.root / RESCAN_LOCK
            try:
                path.parent.mkdir(exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:  # a read-only corpus: each process keeps its own safety net
                log.info("rescan lock %s cannot be opened (%s): this process rescans for itself", path, error)
                return True
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._rescan_lock = fd
        return True

    @property
    def holds_lead(self) -> bool:
        """Whether this process holds the rescan lock (it can then publish to the change log the others read)."""
        return self._rescan_lock is not None

    def server_watches(self) -> bool:
        """Whether the server's watcher process runs with its watches in place (``WATCHING`` names a live one)."""
        return self.watching or (self.watch and watching_pid(self.root) is not None)

    def _full_rescan(self, progress: Any = None) -> None:
        """Stat every file, re-read the changed ones, save. Folder times are taken first: a file written during the
        walk moves its folder's time past them, so the next look after a write still lists that folder."""
        folders = self._folder_times()
        self._refresh(progress)
        self._folders = folders
        self._save()

    def _folder_times(self) -> FolderTimes:
        """Each story folder's modification time ('' for the corpus folder itself), and when they were taken."""
        taken = time.time_ns()
        folders = {}
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                        folders[entry.name] = entry.stat(follow_symlinks=False).st_mtime_ns
        except OSError:
            pass
        folders[""] = folder_time(self.root)
        return FolderTimes(taken, folders)

    def _changed_folders(self, touched: set[str] | None = None) -> set[str]:
        """Files to look at again: every file in, or known to be in, a folder the app's changes since the last look
        ``touched`` (as their log says: see ``parallax.changes``), or, when that is not known, every folder whose
        modification time moved; and the folders noted within a clock tick of a change."""
        before, paths = self._folders, set[str]()
        racy = before.racy()
        if touched is None:
            self._folders = self._folder_times()  # a later look lists only the folders that changed
            now = self._folders.times
            names = {name for name in now.keys() | before.times.keys()
                     if before.times.get(name) != now.get(name) or name in racy}
        else:  # a few stats, however many story folders the corpus holds
            names = {name for name in touched if not any(part.startswith(".") for part in name.split("/"))}
            self._folders = before.updated(self.root, names | racy)
            names |= racy
        for name in names:
            paths |= self._folder_files(os.path.join(self.root, name) if name else str(self.root))
        return paths

    def _folder_files(self, folder: str) -> set[str]:
        """The candidate files of one folder (a full name) now, plus the files the corpus knew there (to notice
        removals)."""
        folder = folder.rstrip("/")
        if folder != str(self.root) and not folder.startswith(self._prefix):
            return set()
        found = set(self._folder_index().get(self._relative(folder) if folder != str(self.root) else "", ()))
        try:
            with os.scandir(folder) as entries:
                found |= {entry.path for entry in entries
                          if entry.name == STORY_FILE or is_candidate_name(entry.name)}
        except OSError:
            pass
        return found

    def _folder_index(self) -> dict[str, set[str]]:
        """The files known in each folder (by its name relative to the corpus), made once after a full build and
        kept in step by each change: a look at one folder never goes over every file."""
        if self._in_folder is None:
            index: dict[str, set[str]] = {}
            for path in self._parsed:
                index.setdefault(self._relative(path).rpartition("/")[0], set()).add(path)
            self._in_folder = index
        return self._in_folder

    def _rebuild(self) -> None:
        """The whole corpus built again (``CorpusStore._rebuild``); the folder index is made again on its next use."""
        super()._rebuild()
        self._in_folder = None

    def _apply(self, paths: Iterable[str]) -> set[str]:
        """Re-read the given files only (gone ones dropped), then bring the corpus and the catalogue in step: only
        what the changed files touch is built again (``update_corpus``), the whole corpus when that cannot be.
        Gives the story folders ('' for the corpus folder) whose files changed."""
        changes: dict[str, Change] = {}
        for path in paths:
            if not _wanted(self._prefix, path):
                continue
            try:
                st = os.stat(path)
            except OSError:
                try:
                    st = os.lstat(path)  # a broken link or a loop: still named as a problem
                except OSError:
                    gone = self._parsed.pop(path, None)
                    if gone is not None:
                        changes[path] = Change(self._relative(path), gone[1], None)
                    continue
            name = os.path.basename(path)
            if not (name == STORY_FILE or is_candidate_name(name)):
                continue
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            previous = self._parsed.get(path)
            if previous is None or previous[0] != stamp:
                rel = self._relative(path)
                self._parsed[path] = (stamp, self._last_good(path, self._load(path, rel)))
                changes[path] = Change(rel, previous[1] if previous else None, self._parsed[path][1])
        if not changes:
            return set()
        touched = {change.rel.rpartition("/")[0].split("/", 1)[0] for change in changes.values()}
        updated = update_corpus(self._corpus, list(changes.values()), self._owners, self._declared)
        if updated is None:
            self._rebuild()
            self._save()
            return touched
        for path, change in changes.items():
            if change.new is None:
                self._good.pop(path, None)
            if self._in_folder is not None:
                known = self._in_folder.setdefault(change.rel.rpartition("/")[0], set())
                (known.add if path in self._parsed else known.discard)(path)
        self._corpus = updated
        self._save(changes)
        return touched

    def _declared(self, slug: str) -> Story | None:
        """The story.yaml of a story folder as last read (None when it has none, or it does not load)."""
        item = self._parsed.get(os.path.join(self.root, slug, STORY_FILE))
        return item[1] if item is not None and isinstance(item[1], Story) else None

    def _start_threads(self) -> None:
        """Start this process's follower thread (after a fork, the child starts its own): it takes the lead when it
        can, and then watches and rescans (see ``_follow``)."""
        with self._lock:
            if self._threads_pid == os.getpid():
                return
            self._threads_pid = os.getpid()
            self._stop = threading.Event()
            weakref.finalize(self, self._stop.set)
            threading.Thread(target=follow, args=(weakref.ref(self), self._stop), name="parallax-corpus-rescan",
                             daemon=True).start()
