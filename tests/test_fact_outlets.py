"""Facts name the outlet and are read against the whole of both texts: a fact is one side's alone only when the other
text states it nowhere; passages one side alone carries list their facts under that outlet; kinds in chips, CSV
and the JSON twin."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from parallax.engine.facts.whole import FactReader
from parallax.text import split_sentences
from tests.conftest import STORY

PAIR = "/compare/press-tv/the-national"
REAL = Path(__file__).resolve().parents[1] / "bench" / "data" / "real" / "cross"
#: A real paragraph (AIMS survey of the Great Barrier Reef, 2022) and a real sentence of the same article: an
#: organisation, a person, a day and two months, none of which the Kim–Putin story states.
NEW_PARAGRAPH = ("An Australian Institute of Marine Science (AIMS) survey of 87 reefs released Thursday found average "
                 "hard coral cover in the upper region and central areas of the Australian reef increased by about "
                 "one-third from August 2021 to May 2022. Mike Emslie, a senior research scientist at AIMS, said most "
                 "of the increase was driven by fast-growing Acropora corals.")


def _facts(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(row, fact) for row in rows for fact in row["facts"]]


def _lead(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row of The National's lead ("…crossed into Russia on Tuesday…")."""
    return next(r for r in rows if (r["right"] or "").startswith("North Korean leader Kim Jong-un crossed into Russia"))


def test_a_fact_the_other_text_states_elsewhere_is_not_one_sides_alone(client: FlaskClient) -> None:
    """Press TV's lead lacks "Tuesday", but its next paragraph says "on Tuesday": no "Tuesday: only in …"; every
    fact one side alone states names that side's outlet, never "left" or "right"."""
    rows = client.get(PAIR + ".json").get_json()["rows"]
    lead = _lead(rows)
    assert lead["left"] is not None and "Tuesday" not in lead["left"]  # the comparison pairs Press TV's lead with it
    assert not any(fact["label"].startswith("Tuesday") for _, fact in _facts(rows))
    one_sided = [(row, fact) for row, fact in _facts(rows) if (fact["left"] is None) != (fact["right"] is None)]
    assert one_sided
    for _row, fact in one_sided:
        outlet = "Press TV" if fact["left"] is not None else "The National"
        assert fact["outlet"] == outlet and fact["label"].endswith(f": only in {outlet}"), fact


def test_a_fact_the_other_text_states_nowhere_is_named_by_its_outlet(client: FlaskClient, corpus_dir: Path) -> None:
    """Once Press TV says "Tuesday" nowhere, the lead row reports it as The National's alone, kind "date"; the CSV
    export has the fact's kind, values and outlet as columns."""
    path = corpus_dir / STORY / "press-tv.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count("Tuesday") == 1
    path.write_text(text.replace("reported on Tuesday that", "reported that"), encoding="utf-8")
    rows = client.get(PAIR + ".json").get_json()["rows"]
    facts = _lead(rows)["facts"]
    tuesday_fact = next(f for f in facts if f["right"] == "Tuesday")
    assert {"kind": "date", "right": "Tuesday", "outlet": "The National",
            "label": "Tuesday: only in The National"}.items() <= tuesday_fact.items()
    records = list(csv.DictReader(io.StringIO(client.get(PAIR + "/export.csv").get_data(as_text=True))))
    tuesday = [r for r in records if r["record"] == "fact" and r["right_value"] == "Tuesday"]
    assert tuesday and {(r["fact_kind"], r["left_value"], r["only_in"], r["difference"]) for r in tuesday} == {
        ("date", "", "The National", "Tuesday: only in The National")}
    kinds = {r["fact_kind"] for r in records if r["record"] == "fact"}
    assert {"date", "name", "attribution", "passage"} <= kinds


def test_a_new_paragraph_lists_its_facts_under_its_outlet(client: FlaskClient, corpus_dir: Path) -> None:
    """A paragraph only The National carries (real sentences naming an institute, a person, a day and two months)
    lists each of them under The National, with its kind, in the rows, the summary and the page."""
    path = corpus_dir / STORY / "the-national.txt"
    text = path.read_text(encoding="utf-8")
    marker = "with talks expected to focus on weapon sales.\n"
    assert text.count(marker) == 1
    path.write_text(text.replace(marker, marker + "\n" + NEW_PARAGRAPH + "\n"), encoding="utf-8")
    data = client.get(PAIR + ".json").get_json()
    added = [row for row in data["rows"] if row["right"] and row["right"].strip() in NEW_PARAGRAPH]
    assert added and all(row["kind"] == "right_only" for row in added)
    listed = {(f["kind"], f["right"]) for row in added for f in row["facts"]}
    assert {("date", "Thursday"), ("date", "August 2021"), ("date", "May 2022"), ("name", "Mike Emslie"),
            ("name", "Australian Institute of Marine Science")} <= listed
    assert all(f["outlet"] == "The National" and f["left"] is None for row in added for f in row["facts"])
    alone = {group["outlet"]: group for group in data["digest"]["alone"]}
    chips = {(c["fact"], c["value"]) for c in alone["The National"]["facts"]}
    assert ("date", "May 2022") in chips or alone["The National"]["more"]
    assert "Press TV" in alone  # each outlet its own list
    html = client.get(PAIR).get_data(as_text=True)
    summary = html[html.index('id="summary-h"'):html.index('id="stats-h"')]
    assert "Only The National states</h3>" in summary and "Only Press TV states</h3>" in summary
    assert '<span class="px-fact-kind">date</span>' in summary and '<span class="px-fact-kind">name</span>' in summary


def _real_pair(name: str) -> tuple[list[str], list[str], tuple[str, str]]:
    folder = REAL / name
    meta = json.loads((folder / "pair.json").read_text(encoding="utf-8"))
    sides = [[s for p in (folder / f).read_text(encoding="utf-8").split("\n\n") for s in split_sentences(p)]
             for f in ("left.txt", "right.txt")]
    return sides[0], sides[1], (meta["left"]["outlet"], meta["right"]["outlet"])


def test_real_cross_outlet_facts_are_read_against_the_whole_other_text() -> None:
    """CNN and USA Today on Putin's troop order (real texts): USA Today's lead says "Monday", CNN's lead does not,
    but CNN says "Monday" in other paragraphs, so it is no fact of USA Today's alone; CNN without those paragraphs
    leaves it USA Today's, named so."""
    left, right, names = _real_pair("e00-putin-orders-troops-into--n15")
    cnn_lead = next(s for s in left if s.startswith("Russian President Vladimir Putin has ordered troops"))
    usa_lead = next(s for s in right if s.startswith("Russian President Vladimir Putin ordered troops Monday"))
    assert names == ("CNN", "USA Today") and "Monday" not in cnn_lead
    assert any("Monday" in s for s in left if s != cnn_lead)
    read = FactReader(left, right, names)
    assert not any(f.right == "Monday" for f in read.paired(cnn_lead, usa_lead))
    without = FactReader([s for s in left if "Monday" not in s], right, names)
    monday = [f for f in without.paired(cnn_lead, usa_lead) if f.right == "Monday"]
    assert [(f.kind, f.outlet, f.label) for f in monday] == [("date", "USA Today", "Monday: only in USA Today")]


def test_versions_of_one_outlet_name_their_side() -> None:
    """Two versions of one outlet: a fact of one alone is "only in the right version", not the outlet twice."""
    read = FactReader(["Kim arrived on Monday."], ["Kim arrived on Tuesday.", "Putin met him in Vostochny."],
                      ("The Moscow Times", "The Moscow Times"))
    facts = read.one_sided("Putin met him in Vostochny.", 1)
    assert {f.label for f in facts} == {"Vostochny: only in the right version", "Putin: only in the right version"}
