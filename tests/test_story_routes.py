"""Story overview routes: HTML and JSON twin, options, errors, links and escaping."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from tests.conftest import SOURCE_IDS, STORY, front_matter

URL = f"/stories/{STORY}"


def test_overview_json_matrix(client: FlaskClient) -> None:
    """The JSON twin: a 5×5 matrix with 1.0 on the diagonal, every cell linking to its page."""
    response = client.get(URL + ".json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["story"]["slug"] == STORY
    rows = data["matrix"]["rows"]
    assert len(rows) == 5 and all(len(r["cells"]) == 5 for r in rows)
    assert sorted(data["matrix"]["order"]) == sorted(SOURCE_IDS)
    for n, row in enumerate(rows):
        assert row["cells"][n]["similarity"] == 1.0
        assert row["cells"][n]["href"] == f"/sources/{row['id']}"
        for cell in row["cells"]:
            if cell["id"] != row["id"]:
                assert cell["href"] == f"/compare/{row['id']}/{cell['id']}"
            assert cell["heat"] == round(cell["similarity"] * 10)
    assert data["options"] == {"order": "date", "base": data["choices"]["base"][0]}


def test_overview_html(client: FlaskClient) -> None:
    """The page: matrix table with caption and headers, heat classes, compare links, no inline styles."""
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert 'href="/compare/moscow-times-plain/press-tv"' in html
    assert re.search(r'class="px-heat px-heat-10"><a href="/sources/', html)
    assert "overview.css" in html
    assert "style=" not in html
    assert "only here" in html and "of 4 outlets" in html
    assert "Michael Madden" in html
    assert "Short phrases" in html
    assert response.headers["Link"].startswith(f"<{URL}.json")


def test_coverage_links_reach_the_engine_row(client: FlaskClient) -> None:
    """Each carrier link names the row of the engine's comparison that holds the base sentence."""
    data = client.get(URL + ".json?base=press-tv").get_json()
    assert data["coverage"]["base"] == "press-tv"
    passage = next(p for p in data["coverage"]["passages"] if p["text"].startswith("“Obviously, as neighbors"))
    assert passage["sources"] == 3 and passage["of"] == 5
    link = next(c for c in passage["carriers"] if c["id"] == "moscow-times-plain")
    path, anchor = link["href"].split("#")
    assert path == "/compare/press-tv/moscow-times-plain"
    compared = client.get(path + ".json").get_json()
    row = compared["rows"][int(anchor.removeprefix("r").split("-")[0])]
    assert "Obviously, as neighbors" in row["left"]
    assert row["kind"] in ("same", "moved")
    page = client.get(path).get_data(as_text=True)
    assert f'id="{anchor}"' in page
    only = next(p for p in data["coverage"]["passages"] if "special military operation" in p["text"])
    assert only["only_here"] and only["carriers"] == []


def test_order_and_base_options(client: FlaskClient) -> None:
    """order=cluster puts the two Moscow Times captures side by side; base= picks the covered source."""
    data = client.get(URL + ".json?order=cluster&base=the-national").get_json()
    order = data["matrix"]["order"]
    assert abs(order.index("moscow-times-plain") - order.index("moscow-times-markdown")) == 1
    assert [s["id"] for s in data["sources"]] == order
    assert data["options"] == {"order": "cluster", "base": "the-national"}
    assert any("Jo Chun Ryong" in p["text"] and p["only_here"] for p in data["coverage"]["passages"])


def test_bad_options_are_400_naming_the_option(client: FlaskClient) -> None:
    """Unknown order or base values: 400 in the error shape, naming the option and what is allowed."""
    for query, option in (("order=alpha", "order"), ("base=nope", "base"), ("base=rt&order=", "order")):
        response = client.get(f"{URL}.json?{query}")
        assert response.status_code == 400
        body = response.get_json()
        assert body["ok"] is False and body["status"] == 400 and body["option"] == option
        assert option in body["error"]
    body = client.get(URL + ".json?base=nope").get_json()
    assert set(body["allowed"]) == set(SOURCE_IDS)
    html = client.get(URL + "?order=alpha")
    assert html.status_code == 400 and "order" in html.get_data(as_text=True)


def test_unknown_story_is_404(client: FlaskClient) -> None:
    """Unknown story slugs: 404 for the page and the twin, JSON in the error shape."""
    assert client.get("/stories/no-such-story").status_code == 404
    response = client.get("/stories/no-such-story.json")
    assert response.status_code == 404
    body = response.get_json()
    assert body == {"ok": False, "status": 404, "error": "No story with slug 'no-such-story'."}


def test_quotes_in_json(client: FlaskClient) -> None:
    """Quote groups come most outlets first; phrases listed apart."""
    quotes = client.get(URL + ".json").get_json()["quotes"]
    counts = [g["outlet_count"] for g in quotes["groups"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3
    assert quotes["groups"][0]["speaker"] == "Dmitry Peskov"
    assert len(quotes["groups"][0]["variants"]) == 2
    assert quotes["min_words"] == 4
    assert any(p["text"] == "pay a price" for p in quotes["phrases"])


def test_index_links_to_the_overview(client: FlaskClient) -> None:
    """The index has a 'Story overview' link per story."""
    html = client.get("/").get_data(as_text=True)
    assert f'href="/stories/{STORY}">Story overview</a>' in html


def test_article_text_is_escaped(client: FlaskClient, corpus_dir: Path) -> None:
    """Markup in a source's text and metadata reaches the page escaped, in every section."""
    body = ("The mayor said <script>alert(1)</script> was found.\n\n"
            "“<script>alert(1)</script> will never run on this page,” Jane Doe said.\n")
    (corpus_dir / STORY / "evil.txt").write_text(
        front_matter(id="evil", story=STORY, outlet='"Evil <b>Outlet</b>"', published="2023-09-13") + body,
        encoding="utf-8")
    response = client.get(URL + "?base=evil")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "<b>Outlet</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; was found" in html
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html
    data = client.get(URL + ".json").get_json()
    assert len(data["matrix"]["rows"]) == 6


def _section(html: str, heading: str, end: str | None) -> str:
    """The HTML of one overview section, from its heading id to the next section's (or the end)."""
    start = html.index(f'id="{heading}"')
    return html[start:html.index(f'id="{end}"', start)] if end else html[start:]


def test_hostile_text_is_escaped_in_coverage_unique_and_quotes(client: FlaskClient, corpus_dir: Path) -> None:
    """Script and onerror markup in a quoted sentence and a unique passage shows as text in each section."""
    script, img = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"
    shown_script, shown_img = "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;"
    for source_id, verb in (("hostile-one", "will"), ("hostile-two", "can")):
        body = (f"The harbour council met on Monday to discuss the new bridge.\n\n"
                f"“Nobody {verb} run {script} or {img} on this page today,” Jane Doe said.\n\n")
        if source_id == "hostile-one":
            body += f"Only this outlet saw {img} and {script} at the old harbour gate.\n"
        (corpus_dir / STORY / f"{source_id}.txt").write_text(
            front_matter(id=source_id, story=STORY, outlet=f"Outlet {source_id}", published="2023-09-14") + body,
            encoding="utf-8")
    response = client.get(URL + "?base=hostile-one")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "onerror=alert(1)>" not in html
    coverage = _section(html, "coverage-h", "unique-h")
    unique = _section(html, "unique-h", "quotes-h")
    tracker = _section(html, "quotes-h", None)
    quoted = next(p for p in re.findall(r'<p class="px-cov-text">(.*?)</p>', coverage) if "Nobody will run" in p)
    assert shown_script in quoted and shown_img in quoted
    only_here = unique[unique.index('id="unique-hostile-one"'):]
    assert f"Only this outlet saw {shown_img} and {shown_script} at the old harbour gate." in only_here
    # Both wordings of the quote: the first as text, the second through the word-diff segments.
    group = next(g for g in tracker.split('class="px-quote-group"') if "Nobody will run" in g)
    assert group.count(shown_script) == 2 and group.count(shown_img) == 2
    assert '<ins class="px-ins">can</ins>' in group or '<ins class="px-ins">will</ins>' in group
    # The JSON twin carries the raw text (it is data, not HTML).
    data = client.get(URL + ".json?base=hostile-one").get_json()
    assert any(img in v["text"] for g in data["quotes"]["groups"] for v in g["variants"])
