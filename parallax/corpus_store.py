"""The corpus store: keeps the corpus in step with its folder (walks it, re-reads only changed files, keeps ids with
the files that held them and a file's last good version while it fails), and ``load_corpus`` for one read."""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from pathlib import Path

from parallax.changes import read_generation
from parallax.corpus import (
    SLUG_RE,
    SOURCE_SUFFIXES,
    STILL_SERVED,
    STORY_FILE,
    SURROGATE_RE,
    Corpus,
    CorpusError,
    Problem,
    Source,
    Story,
    build_corpus,
    in_its_folder,
    is_candidate_name,
    parse_source,
    parse_story,
    printable,
)

_PATH = attrgetter("path")
log = logging.getLogger("parallax.corpus")  # the corpus's log, whichever module reads the files


def walk_files(root: Path) -> list[str]:
    """Candidate and story file names under root (whatever they turn out to be: files, folders, links), as full
    path names in a stable order, never following links to folders nor entering hidden folders.

    Names stay text: a million ``Path`` objects cost seconds to make and to hash, and the store only needs names."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(folder, name) for name in (*dirs, *files)
                     if name == STORY_FILE or is_candidate_name(name))
    found.sort(key=lambda name: name.split(os.sep))  # the order sorted() gives the Paths
    return found


def _file_refusal(path: str) -> str | None:
    """Why this name cannot be read as a file (a folder, a broken link or link loop, a device or pipe), or None."""
    try:
        info = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symbolic link loop (a link that leads back to itself)"
        if error.errno == errno.ENOENT and os.path.islink(path):
            return "is a broken symbolic link (its target does not exist)"
        return f"cannot be read: {error.strerror or error}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, socket or device)"
    return None


class CorpusMissing(FileNotFoundError):
    """The corpus folder does not exist: nothing starts on it (and nothing creates it), the message says how to."""


def require_folder(root: Path | str) -> Path:
    """The corpus folder, or CorpusMissing giving the command that creates one (a mistyped path must not become an
    empty corpus that serves nothing)."""
    folder = Path(root)
    if not folder.is_dir():
        raise CorpusMissing(f"no corpus folder at {folder}: create one with `mkdir -p {folder}` and add a story "
                            "folder of sources to it, or set PARALLAX_CORPUS_DIR to an existing corpus folder")
    return folder


@contextlib.contextmanager
def building_many() -> Iterator[None]:
    """Pause the cycle collector while the corpus is read or built: the objects made are long-lived and hold no
    cycles, yet each hundred thousand of them set off full collections that look at every one (half of a start on
    100,000 catalogued files). Reference counting still frees what is dropped meanwhile."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class CorpusStore:
    """Holds the current corpus and reloads what changed on disk, at most every ``rescan`` seconds, and at once when
    any process of the app changed it (``mark_changed``).

    Ids are stable: the file that held an id keeps it as long as that file exists, even while it fails to load;
    see ``build_corpus`` for who gets an id first. A file that loaded once and then fails (an editor's tool
    rewriting it in place, truncated and not yet written) keeps serving its last good version, named as a
    problem, until it loads again.
    """

    def __init__(self, root: Path | str, max_bytes: int, rescan: float = 1.0) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.rescan = rescan
        self._lock = threading.Lock()
        self._prefix = os.path.join(self.root, "")  # the corpus folder's name with a trailing slash
        self._parsed: dict[str, tuple[tuple[int, int, int], Source | Story | Problem]] = {}  # by full path name
        self._corpus = Corpus()
        self._checked = float("-inf")
        self._reported: set[Problem] = set()
        self._loaded = False
        self._owners: dict[str, str] = {}
        self._good: dict[str, Source] = {}  # the last version of each file that loaded
        self._generation = ""

    def get(self) -> Corpus:
        """The corpus as it stands on disk now (re-checked at most every ``rescan`` seconds, and at once after any
        process of the app changed it)."""
        generation = read_generation(self.root)
        if time.monotonic() - self._checked < self.rescan and generation == self._generation:
            return self._corpus
        with self._lock:
            generation = read_generation(self.root)  # read before the scan: a change during it is seen next time
            if time.monotonic() - self._checked >= self.rescan or generation != self._generation:
                self._refresh()
                self._checked = time.monotonic()
                self._generation = generation
        return self._corpus

    def current(self) -> Corpus:
        """The corpus with every change the app made in any process read in (``mark_changed``), whatever the rescan
        interval: what a writer holding the write lock acts on, and what is asked before an id is said not to exist."""
        self.get()  # loaded at least once
        with self._lock:
            generation = read_generation(self.root)
            if generation != self._generation:
                self._refresh()
                self._checked = time.monotonic()
                self._generation = generation
        return self._corpus

    def find(self, source_id: str) -> Source | None:
        """The source with this id; a miss re-checks the corpus for changes made by other processes first (a source
        added through another worker is found right after it was saved), and reads the whole folder again when a
        story folder holds a file named after the id that this store has not seen (``read_unread``)."""
        found = self.get().get(source_id)
        if found is None and SLUG_RE.match(source_id):
            found = self.current().get(source_id)
            if found is None:
                with self._lock:  # not midway through another thread's reading in of the files
                    found = self._corpus.get(source_id)
                    unread = self.unread_files(source_id) if found is None else []
                if unread:
                    found = self.read_unread(unread).get(source_id)
        return found

    def file_named(self, source_id: str) -> bool:
        """Whether some story folder holds a source file named after this id that this store has not read as it is
        now (see ``unread_files``)."""
        return bool(self.unread_files(source_id))

    def unread_files(self, source_id: str) -> list[str]:
        """The source files named after this id (as the app names the files it writes) that this store has not read
        as they are now: a few stats per story, no walk (a file that fails to load, already read, does not make
        every look for its id read the folder again)."""
        try:
            with os.scandir(self.root) as entries:
                folders = [e.path for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
        except OSError:
            return []
        unread = []
        for name in (os.path.join(folder, source_id + suffix) for folder in folders for suffix in SOURCE_SUFFIXES):
            try:
                st = os.stat(name)
            except OSError:
                continue
            known = self._parsed.get(name)
            if known is None or known[0] != (st.st_mtime_ns, st.st_size, st.st_ino):
                unread.append(name)
        return unread

    def read_unread(self, paths: list[str]) -> Corpus:
        """The corpus with files found unread (``unread_files``) read in: this store reads the whole folder again."""
        return self.reload()

    def _relative(self, path: str) -> str:
        """A file's name relative to the corpus folder, with forward slashes."""
        if path.startswith(self._prefix):
            return path[len(self._prefix):]
        return Path(os.path.relpath(path, self.root)).as_posix()

    def reload(self, progress: Callable[[int, int], None] | None = None) -> Corpus:
        """Re-check the folder now, whatever the rescan interval, telling ``progress(done, total)`` of each file."""
        with self._lock:
            generation = read_generation(self.root)
            self._refresh(progress)
            self._checked = time.monotonic()
            self._generation = generation
        return self._corpus

    def invalidate(self) -> None:
        """Make the next ``get`` re-check the folder (after the app itself wrote a file)."""
        self._checked = float("-inf")

    def _load(self, path: str, rel: str) -> Source | Story | Problem:
        """Parse one file, turning any failure into a Problem: whatever one file raises must not stop the others."""
        try:
            if SURROGATE_RE.search(rel):
                raise CorpusError("the file name is not valid UTF-8; rename it")
            refusal = _file_refusal(path)
            if refusal:
                raise CorpusError(refusal)
            if not os.path.realpath(path).startswith(self._prefix):
                raise CorpusError("links outside the corpus folder are not followed")
            with open(path, "rb") as file:
                raw = file.read()
            if os.path.basename(path) == STORY_FILE:
                return parse_story(raw, os.path.basename(os.path.dirname(path)))
            return in_its_folder(parse_source(raw, rel, self.max_bytes), rel.split("/", 1)[0] if "/" in rel else "")
        except CorpusError as error:
            return Problem(rel, str(error))
        except OSError as error:
            return Problem(rel, f"cannot be read: {error.strerror or error}")
        except RecursionError:
            return Problem(rel, "is nested too deeply to read")
        except Exception as error:  # the per-file boundary: one file never takes the corpus down
            log.exception("corpus file %s failed to load", printable(rel))
            return Problem(rel, f"could not be loaded ({type(error).__name__}: {error})")

    def _last_good(self, path: str, item: Source | Story | Problem) -> Source | Story | Problem:
        """Remember a source that loaded; a failure of a file that loaded before names the version still served."""
        if isinstance(item, Source):
            self._good[path] = item
        elif isinstance(item, Problem) and path in self._good:
            return Problem(item.path, item.reason + STILL_SERVED)
        return item

    def _refresh(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Stat every file, re-parse changed ones, and rebuild the corpus if anything changed.

        ``progress(done, total)`` is told of each file looked at (the command line shows it on a terminal).
        """
        with building_many():
            self._read_changed(progress)

    def _read_changed(self, progress: Callable[[int, int], None] | None) -> None:
        """``_refresh``'s work (see there)."""
        seen: dict[str, tuple[tuple[int, int, int], Source | Story | Problem]] = {}
        changed = False
        try:
            paths = walk_files(self.root) if self.root.is_dir() else []
        except OSError as error:
            log.warning("corpus folder %s cannot be listed: %s", self.root, error)
            paths = []
        for done, path in enumerate(paths, 1):
            if progress is not None:
                progress(done, len(paths))
            try:
                st = os.stat(path)
            except OSError:
                try:
                    st = os.lstat(path)  # a broken link or a link loop: still named as a problem
                except OSError:
                    continue  # vanished since it was listed
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            previous = self._parsed.get(path)
            if previous and previous[0] == stamp:
                seen[path] = previous
            else:
                seen[path] = (stamp, self._last_good(path, self._load(path, self._relative(path))))
                changed = True
        changed = changed or len(seen) != len(self._parsed) or not self._loaded  # a file gone, or the first look
        self._parsed = seen
        if changed:
            self._rebuild()

    def _rebuild(self) -> None:
        """Assemble the corpus from the parsed files (``_parsed``), keeping ids with the files that held them."""
        seen, prefix = self._parsed, self._prefix
        self._loaded = True
        self._good = {p: s for p, s in self._good.items() if p in seen}
        # Ids stay with files that are still there (by their printable names, as sources and problems carry them);
        # names that print as they are (all but a few) are looked up directly, without a million-entry set.
        odd = {printable(self._relative(p)) for p in seen if not p.isprintable()}
        owners = {i: owner for i, owner in self._owners.items() if prefix + owner in seen or owner in odd}
        items = [item for _, item in seen.values()]
        items += [self._good[p] for p, (_, item) in seen.items() if isinstance(item, Problem) and p in self._good]
        self._corpus = build_corpus(items, owners, _Mtimes(seen, prefix))
        sources = self._corpus.sources
        owners.update(zip(sources.keys(), map(_PATH, sources.values()), strict=True))  # in C: 1M pairs in ~0.2 s
        self._owners = owners
        for problem in set(self._corpus.problems) - self._reported:
            log.warning("corpus file skipped: %s: %s", problem.path, problem.reason)
        self._reported = set(self._corpus.problems)


class _Mtimes(Mapping[str, int]):
    """Each parsed file's modification time by its name relative to the corpus, read from the parsed files when
    asked (``build_corpus`` asks only when two files claim one id)."""

    def __init__(self, parsed: Mapping[str, tuple[tuple[int, int, int], object]], prefix: str) -> None:
        self._parsed, self._prefix = parsed, prefix

    def __getitem__(self, rel: str) -> int:
        return self._parsed[self._prefix + rel][0][0]

    def __iter__(self) -> Iterator[str]:
        return (name[len(self._prefix):] for name in self._parsed)

    def __len__(self) -> int:
        return len(self._parsed)


def load_corpus(root: Path | str, max_bytes: int = 2_000_000,
                progress: Callable[[int, int], None] | None = None) -> Corpus:
    """Load a corpus folder once; ``progress(done, total)`` is told of each file read."""
    return CorpusStore(root, max_bytes, rescan=0).reload(progress)
