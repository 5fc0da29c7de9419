"""The engine under the team server's threaded workers: four threads give exactly what one thread gives."""

from __future__ import annotations

import functools
import gc
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from wordfreq import top_n_list

from parallax.engine.compare import CompareOptions, compare
from parallax.engine.similarity import terms_and_names
from parallax.engine.stems import stem_word
from parallax.story.quotes import stem
from parallax.text import plain_document
from tests.engine_seeds import seed_text

THREADS = 4
WORDS = 20_000
SEEDS = ("000", "001", "002", "003", "004")
T = TypeVar("T")


@pytest.fixture()
def busy_switching() -> Iterator[None]:
    """Threads switch as often as the interpreter allows, so a shared object's state is torn if it can be."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def clear_engine_caches() -> None:
    """Forget every memoised result of parallax's own functions, so the threaded run computes afresh."""
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and getattr(obj, "__module__", "").startswith("parallax"):
            obj.cache_clear()


def threaded(work: Callable[[Sequence[T]], list[Any]], items: Sequence[T]) -> list[list[Any]]:
    """Run work on the items in four threads at once, each starting at a different place; results in item order."""
    step = max(1, len(items) // THREADS)

    def rotated(k: int) -> list[Any]:
        start = k * step
        done = work(list(items[start:]) + list(items[:start]))
        return done[len(items) - start:] + done[:len(items) - start]

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(rotated, range(THREADS)))


def word_stems(words: Sequence[str]) -> list[tuple[str, str, dict[str, float]]]:
    """Every stem the engine makes of each word: Snowball's, the quote tracker's and the pairing terms."""
    return [(stem_word(w), stem(w), terms_and_names(w.capitalize())[0]) for w in words]


def test_stems_under_four_threads_match_a_serial_run(busy_switching: None) -> None:
    """20,000 distinct words stemmed by four threads at once: no error and not one stem differs from one thread's."""
    words = top_n_list("en", WORDS)
    assert len(set(words)) == WORDS
    clear_engine_caches()
    serial = word_stems(words)
    clear_engine_caches()
    for run in threaded(word_stems, words):
        wrong = [(w, s, r) for w, s, r in zip(words, serial, run, strict=True) if s != r]
        assert wrong == []


def seed_comparison(pair: tuple[str, str]) -> Any:
    """One seed pair's comparison, as the rows and statistics a page shows."""
    result = compare(plain_document(seed_text(pair[0])), plain_document(seed_text(pair[1])), CompareOptions())
    assert result.limits == []
    return [repr(result.rows), repr(result.stats)]


def test_seed_comparisons_under_four_threads_match_a_serial_run(busy_switching: None) -> None:
    """Every ordered pair of the bundled story compared by four threads at once gives the serial comparison."""
    pairs = list(itertools.permutations(SEEDS, 2))
    clear_engine_caches()
    serial = [seed_comparison(pair) for pair in pairs]
    clear_engine_caches()
    for run in threaded(lambda chunk: [seed_comparison(pair) for pair in chunk], pairs):
        assert run == serial
