"""WSGI entry point for any server (``gunicorn parallax.wsgi:app``): the only module that builds an app on import."""

from __future__ import annotations

from parallax.app import create_app
from parallax.web.app_index import start_index_build

app = create_app()
start_index_build(app)  # the search index is built or brought up to date in the background
