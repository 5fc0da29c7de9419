"""Search in Chromium: captures of one article are one hit, the form shows filters typed in the query, and the
quotations honour the outlet filter."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations


def test_captures_of_one_article_are_one_hit(page: Page, live_url: str) -> None:
    """The Moscow Times sentence its two captures carry is listed once, saying "2 captures" with both linked."""
    page.goto(live_url + "/search?q=shoigu")
    hits = page.locator(".px-search-hits > li")
    texts = [hits.nth(i).locator(".px-search-hit").inner_text() for i in range(hits.count())]
    assert texts and len(texts) == len(set(texts))
    first = hits.first
    expect(first).to_contain_text("2 captures")
    expect(first.get_by_role("link", name="moscow-times-plain")).to_be_visible()
    expect(first.get_by_role("link", name="moscow-times-markdown")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"{len(texts)} matching sentence")


def test_filters_typed_in_the_query_show_in_the_form(page: Page, live_url: str) -> None:
    """outlet:rt in the query selects RT in the Outlet dropdown (any case), and the hits are RT's."""
    page.goto(live_url + "/search?q=" + quote("peskov outlet:rt"))
    expect(page.locator('select[name="outlet"]')).to_have_value("RT")
    notes = page.locator(".px-search-hits .px-note")
    assert notes.count() > 0
    for i in range(notes.count()):
        expect(notes.nth(i)).to_contain_text("RT")


def test_quotations_honour_the_outlet_filter(page: Page, live_url: str) -> None:
    """A quote only other outlets word is not listed under "Quotations matching" when the search is for RT."""
    unfiltered = json.loads(urllib.request.urlopen(live_url + "/search.json?q=sensitive").read())["quotes"]
    assert any(all("RT" not in v["outlets"] for v in g["variants"] if v["matched"]) for g in unfiltered)
    page.goto(live_url + "/search?q=" + quote("sensitive outlet:RT"))
    expect(page.locator(".px-search-hits > li").first).to_be_visible()
    for group in page.locator(".px-search-quote").all():
        expect(group.locator(".px-search-quote--hit")).to_contain_text("RT")
    filtered = json.loads(urllib.request.urlopen(live_url + "/search.json?q=" + quote("sensitive outlet:RT")).read())
    assert all("RT" in v["outlets"] for g in filtered["quotes"] for v in g["variants"] if v["matched"])
    assert len(filtered["quotes"]) < len(unfiltered)


@pytest.mark.parametrize("query", ["shoigu", "peskov outlet:rt"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_states_are_accessible(axe_page: Page, live_url: str, query: str, scheme: str) -> None:
    """axe-core finds no violation on grouped and filtered results, light and dark."""
    axe_page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    axe_page.goto(live_url + "/search?q=" + quote(query))
    violations = axe_violations(axe_page)
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == []
