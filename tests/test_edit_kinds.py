"""Edit kinds: each change of a comparison and of a timeline step is a factual change, a claim added or removed, a
style edit or a move, read from the facts the engine names; counted in the summary and shown as labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.story import edit_kinds
from tests.conftest import front_matter

URL = "https://herald.example/2024/02/13/harbour-bridge"
FIRST = ("The harbour bridge reopened on Monday after six weeks of repairs, the council said.\n\n"
         "Engineers replaced 40 steel cables on the northern span during the closure.\n\n"
         "Local shop owners said the closure had cost them customers over the summer months.\n\n"
         "Traffic was light during the first hour after the barriers were lifted in the morning.\n\n"
         "The mayor thanked residents for their patience while the crews worked through the nights.\n")
SECOND = ("The harbour bridge reopened on Monday after six weeks of repairs, the council said.\n\n"
          "Engineers replaced 52 steel cables on the northern span during the closure.\n\n"
          "Traffic was very light during the first hour after the barriers were lifted in the morning.\n\n"
          "The mayor thanked residents for their patience while the crews worked through the nights.\n\n"
          "A second inspection of the southern span is planned for the spring, officials added.\n")


@pytest.fixture()
def versions(corpus_dir: Path) -> Path:
    """Two captures of one article: a number changed, a wording edit, a claim dropped and one added."""
    folder = corpus_dir / "bridge"
    folder.mkdir()
    for source_id, body, captured in (("herald-1", FIRST, "2024-02-13T08:00:00+00:00"),
                                      ("herald-2", SECOND, "2024-02-13T12:00:00+00:00")):
        (folder / f"{source_id}.txt").write_text(front_matter(id=source_id, story="bridge", outlet="Herald", url=URL,
                                                              captured=captured) + body, encoding="utf-8")
    return folder


@pytest.fixture()
def captures_client(app: Flask, versions: Path) -> FlaskClient:
    """A client of the app with the two captures."""
    return app.test_client()


def test_summary_counts_edits_by_kind(captures_client: FlaskClient) -> None:
    """The JSON twin's summary names each edited row's kind and counts them in words."""
    summary = captures_client.get("/compare/herald-1/herald-2.json").get_json()["summary"]
    edits = summary["edits"]
    assert edits["counts"] == {"fact": 1, "addition": 1, "removal": 1, "style": 1, "structure": 0}
    assert edits["text"] == "1 factual change, 1 claim added, 1 claim removed, 1 style edit"
    rows = captures_client.get("/compare/herald-1/herald-2.json").get_json()["rows"]
    by_row = {e["row"]: e["kind"] for e in edits["rows"]}
    fact_row = next(r for r in rows if r["left"] and "40 steel" in r["left"])
    assert by_row[fact_row["index"]] == "fact" and fact_row["facts"]
    style_row = next(r for r in rows if r["left"] and "Traffic was light" in r["left"])
    assert by_row[style_row["index"]] == "style" and not style_row["facts"]


def test_comparison_page_labels_each_change_and_counts_them(captures_client: FlaskClient) -> None:
    """Side by side and inline, each changed or one-sided passage carries its label; the summary counts them."""
    for view in ("side", "inline"):
        html = captures_client.get(f"/compare/herald-1/herald-2?view={view}").get_data(as_text=True)
        assert "<strong>Edits:</strong> 1 factual change, 1 claim added, 1 claim removed, 1 style edit." in html
        labels = re.findall(r'<span class="px-edit px-edit--(\w+)">([^<]+)</span>', html)
        assert sorted(labels) == [("addition", "claim added"), ("fact", "fact changed"), ("removal", "claim removed"),
                                  ("style", "style edit")], view
    export = captures_client.get("/compare/herald-1/herald-2/export.html").get_data(as_text=True)
    assert 'class="px-edit px-edit--fact">fact changed' in export


def test_timeline_step_counts_its_edits(captures_client: FlaskClient) -> None:
    """The article timeline's second step lists its edits by kind, on the page and in the twin."""
    twin = captures_client.get("/sources/herald-2/timeline.json").get_json()
    step = twin["steps"][1]
    assert step["edits"]["text"] == "1 factual change, 1 claim added, 1 claim removed, 1 style edit"
    assert twin["steps"][0]["edits"] is None
    html = captures_client.get("/sources/herald-2/timeline").get_data(as_text=True)
    assert '<span class="px-edit px-edit--fact">1 fact changed</span>' in html
    assert '<span class="px-edit px-edit--style">1 style edit</span>' in html


@pytest.mark.parametrize(("kind", "boilerplate", "facts", "text", "expected"), [
    ("same", False, False, "x", None), ("changed", True, True, "x", None), ("moved", False, False, "x", "structure"),
    ("changed", False, True, "x", "fact"), ("reworded", False, False, "x", "style"),
    ("right_only", False, False, "A new claim about the bridge", "addition"),
    ("left_only", False, False, "An old claim about the bridge", "removal"),
    ("right_only", False, False, "Photo: AP", "style")])
def test_edit_kind_rules(kind: str, boilerplate: bool, facts: bool, text: str, expected: str | None) -> None:
    """The rule table: unchanged and boilerplate are no edit; a short one-sided line is no claim."""
    assert edit_kinds.edit_kind(kind, boilerplate, facts, text) == expected
