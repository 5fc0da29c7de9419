"""Snowball's English (Porter 2) stemmer, one per thread.

PyStemmer runs the Snowball algorithm in C (about 50 times faster than the pure-Python snowballstemmer, with the
same stems on wordfreq's 100,000 commonest English words). A stemmer object keeps its working state on itself
between calls, so threads stemming through one object can read each other's state: wrong stems, or IndexError in
the Python port. The team server runs threaded workers, so every caller goes through :func:`stem_word`, which
keeps one stemmer for each thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import Stemmer

_LOCAL = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """This thread's English stemmer (made on the thread's first use)."""
    stemmer: Stemmer.Stemmer | None = getattr(_LOCAL, "english", None)
    if stemmer is None:
        stemmer = _LOCAL.english = Stemmer.Stemmer("english")
    return stemmer


def forget() -> None:
    """Drop this thread's stemmer, and with it the stems it remembers (the next call makes a fresh one)."""
    _LOCAL.__dict__.pop("english", None)


def stem_word(word: str) -> str:
    """The Snowball English stem of one word (safe from any thread)."""
    return str(_stemmer().stemWord(word))


def stem_words(words: Iterable[str]) -> list[str]:
    """The Snowball English stems of several words, in order (safe from any thread)."""
    return [str(stem) for stem in _stemmer().stemWords(list(words))]
