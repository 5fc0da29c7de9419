"""WSGI entry point for any server (``gunicorn parallax.wsgi:app``): the only module that builds an app on import."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:  # app.py lives at the repository root, beside the package
    sys.path.insert(0, ROOT)

from app import create_app  # noqa: E402
from parallax.web.search import start_index_build  # noqa: E402

app = create_app()
start_index_build(app)  # the search index is built or brought up to date in the background
