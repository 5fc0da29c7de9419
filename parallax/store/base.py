"""One storage interface for the corpus and its state, whatever holds them: files + SQLite, or PostgreSQL.

A store holds the corpus's files byte for byte (source files with their front matter, story files, kept pages),
the sources parsed from them exactly as the corpus loader parses them, the versions of each article, the watcher's
state (watches, fetch log, notes, rules, alerts: one table each), sentence search and the shared passages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from parallax.corpus import Source
from parallax.sources.state import Watch


@dataclass(frozen=True)
class Found:
    """One sentence a search found: its source, story, position in the reading text and text."""

    source: str
    story: str
    pos: int
    text: str


@dataclass(frozen=True)
class StoredFile:
    """One corpus file as stored: its path relative to the corpus folder, bytes and modification time (ns)."""

    path: str
    raw: bytes
    mtime_ns: int


class Store(Protocol):
    """What every storage backend offers."""

    kind: str

    def sources(self) -> list[Source]:
        """Every source, as the corpus loader reads it."""

    def get(self, source_id: str) -> Source | None:
        """The source with this id, or None."""

    def versions(self, source_id: str) -> list[Source]:
        """Every capture of the source's article, oldest first (empty when the source is unknown)."""

    def put_file(self, path: str, raw: bytes) -> Source | None:
        """Add or replace one corpus file (``story/name.txt``); the source it holds, or None for another file."""

    def files(self) -> Iterator[StoredFile]:
        """Every stored file (sources, story files, kept pages), in path order."""

    def watches(self, story: str | None = None) -> list[Watch]:
        """Every watch (of one story when given)."""

    def add_watch(self, story: str, kind: str, url: str, interval: int) -> Watch:
        """Add a watch, due at once."""

    def add_note(self, story: str, left_id: str, right_id: str, mark: str, note: str = "",
                 author: str = "") -> int:
        """Keep an editor's mark on a change; its id."""

    def notes(self, story: str) -> list[dict[str, Any]]:
        """A story's notes, newest first."""

    def search(self, words: str, limit: int = 50) -> list[Found]:
        """Sentences holding every word, best first."""

    def state_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one state table, by id."""

    def counts(self) -> dict[str, int]:
        """How many files, sources, versions-with-history, and rows of each state table the store holds."""

    def close(self) -> None:
        """Release connections."""
