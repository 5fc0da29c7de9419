"""The corpus as a place to write: one write lock for every change, and what a failed write means.

Every change the app makes to the corpus (adding, editing, moving, removing and restoring sources) holds
``write_lock``: a lock of this process (so threads queue without opening files) together with an exclusive
``flock`` on ``.parallax/write.lock`` in the corpus (so worker processes and watchers queue too). A change reads
the corpus as it stands under the lock and acts on that, so no change is built on a state another one replaced.
Leaving the lock marks the corpus changed (``corpus.mark_changed``): every process re-reads it on its next look.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from parallax.corpus import STATE_FOLDER, mark_changed

log = logging.getLogger("parallax.sources.storage")

LOCK_FILE = Path(STATE_FOLDER) / "write.lock"  # hidden: the loader never reads hidden folders

StorageCause = Literal["disk_full", "read_only", "storage"]

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class _Held(threading.local):
    """How deeply this thread holds the write lock of each corpus (the lock is re-entrant per thread)."""

    def __init__(self) -> None:
        self.depth: dict[Path, int] = {}


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
            try:
                yield
            finally:
                _HELD.depth.pop(root, None)
                try:
                    mark_changed(root)
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
