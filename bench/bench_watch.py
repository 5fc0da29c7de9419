"""Watcher benchmark: cycles over 1,000 watched URLs on loopback fixture servers, with bounded concurrency.

Run ``.venv/bin/python -m bench.bench_watch`` (``--quick``: 200 URLs). Ten fixture servers listen on 127.0.0.1 to
127.0.0.10 (ten hosts, 100 URLs each). It measures, in one run:

* the baseline: the same number of plain conditional fetches on a thread pool of the same size, with no
  politeness delay, no database and no extraction (what the network path alone allows);
* cycle 1: every URL fetched for the first time (extraction and one stored version each);
* cycle 2: every URL again, answered 304 Not Modified (the steady state of a watcher);

The URLs are spread over ``--stories`` stories (10): saving a version re-reads its story's folder for the same
text under the corpus write lock, so the first capture of a very large story costs more per version.

and prints time, requests per second, the politeness limit (hosts / WATCH_HOST_DELAY requests per second) and the
ratios. It never fails on timing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parallax.config import load_settings  # noqa: E402
from parallax.sources import state, watch  # noqa: E402
from parallax.sources.refetch import fetch_conditional  # noqa: E402
from tests.fixtures.watchserver import serve_watched  # noqa: E402

HOSTS = 10
HOST_DELAY = 0.02  # seconds between two requests to one host: at most 50 requests/s per host
CONCURRENCY = 8
STORY = "bench-watch"


def main() -> int:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 URLs instead of 1,000")
    parser.add_argument("--urls", type=int, default=0)
    parser.add_argument("--stories", type=int, default=10, help="stories the URLs are spread over (default 10)")
    args = parser.parse_args()
    total = args.urls or (200 if args.quick else 1000)
    per_host = total // HOSTS
    folder = Path(tempfile.mkdtemp(prefix="parallax-bench-watch-"))
    try:
        with ExitStack() as stack:
            bases = [stack.enter_context(serve_watched(f"127.0.0.{n + 1}"))[0] for n in range(HOSTS)]
            urls = [f"{base}/etag/{n}" for n in range(per_host) for base in bases]  # hosts mixed, as in real lists
            baseline_urls = [f"{base}/static/{n}" for n in range(per_host) for base in bases]
            settings = load_settings({}, {
                "CORPUS_DIR": str(folder / "corpus"), "FETCH_ALLOW_PRIVATE": True, "FETCH_TIMEOUT": 10.0,
                "WATCH_HOST_DELAY": HOST_DELAY, "WATCH_CONCURRENCY": CONCURRENCY, "WATCH_MIN_INTERVAL": 1,
                "WATCH_LEASE_SECONDS": 600})
            (folder / "corpus").mkdir()

            started = time.monotonic()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                list(pool.map(lambda u: fetch_conditional(u, "article", timeout=10, max_redirects=0,
                                                          max_bytes=1_000_000, allow_private=True), baseline_urls))
            baseline = time.monotonic() - started

            watcher = watch.Watcher(settings)
            with state.transaction(watcher.conn()):
                for number, url in enumerate(urls):
                    state.add_watch(watcher.conn(), f"{STORY}-{number % args.stories}", "article", url, 3600)
            first = watcher.run_cycle()
            watcher.conn().execute("UPDATE watches SET next_due = 0")
            second = watcher.run_cycle()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    limit = HOSTS / HOST_DELAY
    print(f"{total} watched URLs in {args.stories} stories on {HOSTS} loopback hosts, {CONCURRENCY} threads, "
          f"politeness {HOST_DELAY * 1000:.0f} ms per host (limit {limit:.0f} requests/s)")
    print("| run | seconds | requests | requests/s | share of politeness limit | outcomes |")
    print("|---|---|---|---|---|---|")
    rows = [("baseline: plain fetches, no delay, no storage", baseline, total, {"fetched": total}),
            ("cycle 1: first fetch, extract, store", first.seconds, first.requests, dict(first.outcomes)),
            ("cycle 2: conditional, all 304", second.seconds, second.requests, dict(second.outcomes))]
    for name, seconds, requests, outcomes in rows:
        rate = requests / seconds if seconds else 0.0
        print(f"| {name} | {seconds:.2f} | {requests} | {rate:.0f} | {rate / limit:.0%} | {outcomes} |")
    print(f"cycle 2 / baseline time: {second.seconds / baseline:.2f}x; cycle 1 / baseline: "
          f"{first.seconds / baseline:.2f}x")
    ok = first.outcomes.get("stored") == total and second.outcomes.get("not-modified") == total
    if not ok:
        print("unexpected outcomes: every URL should be stored once, then answered 304", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
