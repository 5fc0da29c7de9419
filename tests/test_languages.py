"""Every source's language: detected from its text (shipped model, no download), stored, shown, editable, searched."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax import languages
from parallax.corpus import load_corpus
from tests.test_manage import edit
from tests.test_search import hit_sources

STORY = "kim-putin-2023"
DATA = Path(__file__).parent.parent / "bench" / "data" / "real" / "xlang"
#: Real news: Kommersant's report of the G7 statement, and its English translation (WMT22 test set).
RUSSIAN = (DATA / "ru-en-kommersant-51685" / "left.txt").read_text(encoding="utf-8")
ENGLISH = (DATA / "ru-en-kommersant-51685" / "right.txt").read_text(encoding="utf-8")
KOREAN = (DATA / "ko-en-typhoon-fung-wong" / "left.txt").read_text(encoding="utf-8")
CHINESE = (DATA / "zh-en-democracy-summit-closes" / "left.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "language"), [(RUSSIAN, "ru"), (ENGLISH, "en"), (KOREAN, "ko"), (CHINESE, "zh"),
                                                ("رهبر کره شمالی با قطار زرهی وارد روسیه شد و با پوتین دیدار کرد.",
                                                 "fa")])
def test_detects_the_language_of_real_news(text: str, language: str) -> None:
    assert languages.detect(text) == language


def test_text_without_letters_gets_the_default() -> None:
    assert languages.detect("12 345 — 2023-09-12") == "en"
    assert languages.detect("12 345", default="ru") == "ru"


def test_the_shipped_model_loads_without_any_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The identifier is the small model inside the wheel: with sockets refused, a fresh load still detects."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(languages, "_MODEL", [])
    assert languages.model_path().is_file() and languages.model_path().stat().st_size < 2_000_000
    assert languages.detect(RUSSIAN) == "ru"


def test_a_file_without_a_language_field_gets_its_text_language(corpus_dir: Path) -> None:
    (corpus_dir / STORY / "kommersant.txt").write_text(
        f"---\nid: kommersant-g7\nstory: {STORY}\noutlet: Kommersant\n---\n{RUSSIAN}", encoding="utf-8")
    source = load_corpus(corpus_dir).get("kommersant-g7")
    assert source is not None and source.language == "ru"
    assert load_corpus(corpus_dir).get("rt").language == "en"  # type: ignore[union-attr]


def test_added_text_is_stored_with_its_detected_language(add_app: Callable[..., Flask], corpus_dir: Path) -> None:
    client = add_app().test_client()
    response = client.post("/api/sources", json={"text": RUSSIAN, "story": STORY, "outlet": "Kommersant"})
    assert response.status_code == 201, response.get_data(as_text=True)
    source_id = response.get_json()["id"]
    assert load_corpus(corpus_dir).get(source_id).language == "ru"  # type: ignore[union-attr]
    page = client.get(f"/sources/{source_id}").get_data(as_text=True)
    assert "Russian" in page
    index = client.get("/").get_data(as_text=True)
    assert "<th scope=\"col\">Language</th>" in index and "Russian" in index


def test_the_language_is_editable_and_checked(client: FlaskClient, corpus_dir: Path) -> None:
    response = edit(client, "rt", language="ru")
    assert response.status_code == 303
    assert load_corpus(corpus_dir).get("rt").language == "ru"  # type: ignore[union-attr]
    bad = edit(client, "rt", language="Russian!")
    assert bad.status_code == 400 and "language must be a language tag" in bad.get_data(as_text=True)


def test_search_filters_by_detected_language(client: FlaskClient, corpus_dir: Path) -> None:
    (corpus_dir / STORY / "kommersant.txt").write_text(
        f"---\nid: kommersant-g7\nstory: {STORY}\noutlet: Kommersant\n---\n{RUSSIAN}", encoding="utf-8")
    found = json.loads(client.get("/search.json?q=G7+lang:ru").get_data(as_text=True))
    assert hit_sources(found) == {"kommersant-g7"}
    assert "kommersant-g7" not in hit_sources(json.loads(client.get("/search.json?q=G7+lang:en").get_data()))
