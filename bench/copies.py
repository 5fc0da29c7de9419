"""A generated corpus with known copies: articles in stories, some sentences taken from an earlier article of the
same story (verbatim or with one word changed), and the truth of which sentence came from where.

Words are made up from a seeded generator (a vocabulary of ``VOCABULARY`` pseudo-words), so two sentences that
were not copied share no passage by chance; a copied sentence keeps its origin's id, and two sentences of different
articles with the same origin are the truth's shared pairs. Each article is published a day after the one before it
in its story, so the earliest carrier of a copied sentence is its origin article.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

VOCABULARY = 20_000
STORY_SIZE = 8  # articles per story
COPY_SHARE = 0.5  # share of articles that copy from an earlier article of their story
COPIED = (2, 6)  # sentences a copying article takes (inclusive range)
EDIT_SHARE = 0.5  # share of copied sentences with one word changed


@dataclass
class Article:
    """One generated article: id, story, publication date and its sentences with the origin of each."""

    id: str
    story: str
    published: str
    sentences: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)  # a global sentence id per sentence (copies share it)

    def file_text(self) -> str:
        """The article as a corpus source file."""
        body = "\n\n".join(" ".join(self.sentences[i:i + 3]) for i in range(0, len(self.sentences), 3))
        return (f"---\nid: {self.id}\nstory: {self.story}\noutlet: Outlet {int(self.id.rsplit('-', 1)[1]) % 7}\n"
                f"published: {self.published}\n---\n{body}\n")


def _words(rng: random.Random) -> list[str]:
    letters = "bcdfghjklmnprstvwz"
    vowels = "aeiou"
    seen: dict[str, None] = {}
    while len(seen) < VOCABULARY:
        size = rng.randint(2, 4)
        seen["".join(rng.choice(letters) + rng.choice(vowels) for _ in range(size))] = None
    return list(seen)


def generate(count: int, seed: int = 1) -> Iterator[Article]:
    """``count`` articles, story by story (lazily: a million articles never sit in memory at once)."""
    rng = random.Random(seed)
    vocabulary = _words(rng)
    next_origin = 0
    start = dt.date(2020, 1, 1)
    made = 0
    while made < count:
        story = f"story-{made // STORY_SIZE:07d}"
        earlier: list[Article] = []
        for n in range(min(STORY_SIZE, count - made)):
            article = Article(f"a-{made:07d}", story, (start + dt.timedelta(days=n)).isoformat())
            for _ in range(rng.randint(8, 16)):
                words = [rng.choice(vocabulary) for _ in range(rng.randint(10, 20))]
                article.sentences.append(" ".join(words).capitalize() + ".")
                article.origins.append(next_origin)
                next_origin += 1
            if earlier and rng.random() < COPY_SHARE:
                origin = rng.choice(earlier)
                picks = rng.sample(range(len(origin.sentences)), min(len(origin.sentences), rng.randint(*COPIED)))
                for pick in picks:
                    text = origin.sentences[pick]
                    if rng.random() < EDIT_SHARE:
                        words = text.rstrip(".").split()
                        words[rng.randrange(1, len(words))] = rng.choice(vocabulary)
                        text = " ".join(words) + "."
                    at = rng.randint(0, len(article.sentences))
                    article.sentences.insert(at, text)
                    article.origins.insert(at, origin.origins[pick])
            earlier.append(article)
            made += 1
            yield article


def truth_pairs(articles: list[Article]) -> set[tuple[str, str, str]]:
    """Shared sentences as (article, other article, origin id) with article < other: what a reuse job must find."""
    by_origin: dict[int, list[str]] = {}
    for article in articles:
        for origin in article.origins:
            by_origin.setdefault(origin, []).append(article.id)
    found = set()
    for origin, holders in by_origin.items():
        for a in holders:
            for b in holders:
                if a < b:
                    found.add((a, b, str(origin)))
    return found


def truth_edges(articles: list[Article]) -> set[tuple[str, str]]:
    """Lineage edges (first carrier, later carrier) the copies make: each copy's origin article → the copier."""
    first: dict[int, str] = {}
    edges = set()
    for article in sorted(articles, key=lambda a: (a.published, a.id)):
        for origin in article.origins:
            if origin in first and first[origin] != article.id:
                edges.add((first[origin], article.id))
            first.setdefault(origin, article.id)
    return edges
