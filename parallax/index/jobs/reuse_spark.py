"""The corpus-wide reuse and lineage job on Apache Spark, after passim's design.

1. Input: one JSON line per reading sentence (source, story, the source's time order, position, text), written
   from any store by ``write_input`` (Spark reads it split across executors; a cluster reads it from shared
   storage).
2. Shingles and sketches: each sentence becomes the embedded index's unit (``parallax.index.reuse.prepare``: folded
   word 3-shingles hashed with CRC-32, the bottom-k sketch), so both paths agree on what a passage is.
3. Candidates: sentences sharing a sketch value, from different sources; a value carried by more than
   ``MAX_POSTINGS`` sentences is a stock phrase and gives none (passim's ``maxDF``).
4. Verification: each candidate pair on its full shingle and word sets (``reuse.same_units``: the same gates,
   calibrated once, as the embedded index).
5. Lineage: verified pairs form clusters of one passage; per cluster the first carrier in time order is the origin
   and every later carrier gets an edge from it (``parallax.story.lineage.build`` on the same pairs, so the two
   agree).

6. Write-back (``parallax.index.jobs.exchange``): the pairs and edges go back to the store they were exported from
   (PostgreSQL's ``shared`` and ``lineage`` tables, or the embedded search index's), skipping sources changed since.

Local mode on a laptop or in tests (``local[2]``); a cluster is the same code with another master URL::

    python -m parallax.index.jobs.reuse_spark --database postgresql://…   # or --corpus DIR (the embedded store)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from parallax.corpus import Source
from parallax.index import reuse
from parallax.index.jobs import exchange
from parallax.index.spans import reading_document, source_spans
from parallax.story.lineage import Node, StoryPair, appeared, build

Pair = tuple[str, int, str, int, float]  # (source, position, other source, other position, score), source < other


def session(master: str = "local[2]", memory: str = "2g") -> Any:
    """A Spark session for the job: no UI, a small number of shuffle partitions for local mode, Python workers on
    this interpreter (its packages: the job runs Parallax's own reuse functions)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # PySpark starts its workers from this variable
    return (SparkSession.builder.master(master).appName("parallax-reuse")
            .config("spark.ui.enabled", "false").config("spark.driver.memory", memory)
            .config("spark.pyspark.python", sys.executable).config("spark.pyspark.driver.python", sys.executable)
            .config("spark.sql.shuffle.partitions", "8").config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def sentence_rows(sources: Iterable[Source]) -> Iterator[dict[str, Any]]:
    """The job's input rows: every non-boilerplate reading sentence of every source."""
    for source in sources:
        document = reading_document(source)
        for span in source_spans(source):
            if not span.boilerplate:
                yield {"doc": source.id, "pos": span.pos, "text": document.text[span.start:span.end]}


def write_input(sources: Iterable[Source], path: Path | str) -> int:
    """Write the job's input (JSON lines) for these sources; how many sentences."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in sentence_rows(sources):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _units(row: Any) -> list[tuple[tuple[str, int], reuse.Unit]]:
    unit = reuse.prepare(row["text"])
    return [((row["doc"], int(row["pos"])), unit)] if unit is not None else []


def _candidates(postings: Iterable[tuple[str, int]]) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    held = sorted(set(postings))
    if len(held) > reuse.MAX_POSTINGS:
        return []
    return [(a, b) for a, b in itertools.combinations(held, 2) if a[0] != b[0]]


def shared_pairs(spark: Any, input_path: Path | str) -> list[Pair]:
    """Every verified shared sentence pair of the corpus, each once (source < other)."""
    path = str(input_path)
    rows = (spark.read.parquet(path) if path.endswith(".parquet") else spark.read.json(path)).rdd
    units = rows.flatMap(_units).cache()
    postings = units.flatMap(lambda item: [(value, item[0]) for value in item[1].sketch])
    candidates = postings.groupByKey().flatMap(lambda kv: _candidates(kv[1])).distinct()
    left = candidates.join(units).map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
    both = left.join(units)

    def verify(kv: Any) -> list[Pair]:
        b_key, ((a_key, a_unit), b_unit) = kv
        value = reuse.same_units(a_unit, b_unit)
        if value is None:
            return []
        return [(a_key[0], a_key[1], b_key[0], b_key[1], round(value, 3))]

    found = both.flatMap(verify).collect()
    units.unpersist()
    return sorted(found)


def lineage_edges(sources: Iterable[Source | exchange.SourceRow], pairs: Iterable[Pair]) -> list[tuple[str, str, int]]:
    """Lineage edges (origin, later carrier, sentences) from the verified pairs, as the story pages build them."""
    nodes = []
    for source in sources:
        time, basis = appeared(source.published, source.captured)
        nodes.append(Node(source.id, source.outlet, time, (), basis, source.captured))
    story_pairs = [StoryPair(a, pa, b, pb, score, "", "") for a, pa, b, pb, score in pairs]
    return sorted((edge.origin, edge.carrier, edge.sentences) for edge in build(nodes, story_pairs))


def run(spark: Any, folder: Path | str) -> tuple[list[exchange.SourceRow], list[Pair], list[tuple[str, str, int]]]:
    """The job on an exported input folder: its sources, verified pairs and lineage edges."""
    sources = exchange.read_sources(folder)
    pairs = shared_pairs(spark, exchange.sentences_path(folder))
    return sources, pairs, lineage_edges(sources, pairs)


def main(argv: list[str] | None = None) -> int:
    """Export from a store, run the job, write the result back; print what each step took."""
    parser = argparse.ArgumentParser(description="The corpus-wide reuse and lineage job on Spark.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="a PostgreSQL store (postgresql://…)")
    where.add_argument("--corpus", help="an embedded store (a corpus folder; its search index is brought up to date)")
    parser.add_argument("--master", default=os.environ.get("PARALLAX_SPARK_MASTER", "local[2]"),
                        help="Spark master URL (default local[2]; spark://host:7077 for a cluster)")
    parser.add_argument("--memory", default="2g", help="Spark driver memory")
    parser.add_argument("--work", help="folder for the exported input (shared storage on a cluster)")
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="parallax-reuse-"))
    started = time.perf_counter()
    if args.database:
        import psycopg  # the store's own connection settings: rows as dicts, autocommit
        from psycopg.rows import dict_row
        conn = psycopg.connect(args.database, autocommit=True, row_factory=dict_row)
        exported = exchange.export_postgres(conn, work)
    else:
        from parallax.corpus_store import load_corpus
        from parallax.index.search import open_index
        index = open_index(args.corpus)
        try:
            exported = exchange.export_embedded(load_corpus(Path(args.corpus)), index, work)
        finally:
            index.close()
    print(f"exported {exported[0]} sources, {exported[1]} sentences in {time.perf_counter() - started:.1f} s")
    spark = session(args.master, args.memory)
    try:
        started = time.perf_counter()
        sources, pairs, edges = run(spark, work)
        print(f"{len(pairs)} shared pairs, {len(edges)} lineage edges in {time.perf_counter() - started:.1f} s")
    finally:
        spark.stop()
    if args.database:
        written = exchange.write_postgres(conn, sources, pairs, edges)
        conn.close()
    else:
        from parallax.index.search import default_path
        written = exchange.write_embedded(default_path(args.corpus), sources, pairs, edges)
    print(f"written back: {written.pairs} pairs, {written.edges} edges (left out, source changed since export: "
          f"{written.skipped_pairs} pairs, {written.skipped_edges} edges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
