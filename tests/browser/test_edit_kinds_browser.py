"""Edit kinds in Chromium: labels on the comparison's passages and the timeline's steps, readable and axe-clean."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import front_matter
from tests.test_edit_kinds import FIRST, SECOND, URL


def test_edit_labels_on_comparison_and_timeline(axe_page: Page, live_url: str, corpus_dir: Path) -> None:
    """The comparison says "Edits: 1 factual change, …" and labels the changed number's passage "fact changed"; the
    timeline's step lists its edits; axe finds nothing on either page (light and dark)."""
    folder = corpus_dir / "bridge"
    folder.mkdir()
    for source_id, body, captured in (("herald-1", FIRST, "2024-02-13T08:00:00+00:00"),
                                      ("herald-2", SECOND, "2024-02-13T12:00:00+00:00")):
        (folder / f"{source_id}.txt").write_text(front_matter(id=source_id, story="bridge", outlet="Herald", url=URL,
                                                              captured=captured) + body, encoding="utf-8")
    page = axe_page
    page.goto(f"{live_url}/compare/herald-1/herald-2")
    expect(page.locator(".px-edit-counts")).to_have_text(
        "Edits: 1 factual change, 1 claim added, 1 claim removed, 1 style edit.")
    fact = page.locator(".px-srow", has_text="40 steel cables").locator(".px-edit--fact")
    expect(fact).to_have_text("fact changed")
    expect(fact).to_be_visible()
    expect(page.locator(".px-srow", has_text="second inspection").locator(".px-edit--addition")).to_be_visible()
    assert [v["id"] for v in axe_violations(page)] == []
    page.emulate_media(color_scheme="dark")
    assert [v["id"] for v in axe_violations(page)] == []
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_url}/sources/herald-2/timeline")
    expect(page.locator(".px-tl-edits")).to_contain_text("1 fact changed")
    expect(page.locator(".px-tl-edits")).to_contain_text("1 claim added")
    assert [v["id"] for v in axe_violations(page)] == []
