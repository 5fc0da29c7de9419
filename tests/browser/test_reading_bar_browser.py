"""The comparison page in Chromium: the change counter never covers text, filters narrow the passages, inline
labels name the outlet."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations

#: Text lines of the rows from the reader's place on (the current change, else the first row) that lie under the
#: counter bar, as the first words of each.
_COVERED = """() => {
  const bar = document.querySelector('.px-counter').getBoundingClientRect();
  const rows = [...document.querySelectorAll('#passages .px-srow:not(.px-srow--head), #passages .px-irow')]
    .filter(row => row.offsetParent !== null);
  const current = rows.findIndex(row => row.classList.contains('px-current'));
  const covered = [];
  for (const row of rows.slice(Math.max(current, 0))) {
    const range = document.createRange();
    range.selectNodeContents(row);
    for (const line of range.getClientRects()) {
      if (line.width < 1 || line.bottom < 0 || line.top > innerHeight) continue;
      const overlap = line.left < bar.right && line.right > bar.left && line.top < bar.bottom - 1
        && line.bottom > bar.top + 1;
      if (overlap) covered.push(row.innerText.trim().slice(0, 40));
    }
  }
  return [...new Set(covered)];
}"""


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
@pytest.mark.parametrize("pair", ["/compare/rt/moscow-times-plain", "/compare/press-tv/the-national"])
def test_counter_never_covers_text(browser: Browser, live_url: str, viewport: dict[str, int], pair: str) -> None:
    """On first load and at each change the Next button steps to, no line of text still to be read lies under
    the Previous/Next bar, on a laptop and on a phone."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(live_url + pair)
    bar = page.locator(".px-counter")
    expect(bar).to_be_visible()
    assert page.evaluate(_COVERED) == []
    for step in range(1, 7):
        page.get_by_role("button", name="Next change").click()
        expect(page.locator(".px-counter-text")).to_have_text(re.compile(rf"^Change {step} of \d+$"))
        expect(bar).to_be_in_viewport()
        current = page.locator(".px-current")
        expect(current).to_be_in_viewport()
        assert page.evaluate(_COVERED) == [], step
    context.close()


def test_key_hint_only_where_there_is_a_keyboard(browser: Browser, live_url: str) -> None:
    """The 'Keys: j/n' hint shows with a mouse and keyboard, not on a touch screen."""
    for touch, shown in ((False, True), (True, False)):
        context = browser.new_context(viewport={"width": 390, "height": 844} if touch else None,
                                      has_touch=touch, is_mobile=touch)
        page = context.new_page()
        page.goto(live_url + "/compare/rt/moscow-times-plain")
        expect(page.locator(".px-keys")).to_be_visible(visible=shown)
        context.close()


def _changes(live_url: str, pair: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = json.loads(urllib.request.urlopen(live_url + pair + ".json").read())[
        "digest"]["changes"]
    return changes


def test_kind_link_narrows_passages_and_counter(page: Page, live_url: str, console_errors: list[str]) -> None:
    """?kind=reworded shows only the reworded passages and counts them ("Change 1 of 2 reworded"); their change
    numbers stay those of the whole list, so #cN links keep pointing at the same passage."""
    pair = "/compare/press-tv/the-national"
    reworded = [c for c in _changes(live_url, pair) if c["kind"] == "reworded"]
    assert reworded
    page.goto(live_url + pair + "?kind=reworded")
    rows = page.locator("#passages .px-srow:not(.px-srow--head)")
    expect(rows.locator("visible=true")).to_have_count(len(reworded))
    expect(page.locator("#passages .px-srow.px-k-reworded").locator("visible=true")).to_have_count(len(reworded))
    expect(page.locator("details.px-fold").locator("visible=true")).to_have_count(0)
    expect(page.locator(".px-counter-text")).to_have_text(f"{len(reworded)} changes, reworded")
    page.get_by_role("button", name="Next change").click()
    expect(page.locator(".px-counter-text")).to_have_text(f"Change 1 of {len(reworded)} reworded")
    expect(page).to_have_url(re.compile(rf"\?kind=reworded#c{reworded[0]['number']}$"))
    expect(page.locator(".px-marks .px-mark")).to_have_count(len(reworded))
    page.reload()
    expect(page.locator(".px-current")).to_have_attribute("data-n", str(reworded[0]["number"]))
    page.get_by_role("link", name="Show passages of every kind").click()
    expect(rows.locator("visible=true")).not_to_have_count(len(reworded))
    expect(page.locator(".px-counter-text")).to_have_text(re.compile(r"^\d+ changes$"))
    assert console_errors == []


def test_kind_filter_in_place_narrows_passages(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Clicking a kind in the change list narrows the passages and the counter without reloading."""
    pair = "/compare/press-tv/the-national"
    moved = [c for c in _changes(live_url, pair) if c["kind"] == "moved"]
    page.goto(live_url + pair)
    page.evaluate("window.notReloaded = true")
    page.locator("#changes > summary").click()
    page.get_by_role("link", name=f"moved ({len(moved)})").click()
    visible = page.locator("#passages .px-srow:not(.px-srow--head)").locator("visible=true")
    expect(visible).to_have_count(2 * len(moved))  # a moved passage shows at both its places
    expect(page.locator(".px-counter-text")).to_have_text(f"{len(moved)} change{'' if len(moved) == 1 else 's'}, moved")
    page.keyboard.press("j")
    expect(page.locator(".px-counter-text")).to_have_text(f"Change 1 of {len(moved)} moved")
    assert page.evaluate("window.notReloaded") is True
    assert console_errors == []


def test_kind_filter_without_script_narrows_passages(browser: Browser, live_url: str) -> None:
    """Without JavaScript the server sends the page narrowed."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + "/compare/press-tv/the-national?kind=changed")
    visible = page.locator("#passages .px-srow:not(.px-srow--head)").locator("visible=true")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Kremlin spokesman Dmitry Peskov told Russian media")
    expect(page.locator(".px-narrowed")).to_contain_text("Passages shown: changed only")
    context.close()


def test_inline_view_names_the_outlet_of_one_sided_passages(page: Page, live_url: str) -> None:
    """In the inline view a passage only one side has says so on screen, as the side-by-side view does."""
    page.goto(live_url + "/compare/press-tv/the-national?view=inline")
    left = page.locator(".px-irow.px-k-left_only").first
    right = page.locator(".px-irow.px-k-right_only").first
    expect(left.get_by_text("only in Press TV")).to_be_visible()
    expect(right.get_by_text("only in The National")).to_be_visible()
    assert "[only in" not in page.locator("#passages").inner_text()  # one label, not a second hidden cue


@pytest.mark.parametrize("path", ["/compare/press-tv/the-national?kind=reworded",
                                  "/compare/press-tv/the-national?view=inline&kind=left_only",
                                  "/compare/rt/moscow-times-plain#c5"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_new_reading_states_are_accessible(axe_page: Page, live_url: str, path: str, scheme: str) -> None:
    """axe-core finds no violation on the narrowed, inline and stepped-to states, light and dark."""
    axe_page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    axe_page.set_viewport_size({"width": 390, "height": 844})
    axe_page.goto(live_url + path)
    violations = axe_violations(axe_page)
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []
