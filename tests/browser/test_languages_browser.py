"""Reading across languages in Chromium: a real Russian report beside its English translation pairs sentence with
sentence, names both languages, marks the facts that differ, groups a quotation with its translation on the story
page; no accessibility violation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.fixtures import xlang

#: Rows pairing a labelled sentence with its labelled translation the comparison must draw: two thirds of the
#: labelled links (some rows join two sentences; without the cross-language judge there are none).
MIN_PAIRED = -(-2 * len(xlang.LINKS) // 3)

#: Each side-by-side row with both sides in their language: [Russian text, English text].
PAIRED_ROWS = """() => [...document.querySelectorAll('.px-srow')].map(row => [
    row.querySelector('.px-cell--left [lang="ru"]'), row.querySelector('.px-cell--right [lang="en"]')])
  .filter(([ru, en]) => ru && en).map(([ru, en]) => [ru.textContent, en.textContent])"""


@pytest.fixture()
def across_url(make_app: Callable[..., Flask], corpus_dir: Path, serve: Callable[[Flask], str]) -> str:
    """The app served on a corpus holding the Russian report and its English translation as a story of two; the
    translation puts the ministers' summit in Manchester, not Liverpool (a slip a reader must see)."""
    xlang.add_pair(corpus_dir, xlang.ENGLISH.replace("Liverpool", "Manchester"))
    return serve(make_app(OVERVIEW_TIME_BUDGET=60))


def test_comparison_pairs_russian_sentences_with_their_translations(page: Page, across_url: str,
                                                                    console_errors: list[str]) -> None:
    page.goto(f"{across_url}/compare/{xlang.RU_ID}/{xlang.EN_ID}")
    expect(page.locator(".px-pair-meta--left .px-lang")).to_have_text("Russian")
    expect(page.locator(".px-pair-meta--right .px-lang")).to_have_text("English")
    expect(page.locator(".px-across")).to_contain_text("Russian ↔ English: compared by meaning, across languages")
    rows = [(xlang.folded(ru), xlang.folded(en)) for ru, en in page.evaluate(PAIRED_ROWS)]
    right = [(ru, en) for ru, en in rows
             if any(xlang.folded(a) in ru and xlang.folded(b) in en for a, b in xlang.LINKS)]
    assert len(right) >= MIN_PAIRED, rows
    # Fact chips: a name, number or date only one side states opens the row where that fact is marked; the
    # translation's slip is named, and nothing the translation says in its own words (Russia by an adjective,
    # the United Kingdom as "British", NATO as the North Atlantic alliance) is.
    chips = page.locator(".px-summary .px-facts:not(.px-facts--alone) a.px-fact-link").filter(
        has=page.locator(".px-fact-kind", has_text=re.compile("^(name|number|date)$", re.IGNORECASE)))
    labels = chips.all_inner_texts()
    assert any("Manchester" in label for label in labels) and any("Ливерпул" in label for label in labels), labels
    assert not any(word in label for label in labels for word in ("Russia", "Normandy", "Великобритании")), labels
    for n in range(chips.count()):
        chip = chips.nth(n)
        label = chip.inner_text().split(" ", 1)[1]
        value = label.split(":")[0]
        target = chip.get_attribute("href")
        assert target and target.startswith("#r")
        assert value in page.locator(f"{target} mark.px-fact").all_inner_texts(), (label, target)
    chips.first.click()
    expect(page.locator(chips.first.get_attribute("href") or "")).to_be_in_viewport()
    assert console_errors == []


def test_story_quotes_group_a_quotation_with_its_translation(page: Page, across_url: str) -> None:
    page.goto(f"{across_url}/stories/{xlang.STORY}")
    expect(page.locator(".px-lede")).to_contain_text("in Russian, English")
    coverage = page.locator(".px-coverage")
    expect(coverage.get_by_text("(in English translation)").first).to_be_visible()
    groups = page.locator(".px-quote-group").filter(has=page.locator('blockquote[lang="ru"]')).filter(
        has=page.locator('blockquote[lang="en"]'))
    assert groups.count() > 0
    group = groups.first
    expect(group.get_by_role("heading")).to_contain_text("Russian and English")
    translation = group.locator("figure").filter(has=page.locator('blockquote[lang="en"]'))
    expect(translation.locator(".px-translation")).to_have_text("Translation into English")
    original = group.locator("figure").filter(has=page.locator('blockquote[lang="ru"]'))
    expect(original.locator(".px-translation")).to_have_text("In Russian")


def test_comparison_across_languages_has_no_accessibility_violations(axe_page: Page, across_url: str) -> None:
    for scheme in ("light", "dark"):
        axe_page.emulate_media(color_scheme=scheme)
        axe_page.goto(f"{across_url}/compare/{xlang.RU_ID}/{xlang.EN_ID}")
        expect(axe_page.locator(".px-across")).to_be_visible()
        assert axe_violations(axe_page) == [], scheme
