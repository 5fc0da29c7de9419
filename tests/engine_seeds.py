"""Helpers for engine tests: the seed articles as shipped in corpus/, looked up by their original file prefix."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from parallax.corpus import Source
from parallax.corpus_store import load_corpus

ROOT = Path(__file__).resolve().parents[1]


@cache
def seed_sources() -> dict[str, Source]:
    """The bundled sources by the prefix of the seed file they were made from ("000" … "004")."""
    return {s.original_file[:3]: s for s in load_corpus(ROOT / "corpus").sources.values() if s.original_file}


def seed_text(prefix: str) -> str:
    """The body of the seed whose original file name starts with prefix (e.g. "000"), exactly as captured."""
    return seed_sources()[prefix].body
