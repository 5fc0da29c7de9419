"""Memos of derived data (prepared sources, story models, quote groups) that an app owns and a test's app drops.

``create_app`` makes one ``Memo`` and keeps it in ``app.extensions``; the domain functions that use it take it as
an argument and compute without memo when given none, so no memo outlives the app that made it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache

T = TypeVar("T")

#: Prepared story sources kept, counted in characters of sentence text, so memory is bounded whatever the sources'
#: sizes: a prepared source (sentences plus word and bigram sets) takes ~55 bytes per character, so this is ~160 MiB
#: at most, room for a 2 MB source or ~700 articles of 4,000 characters.
PREPARED_CHARS = 3_000_000
#: How many entries each memo keeps (the prepared sources are bounded by their size instead).
SIZES = {"models": 16, "similarity": 256, "quotes": 4096, "story_quotes": 16}


def _weight(value: Any) -> int:
    """A memo entry's weight: its ``weight()`` when it has one (prepared sources count their characters), else 1."""
    weigh = getattr(value, "weight", None)
    return int(weigh()) if callable(weigh) else 1


class Memo:
    """Bounded LRU memos, one per kind of derived data, each behind its own lock; values are shared, not copied."""

    def __init__(self, prepared_chars: int = PREPARED_CHARS) -> None:
        self._caches: dict[str, LRUCache[Hashable, Any]] = {
            "prepared": LRUCache(maxsize=prepared_chars, getsizeof=_weight),
            **{name: LRUCache(maxsize=size) for name, size in SIZES.items()}}
        self._locks = {name: threading.Lock() for name in self._caches}

    def get(self, kind: str, key: Hashable, compute: Callable[[], T], keep: Callable[[T], bool] = lambda _v: True) -> T:
        """The value memoised for ``key``, computing it on a miss (outside the lock) and keeping it if ``keep`` says."""
        cache, lock = self._caches[kind], self._locks[kind]
        with lock:
            if key in cache:
                found: T = cache[key]
                return found
        value = compute()
        if keep(value):
            with lock, contextlib.suppress(ValueError):  # larger than the whole memo: served, not kept
                cache[key] = value
        return value

    def clear(self) -> None:
        """Forget everything (benchmarks start cold)."""
        for name, cache in self._caches.items():
            with self._locks[name]:
                cache.clear()
