"""The edit page in Chromium: URL, attribution and its note, and version_of are edited with the add rules."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations

URL = "https://www.presstv.ir/Detail/2023/09/12/710691/North-Korea-Kim-arrives"


def test_edit_page_changes_url_attribution_and_version(axe_page: Page, live_url: str) -> None:
    """An editor gives a URL, an attribution with its note and the article this is a version of; a bad URL is
    refused first with the form kept. The page passes axe before and after the refusal."""
    page = axe_page
    page.goto(f"{live_url}/sources/press-tv/edit")
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_label("URL (http or https; empty: unknown)").fill("www.presstv.ir/no-scheme")
    page.evaluate("document.querySelector('#edit-url').type = 'text'")  # past the browser's own check
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("main")).to_contain_text("url must be an http(s) URL")
    assert [v["id"] for v in axe_violations(page)] == []
    page.get_by_label("URL (http or https; empty: unknown)").fill(URL)
    page.get_by_label("Attribution (is the outlet stated with the capture, inferred, or unknown?)").select_option(
        "inferred")
    page.get_by_label("Attribution note").fill("Outlet read from the page footer.")
    page.get_by_label("New version of (the id of another source, or the article's URL; empty: none)").fill("rt")
    page.get_by_role("button", name="Save details").click()
    expect(page).to_have_url(f"{live_url}/sources/press-tv")
    expect(page.locator("main")).to_contain_text("Outlet read from the page footer.")
    expect(page.locator(f'main a[href="{URL}"]').first).to_be_visible()
    form = page.request.get(f"{live_url}/sources/press-tv/edit.json").json()["form"]
    rt = page.request.get(f"{live_url}/sources/rt/edit.json").json()["form"]
    assert form["attribution"] == "inferred" and form["url"] == URL
    assert form["version_of"] == (rt["version_of"] or rt["url"] or "rt")  # the article key of rt
