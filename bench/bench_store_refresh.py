"""What one write costs the other app servers reading PostgreSQL, against the code before the store's change log.

An app server reading the store (``parallax.store.serving.DatabaseCorpus``) serves a write made elsewhere at its next
request. This bench moves a generated corpus (``bench.bench_corpus``) into a private PostgreSQL, then, in one child
process per code version (this checkout, and ``--before REV`` in a temporary git worktree), starts a reader, times
its first read of the corpus, and 20 times: another connection writes one source file (a new outlet each time), and
the reader's next look at the corpus is timed until it serves the write. Printed per version: the first read, the
p50/p95 of the look after a write, the reader's resident memory, and the ratio of the two versions' p50s (measured
in the same run on the same database; machines here are noisy).

Run: .venv/bin/python -m bench.bench_store_refresh [--size 100000] [--keep PGDIR] [--corpus DIR] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_corpus import generate, percentile
from bench.real import ROOT, earlier_checkout

#: The code before the store's change log (every write made each reader list every file and build the corpus).
BEFORE = "ecd7005"
WRITES = 20

#: The child: one reader and one writer on the store, in the code version found first on sys.path.
CHILD = r"""
import json, resource, sys, tempfile, time
from parallax.store.postgres import PostgresStore
from parallax.store.serving import DatabaseCorpus

url, writes = sys.argv[1], int(sys.argv[2])
reader = DatabaseCorpus(url, tempfile.mkdtemp(), 2_000_000)
started = time.perf_counter()
sources = len(reader.get().sources)
first = time.perf_counter() - started
writer = PostgresStore(url)
path = "bench-refresh/probe.txt"
looks = []
for n in range(writes):
    outlet = f"Probe {time.time_ns()}"
    text = f"---\nid: bench-refresh-probe\nstory: bench-refresh\noutlet: {outlet}\n---\nThe probe wrote {n}.\n"
    writer.put_file(path, text.encode())
    started = time.perf_counter()
    while getattr(reader.get().get("bench-refresh-probe"), "outlet", None) != outlet:
        if time.perf_counter() - started > 60:
            sys.exit(f"the reader did not serve write {n} within 60 s")
    looks.append(time.perf_counter() - started)
writer.remove_files(path)
writer.close()
reader.close()
print(json.dumps({"sources": sources, "first_read_s": first, "looks_s": looks,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(checkout: Path, url: str) -> dict[str, Any]:
    """The child's figures in one code version."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", CHILD, url, str(WRITES)], cwd=checkout, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the reader at {checkout} failed:\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    looks = [t * 1000 for t in found.pop("looks_s")]
    return {**found, "first_read_s": round(found["first_read_s"], 2), "rss_mb": round(found["rss_mb"]),
            "look_p50_ms": round(sorted(looks)[len(looks) // 2], 2), "look_p95_ms": round(percentile(looks, 0.95), 2)}


def main(argv: list[str] | None = None) -> int:
    """Set up the store, measure both versions, print the figures and the ratio."""
    from parallax.store import localpg
    from parallax.store.postgres import PostgresStore
    from parallax.store.transfer import migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=100_000, help="articles to generate (without --corpus)")
    parser.add_argument("--corpus", type=Path, help="a corpus bench.bench_corpus generated (default: generate one)")
    parser.add_argument("--keep", type=Path, help="the PostgreSQL folder to use and keep (a store holding sources "
                                                   "there is used as it is)")
    parser.add_argument("--before", default=BEFORE, help="git revision of the code to compare with")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="parallax-bench-refresh-"))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="parallax-bench-pg-"))  # its own: initdb runs as postgres
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    try:
        url = localpg.start(folder)
        store = PostgresStore(url)  # brings the schema up to date (the change log's table)
        held = int((store.conn.execute("SELECT count(*) AS n FROM sources").fetchone() or {})["n"])
        if not held:
            corpus = args.corpus
            if corpus is None:
                corpus = work / "corpus"
                generate(corpus, args.size, pairs=False)
            started = time.perf_counter()
            migrate(corpus, store)
            print(f"migrated {corpus} in {time.perf_counter() - started:.0f} s", flush=True)
        store.close()
        figures = {"this checkout": measure(ROOT, url)}
        print(json.dumps({"this checkout": figures["this checkout"]}), flush=True)
        with earlier_checkout(args.before) as checkout:
            figures[args.before] = measure(checkout, url)
        print(json.dumps({args.before: figures[args.before]}), flush=True)
        now, then = figures["this checkout"], figures[args.before]
        print(f"\n{now['sources']} sources; the look that serves another server's write, p50 "
              f"{then['look_p50_ms']} ms at {args.before} -> {now['look_p50_ms']} ms now "
              f"(before / now: x{then['look_p50_ms'] / max(now['look_p50_ms'], 1e-6):.2f}); "
              f"p95 {then['look_p95_ms']} -> "
              f"{now['look_p95_ms']} ms; first read {then['first_read_s']} -> {now['first_read_s']} s; "
              f"RSS {then['rss_mb']} -> {now['rss_mb']} MB")
        return 0
    finally:
        localpg.stop(folder)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
