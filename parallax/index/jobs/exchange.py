"""What the reuse job reads from a store and what it writes back.

Input (a folder): ``sentences.jsonl`` — one line per reading sentence that is not boilerplate (``doc``, ``pos``,
``text``) — and ``sources.jsonl`` — one line per source (``id``, ``story``, ``outlet``, ``published``, ``captured``,
``key``: the store's own key of the source's text and metadata when it was exported). Spark reads the sentences split
across executors; a cluster reads the folder from shared storage. A ``sentences.parquet`` folder (written by any
Parquet tool from the same columns) is read in its place when present.

Output, written back in one transaction per store: the verified sentence pairs (``shared``) and the lineage edges
(``lineage``: origin, later carrier, sentences). Only pairs and edges whose sources still have the key they had at
export are written: a source edited or removed while the job ran keeps what the store itself computed for it.

- PostgreSQL: ``shared`` (each pair once, ``a`` < ``b``) and ``lineage`` are replaced by the job's result.
- Embedded: the search index's ``shared`` table (both directions, by sentence id, as the index keeps it) takes the
  job's pairs; its ``lineage`` table (made here when missing) is replaced by the job's edges.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from parallax.corpus import Corpus
from parallax.index.lag import doc_key
from parallax.index.search import CorpusIndex

Pair = tuple[str, int, str, int, float]  # (source, position, other source, other position, score), source < other
Edge = tuple[str, str, int]  # (origin, later carrier, shared sentences)

SENTENCES = "sentences.jsonl"
SOURCES = "sources.jsonl"
_LINEAGE_DDL = ("CREATE TABLE IF NOT EXISTS lineage(origin TEXT NOT NULL, carrier TEXT NOT NULL, "
                "sentences INTEGER NOT NULL, PRIMARY KEY(origin, carrier)) WITHOUT ROWID")


class SourceRow(NamedTuple):
    """What the job knows of a source: enough to order carriers in time, and the key it was exported with."""

    id: str
    story: str
    outlet: str
    published: str
    captured: str
    key: str


@dataclass(frozen=True)
class Written:
    """What a write-back stored, and what it left out because a source changed after the export."""

    pairs: int
    edges: int
    skipped_pairs: int
    skipped_edges: int


def _dump(rows: Iterable[dict[str, Any]], path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_sources(folder: Path | str) -> list[SourceRow]:
    """The exported sources of an input folder."""
    with open(Path(folder) / SOURCES, encoding="utf-8") as lines:
        return [SourceRow(**json.loads(line)) for line in lines if line.strip()]


def sentences_path(folder: Path | str) -> Path:
    """The sentences the job reads: Parquet when the folder has it, else JSON lines."""
    parquet = Path(folder) / "sentences.parquet"
    return parquet if parquet.exists() else Path(folder) / SENTENCES


# -- PostgreSQL ---------------------------------------------------------------------------------------------

def export_postgres(conn: Any, folder: Path | str) -> tuple[int, int]:
    """Write the job's input from a PostgreSQL store's ``sources`` and ``sentences`` tables; (sources, sentences)."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    sources = _dump(({"id": r["id"], "story": r["story"], "outlet": r["outlet"], "published": r["published"],
                      "captured": r["captured"], "key": r["content_key"]} for r in conn.execute(
        "SELECT id, story, outlet, published, captured, content_key FROM sources ORDER BY id")), root / SOURCES)
    with conn.transaction(), conn.cursor(name="px_job_sentences") as cursor:
        cursor.itersize = 5_000
        cursor.execute("SELECT source_id, pos, text FROM sentences WHERE NOT boilerplate ORDER BY source_id, pos")
        sentences = _dump(({"doc": r["source_id"], "pos": r["pos"], "text": r["text"]} for r in cursor),
                          root / SENTENCES)
    return sources, sentences


def write_postgres(conn: Any, sources: Sequence[SourceRow], pairs: Iterable[Pair], edges: Iterable[Edge]) -> Written:
    """Replace the store's shared pairs and lineage edges with the job's, in one transaction."""
    exported = {s.id: s.key for s in sources}
    with conn.transaction():
        current = {r["id"]: r["content_key"] for r in conn.execute("SELECT id, content_key FROM sources")}
        same = {i for i, key in exported.items() if current.get(i) == key}
        kept_pairs, skipped_pairs = _split(pairs, lambda p: p[0] in same and p[2] in same)
        kept_edges, skipped_edges = _split(edges, lambda e: e[0] in same and e[1] in same)
        conn.execute("DELETE FROM shared")
        conn.execute("DELETE FROM lineage")
        with conn.cursor() as cursor:
            with cursor.copy("COPY shared(a, a_pos, b, b_pos, score) FROM STDIN") as copy:
                for row in kept_pairs:
                    copy.write_row(row)
            with cursor.copy("COPY lineage(origin, carrier, sentences) FROM STDIN") as copy:
                for row in kept_edges:
                    copy.write_row(row)
    return Written(len(kept_pairs), len(kept_edges), skipped_pairs, skipped_edges)


# -- embedded -----------------------------------------------------------------------------------------------

def export_embedded(corpus: Corpus, index: CorpusIndex, folder: Path | str) -> tuple[int, int]:
    """Write the job's input from an embedded store: sources from the corpus, sentences from its search index
    (brought in step with the corpus first, so they are cut once, as the pages cut them)."""
    index.sync(corpus)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    sources = _dump(({"id": s.id, "story": s.story, "outlet": s.outlet, "published": s.published,
                      "captured": s.captured, "key": doc_key(s)} for s in sorted(corpus.sources.values(),
                                                                               key=lambda s: s.id)), root / SOURCES)
    with _open(index.path) as db:
        rows = db.execute("SELECT d.id, s.pos, s.text FROM sent s JOIN docs d ON d.n = s.doc "
                          "WHERE NOT s.boilerplate ORDER BY d.id, s.pos")
        sentences = _dump(({"doc": doc, "pos": pos, "text": text} for doc, pos, text in rows), root / SENTENCES)
    return sources, sentences


def write_embedded(index_path: Path | str, sources: Sequence[SourceRow], pairs: Iterable[Pair],
                   edges: Iterable[Edge]) -> Written:
    """Store the job's pairs in the search index's ``shared`` table and its edges in ``lineage``, in one
    transaction that other processes' index updates wait for (``BEGIN IMMEDIATE``)."""
    exported = {s.id: s.key for s in sources}
    with _open(index_path) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(_LINEAGE_DDL)
            docs = {i: n for i, key, n in db.execute("SELECT id, key, n FROM docs") if exported.get(i) == key}
            kept_pairs, skipped_pairs = _split(pairs, lambda p: p[0] in docs and p[2] in docs)
            kept_edges, skipped_edges = _split(edges, lambda e: e[0] in docs and e[1] in docs)
            wanted = sorted({docs[p[0]] for p in kept_pairs} | {docs[p[2]] for p in kept_pairs})
            sid: dict[tuple[int, int], int] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                sid.update(((doc, pos), i) for i, doc, pos in db.execute(
                    f"SELECT id, doc, pos FROM sent WHERE doc IN ({marks})", chunk))  # noqa: S608  # nosec B608
            rows = []
            for a, pa, b, pb, score in kept_pairs:
                da, db_ = docs[a], docs[b]
                left, right = sid.get((da, pa)), sid.get((db_, pb))
                if left is not None and right is not None:
                    rows += [(left, right, da, db_, score), (right, left, db_, da, score)]
            db.executemany("INSERT OR REPLACE INTO shared(a, b, da, db, score) VALUES (?, ?, ?, ?, ?)", rows)
            db.execute("DELETE FROM lineage")
            db.executemany("INSERT INTO lineage(origin, carrier, sentences) VALUES (?, ?, ?)", kept_edges)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return Written(len(rows) // 2, len(kept_edges), skipped_pairs + len(kept_pairs) - len(rows) // 2, skipped_edges)


def embedded_lineage(index_path: Path | str) -> list[Edge]:
    """The lineage edges the job last wrote into an embedded index (empty before its first run)."""
    with _open(index_path) as db:
        db.execute(_LINEAGE_DDL)
        return [(o, c, int(n)) for o, c, n in db.execute("SELECT origin, carrier, sentences FROM lineage "
                                                         "ORDER BY origin, carrier")]


def _open(path: Path | str) -> closing[sqlite3.Connection]:
    """A connection of its own to an index file (autocommit, waiting up to a minute for another writer)."""
    return closing(sqlite3.connect(str(path), timeout=60, isolation_level=None))


def _split(items: Iterable[Any], keep: Any) -> tuple[list[Any], int]:
    """The items to keep, and how many were left out."""
    kept, skipped = [], 0
    for item in items:
        if keep(item):
            kept.append(item)
        else:
            skipped += 1
    return kept, skipped
