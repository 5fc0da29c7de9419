"""What the comparison's figures count, in Chromium: shared wording includes reworded pairs, and a passage the other
side carries word for word elsewhere is not one it lacks."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations
from tests.conftest import front_matter

BRIDGE = "The minister said the new bridge over the river would open to traffic in early March next year."
FRAME = "Engineers inspected the steel frame on Monday and found no faults in the welds or the cables."


def _shared_wording(page: Page) -> int:
    figure = page.locator(".px-stats div", has=page.get_by_text("Shared wording", exact=True)).locator("dd")
    match = re.fullmatch(r"(\d+)%", figure.inner_text().strip())
    assert match, figure.inner_text()
    return int(match.group(1))


def test_shared_wording_counts_words_reworded_pairs_share(page: Page, live_url: str) -> None:
    """RT and The Moscow Times share words only in reworded pairs; the figure is not 0 % beside them, and it says
    what the JSON twin says."""
    pair = "/compare/rt/moscow-times-plain"
    data = json.loads(urllib.request.urlopen(live_url + pair + ".json").read())
    reworded = [r for r in data["rows"] if r["kind"] == "reworded"]
    assert reworded and not any(r["kind"] in ("same", "changed") for r in data["rows"])
    page.goto(live_url + pair)
    expect(page.locator(".px-srow.px-k-reworded .px-shared").first).to_be_visible()
    shown = _shared_wording(page)
    assert shown > 0
    assert shown == round(data["stats"]["similarity"] * 100)
    page.goto(live_url + "/compare/rt/rt")
    assert _shared_wording(page) == 100


def test_passage_carried_elsewhere_is_not_counted_as_carried_alone(page: Page, live_url: str,
                                                                    corpus_dir: Path) -> None:
    """A sentence one side repeats, which the other carries once, is not 'carried alone': the summary counts only
    the passage the other side really lacks and says where the repeat is."""
    story = corpus_dir / "bridge"
    story.mkdir()
    for source, outlet, body in (
            ("bridge-a", "Alpha News", [BRIDGE, FRAME, "Local traders hope the crossing will bring more shoppers "
                                        "from the northern villages.", BRIDGE]),
            ("bridge-b", "Beta Daily", [BRIDGE, FRAME, "A spokesman for the council declined to comment on the "
                                        "cost of the project."])):
        (story / f"{source}.txt").write_text(front_matter(id=source, story="bridge", outlet=outlet, format="text")
                                             + "\n\n".join(body) + "\n", encoding="utf-8")
    page.goto(live_url + "/compare/bridge-a/bridge-b")
    summary = page.locator(".px-summary-text")
    expect(summary).to_contain_text("Alpha News alone carries 1 passage (1 paragraph).")
    expect(summary).to_contain_text("1 more passage of Alpha News is carried word for word at another place by "
                                    "Beta Daily.")
    expect(summary).to_contain_text("Beta Daily alone carries 1 passage (1 paragraph).")
    facts = page.locator(".px-facts")
    expect(facts).to_contain_text("Local traders hope")
    expect(facts).not_to_contain_text("The minister said")


def test_figures_page_is_accessible(axe_page: Page, live_url: str) -> None:
    """axe-core finds no violation on the comparison with its corrected figures, light and dark."""
    for scheme in ("light", "dark"):
        axe_page.emulate_media(color_scheme=scheme)
        axe_page.goto(live_url + "/compare/rt/moscow-times-plain")
        violations = axe_violations(axe_page)
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations] == [], scheme
