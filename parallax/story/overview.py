"""Many-sources view: similarity matrix, clustering order, passage coverage and unique passages of a story.

Everything here is cheap by design: sources are compared through sets of hashed word shingles and an inverted
index of sentence shingles, never by a full diff per pair. Results are cached per corpus state. Matching passages
is linear in the story's sentences however repetitive the text (a source's own hits are skipped as one block, and
a sentence repeated within one outlet is looked up once), and bounded by a deadline: past it, the overview shows
what it has found and says what it left out (``StoryModel.limits``).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from parallax.corpus import Source
from parallax.engine.config import ENGINE
from parallax.engine.similarity import Profile, dice, judge, profile
from parallax.languages import differ, primary
from parallax.memo import Memo
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, words_of

#: Words per shingle for the whole-source similarity.
SHINGLE = 3
#: Dice score (on word sets) at which two sentences count as the same passage changed: the engine's.
MATCH_THRESHOLD = ENGINE.changed_dice
#: Candidates a sentence is scored against per lookup: keeps one pathological sentence from costing much.
MAX_CANDIDATES = 400
#: Rarest pairing terms of a sentence looked up for sentences that carry it in other words: the engine's.
REWORDED_TERMS = ENGINE.rare_terms
#: Sentences judged per sentence as possible rewordings (those sharing most rare terms first).
REWORDED_CANDIDATES = 8
#: Sentences matched between two looks at the clock when a deadline is set.
CLOCK_EVERY = 64


@dataclass(frozen=True)
class Sent:
    """One sentence of a source, at the position the comparison engine gives it (default ignore options)."""

    pos: int
    para: int
    text: str
    key: str
    words: frozenset[str]
    grams: frozenset[int]
    boilerplate: bool


@dataclass(frozen=True)
class Prepared:
    """A source reduced to what the overview needs: its sentences and its shingle set."""

    id: str
    outlet: str
    published: str
    sentences: tuple[Sent, ...]
    shingles: frozenset[int]
    rough: bool = False  # the time budget ran out while cutting its sentences (such a one is not memoised)
    #: The source's language (primary subtag): a passage carried by a source of another language is a translation.
    language: str = "en"

    def weight(self) -> int:
        """Its weight in the memo: characters of its sentences (at least 1), so memory stays bounded by size."""
        return sum(len(s.text) for s in self.sentences) + 1


@dataclass(frozen=True)
class Carrier:
    """Another source carrying a base sentence: how (same, changed or reworded), where, and how closely."""

    source: int
    kind: str
    pos: int
    score: float


@dataclass(frozen=True)
class Coverage:
    """One sentence of the base source and the other sources that carry it."""

    sent: Sent
    carriers: tuple[Carrier, ...]


def shingles(words: Sequence[str], size: int = SHINGLE) -> frozenset[int]:
    """Hashed word n-grams of a word list (the whole list when it is shorter than n)."""
    if len(words) < size:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    return frozenset(hash(tuple(words[i:i + size])) for i in range(len(words) - size + 1))


def _prepared_key(source: Source) -> tuple[str, str, str, str, str]:
    """What a prepared source depends on: its text (``content_key``) and the metadata it carries."""
    return (source.id, source.content_key, source.outlet, source.published, source.language)


def prepare(source: Source, memo: Memo | None = None, deadline: float | None = None) -> Prepared:
    """Sentences and shingles of one source (memoised per id, content key, outlet and published date); text read
    after ``deadline`` (``time.monotonic()``) is cut into sentences by the plain rule, and the result is ``rough``.

    Keyed on strings only, never on the Source: a memo entry must not keep an old (up to 2 MB) body alive.
    """
    if memo is not None:
        return memo.get("prepared", _prepared_key(source), lambda: prepare(source, deadline=deadline),
                        keep=lambda prepared: not prepared.rough)
    document = source.document(DEFAULT_IGNORE)
    starts = sorted(p.start for p in document.passages)
    sents: list[Sent] = []
    body_words: list[str] = []
    for pos, sentence in enumerate(cut_sentences(document, DEFAULT_IGNORE, deadline=deadline)):
        lead = len(sentence.text) - len(sentence.text.lstrip())
        para = max(bisect_right(starts, sentence.start + lead) - 1, 0)
        found = words_of(sentence.text)
        sents.append(Sent(pos, para, sentence.text.strip(), sentence.key, frozenset(found),
                          shingles(found, 2), sentence.boilerplate))
        if not sentence.boilerplate:
            body_words.extend(found)
    rough = deadline is not None and time.monotonic() > deadline
    return Prepared(source.id, source.outlet or source.id, source.published, tuple(sents), shingles(body_words), rough,
                    primary(source.language))


def similarity_matrix(prepared: Sequence[Prepared]) -> list[list[float]]:
    """Dice similarity of the word 3-shingle sets of every pair of sources (1.0 on the diagonal).

    Each set becomes a bit vector (a Python int) over the story's shingle vocabulary, so a pair costs one AND and
    one popcount instead of a set intersection.
    """
    vocabulary: dict[int, int] = {}
    vectors: list[int] = []
    for source in prepared:
        bits = 0
        for shingle in source.shingles:
            bits |= 1 << vocabulary.setdefault(shingle, len(vocabulary))
        vectors.append(bits)
    sizes = [len(p.shingles) for p in prepared]
    n = len(prepared)
    matrix = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            total = sizes[i] + sizes[j]
            matrix[i][j] = matrix[j][i] = 2 * (vectors[i] & vectors[j]).bit_count() / total if total else 1.0
    return matrix


def date_order(prepared: Sequence[Prepared]) -> list[int]:
    """Indices by published date, unknown dates last (ties keep the story's order)."""
    return sorted(range(len(prepared)), key=lambda i: prepared[i].published or "9999")


def cluster_order(matrix: Sequence[Sequence[float]]) -> list[int]:
    """Indices as a greedy nearest-neighbour chain from the most similar pair, so similar sources sit together."""
    n = len(matrix)
    if n < 3:
        return list(range(n))
    best = max((matrix[i][j], -i, -j) for i in range(n) for j in range(i + 1, n))
    chain = [-best[1], -best[2]]
    left = set(range(n)) - set(chain)
    while left:
        # Grow at whichever end has the closer unvisited neighbour.
        head, tail = chain[0], chain[-1]
        to_tail = max(left, key=lambda k: (matrix[tail][k], -k))
        to_head = max(left, key=lambda k: (matrix[head][k], -k))
        if matrix[head][to_head] > matrix[tail][to_tail]:
            chain.insert(0, to_head)
            left.discard(to_head)
        else:
            chain.append(to_tail)
            left.discard(to_tail)
    return chain


def outside(hits: Sequence[tuple[int, int]], skip: Callable[[int], bool]) -> Iterator[tuple[int, int]]:
    """Hits (sorted by source, as the index keeps them) whose source is not skipped.

    A skipped source's hits are jumped over in one binary search, so a source repeating one sentence thousands
    of times costs a lookup of its own sentences nothing: without this, matching is quadratic in repetition.
    """
    at, end = 0, len(hits)
    while at < end:
        source = hits[at][0]
        if skip(source):
            at = bisect_left(hits, (source + 1,), at, end)
            continue
        yield hits[at]
        at += 1


class SentenceIndex:
    """Inverted index of sentence word-bigrams over every source of a story, for cheap passage matching."""

    def __init__(self, prepared: Sequence[Prepared], deadline: float = math.inf) -> None:
        """Index every non-boilerplate sentence by its exact key and by its word bigrams, and by its rare terms
        until ``deadline`` (``time.monotonic()``): ``unprofiled`` counts the sentences left out of the reworded
        tier."""
        self.prepared = prepared
        self.unprofiled = 0
        self.by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.by_gram: dict[int, list[tuple[int, int]]] = defaultdict(list)
        #: The engine's pairing profile of each indexed sentence, and its rare-term index (the reworded tier).
        self.profiles: dict[tuple[int, int], Profile] = {}
        self.by_term: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for s, source in enumerate(prepared):
            for n, sent in enumerate(source.sentences):
                if sent.boilerplate or not sent.words:
                    continue
                self.by_key[sent.key].append((s, n))
                for gram in sent.grams:
                    self.by_gram[gram].append((s, n))
                if self.unprofiled or (len(self.profiles) % CLOCK_EVERY == 0 and time.monotonic() > deadline):
                    self.unprofiled += 1
                    continue
                found = self.profiles[(s, n)] = profile(sent.text, sent.key)
                if found.substantive:
                    for term in found.terms:
                        self.by_term[term].append((s, n))

    def reworded(self, source: int, n: int, skip: Callable[[int], bool]) -> list[tuple[int, int, float]]:
        """Sentences of other (not skipped) sources telling sentence n of source in other words, as the engine's
        reworded tier judges them: (source, sentence, score), looked up through the rarest shared terms."""
        mine = self.profiles.get((source, n))
        if mine is None or not mine.substantive:
            return []
        # Only terms some eligible sentence has: the sentence's own rare words would find nothing.
        # (``outside`` jumps over a skipped source's block of hits, so repetition stays linear.)
        eligible = {t: list(itertools.islice(outside(self.by_term[t], lambda k: k == source or skip(k)),
                                             MAX_CANDIDATES)) for t in mine.terms}
        shared = [t for t, hits in eligible.items() if hits]
        counts: Counter[tuple[int, int]] = Counter()
        for term in heapq.nsmallest(REWORDED_TERMS, shared, key=lambda t: (len(eligible[t]), t)):
            counts.update(eligible[term])
        hits = counts
        found: list[tuple[int, int, float]] = []
        for hit, count in sorted(hits.items(), key=lambda h: (-h[1], h[0]))[:REWORDED_CANDIDATES]:
            if count < 2:
                break
            tier, score = judge(mine, self.profiles[hit])
            if tier == "reworded":
                found.append((hit[0], hit[1], score))
        return found

    def _candidates(self, sent: Sent, skip: Callable[[int], bool]) -> list[tuple[int, int]]:
        """Distinct sentences of other sources sharing a bigram with this one, rarest bigrams first, capped."""
        seen: dict[tuple[int, int], None] = {}
        for gram in sorted(sent.grams, key=lambda g: len(self.by_gram.get(g, ()))):
            for hit in outside(self.by_gram.get(gram, ()), skip):
                seen[hit] = None
                if len(seen) >= MAX_CANDIDATES:
                    return list(seen)
        return list(seen)

    def _edited_kind(self, mine: tuple[int, int], hit: tuple[int, int]) -> str:
        """How a sentence sharing most words with another carries it, as the comparison page's rows say: "reworded"
        when the engine's judge reads the pair as the same fact in other words, else "changed"."""
        a, b = self.profiles.get(mine), self.profiles.get(hit)
        return "reworded" if a is not None and b is not None and judge(a, b)[0] == "reworded" else "changed"

    def best_per_source(self, source: int, sent: Sent) -> dict[int, Carrier]:
        """For one sentence, the best-matching sentence in each other source reaching the threshold."""
        best: dict[int, Carrier] = {}
        for s, n in outside(self.by_key.get(sent.key, ()), lambda k: k == source or k in best):
            best[s] = Carrier(s, "same", self.prepared[s].sentences[n].pos, 1.0)
        for s, n in self._candidates(sent, lambda k: k == source or k in best):
            other = self.prepared[s].sentences[n]
            score = dice(sent.words, other.words, empty=1.0)
            if score >= MATCH_THRESHOLD and (s not in best or score > best[s].score):
                best[s] = Carrier(s, self._edited_kind((source, sent.pos), (s, n)), other.pos, round(score, 3))
        # A source that carries the sentence only in other words carries it too.
        for s, n, score in self.reworded(source, sent.pos, lambda k: k in best and best[k].kind != "reworded"):
            if s not in best or score > best[s].score:
                best[s] = Carrier(s, "reworded", self.prepared[s].sentences[n].pos, round(score, 3))
        return best

    def carried_elsewhere(self, source: int, sent: Sent, outlet_of: Sequence[int]) -> bool:
        """Whether any source of another outlet carries this sentence (stops at the first one found)."""
        mine = outlet_of[source]

        def same_outlet(s: int) -> bool:
            return outlet_of[s] == mine

        if next(outside(self.by_key.get(sent.key, ()), same_outlet), None) is not None:
            return True
        checked: set[tuple[int, int]] = set()
        for gram in sorted(sent.grams, key=lambda g: len(self.by_gram.get(g, ()))):
            for hit in outside(self.by_gram.get(gram, ()), same_outlet):
                if hit in checked:
                    continue
                checked.add(hit)
                if dice(sent.words, self.prepared[hit[0]].sentences[hit[1]].words, empty=1.0) >= MATCH_THRESHOLD:
                    return True
                if len(checked) >= MAX_CANDIDATES:
                    return False
        return bool(self.reworded(source, sent.pos, lambda k: outlet_of[k] == mine))


def coverage(index: SentenceIndex, base: int, deadline: float = math.inf) -> list[Coverage]:
    """Each non-boilerplate sentence of the base source with the other sources that carry it (up to the deadline)."""
    out: list[Coverage] = []
    for sent in index.prepared[base].sentences:
        if sent.boilerplate or not sent.words:
            continue
        if len(out) % CLOCK_EVERY == CLOCK_EVERY - 1 and time.monotonic() > deadline:
            break
        found = index.best_per_source(base, sent)
        out.append(Coverage(sent, tuple(found[s] for s in sorted(found))))
    return out



def extend_runs(runs: list[list[Sent]], previous: Sent | None, sent: Sent) -> None:
    """Add a sentence to the last run when it follows ``previous`` in its paragraph, else start a run with it."""
    if runs and previous is not None and previous.para == sent.para and previous.pos + 1 == sent.pos:
        runs[-1].append(sent)
    else:
        runs.append([sent])


def unique_passages(index: SentenceIndex, deadline: float = math.inf) -> tuple[list[list[list[Sent]]], int]:
    """Per source, runs of consecutive sentences (within a paragraph) that no source of another outlet carries.

    Also returns how many sentences were checked: all of them (``matchable(index)``) unless the deadline passed
    first, when later sentences are left out.
    """
    numbers: dict[str, int] = {}
    outlet_of = [numbers.setdefault(p.outlet, len(numbers)) for p in index.prepared]
    known: dict[tuple[int, str], bool] = {}  # (outlet, sentence key) -> carried elsewhere: repeats looked up once
    result: list[list[list[Sent]]] = [[] for _ in index.prepared]
    checked = 0
    for s, source in enumerate(index.prepared):
        runs = result[s]
        previous: Sent | None = None
        for sent in source.sentences:
            if sent.boilerplate or not sent.words:
                continue
            if checked % CLOCK_EVERY == CLOCK_EVERY - 1 and time.monotonic() > deadline:
                return result, checked
            checked += 1
            memo = (outlet_of[s], sent.key)
            carried = known.get(memo)
            if carried is None:
                carried = known[memo] = index.carried_elsewhere(s, sent, outlet_of)
            if carried:
                continue
            extend_runs(runs, previous, sent)
            previous = sent
    return result, checked


def matchable(prepared: Sequence[Prepared]) -> int:
    """Sentences the overview matches across sources (not boilerplate, with words)."""
    return sum(1 for p in prepared for sent in p.sentences if not sent.boilerplate and sent.words)


def budget_note(what: str, done: int, total: int, budget: float) -> str:
    """The note shown when the overview's time budget cut a part short."""
    return (f"time budget of {budget:g} s reached: {what} checked {done:,} of {total:,} passages; "
            "the rest are not listed")


@dataclass(frozen=True)
class StoryModel:
    """The overview's computed data for one corpus state of a story."""

    prepared: tuple[Prepared, ...]
    matrix: list[list[float]]
    orders: dict[str, list[int]]
    index: SentenceIndex
    unique: list[list[list[Sent]]]
    limits: tuple[str, ...] = ()  # parts cut short by the time budget (such a model is not cached)
    _coverage: dict[int, list[Coverage]] = field(default_factory=dict, repr=False, compare=False)

    def in_translation(self, source: int, other: int) -> bool:
        """Whether ``other`` carries ``source``'s passages in translation (the two are in different languages):
        such a passage is carried all the same, in other words of another language."""
        return differ(self.prepared[source].language, self.prepared[other].language)

    def coverage(self, base: int) -> list[Coverage]:
        """Coverage of one base source (memoised per model)."""
        return self.coverage_within(base)[0]

    def coverage_within(self, base: int, deadline: float = math.inf) -> tuple[list[Coverage], bool]:
        """Coverage of one base source up to a deadline, and whether it is whole (only whole ones are memoised)."""
        found = self._coverage.get(base)
        if found is not None:
            return found, True
        found = coverage(self.index, base, deadline)
        whole = len(found) == matchable(self.prepared[base:base + 1])
        if whole:
            self._coverage[base] = found
        return found, whole


def _memo_key(sources: Sequence[Source]) -> tuple[tuple[str, str, str, str, str], ...]:
    """What the overview depends on: each source's text (``content_key``) and the metadata it shows."""
    return tuple(_prepared_key(s) for s in sources)


def build_model(sources: Sequence[Source], budget: float = math.inf, deadline: float = math.inf,
                memo: Memo | None = None) -> StoryModel:
    """Compute the overview data of a list of sources (uncached); matching stops at the deadline (``budget`` names
    the seconds it stands for in the note)."""
    prepared = tuple(prepare(s, memo, deadline) for s in sources)
    matrix = similarity_matrix(prepared)
    index = SentenceIndex(prepared, deadline)
    orders = {"date": date_order(prepared), "cluster": cluster_order(matrix)}
    unique, checked = unique_passages(index, deadline)
    total = matchable(prepared)
    limits: tuple[str, ...] = (budget_note("unique content", checked, total, budget),) if checked < total else ()
    if index.unprofiled:
        limits += (f"time budget of {budget:g} s reached: {index.unprofiled:,} of {total:,} passages were not "
                   "looked for in other words",)
    rough = sum(p.rough for p in prepared)
    if rough:
        limits += (f"time budget of {budget:g} s reached while cutting sentences: {rough} of {len(prepared)} "
                   "sources were cut after every full stop, question or exclamation mark",)
    return StoryModel(prepared, matrix, orders, index, unique, limits)


def story_model(sources: Sequence[Source], budget: float = math.inf, deadline: float | None = None,
                memo: Memo | None = None) -> StoryModel:
    """The overview data of a story's sources, memoised per corpus state (ids, content keys and metadata).

    Matching stops ``budget`` seconds from now (or at ``deadline``, a ``time.monotonic()`` value, when given); a
    model cut short says so in ``limits`` and is built again next time rather than kept.
    """
    end = deadline if deadline is not None else time.monotonic() + budget
    if memo is None:
        return build_model(sources, budget, end)
    return memo.get("models", _memo_key(sources), lambda: build_model(sources, budget, end, memo),
                    keep=lambda model: not model.limits)


def similarity(sources: Sequence[Source], memo: Memo | None = None) -> list[list[float]]:
    """Just the similarity matrix of a story's sources (as ``story_model(sources).matrix``), for the index page:
    memoised per the sources' content keys (the matrix reads nothing else) and built from the memoised ``prepare``
    alone. The result is shared: do not mutate it."""
    if len(sources) < 2:
        return [[1.0] * len(sources) for _ in sources]
    if memo is None:
        return similarity_matrix([prepare(s) for s in sources])
    return memo.get("similarity", tuple(s.content_key for s in sources),
                    lambda: similarity_matrix([prepare(s, memo) for s in sources]))
