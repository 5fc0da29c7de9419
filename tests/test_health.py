"""The health endpoint: version, corpus size and problems, cache backend; 503 without a readable corpus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from parallax import __version__
from parallax.web.ops import CORPUS_GONE


def test_health_json_reports_corpus_and_cache(app: Flask) -> None:
    response = app.test_client().get("/-/health.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is True and data["version"] == __version__
    assert data["corpus"] == {"readable": True, "writable": True, "write_problem": None, "sources": 5, "stories": 1,
                              "problems": []}
    assert data["cache"] == {"backend": "memory", "ok": True}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_html_page(app: Flask) -> None:
    response = app.test_client().get("/-/health")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Healthy" in html and __version__ in html and "5 in 1 stories" in html


def test_health_lists_load_problems(app: Flask, corpus_dir: Path) -> None:
    (corpus_dir / "kim-putin-2023" / "broken.txt").write_text("no front matter\n", encoding="utf-8")
    data = app.test_client().get("/-/health.json").get_json()
    assert data["ok"] is True
    assert [p["path"] for p in data["corpus"]["problems"]] == ["kim-putin-2023/broken.txt"]


def test_missing_corpus_folder_is_503(app: Flask, corpus_dir: Path) -> None:
    shutil.rmtree(corpus_dir)
    response = app.test_client().get("/-/health.json")
    assert response.status_code == 503
    data = response.get_json()
    assert data["ok"] is False and data["corpus"]["readable"] is False and data["corpus"]["sources"] == 0
    assert app.test_client().get("/-/health").status_code == 503


def test_unreadable_corpus_folder_is_503(app: Flask, corpus_dir: Path) -> None:
    """A corpus path that can no longer be read as a folder (here a file put in its place, which even root cannot
    list, so the test runs in CI as root) is the one case health answers 503; the page says why."""
    client = app.test_client()
    assert client.get("/-/health.json").status_code == 200
    corpus_dir.rename(corpus_dir.with_name("moved-away"))
    corpus_dir.write_text("not a folder\n", encoding="utf-8")
    response = client.get("/-/health.json")
    assert response.status_code == 503
    corpus = response.get_json()["corpus"]
    assert response.get_json()["ok"] is False and corpus["readable"] is False
    assert corpus["write_problem"] == "the corpus folder cannot be read"
    page = client.get("/-/health")
    assert page.status_code == 503
    assert "Unavailable" in page.get_data(as_text=True) and "missing or unreadable" in page.get_data(as_text=True)
    reading = client.get("/index.json")  # the reading pages say the same, not 'no stories'
    assert reading.status_code == 503 and reading.get_json()["error"] == CORPUS_GONE


def test_unreadable_corpus_folder_is_503_by_access_check(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda *_args, **_kw: False)
    assert app.test_client().get("/-/health.json").status_code == 503


def test_down_shared_cache_degrades_but_stays_healthy(make_app: Callable[..., Flask]) -> None:
    app = make_app(CACHE_URL="redis://127.0.0.1:9/0")  # discard port: nothing listens
    response = app.test_client().get("/-/health.json")
    assert response.status_code == 200
    assert response.get_json()["cache"] == {"backend": "redis", "ok": False}
