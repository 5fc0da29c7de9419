"""Synthetic corpora for benchmarks and load tests: seed sentences recombined, with a seeded edit mix."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from parallax.corpus_store import load_corpus
from parallax.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
_WORD_RE = re.compile(r"[A-Za-z]+")


def seed_texts() -> list[str]:
    """The five seed article texts (000-004) as shipped in corpus/, in seed order."""
    sources = load_corpus(ROOT / "corpus").sources.values()
    return [s.body for s in sorted(sources, key=lambda s: s.original_file) if s.original_file][:5]


def sentence_pool(texts: Sequence[str]) -> list[str]:
    """Distinct non-trivial sentences of the texts, stripped."""
    pool: dict[str, None] = {}
    for text in texts:
        for sentence in split_sentences(text):
            if len(sentence.split()) >= 4:
                pool[sentence.strip()] = None
    return list(pool)


def vary(sentence: str, rng: random.Random, vocabulary: Sequence[str]) -> str:
    """A sentence with one word swapped for a random vocabulary word (keeps recombined text from repeating)."""
    words = sentence.split(" ")
    slot = rng.randrange(len(words))
    words[slot] = rng.choice(vocabulary)
    return " ".join(words)


def paragraphs(size: int, rng: random.Random, pool: Sequence[str]) -> list[list[str]]:
    """About size characters of paragraphs (2-5 sentences each) drawn from the pool, mostly varied."""
    vocabulary = sorted({w for s in pool for w in _WORD_RE.findall(s)})
    out: list[list[str]] = []
    total = 0
    while total < size:
        paragraph = [vary(s, rng, vocabulary) if rng.random() < 0.8 else s
                     for s in rng.sample(list(pool), rng.randint(2, 5))]
        out.append(paragraph)
        total += sum(len(s) + 1 for s in paragraph) + 1
    return out


def render(paras: Sequence[Sequence[str]]) -> str:
    """Paragraphs joined as plain text: sentences by spaces, paragraphs by blank lines."""
    return "\n\n".join(" ".join(p) for p in paras) + "\n"


def edit(paras: list[list[str]], rng: random.Random, rate: float, pool: Sequence[str]) -> list[list[str]]:
    """A copy with about rate of sentences reworded, deleted, inserted or moved (equal shares)."""
    vocabulary = sorted({w for s in pool for w in _WORD_RE.findall(s)})
    out = [list(p) for p in paras]
    moving: list[str] = []
    for paragraph in out:
        for index in range(len(paragraph) - 1, -1, -1):
            if rng.random() >= rate:
                continue
            action = rng.choice(("reword", "delete", "insert", "move"))
            if action == "reword":
                paragraph[index] = vary(vary(paragraph[index], rng, vocabulary), rng, vocabulary)
            elif action == "insert":
                paragraph.insert(index, vary(rng.choice(pool), rng, vocabulary))
            elif len(paragraph) > 1:
                removed = paragraph.pop(index)
                if action == "move":
                    moving.append(removed)
    for sentence in moving:
        rng.choice(out).append(sentence)
    return out


def synthetic_pair(size: int, seed: int = 0, rate: float = 0.05) -> tuple[str, str]:
    """An original of about size characters and its edited version (~rate of sentences touched)."""
    rng = random.Random(seed)
    pool = sentence_pool(seed_texts())
    original = paragraphs(size, rng, pool)
    return render(original), render(edit(original, rng, rate, pool))


def unrelated_pair(size: int, seed: int = 0) -> tuple[str, str]:
    """Two texts of about size characters with no sentence in common: seed text vs word salad of its vocabulary."""
    rng = random.Random(seed)
    pool = sentence_pool(seed_texts())
    vocabulary = sorted({w for s in pool for w in _WORD_RE.findall(s)})
    salad = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 25))).capitalize() + "."
             for _ in range(len(pool))]
    return render(paragraphs(size, rng, pool)), render(paragraphs(size, rng, salad))
