"""Watching, timelines and managing sources in Chromium: the forms work, and the pages pass axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from parallax.sources import state

STORY = "kim-putin-2023"


def add_versions(corpus_dir: Path) -> None:
    """Two captures of one article, a headline change between them."""
    for name, captured, title, body in (
            ("mt-1", "2023-09-12T08:00:00+00:00", "Kim arrives", "Kim Jong Un arrived in Russia.\n\nHe met Putin.\n"),
            ("mt-2", "2023-09-12T12:00:00+00:00", "Kim meets Putin",
             "Kim Jong Un arrived in Russia by train.\n\nHe met Putin.\n\nThey talked for hours.\n")):
        (corpus_dir / STORY / f"{name}.txt").write_text(
            f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\ntitle: {title}\nversion_of: mt\n"
            f"published: 2023-09-12\ncaptured: {captured}\n---\n{body}", "utf-8")


def test_watch_form_add_pause_remove(page: Page, live_url: str, console_errors: list[str]) -> None:
    page.goto(f"{live_url}/stories/{STORY}")
    page.get_by_role("link", name="Watched articles and feeds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Watched for")
    page.get_by_label("URL of the article or RSS/Atom feed").fill("https://news.example/rss")
    page.get_by_label("Kind").select_option("feed")
    page.get_by_label("Fetch every (seconds").fill("900")
    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.locator(".px-flash")).to_contain_text("Watching https://news.example/rss (every 900 s)")
    row = page.locator("tr", has_text="https://news.example/rss")
    expect(row).to_contain_text("feed")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Pause").click()
    expect(page.locator(".px-flash")).to_contain_text("Paused")
    expect(page.locator("tr", has_text="https://news.example/rss")).to_contain_text("paused")
    page.locator("tr", has_text="https://news.example/rss").get_by_role("button", name="Remove").click()
    expect(page.locator(".px-flash")).to_contain_text("Stopped watching")
    expect(page.locator("main")).to_contain_text("Nothing is watched for this story yet.")
    assert console_errors == []


def test_timeline_from_source_page(page: Page, live_url: str, corpus_dir: Path, console_errors: list[str]) -> None:
    add_versions(corpus_dir)
    page.goto(f"{live_url}/sources/mt-2")
    page.get_by_role("link", name="Timeline of this article").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Timeline of The Moscow Times")
    expect(page.locator(".px-tl-counts")).to_contain_text("1 added")
    expect(page.locator(".px-tl-headlines li")).to_have_count(2)
    page.get_by_role("link", name="compare with capture 1").click()
    expect(page).to_have_url(f"{live_url}/compare/mt-1/mt-2")
    page.goto(f"{live_url}/stories/{STORY}")
    page.get_by_role("link", name="Publication timeline").click()
    expect(page.locator("svg.px-chart-svg")).to_be_visible()
    expect(page.locator("table.px-sources tbody tr")).to_have_count(5)  # 4 bundled articles (two captures are one) + mt
    expect(page.locator("table.px-sources tbody tr", has_text="The Moscow Times").last).to_contain_text("12:00")
    assert console_errors == []


def test_edit_remove_restore(page: Page, live_url: str, corpus_dir: Path, console_errors: list[str]) -> None:
    body = (corpus_dir / STORY / "rt.txt").read_bytes().split(b"\n---\n", 1)[1]
    page.goto(f"{live_url}/sources/rt")
    page.get_by_role("link", name="Edit details or remove").click()
    page.get_by_label("Outlet", exact=True).fill("RT, edited in the browser")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator(".px-flash")).to_contain_text("Saved the details of 'rt'")
    expect(page.get_by_role("heading", level=1)).to_contain_text("RT, edited in the browser")
    assert (corpus_dir / STORY / "rt.txt").read_bytes().endswith(body)

    page.get_by_role("link", name="Edit details or remove").click()
    page.get_by_role("button", name="Move rt to the trash").click()
    expect(page).to_have_url(f"{live_url}/trash")
    expect(page.locator(".px-flash")).to_contain_text("Moved 'rt' to the trash")
    assert not (corpus_dir / STORY / "rt.txt").exists()
    page.get_by_role("button", name="Restore rt").click()
    expect(page).to_have_url(f"{live_url}/sources/rt")
    expect(page.locator(".px-flash")).to_contain_text("Restored 'rt'")
    assert (corpus_dir / STORY / "rt.txt").read_bytes().endswith(body)
    assert console_errors == []


@pytest.mark.parametrize("path", ["/watches", f"/stories/{STORY}/watches", "/watches/1", "/sources/mt-2/timeline",
                                  f"/stories/{STORY}/timeline", "/sources/rt/edit", "/trash"])
def test_pages_have_no_axe_violations(axe_page: Page, live_url: str, corpus_dir: Path, path: str) -> None:
    from tests.browser.conftest import axe_violations

    add_versions(corpus_dir)
    with state.opened(state.db_path(corpus_dir)) as conn:
        item = state.add_watch(conn, STORY, "article", "https://news.example/a", 600)
        state.claim_due(conn, "t", 60, 5)
        state.finish(conn, item, "t", status=500, outcome="error", detail="the server answered 500", error=True)
        state.log_event(conn, "edit", "rt", "outlet changed")
    axe_page.goto(live_url + path)
    assert [v["id"] for v in axe_violations(axe_page)] == []


@pytest.mark.parametrize("path", ["/watches", "/sources/mt-2/timeline", f"/stories/{STORY}/timeline"])
def test_dark_scheme_pages_have_no_axe_violations(browser: Any, live_url: str, corpus_dir: Path, path: str) -> None:
    from tests.browser.conftest import axe_violations

    add_versions(corpus_dir)
    with state.opened(state.db_path(corpus_dir)) as conn:
        item = state.add_watch(conn, STORY, "feed", "https://news.example/rss", 600, item_limit=5)
        state.claim_due(conn, "t", 60, 5)
        state.finish(conn, item, "t", status=500, outcome="error", detail="the server answered 500", error=True)
    context = browser.new_context(bypass_csp=True, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(live_url + path)
        assert [v["id"] for v in axe_violations(page)] == []
    finally:
        context.close()
