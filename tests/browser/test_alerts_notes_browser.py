"""Outlets, marks and alerts in Chromium: marking a change through the form shows on the comparison, a channel
added through the form is listed without its secret, state media are flagged, and every new page passes axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.test_notes_pages_valid import write_marked_captures

STORY = "kim-putin-2023"


def test_mark_a_change_and_see_it_on_the_comparison(page: Page, live_url: str, console_errors: list[str]) -> None:
    page.goto(f"{live_url}/compare/rt/the-national")
    page.get_by_role("link", name="Mark a change of this comparison").click()
    page.get_by_role("textbox", name="Note").fill("The day differs: Tuesday or Monday")
    page.get_by_label("Your name").fill("Ana Editor")
    page.get_by_role("radio", name="significant").check()
    page.get_by_role("button", name="Save the mark").click()
    expect(page.locator(".px-flash")).to_contain_text("Marked significant")
    page.goto(f"{live_url}/compare/rt/the-national")
    notes_section = page.locator("section.px-notes")
    expect(notes_section).to_contain_text("The day differs: Tuesday or Monday")
    expect(notes_section).to_contain_text("Ana Editor")
    page.goto(f"{live_url}/stories/{STORY}/notes?mark=significant")
    expect(page.locator(".px-notes-list li")).to_have_count(1)
    assert console_errors == []


def test_add_a_channel_keeps_its_secret(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/stories/{STORY}/alerts")
    page.get_by_label("Apprise URL").fill("json://editor:pw-s3cret-xyz@hooks.example.org/parallax")
    page.get_by_label("Send", exact=True).select_option("every")
    page.get_by_role("button", name="Add the channel").click()
    expect(page.locator(".px-flash")).to_contain_text("json://hooks.example.org")
    expect(page.locator("table")).to_contain_text("every change")
    assert "pw-s3cret-xyz" not in page.content()
    page.get_by_role("button", name="Mute json://hooks.example.org").click()
    expect(page.locator("table")).to_contain_text("muted")


def test_state_media_are_flagged_wherever_they_are_named(page: Page, live_url: str) -> None:
    for path in ("/", "/sources/rt", "/compare/rt/press-tv", f"/stories/{STORY}"):
        page.goto(live_url + path)
        expect(page.locator(".px-outlet--state-affiliated").first).to_be_visible()
    page.goto(f"{live_url}/?outlet_kind=state-affiliated")
    expect(page.locator("table.px-sources tbody tr")).to_have_count(2)


@pytest.mark.parametrize("path", ["/outlets", f"/stories/{STORY}/notes", f"/stories/{STORY}/notes?left=mt-1&right=mt-2",
                                  f"/stories/{STORY}/alerts", "/compare/mt-1/mt-2", "/sources/mt-2/timeline",
                                  "/watches/1", "/?outlet_kind=state-affiliated"])
def test_new_pages_have_no_axe_violations(axe_page: Page, live_url: str, corpus_dir: Path, path: str) -> None:
    write_marked_captures(corpus_dir)
    axe_page.goto(live_url + path)
    assert [v["id"] for v in axe_violations(axe_page)] == []

