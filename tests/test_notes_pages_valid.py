"""The outlet, notes and alerts pages, and pages showing marks, are valid HTML (Nu HTML Checker); the feed is Atom."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from parallax.sources import alerts, notes, state
from tests.conftest import STORY
from tests.test_html_valid import check

PAGES = ["/outlets", f"/stories/{STORY}/notes", f"/stories/{STORY}/notes?left=mt-1&right=mt-2",
         f"/stories/{STORY}/alerts", "/compare/mt-1/mt-2", "/compare/mt-1/mt-2?marked=cosmetic",
         "/compare/mt-1/mt-2/export.html", "/sources/mt-2/timeline", "/watches/1", "/?outlet_kind=state-affiliated",
         "/search?q=kim&outlet_kind=state-affiliated"]


def write_marked_captures(corpus_dir: Path) -> None:
    """Two captures of one article, a watch with a failing channel, a mark, a rule and a recorded change."""
    for name, captured, extra in (("mt-1", "01", "at 10:42 GMT"), ("mt-2", "02", "at 11:15 GMT")):
        (corpus_dir / STORY / f"{name}.txt").write_text(
            f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\nversion_of: mt\n"
            f"captured: 2023-09-12T{captured}:00:00+00:00\n---\nKim arrived.\n\nUpdated {extra}.\n", "utf-8")
    with state.opened(state.db_path(corpus_dir)) as conn:
        watched = state.add_watch(conn, STORY, "article", "https://news.example/a", 600)
        alerts.add_channel(conn, STORY, "json://u:p4ss-word@hooks.example.org/x", "every", watch_id=watched.id)
        conn.execute("UPDATE channels SET failures = 2, last_error = 'the service answered 500'")
        notes.add_note(conn, STORY, "mt-1", "mt-2", "cosmetic", "time <b>stamp</b>", "Ana")
        notes.add_rule(conn, STORY, r"updated at \d+:\d+", regex=True)
        alerts.record_change(conn, STORY, watched.id, "version", "mt-2", "mt-1", {
            "title": "Kim <arrives>", "summary": "New & changed", "facts": ["10:42 → 11:15"], "passages": [],
            "compare": "http://x/compare/mt-1/mt-2", "timeline": "http://x/sources/mt-2/timeline"})


def test_new_pages_are_valid_html_without_inline_code(client: FlaskClient, corpus_dir: Path, tmp_path: Path) -> None:
    write_marked_captures(corpus_dir)
    files = []
    for number, path in enumerate(PAGES):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html", path
        html = response.get_data(as_text=True)
        assert "p4ss-word" not in html and "<b>stamp</b>" not in html, path
        if not path.endswith("export.html"):
            assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", html), path
        file = tmp_path / f"page{number}.html"
        file.write_text(html, "utf-8")
        files.append(file)
    errors = [(PAGES[int(Path(str(m["url"])).stem.removeprefix("page"))], m["message"]) for m in check(files)]
    assert errors == []
    feed = client.get(f"/stories/{STORY}/changes.atom")
    assert feed.mimetype == "application/atom+xml" and "Kim &lt;arrives&gt;" in feed.get_data(as_text=True)
