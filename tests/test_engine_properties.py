"""Property tests: every comparison rebuilds both texts exactly, whatever the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parallax.engine.compare import CompareOptions, Comparison, compare
from parallax.engine.diffing import left_side, right_side
from parallax.model import DEFAULT_IGNORE, IGNORABLE, KINDS, UNITS, Unit
from parallax.text import build_document, plain_document

IGNORE_SETS: tuple[frozenset[str], ...] = (
    DEFAULT_IGNORE, frozenset(), frozenset(IGNORABLE), frozenset({"case", "punctuation"}))
PIECES = ["\r\n", "\n\n", "\n", " ", "  ", ". ", "? ", "Mr. ", "U.S. ", "’", "'", "“", '"', "—", "-", ",",
          "\ud800", "\udfff", "\x00", "😀", "e\u0301", "שלום", "Kim", "kim", "Putin", "said.", "train", "Dear readers"]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Text built from sentence-ish pieces, odd characters and arbitrary code points (lone surrogates included)."""
    characters = st.one_of(st.characters(exclude_categories=()), st.characters(categories=["Cs"]))
    anything = st.text(characters, max_size=6)
    return "".join(draw(st.lists(st.one_of(st.sampled_from(PIECES), anything), max_size=30)))


@st.composite
def text_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts: unrelated, or the second an edit (drop, duplicate, shuffle, insert) of the first's pieces."""
    left = draw(texts())
    if draw(st.booleans()):
        return left, draw(texts())
    pieces = left.split(" ")
    edited = draw(st.lists(st.one_of(st.sampled_from(pieces), st.sampled_from(PIECES)), max_size=len(pieces) + 5))
    return left, " ".join(edited)


def rebuild(result: Comparison, side: str) -> str:
    """One side's text from its rows' segments, rows taken in that side's sentence order."""
    pos = "left_pos" if side == "left" else "right_pos"
    rows = sorted((r for r in result.rows if getattr(r, pos) is not None), key=lambda r: getattr(r, pos))
    return "".join((left_side if side == "left" else right_side)(r.segments) for r in rows)


def check_exact(left: str, right: str, options: CompareOptions) -> Comparison:
    """Compare and assert the exactness invariants; return the result for further checks."""
    result = compare(plain_document(left), plain_document(right), options)
    assert rebuild(result, "left") == left
    assert rebuild(result, "right") == right
    for row in result.rows:
        assert row.left == (left_side(row.segments) if row.left_pos is not None else None)
        assert row.right == (right_side(row.segments) if row.right_pos is not None else None)
        assert row.kind in KINDS
        assert 0.0 <= row.similarity <= 1.0
    assert [row.index for row in result.rows] == list(range(len(result.rows)))
    shown = [index for index, _ in result.display]
    moved = {row.index for row in result.rows if row.kind == "moved"}
    assert sorted(shown) == sorted([*range(len(result.rows)), *moved])
    return result


@SETTINGS
@given(text_pairs(), st.sampled_from(UNITS), st.sampled_from(IGNORE_SETS))
def test_both_texts_rebuild_exactly(pair: tuple[str, str], unit: Unit, ignore: frozenset[str]) -> None:
    """Segments of rows in position order give back each text, for every unit and ignore set."""
    check_exact(pair[0], pair[1], CompareOptions(unit=unit, ignore=ignore))


@settings(max_examples=60, deadline=None)
@given(text_pairs(), st.sampled_from(UNITS))
def test_exact_even_when_out_of_time(pair: tuple[str, str], unit: Unit) -> None:
    """With no time budget at all the result stays exact."""
    check_exact(pair[0], pair[1], CompareOptions(unit=unit, time_budget=0.0))


@SETTINGS
@given(texts(), st.sampled_from(UNITS), st.sampled_from(IGNORE_SETS))
def test_text_against_itself_is_all_same(text: str, unit: Unit, ignore: frozenset[str]) -> None:
    """A text compared with itself has only same rows and similarity 1."""
    result = check_exact(text, text, CompareOptions(unit=unit, ignore=ignore))
    assert {row.kind for row in result.rows} <= {"same"}
    assert result.stats.similarity == 1.0
    assert result.stats.words_added == result.stats.words_removed == result.stats.words_changed == 0


@settings(max_examples=100, deadline=None)
@given(text_pairs(), st.sampled_from(UNITS), st.sampled_from(IGNORE_SETS), st.booleans())
def test_exact_with_boilerplate_and_markdown(pair: tuple[str, str], unit: Unit, ignore: frozenset[str],
                                             markdown: bool) -> None:
    """Documents with boilerplate passages (plain or markdown reading text) rebuild exactly too."""
    left, right = (build_document(text, markdown=markdown, strip_markup=markdown, boilerplate=["Dear readers", "Kim"])
                   for text in pair)
    result = compare(left, right, CompareOptions(unit=unit, ignore=ignore))
    assert rebuild(result, "left") == left.text and rebuild(result, "right") == right.text
    if "boilerplate" in ignore:
        assert all(row.kind in ("left_only", "right_only") for row in result.rows if row.boilerplate)
