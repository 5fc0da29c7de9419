"""What changed at a glance, in Chromium: summary links, filters, focus folds, #cN, pickers, print, exports, phone."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import STORY, front_matter
from tests.long_pair import write_long_pair

PAIR = "/compare/press-tv/the-national"
LONG = "/compare/long-left/long-right"


@pytest.fixture()
def long_pair(corpus_dir: Path) -> None:
    """The 5,000-word near-identical pair, added to the test corpus."""
    write_long_pair(corpus_dir)


def test_summary_links_open_their_rows(page: Page, live_url: str, console_errors: list[str]) -> None:
    """A difference in the summary links to its passage, which scrolls into view."""
    page.goto(live_url + PAIR)
    link = page.locator(".px-facts a").first
    target = link.get_attribute("href")
    assert target and target.startswith("#r")
    link.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator(target)).to_be_in_viewport()
    assert console_errors == []


def test_change_list_filters_in_place_with_script(page: Page, live_url: str, console_errors: list[str]) -> None:
    """Clicking a kind filters the list without reloading and records the filter in the URL."""
    changes = json.loads(urllib.request.urlopen(live_url + PAIR + ".json").read())["digest"]["changes"]
    right_only = sum(1 for c in changes if c["kind"] == "right_only")
    moved = sum(1 for c in changes if c["kind"] == "moved")
    assert len(changes) > right_only > 0 and moved > 0
    page.goto(live_url + PAIR)
    page.evaluate("window.notReloaded = true")
    page.locator("#changes > summary").click()
    items = page.locator(".px-change-list li")
    expect(items.locator("visible=true")).to_have_count(len(changes))
    page.get_by_role("link", name=f"only in The National ({right_only})").click()
    expect(items.locator("visible=true")).to_have_count(right_only)
    expect(page).to_have_url(re.compile(r"kind=right_only#changes$"))
    assert page.evaluate("window.notReloaded") is True
    page.get_by_role("link", name=f"moved ({moved})").click()
    expect(items.locator("visible=true")).to_have_count(moved)
    expect(items.locator("visible=true").first).to_contain_text("moved")
    assert console_errors == []


def test_change_list_filters_without_script(browser: Browser, live_url: str) -> None:
    """Without JavaScript the filters are links: the page reloads with the list filtered and open."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + PAIR)
    page.locator("#changes > summary").click()
    page.get_by_role("link", name="changed (1)").click()
    expect(page).to_have_url(re.compile(r"kind=changed#changes$"))
    visible = page.locator(".px-change-list li").locator("visible=true")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Kremlin spokesman Dmitry Peskov told Russian media")
    context.close()


@pytest.mark.usefixtures("long_pair")
def test_focus_folds_unchanged_runs_and_opens_them(page: Page, live_url: str, console_errors: list[str]) -> None:
    """The long pair shows its changes with folded runs between; a fold opens in place; focus=off shows all."""
    page.goto(live_url + LONG)
    folds = page.locator("details.px-fold")
    expect(folds.first).to_contain_text("unchanged passages — show")
    hidden_row = folds.first.locator(".px-srow").first
    expect(hidden_row).to_be_hidden()
    folds.first.locator("summary").click()
    expect(hidden_row).to_be_visible()
    page.get_by_role("link", name="Show every passage", exact=True).click()
    expect(page).to_have_url(re.compile(r"focus=off"))
    expect(page.locator("details.px-fold")).to_have_count(0)
    expect(page.locator(".px-srow.px-k-same")).to_have_count(297)
    assert console_errors == []


@pytest.mark.usefixtures("long_pair")
def test_shared_change_link_opens_at_that_change(page: Page, live_url: str, console_errors: list[str]) -> None:
    """#c3 opens at the third change; the counter says so; j moves on and the URL follows; marks on the edge."""
    page.goto(live_url + LONG + "#c3")
    third = page.locator('[data-n="3"]')
    expect(third).to_be_in_viewport()
    expect(page.locator(".px-counter-text")).to_have_text("Change 3 of 4")
    page.keyboard.press("j")
    expect(page.locator(".px-counter-text")).to_have_text("Change 4 of 4")
    expect(page).to_have_url(re.compile(r"#c4$"))
    page.get_by_role("button", name="Previous change").click()
    expect(page).to_have_url(re.compile(r"#c3$"))
    expect(page.locator(".px-marks .px-mark")).to_have_count(4)
    expect(page.locator(".px-marks .px-mark--current")).to_have_count(1)
    assert console_errors == []


@pytest.mark.usefixtures("long_pair")
def test_first_screen_of_a_long_pair_has_the_summary_and_the_first_change(browser: Browser, live_url: str) -> None:
    """At 1280×800 the 5,000-word pair opens on its summary and its first change, whole."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_url + LONG)
    expect(page.locator(".px-summary")).to_be_in_viewport(ratio=1)
    expect(page.locator('[data-n="1"]')).to_be_in_viewport(ratio=1)
    context.close()


def test_boilerplate_folds_open_in_place(page: Page, live_url: str) -> None:
    """Boilerplate is a closed fold where it stands; opening it shows the passages."""
    page.goto(live_url + "/compare/moscow-times-plain/moscow-times-markdown")
    appeal = page.get_by_text("Dear readers,")
    expect(appeal).to_be_hidden()
    page.locator("details.px-fold--boiler", has=appeal).locator("summary").click()
    expect(appeal).to_be_visible()


@pytest.mark.parametrize("script", [True, False])
def test_pickers_change_either_side(browser: Browser, live_url: str, script: bool) -> None:
    """From a comparison, two selects and Go open another pair, with or without JavaScript, keeping options."""
    context = browser.new_context(java_script_enabled=script)
    page = context.new_page()
    page.goto(live_url + PAIR + "?unit=char")
    page.locator(".px-controls > summary").click()
    page.get_by_label("Left source").select_option("rt")
    page.get_by_label("Right source").select_option("moscow-times-plain")
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"/compare/rt/moscow-times-plain\?view=side&unit=char"))
    context.close()


def test_source_page_compare_with(page: Page, live_url: str) -> None:
    """The source page links its story and compares it with a chosen source."""
    page.goto(live_url + "/sources/rt")
    story = page.get_by_role("link", name="Kim Jong Un's train arrives in Russia for talks with Putin")
    expect(story).to_have_attribute("href", f"/stories/{STORY}")
    page.get_by_label("Compare with…").select_option("the-national")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare/rt/the-national$"))


def test_print_says_every_cue_in_words(page: Page, live_url: str) -> None:
    """Printed, one-sided passages say '[only in …]', edited ones '[changed]'; controls are gone, sources named."""
    page.goto(live_url + PAIR)
    page.emulate_media(media="print")
    cue = page.locator(".px-cue", has_text="[only in Press TV]").first
    expect(cue).to_be_visible()
    expect(page.locator(".px-cue", has_text="[only in The National]").first).to_be_visible()
    expect(page.locator(".px-cue", has_text="[changed]")).to_be_visible()
    expect(page.locator(".px-controls")).to_be_hidden()
    expect(page.locator(".px-tools")).to_be_hidden()
    expect(page.locator(".px-doc-meta")).to_be_visible()
    expect(page.locator(".px-doc-meta")).to_contain_text("https://www.presstv.ir/Detail/2023/09/12/")
    colour = page.evaluate("getComputedStyle(document.querySelector('.px-cue')).color")
    assert colour == "rgb(0, 0, 0)"


def test_exported_file_opens_offline_and_matches_the_printed_page(page: Page, browser: Browser, live_url: str,
                                                                  tmp_path: Path) -> None:
    """The downloaded HTML opens from disk with the network off, makes no request, and shows the printed cues."""
    page.goto(live_url + PAIR)
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # what the browser fires before printing
    printed = page.locator(".px-cue").all_inner_texts()
    printed_rows = page.locator("#passages [id^=r]").evaluate_all("els => els.map(e => e.id)")
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download HTML").click()
    assert download.value.suggested_filename == "parallax-press-tv-vs-the-national.html"
    saved = tmp_path / "export.html"
    download.value.save_as(saved)
    context = browser.new_context()
    context.set_offline(True)
    offline = context.new_page()
    requests: list[str] = []
    offline.on("request", lambda request: requests.append(request.url))
    offline.goto(saved.as_uri())
    expect(offline.get_by_role("heading", level=1)).to_contain_text("compared with")
    assert requests == [saved.as_uri()]
    assert offline.locator(".px-cue").all_inner_texts() == printed
    assert offline.locator("#passages [id^=r]").evaluate_all("els => els.map(e => e.id)") == printed_rows
    background = offline.evaluate(
        "getComputedStyle(document.querySelector('.px-k-left_only .px-cell--left')).backgroundColor")
    assert background == "rgb(253, 226, 225)"  # the inlined stylesheet applies
    context.close()


def test_phone_names_the_outlets_and_leaves_no_empty_box(browser: Browser, live_url: str) -> None:
    """At 390 px each passage is labelled with its outlet and a one-sided row has no empty twin box."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_url + PAIR)
    row = page.locator(".px-srow.px-k-left_only").first
    label = row.locator(".px-cell-label")
    expect(label).to_be_visible()
    expect(label).to_have_text("Press TV")
    expect(row.locator(".px-cell--empty")).to_be_hidden()
    text_cell = row.locator(".px-cell--left").bounding_box()
    whole = row.bounding_box()
    assert text_cell and whole and whole["height"] <= text_cell["height"] + 12
    assert "Left:" not in page.locator("#passages").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_phone_outlet_labels_are_readable_not_clipped(browser: Browser, live_url: str) -> None:
    """At 390 px the outlet label above a passage is laid out at full size, not the 1 px clip used on wide screens
    (where the column heads name the outlets); on a wide screen it stays clipped."""
    for width, shown in ((390, True), (1280, False)):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(live_url + PAIR)
        for kind, outlet in (("left_only", "Press TV"), ("right_only", "The National")):
            box = page.locator(f".px-srow.px-k-{kind} .px-cell-label").first.bounding_box()
            assert box is not None
            assert (box["width"] > 20 and box["height"] > 8) is shown, (width, kind, box)
            if shown:
                assert outlet in page.locator(f".px-srow.px-k-{kind}").first.inner_text()
        context.close()

_TEXT_EDGES = """cell => { const range = document.createRange(); range.selectNodeContents(cell);
  const text = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
  return [text.left - box.left, box.right - text.right]; }"""


def test_right_to_left_passages_read_right_aligned(page: Page, live_url: str, corpus_dir: Path) -> None:
    """An Arabic passage takes its own direction: it hugs the right edge of its cell (its full stop at its left
    end), a moved chip does not turn it left-to-right, and English passages stay left-aligned."""
    said, arrived = "قال بوتين إن المحادثات كانت جيدة جدا.", "وصل كيم إلى روسيا."
    for name, outlet, body in (("ar-one", "Arab Wire", f"{said}\n\n{arrived}"),
                               ("ar-two", "Gulf Daily", f"{arrived}\n\n{said.replace('جيدة', 'ممتازة')}")):
        (corpus_dir / STORY / f"{name}.txt").write_text(
            front_matter(id=name, story=STORY, outlet=outlet, format="text") + body + "\n", encoding="utf-8")
    page.set_viewport_size({"width": 1000, "height": 800})
    page.goto(live_url + "/compare/ar-one/ar-two")
    for selector in (".px-srow.px-k-same .px-cell--left", ".px-srow.px-k-moved .px-cell--left"):
        before, after = page.locator(selector).first.evaluate(_TEXT_EDGES)
        assert after < 15 < before, (selector, before, after)
    page.goto(live_url + PAIR)
    before, after = page.locator(".px-srow.px-k-left_only .px-cell--left").first.evaluate(_TEXT_EDGES)
    assert before < 15, before

def test_matrix_stays_readable_at_twelve_sources(browser: Browser, live_url: str, corpus_dir: Path) -> None:
    """With twelve sources the matrix fits a laptop screen; columns have short labels, full names on hover."""
    for n in range(7):
        (corpus_dir / STORY / f"extra-{n}.txt").write_text(
            front_matter(id=f"extra-{n}", story=STORY, outlet=f"Regional Daily Courier {n}", format="text",
                         capture="plain-text capture (test)")
            + f"Kim Jong Un arrived in Russia on Tuesday, wire {n} reported.\n", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{live_url}/stories/{STORY}")
    table = page.locator(".px-matrix")
    expect(table.locator("thead th")).to_have_count(12)
    assert page.evaluate("(() => { const w = document.querySelector('.px-table-wrap');"
                         " return w.scrollWidth <= w.clientWidth; })()")
    header = table.locator('thead th[title^="Regional Daily Courier 6"]')
    assert header.locator("[aria-hidden=true]").inner_text() == "RDC6"
    expect(table.get_by_role("columnheader", name=re.compile("Regional Daily Courier 6"))).to_have_count(1)
    context.close()


STATES = [PAIR, PAIR + "?kind=moved#changes", "/compare/moscow-times-plain/moscow-times-markdown", LONG + "#c2",
          LONG + "?view=inline", "/sources/rt", f"/stories/{STORY}"]


@pytest.mark.usefixtures("long_pair")
@pytest.mark.parametrize("path", STATES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_new_states_have_no_accessibility_violations(axe_page: Page, live_url: str, path: str,
                                                     scheme: Literal["light", "dark"]) -> None:
    """axe-core finds nothing on the new page states, with the controls and a fold open, light and dark."""
    axe_page.emulate_media(color_scheme=scheme)
    axe_page.goto(live_url + path)
    for opener in (".px-controls > summary", "details.px-fold > summary"):
        shown = axe_page.locator(opener).locator("visible=true")  # a narrowed page hides its folds
        if shown.count():
            shown.first.click()
    violations = axe_violations(axe_page)
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []


def test_exported_file_has_no_accessibility_violations(axe_page: Page, live_url: str, tmp_path: Path) -> None:
    """The standalone file is accessible too."""
    body = axe_page.request.get(live_url + PAIR + "/export.html").body()
    saved = tmp_path / "export.html"
    saved.write_bytes(body)
    for scheme in ("light", "dark"):
        axe_page.emulate_media(color_scheme=scheme)
        axe_page.goto(saved.as_uri())
        violations = axe_violations(axe_page)
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == [], scheme
