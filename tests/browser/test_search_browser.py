"""Search and lineage in Chromium: the header box, marked results leading to the sentence, no axe violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import STORY


def test_header_search_to_the_exact_sentence(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Search from the header of any page, see the terms marked, open the sentence on its source page."""
    page.goto(f"{live_url}/sources/rt")
    box = page.get_by_role("search").get_by_label("Search all sources")
    box.fill('"full-fledged visit"')
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search all sources")
    expect(page.get_by_role("status")).to_contain_text("2 matching sentences")
    hit = page.locator(".px-search-hit a").first
    expect(hit.locator("mark")).to_have_text("full-fledged visit")
    href = hit.get_attribute("href") or ""
    assert "#s" in href
    hit.click()
    anchor = href.split("#")[1]
    expect(page.locator(f"#{anchor}")).to_contain_text("full-fledged visit")
    assert page.evaluate("location.hash") == f"#{anchor}"
    assert console_errors == []


def test_bad_query_shows_its_reason(page: Page, live_url: str) -> None:
    response = page.goto(f"{live_url}/search?q=%22kim")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("quotation mark is not closed")


@pytest.mark.parametrize("path", ["/search?q=peskov", "/search?q=implementing+neighbours&outlet=The+National",
                                  "/search?q=%22", f"/stories/{STORY}/lineage", "/sources/press-tv"])
def test_search_and_lineage_have_no_axe_violations(axe_page: Page, live_url: str, path: str) -> None:
    """axe-core (WCAG 2.1 A/AA and best practices) finds nothing on results, errors, lineage and shared lists."""
    axe_page.goto(live_url + path)
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    violations = axe_violations(axe_page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_lineage_dark_scheme_keeps_contrast(axe_page: Page, live_url: str) -> None:
    axe_page.emulate_media(color_scheme="dark")
    axe_page.goto(f"{live_url}/stories/{STORY}/lineage")
    violations = [v for v in axe_violations(axe_page) if v["id"] == "color-contrast"]
    assert violations == [], [[n["target"] for n in v["nodes"]][:5] for v in violations]
