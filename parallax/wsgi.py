"""WSGI entry point for any server (``gunicorn parallax.wsgi:app``): the only module that builds an app on import."""

from __future__ import annotations

from parallax.app import create_app

app = create_app()
