"""No page's work grows with the corpus: each route reads the texts of the same number of sources whether the corpus
holds 30 stories or 90 (counted on sources built from the catalogue, whose text is read from the file when a page
asks for it), and the index lists its stories a page at a time."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from parallax.app import create_app
from parallax.index import catalogue
from parallax.pipeline import similarity
from parallax.web.pages import STORIES_PER_PAGE

SOURCES_PER_STORY = 3
ROUTES = ("/", "/index.json", "/sources/story-0001-a0", "/stories/story-0001",
          "/compare/story-0001-a0/story-0001-a1", "/search?q=harbour")


def make_corpus(root: Path, stories: int) -> Path:
    """A corpus of generated stories, each with a few sources quoting one official differently."""
    for s in range(stories):
        folder = root / f"story-{s:04d}"
        folder.mkdir(parents=True)
        for a in range(SOURCES_PER_STORY):
            body = (f"Officials in town {s} met on Monday to discuss the harbour plan number {s}.\n\n"
                    f"\"We will rebuild the harbour wall before winter {a}\", said minister Anna Berg.\n\n"
                    f"Outlet {a} adds that the cost of project {s} was not given.\n")
            (folder / f"story-{s:04d}-a{a}.txt").write_text(
                f"---\nid: story-{s:04d}-a{a}\nstory: story-{s:04d}\noutlet: Outlet {a}\n"
                f"published: 2024-01-{1 + a:02d}\n---\n{body}", encoding="utf-8")
    return root


@pytest.fixture()
def serve(tmp_path: Path) -> Iterator[Callable[[int], Flask]]:
    """An app on a generated corpus of the given number of stories, started from its catalogue."""
    apps: list[Flask] = []

    def build(stories: int) -> Flask:
        root = make_corpus(tmp_path / f"corpus-{stories}", stories)
        config = {"CORPUS_DIR": str(root), "CORPUS_RESCAN_SECONDS": 60, "CORPUS_WATCH": False,
                  "SEARCH_BUILD_ON_START": False, "PAGE_CACHE_SIZE": 0}
        first = create_app(config)
        first.extensions["parallax.corpus"].get()  # the first start parses the files and fills the catalogue
        first.extensions["parallax.corpus"]._stop.set()
        app = create_app(config)
        app.extensions["parallax.index.search"].get().sync(app.extensions["parallax.corpus"].get())
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["parallax.corpus"]._stop.set()


def touched(app: Flask, url: str, monkeypatch: pytest.MonkeyPatch, fresh: bool = True) -> set[str]:
    """The source files whose text one request read (on a fresh memo and comparison cache unless ``fresh`` is
    false)."""
    read: set[str] = set()
    original = catalogue._read_body

    def counting(path: str, sha256: str) -> str:
        read.add(path)
        return original(path, sha256)

    monkeypatch.setattr(catalogue, "_read_body", counting)
    if fresh:
        app.extensions["parallax.memo"].clear()
        app.extensions["parallax.cache"].clear()
    response = app.test_client().get(url)
    assert response.status_code == 200, (url, response.status_code)
    monkeypatch.setattr(catalogue, "_read_body", original)
    return read


def test_no_route_reads_more_sources_in_a_larger_corpus(serve: Callable[[int], Flask],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every route reads as many source texts at 90 stories as at 30 (the index: the stories of its first page)."""
    small, large = serve(30), serve(90)
    for url in ROUTES:
        few, many = touched(small, url, monkeypatch), touched(large, url, monkeypatch)
        assert len(many) == len(few), (url, len(few), len(many))
        assert len(many) <= STORIES_PER_PAGE * SOURCES_PER_STORY, url


def test_index_lists_stories_a_page_at_a_time(serve: Callable[[int], Flask],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The index says where it is among all stories and links the pages around it; the figures of only the shown
    stories are computed; a page past the last lists none and links to the last one."""
    app = serve(60)
    stories_measured: list[int] = []

    def counting(sources: Any, memo: Any = None) -> list[list[float]]:
        stories_measured.append(len(sources))
        return similarity(sources, memo)

    monkeypatch.setattr("parallax.pipeline.similarity", counting)
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "180 versions of 60 stories" in html and "Stories 1–25 of 60 (page 1 of 3)" in html
    assert 'href="/?page=2" rel="next"' in html and "story-0024" in html and "story-0025" not in html
    assert len(stories_measured) == STORIES_PER_PAGE
    last = client.get("/?page=3").get_data(as_text=True)
    assert "Stories 51–60 of 60 (page 3 of 3)" in last and 'href="/?page=2" rel="prev"' in last
    assert "story-0059" in last and "story-0049" not in last and 'rel="next"' not in last
    data = client.get("/index.json?page=2").get_json()
    assert [s["slug"] for s in data["stories"]][:2] == ["story-0025", "story-0026"]
    assert (data["paging"]["number"], data["paging"]["count"], data["story_count"]) == (2, 3, 60)
    past = client.get("/?page=4").get_data(as_text=True)
    assert "There are 60 stories, 3 pages of them" in past and 'href="/?page=3">the last page' in past
    assert client.get("/?page=0").status_code == 400


def test_search_keeps_quote_groups_between_requests(serve: Callable[[int], Flask],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A second search reads no source text: the hit stories' quote groups are kept, not rebuilt per request."""
    app = serve(30)
    first = touched(app, "/search?q=harbour", monkeypatch)
    assert first, "the first search reads the hit stories' texts for their quote groups"
    assert touched(app, "/search?q=harbour+wall", monkeypatch, fresh=False) == set()


def test_story_figures_are_computed_once_then_read_by_every_worker(serve: Callable[[int], Flask],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's "closest source" figures are computed on the first visit and kept in the catalogue: a worker
    with nothing in memory shows the same page without reading a single source text, until a text changes."""
    app = serve(30)
    first = app.test_client().get("/").get_data(as_text=True)
    assert touched(app, "/", monkeypatch) == set()  # memo cleared: the stored figures answer
    assert app.test_client().get("/").get_data(as_text=True) == first
    path = next(Path(app.config["CORPUS_DIR"]).glob("story-0000/story-0000-a1.txt"))
    temporary = path.with_name(".edit.tmp")  # saved as the app and most editors save: a new file renamed over
    temporary.write_text(path.read_text(encoding="utf-8").replace("Outlet 1 adds", "Outlet 1 now writes"),
                         encoding="utf-8")
    os.replace(temporary, path)
    app.extensions["parallax.corpus"].invalidate()
    again = touched(app, "/", monkeypatch)  # only the changed story is measured again (the edited file's text was
    assert again and {Path(name).parent.name for name in again} == {"story-0000"}  # read when it was re-parsed)


def indexed(app: Flask) -> set[str]:
    """The ids of the sources the app's search index holds (as committed)."""
    idx = app.extensions["parallax.index.search"].get()
    with idx.lock:
        return {row[0] for row in idx.db.execute("SELECT id FROM docs")}


@pytest.mark.parametrize("url", ["/sources/story-0001-a0", "/stories/story-0001/lineage"])
def test_a_reading_page_never_builds_the_whole_index(tmp_path: Path, url: str) -> None:
    """On a corpus whose index was never built, a source page and a lineage answer without indexing the corpus
    (that is the start-up build's, ``parallax index``'s or a search's work); once the index is built, a source
    added later is brought in by its own page."""
    root = make_corpus(tmp_path / "corpus", 30)
    app = create_app({"CORPUS_DIR": str(root), "CORPUS_RESCAN_SECONDS": 60, "CORPUS_WATCH": False,
                      "SEARCH_BUILD_ON_START": False, "PAGE_CACHE_SIZE": 0})
    store = app.extensions["parallax.corpus"]
    try:
        response = app.test_client().get(url)
        assert response.status_code == 200 and "story-0001" in response.get_data(as_text=True)
        idx = app.extensions["parallax.index.search"].get()
        assert not idx.updating and indexed(app) == set()
        idx.sync(store.get())
        added = root / "story-0001" / "story-0001-a9.txt"
        added.write_text(f"---\nid: story-0001-a9\nstory: story-0001\noutlet: Outlet 9\n---\n"
                         f"{(root / 'story-0001' / 'story-0001-a0.txt').read_text().split('---')[-1]}",
                         encoding="utf-8")
        store.invalidate()
        page = app.test_client().get("/sources/story-0001-a9")
        assert page.status_code == 200 and "story-0001-a0" in page.get_data(as_text=True)  # shares its passages
        assert len(indexed(app)) == 30 * SOURCES_PER_STORY + 1
    finally:
        store._stop.set()
