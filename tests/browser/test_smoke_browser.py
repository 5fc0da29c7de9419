"""A first real-browser check: the index renders and links to a comparison."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_index_lists_sources_in_chromium(page: Page, live_url: str, console_errors: list[str]) -> None:
    """The index shows the five outlets in Chromium with no script errors."""
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", name="Sources", exact=True)).to_be_visible()
    for outlet in ("The Moscow Times", "Press TV", "RT", "The National"):
        expect(page.get_by_role("link", name=outlet, exact=True).first).to_be_visible()
    assert console_errors == []
