"""Reading-quality tests on the five seed captures of the Kim-Putin story."""

from __future__ import annotations

import itertools

import pytest

from parallax.engine.compare import CompareOptions, Comparison, Row, compare
from parallax.engine.diffing import left_side, right_side
from parallax.text import build_document, plain_document
from tests.engine_seeds import seed_text

SEEDS = ("000", "001", "002", "003", "004")
DEFAULTS = CompareOptions()
MT_MARKERS = ["Embed:", "Related article:", "Original url:", "https://www.themoscowtimes.com"]


def seeds(left: str, right: str, options: CompareOptions = DEFAULTS) -> Comparison:
    """Compare two seeds as plain documents."""
    return compare(plain_document(seed_text(left)), plain_document(seed_text(right)), options)


def row_with(result: Comparison, phrase: str) -> Row:
    """The one row whose left or right text holds the phrase."""
    found = [row for row in result.rows if phrase in (row.left or "") or phrase in (row.right or "")]
    assert len(found) == 1, [row.kind for row in found]
    return found[0]


@pytest.mark.parametrize(("left", "right"), list(itertools.permutations(SEEDS, 2)))
def test_seed_pairs_rebuild_exactly(left: str, right: str) -> None:
    """Every ordered seed pair rebuilds both texts at word level without hitting a limit."""
    result = seeds(left, right)
    assert result.limits == []
    for side, pos, join in (("left", "left_pos", left_side), ("right", "right_pos", right_side)):
        rows = sorted((r for r in result.rows if getattr(r, pos) is not None), key=lambda r: getattr(r, pos))
        assert "".join(join(r.segments) for r in rows) == seed_text(left if side == "left" else right)


def test_peskov_neighbours_quote_shares_a_row_in_moscow_times_and_press_tv() -> None:
    """The "Obviously, as neighbors…" quote pairs across Moscow Times and Press TV."""
    row = row_with(seeds("000", "002"), "Obviously, as neighbors, our countries also cooperate")
    assert row.kind in ("same", "changed") and row.left and row.right
    assert "Obviously" in row.left and "Obviously" in row.right


def test_full_fledged_visit_shares_a_row_in_press_tv_and_the_national() -> None:
    """Peskov's "It will be a full-fledged visit" pairs across Press TV and The National, as a word diff."""
    row = row_with(seeds("002", "004"), "It will be a full-fledged visit")
    assert row.kind == "changed" and not row.whole
    assert "full-fledged visit" in (row.left or "") and "full-fledged visit" in (row.right or "")
    assert any(s.op == "equal" and "full-fledged visit" in s.text for s in row.segments)


def test_sentence_without_counterpart_stays_one_sided() -> None:
    """RT's note on the 2019 Vladivostok meeting has no counterpart in The Moscow Times."""
    row = row_with(seeds("000", "003"), "The last meeting between Putin and Kim took place in Vladivostok in 2019.")
    assert row.kind == "right_only" and row.left is None


def test_distant_seeds_pair_only_the_shared_facts() -> None:
    """Moscow Times vs RT: the armored-train lead and Putin at the forum pair as reworded; all else is one-sided."""
    result = seeds("000", "003")
    paired = [row for row in result.rows if row.kind not in ("left_only", "right_only")]
    assert [row.kind for row in paired] == ["reworded", "reworded"] and all(row.whole for row in paired)
    assert "armored train" in (paired[0].left or "") and "armored train" in (paired[0].right or "")
    assert "Vladivostok" in (paired[1].left or "") and "Eastern Economic Forum" in (paired[1].right or "")


def test_seed_against_itself_is_all_same() -> None:
    """000 against itself: all rows same, similarity 1."""
    result = seeds("000", "000")
    assert {row.kind for row in result.rows} == {"same"} and result.stats.similarity == 1.0


def test_moscow_times_plain_and_markdown_captures_read_the_same() -> None:
    """The two Moscow Times captures differ only by the markdown headline, date and photo caption."""
    plain = build_document(seed_text("000"), markdown=False, strip_markup=False,
                           boilerplate_from="A Message from The Moscow Times:")
    markdown = build_document(seed_text("001"), markdown=True, strip_markup=True, boilerplate=MT_MARKERS)
    result = compare(plain, markdown)
    visible = [row for row in result.rows if not row.boilerplate]
    others = [row for row in visible if row.kind != "same"]
    assert {row.kind for row in others} == {"right_only"}
    extra = "".join(row.right or "" for row in others)
    for phrase in ("N. Korea's Kim Arrives in Russia for Putin Talks", "September 12, 2023",
                   "Kim Jong Un waving as he departs"):
        assert phrase in extra
    assert len(extra.split()) < 40
    split = row_with(result, "Vesti Primorye reported")
    assert split.kind == "same" and "Amur region" in (split.right or "") and split.right_pos is not None
    assert result.stats.left_only == 0 and result.stats.changed == 0 and result.stats.moved == 0


def test_typographic_apostrophe_in_seed_sentence_depends_on_quotes_option() -> None:
    """000's "Kim Jong Un’s armored train" vs 001's ASCII apostrophe: same when quotes are ignored, else changed."""
    plain = build_document(seed_text("000"), markdown=False, strip_markup=False,
                           boilerplate_from="A Message from The Moscow Times:")
    markdown = build_document(seed_text("001"), markdown=True, strip_markup=True, boilerplate=MT_MARKERS)
    assert row_with(compare(plain, markdown), "armored train").kind == "same"
    strict = compare(plain, markdown, CompareOptions(ignore=frozenset({"markup", "boilerplate", "whitespace"})))
    row = row_with(strict, "armored train")
    assert row.kind == "changed"
    assert [(s.op, s.text) for s in row.segments if s.op != "equal"] == [("delete", "Un’s"), ("insert", "Un's")]


def test_char_and_sentence_units_on_seeds() -> None:
    """Units change only the segments of changed rows, not which sentences pair."""
    by_unit = {unit: seeds("002", "004", CompareOptions(unit=unit)) for unit in ("word", "char", "sentence")}
    kinds = {unit: [(r.kind, r.left_pos, r.right_pos) for r in result.rows] for unit, result in by_unit.items()}
    assert kinds["word"] == kinds["char"] == kinds["sentence"]
    sentence_row = row_with(by_unit["sentence"], "It will be a full-fledged visit")
    assert [s.op for s in sentence_row.segments] == ["delete", "insert"]
