"""Fact chips in Chromium: each names its kind, a fact one outlet alone states names that outlet, the facts of
passages one outlet alone carries are listed under it; no accessibility violation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations

PAIR = "/compare/press-tv/the-national"
KINDS = ("number", "date", "name", "quote", "attribution", "passage")


def test_fact_chips_name_their_kind_and_outlet(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Every chip starts with its kind; "only in" chips name Press TV or The National, never left or right; each
    outlet's own facts sit under "Only … states" and link to their passage."""
    page.goto(live_url + PAIR)
    chips = page.locator(".px-summary .px-fact-link")
    assert chips.count() > 0
    for text in chips.all_inner_texts():
        kind = text.split()[0].casefold()
        assert kind in KINDS, text
        if "only in" in text:
            assert re.search(r"only in (Press TV|The National)$", text), text
    for outlet in ("Press TV", "The National"):
        heading = page.get_by_role("heading", name=f"Only {outlet} states")
        expect(heading).to_be_visible()
        listed = page.get_by_role("list", name=f"Only {outlet} states").locator("a.px-fact-link")
        assert listed.count() > 0
        first = listed.first
        assert first.inner_text().split()[0].casefold() in KINDS
        target = first.get_attribute("href")
        assert target and target.startswith("#r")
        first.click()
        expect(page.locator(target)).to_be_in_viewport()
    assert console_errors == []


def test_fact_chips_have_no_accessibility_violations(axe_page: Page, live_url: str) -> None:
    """The summary with kinds and per-outlet lists passes axe in light and dark schemes."""
    for scheme in ("light", "dark"):
        axe_page.emulate_media(color_scheme=scheme)
        axe_page.goto(live_url + PAIR)
        expect(axe_page.locator(".px-fact-kind").first).to_be_visible()
        assert axe_violations(axe_page) == [], scheme
