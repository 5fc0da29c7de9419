"""The watch, timeline, edit and trash pages are valid HTML (Nu HTML Checker) and carry no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from parallax.sources import state
from tests.conftest import STORY
from tests.test_html_valid import check

PAGES = ["/watches", f"/stories/{STORY}/watches", "/watches/1", "/sources/mt-2/timeline",
         f"/stories/{STORY}/timeline", "/sources/rt/edit", "/trash", "/sources/mt-2", f"/stories/{STORY}"]


def test_pages_are_valid_html_without_inline_code(client: FlaskClient, corpus_dir: Path, tmp_path: Path) -> None:
    for name, captured, extra in (("mt-1", "2023-09-12T08:00:00+00:00", ""),
                                  ("mt-2", "2023-09-12T12:00:00+00:00", " It rained.")):
        (corpus_dir / STORY / f"{name}.txt").write_text(
            f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\ntitle: Kim <arrives>\nversion_of: mt\n"
            f"captured: {captured}\ncapture: 'watched: fetched from https://mt.example/'\n---\n"
            f"Kim Jong Un arrived in Russia.{extra}\n", "utf-8")
    with state.opened(state.db_path(corpus_dir)) as conn:
        failing = state.add_watch(conn, STORY, "feed", "https://mt.example/rss?a=1&b=2", 600, item_limit=3)
        state.claim_due(conn, "t", 60, 5)
        state.finish(conn, failing, "t", status=500, outcome="error", detail="the server answered 500", error=True)
        state.add_watch(conn, STORY, "article", "https://mt.example/a", 600)
        state.log_event(conn, "edit", "rt", "outlet='<b>'")
    files = []
    for number, path in enumerate(PAGES):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html", path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", html), path
        assert "<b>" not in html and "Kim <arrives>" not in html, path  # metadata is escaped
        file = tmp_path / f"page{number}.html"
        file.write_text(html, "utf-8")
        files.append(file)
    errors = [(PAGES[int(Path(str(m["url"])).stem.removeprefix("page"))], m["message"]) for m in check(files)]
    assert errors == []
