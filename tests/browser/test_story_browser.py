"""The story overview in Chromium: reached from the index, matrix links to comparisons, no axe violations."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import STORY


def test_overview_from_index_to_comparison(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Click 'Story overview' on the index, see the matrix, follow a cell to that pair's comparison."""
    page.goto(live_url + "/")
    page.get_by_role("link", name="Story overview").first.click()
    expect(page).to_have_url(f"{live_url}/stories/{STORY}")
    expect(page.get_by_role("heading", name="Similarity matrix")).to_be_visible()
    table = page.get_by_role("table", name="Passages paired (%) for every pair of sources")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    cell = table.locator('a[href="/compare/press-tv/rt"]')
    expect(cell).to_be_visible()
    cell.click()
    expect(page).to_have_url(f"{live_url}/compare/press-tv/rt")
    expect(page.get_by_role("heading", level=1)).to_contain_text("compared with")
    assert console_errors == []


def test_overview_has_no_axe_violations(axe_page: Page, live_url: str) -> None:
    """axe-core (WCAG 2.1 A/AA and best practices) finds nothing on the overview."""
    axe_page.goto(f"{live_url}/stories/{STORY}?order=cluster")
    expect(axe_page.get_by_role("heading", name="Quote tracker")).to_be_visible()
    violations = axe_violations(axe_page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_overview_dark_scheme_has_no_contrast_violations(axe_page: Page, live_url: str) -> None:
    """The heat colours keep AA contrast in the dark scheme too."""
    axe_page.emulate_media(color_scheme="dark")
    axe_page.goto(f"{live_url}/stories/{STORY}")
    violations = [v for v in axe_violations(axe_page) if v["id"] == "color-contrast"]
    assert violations == [], [[n["target"] for n in v["nodes"]][:5] for v in violations]
