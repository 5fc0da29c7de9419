"""Sentence alignment: exact anchors, similarity pairing in three tiers (same, changed, reworded), moved detection.

Every step is computed in one canonical orientation of the two documents (``canonical_order``) and mirrored
back, so comparing B with A gives exactly the pairs, tiers and moved flags of A with B.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import math
import os
import re
import shutil
import tempfile
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import snowballstemmer

from parallax.engine.config import ENGINE, EngineConfig
from parallax.engine.diffing import Encoder, diff_codes
from parallax.model import DEFAULT_IGNORE
from parallax.text import Document, fold, normalize, split_sentences

#: Surface words: plain runs of word characters of a folded key, case-folded. The "changed" tier's Dice counts
#: these (edited wording = mostly the same words in the same spelling). Deliberately not text.WORD_RE (the word
#: of counts, which keeps "Un’s" and "Jong-un" whole): here "Un" in "Un’s" is the same word as "Un".
_SURFACE_RE = re.compile(r"\w+")
#: Pairing terms: digit runs (with inner separators) and letter runs, read from the normalised sentence text (not
#: the key, whose dash folding glues "anti-tank" into one word). Compounds and possessives come apart here, and
#: each hyphenated compound also adds its joined form, so "anti-tank" meets "antitank".
_TERM_RE = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+")
_COMPOUND_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:[-\u2010\u2011][^\W\d_]+)+")
_STEMMER = snowballstemmer.stemmer("english")
#: Stems of days, months and titles: capitalised, but dates and forms of address rather than names.
_NOT_NAMES = frozenset(_STEMMER.stemWords([
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "mr", "mrs", "ms", "dr", "sir", "prof"]))
#: A live blog entry's leading time stamp ("11:40 Heraklion airport is operating normally.").
_STAMP_RE = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s+(?=\S)")
#: A wire dateline ("HERAKLION, Greece, June 4 (Reuters) - ", "BOSTON (AP) — ").
_DATELINE_RE = re.compile(r"^\s*[A-Z][A-Z .'-]{2,}(?:,[^()\n]{0,40})?\s*\((?:Reuters|AP|AFP|Bloomberg|dpa|UPI)\)"
                          r"\s*[-\u2013\u2014]+\s*")
_TAG_RE = re.compile(r"<[^<>]{1,200}>")
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_HYPHENS = ("-", "\u2010", "\u2011")
#: British -our spellings to American (neighbours/neighbors, armoured/armored) before stemming.
_OUR_RE = re.compile(r"(?<=[a-z]{3})our(?=(?:s|ed|ing|ite|ites|hood|able)?$)")
#: Credit and caption lines: photo agencies after a slash, ©, "Hide Caption 9 of 16", "AFP contributed reporting".
_CREDIT_RE = re.compile(
    r"©|\(c\)\s|\bgetty\s+images\b|\bhide\s+caption\b|\bcaption\s+\d+\s+of\s+\d+\b|\bphoto(?:graph)?s?\s*(?::|by\b)"
    r"|\b(?:image|credit|source)\s*:|\bcontributed\s+(?:to\s+)?(?:this\s+)?report|\b(?:reporting|editing|writing)\s+by\b"
    r"|/\s*(?:afp|ap|epa|nbae|getty|reuters|bloomberg|shutterstock|xinhua|tass|sputnik|ria|kcna|kns|str)\b"
    r"|\b(?:afp|ap|epa|reuters|getty)\s*/",
    re.IGNORECASE)
#: Substrings every credit-line pattern contains (a cheap test before the pattern).
_CREDIT_HINTS = ("/", "©", "(c)", "caption", "photo", "image", "credit", "source", "contribut", "reporting", "editing",
                 "writing")
#: Words of credit lines: inside an ordinary sentence they say who took the photo, not what happened.
_CREDIT_WORDS = frozenset({"getty", "images", "afp", "ap", "epa", "nbae", "reuters", "shutterstock", "caption",
                           "photo", "photograph", "hide", "contributed", "reporting", "str", "kns", "via"})
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_TIERS = ("same", "changed", "reworded")


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
    """Sentences [left, left_end) matched with [right, right_end); score is the similarity that paired them."""

    left: int
    left_end: int
    right: int
    right_end: int
    score: float
    moved: bool = False
    tier: str = "same"

    def mirrored(self) -> Pair:
        """The same pair seen from the other side."""
        return Pair(self.right, self.right_end, self.left, self.left_end, self.score, self.moved, self.tier)


@dataclass(frozen=True)
class Profile:
    """What similarity pairing reads of a sentence: weighted stemmed terms, surface words and its substance."""

    text: str
    terms: dict[str, float]
    total: float
    content: int
    surface: Counter[str]
    substantive: bool
    size: int
    names: frozenset[str] = frozenset()


@dataclass
class CutMemo:
    """Sentence splits by passage text and match keys by sentence text, shared by the two documents of one
    comparison: most passages of two versions are the same text, so each is split and folded once."""

    splits: dict[str, list[str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def cut_sentences(document: Document, ignore: frozenset[str], memo: CutMemo | None = None) -> list[Sentence]:
    """Sentences of a document that partition its text exactly (separators go with the sentence before)."""
    memo = CutMemo() if memo is None else memo
    keys, splits = memo.keys, memo.splits
    text = document.text
    # The sentence splitter cannot encode lone surrogates; only piece lengths are used, so stand-ins do.
    splittable = _SURROGATE_RE.sub("\ufffd", text)
    starts: list[tuple[int, bool, bool]] = []
    for passage in sorted(document.passages, key=lambda p: p.start):
        offset = passage.start
        chunk = splittable[passage.start:passage.end]
        pieces = splits.get(chunk)
        if pieces is None:
            pieces = splits[chunk] = split_sentences(chunk)
        for index, piece in enumerate(pieces):
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
        key = keys.get(piece)
        if key is None:
            key = keys[piece] = match_key(piece, ignore)
        sentences.append(Sentence(begin, end, piece, key, para_start, boilerplate))
    return sentences


def match_key(text: str, ignore: frozenset[str]) -> str:
    """The key sentences are matched on: folded (and Unicode-normalised) text without surrounding whitespace."""
    return fold(text, ignore).strip()


# --- terms and weights ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zipf() -> Callable[[str, str], float]:
    """wordfreq's Zipf frequency lookup, imported on first use (its word list loads once per process)."""
    from wordfreq import zipf_frequency

    return zipf_frequency


@lru_cache(maxsize=65536)
def _word_weight(word: str, config: EngineConfig = ENGINE) -> float:
    """Rarity weight of a case-folded word: 0 for stopword-common words, up to ``max_term_weight``."""
    if word in _CREDIT_WORDS:
        return 0.1
    zipf = _zipf()(word, "en")
    if zipf <= 0:
        return config.max_term_weight
    return min(max(0.0, config.stop_zipf - zipf), config.max_term_weight)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Stem of a case-folded word (British -our spellings made American first)."""
    return str(_STEMMER.stemWord(_OUR_RE.sub("or", word)))


@lru_cache(maxsize=65536)
def _term(token: str) -> tuple[str, float, bool]:
    """A token's term (stem, or the number itself), its rarity weight (-1 for numbers, 0 to skip), capitalised."""
    if token[0].isdigit():
        return token.replace(",", ""), -1.0, False
    lower = token.casefold()
    weight = _word_weight(lower) if len(lower) > 1 else 0.0
    return (_stem(lower) if weight > 0 else ""), weight, token[0].isupper()


def terms_and_names(text: str, config: EngineConfig = ENGINE) -> tuple[dict[str, float], frozenset[str]]:
    """Stemmed content terms of a text with their weights (rarity, names and numbers up, stopwords at zero), and
    the terms that are names: capitalised inside the sentence, or rare and capitalised at its start ("Okafor
    finished..."); days and months are dates, not names."""
    plain = normalize(text)
    if "<" in plain:
        plain = _TAG_RE.sub(" ", plain)  # markup in a capture says nothing about the facts reported
    # A live blog's time stamp and a wire dateline say when and where it was filed, not what happened.
    if plain.lstrip()[:1].isdigit():
        plain = _STAMP_RE.sub("", plain, count=1)
    if "(" in plain[:80]:
        plain = _DATELINE_RE.sub("", plain, count=1)
    found: list[tuple[str, int, float]]
    if any(hyphen in plain for hyphen in _HYPHENS):
        # A hyphenated compound's parts and its joined form each count half, so "anti-tank" meets "antitank" and
        # "Jong-un" meets "Jong Un" without the compound weighing more than one word.
        compounds = list(_COMPOUND_RE.finditer(plain))
        spans = [(c.start(), c.end()) for c in compounds]
        found = [(m.group(), m.start(), 0.5 if any(a <= m.start() < b for a, b in spans) else 1.0)
                 for m in _TERM_RE.finditer(plain)]
        found += [(re.sub("[-\u2010\u2011]", "", c.group()), -1, 0.5) for c in compounds]
    else:
        found = [(token, index, 1.0) for index, token in enumerate(_TERM_RE.findall(plain))]
    terms: dict[str, float] = {}
    names: set[str] = set()
    for token, start, share in found:
        term, weight, capital = _term(token)
        if weight < 0:
            weight = config.number_weight if len(term) > 1 else config.digit_weight
        elif not weight:
            continue
        elif capital and start >= 0:
            if start > 0:
                weight *= config.name_boost  # a capitalised word inside a sentence: a name (or a date)
            if (start > 0 or weight >= config.name_rarity) and term not in _NOT_NAMES:
                names.add(term)
        weight *= share
        if weight > terms.get(term, 0.0):
            terms[term] = weight
    return terms, frozenset(names)


def is_credit(text: str, config: EngineConfig = ENGINE) -> bool:
    """Whether a short line is a photo credit, caption counter or agency line rather than reporting."""
    if len(text) > 40 * config.credit_max_words or len(text.split()) > config.credit_max_words:
        return False
    lower = text.casefold()
    return any(hint in lower for hint in _CREDIT_HINTS) and bool(_CREDIT_RE.search(text))


def has_substance(text: str, config: EngineConfig = ENGINE) -> bool:
    """Whether a sentence has enough content words to anchor or pair by similarity, and is no credit line.

    The same test as ``profile(...).substantive``, cheaper: it stops at the first words that settle it.
    """
    found = 0
    for match in _LETTERS_RE.finditer(text):
        word = match.group().casefold()
        if len(word) > 1 and _word_weight(word) > 0:
            found += 1
            if found >= config.min_substance_words:
                return len(text) > 400 or not is_credit(text, config)
    return False


def profile(sentence_text: str, key: str, config: EngineConfig = ENGINE, substantive: bool | None = None) -> Profile:
    """A sentence's pairing profile (terms from its normalised text, surface words from its key)."""
    terms, names = terms_and_names(sentence_text, config)
    content = sum(1 for term in terms if not term[0].isdigit())
    if substantive is None:
        substantive = has_substance(sentence_text, config)
    surface = words(key)
    return Profile(sentence_text, terms, sum(terms.values()), content, surface, substantive, surface.total(), names)


def words(key: str) -> Counter[str]:
    """Surface word multiset of a key, case-folded: the changed tier looks at vocabulary, not spelling of case."""
    return Counter(_SURFACE_RE.findall(key.casefold()))


def dice(a: Counter[str], b: Counter[str]) -> float:
    """Dice coefficient of two word multisets."""
    total = sum(a.values()) + sum(b.values())
    # Intersect keys in C first: Counter's & builds a new Counter and is several times slower in this hot loop.
    shared = sum(min(a[word], b[word]) for word in a.keys() & b.keys())
    return 2 * shared / total if total else 0.0


def weighted_overlap(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    """Shared weight (the mean of both sides' weights per shared term) and the number of shared content terms."""
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0, 0
    weight = (sum(map(a.__getitem__, shared)) + sum(map(b.__getitem__, shared))) / 2
    return weight, sum(1 for t in shared if not t[0].isdigit())


@lru_cache(maxsize=1)
def _embedder() -> Any:
    """The wordllama sentence-embedding model, loaded once per process on first use, offline; None if unavailable.

    wordllama 0.4 looks for its tokenizer in ``<cache_dir>/tokenizers/``, not in the wheel where it ships: a fresh
    private folder (mkdtemp, mode 700) gets a link to the wheel's file, and downloads are disabled.
    """
    if not ENGINE.use_embeddings:
        return None
    try:
        import wordllama
        from wordllama import WordLlama

        shipped = Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json"
        folder = Path(tempfile.mkdtemp(prefix="parallax-wordllama-")) / "tokenizers"
        atexit.register(shutil.rmtree, folder.parent, True)
        folder.mkdir()
        os.symlink(shipped, folder / shipped.name)
        return WordLlama.load(cache_dir=folder.parent, disable_download=True)
    except (ImportError, OSError, ValueError):  # pragma: no cover - the lexical tiers still work without it
        return None


#: Sentence embeddings by sentence text (bounded by ENGINE.embedding_cache: cleared when full).
_EMBEDDINGS: dict[str, Any] = {}


def embed_many(texts: Sequence[str]) -> None:
    """Embed the texts not embedded yet, in one batch (a no-op without the model)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _EMBEDDINGS))
    model = _embedder() if missing else None
    if model is None:
        return
    if len(_EMBEDDINGS) + len(missing) > ENGINE.embedding_cache:
        _EMBEDDINGS.clear()
    # The tokenizer cannot encode lone surrogates: stand-ins keep the rest of the sentence's meaning.
    cleaned = [_SURROGATE_RE.sub("\ufffd", " ".join(t.split())) for t in missing]
    for text, vector in zip(missing, model.embed(cleaned, norm=True), strict=True):
        _EMBEDDINGS[text] = vector


def meaning_similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two texts' sentence embeddings, or None without the model."""
    embed_many([a, b])
    left, right = _EMBEDDINGS.get(a), _EMBEDDINGS.get(b)
    return None if left is None or right is None else float(left @ right)


def ordered_overlap(a_text: str, b_text: str) -> float:
    """Share of surface words common to both texts in the same order (2 x LCS / total), by a word diff."""
    left, right = _SURFACE_RE.findall(a_text.casefold()), _SURFACE_RE.findall(b_text.casefold())
    total = len(left) + len(right)
    if not total:
        return 0.0
    encoder = Encoder()
    runs = diff_codes(encoder.encode(left), encoder.encode(right), ENGINE.small_diff_seconds, semantic=False)
    return 2 * sum(length for op, length in runs if op == "=") / total


@dataclass(frozen=True)
class Evidence:
    """The lexical half of a judgement: a settled tier, or the figures a meaning check still needs."""

    tier: str | None
    score: float
    cover: float = 0.0
    needs_meaning: bool = False
    fallback: str | None = None
    surface: float = 0.0


def lexical(a: Profile, b: Profile, config: EngineConfig = ENGINE) -> Evidence:
    """What word and term overlap alone say about two different sentences (see ``judge``)."""
    if not (a.substantive and b.substantive):
        return Evidence(None, 0.0)
    # Word Dice can reach the threshold only if the shorter sentence could be mostly shared.
    small, large = sorted((a.size, b.size))
    surface = dice(a.surface, b.surface) if 2 * small >= config.changed_dice * (small + large) else 0.0
    # Each side naming someone or something the other never mentions: two facts in one template ("Hale finished
    # with 34 points" / "Okafor finished with 29 points"), not one sentence edited.
    order = ordered_overlap(a.text, b.text) if surface >= config.changed_dice else 0.0
    edited = surface >= config.changed_dice and not (order >= config.template_order and _conflict(a, b, config))
    if edited and order >= config.edited_order:
        return Evidence("changed", surface)
    fallback = "changed" if edited else None
    total = a.total + b.total
    weight, count = weighted_overlap(a.terms, b.terms) if total else (0.0, 0)
    score = 2 * weight / total if total else 0.0
    if score >= config.reworded_min_terms and count >= config.reworded_min_shared:
        # Share of the lighter sentence's content the other carries: a short report inside a longer one.
        return Evidence(None, score, weight / min(a.total, b.total), True, fallback, surface)
    return Evidence(fallback, surface) if fallback else Evidence(None, score)


def _conflict(a: Profile, b: Profile, config: EngineConfig) -> bool:
    """Whether each side names something the other never mentions, weighing enough against what they share."""
    # Only rare names count: well-known ones stand in for each other (Washington / the White House).
    own_a = sum(a.terms[t] for t in a.names - b.terms.keys() if a.terms[t] >= config.name_rarity)
    own_b = sum(b.terms[t] for t in b.names - a.terms.keys() if b.terms[t] >= config.name_rarity)
    shared, _ = weighted_overlap(a.terms, b.terms)
    return min(own_a, own_b) > 0 and min(own_a, own_b) >= config.name_conflict * shared


def settle(evidence: Evidence, meaning: float | None, config: EngineConfig = ENGINE) -> tuple[str | None, float]:
    """Tier and score once the meaning similarity (embedding cosine, None without the model) is known."""
    if not evidence.needs_meaning:
        return evidence.tier, evidence.score
    closeness = meaning if meaning is not None else config.no_model_meaning
    if (evidence.score + closeness >= config.reworded_score
            or evidence.cover + closeness >= config.reworded_cover_score):
        return "reworded", evidence.score
    return (evidence.fallback, evidence.surface) if evidence.fallback else (None, evidence.score)


def judge(a: Profile, b: Profile, config: EngineConfig = ENGINE) -> tuple[str | None, float]:
    """Tier and score of two sentences known to differ: changed (edited wording), reworded (same fact), or None.

    Changed: most words shared in the same order (score: word Dice). Reworded: rare content terms shared and the
    sentence embeddings close, both together (score: weighted term Dice). Otherwise a pair reaching the word Dice
    threshold is still changed; anything else is no pair (score: weighted term Dice, for information).
    """
    evidence = lexical(a, b, config)
    return settle(evidence, meaning_similarity(a.text, b.text) if evidence.needs_meaning else None, config)


def judge_pair(left: str, right: str) -> tuple[str | None, float]:
    """Kind ("same", "changed", "reworded" or None for different) and score of two sentences, as the engine pairs.

    Uses the default ignore options; the score is 1.0 for same, word Dice for changed and weighted term Dice for
    reworded or different.
    """
    left_key, right_key = match_key(left, DEFAULT_IGNORE), match_key(right, DEFAULT_IGNORE)
    if left_key == right_key:
        return ("same", 1.0) if left_key else (None, 0.0)
    return judge(profile(left, left_key), profile(right, right_key))


# --- alignment --------------------------------------------------------------------------------------------------


def canonical_order(left: Sequence[Sentence], right: Sequence[Sentence]) -> bool:
    """Whether the two sides are in canonical order; alignment runs that way round and is mirrored otherwise."""
    def signature(sentences: Sequence[Sentence]) -> tuple[int, list[tuple[str, bool, str]]]:
        """What orders two documents: their length, then their keys, flags and texts."""
        return len(sentences), [(s.key, s.boilerplate, s.text) for s in sentences]

    return signature(left) <= signature(right)


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


#: How far similarity pairing got: all of it, part of it before the time budget ran out, or none (no time, or
#: a text too long for it).
Pairing = Literal["complete", "partial", "skipped"]
#: Steps of the similarity lookup between two looks at the clock.
CLOCK_EVERY = 256


@dataclass
class Aligner:
    """One alignment of two sentence lists (in canonical orientation): anchors, similarity pairs, gap filling."""

    left: Sequence[Sentence]
    right: Sequence[Sentence]
    active_left: Sequence[int]
    active_right: Sequence[int]
    config: EngineConfig = ENGINE
    #: Seconds left of the comparison's time budget; similarity pairing stops when it runs out (``cut_short``).
    remaining: Callable[[], float] = lambda: math.inf

    def __post_init__(self) -> None:
        """Profiles are computed lazily, per sentence, once."""
        self._profiles: dict[tuple[int, int], Profile] = {}
        self._substance: tuple[dict[int, bool], dict[int, bool]] = ({}, {})
        self._substance_of: dict[str, bool] = {}
        self.cut_short = False

    def out_of_time(self, step: int) -> bool:
        """Whether the time budget ran out (looked at every ``CLOCK_EVERY`` steps); remembered in ``cut_short``."""
        if not self.cut_short and step % CLOCK_EVERY == 0 and self.remaining() <= 0:
            self.cut_short = True
        return self.cut_short

    def profile(self, side: int, index: int) -> Profile:
        """The pairing profile of sentence index on side 0 (left) or 1 (right)."""
        found = self._profiles.get((side, index))
        if found is None:
            sentence = (self.left, self.right)[side][index]
            found = self._profiles[(side, index)] = profile(sentence.text, sentence.key, self.config,
                                                            self.substantive(side, [index]) == [index])
        return found

    def substantive(self, side: int, indices: Sequence[int]) -> list[int]:
        """The indices of sentences with enough substance to anchor or pair by similarity."""
        known = self._substance[side]
        sentences = (self.left, self.right)[side]
        for n in indices:
            if n not in known:
                text = sentences[n].text
                found = self._substance_of.get(text)
                if found is None:  # the same sentence on both sides is judged once
                    found = self._substance_of[text] = has_substance(text, self.config)
                known[n] = found
        return [n for n in indices if known[n]]

    def anchors(self, seconds: float) -> list[Pair]:
        """Identical substantive sentences in order."""
        # Only keys both sides have can anchor: dropping the others leaves the same common subsequence and spares
        # the diff its worst case (two unrelated texts). Substance is judged after, on the shared ones only.
        shared = {self.left[i].key for i in self.active_left} & {self.right[j].key for j in self.active_right}
        lefts = self.substantive(0, [i for i in self.active_left if self.left[i].key in shared])
        rights = self.substantive(1, [j for j in self.active_right if self.right[j].key in shared])
        shared = {self.left[i].key for i in lefts} & {self.right[j].key for j in rights}
        lefts = [i for i in lefts if self.left[i].key in shared]
        rights = [j for j in rights if self.right[j].key in shared]
        found = exact_anchors([self.left[i].key for i in lefts], [self.right[j].key for j in rights], seconds)
        return [Pair(lefts[i], lefts[i] + 1, rights[j], rights[j] + 1, 1.0) for i, j in found]

    def similar(self, anchors: Sequence[Pair]) -> list[Pair]:
        """Pairs of unanchored substantive sentences by similarity (changed, then reworded), grown over splits."""
        free_left = self.substantive(0, sorted(set(self.active_left) - {p.left for p in anchors}))
        free_right = self.substantive(1, sorted(set(self.active_right) - {p.right for p in anchors}))
        gaps = (gap_numbers(len(self.left), [p.left for p in anchors]),
                gap_numbers(len(self.right), [p.right for p in anchors]))
        scored, near = self._candidates(free_left, free_right)
        best: tuple[defaultdict[int, float], defaultdict[int, float]] = (defaultdict(float), defaultdict(float))
        for (i, j), (_, score) in scored.items():
            best[0][i] = max(best[0][i], score)
            best[1][j] = max(best[1][j], score)

        def rank(ij: tuple[int, int]) -> tuple[int, float, bool, float, tuple[int, int]]:
            """Better tier, higher score, same gap between anchors, closer relative position, then position."""
            tier, score = scored[ij]
            drift = abs(ij[0] / max(len(self.left), 1) - ij[1] / max(len(self.right), 1))
            return _TIERS.index(tier), -score, gaps[0][ij[0]] != gaps[1][ij[1]], drift, ij

        order = sorted(scored, key=rank)
        taken: tuple[set[int], set[int]] = (set(), set())
        pairs: list[Pair] = []
        for i, j in order:
            tier, score = scored[(i, j)]
            if i in taken[0] or j in taken[1]:
                continue
            # A reworded pair must be each side's best match: a false pairing is worse than a miss.
            if tier == "reworded" and (score < best[0][i] or score < best[1][j]):
                continue
            taken[0].add(i)
            taken[1].add(j)
            pairs.append(Pair(i, i + 1, j, j + 1, score, tier=tier))
        # Near misses may be one half of a split sentence: they pair only if a neighbour completes them.
        # The free sentences are kept up to date as pairs take them (copying them for each near miss was O(n²):
        # 40,000 repeated paragraphs took 40 s, outside the time budget); _neighbours never looks at i or j.
        free = (set(free_left) - taken[0], set(free_right) - taken[1])
        for i, j in sorted(near, key=lambda ij: (-near[ij], ij)):
            if i in taken[0] or j in taken[1]:
                continue
            seed = Pair(i, i + 1, j, j + 1, 0.0, tier="reworded")
            for candidate, side, added in _neighbours(seed, *free):
                grown = self._grown(seed, candidate, side, added)
                if grown is not None:
                    taken[0].update(range(grown.left, grown.left_end))
                    taken[1].update(range(grown.right, grown.right_end))
                    free[0].difference_update(range(grown.left, grown.left_end))
                    free[1].difference_update(range(grown.right, grown.right_end))
                    pairs.append(grown)
                    break
        return self.extend(pairs, set(free_left) - taken[0], set(free_right) - taken[1])

    def lookup(self, free_left: Sequence[int], free_right: Sequence[int]) -> list[tuple[int, int]]:
        """Candidate pairs, looked up from both sides through each sentence's rarest terms the other side also
        has (a sentence's own rare words would find nothing), those sharing most of them first."""
        postings: tuple[defaultdict[str, list[int]], defaultdict[str, list[int]]] = (defaultdict(list),
                                                                                  defaultdict(list))
        step = 0
        for side, free in ((0, free_left), (1, free_right)):
            for n in free:
                step += 1
                if self.out_of_time(step):
                    return []
                for term in self.profile(side, n).terms:
                    postings[side][term].append(n)
        frequency = {term: len(postings[0].get(term, ())) + len(postings[1].get(term, ()))
                     for side in (0, 1) for term in postings[side]}
        # Rarest first, ties by the term itself: one rank per term, so each lookup sorts with a C-level key.
        rank = {term: n for n, term in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))}
        found: dict[tuple[int, int], None] = {}
        for side, free in ((0, free_left), (1, free_right)):
            other = postings[1 - side]
            for n in free:
                step += 1
                if self.out_of_time(step):
                    return list(found)
                shared = heapq.nsmallest(self.config.rare_terms, (t for t in self.profile(side, n).terms if t in other),
                                         key=rank.__getitem__)
                hits: Counter[int] = Counter()
                looked = 0
                for term in shared:
                    if len(other[term]) <= self.config.max_postings:
                        hits.update(other[term])
                        looked += 1
                # Every tier needs several shared terms: one shared rare term alone is no candidate.
                least = min(looked, self.config.min_candidate_hits)
                strong = [(-count, m) for m, count in hits.items() if count >= least]
                for _, m in heapq.nsmallest(self.config.max_candidates, strong):
                    found[(n, m) if side == 0 else (m, n)] = None
        return list(found)

    def _candidates(self, free_left: Sequence[int], free_right: Sequence[int]
                    ) -> tuple[dict[tuple[int, int], tuple[str, float]], dict[tuple[int, int], float]]:
        """Judged candidate pairs (see ``lookup``), and the near misses (enough shared terms to be half of a split
        sentence) with their term score."""
        seen = {ij: lexical(self.profile(0, ij[0]), self.profile(1, ij[1]), self.config)
                for ij in self.lookup(free_left, free_right)}
        judged: dict[tuple[int, int], tuple[str, float]] = {}
        near: dict[tuple[int, int], float] = {}
        embed_many([self.profile(side, n).text for ij, evidence in seen.items() if evidence.needs_meaning
                    for side, n in enumerate(ij)])
        for step, (ij, evidence) in enumerate(seen.items(), 1):
            if self.out_of_time(step):
                break
            meaning = (meaning_similarity(self.profile(0, ij[0]).text, self.profile(1, ij[1]).text)
                       if evidence.needs_meaning else None)
            tier, score = settle(evidence, meaning, self.config)
            if tier is not None:
                judged[ij] = (tier, score)
            elif score >= self.config.reworded_min_terms:
                near[ij] = score
        return judged, near

    def extend(self, pairs: list[Pair], free_left: set[int], free_right: set[int]) -> list[Pair]:
        """Grow pairs over adjacent free sentences that themselves share content with the other side."""
        grown: list[Pair] = []
        for pair in pairs:
            improved = True
            while improved:
                improved = False
                for candidate, side, added in _neighbours(pair, free_left, free_right):
                    if (candidate.left_end - candidate.left > self.config.extend_max_span
                            or candidate.right_end - candidate.right > self.config.extend_max_span):
                        continue
                    found = self._grown(pair, candidate, side, added)
                    if found is not None:
                        (free_left, free_right)[side].discard(added)
                        pair, improved = found, True
                        break
            grown.append(pair)
        return grown

    def _grown(self, pair: Pair, candidate: Pair, side: int, added: int) -> Pair | None:
        """The candidate with its tier and score if the added sentence belongs with the pair, else None."""
        other = self._span(1 - side, *((candidate.right, candidate.right_end) if side == 0
                                        else (candidate.left, candidate.left_end)))
        own = self.profile(side, added)
        share, _ = weighted_overlap(own.terms, other.terms)
        if not own.total or share / own.total < self.config.extend_min_share:
            return None
        left = self._span(0, candidate.left, candidate.left_end)
        right = self._span(1, candidate.right, candidate.right_end)
        tier, score = judge(left, right, self.config)
        if tier is None:
            return None
        if _TIERS.index(tier) > _TIERS.index(pair.tier) or (tier == pair.tier and score < pair.score):
            return None
        return replace(candidate, score=score, tier=tier)

    def _span(self, side: int, start: int, end: int) -> Profile:
        """The profile of a run of sentences read as one."""
        if end - start == 1:
            return self.profile(side, start)
        sentences = (self.left, self.right)[side][start:end]
        text = "".join(s.text for s in sentences)
        return profile(text, " ".join(s.key for s in sentences), self.config)

    def fill_gaps(self, pairs: list[Pair]) -> list[Pair]:
        """In each gap between in-order pairs, pair the remaining identical sentences in order (list numbers,
        short lines), then remaining sentences without substance one to one where both sides have equally many."""
        used = ({n for p in pairs for n in range(p.left, p.left_end)},
                {n for p in pairs for n in range(p.right, p.right_end)})
        left_active, right_active = set(self.active_left), set(self.active_right)
        fences = sorted((p for p in pairs if not p.moved), key=lambda p: p.left)
        starts = [(0, 0), *((p.left_end, p.right_end) for p in fences)]
        limits = [*((p.left, p.right) for p in fences), (len(self.left), len(self.right))]
        added: list[Pair] = []
        for (i0, j0), (i1, j1) in zip(starts, limits, strict=True):
            lefts = [i for i in range(i0, i1) if i in left_active and i not in used[0]]
            rights = [j for j in range(j0, j1) if j in right_active and j not in used[1]]
            if lefts and rights:
                added.extend(self._fill(lefts, rights))
        return sorted([*pairs, *added], key=lambda p: p.left)

    def _fill(self, lefts: list[int], rights: list[int]) -> list[Pair]:
        """Pairs within one gap: identical keys in order, then replaced runs of equal length without substance."""
        if not {self.left[i].key for i in lefts} & {self.right[j].key for j in rights}:
            # Nothing identical: the whole gap is one replaced run (no diff needed, which unrelated texts make slow).
            if len(lefts) == len(rights) and all(self._filler(0, i) for i in lefts) and all(
                    self._filler(1, j) for j in rights):
                return [Pair(i, i + 1, j, j + 1, dice(self.profile(0, i).surface, self.profile(1, j).surface),
                             tier="changed") for i, j in zip(lefts, rights, strict=True)]
            return []
        encoder = Encoder()
        runs = diff_codes(encoder.encode([self.left[i].key for i in lefts]),
                          encoder.encode([self.right[j].key for j in rights]), self.config.small_diff_seconds,
                          semantic=False)
        out: list[Pair] = []
        a = b = 0
        pending: tuple[list[int], list[int]] = ([], [])
        for op, length in [*runs, ("=", 0)]:
            if op == "=":
                if len(pending[0]) == len(pending[1]) and all(
                        self._filler(0, i) for i in pending[0]) and all(self._filler(1, j) for j in pending[1]):
                    for i, j in zip(*pending, strict=True):
                        out.append(Pair(i, i + 1, j, j + 1, dice(self.profile(0, i).surface,
                                                                   self.profile(1, j).surface), tier="changed"))
                pending = ([], [])
                out.extend(Pair(lefts[a + k], lefts[a + k] + 1, rights[b + k], rights[b + k] + 1, 1.0)
                           for k in range(length))
                a, b = a + length, b + length
            elif op == "-":
                pending[0].extend(lefts[a:a + length])
                a += length
            else:
                pending[1].extend(rights[b:b + length])
                b += length
        return out


    def _filler(self, side: int, index: int) -> bool:
        """Whether a sentence may pair by position alone: no substance (a list number), and not a credit line."""
        sentence = (self.left, self.right)[side][index]
        return not self.substantive(side, [index]) and not is_credit(sentence.text, self.config)


def _neighbours(pair: Pair, free_left: set[int], free_right: set[int]) -> list[tuple[Pair, int, int]]:
    """The pair extended by one adjacent free sentence, in each of four directions, with the side and index added."""
    options: list[tuple[Pair, int, int]] = []
    if pair.left - 1 in free_left:
        options.append((replace(pair, left=pair.left - 1), 0, pair.left - 1))
    if pair.left_end in free_left:
        options.append((replace(pair, left_end=pair.left_end + 1), 0, pair.left_end))
    if pair.right - 1 in free_right:
        options.append((replace(pair, right=pair.right - 1), 1, pair.right - 1))
    if pair.right_end in free_right:
        options.append((replace(pair, right_end=pair.right_end + 1), 1, pair.right_end))
    return options


def mark_moved(pairs: list[Pair]) -> list[Pair]:
    """Pairs sorted by left index, those outside the heaviest in-order chain flagged as moved.

    A pair weighs its sentence count times (1 + score), so long identical runs outweigh a short reworded pair.
    """
    ordered = sorted(pairs, key=lambda p: p.left)
    weights = [(p.left_end - p.left + p.right_end - p.right) * (1 + p.score) for p in ordered]
    keep = set(heaviest_increasing([p.right for p in ordered], weights))
    return [p if n in keep else replace(p, moved=True) for n, p in enumerate(ordered)]


def heaviest_increasing(values: Sequence[int], weights: Sequence[float]) -> list[int]:
    """Positions of a heaviest strictly increasing subsequence (Fenwick tree of prefix maxima, O(n log n))."""
    if all(a < b for a, b in itertools.pairwise(values)):
        return list(range(len(values)))
    ranks = {v: r + 1 for r, v in enumerate(sorted(set(values)))}
    size = len(ranks)
    tree: list[tuple[float, int]] = [(0.0, -1)] * (size + 1)
    best: list[float] = [0.0] * len(values)
    previous = [-1] * len(values)
    for position, value in enumerate(values):
        rank = ranks[value] - 1
        found: tuple[float, int] = (0.0, -1)
        while rank > 0:
            found = max(found, tree[rank])
            rank -= rank & -rank
        best[position] = found[0] + weights[position]
        previous[position] = found[1]
        rank = ranks[value]
        while rank <= size:
            tree[rank] = max(tree[rank], (best[position], position))
            rank += rank & -rank
    position = max(range(len(values)), key=lambda p: (best[p], p))
    chain: list[int] = []
    while position >= 0:
        chain.append(position)
        position = previous[position]
    return chain[::-1]


def gap_numbers(count: int, anchors: Sequence[int]) -> dict[int, int]:
    """For each sentence index, how many anchors stand before it (which gap between anchors it is in)."""
    anchored = sorted(anchors)
    return {index: bisect_left(anchored, index) for index in range(count)}


def align(left: Sequence[Sentence], right: Sequence[Sentence], active_left: Sequence[int],
          active_right: Sequence[int], remaining: Callable[[], float], similar: bool = True,
          config: EngineConfig = ENGINE) -> tuple[list[Pair], Pairing]:
    """All pairs sorted by left index with moved ones flagged, and how far similarity pairing got in the time.

    Runs in canonical orientation and mirrors the result, so swapping the sides swaps the pairs and nothing else.
    """
    if not canonical_order(left, right):
        mirrored, how_far = align(right, left, active_right, active_left, remaining, similar, config)
        return sorted((p.mirrored() for p in mirrored), key=lambda p: p.left), how_far
    aligner = Aligner(left, right, active_left, active_right, config, remaining)
    pairs = aligner.anchors(max(remaining(), config.anchor_floor))
    done: Pairing = "skipped"
    if similar and remaining() > 0:
        pairs = pairs + aligner.similar(pairs)
        done = "partial" if aligner.cut_short else "complete"
    return aligner.fill_gaps(mark_moved(pairs)), done


#: The changed tier's word-Dice threshold under its first name (the quality benchmark's baseline reads it).
PAIR_THRESHOLD = ENGINE.changed_dice
