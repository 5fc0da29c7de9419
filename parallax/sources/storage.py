"""The corpus as a place to write: one write lock for every change, the file operations changes are made of, and
what a failed write means.

Adding, editing, moving, removing and restoring sources are written once (``ingest``, ``manage``) against ``Place``:
a write lock held for each change's read-check-write, and a few operations on files named by their path inside the
corpus (read, write a new file exclusively, replace, move, remove, list). ``FolderPlace`` is the corpus folder;
``parallax.store.writing.PostgresPlace`` is the PostgreSQL store that many app servers share.

In the folder, ``write_lock`` is a lock of this process (so threads queue without opening files) together with an
exclusive ``flock`` on ``.parallax/write.lock`` in the corpus (so worker processes and watchers queue too). A change
reads the corpus as it stands under the lock and acts on that, so no change is built on a state another one
replaced. Leaving the lock marks the corpus changed (``changes.mark_changed``, naming the story folders the change
touched): every process reads those folders again at its next look. Files are written to a flushed temporary file
and then linked or renamed into place, so none is seen half written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from parallax.changes import STATE_FOLDER, mark_changed

log = logging.getLogger("parallax.sources.storage")

LOCK_FILE = Path(STATE_FOLDER) / "write.lock"  # hidden: the loader never reads hidden folders

StorageCause = Literal["disk_full", "read_only", "storage"]

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class _Held(threading.local):
    """How deeply this thread holds the write lock of each corpus (the lock is re-entrant per thread)."""

    def __init__(self) -> None:
        self.depth: dict[Path, int] = {}
        self.touched: dict[Path, set[str]] = {}  # story folders written in during the outermost hold


_HELD = _Held()
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _process_lock(root: Path) -> threading.Lock:
    """The lock of this process for one corpus folder."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(root, threading.Lock())


def _open_lock_file(root: Path) -> int:
    """A descriptor of the corpus's lock file, created if needed (read-only when the file exists but cannot be
    opened for writing: ``flock`` needs no write access)."""
    path = root / LOCK_FILE
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        if not root.is_dir():
            raise
        path.parent.mkdir(exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:
        return os.open(path, os.O_RDONLY)


@contextlib.contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Hold the corpus's write lock (this process's lock, then the file lock all processes share).

    Re-entrant within a thread; leaving the outermost hold marks the corpus changed for every process.
    """
    root = Path(root).resolve()
    depth = _HELD.depth.get(root, 0)
    if depth:
        _HELD.depth[root] = depth + 1
        try:
            yield
        finally:
            _HELD.depth[root] = depth
        return
    with _process_lock(root):
        fd = _open_lock_file(root)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _HELD.depth[root] = 1
            _HELD.touched[root] = set()
            try:
                yield
            finally:
                _HELD.depth.pop(root, None)
                touched = _HELD.touched.pop(root, set())
                try:  # a hold that named no folder (a writer not going through a Place) may have changed any
                    mark_changed(root, touched or None)
                except OSError as error:  # the other processes still see the change at their next rescan
                    log.warning("could not mark the corpus %s changed: %s", root, error)
        finally:
            os.close(fd)  # closing the descriptor releases the file lock


def storage_cause(error: OSError) -> StorageCause:
    """What kind of storage failure an OSError is: the disk (or quota) full, the corpus read-only, or another."""
    if error.errno in _FULL:
        return "disk_full"
    if error.errno in _READ_ONLY:
        return "read_only"
    return "storage"


def storage_message(error: OSError, doing: str) -> str:
    """A sentence for an editor: what failed, why, and that nothing was changed."""
    cause = storage_cause(error)
    reason = error.strerror or str(error)
    if cause == "disk_full":
        return f"{doing} failed: the corpus disk is full ({reason}); nothing was changed. Free some space and retry."
    if cause == "read_only":
        return (f"{doing} failed: the corpus cannot be written ({reason}; a read-only disk or folder); nothing was "
                "changed.")
    return f"{doing} failed: the corpus could not be written ({reason}); nothing was changed."


def writable(root: Path) -> tuple[bool, str]:
    """Whether a file can be written in the corpus now (a tiny probe file, written and removed), and if not why."""
    root = Path(root)
    folder = root / STATE_FOLDER if (root / STATE_FOLDER).is_dir() else root
    probe = folder / f".write-probe-{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        cause = storage_cause(error)
        said = {"disk_full": "the disk is full", "read_only": "the corpus is read-only"}.get(cause, "cannot write")
        return False, f"{said} ({error.strerror or error})"
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return True, ""


# ---- the corpus as a place to write -----------------------------------------------------------------------------

class Place(Protocol):
    """Where changes to the corpus are written. Paths are relative to the corpus (``story/name.txt``,
    ``.trash/<entry>/entry.json``); every write is made while ``lock()`` is held."""

    kind: str
    name: str  # what the place is (a folder path, a database URL): keys memos of files read from it

    def lock(self) -> AbstractContextManager[None]:
        """Hold the write lock every writer shares, for one change; leaving it makes the change seen everywhere."""

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None when there is no such file."""

    def exists(self, path: str) -> bool:
        """Whether a file or a folder is at ``path``."""

    def stamp(self, path: str) -> Any:
        """What changes when the file at ``path`` does (its modification time and size), None when there is none."""

    def listing(self, folder: str) -> dict[str, Any]:
        """The files directly in a folder ('' for the top): name -> a stamp that changes when the file does."""

    def folders(self, folder: str) -> list[str]:
        """The names of the folders directly in a folder."""

    def source_names(self) -> set[str]:
        """The names (without suffix) of the source files in every story folder: the ids files are named after."""

    def write_new(self, path: str, data: bytes) -> bool:
        """Write a new file (its folders made as needed), never replacing one; False when ``path`` is taken."""

    def replace(self, path: str, data: bytes) -> None:
        """Write a file over the one at ``path`` in one step."""

    def move(self, path: str, to: str, replace: bool = False) -> bool:
        """Move a file (its new folders made as needed); False when ``to`` is taken, unless ``replace``."""

    def remove(self, path: str) -> None:
        """Remove a file (nothing when it is not there)."""

    def remove_folder(self, folder: str) -> None:
        """Remove a folder with everything in it, as far as it can be (a clean-up: never fails)."""

    def prune(self, folder: str) -> None:
        """Remove a folder when it is empty (a clean-up: never fails)."""


def place_of(where: Any) -> Place:
    """Where changes go: a folder given by its path, the place a corpus store writes to (its ``place``, else the
    folder at its ``root``), or a place given as it is."""
    if isinstance(where, (str, os.PathLike)):
        return FolderPlace(Path(where))
    place = getattr(where, "place", None)
    if place is not None:
        return place  # type: ignore[no-any-return]
    if hasattr(where, "write_new"):
        return where  # type: ignore[no-any-return]
    return FolderPlace(Path(where.root))


def touched(root: Path, path: str) -> None:
    """Note, for the other processes, that the write-lock holder of this thread changes ``path`` (a corpus path):
    its story folder, and the corpus folder itself when a story folder comes or goes."""
    found = _HELD.touched.get(root)
    if found is not None:
        top, _, rest = path.partition("/")
        found.add(top)
        if not rest:
            found.add("")


class FolderPlace:
    """The corpus folder as a place to write."""

    kind = "folder"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.name = str(self.root)

    def _at(self, path: str) -> Path:
        """The file system path of a corpus path (refusing one that leaves the corpus)."""
        if path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"not a path inside the corpus: {path!r}")
        return self.root / path if path else self.root

    def lock(self) -> AbstractContextManager[None]:
        """The corpus's write lock (``write_lock``)."""
        return write_lock(self.root)

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None."""
        try:
            return self._at(path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def exists(self, path: str) -> bool:
        """Whether a file or folder is there."""
        return self._at(path).exists()

    def stamp(self, path: str) -> Any:
        """The file's modification time and size, or None."""
        try:
            info = self._at(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (info.st_mtime_ns, info.st_size)

    def listing(self, folder: str) -> dict[str, Any]:
        """Files in a folder with their (modification time, size, inode)."""
        found: dict[str, Any] = {}
        try:
            with os.scandir(self._at(folder)) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        info = entry.stat(follow_symlinks=False)
                        found[entry.name] = (info.st_mtime_ns, info.st_size, info.st_ino)
        except (FileNotFoundError, NotADirectoryError):
            pass
        return found

    def folders(self, folder: str) -> list[str]:
        """Folders in a folder."""
        try:
            with os.scandir(self._at(folder)) as entries:
                return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def source_names(self) -> set[str]:
        """Source file names in every story folder."""
        return {p.stem for suffix in ("txt", "md", "markdown") for p in self.root.glob(f"*/*.{suffix}")}

    def write_new(self, path: str, data: bytes) -> bool:
        """A flushed temporary file hard-linked to its name (which fails when the name is taken)."""
        target = self._at(path)
        touched(self.root, path)
        if not target.parent.exists():
            touched(self.root, path.partition("/")[0])  # a new story folder: the corpus folder changes too
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_exclusive(target, data)

    def replace(self, path: str, data: bytes) -> None:
        """A flushed temporary file in the same folder, renamed over the file."""
        target = self._at(path)
        touched(self.root, path)
        temp = write_temp(target, data)
        try:
            os.chmod(temp, 0o644)
            os.replace(temp, target)
            fsync_dir(target.parent)
        finally:
            temp.unlink(missing_ok=True)

    def move(self, path: str, to: str, replace: bool = False) -> bool:
        """A rename (replacing), or a hard link and an unlink (never replacing)."""
        source, target = self._at(path), self._at(to)
        touched(self.root, path)
        touched(self.root, to)
        if not target.parent.exists():
            touched(self.root, to.partition("/")[0])
        target.parent.mkdir(parents=True, exist_ok=True)
        if replace:
            os.replace(source, target)
        else:
            try:
                os.link(source, target)
            except FileExistsError:
                return False
            try:
                os.unlink(source)
            except OSError:
                target.unlink(missing_ok=True)
                raise
        fsync_dir(source.parent)
        fsync_dir(target.parent)
        return True

    def remove(self, path: str) -> None:
        """Unlink the file."""
        target = self._at(path)
        touched(self.root, path)
        target.unlink(missing_ok=True)
        fsync_dir(target.parent)

    def remove_folder(self, folder: str) -> None:
        """Remove the folder's tree."""
        touched(self.root, folder)
        shutil.rmtree(self._at(folder), ignore_errors=True)

    def prune(self, folder: str) -> None:
        """rmdir, when the folder is empty."""
        touched(self.root, folder)
        with contextlib.suppress(OSError):
            self._at(folder).rmdir()


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_exclusive(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, never replacing a file; False when ``path`` already exists.

    The bytes go to a hidden temporary file in the same folder (the loader skips names starting with '.'),
    are flushed to disk, and are then hard-linked to the final name, which fails if it exists.
    """
    temp = write_temp(path, data)
    try:
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        fsync_dir(path.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)


def write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new hidden temporary file beside ``path``, flushed to disk; removed again if writing fails."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as file:  # a buffered file writes everything (os.write may write less)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp
