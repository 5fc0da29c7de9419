"""Real captures of one URL (bench/data/real/versions): verbatim sentences are never one-sided, and a block moved
in a live page reads as one moved block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parallax.engine.compare import CompareOptions, compare
from parallax.text import plain_document

VERSIONS = Path(__file__).parent.parent / "bench" / "data" / "real" / "versions"


def _pair(name: str) -> tuple[str, str, dict[str, object]]:
    folder = VERSIONS / name
    return ((folder / "left.txt").read_text(encoding="utf-8"), (folder / "right.txt").read_text(encoding="utf-8"),
            json.loads((folder / "pair.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(p.name for p in VERSIONS.iterdir() if (p / "pair.json").is_file()))
def test_no_sentence_found_verbatim_on_both_sides_is_one_sided(name: str) -> None:
    left, right, _ = _pair(name)
    result = compare(plain_document(left), plain_document(right), CompareOptions(time_budget=30))
    only_left = {" ".join(r.left.split()) for r in result.rows if r.kind == "left_only" and r.left}
    only_right = {" ".join(r.right.split()) for r in result.rows if r.kind == "right_only" and r.right}
    assert not only_left & only_right


def test_live_page_block_moved_to_the_top_is_one_moved_row() -> None:
    left, right, meta = _pair("live-moved-block")
    result = compare(plain_document(left), plain_document(right), CompareOptions(time_budget=30))
    moved = [r for r in result.rows if r.kind == "moved"]
    block = meta["moved"][0]  # type: ignore[index]
    assert len(moved) == 1
    assert moved[0].passages == block["sentences"] and moved[0].direction == "up"
    assert moved[0].left is not None and moved[0].left.startswith(block["first"])
    assert result.stats.moved == block["sentences"]


def test_live_page_moved_block_is_shown_once_each_way(tmp_path: Path) -> None:
    from parallax.app import create_app

    left, right, _ = _pair("live-moved-block")
    story = tmp_path / "corpus" / "tiktok"
    story.mkdir(parents=True)
    for name, text in (("early", left), ("later", right)):
        front = f"---\nid: {name}\nstory: tiktok\noutlet: USA Today\ntitle: TikTok live\n---\n"
        (story / f"{name}.txt").write_text(front + text, encoding="utf-8")
    app = create_app({"CORPUS_DIR": str(tmp_path / "corpus"), "TESTING": True})
    page = app.test_client().get("/compare/early/later?per_page=1000")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("70 passages moved up: see where") == 2
    assert html.count("70 passages moved up (show them)") == 2
    data = app.test_client().get("/compare/early/later.json").get_json()
    assert [r["passages"] for r in data["rows"] if r["kind"] == "moved"] == [70]
