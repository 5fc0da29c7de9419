"""Lighthouse scores (performance, accessibility, best practices, SEO) of the index, comparisons, a source and a story.

Each page is requested once before Lighthouse loads it, so the scores are of a page as a reader gets it from a
running server (the reading engine's models loaded, the comparison computed); the first comparison after a start
takes the models' load as well, which is start-up, not the page.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = "lighthouse@13.5.0"
PAGES = {"index": "/", "comparison (side)": "/compare/moscow-times-plain/press-tv",
         "comparison (inline)": "/compare/press-tv/the-national?view=inline", "source": "/sources/rt",
         "story": "/stories/kim-putin-2023"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")


def serve() -> str:
    """Serve the app on the bundled corpus on a free loopback port; return its base URL."""
    sys.path.insert(0, str(ROOT))
    from parallax.app import create_app

    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


#: Runs of Lighthouse per page and preset before the benchmark gives up.
ATTEMPTS = 3


def scores(url: str, out: Path, preset: str) -> dict[str, float]:
    """Run Lighthouse on one URL (mobile, its default, or the desktop preset) and return its category scores."""
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    command = ["npx", "--yes", LIGHTHOUSE, url, f"--chrome-flags={CHROME_FLAGS}",
               *(["--preset=desktop"] if preset == "desktop" else []),
               f"--only-categories={','.join(CATEGORIES)}", "--output=json", f"--output-path={out}", "--quiet"]
    for attempt in range(ATTEMPTS):  # Lighthouse sometimes loses the trace of a load (NO_NAVSTART): run it again
        done = subprocess.run(command, check=False, env={**os.environ, "CHROME_PATH": chromium}, timeout=300)
        if done.returncode == 0:
            break
        print(f"  (Lighthouse failed on {url}, attempt {attempt + 1} of {ATTEMPTS})", flush=True)
    else:
        raise SystemExit(f"Lighthouse failed {ATTEMPTS} times on {url}")
    report = json.loads(out.read_text(encoding="utf-8"))
    return {name: report["categories"][name]["score"] for name in CATEGORIES}


def main() -> None:
    """Print a table of scores for each page."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="score a running server instead of starting one")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines between the scores
    base = args.base or serve()
    print(f"{'page':<22}{'preset':<9}" + "".join(f"{c:>16}" for c in CATEGORIES))
    with tempfile.TemporaryDirectory() as folder:
        for name, path in PAGES.items():
            with urllib.request.urlopen(base + path, timeout=120) as response:  # noqa: S310 - our own loopback server
                response.read()
            for preset in ("mobile", "desktop"):
                result = scores(base + path, Path(folder) / "report.json", preset)
                print(f"{name:<22}{preset:<9}" + "".join(f"{result[c]:>16.2f}" for c in CATEGORIES), flush=True)


if __name__ == "__main__":
    main()
