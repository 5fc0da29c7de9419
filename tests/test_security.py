"""Security headers on every kind of response, no debug mode or tracebacks, bandit-clean app code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from parallax.app import create_app

ROOT = Path(__file__).resolve().parent.parent


def assert_secure(response: TestResponse) -> None:
    """The security headers every response carries."""
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path, status", [
    ("/", 200), ("/index.json", 200), ("/compare/press-tv/rt", 200), ("/compare/press-tv/rt.json", 200),
    ("/static/parallax.css", 200), ("/static/parallax.js", 200), ("/openapi.json", 200), ("/-/health", 200),
    ("/-/health.json", 200), ("/sources/nope", 404), ("/sources/nope.json", 404),
    ("/compare/rt/press-tv.json?unit=bogus", 400), ("/no/such/page", 404), ("/static/nope.css", 404),
])
def test_security_headers_everywhere(app: Flask, path: str, status: int) -> None:
    response = app.test_client().get(path)
    assert response.status_code == status
    assert_secure(response)


def boom() -> str:
    """A view that fails."""
    raise RuntimeError("secret internal detail")


@pytest.mark.parametrize("path", ["/boom", "/api/boom"])
def test_unhandled_error_is_a_plain_500(app: Flask, path: str) -> None:
    app.add_url_rule(path, "boom" + path.replace("/", "_"), boom)
    app.config["TESTING"] = False  # as served: exceptions are handled, not propagated
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(path)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "secret internal detail" not in body and "RuntimeError" not in body
    assert_secure(response)
    if path.startswith("/api/"):
        assert response.get_json() == {"ok": False, "status": 500, "error": response.get_json()["error"]}


def test_create_app_is_never_in_debug_mode(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"CORPUS_DIR": str(corpus_dir)})
    assert app.debug is False
    assert not app.config.get("PROPAGATE_EXCEPTIONS")


def test_wsgi_entry_point_app_is_not_debug(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app ``gunicorn parallax.wsgi:app`` serves is never in debug mode, whatever FLASK_DEBUG says; it is built
    here on the test's copy of the corpus, where its start-up index build writes (never the checkout's corpus/)."""
    import importlib
    import sys
    import threading

    monkeypatch.setenv("PARALLAX_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delitem(sys.modules, "parallax.wsgi", raising=False)
    wsgi = importlib.import_module("parallax.wsgi")
    for thread in threading.enumerate():
        if thread.name == "parallax-search-build":
            thread.join(timeout=60)
    assert isinstance(wsgi.app, Flask) and wsgi.app.debug is False
    assert wsgi.app.config["CORPUS_DIR"] == str(corpus_dir) and (corpus_dir / ".parallax").is_dir()
    assert wsgi.app.test_client().get("/-/health.json").get_json()["corpus"]["sources"] == 5


def test_bandit_is_clean() -> None:
    bandit = ROOT / ".venv" / "bin" / "bandit"
    if not bandit.exists() and not shutil.which("bandit"):
        pytest.skip("bandit is not installed (make test installs it)")
    command = [str(bandit) if bandit.exists() else "bandit", "-q", "-c", "pyproject.toml", "-r", "parallax", "app.py"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

