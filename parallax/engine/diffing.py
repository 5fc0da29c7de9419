"""Token diffs: tokenisation, token-to-code-point encoding and a diff-match-patch wrapper producing segments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import fast_diff_match_patch

from parallax.model import SegmentOp
from parallax.text import fold, fold_char, word_count

#: Word, run of whitespace, or any other single character: together they partition any string.
#: Deliberately not text.WORD_RE: a hyphen stays a token of its own, so a diff can show "Jong-un" → "Jong Un"
#: as a change of the hyphen alone rather than of the whole compound.
#: Combining marks stay inside their word, so a decomposed "é" (e + U+0301) keys like the composed one.
_TOKEN_RE = re.compile(r"\w[\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*"
                       r"(?:['\u2019]\w[\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*)*|\s+|.",
                       re.DOTALL)
_SURROGATES = range(0xD800, 0xE000)
#: Shortest time limit handed to diff-match-patch: 0 would mean "unlimited" to it.
_MIN_TIMELIMIT = 1e-4


@dataclass(frozen=True)
class Segment:
    """A run of a row's diff: equal/delete carry left text, insert carries right text."""

    op: SegmentOp
    text: str
    right_text: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Plain JSON-able form."""
        return {"op": self.op, "text": self.text, "right_text": self.right_text}


class Encoder:
    """Maps distinct keys to distinct code points (skipping surrogates) so a string diff compares tokens."""

    def __init__(self) -> None:
        """Start with no keys."""
        self._codes: dict[str, str] = {}

    def code(self, key: str) -> str:
        """The code point standing for a key, allocating the next free one on first sight."""
        found = self._codes.get(key)
        if found is None:
            number = len(self._codes) + 1
            if number >= _SURROGATES.start:
                number += len(_SURROGATES)
            if number > 0x10FFFF:
                raise ValueError("too many distinct tokens to encode")
            found = self._codes[key] = chr(number)
        return found

    def encode(self, keys: Sequence[str]) -> str:
        """The code-point string for a sequence of keys (known keys looked up in C, new ones allocated)."""
        codes = self._codes
        for key in keys:
            if key not in codes:
                self.code(key)
        return "".join(map(codes.__getitem__, keys))


def timelimit(remaining: float) -> float:
    """A diff-match-patch time limit from the seconds left (never 0, which it reads as unlimited)."""
    return max(remaining, _MIN_TIMELIMIT)


def diff_codes(left: str, right: str, seconds: float, semantic: bool = True) -> list[tuple[str, int]]:
    """Diff two encoded strings; returns (op, length) runs with op in '=', '-', '+'."""
    if left == right:
        return [("=", len(left))] if left else []
    cleanup = "Semantic" if semantic else "No"
    runs = fast_diff_match_patch.diff(left, right, cleanup=cleanup, counts_only=True, timelimit=timelimit(seconds))
    return [(op, int(length)) for op, length in runs if length]


def tokenize(text: str, unit: str) -> list[str]:
    """Cut text into tokens that join back to it exactly: characters for the char unit, else words/spaces/marks."""
    if unit == "char":
        return list(text)
    return _TOKEN_RE.findall(text)


def token_key(token: str, unit: str, ignore: frozenset[str]) -> str:
    """The matching key of one token; empty when the token is ignorable (folded-away spacing or punctuation)."""
    if unit == "char":
        return fold_char(token, ignore)
    if token.isspace():
        return "" if "whitespace" in ignore else token
    return fold(token, ignore)


def _groups(tokens: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    """Glue each ignorable token to the token before it, so cosmetic spacing/punctuation never splits a match."""
    texts: list[str] = []
    group_keys: list[str] = []
    for token, key in zip(tokens, keys, strict=True):
        if key or not texts:
            texts.append(token)
            group_keys.append(key)
        else:
            texts[-1] += token
    return texts, group_keys


def _append(segments: list[Segment], op: SegmentOp, text: str, right: str | None = None) -> None:
    """Add a segment, merging it into the previous one of the same op."""
    if not text and not right:
        return
    if segments and segments[-1].op == op:
        last = segments[-1]
        left_text = last.text + text
        if op == "equal":
            right_text = (last.right_text if last.right_text is not None else last.text) + (
                right if right is not None else text)
            segments[-1] = Segment(op, left_text, None if right_text == left_text else right_text)
        else:
            segments[-1] = Segment(op, left_text)
        return
    segments.append(Segment(op, text, None if op != "equal" or right == text else right))


def token_segments(left: str, right: str, unit: str, ignore: frozenset[str], seconds: float) -> list[Segment]:
    """Word (or char) diff of two texts as segments whose sides join back to the originals exactly."""
    left_tokens, right_tokens = tokenize(left, unit), tokenize(right, unit)
    keys: dict[str, str] = {}  # most tokens of two versions of a sentence are the same: fold each once

    def key_of(token: str) -> str:
        found = keys.get(token)
        if found is None:
            found = keys[token] = token_key(token, unit, ignore)
        return found

    left_texts, left_keys = _groups(left_tokens, [key_of(t) for t in left_tokens])
    right_texts, right_keys = _groups(right_tokens, [key_of(t) for t in right_tokens])
    encoder = Encoder()
    runs = diff_codes(encoder.encode(left_keys), encoder.encode(right_keys), seconds)
    segments: list[Segment] = []
    i = j = 0
    for op, length in runs:
        if op == "=":
            for offset in range(length):
                _append(segments, "equal", left_texts[i + offset], right_texts[j + offset])
            i += length
            j += length
        elif op == "-":
            _append(segments, "delete", "".join(left_texts[i:i + length]))
            i += length
        else:
            _append(segments, "insert", "".join(right_texts[j:j + length]))
            j += length
    return _tidy(segments)


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Hand a replaced hunk's trailing spacing to the equal run after it, so the hunk shows just the words."""
    for k in range(2, len(segments)):
        old, new, same = segments[k - 2], segments[k - 1], segments[k]
        if (old.op, new.op, same.op) != ("delete", "insert", "equal") or not (old.text.strip() and new.text.strip()):
            continue
        old_space, new_space = old.text[len(old.text.rstrip()):], new.text[len(new.text.rstrip()):]
        if old_space and new_space:
            left = old_space + same.text
            right = new_space + (same.right_text if same.right_text is not None else same.text)
            segments[k - 2] = Segment("delete", old.text[:-len(old_space)])
            segments[k - 1] = Segment("insert", new.text[:-len(new_space)])
            segments[k] = Segment("equal", left, None if right == left else right)
    return segments


def whole_segments(left: str, right: str) -> list[Segment]:
    """A pair shown as old text then new text, without a finer diff."""
    segments: list[Segment] = []
    _append(segments, "delete", left)
    _append(segments, "insert", right)
    return segments


def left_side(segments: Sequence[Segment]) -> str:
    """The left original a list of segments stands for."""
    return "".join(s.text for s in segments if s.op != "insert")


def right_side(segments: Sequence[Segment]) -> str:
    """The right original a list of segments stands for."""
    return "".join((s.right_text if s.right_text is not None else s.text) if s.op == "equal" else s.text
                   for s in segments if s.op != "delete")


def equal_words(segments: Sequence[Segment]) -> int:
    """Words the two sides share in a segment list."""
    return sum(word_count(s.text) for s in segments if s.op == "equal")


def segment_similarity(segments: Sequence[Segment]) -> float:
    """Share of words common to both sides: 2 x equal words / (left words + right words), 1.0 when wordless."""
    total = word_count(left_side(segments)) + word_count(right_side(segments))
    # Capped: char-unit segments can cut a word in two, and the pieces then count as more words than the whole.
    return min(1.0, 2 * equal_words(segments) / total) if total else 1.0


def change_counts(segments: Sequence[Segment]) -> tuple[int, int, int]:
    """Words (added, removed, changed): a hunk with both deletes and inserts counts as changed (its larger side)."""
    added = removed = changed = 0
    deleted = inserted = 0
    for segment in [*segments, Segment("equal", "")]:
        if segment.op == "delete":
            deleted += word_count(segment.text)
        elif segment.op == "insert":
            inserted += word_count(segment.text)
        else:
            if deleted and inserted:
                changed += max(deleted, inserted)
            else:
                added += inserted
                removed += deleted
            deleted = inserted = 0
    return added, removed, changed
