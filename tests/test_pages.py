"""Reading pages and their JSON twins through the Flask test client: status codes, content, errors."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import SOURCE_IDS, STORY, front_matter

HOSTILE = "<script>alert('owned')</script> and <img src=x onerror=alert(1)> in the text."


def test_index_lists_every_source_under_its_story(client: FlaskClient) -> None:
    """The index groups the five sources under the story with outlet, date, words and attribution."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Kim Jong Un&#39;s train arrives in Russia for talks with Putin" in html
    for outlet in ("The Moscow Times", "Press TV", "RT", "The National"):
        assert f">{outlet}</a>" in html
    assert html.count('<tr>') == 1 + len(SOURCE_IDS)
    assert "2023-09-12" in html and "inferred" in html and "unknown" in html
    assert '<link rel="alternate" type="application/json" href="/index.json">' in html
    assert response.headers["Link"] == '</index.json>; rel="alternate"; type="application/json"'


def test_index_json_has_the_same_data(client: FlaskClient) -> None:
    """/index.json carries the stories, sources (with metadata) and load problems."""
    response = client.get("/index.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["source_count"] == 5 and data["problems"] == []
    story = data["stories"][0]
    assert story["slug"] == STORY
    by_id = {s["id"]: s for s in story["sources"]}
    assert set(by_id) == set(SOURCE_IDS)
    assert by_id["rt"]["attribution"] == "inferred" and by_id["rt"]["url"] is None
    assert by_id["moscow-times-plain"]["versions"] == 2
    assert by_id["press-tv"]["href"] == "/sources/press-tv"
    assert by_id["the-national"]["words"] > 800


def test_index_names_files_that_failed_to_load(client: FlaskClient, corpus_dir: Path) -> None:
    """A broken file is listed with its reason while the rest still loads."""
    (corpus_dir / STORY / "broken.txt").write_text("no front matter here", encoding="utf-8")
    html = client.get("/").get_data(as_text=True)
    assert "Files that could not be loaded" in html and "broken.txt" in html and "no front matter" in html
    assert client.get("/index.json").get_json()["source_count"] == 5


def test_source_page_shows_metadata_reading_text_and_original(client: FlaskClient) -> None:
    """The markdown capture: metadata, reading text without markup, sanitised rendering, stored text."""
    response = client.get("/sources/moscow-times-markdown")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "N. Korea&#39;s Kim Arrives in Russia for Putin Talks" in html
    assert "Russian media reported Tuesday." in html
    assert "<h3>N. Korea's Kim Arrives in Russia for Putin Talks</h3>" in html
    assert "[reported](#)" in html
    assert "Versions of this article" in html and "compare with the previous version" in html


def test_source_json_has_original_exactly_and_reading_text(client: FlaskClient, corpus_dir: Path) -> None:
    """The source twin has metadata, the body exactly as stored, and the reading text."""
    data = client.get("/sources/moscow-times-markdown.json").get_json()
    raw = (corpus_dir / STORY / "moscow-times-markdown.md").read_text(encoding="utf-8")
    assert raw.endswith(data["original"]) and data["original"].startswith("\n\n# N. Korea")
    assert data["source"]["outlet"] == "The Moscow Times"
    assert "**" not in data["reading_text"] and "Kremlin spokesman Dmitry Peskov told" in data["reading_text"]


def test_unknown_fields_are_shown_as_unknown(client: FlaskClient) -> None:
    """RT has no URL, date or headline: the page says so instead of inventing them."""
    html = client.get("/sources/rt").get_data(as_text=True)
    assert "no headline captured" in html and html.count('class="px-unknown">unknown') >= 2


@pytest.mark.parametrize("path", ["/sources/nope", "/sources/nope.json", "/compare/rt/nope",
                                  "/compare/nope/rt.json", "/sources/..%2Fcorpus", "/sources/RT"])
def test_unknown_ids_are_404(client: FlaskClient, path: str) -> None:
    """Unknown or malformed ids answer 404, in JSON for twins."""
    response = client.get(path)
    assert response.status_code == 404
    if path.endswith(".json"):
        assert response.get_json() == {"ok": False, "status": 404, "error": "No source with id 'nope'."}
    else:
        assert "404" in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "option", "allowed"), [
    ("view=table", "view", "side, inline"),
    ("unit=line", "unit", "word, char, sentence"),
    ("ignore=quotes,commas", "ignore",
     "quotes, dashes, whitespace, case, punctuation, markup, boilerplate, stamps, none"),
])
def test_bad_option_is_400_naming_option_and_values(client: FlaskClient, query: str, option: str,
                                                     allowed: str) -> None:
    """A bad option value answers 400 naming the option and the allowed values, as HTML and JSON."""
    html = client.get(f"/compare/rt/press-tv?{query}")
    assert html.status_code == 400
    assert f"option &#39;{option}&#39;" in html.get_data(as_text=True)
    js = client.get(f"/compare/rt/press-tv.json?{query}")
    assert js.status_code == 400
    body = js.get_json()
    assert body["ok"] is False and body["status"] == 400 and body["option"] == option
    assert allowed in body["error"]


def test_compare_json_contract(client: FlaskClient) -> None:
    """The compare twin has sources, options, stats and rows with kinds, texts and segments."""
    response = client.get("/compare/press-tv/the-national.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["left"]["id"] == "press-tv" and data["right"]["id"] == "the-national"
    assert data["options"] == {"view": "side", "unit": "word",
                               "ignore": ["quotes", "dashes", "whitespace", "markup", "boilerplate", "stamps"]}
    assert set(data["stats"]) >= {"similarity", "words_added", "words_removed", "words_changed", "same",
                                  "changed", "reworded", "moved", "left_only", "right_only"}
    kinds = {row["kind"] for row in data["rows"]}
    assert kinds <= {"same", "changed", "reworded", "moved", "left_only", "right_only"} and "reworded" in kinds
    for row in data["rows"]:
        assert set(row) >= {"kind", "left", "right", "segments", "left_pos", "right_pos"}
        left = "".join(s["text"] for s in row["segments"] if s["op"] in ("equal", "delete"))
        right = "".join((s.get("right_text") or s["text"]) if s["op"] == "equal" else s["text"]
                        for s in row["segments"] if s["op"] in ("equal", "insert"))
        assert left == (row["left"] or "") and right == (row["right"] or "")
    full_visit = [r for r in data["rows"] if "It will be a full-fledged visit" in (r["left"] or "")]
    assert full_visit and "It will be a full-fledged visit" in (full_visit[0]["right"] or "")


def test_moved_passage_is_one_row_with_both_positions(client: FlaskClient) -> None:
    """A moved passage is a single row holding both texts and both positions; the page shows it twice."""
    data = client.get("/compare/press-tv/the-national.json").get_json()
    moved = [row for row in data["rows"] if row["kind"] == "moved"]
    assert moved, "the seed pair has a passage that moved"
    row = moved[0]
    assert row["left"] and row["right"] and row["left_pos"] is not None and row["right_pos"] is not None
    html = client.get("/compare/press-tv/the-national").get_data(as_text=True)
    assert f'id="r{row["index"]}-l"' in html and f'id="r{row["index"]}-r"' in html
    assert f'href="#r{row["index"]}-r"' in html and f'href="#r{row["index"]}-l"' in html


def test_options_change_the_comparison(client: FlaskClient) -> None:
    """Units and ignore options are applied and echoed; ignore=none ignores nothing."""
    word = client.get("/compare/moscow-times-plain/moscow-times-markdown.json").get_json()
    none = client.get("/compare/moscow-times-plain/moscow-times-markdown.json?ignore=none").get_json()
    assert none["options"]["ignore"] == []
    assert none["stats"]["changed"] > word["stats"]["changed"]
    char = client.get("/compare/press-tv/the-national.json?unit=char").get_json()
    sentence = client.get("/compare/press-tv/the-national.json?unit=sentence").get_json()
    assert char["options"]["unit"] == "char" and sentence["options"]["unit"] == "sentence"
    for row in sentence["rows"]:
        if row["kind"] == "changed":
            assert [s["op"] for s in row["segments"]] == ["delete", "insert"]


def test_compare_page_side_and_inline(client: FlaskClient) -> None:
    """Side view has two columns with del/ins; inline view is one redline column; both have the tools."""
    side = client.get("/compare/moscow-times-plain/press-tv").get_data(as_text=True)
    assert 'class="px-side"' in side and '<del class="px-del">' in side and '<ins class="px-ins">' in side
    for needle in ("Swap sides", "Copy link", "<kbd>j</kbd>", "Shared wording", 'name="unit"', "changes</summary>"):
        assert needle in side
    assert 'href="/compare/press-tv/moscow-times-plain?view=side&amp;unit=word&amp;ignore=' in side
    inline = client.get("/compare/moscow-times-plain/press-tv?view=inline").get_data(as_text=True)
    assert 'class="px-inline px-prose"' in inline and 'class="px-side"' not in inline


def test_comparing_a_source_with_itself_is_all_same(client: FlaskClient) -> None:
    """A source compared with itself: similarity 1 and nothing but same rows."""
    data = client.get("/compare/rt/rt.json").get_json()
    assert data["stats"]["similarity"] == 1.0
    assert {row["kind"] for row in data["rows"] if not row["boilerplate"]} == {"same"}


def test_pick_form_redirects_to_the_stable_url(client: FlaskClient) -> None:
    """The index form's GET lands on /compare/<left>/<right>; missing or unknown choices are errors."""
    response = client.get("/compare?left=rt&right=press-tv&unit=char")
    assert response.status_code == 302 and response.headers["Location"] == "/compare/rt/press-tv?unit=char"
    assert client.get("/compare?left=rt").status_code == 400
    assert client.get("/compare?left=rt&right=zzz").status_code == 404


def test_hostile_article_text_is_escaped_everywhere(client: FlaskClient, corpus_dir: Path) -> None:
    """<script> and <img onerror> in an article are shown as text on every page and in JSON."""
    for name, fmt in (("hostile.txt", "text"), ("hostile-md.md", "markdown")):
        (corpus_dir / STORY / name).write_text(
            front_matter(id=name.split(".")[0], story=STORY, outlet="Evil <b>Wire</b>", format=fmt) + HOSTILE,
            encoding="utf-8")
    pages = ["/", "/sources/hostile", "/sources/hostile-md", "/compare/hostile/rt",
             "/compare/rt/hostile-md?view=inline", "/compare/hostile/hostile-md?unit=char"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Wire" not in html, path
    escaped = "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;"
    assert escaped in client.get("/sources/hostile").get_data(as_text=True)
    data = client.get("/sources/hostile.json")
    assert data.headers["Content-Type"] == "application/json" and data.get_json()["original"] == HOSTILE


class InlineCode(HTMLParser):
    """Collects inline scripts, style elements, style attributes and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note any tag or attribute that would need 'unsafe-inline'."""
        names = {name for name, _ in attrs}
        if (tag == "script" and "src" not in names) or tag == "style":
            self.found.append(f"<{tag}>")
        self.found += [f"{tag}[{name}]" for name in names if name == "style" or name.startswith("on")]


@pytest.mark.parametrize("path", ["/", "/index.json", "/sources/moscow-times-markdown", "/compare/rt/press-tv",
                                  "/compare/rt/press-tv?view=inline", "/stories/kim-putin-2023", "/add",
                                  "/add/sign-in", "/-/health", "/sources/nope", "/compare/rt/rt?unit=bad"])
def test_pages_have_no_inline_script_or_style(client: FlaskClient, path: str) -> None:
    """Every page loads behaviour and style from files only, so the CSP can forbid inline code."""
    response = client.get(path)
    assert response.status_code in (200, 400, 404)
    parser = InlineCode()
    parser.feed(response.get_data(as_text=True))
    assert parser.found == []


def test_inline_code_check_can_fail() -> None:
    """The parser does flag inline code, so the empty lists above mean something."""
    parser = InlineCode()
    parser.feed('<script>x()</script><p style="a" onclick="b()"><style>p{}</style><script src="/s.js"></script>')
    assert sorted(parser.found) == sorted(["<script>", "p[style]", "p[onclick]", "<style>"])


def test_index_shows_how_close_each_source_is_to_the_others(client: FlaskClient) -> None:
    """Each source names its closest source in the story, linking to their comparison."""
    sources = {s["id"]: s for s in client.get("/index.json").get_json()["stories"][0]["sources"]}
    closest = sources["moscow-times-plain"]["closest"]
    assert closest["id"] == "moscow-times-markdown" and closest["similarity"] > 0.9
    assert closest["href"] == "/compare/moscow-times-plain/moscow-times-markdown"
    assert sources["rt"]["closest"]["similarity"] < 0.2
    html = client.get("/").get_data(as_text=True)
    assert "Closest source" in html and 'href="/compare/moscow-times-plain/moscow-times-markdown"' in html


def test_front_matter_edit_is_never_served_stale(client: FlaskClient, corpus_dir: Path) -> None:
    """Marking boilerplate (same body) changes the comparison at once: the cache key covers front matter."""
    before = client.get("/compare/rt/press-tv.json").get_json()
    path = corpus_dir / STORY / "rt.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'original_file: 003_209e528e193db04c.txt', 'original_file: 003_209e528e193db04c.txt\n'
        'boilerplate_from: "In addition to this"'), encoding="utf-8")
    after = client.get("/compare/rt/press-tv.json").get_json()

    def boiler(data: dict[str, Any]) -> int:
        return sum(row["boilerplate"] for row in data["rows"])

    assert boiler(after) > boiler(before)
