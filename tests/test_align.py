"""Tests for sentence alignment and the compare() entry point on small constructed texts."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from bench.synth import synthetic_pair
from parallax.engine.align import Aligner, exact_anchors
from parallax.engine.compare import CompareOptions, Comparison, compare
from parallax.engine.diffing import Segment, left_side, right_side, token_segments
from parallax.engine.moves import Pair, mark_moved
from parallax.engine.similarity import dice
from parallax.model import DEFAULT_IGNORE, ignore_list
from parallax.text import Document, Passage, cut_sentences, plain_document

NONE: frozenset[str] = frozenset()
PARAS = [
    "The council met on Monday to discuss the budget. Members argued for hours about schools.",
    "Road repairs were postponed until spring. The mayor blamed the weather for the delay.",
    "A new library will open in the eastern district. It will hold forty thousand books.",
    "Residents can comment on the plan until Friday. The final vote is scheduled for next month.",
]


def _compare(left: str, right: str, **options: object) -> Comparison:
    """Compare two bare strings."""
    return compare(plain_document(left), plain_document(right), CompareOptions(**options))  # type: ignore[arg-type]


def _kinds(result: Comparison) -> list[str]:
    """Row kinds in order."""
    return [row.kind for row in result.rows]


def test_cut_sentences_partitions_with_leading_space_and_separators() -> None:
    """Leading whitespace joins the first sentence; paragraph separators join the sentence before."""
    document = plain_document("  One here. Two there.\n\nThree.\n")
    sentences = cut_sentences(document, DEFAULT_IGNORE)
    assert [s.text for s in sentences] == ["  One here. ", "Two there.\n\n", "Three.\n"]
    assert [s.para_start for s in sentences] == [True, False, True]
    assert sentences[0].key == "One here."


def test_cut_sentences_keeps_boilerplate_flags() -> None:
    """Sentences inherit their passage's boilerplate flag."""
    document = Document("Body text. More.\n\nAds here.", (Passage(0, 16), Passage(18, 27, True)))
    assert [s.boilerplate for s in cut_sentences(document, NONE)] == [False, False, True]


def test_exact_anchors_pairs_identical_keys_in_order() -> None:
    """Identical keys pair in order; a swapped one does not."""
    assert exact_anchors(["a", "b", "c", "d"], ["a", "c", "b", "d", "e"], 1.0) in (
        [(0, 0), (1, 2), (3, 3)], [(0, 0), (2, 1), (3, 3)])


def test_dice_on_multisets() -> None:
    """Dice counts repeated words."""
    assert dice(Counter(["a", "a", "b"]), Counter(["a", "b", "c"])) == 2 * 2 / 6
    assert dice(Counter(), Counter()) == 0.0


def test_mark_moved_flags_pairs_outside_longest_run() -> None:
    """Of pairs (0,1) (1,2) (2,0), the one going backwards is moved."""
    pairs = mark_moved([Pair(2, 3, 0, 1, 1.0), Pair(0, 1, 1, 2, 1.0), Pair(1, 2, 2, 3, 1.0)])
    assert [(p.left, p.moved) for p in pairs] == [(0, False), (1, False), (2, True)]


def test_similar_pairs_reworded_but_not_unrelated() -> None:
    """An edited sentence pairs (changed); an unrelated one stays free."""
    left = cut_sentences(plain_document("The mayor blamed the weather for the long delay. Cats sleep a lot."), NONE)
    right = cut_sentences(plain_document("The mayor blamed bad weather for the delay. Stocks fell sharply."), NONE)
    pairs = Aligner(left, right, [0, 1], [0, 1]).similar([])
    assert [(p.left, p.right, p.tier) for p in pairs] == [(0, 0, "changed")]
    assert 0.5 <= pairs[0].score < 1.0


def test_extend_merges_a_split_sentence() -> None:
    """A sentence split in two on the right grows its pair over both halves."""
    left = cut_sentences(plain_document("Kim could meet Putin at the cosmodrome in the Amur region on Wednesday."),
                         NONE)
    right = cut_sentences(plain_document("Kim could meet Putin at the cosmodrome in the\n\nAmur region on Wednesday."),
                          NONE)
    assert len(right) == 2
    start = Pair(0, 1, 0, 1, dice(Counter(left[0].key.split()), Counter(right[0].key.split())), tier="changed")
    grown = Aligner(left, right, [0], [0, 1]).extend([start], set(), {1})
    assert (grown[0].right, grown[0].right_end) == (0, 2) and grown[0].score == 1.0


def test_identical_texts_are_all_same() -> None:
    """A text compared with itself gives same rows, similarity 1 and no limits."""
    text = "\n\n".join(PARAS)
    result = _compare(text, text)
    assert set(_kinds(result)) == {"same"} and len(result.rows) == 8
    assert result.stats.similarity == 1.0 and result.limits == []


def test_moved_paragraph_is_one_moved_block_displayed_twice() -> None:
    """Moving the first paragraph to the end is one moved row holding its two sentences, drawn on both sides."""
    result = _compare("\n\n".join(PARAS), "\n\n".join(PARAS[1:] + PARAS[:1]))
    moved = [row for row in result.rows if row.kind == "moved"]
    assert [row.left for row in moved] == ["The council met on Monday to discuss the budget. "
                                           "Members argued for hours about schools.\n\n"]
    assert moved[0].right is not None and moved[0].right.endswith("Members argued for hours about schools.")
    assert moved[0].passages == 2 and moved[0].direction == "down"
    assert moved[0].left_pos == 0 and moved[0].right_pos == 6 and moved[0].segments[0].op == "equal"
    assert result.stats.moved == 2 and result.stats.same == 6
    assert result.display[0] == (moved[0].index, "left")
    assert result.display[-1] == (moved[0].index, "right")
    assert sum(1 for _, side in result.display if side == "both") == 6


def test_reworded_sentence_is_changed_with_word_segments() -> None:
    """One reworded sentence among identical ones is a changed row with a word diff."""
    edited = PARAS[1].replace("blamed the weather", "blamed heavy snow")
    result = _compare("\n\n".join(PARAS), "\n\n".join([PARAS[0], edited, *PARAS[2:]]))
    changed = [row for row in result.rows if row.kind == "changed"]
    assert len(changed) == 1 and not changed[0].whole
    ops = [(s.op, s.text) for s in changed[0].segments]
    assert ("delete", "the weather") in ops and ("insert", "heavy snow") in ops
    assert result.stats.words_changed == 2 and result.stats.changed == 1 and result.stats.same == 7


def test_typographic_quote_same_when_ignored_changed_when_not() -> None:
    """Kim Jong Un’s vs Kim Jong Un's: same with quotes ignored, changed with nothing ignored."""
    left, right = "Kim Jong Un’s train crossed the border.", "Kim Jong Un's train crossed the border."
    loose = _compare(left, right)
    assert _kinds(loose) == ["same"] and loose.rows[0].segments[0].right_text == right
    strict = _compare(left, right, ignore=NONE)
    assert _kinds(strict) == ["changed"]
    assert [s.op for s in strict.rows[0].segments] == ["equal", "delete", "insert", "equal"]


def test_unrelated_sentence_is_one_sided() -> None:
    """A sentence with no counterpart is not forced onto an unrelated one."""
    result = _compare(PARAS[0], "Stock markets fell sharply in Asia. Members argued for hours about schools.")
    assert _kinds(result) == ["left_only", "right_only", "same"]


def test_very_different_pair_is_shown_whole() -> None:
    """A pair sharing under 40% of words (after the word diff) is shown as old then new."""
    left = "alpha beta gamma delta epsilon zeta eta theta iota kappa."
    right = "kappa iota theta eta zeta epsilon delta gamma beta alpha."
    row = _compare(left, right).rows[0]
    # The same words in reverse order are no longer an edit in place: a reworded pair, shown whole.
    assert row.kind == "reworded" and row.whole
    assert [s.op for s in row.segments] == ["delete", "insert"]


def test_sentence_unit_shows_changed_rows_whole() -> None:
    """At sentence unit a changed pair is one delete and one insert."""
    result = _compare("The mayor blamed the weather for the delay.", "The mayor blamed snow for the delay.",
                      unit="sentence")
    assert _kinds(result) == ["changed"] and [s.op for s in result.rows[0].segments] == ["delete", "insert"]


def test_boilerplate_rows_hidden_from_matching_and_stats() -> None:
    """Ignored boilerplate becomes one-sided flagged rows left out of counts; kept boilerplate matches."""
    left = Document("Body text. Subscribe now!", (Passage(0, 10), Passage(11, 25, True)))
    right = Document("Body text. Subscribe now!", (Passage(0, 10), Passage(11, 25, True)))
    hidden = compare(left, right)
    assert [(r.kind, r.boilerplate) for r in hidden.rows] == [("same", False), ("left_only", True),
                                                              ("right_only", True)]
    assert hidden.stats.left_only == 0 and hidden.stats.right_only == 0 and hidden.stats.similarity == 1.0
    kept = compare(left, right, CompareOptions(ignore=NONE))
    assert [(r.kind, r.boilerplate) for r in kept.rows] == [("same", False), ("same", True)]


def test_tiny_time_budget_is_exact_and_reports_limit() -> None:
    """With no time at all, the result is still exact and says which limit was hit."""
    left = "\n\n".join(PARAS * 50)
    right = left.replace("weather", "snow").replace("forty", "fifty")
    result = _compare(left, right, time_budget=1e-6)
    assert result.limits and "time budget" in result.limits[0]
    assert _rebuild(result, "left") == left and _rebuild(result, "right") == right


def test_max_chars_limit_compares_by_sentence() -> None:
    """Over max_chars only exact sentence matching runs, and the limit is reported."""
    result = _compare(PARAS[0], PARAS[0].replace("Monday", "Tuesday"), max_chars=10)
    assert _kinds(result) == ["left_only", "right_only", "same"]
    assert "longer than 10 characters" in result.limits[0]


def test_to_dict_is_json_and_rejects_bad_options() -> None:
    """to_dict gives plain JSON; unknown units or ignore options raise ValueError."""
    data = json.loads(json.dumps(_compare(PARAS[0], PARAS[1]).to_dict()))
    assert set(data) == {"rows", "display", "stats", "limits", "options"}
    assert data["options"]["ignore"] == ignore_list(DEFAULT_IGNORE) and data["rows"][0]["segments"]
    with pytest.raises(ValueError):
        _compare("a", "b", unit="line")
    with pytest.raises(ValueError):
        _compare("a", "b", ignore=frozenset({"colour"}))


def _rebuild(result: Comparison, side: str) -> str:
    """One side's text rebuilt from its rows' segments in position order."""
    pos = "left_pos" if side == "left" else "right_pos"
    rows = sorted((r for r in result.rows if getattr(r, pos) is not None), key=lambda r: getattr(r, pos))
    return "".join((left_side if side == "left" else right_side)(r.segments) for r in rows)


def test_tiny_budget_on_big_input_returns_quickly() -> None:
    """A 300 KB edited pair with a microsecond budget comes back fast, exact, with a limit note."""
    left, right = synthetic_pair(300_000, seed=5)
    start = time.perf_counter()
    result = _compare(left, right, time_budget=1e-6)
    assert time.perf_counter() - start < 2.0
    assert any("time budget of 1e-06 s reached" in note for note in result.limits)
    assert _rebuild(result, "left") == left and _rebuild(result, "right") == right
    assert result.stats.same > 1000


def test_edited_synthetic_pair_finds_each_kind_of_row() -> None:
    """A 100 KB pair with ~5% edits is mostly same rows, with some changed, moved and one-sided ones (a budget a
    loaded machine does not exhaust: what is read here is the rows, not the speed)."""
    result = _compare(*synthetic_pair(100_000, seed=1), time_budget=120.0)
    stats = result.stats
    assert stats.same > 500 and stats.changed > 0 and stats.moved > 0 and stats.left_only and stats.right_only
    assert 0.9 < stats.similarity < 1.0 and result.limits == []


def test_rows_after_the_deadline_fall_back_to_sentence_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the budget runs out between word diffs, later changed rows are shown whole and counted in limits."""

    def slow(*args: Any) -> list[Segment]:
        """The real word diff, but taking longer than the whole budget."""
        time.sleep(0.3)
        return token_segments(*args)

    left = "\n\n".join(PARAS)
    right = left.replace("budget", "spending plan").replace("spring", "summer").replace("forty", "fifty")
    _compare(left, right)  # models loaded, as a server has them before its first request
    monkeypatch.setattr("parallax.engine.compare.token_segments", slow)
    result = _compare(left, right, time_budget=0.2)
    changed = [row for row in result.rows if row.kind == "changed"]
    assert len(changed) == 3 and not changed[0].whole and changed[1].whole and changed[2].whole
    assert result.limits == ["time budget of 0.2 s reached: 2 passages compared at sentence level"]
    assert _rebuild(result, "left") == left and _rebuild(result, "right") == right
