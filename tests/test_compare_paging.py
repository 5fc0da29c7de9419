"""Row paging of the comparison page: a 2 MB source compared with a 3 KB one renders a bounded page with links on."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from parallax import model, pipeline
from parallax.engine.compare import CompareOptions
from tests.conftest import STORY

#: The stated bound: one comparison page, whatever the sources' sizes (README "Pages and URLs").
MAX_PAGE_BYTES = 500_000
HUGE_BYTES = 1_990_000  # just under MAX_SOURCE_BYTES (2,000,000)
FILLER = "Train {n} crossed the border at dawn. Residents of the town watched it pass."
PRESS_TV_SENTENCE = "North Korean leader Kim Jong-un has arrived in Russia"


def write_huge_source(corpus_dir: Path, tail: str = "") -> None:
    """A ~2 MB source of short sentences in the bundled story (``tail`` appended as its last paragraph)."""
    head = ("---\nid: huge\nstory: kim-putin-2023\noutlet: Huge Wire\ntitle: Huge\npublished: 2023-09-13\n"
            "format: text\nlanguage: en\nattribution: stated\n---\n")
    paragraphs: list[str] = []
    size = len(head) + len(tail) + 2
    while size + len(FILLER) + 10 < HUGE_BYTES:
        paragraphs.append(FILLER.format(n=len(paragraphs)))
        size += len(paragraphs[-1]) + 2
    body = "\n\n".join([*paragraphs, tail] if tail else paragraphs) + "\n"
    path = corpus_dir / STORY / "huge.txt"
    path.write_text(head + body, encoding="utf-8")
    assert 1_900_000 < path.stat().st_size < 2_000_000


@pytest.fixture()
def huge_app(make_app: Callable[..., Flask], corpus_dir: Path) -> Flask:
    """An app whose story has a 2 MB source ending with a sentence Press TV also has."""
    tail = (corpus_dir / STORY / "press-tv.txt").read_text(encoding="utf-8").split("---\n", 2)[2].split("\n\n")[0]
    assert PRESS_TV_SENTENCE in tail
    write_huge_source(corpus_dir, tail)
    return make_app()


def rows_note(html: str) -> tuple[int, int, int]:
    """First row, last row and total from the page's "Rows X–Y of Z" note."""
    found = re.search(r"Rows (\d+)–(\d+) of (\d+) \(page", html)
    assert found, "no rows note"
    first, last, total = (int(g) for g in found.groups())
    return first, last, total


@pytest.mark.slow
def test_two_megabyte_comparison_renders_a_bounded_page_and_links_on(huge_app: Flask) -> None:
    client = huge_app.test_client()
    first_page = client.get("/compare/huge/press-tv")
    assert first_page.status_code == 200
    html = first_page.get_data(as_text=True)
    assert len(first_page.get_data()) < MAX_PAGE_BYTES, len(first_page.get_data())
    first, last, total = rows_note(html)
    assert (first, last) == (1, pipeline.ROWS_PER_PAGE) and total > 20_000
    pages = -(-total // pipeline.ROWS_PER_PAGE)
    assert f"(page 1 of {pages};" in html
    assert 'rel="next" href="/compare/huge/press-tv?view=side&amp;unit=word&amp;' in html and "page=2" in html
    assert 'rel="prev"' not in html
    assert html.count('class="px-srow px-k-') == pipeline.ROWS_PER_PAGE

    second = client.get("/compare/huge/press-tv?page=2")
    assert second.status_code == 200 and len(second.get_data()) < MAX_PAGE_BYTES
    page_two = second.get_data(as_text=True)
    assert rows_note(page_two)[:2] == (pipeline.ROWS_PER_PAGE + 1, 2 * pipeline.ROWS_PER_PAGE)
    assert 'rel="prev"' in page_two and 'rel="next"' in page_two
    # Two sentences (rows) a paragraph: page 2 starts at paragraph ROWS_PER_PAGE / 2.
    assert f"Train {pipeline.ROWS_PER_PAGE // 2} crossed the border" in page_two
    assert "Train 0 crossed the border" not in page_two

    final = client.get(f"/compare/huge/press-tv?page={pages}")
    assert final.status_code == 200 and len(final.get_data()) < MAX_PAGE_BYTES
    last_html = final.get_data(as_text=True)
    assert rows_note(last_html)[1:] == (total, total) and 'rel="next"' not in last_html
    assert PRESS_TV_SENTENCE in last_html  # the shared passage near the end is on the last page

    twin = client.get("/compare/huge/press-tv.json?page=2").get_json()  # the JSON twin always has every row
    assert "paging" not in twin and len(twin["rows"]) >= total - 1_000

    # Story overview links to that passage open the page that shows it.
    options = CompareOptions(unit="word", ignore=model.DEFAULT_IGNORE,
                             time_budget=huge_app.config["COMPARE_TIME_BUDGET"],
                             max_chars=huge_app.config["COMPARE_MAX_CHARS"])
    with huge_app.app_context():
        sources = huge_app.extensions["parallax.corpus"].get()
        _positions, names, on_page = pipeline.row_anchors(sources.get("huge"), sources.get("press-tv"), options,
                                                          huge_app.extensions["parallax.cache"])
    assert on_page[0] == 1 and on_page[-1] == pages
    assert f'id="{names[-1]}"' in last_html


def test_short_comparison_has_one_page_and_no_paging_links(make_app: Callable[..., Flask]) -> None:
    html = make_app().test_client().get("/compare/press-tv/the-national").get_data(as_text=True)
    assert "px-row-pages" not in html and "Rows 1–" not in html


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "99", "²", "٣", "0000", "9" * 5000])
def test_bad_page_is_400_naming_the_option(make_app: Callable[..., Flask], value: str) -> None:
    response = make_app().test_client().get(f"/compare/press-tv/the-national.json?page={value}")
    if value in ("99", "9" * 5000):  # a number: the twin has every row, whatever the page
        assert response.status_code == 200
        response = make_app().test_client().get(f"/compare/press-tv/the-national?page={value}")
        assert response.status_code == 400 and "1 to 1" in response.get_data(as_text=True)
        return
    assert response.status_code == 400
    error = response.get_json()
    assert error["ok"] is False and error["option"] == "page"


def _row(index: int, kind: str, chars: int = 10) -> dict[str, Any]:
    """A minimal comparison row for paging."""
    return {"index": index, "kind": kind, "left": "x" * chars, "right": None}


def test_pages_end_at_the_row_or_character_limit_and_find_moved_partners() -> None:
    rows = [_row(0, "moved"), *(_row(i, "left_only") for i in range(1, 9)), _row(9, "same", 1_000)]
    display = [[0, "left"], *([i, "both"] for i in range(1, 9)), [0, "right"], [9, "both"]]
    assert pipeline.page_starts(display, rows, rows_per_page=4, page_chars=10_000) == [0, 4, 8]
    assert pipeline.page_starts(display, rows, rows_per_page=100, page_chars=50) == [0, 5, 10]
    assert pipeline.page_starts(display, rows, rows_per_page=100, page_chars=5) == list(range(11))  # one each
    first = pipeline.row_page(display, rows, 1, rows_per_page=4, page_chars=10_000)
    assert first is not None and (first.start, first.end, first.count, first.total) == (0, 4, 3, 11)
    assert first.elsewhere == {"r0-r": 3}  # the moved row's right place is on page 3
    last = pipeline.row_page(display, rows, 3, rows_per_page=4, page_chars=10_000)
    assert last is not None and last.elsewhere == {"r0-l": 1}
    middle = pipeline.row_page(display, rows, 2, rows_per_page=4, page_chars=10_000)
    assert middle is not None and middle.elsewhere == {}
    assert pipeline.row_page(display, rows, 4, rows_per_page=4, page_chars=10_000) is None
    assert pipeline.row_page(display, rows, 0) is None
