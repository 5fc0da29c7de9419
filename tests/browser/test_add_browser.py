"""Adding a source in Chromium: paste, confirm, save, then compare it with a source already in the story."""

from __future__ import annotations

from playwright.sync_api import Page, expect

STORY = "kim-putin-2023"
PASTED = ("North Korean leader Kim Jong Un arrived in Russia on Tuesday for talks with Vladimir Putin.\n"
          "The Kremlin said the leaders would discuss sensitive subjects <script>alert(1)</script>.\n"
          "Peskov said Russia would ignore Washington's warnings.\n")


def test_paste_confirm_save_compare(page: Page, live_url: str, console_errors: list[str]) -> None:
    """The whole add flow works in a real browser, and the new source is comparable at once."""
    page.goto(live_url + "/")
    page.locator("#main").get_by_role("link", name="Add a source").click()
    expect(page.get_by_role("heading", name="Add a source", level=1)).to_be_visible()
    page.get_by_label("Article text", exact=True).fill(PASTED)
    page.get_by_role("button", name="Use this text").click()

    expect(page.get_by_role("heading", name="Confirm the new source")).to_be_visible()
    expect(page.locator("pre.px-raw")).to_contain_text("<script>alert(1)</script>")
    page.get_by_label("Outlet").fill("Browser Wire")
    page.get_by_label("Headline").fill("Kim arrives, browser capture")
    page.get_by_label("Published (YYYY-MM-DD)").fill("2023-09-12")
    page.get_by_label("Story", exact=True).select_option(STORY)  # no sentence of it is carried: not preselected
    page.get_by_role("button", name="Save source").click()

    expect(page).to_have_url(live_url + "/sources/kim-arrives-browser-capture")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browser Wire: Kim arrives, browser capture")
    expect(page.locator(".px-prose")).to_contain_text("sensitive subjects <script>alert(1)</script>.")

    page.goto(live_url + "/")
    expect(page.get_by_role("link", name="Browser Wire", exact=True)).to_be_visible()
    page.locator(f"#left-{STORY}").select_option("kim-arrives-browser-capture")
    page.locator(f"#right-{STORY}").select_option("moscow-times-plain")
    page.locator(f"#left-{STORY}").locator("xpath=ancestor::form").get_by_role("button", name="Compare").click()
    expect(page).to_have_url(live_url + "/compare/kim-arrives-browser-capture/moscow-times-plain")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Browser Wire: Kim arrives, browser capture compared "
                                                                 "with The Moscow Times")
    expect(page.locator("main")).to_contain_text("Peskov")
    assert console_errors == []


def test_add_page_from_story_link(page: Page, live_url: str, console_errors: list[str]) -> None:
    """/add?story=<slug> (the story overview's link) names the story and carries it to the confirm step."""
    page.goto(f"{live_url}/add?story={STORY}")
    expect(page.locator(".px-lede")).to_contain_text("Kim Jong Un's train arrives in Russia for talks with Putin")
    page.get_by_label("Article text", exact=True).fill("A short pasted text about the summit, for this test.\n")
    page.get_by_role("button", name="Use this text").click()
    expect(page.get_by_label("Story", exact=True)).to_have_value(STORY)
    assert console_errors == []


def test_add_and_confirm_pages_have_no_axe_violations(axe_page: Page, live_url: str) -> None:
    """The input and confirm forms pass axe (WCAG 2.1 A/AA and best practices)."""
    from tests.browser.conftest import axe_violations

    axe_page.goto(live_url + "/add")
    assert [v["id"] for v in axe_violations(axe_page)] == []
    axe_page.get_by_label("Article text", exact=True).fill("Some text to confirm, long enough to read.\n")
    axe_page.get_by_role("button", name="Use this text").click()
    expect(axe_page.get_by_role("heading", name="Confirm the new source")).to_be_visible()
    assert [v["id"] for v in axe_violations(axe_page)] == []


def test_unrelated_text_is_not_filed_under_the_only_story(page: Page, live_url: str,
                                                            console_errors: list[str]) -> None:
    """An article no story carries opens the confirm step on "a new story" with a slug from its headline, even
    when the corpus holds one story; confirming files it there, not under the unrelated story."""
    page.goto(live_url + "/add")
    page.get_by_label("Article text", exact=True).fill(
        "# Air New Zealand grounds 787s\n\nAir New Zealand grounded three of its Boeing 787 aircraft on Monday "
        "after engine inspections found wear on turbine blades.\n")
    page.get_by_label("Format", exact=True).select_option("markdown")
    page.get_by_role("button", name="Use this text").click()
    expect(page.get_by_label("Story", exact=True)).to_have_value("__new__")
    expect(page.get_by_label("New story slug (a-z, 0-9 and -)")).to_have_value("air-new-zealand-grounds-787s")
    page.get_by_label("Outlet").fill("Stuff")
    page.get_by_role("button", name="Save source").click()
    expect(page).to_have_url(live_url + "/sources/air-new-zealand-grounds-787s")
    assert page.request.get(live_url + "/sources/air-new-zealand-grounds-787s.json").json()["source"]["story"] \
        == "air-new-zealand-grounds-787s"
    assert console_errors == []
