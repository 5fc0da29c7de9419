"""The story overview on a phone, in Chromium: the page never pans sideways; the matrix scrolls in its own box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import STORY

_WIDER = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.parentElement.closest('.px-table-wrap') && e.getBoundingClientRect().right > innerWidth + 1)
  .map(e => e.tagName + '.' + e.className)"""


@pytest.mark.parametrize("width", [390, 320])
def test_overview_fits_a_phone(browser: Browser, live_url: str, width: int) -> None:
    """At 390 and 320 px the page is no wider than the screen; the matrix scrolls inside its box."""
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(f"{live_url}/stories/{STORY}")
    expect(page.get_by_role("table", name="Passages paired (%) for every pair of sources")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(_WIDER) == []
    box = page.locator(".px-table-wrap").first
    assert box.evaluate("w => w.scrollWidth > w.clientWidth && getComputedStyle(w).overflowX === 'auto'")
    box.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    assert page.evaluate("window.scrollX") == 0
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_overview_on_a_phone_is_accessible(axe_page: Page, live_url: str, scheme: str) -> None:
    """axe-core finds no violation on the overview at phone width."""
    axe_page.set_viewport_size({"width": 320, "height": 844})
    axe_page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    axe_page.goto(f"{live_url}/stories/{STORY}")
    violations = axe_violations(axe_page)
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []
