"""Run Parallax on the bundled corpus (``python app.py``); the application factory lives in parallax.app."""

from __future__ import annotations

from parallax.app import create_app, main

__all__ = ["create_app", "main"]

if __name__ == "__main__":
    main()
