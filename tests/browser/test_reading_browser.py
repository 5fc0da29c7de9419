"""The reading pages in a real browser: pick, compare, switch options, navigate changes, share the link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations


def test_pick_two_sources_and_open_their_comparison(page: Page, live_url: str, console_errors: list[str]) -> None:
    """From the index, choosing two sources and clicking Compare opens their comparison."""
    page.goto(live_url + "/")
    page.get_by_label("Left").select_option("press-tv")
    page.get_by_label("Right").select_option("the-national")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare/press-tv/the-national$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Press TV")
    expect(page.get_by_role("heading", level=1)).to_contain_text("The National")
    expect(page.locator(".px-side .px-srow").nth(3)).to_be_visible()
    assert console_errors == []


def test_switching_view_and_unit_reloads_the_same_url(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Clicking an option reloads the page with it in the URL, without pressing Apply."""
    page.goto(live_url + "/compare/moscow-times-plain/press-tv")
    page.locator(".px-controls > summary").click()  # the options sit in a fold under the summary
    page.get_by_label("Inline").click()
    page.locator(".px-controls > summary").click()
    expect(page).to_have_url(re.compile(r"view=inline"))
    expect(page.locator(".px-inline")).to_be_visible()
    page.get_by_label("char").click()
    expect(page).to_have_url(re.compile(r"view=inline&unit=char"))
    expect(page.get_by_label("char")).to_be_checked()
    page.locator(".px-controls > summary").click()
    page.get_by_label("case").click()
    expect(page).to_have_url(re.compile(r"ignore=quotes%2Cdashes%2Cwhitespace%2Ccase%2Cmarkup%2Cboilerplate"))
    assert console_errors == []


def test_keyboard_choices_wait_for_apply(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Arrowing through the unit radios does not reload at each step; Apply (or Enter) does."""
    page.goto(live_url + "/compare/rt/press-tv")
    page.locator(".px-controls > summary").click()
    page.get_by_label("word").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("sentence")).to_be_checked()
    assert page.url == live_url + "/compare/rt/press-tv"
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"unit=sentence"))
    assert console_errors == []


def test_next_and_previous_change_keys(page: Page, live_url: str, console_errors: list[str]) -> None:
    """j moves focus to the first change, j again to the next, k back."""
    page.goto(live_url + "/compare/moscow-times-plain/press-tv")
    changes = page.locator("[data-change]:visible")
    first_id, second_id = changes.nth(0).get_attribute("id"), changes.nth(1).get_attribute("id")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == first_id
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == second_id
    expect(page.locator(f"#{second_id}")).to_be_in_viewport()
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == first_id
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == second_id
    assert console_errors == []


def test_copied_link_opens_the_same_view(browser: Browser, live_url: str) -> None:
    """Copy link puts the stable URL on the clipboard; a colleague opening it sees the same view."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_url + "/compare/rt/the-national?view=inline&unit=sentence&ignore=case")
    page.get_by_role("link", name="Copy link").click()
    expect(page.locator(".px-copied")).to_contain_text("Link copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == live_url + "/compare/rt/the-national?view=inline&unit=sentence&ignore=case"
    colleague = context.new_page()
    colleague.goto(copied)
    expect(colleague.locator(".px-inline")).to_be_visible()
    expect(colleague.get_by_label("sentence")).to_be_checked()
    expect(colleague.get_by_label("case")).to_be_checked()
    expect(colleague.get_by_label("quotes")).not_to_be_checked()
    assert colleague.locator(".px-irow").count() == page.locator(".px-irow").count()
    context.close()


def test_swap_sides(page: Page, live_url: str) -> None:
    """Swap sides keeps the options and exchanges the sources."""
    page.goto(live_url + "/compare/rt/press-tv?unit=char")
    page.get_by_role("link", name="Swap sides").click()
    expect(page).to_have_url(re.compile(r"/compare/press-tv/rt\?view=side&unit=char"))


def test_mobile_layout_stacks_the_panes(browser: Browser, live_url: str) -> None:
    """On a narrow screen the left and right passages stack instead of sitting side by side."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_url + "/compare/press-tv/the-national")
    row = page.locator(".px-srow.px-k-changed").first
    left, right = row.locator(".px-cell--left").bounding_box(), row.locator(".px-cell--right").bounding_box()
    assert left and right and right["y"] >= left["y"] + left["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_dark_scheme_swaps_colours(browser: Browser, live_url: str) -> None:
    """The page follows the system's dark setting."""
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(live_url + "/")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(23, 23, 26)"
    context.close()


@pytest.mark.parametrize("path", ["/", "/sources/moscow-times-markdown", "/compare/moscow-times-plain/press-tv",
                                  "/compare/moscow-times-plain/press-tv?view=inline", "/compare/rt/rt?unit=char"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_accessibility_violations(axe_page: Page, live_url: str, path: str, scheme: str) -> None:
    """axe-core finds no WCAG 2.1 AA or best-practice violations, in light and dark."""
    axe_page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    axe_page.goto(live_url + path)
    violations = axe_violations(axe_page)
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


def test_axe_check_can_fail(axe_page: Page) -> None:
    """The accessibility check does report a real violation (so the zero above means something)."""
    axe_page.set_content('<html lang="en"><body><main><img src="x.png"></main></body></html>')
    assert "image-alt" in {v["id"] for v in axe_violations(axe_page)}
