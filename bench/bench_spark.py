"""The corpus-wide reuse job on Spark against the embedded index, and search on PostgreSQL, at 10k → 100k articles.

One generated corpus per size (``bench.bench_corpus.generate``: stories of 8 articles carrying wire copy with light
edits, rewrites that are not reuse, each outlet's footer, and the truth of which sentences are copies). Each step
runs in a process of its own, so peak memory is that step's (the whole process tree: Spark's JVM and its Python
workers included, sampled every 0.2 s):

1. embedded: the corpus loaded and the SQLite index built (sentences, search, sketches, shared pairs);
2. spark: the job's input exported from that index (``exchange``: sentences and sources as JSON lines), the job in
   local mode (``local[2]``, a 2 GB driver unless ``--memory`` says otherwise), its pairs scored against the
   generator's truth and against the embedded index's own pairs, and the write-back into the index;
3. postgres: a private server (``parallax.store.localpg``), the corpus moved in by ``parallax migrate``'s own code,
   and search latency (p50/p95) for a mid-frequency word, two words, and a common word.

Prints one JSON line per step and size, a table, and the growth per tenfold of each step's time and memory.

Run: .venv/bin/python -m bench.bench_spark [--sizes 10000,100000] [--skip-postgres]  (never fails on timing)
A corpus too large to generate and index in one run (a million articles, kept by ``bench.bench_scale
--keep-state``): ``--corpus DIR [--memory 8g]`` runs the Spark step alone on it, against its index's pairs (no
write-back, so the index stays the reference of the next run).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.bench_corpus import generate, percentile, vocabulary

DEFAULT_SIZES = (10_000, 100_000)
QUERIES = 200
TARGET_P95_MS = 100.0
STEPS = ("embedded", "spark", "postgres")


class PeakMemory:
    """Peak resident memory of this process and all its descendants, and the CPU time they used, sampled on a thread
    (CPU seconds, not wall time, are what to compare on a shared machine: other processes' load moves wall time)."""

    def __init__(self) -> None:
        self.peak = 0
        self.ticks: dict[int, int] = {}
        self._start = dict(_tree(os.getpid())[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return round(self.peak / 1024, 1)

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the tree since entering (processes seen at least once; the last 0.2 s of one may be lost)."""
        clock = os.sysconf("SC_CLK_TCK")
        return round(sum(t - self._start.get(pid, 0) for pid, t in self.ticks.items()) / clock, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, ticks = _tree(os.getpid())
            self.peak = max(self.peak, rss)
            self.ticks.update(ticks)
            self._stop.wait(0.2)


def _tree(root: int) -> tuple[int, dict[int, int]]:
    """Resident memory (kB) of a process and its descendants, and each one's CPU ticks so far, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                parts = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss[pid] = int(fields["VmRSS"].split()[0]) if "VmRSS" in fields else 0
        ticks[pid] = int(parts[11]) + int(parts[12])  # utime + stime
    total, todo, mine = 0, [root], {}
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        mine[pid] = ticks.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total, mine


def _truth(work: Path) -> set[tuple[str, int, str, int]] | None:
    """The generator's true pairs; None for a corpus generated without them (``--corpus``)."""
    path = work / "truth.json"
    return {tuple(p) for p in json.loads(path.read_text())} if path.exists() else None


def _scored(found: set[tuple[str, int, str, int]], truth: set[tuple[str, int, str, int]] | None) -> dict[str, Any]:
    if truth is None:
        return {"precision": None, "recall": None}
    hits = len(found & truth)
    return {"precision": round(hits / len(found), 3) if found else 1.0,
            "recall": round(hits / len(truth), 3) if truth else 1.0}


#: The embedded index's shared pairs, each once (ids ordered).
_INDEX_PAIRS = ("SELECT d.id, sa.pos, o.id, sb.pos FROM shared JOIN docs d ON d.n = shared.da JOIN docs o ON o.n = "
                "shared.db JOIN sent sa ON sa.id = shared.a JOIN sent sb ON sb.id = shared.b WHERE d.id < o.id")


def _index_pairs(path: Path) -> set[tuple[str, int, str, int]]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return {(a, pa, b, pb) for a, pa, b, pb in db.execute(_INDEX_PAIRS)}
    finally:
        db.close()


def _digest(pairs: Iterable[tuple[str, int, str, int]]) -> tuple[int, str]:
    """How many pairs, and a digest of them, given in sorted order."""
    digest, count = hashlib.sha256(), 0
    for a, pa, b, pb in pairs:
        digest.update(f"{a}\0{pa}\0{b}\0{pb}\n".encode())
        count += 1
    return count, digest.hexdigest()


def _index_digest(path: Path) -> tuple[int, str]:
    """``_digest`` of the embedded index's pairs, read in order (SQLite's text order is Python's), so that a million
    articles' pairs are compared without holding them (a set of them takes ~3 GB)."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return _digest(db.execute(_INDEX_PAIRS + " ORDER BY d.id, sa.pos, o.id, sb.pos"))
    finally:
        db.close()


def step_embedded(work: Path) -> dict[str, Any]:
    """Load the corpus and build the embedded index."""
    from parallax.corpus_store import load_corpus
    from parallax.index.search import CorpusIndex

    with PeakMemory() as memory:
        started = time.perf_counter()
        corpus = load_corpus(work / "corpus")
        loaded = time.perf_counter() - started
        index = CorpusIndex(work / "search.db")
        started, cpu = time.perf_counter(), time.process_time()
        index.sync(corpus)
        build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
        docs, sentences = index.count()
        index.close()
    found = _index_pairs(work / "search.db")
    return {"docs": docs, "sentences": sentences, "load_s": round(loaded, 1), "build_s": round(build, 1),
            "build_cpu_s": round(build_cpu, 1), "cpu_s": memory.cpu_s, "pairs": len(found),
            **_scored(found, _truth(work)), "peak_mb": memory.mb}


def step_spark(work: Path) -> dict[str, Any]:
    """Export the job's input from the index, run the job in local mode, score it and write it back."""
    import sqlite3

    from parallax.index.jobs import exchange, reuse_spark

    embedded = _index_digest(work / "search.db")  # before the write-back adds the job's pairs to the index
    job = work / "job"
    job.mkdir()
    with PeakMemory() as memory:
        started = time.perf_counter()
        db = sqlite3.connect(work / "search.db")
        try:  # generated sources have no capture time: the index's time is their publication time
            with open(job / exchange.SOURCES, "w", encoding="utf-8") as out:
                for i, story, outlet, stamp, key in db.execute("SELECT id, story, outlet, time, key FROM docs"):
                    out.write(json.dumps({"id": i, "story": story, "outlet": outlet, "published": stamp,
                                          "captured": "", "key": key}) + "\n")
            with open(job / exchange.SENTENCES, "w", encoding="utf-8") as out:
                for doc, pos, text in db.execute("SELECT d.id, s.pos, s.text FROM sent s JOIN docs d ON d.n = s.doc "
                                                 "WHERE NOT s.boilerplate"):
                    out.write(json.dumps({"doc": doc, "pos": pos, "text": text}, ensure_ascii=False) + "\n")
        finally:
            db.close()
        exported = time.perf_counter() - started
        started = time.perf_counter()
        spark = reuse_spark.session("local[2]", os.environ.get("PARALLAX_BENCH_SPARK_MEMORY", "2g"))
        session_s = time.perf_counter() - started
        before = memory.cpu_s
        try:
            started = time.perf_counter()
            sources, pairs, edges = reuse_spark.run(spark, job)
            ran = time.perf_counter() - started
            time.sleep(0.5)  # one more sample of the JVM and the workers before they stop
            job_cpu = memory.cpu_s - before
        finally:
            spark.stop()
        started = time.perf_counter()
        if os.environ.get("PARALLAX_BENCH_SPARK_KEEP_INDEX"):  # a kept corpus's index stays the index's own
            written = None
        else:
            written = exchange.write_embedded(work / "search.db", sources, pairs, edges)
        write_s = time.perf_counter() - started
    found = {(a, pa, b, pb) for a, pa, b, pb, _ in pairs}
    same = _digest(sorted(found)) == embedded
    return {"export_s": round(exported, 1), "session_s": round(session_s, 1), "job_s": round(ran, 1),
            "job_cpu_s": round(job_cpu, 1),
            "write_back_s": round(write_s, 1), "pairs": len(found), "edges": len(edges),
            "written_pairs": written.pairs if written else None,
            "same_as_embedded": same,
            **_scored(found, _truth(work)), "peak_mb": memory.mb}


def step_postgres(work: Path) -> dict[str, Any]:
    """Move the corpus into a private PostgreSQL and time searches."""
    from parallax.store import localpg
    from parallax.store.postgres import PostgresStore
    from parallax.store.transfer import migrate

    folder = Path(tempfile.mkdtemp(prefix="parallax-bench-pg-"))
    folder.chmod(0o755)
    try:
        url = localpg.start(folder)
        store = PostgresStore(url)
        with PeakMemory() as memory:
            started = time.perf_counter()
            migrate(work / "corpus", store)
            store.conn.execute("VACUUM ANALYZE sentences")
            migrated = time.perf_counter() - started
            migrate_cpu = memory.cpu_s
        rng = random.Random(5)
        words = vocabulary()
        mid = [rng.choice(words[200:3000]) for _ in range(QUERIES)]
        two = [f"{rng.choice(words[200:3000])} {rng.choice(words[50:1000])}" for _ in range(QUERIES)]
        common = words[:QUERIES // 4]
        result: dict[str, Any] = {"migrate_s": round(migrated, 1), "migrate_cpu_s": migrate_cpu,
                                  "migrate_peak_mb": memory.mb}
        for name, queries in (("word", mid), ("two_words", two), ("common", common)):
            times = []
            for query in queries:
                begun = time.perf_counter()
                store.search(query)
                times.append((time.perf_counter() - begun) * 1000)
            result[name] = {"p50_ms": round(sorted(times)[len(times) // 2], 1),
                            "p95_ms": round(percentile(times, 0.95), 1)}
        size = store.conn.execute("SELECT pg_database_size(current_database()) AS n").fetchone()
        result["db_mb"] = round(int(size["n"] if size else 0) / 1e6)
        store.close()
        return result
    finally:
        localpg.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def spark_on(corpus: Path) -> int:
    """The Spark step alone on a kept corpus and its built index (too large to generate and index in one run)."""
    import sqlite3

    from parallax.index.search import default_path

    index = Path(default_path(corpus)).resolve()
    work = Path(tempfile.mkdtemp(prefix="parallax-bench-spark-kept-"))
    try:
        (work / "search.db").symlink_to(index)
        db = sqlite3.connect(index)
        try:
            docs, sentences = (db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("docs", "sent"))  # noqa: S608
        finally:
            db.close()
        # No write-back: the index's pairs stay what the embedded index found, the reference of every later run.
        child = subprocess.run([sys.executable, "-m", "bench.bench_spark", "--step", "spark", "--work", str(work)],
                               capture_output=True, text=True, check=False,
                               env={**os.environ, "PARALLAX_BENCH_SPARK_KEEP_INDEX": "1"})
        if child.returncode:
            print(f"spark step failed:\n{child.stderr[-3000:]}", file=sys.stderr)
            return 1
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(json.dumps({"corpus": str(corpus), "docs": docs, "sentences": sentences, "spark": row}))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Each size: generate, then each step in a child process; print the figures and the growth per tenfold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help="a corpus generated earlier by bench.bench_corpus (e.g. kept by "
                        "bench.bench_scale --keep-state) with its embedded index built: only the Spark step runs, "
                        "compared with that index's pairs (no generator truth), writing nothing back into it")
    parser.add_argument("--memory", help="the Spark driver's memory (local mode: the whole job's heap; default 2g)")
    args = parser.parse_args(argv)
    if args.memory:
        os.environ["PARALLAX_BENCH_SPARK_MEMORY"] = args.memory  # read by the Spark step's own process
    if args.step:
        print(json.dumps(globals()[f"step_{args.step}"](Path(args.work))))
        return 0
    if args.corpus:
        return spark_on(args.corpus)
    results: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        work = Path(tempfile.mkdtemp(prefix=f"parallax-bench-spark-{size}-"))
        try:
            started = time.perf_counter()
            truth = generate(work / "corpus", size)
            (work / "truth.json").write_text(json.dumps(sorted(truth)))
            row: dict[str, Any] = {"size": size, "generate_s": round(time.perf_counter() - started, 1)}
            for step in STEPS:
                if step == "postgres" and args.skip_postgres:
                    continue
                child = subprocess.run([sys.executable, "-m", "bench.bench_spark", "--step", step, "--work",
                                        str(work)], capture_output=True, text=True, check=False)
                if child.returncode:
                    print(f"size {size}, {step} failed:\n{child.stderr[-3000:]}", file=sys.stderr)
                    return 1
                row[step] = json.loads(child.stdout.strip().splitlines()[-1])
                print(json.dumps({"size": size, step: row[step]}), flush=True)
            results.append(row)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("\narticles  sentences  embedded build s (cpu)  peak MB  spark job s (cpu)  peak MB  P/R spark  "
          "same pairs  pg search p95 word/two/common ms")
    for r in results:
        e, s, p = r["embedded"], r["spark"], r.get("postgres", {})
        print(f"{r['size']:<9} {e['sentences']:<10} {e['build_s']} ({e['build_cpu_s']}){'':<12} {e['peak_mb']:<8} "
              f"{s['job_s']} ({s['job_cpu_s']}){'':<8} {s['peak_mb']:<8} {s['precision']}/{s['recall']}  "
              f"{s['same_as_embedded']!s:<11} "
              + ("/".join(str(p[k]["p95_ms"]) for k in ("word", "two_words", "common")) if p else "-"))
    for small, big in itertools.pairwise(results):
        factor = big["size"] / small["size"]
        for label, step, key in (("embedded build CPU", "embedded", "build_cpu_s"),
                                 ("embedded memory", "embedded", "peak_mb"), ("spark job CPU", "spark", "job_cpu_s"),
                                 ("spark job wall", "spark", "job_s"), ("spark memory", "spark", "peak_mb")):
            ratio = big[step][key] / small[step][key] if small[step][key] else float("inf")
            print(f"x{factor:g} articles: {label} x{ratio:.1f}")
    last = results[-1].get("postgres") if results else None
    if last:
        worst = max(last[k]["p95_ms"] for k in ("word", "two_words", "common"))
        print(f"at {results[-1]['size']}: PostgreSQL search p95 {worst} ms (target {TARGET_P95_MS} at 1M)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
