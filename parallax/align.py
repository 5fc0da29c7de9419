"""Sentence alignment: exact anchors, fuzzy pairing with split/merge, and moved detection."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from parallax.diffing import Encoder, diff_codes
from parallax.text import Document, fold, split_sentences

#: Pairing tokens, deliberately not text.WORD_RE (the word of counts): the fuzzy pairing's threshold and its
#: rare-token candidate lookup are tuned on plain runs of word characters. With WORD_RE "Un’s" becomes one more
#: token found on one side only, crowds the lookup's rarest-token slots, and the Moscow Times/RT seed pair loses
#: its armored-train pairing (tests/test_engine_seeds.py::test_distant_seeds_pair_only_the_shared_fact).
_TOKEN_RE = re.compile(r"\w+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: Rarest tokens of a sentence used to look up fuzzy candidates.
RARE_TOKENS = 4
#: A token in more unmatched sentences than this says nothing about which sentence pairs with which.
MAX_POSTINGS = 40
#: Candidates scored per sentence, the ones sharing most rare tokens first.
MAX_CANDIDATES = 8
#: Dice score (on word multisets) a pair must reach to count as the same sentence reworded.
PAIR_THRESHOLD = 0.5


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document: its exact span (trailing whitespace included) and where it stands."""

    start: int
    end: int
    text: str
    key: str
    para_start: bool
    boilerplate: bool


@dataclass(frozen=True)
class Pair:
    """Sentences [left, left_end) matched with [right, right_end); score is their Dice similarity."""

    left: int
    left_end: int
    right: int
    right_end: int
    score: float
    moved: bool = False


def cut_sentences(document: Document, ignore: frozenset[str]) -> list[Sentence]:
    """Sentences of a document that partition its text exactly (separators go with the sentence before)."""
    text = document.text
    # The sentence splitter cannot encode lone surrogates; only piece lengths are used, so stand-ins do.
    splittable = _SURROGATE_RE.sub("\ufffd", text)
    starts: list[tuple[int, bool, bool]] = []
    for passage in sorted(document.passages, key=lambda p: p.start):
        offset = passage.start
        for index, piece in enumerate(split_sentences(splittable[passage.start:passage.end])):
            if piece and (not starts or offset > starts[-1][0]):
                starts.append((offset, index == 0, passage.boilerplate))
            offset += len(piece)
    if text and not starts:
        starts.append((0, True, False))
    sentences: list[Sentence] = []
    for number, (start, para_start, boilerplate) in enumerate(starts):
        begin = 0 if number == 0 else start
        end = starts[number + 1][0] if number + 1 < len(starts) else len(text)
        piece = text[begin:end]
        sentences.append(Sentence(begin, end, piece, match_key(piece, ignore), para_start, boilerplate))
    return sentences


def match_key(text: str, ignore: frozenset[str]) -> str:
    """The key sentences are matched on: folded text without surrounding whitespace."""
    return fold(text, ignore).strip()


def exact_anchors(left: Sequence[str], right: Sequence[str], seconds: float) -> list[tuple[int, int]]:
    """In-order pairs of identical keys, found by diffing one code point per distinct key."""
    encoder = Encoder()
    pairs: list[tuple[int, int]] = []
    i = j = 0
    for op, length in diff_codes(encoder.encode(left), encoder.encode(right), seconds, semantic=False):
        if op == "=":
            pairs.extend((i + k, j + k) for k in range(length))
        i += length if op != "+" else 0
        j += length if op != "-" else 0
    return pairs


def words(key: str) -> Counter[str]:
    """Word multiset of a key, case-folded: fuzzy pairing looks at vocabulary, not spelling of case."""
    return Counter(_TOKEN_RE.findall(key.casefold()))


def dice(a: Counter[str], b: Counter[str]) -> float:
    """Dice coefficient of two word multisets."""
    total = sum(a.values()) + sum(b.values())
    # Intersect keys in C first: Counter's & builds a new Counter and is several times slower in this hot loop.
    shared = sum(min(a[word], b[word]) for word in a.keys() & b.keys())
    return 2 * shared / total if total else 0.0


def fuzzy_pairs(left: Sequence[Sentence], right: Sequence[Sentence], free_left: Sequence[int],
                free_right: Sequence[int], gaps: tuple[dict[int, int], dict[int, int]]) -> list[Pair]:
    """Pair unmatched sentences whose word multisets are similar, greedily by score, found via rare tokens."""
    left_bags = {i: words(left[i].key) for i in free_left}
    right_bags = {j: words(right[j].key) for j in free_right}
    frequency: Counter[str] = Counter()
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for i in free_left:
        frequency.update(left_bags[i].keys())
    for j in free_right:
        frequency.update(right_bags[j].keys())
        for token in right_bags[j]:
            postings[token].append(j)
    scored = [candidate for i in free_left for candidate in _candidates(i, left_bags[i], right_bags, postings,
                                                                          frequency, left, right, gaps)]
    scored.sort()
    taken_left: set[int] = set()
    taken_right: set[int] = set()
    pairs: list[Pair] = []
    for negative, _, _, i, j in scored:
        if i not in taken_left and j not in taken_right:
            taken_left.add(i)
            taken_right.add(j)
            pairs.append(Pair(i, i + 1, j, j + 1, -negative))
    return pairs


def _candidates(i: int, bag: Counter[str], right_bags: dict[int, Counter[str]], postings: dict[str, list[int]],
                frequency: Counter[str], left: Sequence[Sentence], right: Sequence[Sentence],
                gaps: tuple[dict[int, int], dict[int, int]]) -> list[tuple[float, bool, float, int, int]]:
    """Scored right partners of left sentence i reaching the threshold, as sortable tuples (best first)."""
    shared: Counter[int] = Counter()
    for token in _rare(bag, frequency):
        if len(postings.get(token, ())) <= MAX_POSTINGS:
            shared.update(postings.get(token, ()))
    size = sum(bag.values())
    found: list[tuple[float, bool, float, int, int]] = []
    for j, _ in shared.most_common(MAX_CANDIDATES):
        other = sum(right_bags[j].values())
        # Dice can reach the threshold only if the shorter bag could be mostly shared.
        if 2 * min(size, other) < PAIR_THRESHOLD * (size + other):
            continue
        score = dice(bag, right_bags[j])
        if score >= PAIR_THRESHOLD:
            # Ties go to the pair in the same gap between anchors, then the closest in position.
            drift = abs(i / max(len(left), 1) - j / max(len(right), 1))
            found.append((-score, gaps[0][i] != gaps[1][j], drift, i, j))
    return found


def _rare(bag: Counter[str], frequency: Counter[str]) -> list[str]:
    """The few rarest tokens of a bag (by how many unmatched sentences hold them)."""
    return sorted(bag, key=lambda token: (frequency[token], token))[:RARE_TOKENS]


def extend_pairs(pairs: list[Pair], left: Sequence[Sentence], right: Sequence[Sentence], free_left: set[int],
                 free_right: set[int]) -> list[Pair]:
    """Grow fuzzy pairs over adjacent unmatched sentences when that raises their score (split/merged sentences)."""
    grown: list[Pair] = []
    for pair in pairs:
        improved = True
        while improved:
            improved = False
            for candidate in _neighbours(pair, free_left, free_right):
                score = dice(_bag(left, candidate.left, candidate.left_end),
                             _bag(right, candidate.right, candidate.right_end))
                if score > pair.score:
                    free_left.difference_update(range(candidate.left, candidate.left_end))
                    free_right.difference_update(range(candidate.right, candidate.right_end))
                    pair = Pair(candidate.left, candidate.left_end, candidate.right, candidate.right_end, score)
                    improved = True
                    break
        grown.append(pair)
    return grown


def _neighbours(pair: Pair, free_left: set[int], free_right: set[int]) -> list[Pair]:
    """The pair extended by one adjacent unmatched sentence, in each of four directions."""
    options: list[Pair] = []
    if pair.left - 1 in free_left:
        options.append(Pair(pair.left - 1, pair.left_end, pair.right, pair.right_end, 0.0))
    if pair.left_end in free_left:
        options.append(Pair(pair.left, pair.left_end + 1, pair.right, pair.right_end, 0.0))
    if pair.right - 1 in free_right:
        options.append(Pair(pair.left, pair.left_end, pair.right - 1, pair.right_end, 0.0))
    if pair.right_end in free_right:
        options.append(Pair(pair.left, pair.left_end, pair.right, pair.right_end + 1, 0.0))
    return options


def _bag(sentences: Sequence[Sentence], start: int, end: int) -> Counter[str]:
    """Word multiset of a run of sentences."""
    bag: Counter[str] = Counter()
    for sentence in sentences[start:end]:
        bag.update(words(sentence.key))
    return bag


def mark_moved(pairs: list[Pair]) -> list[Pair]:
    """Pairs sorted by left index, those outside the longest in-order run (by right index) flagged as moved."""
    ordered = sorted(pairs, key=lambda p: p.left)
    keep = set(_longest_increasing([p.right for p in ordered]))
    return [p if n in keep else Pair(p.left, p.left_end, p.right, p.right_end, p.score, True)
            for n, p in enumerate(ordered)]


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """Positions of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []
    tail_at: list[int] = []
    previous = [-1] * len(values)
    for position, value in enumerate(values):
        slot = bisect_left(tails, value)
        if slot:
            previous[position] = tail_at[slot - 1]
        if slot == len(tails):
            tails.append(value)
            tail_at.append(position)
        else:
            tails[slot] = value
            tail_at[slot] = position
    chain: list[int] = []
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        chain.append(position)
        position = previous[position]
    return chain[::-1]


def gap_numbers(count: int, anchors: Sequence[int]) -> dict[int, int]:
    """For each sentence index, how many anchors stand before it (which gap between anchors it is in)."""
    gaps: dict[int, int] = {}
    anchored = sorted(anchors)
    for index in range(count):
        gaps[index] = bisect_left(anchored, index)
    return gaps
