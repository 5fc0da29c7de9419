"""The reuse job on Spark finds what the embedded index finds, and what the generator copied."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.copies import generate, truth_edges
from parallax.corpus import load_corpus
from parallax.index.search import open_index
from tests.conftest import BUNDLED

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -r requirements-dev.txt)")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 (apt-get install -y openjdk-17-jre-headless)", allow_module_level=True)

from parallax.index.jobs import reuse_spark  # noqa: E402

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
def test_spark_job_agrees_with_the_embedded_index_and_the_truth(spark: Any, corpus: tuple[Path, list[Any]],
                                                                  tmp_path: Path) -> None:
    root, articles = corpus
    sources = list(load_corpus(root).sources.values())
    assert reuse_spark.write_input(sources, tmp_path / "sentences.jsonl") > GENERATED * 10
    pairs = reuse_spark.shared_pairs(spark, tmp_path / "sentences.jsonl")
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
