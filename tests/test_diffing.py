"""Tests for tokenisation, code-point encoding and token diffs."""

from __future__ import annotations

import pytest

from parallax import text
from parallax.engine import diffing
from parallax.engine.diffing import (
    Encoder,
    Segment,
    change_counts,
    diff_codes,
    left_side,
    right_side,
    segment_similarity,
    token_segments,
    tokenize,
    whole_segments,
)
from parallax.model import DEFAULT_IGNORE

NONE: frozenset[str] = frozenset()
QUOTES = frozenset({"quotes"})


def test_tokenize_partitions_text_into_words_spaces_and_marks() -> None:
    """Word tokens keep inner apostrophes; everything else is a space run or one character."""
    text = "Kim Jong Un’s  train, \r\n\ud800 arrived."
    tokens = tokenize(text, "word")
    assert "".join(tokens) == text
    assert tokens[:6] == ["Kim", " ", "Jong", " ", "Un’s", "  "]
    assert "\ud800" in tokens and "," in tokens and " \r\n" in tokens
    assert tokenize("ab", "char") == ["a", "b"]


def test_encoder_skips_surrogates_and_is_stable() -> None:
    """Each key gets one code point, the same on every use, never a surrogate."""
    encoder = Encoder()
    codes = [encoder.code(str(n)) for n in range(0xD800 + 10)]
    assert len(set(codes)) == len(codes)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in codes)
    assert encoder.encode(["5", "new", "5"]) == codes[5] + encoder.code("new") + codes[5]


def test_diff_codes_returns_lengths() -> None:
    """Runs are (op, length) over the encoded strings."""
    assert diff_codes("abcdef", "abXdef", 1.0) == [("=", 2), ("-", 1), ("+", 1), ("=", 3)]
    assert diff_codes("", "", 1.0) == []


def test_reworded_words_become_delete_and_insert() -> None:
    """A replaced word is a delete next to an insert; the rest is equal."""
    segments = token_segments("the quick brown fox", "the slow brown fox", "word", NONE, 1.0)
    assert segments == [Segment("equal", "the "), Segment("delete", "quick"), Segment("insert", "slow"),
                        Segment("equal", " brown fox")]
    assert change_counts(segments) == (0, 0, 1)


def test_cosmetic_difference_is_equal_with_right_text() -> None:
    """With quotes ignored, ’ vs ' is equal and the right original is kept."""
    segments = token_segments("Kim Jong Un’s train", "Kim Jong Un's train", "word", QUOTES, 1.0)
    assert segments == [Segment("equal", "Kim Jong Un’s train", "Kim Jong Un's train")]
    strict = token_segments("Kim Jong Un’s train", "Kim Jong Un's train", "word", NONE, 1.0)
    assert [s.op for s in strict] == ["equal", "delete", "insert", "equal"]
    assert strict[1].text == "Un’s" and strict[2].text == "Un's"


def test_ignored_punctuation_and_spacing_stay_equal() -> None:
    """Dropped commas and doubled spaces do not split an equal run when ignored."""
    ignore = frozenset({"punctuation", "whitespace"})
    segments = token_segments("Hello, big  world.", "Hello big world", "word", ignore, 1.0)
    assert [s.op for s in segments] == ["equal"]
    assert right_side(segments) == "Hello big world"


def test_char_unit_diffs_characters() -> None:
    """The char unit finds the one dropped letter."""
    segments = token_segments("colour", "color", "char", NONE, 1.0)
    assert segments == [Segment("equal", "colo"), Segment("delete", "u"), Segment("equal", "r")]


def test_sides_rebuild_originals_with_odd_characters() -> None:
    """Lone surrogates, NUL, emoji and combining marks survive a diff exactly."""
    left, right = "a\ud800b \x00 e\u0301 😀 x", "a\udc00b \x00 é 😁 x"
    for unit in ("word", "char"):
        segments = token_segments(left, right, unit, QUOTES, 1.0)
        assert left_side(segments) == left and right_side(segments) == right


def test_whole_segments_and_counts() -> None:
    """Whole pairs are one delete then one insert; pure inserts count as added."""
    assert whole_segments("old one", "new") == [Segment("delete", "old one"), Segment("insert", "new")]
    assert whole_segments("", "new") == [Segment("insert", "new")]
    added = [Segment("equal", "a "), Segment("insert", "b c "), Segment("equal", "d"), Segment("delete", " e")]
    assert change_counts(added) == (2, 1, 0)
    assert segment_similarity(added) == 2 * 2 / (3 + 4)
    assert segment_similarity([]) == 1.0


def test_each_side_is_tokenised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's inner loop cuts each text into tokens once, not once for texts and again for keys."""
    seen: list[str] = []

    def counting(text: str, unit: str) -> list[str]:
        seen.append(text)
        return tokenize(text, unit)

    monkeypatch.setattr(diffing, "tokenize", counting)
    segments = token_segments("Kim arrived on Monday", "Kim arrived on Tuesday", "word", NONE, 1.0)
    assert sorted(seen) == ["Kim arrived on Monday", "Kim arrived on Tuesday"]
    assert left_side(segments) == "Kim arrived on Monday" and right_side(segments) == "Kim arrived on Tuesday"


def test_compare_stats_count_words_like_a_source() -> None:
    """Change counts use the one word count of parallax.text: 'Jong-un' and 'Un’s' are one word each."""
    inserted = "Kim Jong-un’s train, North Korea's leader"
    assert change_counts([Segment("insert", inserted)]) == (text.word_count(inserted), 0, 0) == (6, 0, 0)
    assert segment_similarity([Segment("equal", "Jong-un "), Segment("insert", "arrived")]) == 2 * 1 / (1 + 2)


def test_decomposed_accent_is_equal_inside_a_word_diff() -> None:
    """A changed sentence with "Gala" + U+0301 + "pagos" on one side and "Galápagos" on the other: the word is equal."""
    segments = token_segments("The Gala\u0301pagos tour sold out.", "The Galápagos tour was cancelled.", "word",
                              DEFAULT_IGNORE, 1.0)
    assert any(s.op == "equal" and "pagos" in s.text for s in segments)
    assert not any(s.op in ("delete", "insert") and "pagos" in s.text for s in segments)
