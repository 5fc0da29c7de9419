"""Integrity of the labelled pairing data (bench/data): schema, labels, dev/test split by event, counts, truth files."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from bench import build_pairs

DATA = Path(__file__).resolve().parent.parent / "bench" / "data"
FIELDS = {"id", "left", "right", "label", "source", "note", "split", "event"}
LABELS = {"same", "edited", "reworded", "different"}
#: Least pairs per label: the benchmark's per-tier figures mean little below these.
MINIMUM = {"same": 35, "edited": 70, "reworded": 120, "different": 120}


def _pairs() -> list[dict[str, str]]:
    lines = (DATA / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


PAIRS = _pairs()


def test_every_pair_has_the_schema() -> None:
    for pair in PAIRS:
        assert set(pair) == FIELDS, pair.get("id")
        assert all(isinstance(pair[field], str) for field in FIELDS), pair["id"]
        assert pair["left"].strip() and pair["right"].strip(), pair["id"]
        assert pair["label"] in LABELS, pair["id"]
        assert pair["split"] in {"dev", "test"}, pair["id"]


def test_ids_are_unique() -> None:
    ids = Counter(pair["id"] for pair in PAIRS)
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_exact_duplicate_pairs_in_either_order() -> None:
    seen: set[frozenset[str] | tuple[str, str]] = set()
    for pair in PAIRS:
        key = (pair["left"], pair["right"]) if pair["left"] == pair["right"] else frozenset((pair["left"],
                                                                                              pair["right"]))
        assert key not in seen, pair["id"]
        seen.add(key)


def test_splits_are_disjoint_by_event_and_roughly_halves() -> None:
    split_of: dict[str, set[str]] = {}
    for pair in PAIRS:
        split_of.setdefault(pair["event"], set()).add(pair["split"])
    assert {event: splits for event, splits in split_of.items() if len(splits) > 1} == {}
    sizes = Counter(pair["split"] for pair in PAIRS)
    assert 0.4 <= sizes["dev"] / len(PAIRS) <= 0.6


def test_counts_per_label_overall_and_in_each_half() -> None:
    counts = Counter(pair["label"] for pair in PAIRS)
    assert len(PAIRS) >= 400
    for label, least in MINIMUM.items():
        assert counts[label] >= least, label
    for split in ("dev", "test"):
        half = Counter(pair["label"] for pair in PAIRS if pair["split"] == split)
        assert all(half[label] >= MINIMUM[label] // 3 for label in LABELS), (split, half)


def test_same_pairs_really_differ_only_cosmetically() -> None:
    for pair in (p for p in PAIRS if p["label"] == "same"):
        left, right = (unicodedata.normalize("NFC", side) for side in (pair["left"], pair["right"]))
        assert _cosmetic(left) == _cosmetic(right), pair["id"]


def _cosmetic(text: str) -> str:
    """Text with quotes, dashes, case and spacing flattened (what 'same' pairs may differ in)."""
    table = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                           "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2011": "-"})
    flat = text.translate(table).casefold().replace("--", "-")
    return " ".join(flat.split())


def test_split_pairs_are_marked_and_join_two_sentences() -> None:
    marked = [p for p in PAIRS if p["note"].startswith("split")]
    assert len(marked) >= 10
    assert all(p["label"] == "reworded" for p in marked)


def test_pairs_file_is_what_the_sources_build() -> None:
    assert build_pairs.build() == PAIRS


def _stories() -> list[Path]:
    return sorted(p for p in (DATA / "stories").iterdir() if p.is_dir())


def test_at_least_four_stories_of_three_outlets_in_both_halves() -> None:
    stories = _stories()
    assert len(stories) >= 4
    splits = Counter(json.loads((p / "truth.json").read_text(encoding="utf-8"))["split"] for p in stories)
    assert splits["dev"] >= 1 and splits["test"] >= 1
    for story in stories:
        assert len(list(story.glob("*.txt"))) >= 3, story.name


@pytest.mark.parametrize("story", _stories(), ids=lambda p: p.name)
def test_truth_names_real_sentences_of_real_outlets(story: Path) -> None:
    truth = json.loads((story / "truth.json").read_text(encoding="utf-8"))
    outlets = {p.stem: {line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()}
               for p in story.glob("*.txt")}
    assert truth["links"] and truth["hard_negatives"]
    events = {pair["event"]: pair["split"] for pair in PAIRS}
    assert events.get(truth.get("event", story.name), truth["split"]) == truth["split"]
    links = {(r["left_outlet"], r["left"], r["right_outlet"], r["right"]) for r in truth["links"]}
    for row in truth["links"] + truth["hard_negatives"]:
        assert row["left_outlet"] != row["right_outlet"], row
        assert row["left"] in outlets[row["left_outlet"]], (story.name, row["left"])
        assert row["right"] in outlets[row["right_outlet"]], (story.name, row["right"])
    for row in truth["hard_negatives"]:
        assert (row["left_outlet"], row["left"], row["right_outlet"], row["right"]) not in links, row
