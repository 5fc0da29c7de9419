"""Benchmark the story overview and the quote tracker on synthetic stories of 25 → 200 sources.

Run: .venv/bin/python -m bench.bench_overview  (reports; never fails on timing)
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from bench.story_synth import synthetic_story
from parallax import overview, quotes
from parallax.corpus import Source

SIZES = (25, 50, 100, 200)
TARGET_SECONDS = 2.0


def clear_caches() -> None:
    """Forget every cached overview, matrix, prepared source and extracted quote, so each run starts cold."""
    overview.story_model.cache_clear()
    overview.similarity.cache_clear()
    overview.prepare.cache_clear()
    quotes.story_quotes.cache_clear()
    quotes._extract_cached.cache_clear()


def overview_data(sources: Sequence[Source]) -> Any:
    """What the overview page computes: matrix, orders, unique passages and the first source's coverage."""
    model = overview.story_model(sources)
    return model.coverage(0)


def quote_groups(sources: Sequence[Source]) -> Any:
    """What the quote tracker computes: extraction, grouping with word diffs, phrases."""
    return quotes.story_quotes(sources)


def timed(work: Callable[[Sequence[Source]], Any], sources: Sequence[Source]) -> float:
    """Seconds for one cold run."""
    clear_caches()
    gc.collect()
    start = time.perf_counter()
    work(sources)
    return time.perf_counter() - start


def peak_mib(work: Callable[[Sequence[Source]], Any], sources: Sequence[Source]) -> float:
    """Peak traced memory (MiB) of one cold run."""
    clear_caches()
    gc.collect()
    tracemalloc.start()
    work(sources)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    """Print a table of cold timings, growth per doubling and peak memory."""
    story = synthetic_story(max(SIZES))
    print(f"synthetic story: {len(story)} sources, {sum(len(s.body) for s in story) / len(story):,.0f} chars each")
    print(f"{'sources':>7} | {'overview s':>10} {'x/doubling':>10} {'peak MiB':>8} | "
          f"{'quotes s':>8} {'x/doubling':>10} {'peak MiB':>8} | {'groups':>6} {'warm s':>7}")
    previous: tuple[float, float] | None = None
    last: tuple[float, float] = (0.0, 0.0)
    for size in SIZES:
        sources = story[:size]
        over = min(timed(overview_data, sources) for _ in range(2))
        quote = min(timed(quote_groups, sources) for _ in range(2))
        over_mem, quote_mem = peak_mib(overview_data, sources), peak_mib(quote_groups, sources)
        clear_caches()
        groups = len(quote_groups(sources)[0])
        overview_data(sources)
        start = time.perf_counter()
        overview_data(sources)
        quote_groups(sources)
        warm = time.perf_counter() - start
        growth = (f"{over / previous[0]:>10.2f}", f"{quote / previous[1]:>10.2f}") if previous else ("-".rjust(10),) * 2
        print(f"{size:>7} | {over:>10.3f} {growth[0]} {over_mem:>8.1f} | {quote:>8.3f} {growth[1]} {quote_mem:>8.1f} | "
              f"{groups:>6} {warm:>7.4f}")
        previous = last = (over, quote)
    verdict = all(t <= TARGET_SECONDS for t in last)
    print(f"targets at {max(SIZES)} sources: overview ≤ {TARGET_SECONDS} s and quotes ≤ {TARGET_SECONDS} s: "
          f"{'met' if verdict else 'NOT met'} ({last[0]:.2f} s, {last[1]:.2f} s)")


if __name__ == "__main__":
    main()
