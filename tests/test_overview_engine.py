"""The story overview reads its pairs from the comparisons: coverage and unique passages say what the pairwise pages
show."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from parallax.model import PAIRED_KINDS
from tests.conftest import STORY

IDS = ("press-tv", "moscow-times-markdown", "moscow-times-plain", "rt", "the-national")


def _row_at(rows: list[dict[str, Any]], side: str, pos: int) -> dict[str, Any]:
    """The comparison row holding sentence ``pos`` of one side (a row holds its sentences up to the next row's)."""
    placed: list[tuple[int, int]] = sorted((r[f"{side}_pos"], r["index"]) for r in rows if r[f"{side}_pos"] is not None)
    return rows[placed[bisect_right([p for p, _ in placed], pos) - 1][1]]


def _client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(OVERVIEW_TIME_BUDGET=120.0).test_client()  # whole, however busy the machine


def test_press_tv_lead_is_carried_by_the_national_as_their_comparison_pairs_it(
        make_app: Callable[..., Flask]) -> None:
    """With Press TV as base its lead is in 3 of 4 outlets (RT and The National), as the comparison Press TV–The
    National pairs that lead as reworded; the carrier links to that row."""
    client = _client(make_app)
    data = client.get(f"/stories/{STORY}.json?base=press-tv").get_json()
    assert data["limits"] == []
    lead = data["coverage"]["passages"][0]
    assert lead["text"].startswith("North Korean leader Kim Jong-un has arrived in Russia")
    rows = client.get("/compare/press-tv/the-national.json").get_json()["rows"]
    row = _row_at(rows, "left", lead["pos"])
    assert row["kind"] in PAIRED_KINDS and row["right"].startswith("North Korean leader Kim Jong-un crossed")
    carrier = next(c for c in lead["carriers"] if c["id"] == "the-national")
    assert carrier["kind"] == row["kind"] and carrier["href"].endswith(f"#r{row['index']}")
    assert lead["outlets"] == 3 and {c["id"] for c in lead["carriers"]} >= {"rt", "the-national"}


def test_coverage_and_unique_passages_agree_with_every_comparison(make_app: Callable[..., Flask]) -> None:
    """For every base: a source carries a passage exactly when their comparison pairs it; a passage listed as one
    outlet's alone is one-sided in its comparison with every source of another outlet."""
    client = _client(make_app)
    outlets: dict[str, str] = {}
    for base in IDS:
        data = client.get(f"/stories/{STORY}.json?base={base}").get_json()
        assert data["limits"] == []
        outlets = {s["id"]: s["outlet"] for s in data["sources"]}
        for other in IDS:
            if other == base:
                continue
            rows = client.get(f"/compare/{base}/{other}.json").get_json()["rows"]
            for passage in data["coverage"]["passages"]:
                row = _row_at(rows, "left", passage["pos"])
                carried = any(c["id"] == other for c in passage["carriers"])
                assert carried == (row["kind"] in PAIRED_KINDS), (base, other, passage["text"][:50], row["kind"])
    checked = 0
    for entry in data["unique"]:
        for passage in entry["passages"]:
            for source in passage["sources"]:
                for other in IDS:
                    if outlets[other] == outlets[source]:
                        continue
                    rows = client.get(f"/compare/{source}/{other}.json").get_json()["rows"]
                    assert _row_at(rows, "left", passage["pos"])["kind"] == "left_only", (source, other, passage)
                    checked += 1
    assert checked > 20
