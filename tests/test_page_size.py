"""Comparison pages stay under 500 KB however long one passage is; the JSON twin keeps every passage whole."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from parallax.pipeline import ROW_CHARS, shorten_rows
from tests.conftest import STORY, front_matter

PAGE_LIMIT = 500 * 1024
WORDS = ["alpha", "beta", "gamma", "delta", "Kim", "Putin", "train", "summit", "Vladivostok", "talks", "weapons",
         "ammunition", "border"]


def add(corpus_dir: Path, source_id: str, body: str) -> None:
    """Write a source of the bundled story."""
    (corpus_dir / STORY / f"{source_id}.txt").write_text(
        front_matter(id=source_id, story=STORY, outlet=source_id.upper(), published="2023-09-13") + body + "\n",
        encoding="utf-8")


def sentences(count: int, seed: int) -> str:
    """Distinct made-up sentences in one paragraph."""
    rand = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    return " ".join(" ".join(rand.choice(WORDS) for _ in range(12)).capitalize() + f" {rand.randrange(10**9)}."
                    for _ in range(count))


def test_two_different_single_sentence_sources_page_under_500_kb(client: FlaskClient, corpus_dir: Path) -> None:
    """Two different 400 KB sources without one full stop: every page of their comparison is under 500 KB (it
    was one row of 800 KB), and the JSON twin gives back both texts whole."""
    rand = random.Random(5)  # noqa: S311 - reproducible test data, not security
    texts = {side: " ".join(rand.choice(WORDS if side == "left" else [*WORDS[::-1], "zebra"]) for _ in range(60_000))
             for side in ("left", "right")}
    add(corpus_dir, "long-a", texts["left"])
    add(corpus_dir, "long-b", texts["right"])
    page = client.get("/compare/long-a/long-b")
    assert page.status_code == 200 and len(page.data) < PAGE_LIMIT
    twin = client.get("/compare/long-a/long-b.json").get_json()
    for side, pos in (("left", "left_pos"), ("right", "right_pos")):
        rows = sorted((r for r in twin["rows"] if r[pos] is not None), key=lambda r: r[pos])
        assert "".join(r[side] for r in rows).strip() == texts[side]


def test_a_moved_block_longer_than_a_page_holds_is_shortened_with_a_note(client: FlaskClient,
                                                                          corpus_dir: Path) -> None:
    """A block of 600 passages moved together is one row of some 70,000 characters: the page shows its first
    ROW_CHARS characters a side, says so and links the JSON twin, which has the row whole."""
    first, second = sentences(600, 1), sentences(600, 2)
    assert len(first) > ROW_CHARS
    add(corpus_dir, "block-a", first + "\n\n" + second)
    add(corpus_dir, "block-b", second + "\n\n" + first)
    twin = client.get("/compare/block-a/block-b.json").get_json()
    whole = max((r["left"] or "" for r in twin["rows"]), key=len)
    block = whole.strip()
    assert len(block) > ROW_CHARS
    page = client.get("/compare/block-a/block-b")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert block[:200] in html and block[-200:] not in html
    assert "too long for one page" in html and f"{len(whole):,} characters" in html
    assert 'href="/compare/block-a/block-b.json' in html


def test_shortened_row_cuts_its_segments_and_facts_at_the_same_place() -> None:
    """A changed row far longer than a page: both sides, their diff segments and their facts end by the cut."""
    left, right = "a " * ROW_CHARS + "end", "b " * ROW_CHARS + "end"
    row: dict[str, Any] = {"index": 0, "kind": "changed", "left": left, "right": right,
           "segments": [{"op": "delete", "text": left, "right_text": None},
                        {"op": "insert", "text": right, "right_text": None}],
           "facts": [{"left_span": [1, 3], "right_span": [1, 3]},
                     {"left_span": [len(left) - 3, len(left)], "right_span": None}]}
    other = {**row, "index": 1, "left": "short", "right": "short"}
    rows, notes = shorten_rows([row, other], {0, 1})
    short = rows[0]
    assert rows[1] is other and notes == [{"index": 0, "kind": "changed", "left": len(left), "right": len(right),
                                          "shown": ROW_CHARS}]
    assert len(short["left"]) <= ROW_CHARS + 1 and short["left"].endswith("…")
    assert "".join(s["text"] for s in short["segments"] if s["op"] == "delete") == short["left"]
    assert short["facts"] == [row["facts"][0]]
    assert row["left"] == left  # the engine's result is not changed
