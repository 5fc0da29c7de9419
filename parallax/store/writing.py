"""The PostgreSQL store as a place to write (``parallax.sources.storage.Place``): what adding, editing, moving,
removing and restoring sources through the web do to the shared database.

A change holds one lock every app server and store watcher shares: a transaction on this thread's connection that
takes a transaction-level advisory lock (``WRITE_KEY``) before it reads anything. The change reads the corpus, checks
and writes inside that transaction, so a second server's change waits, then sees everything the first committed
(read committed: each statement sees what was committed before it began). Each write moves the generation number in
that transaction; on leaving, the transaction commits and every app server serves the change from its next request
on (``parallax.store.serving``). Any failure rolls the whole change back, so a change is made whole or not at all; a
database error is answered as a storage failure ("nothing was changed").

Files are rows of ``files`` keyed by their corpus path; the trash and kept pages are rows under hidden folders
(``.trash/…``, ``story/.originals/…``), stored but never served. Folders exist while a file is in them.
"""

from __future__ import annotations

import contextlib
import errno
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg

from parallax.corpus import SOURCE_SUFFIXES
from parallax.store.postgres import PostgresStore

#: The advisory lock held for each change to the corpus (the migration lock is another key).
WRITE_KEY = 727_022
#: How long a change waits for another server's change before it gives up (a failure, nothing changed).
LOCK_TIMEOUT = "30s"

T = TypeVar("T")


class _Held(threading.local):
    """Whether this thread holds the write lock (how deeply: the lock is re-entrant) and has written under it."""

    def __init__(self) -> None:
        self.depth = 0
        self.changed = False


def database_error(error: psycopg.Error) -> OSError:
    """A database failure as the storage failure the writers report (nothing was changed)."""
    return OSError(errno.EIO, f"the PostgreSQL store: {str(error).strip() or type(error).__name__}")


class PostgresPlace:
    """The PostgreSQL store as a place to write. ``forget`` is called when a change is rolled back, so a corpus
    read inside it (which may have seen its writes) is read again."""

    kind = "postgres"

    def __init__(self, store: PostgresStore, forget: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.name = store.url
        self.forget = forget
        self._held = _Held()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One transaction holding the shared advisory lock, committed on leaving (rolled back on an error)."""
        held = self._held
        if held.depth:
            held.depth += 1
            try:
                yield
            finally:
                held.depth -= 1
            return
        conn = self.store.conn
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_KEY,))
                held.depth, held.changed = 1, False
                try:
                    yield
                finally:
                    held.depth = 0
        except psycopg.Error as error:
            self._rolled_back()
            raise database_error(error) from error
        except BaseException:
            self._rolled_back()
            raise

    def _rolled_back(self) -> None:
        """After a change was rolled back: a corpus read after one of its writes is read again."""
        if self._held.changed:
            self._held.changed = False
            self.forget()

    def _query(self, sql: str, params: Any) -> list[dict[str, Any]]:
        """Rows of one read (a database failure is a storage failure)."""
        try:
            return self.store.conn.execute(sql, params).fetchall()
        except psycopg.Error as error:
            raise database_error(error) from error

    def _write(self, write: Callable[[], T]) -> T:
        """Run one write under the lock, in a savepoint (a failed write leaves the change able to undo itself)."""
        if not self._held.depth:
            raise RuntimeError("writes to the PostgreSQL store hold its write lock (place.lock())")
        try:
            with self.store.conn.transaction():
                result = write()
        except psycopg.Error as error:
            raise database_error(error) from error
        self._held.changed = True
        return result

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None."""
        rows = self._query("SELECT raw FROM files WHERE path = %s", (path,))
        return bytes(rows[0]["raw"]) if rows else None

    def stamp(self, path: str) -> Any:
        """The row's write time and size, or None."""
        rows = self._query("SELECT mtime_ns, length(raw) AS size FROM files WHERE path = %s", (path,))
        return (int(rows[0]["mtime_ns"]), int(rows[0]["size"])) if rows else None

    def exists(self, path: str) -> bool:
        """Whether a file is at ``path`` or under it."""
        rows = self._query("SELECT EXISTS (SELECT 1 FROM files WHERE path = %s OR starts_with(path, %s)) AS found",
                           (path, path.rstrip("/") + "/"))
        return bool(rows and rows[0]["found"])

    def listing(self, folder: str) -> dict[str, Any]:
        """Files directly in a folder with their write times."""
        prefix = folder.rstrip("/") + "/" if folder else ""
        rows = self._query("SELECT substr(path, %(n)s) AS name, mtime_ns FROM files WHERE starts_with(path, %(p)s) "
                           "AND strpos(substr(path, %(n)s), '/') = 0", {"p": prefix, "n": len(prefix) + 1})
        return {r["name"]: int(r["mtime_ns"]) for r in rows}

    def folders(self, folder: str) -> list[str]:
        """Folders directly in a folder (those holding a file)."""
        prefix = folder.rstrip("/") + "/" if folder else ""
        rows = self._query("SELECT DISTINCT split_part(substr(path, %(n)s), '/', 1) AS name FROM files "
                           "WHERE starts_with(path, %(p)s) AND strpos(substr(path, %(n)s), '/') > 0 ORDER BY 1",
                           {"p": prefix, "n": len(prefix) + 1})
        return [r["name"] for r in rows]

    def source_names(self) -> set[str]:
        """Source file names in every story folder."""
        suffixes = "|".join(s.lstrip(".") for s in SOURCE_SUFFIXES)
        rows = self._query("SELECT path FROM files WHERE path ~* %s", (rf"^[^./][^/]*/[^/]+\.({suffixes})$",))
        return {r["path"].rsplit("/", 1)[1].rsplit(".", 1)[0] for r in rows}

    def write_new(self, path: str, data: bytes) -> bool:
        """A row, unless the path is taken."""
        return self._write(lambda: self.store.add_file(path, data))

    def replace(self, path: str, data: bytes) -> None:
        """The row's bytes replaced (its source row and sentences too)."""
        self._write(lambda: self.store.put_file(path, data))

    def move(self, path: str, to: str, replace: bool = False) -> bool:
        """The row under its new path (re-read as a source there, or not when it goes to a hidden folder)."""
        def move() -> bool:
            raw = self.read(path)
            if raw is None:
                raise FileNotFoundError(errno.ENOENT, "no such file in the store", path)
            if replace:
                self.store.remove_files(to)
            elif self.read(to) is not None:
                return False
            self.store.remove_files(path)
            return self.store.add_file(to, raw)
        return self._write(move)

    def remove(self, path: str) -> None:
        """The row deleted (its source row and sentences with it)."""
        self._write(lambda: self.store.remove_files(path))

    def remove_folder(self, folder: str) -> None:
        """Every row under the folder deleted."""
        with contextlib.suppress(OSError):
            self._write(lambda: self.store.remove_files(folder, folder=True))

    def prune(self, folder: str) -> None:
        """Nothing: a folder without files does not exist here."""
