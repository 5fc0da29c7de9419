"""The team server builds the app, the corpus and the comparison models once, in gunicorn's master, before forking
its workers (so they share those pages), and starts no thread there (threads do not survive a fork)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from parallax.engine import encoders

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, os, sqlite3, threading
from parallax.config import load_settings
from parallax.corpus_store import walk_files
from parallax.engine import encoders, similarity
from parallax.serve import ParallaxServer, gunicorn_options
server = ParallaxServer(gunicorn_options(load_settings()))
app = server.wsgi()  # what gunicorn's master runs once with preload_app
root = load_settings()["CORPUS_DIR"]
catalogue = os.path.join(root, ".parallax", "catalogue.db")
rows = (sqlite3.connect(catalogue).execute("SELECT rel FROM files").fetchall()
        if os.path.exists(catalogue) else [])
print(json.dumps({"preload": server.cfg.preload_app, "threads": [t.name for t in threading.enumerate()],
                  "models": [similarity._zipf.cache_info().currsize,
                             sorted(name for name, model in encoders._MODELS.items() if model is not None)],
                  "catalogued": sorted(rel for (rel,) in rows),
                  "files": sorted(os.path.relpath(path, root) for path in walk_files(root))}))
"""


def test_master_loads_app_and_models_once_and_starts_no_thread(corpus_dir: Path) -> None:
    """Before any worker exists, the master holds the app and both models, has read every corpus file once (the
    catalogue a restart starts from is written), and no thread but its own runs."""
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_FRONT": "none",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["preload"] is True
    assert found["threads"] == ["MainThread"]
    assert found["models"] == [1, sorted(encoders.LOADERS)]
    assert found["files"] and found["catalogued"] == found["files"]
