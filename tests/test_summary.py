"""Comparison summary: counts, facts by row, one-sided paragraphs, speakers, text; and its place in the JSON twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from parallax.engine.compare import Row, compare
from parallax.model import KINDS
from parallax.story.speakers import side_speakers
from parallax.story.summary import Summary
from parallax.story.summary import summarise as summarise_with
from parallax.text import plain_document
from tests.engine_seeds import seed_text


@dataclass(frozen=True)
class FakeRow:
    """A row with only the fields the summary reads (the engine's Row has them all)."""

    index: int
    kind: str
    left: str | None
    right: str | None
    boilerplate: bool = False
    para_start_left: bool = False
    para_start_right: bool = False


def summarise(rows: Sequence[FakeRow | Row], left: str, right: str) -> Summary:
    """The summary of these rows with the speakers each side cites, as the pipeline makes it."""
    return summarise_with(rows, left, right, side_speakers(rows))


def rows() -> list[FakeRow]:
    """A small comparison: a reworded pair with facts, a same pair, one-sided runs on both sides, boilerplate."""
    return [
        FakeRow(0, "same", "Kim arrived by train.", "Kim arrived by train.", para_start_left=True,
                para_start_right=True),
        FakeRow(1, "reworded", "Peskov said the visit lasts two days, Russian media reported Tuesday.",
                "Peskov told reporters the visit lasts three days, Russian media reported Monday."),
        FakeRow(2, "left_only", "Putin is in Vladivostok for a forum.", None, para_start_left=True),
        FakeRow(3, "left_only", "He will stay until Friday.", None),
        FakeRow(4, "left_only", "The forum ends on Friday.", None, para_start_left=True),
        FakeRow(5, "right_only", None, "“It is normal,” Matthew Miller said.", para_start_right=True),
        FakeRow(6, "changed", "Kim met Putin.", "Kim met Putin on Sunday."),
        FakeRow(7, "right_only", None, "Subscribe to our newsletter.", boilerplate=True, para_start_right=True),
    ]


def test_counts_add_up_and_count_reworded() -> None:
    """Every row is counted once, by kind; reworded is a kind of its own."""
    summary = summarise(rows(), "The Moscow Times", "RT")
    counts = dict(summary.counts)
    assert list(counts) == list(KINDS)
    assert counts == {"same": 1, "changed": 1, "reworded": 1, "moved": 0, "left_only": 3, "right_only": 2}
    assert sum(counts.values()) == len(rows()) and summary.boilerplate == 1


def test_facts_belong_to_their_rows() -> None:
    """Facts of paired rows, with the row index each belongs to; one-sided rows have none."""
    summary = summarise(rows(), "The Moscow Times", "RT")
    assert [(f.row, f.fact.label) for f in summary.facts] == [
        (1, "two days → three days"), (1, "Tuesday → Monday"), (1, "said → told reporters"),
        (6, "Sunday: only in right")]


def test_one_sided_passages_are_grouped_by_paragraph() -> None:
    """Consecutive one-sided rows form a paragraph until that side starts a new one; boilerplate is left out."""
    summary = summarise(rows(), "The Moscow Times", "RT")
    assert [(g.side, g.rows, g.sentences) for g in summary.one_sided] == [
        ("left", (2, 3), 2), ("left", (4,), 1), ("right", (5,), 1)]
    assert summary.one_sided[0].first_words == "Putin is in Vladivostok for a forum. He…"


def test_speakers_by_side() -> None:
    """Who each side cites and in which rows."""
    summary = summarise(rows(), "The Moscow Times", "RT")
    assert [(s.name, s.rows) for s in summary.left_speakers] == [("Peskov", (1,))]
    assert [(s.name, s.rows) for s in summary.right_speakers] == [("Peskov", (1,)), ("Matthew Miller", (5,))]


def test_text_says_it_plainly() -> None:
    """One paragraph: shared passages and how, the facts, what one side alone carries, who is cited."""
    text = summarise(rows(), "The Moscow Times", "RT").text
    assert text == ("The Moscow Times and RT share 3 passages; 1 is changed and 1 reworded. 4 facts differ: "
                    "two days → three days; Tuesday → Monday; said → told reporters; Sunday: only in right. "
                    "The Moscow Times alone carries 3 passages (2 paragraphs). RT alone carries 1 passage "
                    "(1 paragraph). Cited: Peskov (both), Matthew Miller (RT only).")


def test_text_of_identical_and_disjoint_comparisons() -> None:
    """Nothing but same rows; nothing shared at all."""
    same = compare(plain_document(seed_text("003")), plain_document(seed_text("003")))
    text = summarise(same.rows, "RT", "RT").text
    assert text.startswith(f"The two versions from RT share {len(same.rows)} passages, word for word. No number, ")
    assert "alone carries" not in text
    disjoint = summarise([FakeRow(0, "left_only", "A.", None), FakeRow(1, "right_only", None, "B.")], "X", "Y")
    assert disjoint.text == ("X and Y share no passage. X alone carries 1 passage (1 paragraph). "
                             "Y alone carries 1 passage (1 paragraph).")


def test_summary_of_a_seed_pair_uses_the_rows_facts() -> None:
    """On an engine comparison the summary's facts are the rows' own facts, in row order."""
    result = compare(plain_document(seed_text("002")), plain_document(seed_text("004")))
    summary = summarise(result.rows, "Press TV", "The National")
    expected = [(row.index, fact) for row in result.rows if not row.boilerplate for fact in row.facts]
    assert [(f.row, f.fact) for f in summary.facts] == expected and expected
    assert sum(dict(summary.counts).values()) == len(result.rows)


def test_compare_json_has_row_facts_and_a_summary(client: FlaskClient) -> None:
    """/compare/moscow-times-plain/press-tv.json: paired rows carry facts, the summary's counts add up to the rows."""
    response = client.get("/compare/moscow-times-plain/press-tv.json")
    assert response.status_code == 200
    data = response.get_json()
    paired = [row for row in data["rows"] if row["left"] is not None and row["right"] is not None]
    assert paired and any(fact["label"] == "more than four years → four years" for row in paired
                          for fact in row["facts"])
    one_sided = [row for row in data["rows"] if row not in paired]
    # A passage one side alone carries lists its facts under that side's outlet.
    assert {fact["outlet"] for row in one_sided for fact in row["facts"]} == {"The Moscow Times", "Press TV"}
    assert all(fact["outlet"] == ("The Moscow Times" if row["left"] is not None else "Press TV")
               for row in one_sided for fact in row["facts"])
    for row in data["rows"]:
        for fact in row["facts"]:
            if fact["left_span"]:
                assert row["left"][slice(*fact["left_span"])] == fact["left"]
            if fact["right_span"]:
                assert row["right"][slice(*fact["right_span"])] == fact["right"]
    summary = data["summary"]
    assert sum(summary["counts"].values()) == len(data["rows"])
    assert summary["boilerplate"] == sum(1 for row in data["rows"] if row["boilerplate"]) > 0
    for kind in ("same", "changed", "moved", "left_only", "right_only"):
        assert summary["counts"][kind] == sum(1 for row in data["rows"] if row["kind"] == kind)
        # The stats leave ignored boilerplate out; the summary counts it, and says how many rows it is.
        assert data["stats"][kind] == sum(1 for row in data["rows"] if row["kind"] == kind and not row["boilerplate"])
    assert summary["text"].startswith("The Moscow Times and Press TV share ")
    assert {f["row"] for f in summary["facts"]} <= {row["index"] for row in data["rows"] if row["facts"]}
    assert any(s["name"] == "Dmitry Peskov" for s in summary["speakers"]["left"])


def test_compare_json_matches_its_closed_schemas(client: FlaskClient) -> None:
    """The comparison validates against the OpenAPI Comparison schema; FactDiff and Summary allow no other keys."""
    jsonschema_rs = pytest.importorskip("jsonschema_rs", reason="comes with schemathesis (requirements-dev.txt)")
    document = client.get("/openapi.json").get_json()
    components = document["components"]["schemas"]
    assert components["FactDiff"]["additionalProperties"] is False
    assert components["Summary"]["additionalProperties"] is False
    assert components["Row"]["properties"]["facts"]["items"] == {"$ref": "#/components/schemas/FactDiff"}
    validator = jsonschema_rs.Draft202012Validator({**components["Comparison"], "components": document["components"]})
    data = client.get("/compare/moscow-times-plain/press-tv.json").get_json()
    assert validator.is_valid(data)
    data["summary"]["surprise"] = 1
    assert not validator.is_valid(data)
    del data["summary"]["surprise"]
    data["rows"][0]["facts"] = [{"kind": "number", "left": None, "right": "4", "left_span": None,
                                 "right_span": [0, 1], "label": "4: only in right", "extra": True}]
    assert not validator.is_valid(data)


def test_compare_page_shows_the_summary_text_escaped(client: FlaskClient) -> None:
    """The HTML page carries the same plain-language paragraph as its JSON twin, escaped."""
    text = client.get("/compare/moscow-times-plain/press-tv.json").get_json()["summary"]["text"]
    response = client.get("/compare/moscow-times-plain/press-tv")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<p class="px-summary-text">The Moscow Times and Press TV share ' in html
    assert escape(text) in html


def test_an_agency_cited_by_acronym_and_by_name_is_cited_by_both() -> None:
    """"According to North Korea’s official KCNA news agency, …" opens on its source, and KCNA is the Korean Central
    News Agency: the summary says both sides cite it, not one."""
    summary = summarise([
        FakeRow(0, "moved", "According to North Korea’s official KCNA news agency, Kim left on Sunday.",
                "He left on Sunday, the official Korean Central News Agency reported."),
        FakeRow(1, "same", "Moscow said the operation was aimed at defence.",
                "Moscow said the operation was aimed at defence."),
        FakeRow(2, "right_only", None, "Talks would follow, the Kremlin said."),
    ], "Press TV", "The National")
    assert [s.name for s in summary.left_speakers] == ["KCNA", "Moscow"]
    assert "Korean Central News Agency (both)" in summary.text
    assert "Moscow (both)" in summary.text and "Kremlin (The National only)" in summary.text


def test_seed_summary_cites_kcna_for_both_outlets() -> None:
    """Press TV against The National: both cite North Korea's news agency, so neither is said to cite it alone."""
    result = compare(plain_document(seed_text("002")), plain_document(seed_text("004")))
    text = summarise(result.rows, "Press TV", "The National").text
    assert "Korean Central News Agency (both)" in text and "The National only" not in text
