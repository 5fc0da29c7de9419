"""Clearing the engine's caches leaves nothing a comparison memoised (word, sentence and text memos, sentence
vectors, stems) while the models stay loaded, and a comparison made afresh reads exactly as before."""

from __future__ import annotations

import functools
import gc

from parallax.engine import encoders
from parallax.engine.caches import PREFIXES, clear_caches
from parallax.engine.compare import compare
from parallax.text import plain_document
from tests.engine_seeds import seed_text


def memoised() -> dict[str, int]:
    """Entries held by each memoised function of the engine and the text preparation it calls."""
    return {f"{obj.__module__}.{obj.__qualname__}": obj.cache_info().currsize for obj in gc.get_objects()
            if isinstance(obj, functools._lru_cache_wrapper) and (obj.__module__ or "").startswith(PREFIXES)}


def test_memos_are_found_after_a_server_start_froze_them() -> None:
    """A server start freezes what it built (``gc.freeze``), which hides those objects from the collector's list:
    clearing still finds every memo, and a comparison afterwards reads the same."""
    left, right = plain_document(seed_text("000")), plain_document(seed_text("001"))
    warm = compare(left, right)
    gc.freeze()
    try:
        assert clear_caches() >= 4
        gc.unfreeze()
        held = {name for name, size in memoised().items() if size}
        assert held <= {"parallax.engine.similarity._zipf", "parallax.text._markdown"}
    finally:
        gc.unfreeze()
    assert compare(left, right).to_dict() == warm.to_dict()


def test_a_cold_comparison_starts_from_nothing_and_reads_the_same() -> None:
    """After clearing, no memo holds an entry but the models' loaders; the comparison then gives the same rows."""
    left, right = plain_document(seed_text("000")), plain_document(seed_text("001"))
    gc.unfreeze()  # a server start in this process may have frozen the memos out of the collector's list
    warm = compare(left, right)
    assert sum(memoised().values()) > 0 and any(len(cache) for cache in encoders.CACHES.values())
    clear_caches()
    held = {name for name, size in memoised().items() if size}
    # What stays is what loads once per process: the word list, and the markdown parser if a test made it.
    assert "parallax.engine.similarity._zipf" in held
    assert held <= {"parallax.engine.similarity._zipf", "parallax.text._markdown"}
    assert all(not len(cache) for cache in encoders.CACHES.values())
    cold = compare(left, right)
    assert cold.to_dict() == warm.to_dict()
