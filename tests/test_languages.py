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
from markupsafe import escape

from parallax import languages
from parallax.corpus_store import load_corpus
from tests.fixtures import xlang
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


def test_story_overview_says_which_passages_are_carried_in_translation(make_app: Callable[..., Flask],
                                                                       corpus_dir: Path) -> None:
    """A Russian report and its English translation as one story: each source's language is named, the Russian
    passages the translation carries are carried (not "only here"), marked as carried in translation on the page
    and in its twin, and a quotation is grouped with its translation, marked as one."""
    russian, english = xlang.add_pair(corpus_dir)
    client = make_app(OVERVIEW_TIME_BUDGET=60).test_client()
    data = json.loads(client.get(f"/stories/{xlang.STORY}.json").get_data(as_text=True))
    assert data["limits"] == []
    assert [(item["name"], item["sources"]) for item in data["languages"]] == [("Russian", [russian]),
                                                                                 ("English", [english])]
    assert {s["id"]: s["language_name"] for s in data["sources"]} == {russian: "Russian", english: "English"}
    passages = data["coverage"]["passages"]
    assert data["coverage"]["base"] == russian
    carried = [p for p in passages if [(c["id"], c["language"], c["translation"]) for c in p["carriers"]]
               == [(english, "en", True)]]
    # Every labelled translation of a base passage is carried by the English source.
    labelled = [p for p in passages if any(xlang.folded(ru) in xlang.folded(p["text"]) for ru, _ in xlang.LINKS)]
    assert labelled and all(p in carried for p in labelled)
    assert data["coverage"]["translated"] == len(carried) and not any(p["only_here"] for p in carried)
    unique = {u["id"]: u["passages"] for u in data["unique"]}
    assert len(unique[russian]) <= len(passages) - len(carried)
    translated = [g for g in data["quotes"]["groups"] if g["languages"] == ["ru", "en"]]
    assert translated, data["quotes"]
    for group in translated:
        assert [(v["language"], v["translation"]) for v in group["variants"]] == [("ru", False), ("en", True)]
        assert group["outlets"] == [xlang.RU_OUTLET, xlang.EN_OUTLET]
    page = client.get(f"/stories/{xlang.STORY}").get_data(as_text=True)
    assert page.count("(in English translation)") == sum(len(p["carriers"]) for p in carried)
    assert "in Russian, English" in page and "Sources in 2 languages" in page
    quotes = page[page.index('id="quotes-h"'):]
    for group in translated:
        first, second = (v["text"] for v in group["variants"])
        assert f'<blockquote lang="ru">{escape(first)}</blockquote>' in quotes
        version = quotes[quotes.index(f'<blockquote lang="en">{escape(second)}</blockquote>'):]
        assert version.index("Translation into English") < version.index("</figure>")


def test_story_matrix_counts_a_translation_as_shared(make_app: Callable[..., Flask], corpus_dir: Path) -> None:
    """The story's matrix gives each pair the share of passages their comparison pairs: a Russian report and its
    English translation share no phrasing, yet almost every passage of each is paired, and the matrix says so
    (it once showed 0, disagreeing with the comparison page)."""
    russian, english = xlang.add_pair(corpus_dir)
    client = make_app(OVERVIEW_TIME_BUDGET=60).test_client()
    data = client.get(f"/stories/{xlang.STORY}.json").get_json()
    cell = next(c for row in data["matrix"]["rows"] if row["id"] == russian for c in row["cells"] if c["id"] == english)
    assert cell["measure"] == "paired" and cell["similarity"] >= 0.7
    compared = client.get(f"/compare/{russian}/{english}.json").get_json()
    assert any(r["kind"] != "left_only" and r["left"] and r["right"] for r in compared["rows"])
    page = client.get(f"/stories/{xlang.STORY}").get_data(as_text=True)
    assert f"{round(cell['similarity'] * 100)}</a>" in page
