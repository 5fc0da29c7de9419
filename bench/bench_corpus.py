"""Search and shared-passage index at corpus scale: synthetic corpora of 1k, 10k (and 100k) articles.

Each story has a wire text that several outlets carry with light edits (a word swapped, a sentence dropped, one of
their own added), some carriers rewrite a wire sentence beyond recognition (not reuse), and every article has its
own sentences and its outlet's footer. The generator knows which sentence pairs are the same wire sentence lightly
edited: that is the truth detection is scored against.

Reports per size, each size in its own process (so peak memory is that size's): index build time (wall and CPU;
growth is judged on CPU time, which other processes on a shared machine disturb far less) and peak RSS,
time spent finding shared passages, precision and recall against the truth, incremental update of one added article
(index only, and with the corpus rescan), search latency p50/p95 for word, phrase and filtered queries, and the
growth of the build per tenfold against n log n.

Run: .venv/bin/python -m bench.bench_corpus [--sizes 1000,10000,100000]  (default 1000,10000; never fails on timing)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (1_000, 10_000)
ARTICLES_PER_STORY = 8
WIRE_SENTENCES = 10
OWN_SENTENCES = (6, 14)
OUTLETS = [f"Outlet {chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(60)]
QUERIES = 200
TARGET_P95_MS = 50.0
TARGET_UPDATE_S = 1.0


def vocabulary() -> list[str]:
    """Common English words (wordfreq's list, alphabetic only), most frequent first."""
    import wordfreq

    return [w for w in wordfreq.top_n_list("en", 30_000) if w.isalpha() and (len(w) > 1 or w == "a")]


class Generator:
    """Seeded synthetic news: words drawn with Zipf-like weights, capitalised names, one sentence per line."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.cumulative = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(self.words))))
        self.names = [w.capitalize() for w in self.words[3000:6000]]

    def sentence(self) -> str:
        """One sentence of 14 to 28 words with two names."""
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=self.rng.randint(14, 28))
        for _ in range(2):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.names)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def light_edit(self, sentence: str) -> str:
        """Swap one or two words (what a copy desk does); the result is still the same passage."""
        words = sentence.rstrip(".").split()
        for _ in range(self.rng.randint(1, 2)):
            words[self.rng.randrange(1, len(words))] = self.rng.choice(self.words[:2000])
        return " ".join(words) + "."

    def rewrite(self, sentence: str) -> str:
        """Keep a few words of a sentence and write the rest anew (not reuse)."""
        kept = sentence.rstrip(".").split()[:4]
        return " ".join(kept + self.sentence().rstrip(".").split()[4:]) + "."


def front(source_id: str, story: str, outlet: str, captured: str) -> str:
    """Front matter of a generated source."""
    return (f"---\nid: {source_id}\nstory: {story}\noutlet: {outlet}\npublished: {captured[:10]}\n"
            f"captured: {captured}\nlanguage: en\n---\n")


def generate(root: Path, size: int, seed: int = 7, pairs: bool = True) -> set[tuple[str, int, str, int]]:
    """Write ``size`` articles under root; return the true shared sentence pairs (id, pos, id, pos), ids ordered
    (none with ``pairs`` False: the same files, written without keeping the ~12 pairs an article makes in memory,
    1.6 GB at a million articles). About 2,500 articles a second on one core of this machine."""
    gen = Generator(seed)
    truth: set[tuple[str, int, str, int]] = set()
    stories = max(1, size // ARTICLES_PER_STORY)
    start = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, 0))
    written = 0
    for s in range(stories):
        story = f"story-{s:06d}"
        folder = root / story
        folder.mkdir(parents=True)
        wire = [gen.sentence() for _ in range(WIRE_SENTENCES)]
        carried: list[tuple[str, dict[int, int]]] = []  # (id, wire index -> position) for lightly edited copies
        count = ARTICLES_PER_STORY if s < stories - 1 else size - written
        base = start + s * 3600 * 5
        for a in range(count):
            source_id = f"{story}-a{a}"
            outlet = gen.rng.choice(OUTLETS)
            lines: list[str] = []
            positions: dict[int, int] = {}
            own = [gen.sentence() for _ in range(gen.rng.randint(*OWN_SENTENCES))]
            if a % 4 != 3:  # three in four articles carry the wire
                for index, sentence in enumerate(wire):
                    roll = gen.rng.random()
                    if roll < 0.1:
                        continue  # dropped
                    if roll < 0.2:
                        lines.append(gen.rewrite(sentence))
                        continue
                    positions[index] = len(lines)
                    lines.append(sentence if roll < 0.6 else gen.light_edit(sentence))
                    if gen.rng.random() < 0.2 and own:
                        lines.append(own.pop())
            lines.extend(own)
            lines.append(f"Subscribe to {outlet} for the latest news and analysis every morning.")
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + a * 1800 + gen.rng.randint(0, 1700)))
            (folder / f"{source_id}.txt").write_text(front(source_id, story, outlet, stamp) + "\n".join(lines)
                                                     + "\n", encoding="utf-8")
            for other, other_positions in carried if pairs else ():
                for index, pos in positions.items():
                    if index in other_positions:
                        pair = sorted([(source_id, pos), (other, other_positions[index])])
                        truth.add((pair[0][0], pair[0][1], pair[1][0], pair[1][1]))
            carried.append((source_id, positions))
            written += 1
    return truth


def percentile(values: list[float], share: float) -> float:
    """The share-th percentile of the values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def latency(index: Any, queries: list[Any]) -> dict[str, float]:
    """p50 and p95 of search time in milliseconds."""
    times = []
    for query in queries:
        started = time.perf_counter()
        index.search(query)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2)}


def run_one(size: int) -> dict[str, Any]:
    """Generate, index and measure one size (run in its own process)."""
    from parallax.corpus_store import CorpusStore
    from parallax.index import reuse
    from parallax.index.query import parse_query
    from parallax.index.search import CorpusIndex

    work = Path(tempfile.mkdtemp(prefix=f"parallax-bench-{size}-"))
    try:
        started = time.perf_counter()
        truth = generate(work / "corpus", size)
        generated = time.perf_counter() - started
        store = CorpusStore(work / "corpus", 2_000_000, rescan=0)
        started = time.perf_counter()
        corpus = store.get()
        loaded = time.perf_counter() - started
        index = CorpusIndex(work / "search.db")
        spent = [0.0]
        original = reuse.index_units

        def timed(*args: Any) -> int:
            begun = time.perf_counter()
            try:
                return original(*args)
            finally:
                spent[0] += time.perf_counter() - begun

        reuse.index_units = timed  # type: ignore[assignment]
        started, cpu = time.perf_counter(), time.process_time()
        index.sync(corpus)
        build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
        reuse.index_units = original  # type: ignore[assignment]
        with index.lock:
            found = {(a, pa, b, pb) for a, pa, b, pb in index.db.execute(
                "SELECT d.id, sa.pos, o.id, sb.pos FROM shared JOIN docs d ON d.n = shared.da "
                "JOIN docs o ON o.n = shared.db JOIN sent sa ON sa.id = shared.a JOIN sent sb ON sb.id = shared.b "
                "WHERE d.id < o.id")}
        hits = len(found & truth)
        precision = hits / len(found) if found else 1.0
        recall = hits / len(truth) if truth else 1.0
        # Incremental: one article added to an existing story, then the index brought in step.
        gen = Generator(99)
        story = "story-000000"
        added = work / "corpus" / story / "added.txt"
        wire_line = (work / "corpus" / story / f"{story}-a0.txt").read_text(encoding="utf-8").split("---\n")[2] \
            .splitlines()[0]
        added.write_text(front("added-one", story, "Outlet ZZ", "2023-01-01T03:00:00") + wire_line + "\n"
                         + "\n".join(gen.sentence() for _ in range(10)) + "\n", encoding="utf-8")
        started = time.perf_counter()
        corpus = store.get()
        rescan = time.perf_counter() - started
        started = time.perf_counter()
        stats = index.sync(corpus)
        update = time.perf_counter() - started
        assert stats.added == 1, stats
        with index.lock:
            carried = reuse.shared_of(index.db, "added-one")
        # Queries: words of mid frequency, phrases cut from wire sentences, and the same words filtered.
        rng = random.Random(5)
        words = vocabulary()[200:3000]
        texts = [t for (t,) in index.db.execute("SELECT text FROM sent WHERE id % 97 = 0 LIMIT 400")]
        word_q = [parse_query(rng.choice(words)) for _ in range(QUERIES)]
        phrase_q = []
        for text in rng.sample(texts, min(QUERIES, len(texts))):
            parts = text.rstrip(".").split()
            at = rng.randrange(0, max(1, len(parts) - 3))
            phrase_q.append(parse_query('"' + " ".join(parts[at:at + 3]) + '"'))
        filtered_q = [parse_query(f"{rng.choice(words)} outlet:\"{rng.choice(OUTLETS)}\" from:2023-01 to:2023-06")
                      for _ in range(QUERIES)]
        common_q = [parse_query(w) for w in vocabulary()[:QUERIES // 4]]  # "the", "said": in most sentences
        docs, sentences = index.count()
        result = {
            "size": size, "docs": docs, "sentences": sentences, "generate_s": round(generated, 2),
            "load_s": round(loaded, 2), "build_s": round(build, 2), "build_cpu_s": round(build_cpu, 2),
            "reuse_s": round(spent[0], 2),
            "db_mb": round((work / "search.db").stat().st_size / 1e6, 1),
            "precision": round(precision, 3), "recall": round(recall, 3), "true_pairs": len(truth),
            "found_pairs": len(found), "update_index_s": round(update, 3), "update_with_rescan_s":
            round(update + rescan, 3), "added_shares_with": len(carried),
            "word": latency(index, word_q), "phrase": latency(index, phrase_q), "filtered": latency(index, filtered_q),
            "common": latency(index, common_q),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        index.close()
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run each size in a child process and print the figures and the growth per tenfold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma list of corpus sizes (articles), e.g. 1000,10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for size in sizes:
        child = subprocess.run([sys.executable, "-m", "bench.bench_corpus", "--one", str(size)],
                               capture_output=True, text=True, check=False)
        if child.returncode:
            print(f"size {size} failed:\n{child.stderr}", file=sys.stderr)
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result))
    print("\nsize     build s  reuse s  peak MB  P      R      update s (+rescan)  word p95  phrase p95  filtered p95"
          "  common p95")
    for r in results:
        print(f"{r['size']:<8} {r['build_s']:<8} {r['reuse_s']:<8} {r['peak_rss_mb']:<8} {r['precision']:<6} "
              f"{r['recall']:<6} {r['update_index_s']} ({r['update_with_rescan_s']})"
              f"{'':<8} {r['word']['p95_ms']:<9} {r['phrase']['p95_ms']:<11} {r['filtered']['p95_ms']:<13} "
              f"{r.get('common', {}).get('p95_ms')}")
    for small, big in itertools.pairwise(results):
        factor = big["size"] / small["size"]
        bound = factor * math.log(big["size"]) / math.log(small["size"])
        # CPU time, not wall time: on a shared machine other processes' load moves wall time by 2-3x.
        key = "build_cpu_s" if "build_cpu_s" in small and "build_cpu_s" in big else "build_s"
        ratio = big[key] / small[key] if small[key] else float("inf")
        print(f"build x{factor:g} articles: {key} x{ratio:.1f} (n log n bound x{bound:.1f}: "
              f"{'within' if ratio <= bound else 'OVER'})")
    last = results[-1]
    worst = max(last["word"]["p95_ms"], last["phrase"]["p95_ms"], last["filtered"]["p95_ms"])
    print(f"at {last['size']}: search p95 {worst} ms (target {TARGET_P95_MS}), one added article "
          f"{last['update_index_s']} s index / {last['update_with_rescan_s']} s with rescan (target {TARGET_UPDATE_S})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
