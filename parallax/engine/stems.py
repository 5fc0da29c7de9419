"""Snowball's English (Porter 2) stemmer, one per thread.

A stemmer object keeps its working state (the word, cursor and limits) on itself between calls, so two threads
stemming through one object read each other's state: wrong stems or IndexError. The team server runs threaded
workers, so every caller goes through :func:`stem_word`, which keeps one stemmer for each thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import snowballstemmer

_LOCAL = threading.local()


def _stemmer() -> Any:
    """This thread's English stemmer (made on the thread's first use)."""
    stemmer = getattr(_LOCAL, "english", None)
    if stemmer is None:
        stemmer = _LOCAL.english = snowballstemmer.stemmer("english")
    return stemmer


def stem_word(word: str) -> str:
    """The Snowball English stem of one word (safe from any thread)."""
    return str(_stemmer().stemWord(word))


def stem_words(words: Iterable[str]) -> list[str]:
    """The Snowball English stems of several words, in order (safe from any thread)."""
    return [str(stem) for stem in _stemmer().stemWords(list(words))]
