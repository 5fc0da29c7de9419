"""A live page's block moved to the top, in Chromium: one moved block each way, folded, expanding in place, its
link taking the reader to the other side's place; no axe violations in either state."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import ROOT

#: Two real captures of USA Today's live TikTok page: 70 sentences moved from the end to the top.
PAIR = ROOT / "bench" / "data" / "real" / "versions" / "live-moved-block"


def test_a_moved_block_reads_as_one_block_that_opens_in_place(axe_page: Page, live_url: str,
                                                              corpus_dir: Path) -> None:
    block = json.loads((PAIR / "pair.json").read_text(encoding="utf-8"))["moved"][0]
    story = corpus_dir / "tiktok"
    story.mkdir()
    for name in ("early", "later"):
        text = (PAIR / ("left.txt" if name == "early" else "right.txt")).read_text(encoding="utf-8")
        (story / f"{name}.txt").write_text(
            f"---\nid: {name}\nstory: tiktok\noutlet: USA Today\ntitle: TikTok live\n---\n" + text, encoding="utf-8")
    axe_page.goto(f"{live_url}/compare/early/later?per_page=1000")
    size = block["sentences"]
    folded = axe_page.locator("details.px-block")
    expect(folded).to_have_count(2)  # the block where each capture has it, once
    expect(axe_page.get_by_role("link", name=f"{size} passages moved up: see where")).to_have_count(2)
    first = axe_page.locator("details.px-block").first
    expect(first.locator("summary")).to_contain_text(f"{size} passages moved up (show them)")
    assert first.evaluate("node => node.open") is False and block["first"] not in first.inner_text()
    assert axe_violations(axe_page) == []
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")
    assert block["first"] in first.inner_text()  # the moved sentences show where the block stands
    assert axe_violations(axe_page) == []
    axe_page.get_by_role("link", name=f"{size} passages moved up: see where").first.click()
    target = axe_page.evaluate("location.hash")
    assert target.startswith("#r") and axe_page.locator(target).count() == 1
    expect(axe_page.locator(target)).to_be_in_viewport()
