"""Search on app servers reading one PostgreSQL store: /search is answered by the store's search column (tsvector
under GIN), so a source added through one server is found by every other at once and no server builds a search
index of its own; the page and its JSON keep their shape, every query form and filter finds what the embedded index
finds on the same corpus, and what the store's search does differently is said in the answer."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from parallax.app import create_app
from parallax.index.search import default_path
from tests.conftest import BUNDLED, STORY
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

QUERIES = ["putin", "kim jong", '"armored train"', "vlad*", "putin -kim", "train outlet:rt", "putin outlet:\"the "
           "moscow times\"", f"summit story:{STORY}", "kim source:rt", "putin lang:en", "putin from:2023-09-12",
           "putin to:2023-09", "putin to:2023-09-11", "peskov's", "pyongyang -train", "nothingfoundhere"]


def _found(app: Flask, query: str) -> set[tuple[str, int]]:
    """Every hit of a search as (source, sentence), captures included, but for sentences holding a web address (the
    store's search reads an address as one word, and says so)."""
    answer = app.test_client().get("/search.json", query_string={"q": query})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {(c["source"], int(c["href"].rsplit("#s", 1)[1])) for r in answer.get_json()["results"]
            for h in r["hits"] if "://" not in h["text"] for c in h["captures"]}


@pytest.fixture(name="embedded")
def embedded_fixture(tmp_path: Path) -> Flask:
    """An app on the bundled corpus as files, with its own index."""
    corpus = tmp_path / "files"
    shutil.copytree(BUNDLED, corpus, ignore=shutil.ignore_patterns(".*"))
    app = create_app({"CORPUS_DIR": str(corpus)})
    app.config["TESTING"] = True
    return app


def test_every_query_form_finds_what_the_embedded_index_finds(db_apps: tuple[Flask, Flask], embedded: Flask) -> None:
    one, _two = db_apps
    for query in QUERIES:
        assert _found(one, query) == _found(embedded, query), query
    assert _found(one, "putin"), "the bundled corpus names Putin"


def test_filters_find_the_same_from_the_sources_they_name_and_from_the_words_matches(
        db_apps: tuple[Flask, Flask], embedded: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter naming few sources is answered from their sentences, one naming many from the word's matches: the
    two ways find the same, and what the embedded index finds."""
    from parallax.store import search as store_search

    filtered = [q for q in QUERIES if ":" in q]
    chosen: list[str | None] = []
    from_few = store_search.StoreSearch._from_few

    def spy(self: Any, *args: Any) -> str | None:
        chosen.append(from_few(self, *args))
        return chosen[-1]

    monkeypatch.setattr(store_search.StoreSearch, "_from_few", spy)
    few = {query: _found(db_apps[0], query) for query in filtered}  # five sources: always "few"
    assert len(chosen) == len(filtered) and all(sql and "chosen" in sql for sql in chosen)  # from the sources
    monkeypatch.setattr(store_search, "FEW_SOURCES", 0)
    for query in filtered:
        assert few[query] == _found(db_apps[0], query) == _found(embedded, query), query
    # a filter naming any source that holds a match is now past "few": answered from the word's matches
    assert all(sql is None for query, sql in zip(filtered, chosen[len(filtered):], strict=True) if few[query])
    assert any(few.values())


def test_a_source_added_on_one_server_is_found_by_the_others_search_from_the_store(
        db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    added = one.test_client().post("/api/sources", json={
        "text": "The Zollverein ferry left Tromsø harbour at dawn.\n", "story": STORY, "outlet": "Harbour Post"})
    assert added.status_code == 201
    source = added.get_json()["id"]
    answer = two.test_client().get("/search.json", query_string={"q": "zollverein"}).get_json()
    assert [h["source"] for r in answer["results"] for h in r["hits"]] == [source]
    assert answer["updating"] is False and answer["limits"]  # the store's search says how it differs
    assert _found(two, "tromsø") == {(source, 0)}  # typed with its accent: found as written
    assert _found(two, "tromso harbour") == set()  # without it: not found, as the answer's limits say
    page = two.test_client().get("/search", query_string={"q": "zollverein outlet:\"harbour post\""})
    assert page.status_code == 200 and "Harbour Post" in page.get_data(as_text=True)
    assert "Accents count" in page.get_data(as_text=True)
    for app in db_apps:
        assert not default_path(app.config["CORPUS_DIR"]).exists()  # no server built an index to search


def test_the_embedded_index_says_nothing_differs(embedded: Flask) -> None:
    answer = embedded.test_client().get("/search.json", query_string={"q": "putin"}).get_json()
    assert answer["limits"] == [] and answer["count"] > 0


def test_each_search_says_which_matches_an_unranked_answer_shows(db_apps: tuple[Flask, Flask],
                                                                 embedded: Flask) -> None:
    on_store = db_apps[0].test_client().get("/search.json", query_string={"q": "putin"}).get_json()
    assert on_store["unranked_order"] == "the first the database finds come first"
    on_index = embedded.test_client().get("/search.json", query_string={"q": "putin"}).get_json()
    assert on_index["unranked_order"] == "the most recently indexed come first"


def test_a_search_the_database_cannot_finish_in_time_answers_503(db_apps: tuple[Flask, Flask],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A search slower than its budget is stopped by the database and answered 503 saying so, in both forms; it
    holds no thread or connection past the budget."""
    from parallax.store import search as store_search

    slow = store_search._filters

    def sleeping(query: Any) -> tuple[list[str], dict[str, Any]]:
        filters, values = slow(query)
        return [*filters, "pg_sleep(0.2) IS NOT NULL"], values  # every source looked at takes 0.2 s

    monkeypatch.setattr(store_search, "_filters", sleeping)
    monkeypatch.setattr(store_search, "RANK_MS", 20)
    monkeypatch.setattr(store_search, "FALLBACK_MS", 50)
    client = db_apps[0].test_client()
    answer = client.get("/search.json", query_string={"q": "putin"})
    assert answer.status_code == 503
    assert answer.get_json()["cause"] == "unavailable" and "longer than 0.05 s" in answer.get_json()["error"]
    page = client.get("/search", query_string={"q": "putin"})
    assert page.status_code == 503 and "add words or filters" in page.get_data(as_text=True)
    assert client.get("/search.json", query_string={"q": "putin"}).status_code == 503  # the connection still works
