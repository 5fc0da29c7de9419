"""Cosmetic lines (update stamps, clock times, bylines with a time): one rule set for the watcher, comparisons,
timelines and the story overview, checked on lines from real captures."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from parallax import cosmetic
from parallax.model import DEFAULT_IGNORE
from parallax.sources import watch
from tests.conftest import ROOT, STORY

VERSIONS = ROOT / "bench" / "data" / "real" / "versions"
#: USA Today's World Cup guide, captured twice: only its stamp line and some paragraphs differ.
GUIDE = VERSIONS / "usatoday-world-cup-philadelphia-guide"


def first_line(path: Path) -> str:
    """The first line of a capture."""
    return path.read_text(encoding="utf-8").split("\n", 1)[0]


@pytest.mark.parametrize("line", [
    first_line(GUIDE / "left.txt"),  # June 14, 2026 Updated June 18, 2026, 4:02 p.m. ET
    first_line(VERSIONS / "usatoday-grammys-2025-live" / "right.txt"),  # Feb. 2, 2025 Updated Feb. 3, 2025, …
    first_line(ROOT / "bench" / "data" / "real" / "cross" / "e17-fossil-of-328-million--n09" / "right.txt"),
    "Updated 3 minutes ago", "Updated 10:42 GMT", "Last updated: 10:42 GMT", "By Jane Doe, 10:42 GMT",
    "Published 12 Sep 2023 09:15", "Tuesday 12 September 2023 08:15 BST", "Advertisement"])
def test_stamp_lines(line: str) -> None:
    assert cosmetic.is_stamp_line(line), line


@pytest.mark.parametrize("line", [
    # USA Today, New Orleans jailbreak: a correction note is news, not a stamp.
    "This story has been updated to reflect the June 27 capture of fugitive Antoine Massey.",
    "By around 1 a.m., the inmates had climbed through the hole, one by one, and had passed through a loading dock "
    "door.",
    "By RANDALL CHASE AP Business Writer",  # a byline with no time is the article's own credit
    "September 12, 2023",  # a dateline without a stamp word or time
    "The meeting began at 10:42 GMT on Tuesday.",
    "Updated figures show at least 36 people have died and about 50 others have been hospitalized."])
def test_lines_with_words_of_their_own_are_not_stamps(line: str) -> None:
    assert not cosmetic.is_stamp_line(line), line


def test_the_watcher_ignores_a_new_update_stamp() -> None:
    """Two captures differing only in USA Today's stamp line are one version for the watcher."""
    body = (GUIDE / "left.txt").read_text(encoding="utf-8")
    later = body.replace(first_line(GUIDE / "left.txt"), first_line(GUIDE / "right.txt"))
    assert later != body
    assert watch.cosmetic_hash(body) == watch.cosmetic_hash(later)
    assert watch.cosmetic_hash(body) != watch.cosmetic_hash(body.replace("headed back", "heading back"))


def capture(corpus_dir: Path, name: str, captured: str, body: str) -> None:
    """A capture of one article of the bundled story."""
    (corpus_dir / STORY / f"{name}.txt").write_text(
        f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\nversion_of: live-page\n"
        f"published: 2023-09-12\ncaptured: {captured}\n---\n{body}", "utf-8")


LIVE = ("Kim Jong Un's armoured train crossed the border into Russia's Far East early on Tuesday morning.\n\n"
        "The North Korean leader is expected to meet Vladimir Putin at the Vostochny space launch centre.\n")


def test_comparisons_fold_stamps_by_default(client: FlaskClient, corpus_dir: Path) -> None:
    """"Updated…" lines are set apart as boilerplate unless the reader turns ``stamps`` off."""
    assert "stamps" in DEFAULT_IGNORE
    capture(corpus_dir, "live-1", "2023-09-12T08:00:00", "Updated 3 minutes ago\n\n" + LIVE + "\nUpdated 10:42 GMT\n")
    capture(corpus_dir, "live-2", "2023-09-12T08:05:00", "Updated 1 minute ago\n\n" + LIVE + "\nUpdated 10:47 GMT\n")
    data = client.get("/compare/live-1/live-2.json").get_json()
    changes = [r for r in data["rows"] if r["kind"] != "same" and not r["boilerplate"]]
    assert changes == [] and all(r["facts"] == [] for r in data["rows"])
    stamped = [r for r in data["rows"] if r["boilerplate"]]
    assert any("Updated 10:42 GMT" in (r["left"] or "") for r in stamped)
    shown = client.get("/compare/live-1/live-2.json?ignore=quotes,dashes,whitespace,markup,boilerplate").get_json()
    assert [r for r in shown["rows"] if r["kind"] != "same" and not r["boilerplate"]]


def test_timeline_facts_never_read_stamps(client: FlaskClient, corpus_dir: Path) -> None:
    """The first fact of a step is never "3 minutes → 1 minute"."""
    capture(corpus_dir, "live-1", "2023-09-12T08:00:00", "Updated 3 minutes ago\n\n" + LIVE)
    capture(corpus_dir, "live-2", "2023-09-12T08:05:00",
            "Updated 1 minute ago\n\n" + LIVE.replace("early on Tuesday", "late on Monday"))
    steps = client.get("/sources/live-2/timeline.json").get_json()["steps"]
    assert steps[-1]["counts"] is not None  # the step was compared
    labels = [label for step in steps for label in step.get("fact_labels") or []]
    assert not any("minute" in label for label in labels), labels


def test_overview_never_lists_a_stamp_as_unique_content(client: FlaskClient, corpus_dir: Path) -> None:
    path = corpus_dir / STORY / "rt.txt"
    head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    stamp = first_line(VERSIONS / "usatoday-grammys-2025-live" / "right.txt")  # Feb. 2, 2025 Updated Feb. 3, …
    path.write_text(head + f"\n---\n{stamp}\n\n" + body, encoding="utf-8")
    unique = client.get(f"/stories/{STORY}.json").get_json()["unique"]
    texts = [p["text"] for outlet in unique for p in outlet["passages"]]
    assert texts and not any("Feb. 3, 2025" in text for text in texts)
    assert "Updated with Peskov's remarks about Sergei Shoigu." in texts  # an update note is news, and stays
