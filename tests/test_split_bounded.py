"""Sentence splitting is linear in the text's length, caps a sentence's length and keeps to a time budget."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentencex

from parallax import text
from parallax.engine.compare import CompareOptions, compare
from parallax.text import SPLIT_WINDOW, plain_document, split_sentences
from tests.engine_seeds import seed_sources

PUNCTUATION = ".!?…;:,-\"'()[] "


def random_punctuation(size: int, seed: int = 1) -> str:
    """Random punctuation and spaces: the input on which sentencex is superlinear."""
    pick = random.Random(seed).choice  # noqa: S311 - reproducible test data, not security
    return "".join(pick(PUNCTUATION) for _ in range(size))


def one_sentence(size: int) -> str:
    """Ordinary words without a sentence end."""
    pick = random.Random(2).choice  # noqa: S311 - reproducible test data, not security
    return " ".join(pick(["the", "Kim", "train", "arrived", "in", "Vladivostok,", "and"]) for _ in range(size // 5))


def zalgo(size: int) -> str:
    """Letters under heaps of combining marks, spaced now and then."""
    rand = random.Random(3)  # noqa: S311 - reproducible test data, not security
    return "".join("a" + "".join(chr(0x300 + rand.randrange(0x70)) for _ in range(9))
                   + (" " if rand.random() < 0.2 else "") for _ in range(size // 10))


def quotes_and_words(size: int) -> str:
    """Letters under quote marks and brackets that never close in order (letters keep it out of the plain rule)."""
    pick = random.Random(4).choice  # noqa: S311 - reproducible test data, not security
    return "".join(pick(['"ab ', "'bc ", "(cd ", ")de ", "«ef ", "»fg ", "“gh ", "”hi "]) for _ in range(size // 4))


PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    "random punctuation": random_punctuation,
    "one sentence": one_sentence,
    "zalgo": zalgo,
    "quote marks": quotes_and_words,
    "no space at all": lambda size: "x" * size,
    "wire tokens end to end": lambda size: "Ab.Cd." * (size // 6),
}


@pytest.fixture()
def fed() -> Iterator[list[int]]:
    """Lengths of the texts handed to sentencex while the test runs."""
    lengths: list[int] = []
    real = sentencex.segment

    def counting(language: str, chunk: str) -> Any:
        lengths.append(len(chunk))
        return real(language, chunk)

    sentencex.segment = counting
    yield lengths
    sentencex.segment = real


@pytest.mark.parametrize("kind", list(PATHOLOGICAL))
def test_pathological_text_is_read_in_bounded_windows(kind: str, fed: list[int]) -> None:
    """250,000 characters of each hostile kind: sentencex never reads more than a window, reads each character at
    most a few times, no sentence is longer than the cap and the sentences give back the text exactly."""
    sample = PATHOLOGICAL[kind](250_000)
    pieces = split_sentences(sample)
    assert "".join(pieces) == sample
    assert max(map(len, pieces)) <= SPLIT_WINDOW
    assert max(fed, default=0) <= SPLIT_WINDOW
    assert sum(fed) <= 3 * len(sample)


def test_splitting_time_grows_linearly_with_length() -> None:
    """Random punctuation at 125k and 250k characters: doubling the text at most triples the CPU time (it was
    more than 20 times), and 250k characters take under two seconds (they took minutes)."""
    def cpu(size: int) -> float:
        sample = random_punctuation(size)
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            split_sentences(sample)
            best = min(best, time.process_time() - started)
        return best

    small, large = cpu(125_000), cpu(250_000)
    assert large < 2.0
    assert large < 3 * small + 0.05


def test_past_the_deadline_sentencex_is_not_called(fed: list[int]) -> None:
    """Text read after the deadline is cut after every sentence end by the plain rule, without sentencex."""
    sample = "The train left. Did it arrive? Yes! It did… The end"
    assert split_sentences(sample, deadline=time.monotonic() - 1) == [
        "The train left. ", "Did it arrive? ", "Yes! ", "It did… ", "The end"]
    assert fed == []


def test_mostly_punctuation_is_cut_by_the_plain_rule(fed: list[int]) -> None:
    """A passage with fewer letters and digits than other visible characters never reaches sentencex."""
    sample = "!!! ??? ... --- a. ((( )))"
    assert "".join(split_sentences(sample)) == sample
    assert fed == []


def test_long_real_text_splits_as_sentencex_reads_it_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """All bundled articles joined into one passage many windows long (without double quotes, whose pairing
    sentencex carries across the whole text) split exactly as when sentencex read the passage at once: the window
    bounds the work, not where sentences end."""
    joined = " ".join(" ".join(re.sub("[\"“”«»]", "", s.body).split()) for s in seed_sources().values())
    assert len(joined) > 5 * SPLIT_WINDOW
    windowed = split_sentences(joined)
    monkeypatch.setattr(text, "SPLIT_WINDOW", 10 * len(joined))
    whole = split_sentences(joined)
    assert len(whole) > 100
    assert windowed == whole


def test_comparison_of_huge_hostile_sources_keeps_its_budget() -> None:
    """Two 1 MB hostile texts compared with a 1 s budget: the answer comes within a few seconds and names the
    budget (cutting the sentences alone took minutes)."""
    left, right = plain_document(quotes_and_words(1_000_000)), plain_document(random_punctuation(1_000_000, 5))
    started = time.monotonic()
    result = compare(left, right, CompareOptions(time_budget=1.0))
    took = time.monotonic() - started
    assert took < 8
    # Models load before the clock starts; a comparison that ran well past its budget says so.
    assert took < 3 or any("time budget" in limit for limit in result.limits)
