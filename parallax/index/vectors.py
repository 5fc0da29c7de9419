"""Sentence vectors kept beside the search index, so comparing stored sources never embeds a sentence twice.

One SQLite file in the corpus's ``.parallax`` folder (WAL, one connection per thread) maps (encoder, SHA-1 of
the sentence text) to the float32 vector. A vector depends on the text alone, so the store is shared by every
comparison and every process on the corpus. Failing to read or write it (a read-only corpus, a full disk) only
costs embedding again: it is logged once and never fails a comparison.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    key BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID
"""
#: Keys per SELECT (below SQLite's limit on bound parameters).
CHUNK = 500


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()


class SentenceVectors:
    """The vector store of one corpus (implements parallax.engine.encoders.VectorStore)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._failed = False

    def _connection(self) -> sqlite3.Connection | None:
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is None and not self._failed:
            try:
                self.path.parent.mkdir(exist_ok=True)
                found = sqlite3.connect(self.path, timeout=5)
                found.execute("PRAGMA journal_mode=WAL")
                found.execute(SCHEMA)
                self._local.connection = found
            except (sqlite3.Error, OSError) as error:
                self._give_up(error)
        return found

    def _give_up(self, error: Exception) -> None:
        if not self._failed:
            log.warning("sentence vectors not kept in %s: %s", self.path, error)
        self._failed = True

    def get_many(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those texts that have one."""
        connection = self._connection()
        if connection is None:
            return {}
        by_key = {_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        try:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start:start + CHUNK]
                marks = ",".join("?" * len(chunk))
                # Only "?" placeholders are formatted in; every value is bound.
                query = f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})"  # noqa: S608  # nosec B608
                for key, blob in connection.execute(query, [model, *chunk]):
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        except sqlite3.Error as error:
            self._give_up(error)
        return found

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Keep vectors (an existing one for the same text is left as it is)."""
        connection = self._connection()
        if connection is None or not vectors:
            return
        rows = [(model, _key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in vectors.items()]
        try:
            with connection:
                connection.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._give_up(error)
