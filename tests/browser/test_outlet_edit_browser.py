"""Editing the outlet registry in Chromium: the form adds an outlet whose kind then shows on the registry page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations


def test_add_an_outlet_from_the_registry_page(axe_page: Page, live_url: str) -> None:
    """From /outlets an editor opens "Add an outlet", is refused a name another outlet goes by (form kept), then
    saves the outlet and finds it on the registry page marked as state media. axe passes on each state."""
    page = axe_page
    page.goto(live_url + "/outlets")
    page.get_by_role("link", name="Add an outlet").click()
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_label("Name (required)").fill("Korean Central News Agency")
    page.get_by_label("Other names (comma separated)").fill("KCNA, Russia Today")
    page.get_by_label("Kind", exact=True).select_option("state-affiliated")
    page.get_by_label("Source of the kind").fill("https://en.wikipedia.org/wiki/Korean_Central_News_Agency")
    page.get_by_role("button", name="Save outlet").click()
    expect(page.get_by_role("alert")).to_contain_text("'russia today' is already a name of RT")
    expect(page.get_by_label("Name (required)")).to_have_value("Korean Central News Agency")
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_label("Other names (comma separated)").fill("KCNA")
    page.get_by_role("button", name="Save outlet").click()
    row = page.locator("#outlet-korean-central-news-agency")
    expect(row).to_contain_text("state-affiliated media")
    expect(row).to_contain_text("also KCNA")
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_role("link", name="Edit Korean Central News Agency").click()
    expect(page.get_by_label("Source of the kind")).to_have_value(
        "https://en.wikipedia.org/wiki/Korean_Central_News_Agency")
