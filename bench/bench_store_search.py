"""/search on PostgreSQL at corpus scale: the generated corpus of ``bench.bench_corpus`` moved into a private
PostgreSQL (``parallax.store.localpg``) by ``parallax migrate``'s code, then searched the way an app server reading the
store answers /search (``parallax.store.search.StoreSearch``: the query language's words, phrases, filters, ranked
within the store's time budget), with the query sets ``bench.bench_corpus`` times on the embedded index: mid-frequency
words, three-word phrases cut from stored sentences, words filtered by outlet and dates, and the commonest words.
Reports p50/p95 of the store's search alone and of the whole /search.json request (grouping, captures, quote
groups of the hit stories) through an app with ``DATABASE_URL``.

Run: .venv/bin/python -m bench.bench_store_search [--size 10000] [--corpus DIR] [--keep PGDIR] [--store-only]
(never fails on timing)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_corpus import OUTLETS, QUERIES, generate, latency, percentile, vocabulary


def _queries(texts: list[str]) -> dict[str, list[str]]:
    """The query sets, as typed into the search box."""
    rng = random.Random(5)
    words = vocabulary()[200:3000]
    phrases = []
    for text in rng.sample(texts, min(QUERIES, len(texts))):
        parts = text.rstrip(".").split()
        at = rng.randrange(0, max(1, len(parts) - 3))
        phrases.append('"' + " ".join(parts[at:at + 3]) + '"')
    return {"word": [rng.choice(words) for _ in range(QUERIES)], "phrase": phrases,
            "filtered": [f"{rng.choice(words)} outlet:\"{rng.choice(OUTLETS)}\" from:2023-01 to:2023-06"
                         for _ in range(QUERIES)],
            "common": vocabulary()[:QUERIES // 4]}


def run(size: int, corpus: Path | None = None, kept: Path | None = None, through_app: bool = True) -> dict[str, Any]:
    """Generate (or take ``corpus``, a folder ``bench.bench_corpus`` generated), migrate and time one size.

    ``kept``: the PostgreSQL folder to use and keep; a store already holding sources there is searched as it is
    (no migration). ``through_app`` False times the store's search alone, without an app reading every source.
    """
    from parallax.app import create_app
    from parallax.corpus import Corpus
    from parallax.index.query import parse_query
    from parallax.store import localpg
    from parallax.store.postgres import PostgresStore
    from parallax.store.search import StoreSearch
    from parallax.store.transfer import migrate

    work = Path(tempfile.mkdtemp(prefix=f"parallax-bench-store-search-{size}-"))
    folder = kept or Path(tempfile.mkdtemp(prefix="parallax-bench-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    try:
        if corpus is None:
            corpus = work / "corpus"
            generate(corpus, size)
        url = localpg.start(folder)
        store = PostgresStore(url)
        held = int((store.conn.execute("SELECT count(*) AS n FROM sources").fetchone() or {})["n"])
        result: dict[str, Any] = {"size": size, "sources": held}
        if not held:
            started = time.perf_counter()
            migrate(corpus, store)
            store.conn.execute("VACUUM ANALYZE sentences")
            result["migrate_s"] = round(time.perf_counter() - started, 1)
            result["sources"] = int((store.conn.execute("SELECT count(*) AS n FROM sources").fetchone() or {})["n"])
        texts = [r["text"] for r in store.conn.execute(  # in key order: the same phrases for every run on a database
            "SELECT text FROM sentences WHERE pos % 7 = 3 ORDER BY source_id, pos LIMIT 400")]
        sets = _queries(texts)
        client = None
        searcher = StoreSearch(store, Corpus())
        if through_app:
            (work / "local").mkdir()
            app = create_app({"CORPUS_DIR": str(work / "local"), "DATABASE_URL": url})
            client = app.test_client()
            client.get("/search.json", query_string={"q": "warm"})  # the corpus read once, as a running server has it
            searcher = StoreSearch(store, app.extensions["parallax.corpus"].get())
        for name, typed in sets.items():
            result[name] = latency(searcher, [parse_query(q) for q in typed])
            if client is None:
                continue
            times, unranked = [], 0
            for query in typed:
                begun = time.perf_counter()
                answer = client.get("/search.json", query_string={"q": query})
                times.append((time.perf_counter() - begun) * 1000)
                assert answer.status_code == 200, answer.get_data(as_text=True)
                unranked += not answer.get_json()["ranked"]
            result[name]["request_p95_ms"] = round(percentile(times, 0.95), 1)
            result[name]["unranked"] = unranked
        result["sentences"] = int((store.conn.execute("SELECT count(*) AS n FROM sentences").fetchone() or {})["n"])
        if client is not None:
            app.extensions["parallax.corpus"].close()
        store.close()
        return result
    finally:
        localpg.stop(folder)
        if kept is None:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run one size and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, help="a corpus bench.bench_corpus generated (default: generate one)")
    parser.add_argument("--keep", type=Path, help="the PostgreSQL folder to use and keep (a store holding sources "
                                                   "there is searched as it is)")
    parser.add_argument("--store-only", action="store_true", help="time the store's search alone (no app reading "
                                                                   "every source)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.size, args.corpus, args.keep, not args.store_only), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
