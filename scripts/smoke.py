"""Smoke test of a plain install: run with the Python of a venv that has only ``pip install -r requirements.txt``.

Starts the app (``app.py``, what ``make run`` runs) on a free port with a copy of the bundled corpus in a
temporary folder, checks that the index renders with a known outlet, and that an HTML page sent to
``POST /api/sources`` is extracted and saved (201). Exits non-zero, printing the server's log, on any failure.

    python3.11 -m venv /tmp/plain && /tmp/plain/bin/pip install -r requirements.txt
    /tmp/plain/bin/python scripts/smoke.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWN_OUTLET = "Press TV"
START_SECONDS = 60
ARTICLE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour bridge opens after six years | Smoke Gazette</title>
<meta name="author" content="Ada Example"><meta property="og:site_name" content="Smoke Gazette"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour bridge opens after six years</h1>
<p>The new harbour bridge opened to traffic on Tuesday morning, six years after the city council first approved
the project and two years later than planned.</p>
<p>About four thousand cars crossed in the first hour, the transport office said, and queues on the old ferry
route had disappeared by noon.</p>
<p>"This bridge will change how the whole city moves," the mayor told reporters at the opening ceremony, where
the first pedestrians crossed to a brass band.</p>
<p>Critics said the final cost, almost twice the first estimate, should have been debated again before the last
contracts were signed.</p>
</article><footer>Subscribe to our newsletter.</footer></body></html>
"""


class SmokeFailure(Exception):
    """A check of the smoke test failed."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, payload: dict[str, str] | None = None) -> tuple[int, str]:
    """Status and body of a GET, or of a JSON POST when ``payload`` is given (HTTP errors included)."""
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback URL built here)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def check(condition: bool, message: str) -> None:
    """Fail the smoke test with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SmokeFailure(message)


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    """Wait for the health endpoint to answer, failing if the server exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            status, _ = request(base + "/-/health.json")
            check(status == 200, f"/-/health.json answered {status}")
            return
        except OSError:
            check(server.poll() is None, f"the app exited at start (status {server.returncode})")
            check(time.monotonic() < deadline, f"the app did not answer within {START_SECONDS} s")
            time.sleep(0.2)


def run_checks(base: str) -> list[str]:
    """The smoke checks against a running app; a line per check passed."""
    passed = []
    status, body = request(base + "/")
    check(status == 200, f"GET / answered {status}: {body[:300]}")
    check(KNOWN_OUTLET in body and 'href="/sources/press-tv"' in body, f"GET / does not list {KNOWN_OUTLET}")
    passed.append(f"GET / 200 with {KNOWN_OUTLET}")
    status, body = request(base + "/api/sources", {"html": ARTICLE_HTML, "story": "smoke-test",
                                                   "story_title": "Smoke test", "published": "2024-05-07"})
    check(status == 201, f"POST /api/sources with html answered {status}: {body[:500]}")
    saved = json.loads(body)
    check(saved.get("ok") is True and bool(saved.get("id")), f"POST /api/sources answered {saved}")
    passed.append(f"POST /api/sources (html) 201, saved as {saved['id']}")
    status, body = request(base + saved["json"])
    check(status == 200, f"GET {saved['json']} answered {status}")
    source = json.loads(body)
    text = source.get("reading_text", "")
    check("harbour bridge opened" in text and "newsletter" not in text,
          f"the saved source's text is not the article: {text[:300]!r}")
    passed.append(f"GET {saved['json']} 200: the article text was extracted")
    return passed


def main() -> int:
    """Run the smoke test; 0 when every check passes, 1 (with the app's log) otherwise."""
    work = Path(tempfile.mkdtemp(prefix="parallax-smoke-"))
    shutil.copytree(ROOT / "corpus", work / "corpus")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARALLAX_", "GUNICORN", "FLASK_"))}
    env.update({"PARALLAX_PORT": str(port), "PARALLAX_CORPUS_DIR": str(work / "corpus"),
                "PARALLAX_DRAFT_DIR": str(work / "drafts"), "PARALLAX_CORPUS_RESCAN_SECONDS": "0"})
    log = work / "app.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        for line in run_checks(base):
            print(f"smoke: ok   {line}")
    except (SmokeFailure, OSError, ValueError) as failure:
        print(f"smoke: FAILED {failure}", file=sys.stderr)
        print("---- app log ----", file=sys.stderr)
        print(log.read_text(encoding="utf-8", errors="replace"), file=sys.stderr)
        return 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"smoke: passed with {sys.executable} (Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
