"""Sentence splitting on hostile text: time per doubling up to 1 MB (linear: about 2x per doubling), against
sentencex reading the whole text at once (superlinear), and the worst comparison and overview pages.

    .venv/bin/python -m bench.bench_split [--quick]
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import sentencex

from parallax.text import split_sentences

SIZES = (62_500, 125_000, 250_000, 500_000, 1_000_000)
#: sentencex on the whole text is left out past this many seconds at one size (it grows about tenfold per doubling).
WHOLE_CAP = 1.0
PUNCTUATION = ".!?…;:,-\"'()[] "
WORDS = ["the", "Kim", "train", "arrived", "in", "Vladivostok,", "and", "talks", "began"]


def random_punctuation(size: int) -> str:
    """Random punctuation and spaces."""
    pick = random.Random(1).choice
    return "".join(pick(PUNCTUATION) for _ in range(size))


def one_sentence(size: int, words: list[str] = WORDS, seed: int = 2) -> str:
    """Ordinary words and commas without one full stop."""
    pick = random.Random(seed).choice
    return " ".join(pick(words) for _ in range(size // 5))[:size]


def zalgo(size: int) -> str:
    """Letters under heaps of combining marks."""
    rand = random.Random(3)
    return "".join("a" + "".join(chr(0x300 + rand.randrange(0x70)) for _ in range(9))
                   + (" " if rand.random() < 0.2 else "") for _ in range(size // 10))


def quote_marks(size: int) -> str:
    """Words under quote marks and brackets that never pair up."""
    pick = random.Random(4).choice
    return "".join(pick(['"ab ', "'bc ", "(cd ", ")de ", "«ef ", "»fg ", "“gh ", "”hi "]) for _ in range(size // 4))


KINDS: dict[str, Callable[[int], str]] = {"random punctuation": random_punctuation, "one sentence": one_sentence,
                                          "zalgo": zalgo, "quote marks": quote_marks}


def whole_split(text: str) -> list[str]:
    """sentencex reading the whole text at once (as splitting did before it was bounded)."""
    return list(sentencex.segment("en", text))


def cpu(work: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU seconds of a few runs (the machine may be shared)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def splitting(sizes: tuple[int, ...]) -> None:
    """Print split time per size and the ratio per doubling, bounded and whole."""
    print(f"{'text':20} {'chars':>9} {'split':>9} {'x/doubling':>10} {'sentencex whole':>16} {'x/doubling':>10}")
    for name, make in KINDS.items():
        previous: float | None = None
        whole_previous: float | None = None
        for size in sizes:
            sample = make(size)
            took = cpu(partial(split_sentences, sample))
            whole = None
            if whole_previous is None or whole_previous < WHOLE_CAP:
                whole = cpu(partial(whole_split, sample), 1)
            ratio = f"{took / previous:.2f}" if previous else "-"
            whole_text = f"{whole:.3f} s" if whole is not None else "(skipped)"
            whole_ratio = f"{whole / whole_previous:.2f}" if whole is not None and whole_previous else "-"
            print(f"{name:20} {size:>9,} {took:>7.3f} s {ratio:>10} {whole_text:>16} {whole_ratio:>10}", flush=True)
            previous, whole_previous = took, whole if whole is not None else float("inf")


def pages() -> None:
    """Worst page time and size for hostile sources through the app (each page asked once, cold)."""
    from parallax.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="parallax-bench-split-"))
    try:
        story = folder / "patho"
        story.mkdir()
        texts = {"all-punct": random_punctuation(250_000), "zalgo": zalgo(250_000),
                 "mb-one-a": one_sentence(1_000_000), "mb-one-b": one_sentence(1_000_000, [*WORDS[::-1], "zebra"], 5)}
        for source_id, body in texts.items():
            (story / f"{source_id}.txt").write_text(f"---\nid: {source_id}\nstory: patho\noutlet: {source_id}\n---\n"
                                                    + body + "\n", encoding="utf-8")
        app = create_app({"CORPUS_DIR": str(folder), "CORPUS_RESCAN_SECONDS": 0, "SEARCH_BUILD_ON_START": False})
        client = app.test_client()
        client.get("/compare/all-punct/zalgo.json?unit=word&ignore=none")  # load the corpus, models and templates
        print(f"\n{'page':42} {'status':>6} {'seconds':>8} {'KB':>8}")
        for url in ("/compare/all-punct/zalgo", "/compare/mb-one-a/mb-one-b", "/compare/all-punct/mb-one-a",
                    "/compare/mb-one-a/mb-one-b.json", "/stories/patho", "/sources/mb-one-a/timeline"):
            started = time.monotonic()
            response = client.get(url)
            print(f"{url:42} {response.status_code:>6} {time.monotonic() - started:>8.2f} "
                  f"{len(response.data) / 1024:>8.0f}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Splitting figures, then page figures (the quick run stops at 250k characters and skips the pages)."""
    quick = "--quick" in sys.argv[1:]
    splitting(SIZES[:3] if quick else SIZES)
    if not quick:
        pages()


if __name__ == "__main__":
    main()
