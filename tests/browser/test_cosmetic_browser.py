"""Update stamps in Chromium: folded away by default on a comparison, shown when the reader turns stamps off."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import STORY

LIVE = ("Kim Jong Un's armoured train crossed the border into Russia's Far East early on Tuesday morning.\n\n"
        "The North Korean leader is expected to meet Vladimir Putin at the Vostochny space launch centre.\n")


def capture(corpus_dir: Path, name: str, captured: str, body: str) -> None:
    """A capture of one live page."""
    (corpus_dir / STORY / f"{name}.txt").write_text(
        f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\nversion_of: live-page\n"
        f"published: 2023-09-12\ncaptured: {captured}\n---\n{body}", "utf-8")


def test_updated_lines_are_folded_away_by_default(axe_page: Page, live_url: str, corpus_dir: Path) -> None:
    capture(corpus_dir, "live-1", "2023-09-12T08:00:00", "Updated 3 minutes ago\n\n" + LIVE + "\nUpdated 10:42 GMT\n")
    capture(corpus_dir, "live-2", "2023-09-12T08:05:00", "Updated 1 minute ago\n\n" + LIVE + "\nUpdated 10:47 GMT\n")
    axe_page.goto(f"{live_url}/compare/live-1/live-2")
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    expect(axe_page.get_by_text("The North Korean leader is expected").first).to_be_visible()
    for stamp in ("Updated 3 minutes ago", "Updated 1 minute ago", "Updated 10:42 GMT"):
        expect(axe_page.locator(f":text('{stamp}'):visible")).to_have_count(0)
    assert axe_page.locator("[data-change]").count() == 0
    violations = axe_violations(axe_page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    axe_page.goto(f"{live_url}/compare/live-1/live-2?ignore=quotes,dashes,whitespace,markup,boilerplate")
    expect(axe_page.locator("[data-change]:visible", has_text="GMT").first).to_be_visible()
