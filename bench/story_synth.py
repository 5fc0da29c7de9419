"""A synthetic many-source story: the seed story's sentences recombined and edited with a seeded RNG."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from parallax.corpus import Source
from parallax.corpus_store import load_corpus
from parallax.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
STORY = "kim-putin-2023"
_WORD_RE = re.compile(r"[A-Za-z]+")


def seed_sentences() -> list[str]:
    """Distinct sentences of the seed story's sources, boilerplate left out, in story order."""
    corpus = load_corpus(ROOT / "corpus")
    pool: dict[str, None] = {}
    for source in corpus.story_sources(STORY):
        document = source.document(frozenset({"markup", "boilerplate"}))
        for passage in document.passages:
            if passage.boilerplate:
                continue
            for sentence in split_sentences(document.text[passage.start:passage.end]):
                if len(sentence.split()) >= 4:
                    pool[sentence.strip()] = None
    return list(pool)


def _edit(sentence: str, rng: random.Random, vocabulary: list[str]) -> str:
    """The sentence with one or two words swapped or dropped (keeps quote marks intact)."""
    words = sentence.split(" ")
    for _ in range(rng.randint(1, 2)):
        slot = rng.randrange(len(words))
        if rng.random() < 0.5 and len(words) > 5:
            words.pop(slot)
        else:
            words[slot] = rng.choice(vocabulary)
    return " ".join(words)


def synthetic_story(count: int, seed: int = 7) -> list[Source]:
    """``count`` sources of about 20-35 sentences each: drawn from the seed pool, ~30% edited, 1-3 per paragraph."""
    rng = random.Random(seed)
    pool = seed_sentences()
    vocabulary = sorted({w for s in pool for w in _WORD_RE.findall(s)})
    sources: list[Source] = []
    for number in range(count):
        picked = sorted(rng.sample(range(len(pool)), rng.randint(20, min(35, len(pool)))))
        if rng.random() < 0.3:  # some outlets reorder
            rng.shuffle(picked)
        sentences = [_edit(pool[i], rng, vocabulary) if rng.random() < 0.3 else pool[i] for i in picked]
        paragraphs: list[str] = []
        while sentences:
            take = rng.randint(1, 3)
            paragraphs.append(" ".join(sentences[:take]))
            sentences = sentences[take:]
        body = "\n\n".join(paragraphs) + "\n"
        sources.append(Source(id=f"synth-{number:03d}", story="synthetic", format="text", body=body,
                              path=f"synthetic/synth-{number:03d}.txt",
                              sha256=hashlib.sha256(body.encode()).hexdigest(), outlet=f"Outlet {number % 150}",
                              published=f"2023-09-{10 + number % 20:02d}"))
    return sources
