"""The corpus catalogue's SQLite file (``corpus/.parallax/catalogue.db``, beside the search index): what each corpus
file held when it was last parsed (metadata, content keys, word counts), which file holds each id, and per-story
figures computed once per state of a story's texts. ``parallax.catalogue.CataloguedStore`` reads and keeps it.

Sources built from it do not keep their bodies in memory: ``body`` is read from the file when asked for (a small
shared cache keeps the last ones read).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from parallax import corpus as corpus_module
from parallax.corpus import Problem, Source, Story

log = logging.getLogger("parallax.catalogue")

CATALOGUE_FILE = Path(".parallax") / "catalogue.db"
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    rel TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, ino INTEGER NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS owners (id TEXT PRIMARY KEY, path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS figures (kind TEXT NOT NULL, key TEXT NOT NULL, story TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, key));
"""
MAX_FIGURES_PER_STORY = 4  # older figures of a story (of texts since changed) are dropped
_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(Source) if f.name != "body")
_ROW_FIELDS = {*_SOURCE_FIELDS, "words", "content_key"}  # what a source's row holds
Stamp = tuple[int, int, int]
Item = Source | Story | Problem


class _LazyBody:
    """``body`` of a catalogued source: given when the file was just parsed, else read from the file when asked."""

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        body = obj.__dict__.get("_body")
        return body if body is not None else _read_body(obj.__dict__["_file"], obj.sha256)

    def __set__(self, obj: Any, value: str | None) -> None:
        obj.__dict__["_body"] = value


class CataloguedSource(Source):
    """A source whose body stays in its file until a page needs it; equal to a source with the same fields (its
    ``sha256`` stands for the body, so comparing never reads the file)."""

    body = _LazyBody()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Source):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _SOURCE_FIELDS)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in _SOURCE_FIELDS))


@functools.lru_cache(maxsize=64)
def _read_body(path: str, sha256: str) -> str:
    """The body of a source file (the text after its front matter), as a comparison reads it; '' if unreadable.

    ``sha256`` keys the cache: a file edited since is read again (and the watcher brings its metadata in step)."""
    try:
        raw = corpus_module.decode_utf8(Path(path).read_bytes())
    except (OSError, corpus_module.CorpusError) as error:
        log.warning("source file %s cannot be read: %s", corpus_module.printable(path), error)
        return ""
    opening = corpus_module.FENCE_RE.match(raw)
    closing = corpus_module.FENCE_RE.search(raw, opening.end()) if opening else None
    return raw[closing.end():] if closing else ""


def encode(item: Item) -> tuple[str, str]:
    """A parsed file as a catalogue row's kind and data (a source without its body, with its word count)."""
    if isinstance(item, Source):
        data = {name: getattr(item, name) for name in _SOURCE_FIELDS}
        data["words"], data["content_key"] = item.words, item.content_key
        return "source", json.dumps(data, ensure_ascii=False)
    if isinstance(item, Story):
        return "story", json.dumps(dataclasses.asdict(item), ensure_ascii=False)
    return "problem", json.dumps({"path": item.path, "reason": item.reason}, ensure_ascii=False)


#: Catalogue rows are JSON objects; msgspec reads them in less than half json's time (a start reads every row).
_ROWS = msgspec.json.Decoder(dict)


def decode(kind: str, data: str, file: Path | str) -> Item:
    """A catalogue row back as what the file parsed to; a source's body is read from ``file`` when needed."""
    values = _ROWS.decode(data)
    if kind == "source":
        if values.keys() != _ROW_FIELDS:
            raise ValueError(f"a catalogued source has the fields {sorted(values)}")
        # Fields set as the frozen dataclass would set them, without its per-field __setattr__ (a restart builds
        # every catalogued source: at 100k files this halves the time); words, content_key and article_key are
        # its cached_property values, as if computed.
        values["boilerplate"] = tuple(values["boilerplate"])
        source = object.__new__(CataloguedSource)
        source.__dict__.update(values, _body=None, _file=str(file),
                               article_key=values["version_of"] or values["url"] or values["id"])
        return source
    if kind == "story":
        return Story(**{**values, "source_ids": tuple(values["source_ids"])})
    return Problem(values["path"], values["reason"])


class Catalogue:
    """The SQLite file (WAL, shared by every process serving the corpus); one connection per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self.lock = threading.Lock()  # one transaction at a time on this process's connection

    @property
    def db(self) -> sqlite3.Connection:
        """This process's connection (a forked worker opens its own)."""
        if self._db is None or self._pid != os.getpid():
            try:
                self.path.parent.mkdir(exist_ok=True)  # never the corpus folder itself: a missing one is an error
            except OSError as error:
                raise sqlite3.OperationalError(f"cannot make {self.path.parent}: {error}") from None
            try:
                db = self._open()
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.OperationalError):
                    raise
                log.warning("corpus catalogue %s is damaged (%s): made anew", self.path, error)
                for extra in ("", "-wal", "-shm"):  # derived data only: the files rebuild it
                    Path(f"{self.path}{extra}").unlink(missing_ok=True)
                db = self._open()
            self._db, self._pid = db, os.getpid()
        return self._db

    def _open(self) -> sqlite3.Connection:
        """Connect, in WAL mode, with the current schema (an older one is dropped: the files rebuild it)."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS owners; DROP TABLE IF EXISTS "
                                 "figures;" + _SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};")
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close this process's connection (the next use opens one again)."""
        with self.lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None

    def read(self, root: Path) -> tuple[dict[str, tuple[Stamp, Item]], dict[str, str]]:
        """Every catalogued file (its full path name → stamp and parsed item) and which file holds each id."""
        parsed = {}
        for rel, mtime_ns, size, ino, kind, data in self.db.execute(
                "SELECT rel, mtime_ns, size, ino, kind, data FROM files"):
            name = f"{root}/{rel}"
            parsed[name] = ((mtime_ns, size, ino), decode(kind, data, name))
        return parsed, dict(self.db.execute("SELECT id, path FROM owners").fetchall())

    def write(self, upserts: Iterable[tuple[str, Stamp, Item]], removed: Iterable[str],
              owners_set: dict[str, str], owners_gone: Iterable[str]) -> None:
        """Record changed files and id owners in one transaction."""
        db = self.db
        with self.lock:
            self._write(db, upserts, removed, owners_set, owners_gone)

    @staticmethod
    def _write(db: sqlite3.Connection, upserts: Iterable[tuple[str, Stamp, Item]], removed: Iterable[str],
               owners_set: dict[str, str], owners_gone: Iterable[str]) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                           ((rel, *stamp, *encode(item)) for rel, stamp, item in upserts))
            db.executemany("DELETE FROM files WHERE rel = ?", ((rel,) for rel in removed))
            db.executemany("INSERT OR REPLACE INTO owners VALUES (?, ?)", owners_set.items())
            db.executemany("DELETE FROM owners WHERE id = ?", ((i,) for i in owners_gone))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class Figures:
    """Per-story figures (the similarity matrix behind "closest source") computed once for a state of the story's
    texts and kept in the catalogue, so no worker computes them again until a text changes."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    @staticmethod
    def key(sources: Sequence[Source]) -> str:
        """What the figures read: the sources' content keys, in order."""
        return hashlib.sha256("\x1f".join(s.content_key for s in sources).encode("ascii")).hexdigest()

    def get(self, kind: str, story: str, sources: Sequence[Source], compute: Callable[[], Any]) -> Any:
        """The stored figure for these texts, else ``compute()``'d and stored (a database error only costs the
        computation)."""
        key = self.key(sources)
        try:
            row = self.catalogue.db.execute("SELECT data FROM figures WHERE kind = ? AND key = ?",
                                            (kind, key)).fetchone()
        except sqlite3.Error:
            row = None
        if row is not None:
            return json.loads(row[0])
        value = compute()
        try:
            db = self.catalogue.db
            with self.catalogue.lock:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute("INSERT OR REPLACE INTO figures VALUES (?, ?, ?, ?)",
                               (kind, key, story, json.dumps(value)))
                    db.execute("DELETE FROM figures WHERE kind = ? AND story = ? AND rowid NOT IN (SELECT rowid "
                               "FROM figures WHERE kind = ? AND story = ? ORDER BY rowid DESC LIMIT ?)",
                               (kind, story, kind, story, MAX_FIGURES_PER_STORY))
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            log.warning("story figures not kept in %s: %s", self.catalogue.path, error)
        return value
