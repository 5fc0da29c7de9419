"""The at-a-glance reading of a comparison: excerpts, fact labels, summary, focus folds, reworded pieces, CSV cells."""

from __future__ import annotations

from typing import Any

from parallax.story import digest


def seg(op: str, text: str, right: str | None = None) -> dict[str, Any]:
    """A segment as the engine's JSON has it."""
    return {"op": op, "text": text, "right_text": right}


def row(index: int, kind: str, left: str | None, right: str | None, segments: list[dict[str, Any]],
        **extra: Any) -> dict[str, Any]:
    """A row as the engine's JSON has it."""
    return {"index": index, "kind": kind, "left": left, "right": right, "left_pos": index, "right_pos": index,
            "segments": segments, "similarity": 0.9, "boilerplate": False, "whole": False, **extra}


VISIT = row(0, "changed", "Kim made his first visit abroad in more than four years on Tuesday.",
            "Kim made his first visit abroad in four years on Monday.",
            [seg("equal", "Kim made his first visit abroad in "), seg("delete", "more than "),
             seg("equal", "four years on "), seg("delete", "Tuesday"), seg("insert", "Monday"), seg("equal", ".")])


def test_excerpt_shows_the_first_edit_with_a_few_words_of_context() -> None:
    """'…first visit abroad in ~~more than~~ four years on…': four words each side, cut marks where text goes on."""
    assert digest.excerpt(VISIT) == {"before": "…first visit abroad in", "deleted": "more than", "inserted": "",
                                     "after": "four years on"}


def test_fact_labels_name_replacements_and_show_insertions_with_their_neighbours() -> None:
    """A replacement reads 'Tuesday → Monday'; a bare deletion carries the next words ('more than four years →')."""
    assert digest.fact_labels(VISIT) == ["more than four years → four years", "Tuesday → Monday"]


def test_engine_facts_win_over_derived_labels() -> None:
    """When the engine gives facts, their labels are used as they are."""
    with_facts = {**VISIT, "facts": [{"kind": "date", "left": "Tuesday", "right": "Monday", "label": "Tuesday → Monday",
                                      "left_span": [57, 64], "right_span": [47, 53]}]}
    assert digest.fact_labels(with_facts) == ["Tuesday → Monday"]


def result(rows: list[dict[str, Any]], **stats: Any) -> dict[str, Any]:
    """A comparison result with default stats."""
    base = {"similarity": 0.8, "words_added": 0, "words_removed": 0, "words_changed": 0, "same": 0, "changed": 0,
            "moved": 0, "left_only": 0, "right_only": 0}
    return {"rows": rows, "display": [[r["index"], "both"] for r in rows], "stats": {**base, **stats}}


def test_summary_lists_facts_and_one_sided_passages_linked_to_rows() -> None:
    """Fact differences of edited rows, and one-sided passages named by outlet, each with the row's anchor."""
    rows = [VISIT, row(1, "right_only", None, "Jo Chun Ryong joined the delegation.", [seg("insert", "x")])]
    found = digest.summary(result(rows, changed=1, right_only=1), ("Press TV", "The National"))
    assert [(f["label"], f["anchor"]) for f in found["facts"]] == [
        ("more than four years → four years", "r0"), ("Tuesday → Monday", "r0"),
        ("“Jo Chun Ryong joined the delegation.”: only in The National", "r1")]
    assert "only in Press TV and 1 only in The National" in found["text"] and found["more"] == 0


def test_summary_uses_the_engine_summary_when_there_is_one() -> None:
    """An engine summary's text and facts are shown instead of the ones built here."""
    engine = {"text": "One date differs.", "facts": [{"label": "Tuesday → Monday", "row": 0, "kind": "date"}],
              "one_sided": [{"side": "right", "rows": [1], "first_words": "Jo Chun Ryong joined", "sentences": 1}]}
    rows = [VISIT, row(1, "right_only", None, "Jo Chun Ryong joined.", [seg("insert", "Jo Chun Ryong joined.")])]
    found = digest.summary({**result(rows, changed=1), "summary": engine}, ("A", "B"))
    assert found["text"] == "One date differs."
    assert [(f["label"], f["kind"]) for f in found["facts"]] == [("Tuesday → Monday", "changed"),
                                                                 ("“Jo Chun Ryong joined”: only in B", "right_only")]


def test_summary_caps_the_fact_list_and_counts_the_rest() -> None:
    """Beyond MAX_FACTS differences the summary says how many more the change list holds."""
    rows = [row(n, "left_only", f"Passage {n}.", None, [seg("delete", f"Passage {n}.")]) for n in range(12)]
    found = digest.summary(result(rows, left_only=12), ("A", "B"))
    assert len(found["facts"]) == digest.MAX_FACTS and found["more"] == 12 - digest.MAX_FACTS


def same(n: int) -> dict[str, Any]:
    """An unchanged row."""
    return row(n, "same", f"S{n}.", f"S{n}.", [seg("equal", f"S{n}.")])


def test_focus_folds_long_unchanged_runs_keeping_one_passage_of_context() -> None:
    """Ten same rows, a change, ten same rows: folds of 9 around the change, one row of context each side."""
    rows = [*(same(n) for n in range(10)), {**VISIT, "index": 10}, *(same(n) for n in range(11, 21))]
    display = [[r["index"], "both"] for r in rows]
    blocks = digest.blocks(rows, display, focus=True, fold_boilerplate=True)
    assert [(b["type"], b["count"]) for b in blocks] == [("fold", 9), ("rows", 3), ("fold", 9)]
    assert [(b["type"], b["count"]) for b in digest.blocks(rows, display, False, True)] == [("rows", 21)]


def test_boilerplate_folds_in_place_and_short_runs_stay_open() -> None:
    """Boilerplate rows become a fold where they stand; a run of three same rows is not worth folding."""
    rows = [same(0), same(1), same(2), {**same(3), "boilerplate": True}, {**same(4), "boilerplate": True},
            {**VISIT, "index": 5}]
    display = [[r["index"], "both"] for r in rows]
    assert [(b["type"], b["count"]) for b in digest.blocks(rows, display, True, True)] == [
        ("rows", 3), ("boilerplate", 2), ("rows", 1)]


def test_focus_is_on_by_default_only_for_long_comparisons() -> None:
    """Above FOCUS_ABOVE passages focus is on unless the URL says otherwise."""
    assert not digest.focus_default([[0, "both"]] * digest.FOCUS_ABOVE)
    assert digest.focus_default([[0, "both"]] * (digest.FOCUS_ABOVE + 1))


def test_reworded_pieces_mark_shared_words_and_fact_spans() -> None:
    """A reworded side is its whole sentence: shared words marked 'shared', the fact's span 'fact'."""
    reworded = row(0, "reworded", "He left on Tuesday.", "On Monday he departed.",
                   [seg("delete", "He left on Tuesday"), seg("insert", "On Monday he departed"), seg("equal", ".")],
                   facts=[{"kind": "date", "left": "Tuesday", "right": "Monday", "label": "Tuesday → Monday",
                           "left_span": [11, 18], "right_span": [3, 9]}])
    assert digest.pieces(reworded, "left") == [("He left on ", ""), ("Tuesday", "fact"), (".", "shared")]
    whole = {**reworded, "left": "Officials said the train left on Tuesday.",
             "right": "The train departed on Monday, officials said.",
             "segments": [seg("delete", "Officials said the train left on Tuesday."),
                          seg("insert", "The train departed on Monday, officials said.")],
             "facts": [{**reworded["facts"][0], "left_span": [33, 40], "right_span": [20, 26]}]}
    assert digest.pieces(whole, "left") == [("Officials", "shared"), (" ", ""), ("said", "shared"), (" the ", ""),
                                            ("train", "shared"), (" left on ", ""), ("Tuesday", "fact"), (".", "")]
    assert digest.pieces(reworded, "right") == [("On ", ""), ("Monday", "fact"), (" he departed", ""),
                                                (".", "shared")]
    assert "".join(t for t, _ in digest.pieces(reworded, "right")) == "On Monday he departed."


def test_csv_cells_never_start_a_formula() -> None:
    """Cells starting with = + - @ get a leading quote; others are left alone."""
    assert [digest.csv_cell(v) for v in ("=1+1", "+7", "-3", "@SUM(A1)", "plain", None, 4)] == [
        "'=1+1", "'+7", "'-3", "'@SUM(A1)", "plain", "", "4"]


def test_change_numbers_count_a_moved_row_once() -> None:
    """A moved row shows at two places but is one change."""
    moved = row(1, "moved", "M.", "M.", [seg("equal", "M.")])
    rows = [same(0), moved, {**VISIT, "index": 2}]
    display = [[0, "both"], [1, "left"], [2, "both"], [1, "right"]]
    assert digest.change_numbers(rows, display) == {1: 1, 2: 2}


def test_side_names_tell_two_captures_of_one_outlet_apart() -> None:
    """Two sides of the same outlet are named with their ids."""
    assert digest.side_names({"id": "a", "outlet": "RT"}, {"id": "b", "outlet": "TN"}) == ("RT", "TN")
    assert digest.side_names({"id": "a", "outlet": "MT"}, {"id": "b", "outlet": "MT"}) == ("MT (a)", "MT (b)")


def test_reworded_pieces_mark_short_names_both_sides_carry() -> None:
    """A reworded row shown whole marks "Kim" as shared like "leader": a short name is no function word, while
    short words starting a sentence ("The") stay unmarked."""
    left, right = "The leader Kim met Xi in Moscow.", "The talks of Kim and Xi were held in Moscow."
    whole = row(0, "reworded", left, right, [seg("delete", left), seg("insert", right)])
    shared = [text for text, mark in digest.pieces(whole, "left") if mark == "shared"]
    assert shared == ["Kim", "Xi", "Moscow"]
    assert [t for t, m in digest.pieces(whole, "right") if m == "shared"] == ["Kim", "Xi", "Moscow"]
