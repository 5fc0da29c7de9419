"""Every memo the reading engine keeps between comparisons, cleared at once: a "cold" comparison (a benchmark's,
a test's) computes every derived value afresh while the loaded models stay loaded.

The engine memoises per word (stems, rarity weights, terms), per sentence (embeddings, fact mentions) and per
text (markdown paragraphs); a process that compared the same texts before reuses all of it, so timing a second run
measures lookups, not reading.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import Any

from parallax.engine import encoders, stems, use_tokens

#: Modules whose memoised functions hold derived data (the engine's, and the text preparation it calls).
PREFIXES = ("parallax.engine", "parallax.text", "parallax.languages", "parallax.cosmetic")


def memos() -> Iterator[functools._lru_cache_wrapper[Any]]:
    """Every memoised function of those modules, found through the modules and their classes (not the collector's
    list of objects, which leaves out what a server start froze with ``gc.freeze``)."""
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(PREFIXES):
            continue
        for value in list(vars(module).values()):
            inner = list(vars(value).values()) if isinstance(value, type) else []
            for obj in (value, *(getattr(item, "__func__", item) for item in inner)):
                if (isinstance(obj, functools._lru_cache_wrapper) and id(obj) not in seen
                        and (getattr(obj, "__module__", "") or "").startswith(PREFIXES)):
                    seen.add(id(obj))
                    yield obj
    yield from use_tokens.MEMOS  # made per installed tokenizer, so in no module's namespace


def clear_caches(vectors: bool = True) -> int:
    """Forget every memoised result of the engine (word, sentence and text memos, sentence vectors, the stemmer's
    own memo and the word-frequency library's); models stay loaded. ``vectors=False`` keeps the sentence vectors
    (to tell apart what embedding costs). The number of function memos cleared."""
    cleared = 0
    for obj in memos():
        # A one-slot memo of a function without arguments holds a loaded model (a word list), not derived data.
        if obj.cache_parameters()["maxsize"] == 1 and not obj.__wrapped__.__code__.co_argcount:
            continue
        obj.cache_clear()
        cleared += 1
    for cache in encoders.CACHES.values() if vectors else ():
        cache.clear()
    stems.forget()
    wordfreq = sys.modules.get("wordfreq")
    if wordfreq is not None:
        getattr(wordfreq, "_wf_cache", {}).clear()
    return cleared
