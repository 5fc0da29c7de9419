"""The reuse job on Spark finds what the embedded index finds, and what the generator copied, reading its input
exported from either store and writing its pairs and lineage back to it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.copies import generate, truth_edges
from parallax.corpus_store import load_corpus
from parallax.index.search import default_path, open_index
from tests.conftest import BUNDLED
from tests.stores import pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -r requirements-dev.txt)")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 (apt-get install -y openjdk-17-jre-headless)", allow_module_level=True)

from parallax.index.jobs import exchange, reuse_spark  # noqa: E402

GENERATED = 400


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One Spark session for the module (local mode: start-up takes seconds)."""
    made = reuse_spark.session("local[2]", "1g")
    yield made
    made.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    root = tmp_path_factory.mktemp("reuse") / "corpus"
    shutil.copytree(BUNDLED, root, ignore=shutil.ignore_patterns(".*"))
    articles = list(generate(GENERATED, seed=11))
    for article in articles:
        (root / article.story).mkdir(exist_ok=True)
        (root / article.story / f"{article.id}.txt").write_text(article.file_text(), encoding="utf-8")
    return root, articles


@pytest.fixture(scope="module")
def job(spark: Any, corpus: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The job run once on the input exported from the embedded store: (input folder, (sources, pairs, edges))."""
    root, _ = corpus
    folder = tmp_path_factory.mktemp("job")
    index = open_index(root)
    try:
        exchange.export_embedded(load_corpus(root), index, folder)
    finally:
        index.close()
    return folder, reuse_spark.run(spark, folder)


def _lines(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").splitlines())


def _edited(root: Path, edges: list[tuple[str, str, int]]) -> tuple[str, Path]:
    """A generated source that carries copied text, rewritten with new words (its key changes): id and path."""
    carrier = next(c for _, c, _ in edges if c.startswith("a-"))
    path = next(root.glob(f"*/{carrier}.txt"))
    head, _ = path.read_text(encoding="utf-8").rsplit("---\n", 1)
    path.write_text(head + "---\nA wholly new text replaces what this outlet carried before the job wrote back.\n",
                    encoding="utf-8")
    return carrier, path


def _embedded_pairs(root: Path) -> set[tuple[str, int, str, int]]:
    index = open_index(root)
    try:
        index.sync(load_corpus(root))
        rows = index.db.execute(
            "SELECT d.id, sa.pos, o.id, sb.pos FROM shared JOIN docs d ON d.n = shared.da JOIN docs o "
            "ON o.n = shared.db JOIN sent sa ON sa.id = shared.a JOIN sent sb ON sb.id = shared.b WHERE d.id < o.id")
        return {(a, pa, b, pb) for a, pa, b, pb in rows}
    finally:
        index.close()


@pytest.mark.slow
def test_spark_job_agrees_with_the_embedded_index_and_the_truth(job: tuple[Path, Any], corpus: tuple[Path, list[Any]],
                                                                  tmp_path: Path) -> None:
    root, articles = corpus
    sources = list(load_corpus(root).sources.values())
    assert reuse_spark.write_input(sources, tmp_path / "sentences.jsonl") > GENERATED * 10
    folder, (_, pairs, _) = job
    assert _lines(tmp_path / "sentences.jsonl") == _lines(folder / exchange.SENTENCES)  # the store's own sentences
    found = {(a, pa, b, pb) for a, pa, b, pb, _ in pairs}
    assert found == _embedded_pairs(root)

    origin = {(a.id, pos): o for a in articles for pos, o in enumerate(a.origins)}
    truth = {(a, pa, b, pb) for (a, pa), oa in origin.items() for (b, pb), ob in origin.items()
             if a < b and oa == ob}
    generated = {p for p in found if p[0].startswith("a-") and p[2].startswith("a-")}
    hits = len(generated & truth)
    assert truth and hits / len(generated) >= 0.98 and hits / len(truth) >= 0.98, (hits, len(generated), len(truth))
    assert any(not p[0].startswith("a-") for p in found), "the seeds share passages too"

    edges = reuse_spark.lineage_edges(sources, pairs)
    expected = truth_edges(articles)  # each copied sentence's first carrier → every later carrier
    got = {(o, c) for o, c, _ in edges if o.startswith("a-")}
    right = len(got & expected)
    assert right / len(expected) >= 0.98 and right / len(got) >= 0.98, (right, len(got), len(expected))


@pytest.mark.slow
def test_job_writes_pairs_and_lineage_back_to_the_embedded_index(job: tuple[Path, Any], corpus: tuple[Path, Any],
                                                                 tmp_path: Path) -> None:
    _, (sources, pairs, edges) = job
    root = tmp_path / "corpus"
    shutil.copytree(corpus[0], root)  # with its index
    assert exchange.embedded_lineage(default_path(root)) == []
    edited, _ = _edited(root, edges)  # changed after the export: the job's view of it is stale
    index = open_index(root)
    try:
        index.sync(load_corpus(root))
        with index.lock:
            index.db.execute("DELETE FROM shared")
    finally:
        index.close()

    written = exchange.write_embedded(default_path(root), sources, pairs, edges)
    fresh = {(a, pa, b, pb) for a, pa, b, pb, _ in pairs if edited not in (a, b)}
    assert _embedded_pairs(root) == fresh
    assert written.pairs == len(fresh) and written.skipped_pairs == len(pairs) - len(fresh) > 0
    assert exchange.embedded_lineage(default_path(root)) == [e for e in edges if edited not in e[:2]]
    assert written.skipped_edges > 0
    # A source edited after the write-back: indexing it again drops the edges that described its old text.
    again = next(c for _, c, _ in exchange.embedded_lineage(default_path(root)) if c.startswith("a-"))
    path = next(root.glob(f"*/{again}.txt"))
    path.write_text(path.read_text(encoding="utf-8").rsplit("---\n", 1)[0] + "---\nAnother text altogether.\n",
                    encoding="utf-8")
    index = open_index(root)
    try:
        index.sync(load_corpus(root))
    finally:
        index.close()
    left = exchange.embedded_lineage(default_path(root))
    assert left and not any(again in edge[:2] for edge in left)


@pytest.mark.slow
def test_job_reads_from_and_writes_back_to_postgres(job: tuple[Path, Any], corpus: tuple[Path, list[Any]],
                                                    pg_url: str, tmp_path: Path) -> None:
    from parallax.store.postgres import PostgresStore
    from parallax.store.transfer import migrate

    folder, (_, pairs, edges) = job
    root = corpus[0]
    store = PostgresStore(pg_url)
    try:
        migrate(root, store)
        assert exchange.export_postgres(store.conn, tmp_path) == (len(load_corpus(root).sources),
                                                                  len(_lines(folder / exchange.SENTENCES)))
        # The same sentences as the embedded store gives, so the job's pairs and edges are the same from either.
        assert _lines(tmp_path / exchange.SENTENCES) == _lines(folder / exchange.SENTENCES)
        times = [{k: v for k, v in json.loads(line).items() if k != "key"}
                 for line in _lines(folder / exchange.SOURCES)]
        assert sorted(times, key=lambda r: r["id"]) == [
            {k: v for k, v in row._asdict().items() if k != "key"} for row in exchange.read_sources(tmp_path)]

        copy = tmp_path / "copy"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".*"))
        edited, path = _edited(copy, edges)
        store.put_file(path.relative_to(copy).as_posix(), path.read_bytes())
        written = exchange.write_postgres(store.conn, exchange.read_sources(tmp_path), pairs, edges)

        stored = {(r["a"], r["a_pos"], r["b"], r["b_pos"]) for r in store.conn.execute("SELECT * FROM shared")}
        assert stored == {(a, pa, b, pb) for a, pa, b, pb, _ in pairs if edited not in (a, b)}
        assert written.skipped_pairs > 0 and written.skipped_edges > 0
        lineage = sorted((r["origin"], r["carrier"], r["sentences"])
                         for r in store.conn.execute("SELECT * FROM lineage"))
        assert lineage == [e for e in edges if edited not in e[:2]]
    finally:
        store.close()


@pytest.mark.slow
def test_job_reads_parquet_as_it_reads_json_lines(spark: Any, job: tuple[Path, Any], tmp_path: Path) -> None:
    folder, (_, pairs, _) = job
    seeds = spark.read.json(str(folder / exchange.SENTENCES)).where("doc NOT LIKE 'a-%'")
    seeds.write.parquet(str(tmp_path / "sentences.parquet"))
    assert exchange.sentences_path(tmp_path) == tmp_path / "sentences.parquet"
    found = reuse_spark.shared_pairs(spark, exchange.sentences_path(tmp_path))
    assert found and found == [p for p in pairs if not p[0].startswith("a-") and not p[2].startswith("a-")]
