"""Sign-in benchmark: how many wrong editor tokens a guesser gets checked per second, without and with the limit.

Run ``.venv/bin/python -m bench.bench_signin``. The app serves a copy of the bundled corpus on loopback (Werkzeug's
threaded server, editor token required); four threads send ``POST /api/watches`` with wrong Bearer tokens for
``--seconds`` seconds, once with the SIGNIN_FAILURES_* limits out of reach (what the app allowed before it had
them) and once with the defaults. A second measure sends each guess from a different client address (in process,
as through a proxy that forwards it), which only the overall limit holds. Printed: tokens checked (answered 403)
and refused unchecked (429) per second. It never fails on timing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from parallax.app import create_app  # noqa: E402
from parallax.config import load_settings  # noqa: E402

TOKEN = "bench-editor-token-7Qx2"  # noqa: S105 - a benchmark value
UNLIMITED = 10**9
BODY = json.dumps({"story": "kim-putin-2023", "url": "https://news.example/a"})


def build(corpus: Path, limited: bool) -> Any:
    """The app on ``corpus``, token required, with the default limits or none in reach."""
    extra = {} if limited else {"SIGNIN_FAILURES_PER_CLIENT": UNLIMITED, "SIGNIN_FAILURES_TOTAL": UNLIMITED}
    return create_app({"CORPUS_DIR": str(corpus), "HOST": "0.0.0.0", "EDITOR_TOKEN": TOKEN,  # noqa: S104
                       "SEARCH_BUILD_ON_START": False, "TRUSTED_HOSTS": "127.0.0.1,localhost", **extra})


def over_http(corpus: Path, limited: bool, seconds: float, threads: int = 4) -> dict[str, float]:
    """Guesses from one address over loopback HTTP: answers per second by status."""
    server = make_server("127.0.0.1", 0, build(corpus, limited), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    counts: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def guess(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        i = 0
        while time.monotonic() < deadline:
            conn.request("POST", "/api/watches", BODY, {"Content-Type": "application/json",
                                                        "Authorization": f"Bearer guess-{n}-{i}"})
            response = conn.getresponse()
            response.read()
            with lock:
                counts[response.status] = counts.get(response.status, 0) + 1
            i += 1
        conn.close()

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    server.shutdown()
    return {str(status): round(count / seconds, 1) for status, count in sorted(counts.items())}


def many_addresses(corpus: Path, limited: bool, seconds: float) -> dict[str, float]:
    """Guesses each from a new client address, in process: answers per second by status."""
    client = build(corpus, limited).test_client()
    counts: dict[int, int] = {}
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += 1
        response = client.post("/api/watches", data=BODY, content_type="application/json",
                               headers={"Authorization": f"Bearer guess-{n}"},
                               environ_base={"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"})
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
    return {str(status): round(count / seconds, 1) for status, count in sorted(counts.items())}


def main() -> int:
    """Print guesses per second checked (403) and refused (429), without and with the limits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    defaults = load_settings({}, {})
    print(f"limits: {defaults['SIGNIN_FAILURES_PER_CLIENT']} wrong tokens per client and "
          f"{defaults['SIGNIN_FAILURES_TOTAL']} in all per minute (per server process)")
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns(".*"))
        for limited in (False, True):
            label = "with the limits   " if limited else "without the limits"
            print(f"{label}: one address over HTTP {over_http(corpus, limited, args.seconds)} per s; "
                  f"a new address each guess {many_addresses(corpus, limited, args.seconds)} per s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
