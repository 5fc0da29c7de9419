"""Lineage in Chromium: carriers in publication order, a capture time said to be one, no axe violations."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import ROOT, front_matter

#: A real article (The Week on the King's postponed visit to France) carried by three sources.
BODY = (ROOT / "bench" / "data" / "real" / "cross" / "e20-king-charles-s-france--n17" / "left.txt").read_text(
    encoding="utf-8")


def test_lineage_lists_carriers_by_publication_time(axe_page: Page, live_url: str, corpus_dir: Path) -> None:
    """The 2017 article added last is drawn and listed first; the undated copy says it is placed by capture."""
    (corpus_dir / "king").mkdir()
    for source_id, outlet, fields in (
            ("week-new", "The Week", {"published": "2023-03-24", "captured": "2023-09-12T10:00:00"}),
            ("week-old", "The Week Archive", {"published": "2017-03-24", "captured": "2023-09-12T10:02:00"}),
            ("week-copy", "Copy Blog", {"captured": "2023-09-12T09:00:00"})):
        (corpus_dir / "king" / f"{source_id}.txt").write_text(
            front_matter(id=source_id, story="king", outlet=outlet, **fields) + BODY, encoding="utf-8")
    axe_page.goto(f"{live_url}/stories/king/lineage")
    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("Lineage")
    credits = axe_page.locator("ul li")
    expect(credits.filter(has_text="Archive").first).to_contain_text("published 2017-03-24")
    listed = [text.split(" (")[0] for text in axe_page.locator("main ul > li").all_inner_texts()]
    assert listed[:3] == ["The Week Archive", "The Week", "Copy Blog"]
    expect(axe_page.locator("main ul > li").nth(2)).to_contain_text("publication time unknown, captured")
    first_rows = axe_page.locator(".px-ln-table tbody tr td:first-child").all_inner_texts()
    assert first_rows and all(cell.startswith("The Week Archive") for cell in first_rows)
    boxes = axe_page.locator(".px-lineage-svg g > text:nth-of-type(1)").all_text_contents()
    assert boxes[:3] == ["The Week Archive", "The Week", "Copy Blog"]
    violations = axe_violations(axe_page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


LONG_OUTLET = "The Democratic People's Republic of Korea Central News Agency, Official English-Language Service"
LONG_ID = "kcna-official-english-language-service-capture-of-the-article"


def test_lineage_labels_stay_in_their_boxes(axe_page: Page, live_url: str, corpus_dir: Path) -> None:
    """Every label of the drawing ends inside its box (long outlet names and ids too); a cut name ends with "…"
    and its whole text is the box's tooltip (<title>) and part of the drawing's description for screen readers."""
    (corpus_dir / "king").mkdir()
    for source_id, outlet, fields in (
            ("week-new", "The Week", {"published": "2023-03-24"}),
            (LONG_ID, LONG_OUTLET, {"captured": "2023-09-12T10:02:00+00:00"}),
            ("wide-wire", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW", {"published": "2023-03-25"})):
        (corpus_dir / "king" / f"{source_id}.txt").write_text(
            front_matter(id=source_id, story="king", outlet=outlet, **fields) + BODY, encoding="utf-8")
    for width, height in ((1366, 900), (390, 844)):
        axe_page.set_viewport_size({"width": width, "height": height})
        axe_page.goto(f"{live_url}/stories/king/lineage")
        labels = axe_page.evaluate("""() => [...document.querySelectorAll('.px-lineage-svg g.px-ln-node')].map(g => {
            const box = g.querySelector('rect').getBBox();
            return [...g.querySelectorAll('text')].map(t => {
                const b = t.getBBox();
                return {text: t.textContent, inside: b.x >= box.x && b.x + b.width <= box.x + box.width - 4};
            });
        }).flat()""")
        assert len(labels) == 6 and [t for t in labels if not t["inside"]] == []
    names = axe_page.locator(".px-lineage-svg g.px-ln-node > text, .px-lineage-svg g.px-ln-node g > text:first-child")
    shown = names.all_text_contents()
    cut = [t for t in shown if t.endswith("…")]
    assert any(t.startswith("The Democratic People") for t in cut) and any(t.startswith("WWW") for t in cut)
    titles = axe_page.locator(".px-lineage-svg g.px-ln-node > title").all_text_contents()
    assert any(t.startswith(LONG_OUTLET + " · captured 2023-09-12T10:02:00+00:00 · " + LONG_ID) for t in titles)
    assert LONG_OUTLET in (axe_page.locator("#ln-desc").text_content() or "")
    violations = axe_violations(axe_page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
