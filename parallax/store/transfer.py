"""Moving a corpus between stores, losing nothing: ``parallax migrate`` (files + SQLite → PostgreSQL) and
``parallax export`` (PostgreSQL → files + SQLite).

What moves: every file of the corpus folder byte for byte with its modification time (source files, story files,
kept pages, the trash), the sources the loader reads from them, and every row of every state table (watches, fetch
log, headlines, audit events, notes, rules, alert channels, changes, deliveries) with its id. What does not: the
derived files in ``.parallax/`` (the search index, the catalogue, locks), which each side rebuilds from the texts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parallax.catalogue import CataloguedStore
from parallax.corpus import Source
from parallax.store.base import StoredFile
from parallax.store.embedded import MAX_BYTES, EmbeddedStore
from parallax.store.postgres import PostgresStore
from parallax.store.schema import state_columns

#: Files written to PostgreSQL per transaction (a large corpus never sits in memory at once).
BATCH = 1_000


class TransferError(RuntimeError):
    """A migration or export that would overwrite something; the message says what."""


@dataclass(frozen=True)
class Moved:
    """What a migration or export moved: counts on each side (equal when nothing was lost)."""

    source: dict[str, int]
    target: dict[str, int]

    @property
    def complete(self) -> bool:
        """Whether both sides count the same files, sources, versions and state rows."""
        return self.source == self.target


def migrate(corpus_dir: Path | str, target: PostgresStore, state_db: str = "", replace: bool = False,
            progress: Callable[[int, int], None] | None = None) -> Moved:
    """Copy a file corpus and its state database into PostgreSQL (refusing a database that holds a corpus,
    unless ``replace``: then it is emptied first)."""
    if target.counts()["files"]:
        if not replace:
            raise TransferError("the database already holds a corpus (use --replace to empty it first)")
        target.clear()
    # The corpus from its catalogue, brought in step by a stat of every file (only new or changed files parsed;
    # texts read from their files when copied): a million articles are not all parsed and held at once.
    loaded = CataloguedStore(corpus_dir, MAX_BYTES, rescan=3600.0, watch=False, first_rescan=math.inf)
    loaded.prepare()
    corpus = loaded.reload()
    origin = EmbeddedStore(corpus_dir, state_db, corpus=loaded)
    try:
        by_path: dict[str, list[Source]] = {}
        for source in corpus.sources.values():
            by_path.setdefault(source.path, []).append(source)
        names = origin.file_names()
        with target.bulk_loading():
            for start in range(0, len(names), BATCH):
                batch = [origin.read_file(name) for name in names[start:start + BATCH]]
                sources = [s for f in batch for s in by_path.get(f.path, [])]
                target.put_files(batch, sources)
                if progress:
                    progress(min(start + BATCH, len(names)), len(names))
        if origin.state_path.exists():
            for table in state_columns():
                target.insert_rows(table, origin.state_rows(table))
        return Moved(origin.counts() if origin.state_path.exists() else _files_only(origin), target.counts())
    finally:
        origin.close()


def export(origin: PostgresStore, corpus_dir: Path | str, state_db: str = "") -> Moved:
    """Write the corpus held in PostgreSQL to a new (or empty) folder, with its state database."""
    root = Path(corpus_dir)
    if root.exists() and any(root.iterdir()):
        raise TransferError(f"{root} is not empty: export writes a corpus into a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    for item in origin.files():
        _write(root, item)
    target = EmbeddedStore(root, state_db)
    try:
        for table in state_columns():
            target.insert_rows(table, origin.state_rows(table))
        return Moved(origin.counts(), target.counts())
    finally:
        target.close()


def _write(root: Path, item: StoredFile) -> None:
    """One file written as stored, with its modification time; never outside the corpus folder."""
    path = (root / item.path).resolve()
    if not path.is_relative_to(root.resolve()) or item.path.startswith(".parallax/"):
        raise TransferError(f"refusing to write {item.path!r} outside the corpus's own files")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(item.raw)
    if item.mtime_ns:
        os.utime(path, ns=(item.mtime_ns, item.mtime_ns))


def _files_only(origin: EmbeddedStore) -> dict[str, int]:
    """The counts of a corpus that has no state database yet (every state table empty)."""
    corpus = origin.corpus()
    counted = {"files": len(origin.file_names()), "sources": len(corpus.sources),
               "versioned_articles": sum(1 for v in corpus.articles.values() if len(v) > 1)}
    counted.update(dict.fromkeys(state_columns(), 0))
    return counted
