"""Search: query syntax, the FTS5 index kept in step with the corpus, results, filters and hostile queries."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from parallax.index.query import MAX_QUERY_CHARS, QueryError, mark_segments, parse_query
from parallax.index.search import CorpusIndex, build_index, default_path
from tests.conftest import STORY, front_matter


def search(client: FlaskClient, q: str, **params: str) -> dict[str, Any]:
    """The JSON search result for a query, asserting it answered 200."""
    response = client.get("/search.json", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def hit_sources(data: dict[str, Any]) -> set[str]:
    """Ids of the sources with a matching sentence."""
    return {h["source"] for r in data["results"] for h in r["hits"]}


def marked(hit: dict[str, Any]) -> list[str]:
    """The marked pieces of a hit."""
    return [s["text"] for s in hit["segments"] if s["mark"]]


# --- query syntax -------------------------------------------------------------------------------------------------

def test_parse_builds_quoted_fts_terms_and_filters() -> None:
    query = parse_query('peskov "full-fledged visit" vladi* -rt outlet:"The Moscow Times" lang:en from:2023-09')
    assert query.match() == '"peskov" AND "full fledged visit" AND "vladi"* NOT "rt"'
    assert query.filters() == {"outlet": "The Moscow Times", "lang": "en", "from": "2023-09"}


def test_form_fields_override_query_filters() -> None:
    query = parse_query("kim outlet:RT", outlet="Press TV", to="2023-09-30")
    assert query.outlet == "Press TV" and query.date_to == "2023-09-30"


def test_fts_syntax_in_user_text_is_only_words() -> None:
    query = parse_query("NEAR(kim putin) OR AND ^x {text}:y")  # punctuation inside a chunk joins a phrase
    assert query.match() == '"near kim" AND "putin" AND "or" AND "and" AND "x" AND "text y"'


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Nothing to search for"), ("   ", "Nothing to search for"), ('"', "quotation mark is not closed"),
    ('"kim putin', "quotation mark is not closed"), ("*", "Nothing to search for"), ("-", "Nothing to search for"),
    ("-kim", "Nothing to search for"), ("v*", "at least 2 letters"), ("k" * (MAX_QUERY_CHARS + 1), "too long"),
    ("kim\x00", "NUL"), ("kim \ud800", "surrogates"), (" ".join(["w"] * 30), "Too many search terms"),
    ("kim from:yesterday", "'from' must be a date"),
])
def test_unusable_queries_raise_with_a_reason(raw: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_query(raw)


def test_marks_phrases_where_they_stand_and_prefixes() -> None:
    query = parse_query('"will be" vladi*')
    pieces = mark_segments("It will do; it will be fine, Vladimir said.", query)
    assert [p for p, m in pieces if m] == ["will be", "Vladimir"]
    assert "".join(p for p, _ in pieces) == "It will do; it will be fine, Vladimir said."


# --- the index and the corpus -------------------------------------------------------------------------------------

def test_index_lives_in_a_hidden_folder_in_wal_mode(client: FlaskClient, corpus_dir: Path) -> None:
    search(client, "peskov")
    path = default_path(corpus_dir)
    assert path == corpus_dir / ".parallax" / "search.db" and path.exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert client.get("/").status_code == 200  # the loader never reads the hidden folder
    assert not client.get("/index.json").get_json()["problems"]


def test_build_index_reports_progress(corpus_dir: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    stats = build_index(corpus_dir, progress=lambda done, total: calls.append((done, total)),
                        path=tmp_path / "x.db")
    assert stats.added == 5 and calls[-1] == (5, 5)
    again = build_index(corpus_dir, path=tmp_path / "x.db")
    assert again.added == 0 and again.removed == 0


def test_sync_reindexes_only_what_changed(corpus_dir: Path) -> None:
    from parallax.corpus_store import load_corpus

    index = CorpusIndex(None)
    assert index.sync(load_corpus(corpus_dir)).added == 5
    path = corpus_dir / STORY / "rt.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA zebracorn appeared.\n", encoding="utf-8")
    stats = index.sync(load_corpus(corpus_dir))
    assert (stats.added, stats.removed, stats.ids) == (1, 1, ["rt"])
    assert [h.source for h in index.search(parse_query("zebracorn"))] == ["rt"]


def test_added_edited_and_removed_sources_are_followed(client: FlaskClient, corpus_dir: Path) -> None:
    new = corpus_dir / STORY / "wire.txt"
    new.write_text(front_matter(id="wire", story=STORY, outlet="Wire", published="2023-09-13")
                   + "The quokkafish summit opened in Vladivostok.\n", encoding="utf-8")
    assert hit_sources(search(client, "quokkafish")) == {"wire"}
    new.write_text(front_matter(id="wire", story=STORY, outlet="Wire", published="2023-09-13")
                   + "The narwhalbird summit opened in Vladivostok.\n", encoding="utf-8")
    assert hit_sources(search(client, "quokkafish")) == set()
    assert hit_sources(search(client, "narwhalbird")) == {"wire"}
    new.unlink()
    assert hit_sources(search(client, "narwhalbird")) == set()
    (corpus_dir / STORY / "rt.txt").unlink()
    assert "rt" not in hit_sources(search(client, "kim"))


# --- results ------------------------------------------------------------------------------------------------------

def test_words_find_sentences_grouped_by_story_with_anchors(client: FlaskClient) -> None:
    data = search(client, "peskov")
    assert [r["story"] for r in data["results"]] == [STORY]
    hits = data["results"][0]["hits"]
    assert {"press-tv", "the-national", "rt", "moscow-times-plain"} <= hit_sources(data)
    for hit in hits:
        assert marked(hit) and all(m.lower() == "peskov" for m in marked(hit))
        assert hit["href"] == f"/sources/{hit['source']}#s{hit['pos']}"
    first = hits[0]
    page = client.get(first["href"].split("#")[0]).get_data(as_text=True)
    anchor = re.search(rf'id="s{first["pos"]}">([^<]*)<', page)
    assert anchor and "Peskov" in anchor.group(1)


def test_phrase_needs_the_words_in_order(client: FlaskClient) -> None:
    assert hit_sources(search(client, '"full-fledged visit"')) == {"press-tv", "the-national"}
    assert hit_sources(search(client, '"visit full-fledged"')) == set()


def test_prefix_matches_word_starts(client: FlaskClient) -> None:
    data = search(client, "vladi*")
    words = {m for r in data["results"] for h in r["hits"] for m in marked(h)}
    assert {"Vladimir", "Vladivostok"} <= words
    assert hit_sources(search(client, "vladiv*")) and not any(
        m == "Vladimir" for r in search(client, "vladiv*")["results"] for h in r["hits"] for m in marked(h))


def test_filters_by_outlet_story_language_and_date(client: FlaskClient) -> None:
    assert hit_sources(search(client, "kim outlet:RT")) == {"rt"}
    assert hit_sources(search(client, "kim", outlet="The Moscow Times")) == {"moscow-times-plain",
                                                                             "moscow-times-markdown"}
    assert hit_sources(search(client, 'kim outlet:"press tv"')) == {"press-tv"}
    assert hit_sources(search(client, "kim story:no-such-story")) == set()
    assert hit_sources(search(client, "kim", story=STORY))
    assert hit_sources(search(client, "kim lang:fr")) == set()
    dated = hit_sources(search(client, "kim from:2023-09-12 to:2023-09-12"))
    assert dated == {"press-tv", "moscow-times-plain", "moscow-times-markdown"}  # RT and The National have no date
    assert hit_sources(search(client, "kim", **{"from": "2023-09-13"})) == set()
    assert hit_sources(search(client, "kim to:2023-09")) == dated


def test_quote_search_lists_the_other_wordings(client: FlaskClient) -> None:
    data = search(client, "implementing neighbours")
    groups = data["quotes"]
    assert len(groups) == 1 and groups[0]["speaker"] == "Dmitry Peskov"
    variants = groups[0]["variants"]
    assert [v["matched"] for v in variants].count(True) == 1
    other = next(v for v in variants if not v["matched"])
    assert other["text"].startswith("In building our relations") and "Press TV" in other["outlets"]


@pytest.mark.parametrize("q", ['"', "NEAR(", "*", "-", "kim \"", "x" * 5000, "kim\x00", "v*", ")", "AND",
                               "outlet:", "^", '"" kim', "kim:"])
def test_hostile_queries_answer_400_or_200_never_500(client: FlaskClient, q: str) -> None:
    for url in ("/search", "/search.json"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code in (200, 400), (url, q)
        if response.status_code == 400:
            text = response.get_data(as_text=True)
            if url.endswith(".json"):
                body = response.get_json()
                assert body["ok"] is False and body["status"] == 400 and body["error"]
            else:
                assert "This query cannot be run" in text and "\x00" not in text


def test_bad_queries_get_400_with_the_message(client: FlaskClient) -> None:
    response = client.get("/search.json", query_string={"q": '"kim putin'})
    assert response.status_code == 400 and "not closed" in response.get_json()["error"]
    html = client.get("/search", query_string={"q": "v*"})
    assert html.status_code == 400 and "at least 2 letters" in html.get_data(as_text=True)
    missing = client.get("/search.json")
    assert missing.status_code == 400 and missing.get_json()["ok"] is False


def test_search_page_without_query_shows_the_form(client: FlaskClient) -> None:
    response = client.get("/search")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="q"' in html and "This query cannot be run" not in html
    assert 'role="search"' in client.get("/").get_data(as_text=True)  # the header box on every page


def test_matched_text_is_escaped(client: FlaskClient, corpus_dir: Path) -> None:
    (corpus_dir / STORY / "evil.txt").write_text(
        front_matter(id="evil", story=STORY, outlet="<b>Evil</b>")
        + 'The <script>alert("xylophonex")</script> line & more.\n', encoding="utf-8")
    html = client.get("/search", query_string={"q": "xylophonex"}).get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;<mark>xylophonex</mark>" in html
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt;" in html


def test_two_workers_sharing_one_index_file_index_each_source_once(corpus_dir: Path, tmp_path: Path) -> None:
    from parallax.corpus_store import load_corpus

    first, second = CorpusIndex(tmp_path / "shared.db"), CorpusIndex(tmp_path / "shared.db")
    corpus = load_corpus(corpus_dir)
    assert first.sync(corpus).added == 5
    assert second.sync(corpus).added == 0  # the other worker already did it
    (corpus_dir / STORY / "rt.txt").unlink()
    changed = load_corpus(corpus_dir)
    assert second.sync(changed).removed == 1 and first.sync(changed).removed == 0
    assert first.count()[0] == second.count()[0] == 4


def test_schema_change_rebuilds_the_index(tmp_path: Path, corpus_dir: Path) -> None:
    from parallax.corpus_store import load_corpus

    path = tmp_path / "old.db"
    CorpusIndex(path).sync(load_corpus(corpus_dir))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET v = 'old' WHERE k = 'schema'")
    reopened = CorpusIndex(path)
    assert reopened.count() == (0, 0) and reopened.sync(load_corpus(corpus_dir)).added == 5


def test_ranking_out_of_time_falls_back_to_index_order(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax.corpus_store import load_corpus
    from parallax.index import search as search_module

    index = CorpusIndex(None)
    index.sync(load_corpus(corpus_dir))
    assert index.search(parse_query("kim")).ranked
    monkeypatch.setattr(search_module, "RANK_SECONDS", -1.0)  # every ranking is already late
    late = index.search(parse_query("kim"))
    assert late.ranked is False


def test_a_word_with_more_matches_than_can_be_ranked_is_answered_unranked_at_once(
        corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax.corpus_store import load_corpus
    from parallax.index import search as search_module

    index = CorpusIndex(None)
    index.sync(load_corpus(corpus_dir))
    every = index.search(parse_query("kim"))
    assert every.ranked and len(every) > 3
    monkeypatch.setattr(search_module, "RANK_ROWS", 3)  # "kim" now has more matches than may be ranked
    ranked_calls: list[str] = []
    run = CorpusIndex._run

    def spy(self: CorpusIndex, sql: str, args: list[str], limit: int, partial: bool = False,
            ends: float | None = None) -> object:
        ranked_calls.extend([sql] if "ORDER BY fts.rank" in sql else [])
        return run(self, sql, args, limit, partial, ends)

    monkeypatch.setattr(CorpusIndex, "_run", spy)
    common = index.search(parse_query("kim"))
    assert common.ranked is False and ranked_calls == []  # no time spent on a ranking that cannot finish
    assert {(h.source, h.pos) for h in common} == {(h.source, h.pos) for h in every}  # the same matches, all of them
    rare = index.search(parse_query("vostochny"))
    assert 0 < len(rare) <= 3 and rare.ranked and ranked_calls  # few matches are still ranked


def test_search_and_lineage_pages_are_valid_html(client: FlaskClient, tmp_path: Path) -> None:
    from tests.test_html_valid import check

    pages = ["/search", "/search?q=peskov+vladi*", "/search?q=implementing+neighbours", "/search?q=%22",
             f"/stories/{STORY}/lineage", "/sources/press-tv"]
    files = []
    for number, path in enumerate(pages):
        file = tmp_path / f"page{number}.html"
        file.write_bytes(client.get(path).data)
        files.append(file)
    errors = [(pages[int(Path(str(m["url"])).stem.removeprefix("page"))], m["message"]) for m in check(files)]
    assert errors == []


def test_searches_read_committed_state_while_a_sync_runs(corpus_dir: Path, tmp_path: Path) -> None:
    import threading

    from parallax.corpus_store import load_corpus

    index = CorpusIndex(tmp_path / "live.db")
    started, release = threading.Event(), threading.Event()

    def pause(done: int, total: int) -> None:
        started.set()
        assert release.wait(10)

    builder = threading.Thread(target=index.sync, args=(load_corpus(corpus_dir), pause))
    builder.start()
    try:
        assert started.wait(10) and index.updating
        assert index.search(parse_query("kim")) == []  # nothing committed yet, and no waiting for the writer
        assert index.sync(load_corpus(corpus_dir), wait=False).added == 0  # a request never queues behind it
    finally:
        release.set()
        builder.join(10)
    assert not index.updating and index.search(parse_query("kim"))


def test_a_search_too_common_to_rank_says_which_matches_it_shows(client: FlaskClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax.index import search as search_module

    monkeypatch.setattr(search_module, "RANK_SECONDS", -1.0)  # every ranking is already late
    monkeypatch.setattr(search_module, "RESULT_LIMIT", 3)  # and more sentences match than are shown
    page = client.get("/search", query_string={"q": "kim"})
    assert page.status_code == 200
    text = " ".join(page.get_data(as_text=True).split())
    assert "only the first 3 are shown (too many matches to rank in time: the most recently indexed come first)" in text


def test_outlet_and_language_choices_are_read_once_per_state_of_the_index(corpus_dir: Path) -> None:
    """The filter's outlets and languages come from a scan of every indexed source: made again only after the
    index changed, not for every search page (a million rows at scale), and then with the new outlet."""
    from parallax.corpus_store import load_corpus

    index = CorpusIndex(None)
    index.sync(load_corpus(corpus_dir))
    statements: list[str] = []
    index.db.set_trace_callback(statements.append)
    first = index.outlets()
    assert index.outlets() == first and index.languages() and "Wire" not in first
    assert sum("DISTINCT outlet" in s for s in statements) == 1
    (corpus_dir / STORY / "wire.txt").write_text(front_matter(id="wire", story=STORY, outlet="Wire")
                                                 + "The quokkafish summit opened.\n", encoding="utf-8")
    index.sync(load_corpus(corpus_dir))
    assert "Wire" in index.outlets() and sum("DISTINCT outlet" in s for s in statements) == 2


def test_a_large_corpus_offers_the_stories_of_the_results(client: FlaskClient, corpus_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Past STORY_CHOICES stories the form lists the stories of the results (and the one chosen), not every story
    of the corpus, and says how to name another; a small corpus lists them all."""
    from parallax.web import search_views

    other = corpus_dir / "other-story"
    other.mkdir()
    (other / "wire.txt").write_text(front_matter(id="wire", story="other-story", outlet="Wire")
                                    + "An unrelated harbour report.\n", encoding="utf-8")
    assert {s["slug"] for s in search(client, "kim")["choices"]["stories"]} == {STORY, "other-story"}
    monkeypatch.setattr(search_views, "STORY_CHOICES", 1)
    data = search(client, "kim")
    assert [s["slug"] for s in data["choices"]["stories"]] == [STORY] and not data["choices"]["every_story"]
    assert [s["slug"] for s in search(client, "kim", story="other-story")["choices"]["stories"]] == ["other-story"]
    page = client.get("/search", query_string={"q": "kim"}).get_data(as_text=True)
    assert 'value="other-story"' not in page and "type <code>story:</code>" in page
