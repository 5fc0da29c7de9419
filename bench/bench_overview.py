"""Benchmark the story overview and the quote tracker on synthetic stories of 25 → 200 sources, and the overview
on one source repeating a sentence 1k → 16k times (growth per doubling: about 2 when linear, 4 when quadratic).

Run: .venv/bin/python -m bench.bench_overview  (reports; never fails on timing)
"""

from __future__ import annotations

import gc
import hashlib
import math
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from bench.story_synth import ROOT, synthetic_story
from parallax.corpus import Source
from parallax.corpus_store import load_corpus
from parallax.story import overview, quotes

SIZES = (25, 50, 100, 200)
TARGET_SECONDS = 2.0
REPEATS = (1_000, 2_000, 4_000, 8_000, 16_000)
#: Mean growth per doubling of repeated sentences above which the overview is reported as not linear.
LINEAR_GROWTH = 2.6
REPEATED = "North Korean leader Kim Jong Un arrived in Russia by armoured train for talks."
NUMBERED = "Item {} of the report says Kim Jong Un arrived in Russia by armoured train for talks."


def overview_data(sources: Sequence[Source]) -> Any:
    """What the overview page computes: matrix, orders, unique passages and the first source's coverage."""
    model = overview.story_model(sources)
    return model.coverage(0)


def repetitive_story(count: int, sentence: str) -> list[Source]:
    """The bundled story plus one source of ``count`` one-sentence paragraphs (``{}`` in it takes the number)."""
    body = "\n\n".join(sentence.format(n) for n in range(count)) + "\n"
    added = Source(id="repeated", story="kim-putin-2023", format="text", body=body, path="repeated.txt",
                   sha256=hashlib.sha256(body.encode()).hexdigest(), outlet="Repeater", published="2023-09-12")
    return [*load_corpus(ROOT / "corpus").story_sources("kim-putin-2023"), added]


def repeated_overview(sources: Sequence[Source]) -> Any:
    """The overview with the repetitive source as the base (its coverage is the costliest part), no time budget."""
    return overview.story_model(sources).coverage(len(sources) - 1)


def repetition_growth() -> None:
    """Cold overview time per doubling of repeated sentences (best of 3): identical ones and numbered near-repeats."""
    print(f"\none source repeating a sentence ({REPEATED[:40]}…), the overview with it as base, no time budget")
    print(f"{'sentences':>9} | {'KB':>6} | {'identical s':>11} {'x/doubling':>10} | "
          f"{'numbered s':>10} {'x/doubling':>10}")
    previous: tuple[float, float] | None = None
    first: tuple[float, float] = (0.0, 0.0)
    for count in REPEATS:
        same = repetitive_story(count, REPEATED)
        numbered = repetitive_story(count, NUMBERED)
        times = (min(timed(repeated_overview, same) for _ in range(3)),
                 min(timed(repeated_overview, numbered) for _ in range(3)))  # best of 3: the machine is shared
        if previous:
            growth = (f"{times[0] / previous[0]:>10.2f} | {times[1]:>10.3f} {times[1] / previous[1]:>10.2f}")
        else:
            first = times
            growth = f"{'-':>10} | {times[1]:>10.3f} {'-':>10}"
        print(f"{count:>9} | {len(same[-1].body) / 1000:>6.0f} | {times[0]:>11.3f} {growth}")
        previous = times
    assert previous is not None
    doublings = len(REPEATS) - 1
    mean = [(last / start) ** (1 / doublings) for last, start in zip(previous, first, strict=True)]
    verdict = "linear" if max(mean) <= LINEAR_GROWTH else "NOT linear"
    print(f"mean growth per doubling {REPEATS[0]:,} → {REPEATS[-1]:,}: identical {mean[0]:.2f}, numbered "
          f"{mean[1]:.2f} ({verdict}: 2 is linear, 4 quadratic; limit {LINEAR_GROWTH})")


def quote_groups(sources: Sequence[Source]) -> Any:
    """What the quote tracker computes: extraction, grouping with word diffs, phrases."""
    return quotes.story_quotes(sources)


def timed(work: Callable[[Sequence[Source]], Any], sources: Sequence[Source]) -> float:
    """Seconds for one cold run."""
    gc.collect()
    start = time.perf_counter()
    work(sources)
    return time.perf_counter() - start


def peak_mib(work: Callable[[Sequence[Source]], Any], sources: Sequence[Source]) -> float:
    """Peak traced memory (MiB) of one cold run."""
    gc.collect()
    tracemalloc.start()
    work(sources)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def story_page(repeats: int = 3, bases: int | None = None) -> tuple[float, float]:
    """The story page's work on the bundled story (pipeline.story_overview with each of the first ``bases`` sources
    as base, all when None; no time budget): with an empty comparison cache (models loaded) and with the
    comparisons cached; best of ``repeats``."""
    from cachelib import SimpleCache

    from parallax import pipeline
    from parallax.engine.compare import CompareOptions
    from parallax.memo import Memo

    sources = load_corpus(ROOT / "corpus").story_sources("kim-putin-2023")
    options = CompareOptions()

    def run(cache: SimpleCache, memo: Memo) -> float:
        start = time.perf_counter()
        for base in range(len(sources) if bases is None else bases):
            pipeline.story_overview(sources, base, options, cache, 60, memo=memo)
        return time.perf_counter() - start

    run(SimpleCache(), Memo())  # models and sentence vectors loaded once per process, as in a running server
    cold = warm = math.inf
    for _ in range(repeats):
        cache, memo = SimpleCache(threshold=1000), Memo()
        cold = min(cold, run(cache, memo))
        warm = min(warm, run(cache, memo))
    return cold, warm


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
    repetition_growth()
    for bases, label in ((1, "the first source"), (None, "every source")):
        cold, warm = story_page(bases=bases)
        print(f"story page, bundled story, {label} as base: {cold:.3f} s with no comparison cached, "
              f"{warm:.4f} s cached")


if __name__ == "__main__":
    main()
