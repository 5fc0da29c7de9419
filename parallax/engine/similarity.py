"""How alike two sentences are: term weights, word and term overlap, sentence embeddings, and the judge that
settles a pair's tier (same sentence edited, the same fact reworded, or no pair)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from parallax.engine import encoders
from parallax.engine.config import ENGINE, EngineConfig
from parallax.engine.diffing import Encoder, diff_codes
from parallax.engine.stems import stem_word, stem_words
from parallax.model import DEFAULT_IGNORE
from parallax.text import SURFACE_RE, match_key, normalize, words

#: Pairing terms: digit runs (with inner separators) and letter runs, read from the normalised sentence text (not
#: the key, whose dash folding glues "anti-tank" into one word). Compounds and possessives come apart here, and
#: each hyphenated compound also adds its joined form, so "anti-tank" meets "antitank".
_TERM_RE = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+")
_COMPOUND_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]+(?:[-\u2010\u2011][^\W\d_]+)+")
#: Stems of days, months and titles: capitalised, but dates and forms of address rather than names.
_NOT_NAMES = frozenset(stem_words([
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



# --- terms and weights ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zipf() -> Callable[[str], float]:
    """The English Zipf frequency lookup (wordfreq's values, see ``frequencies``), loaded on first use."""
    from parallax.engine.frequencies import zipf_lookup

    return zipf_lookup()


@lru_cache(maxsize=65536)
def _word_weight(word: str, config: EngineConfig = ENGINE) -> float:
    """Rarity weight of a case-folded word: 0 for stopword-common words, up to ``max_term_weight``."""
    if word in _CREDIT_WORDS:
        return 0.1
    zipf = _zipf()(word)
    if zipf <= 0:
        return config.max_term_weight
    return min(max(0.0, config.stop_zipf - zipf), config.max_term_weight)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Stem of a case-folded word (British -our spellings made American first)."""
    return stem_word(_OUR_RE.sub("or", word))


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


T = TypeVar("T")


def dice(a: AbstractSet[T] | Counter[T], b: AbstractSet[T] | Counter[T], *, empty: float = 0.0) -> float:
    """Dice coefficient of two sets, or of two multisets given as Counters (a word counts as often as it occurs);
    ``empty`` is the score of two empty ones, which a caller chooses (0 unless said otherwise)."""
    if isinstance(a, Counter) and isinstance(b, Counter):
        total = sum(a.values()) + sum(b.values())
        # Intersect keys in C first: Counter's & builds a new Counter and is several times slower in this hot loop.
        shared = sum(min(a[word], b[word]) for word in a.keys() & b.keys())
    elif isinstance(a, AbstractSet) and isinstance(b, AbstractSet):
        total, shared = len(a) + len(b), len(a & b)
    else:
        raise TypeError("dice compares two sets or two Counters")
    return 2 * shared / total if total else empty


def weighted_overlap(a: dict[str, float], b: dict[str, float]) -> tuple[float, int]:
    """Shared weight (the mean of both sides' weights per shared term) and the number of shared content terms."""
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0, 0
    weight = (sum(map(a.__getitem__, shared)) + sum(map(b.__getitem__, shared))) / 2
    return weight, sum(1 for t in shared if not t[0].isdigit())


def load_models() -> None:
    """Load the word frequencies and the sentence encoders now, not on the first comparison (the team server does
    it once before forking its workers, which then share the pages)."""
    _zipf()("the")
    encoders.preload()
    stem_word("news")


def meaning_similarity(a: str, b: str) -> float | None:
    """Cosine similarity of two texts' wordllama embeddings, or None without the model."""
    vectors = encoders.CACHES["wordllama"].vectors([a, b])
    return None if vectors is None else float(vectors[0] @ vectors[1])


def ordered_overlap(a_text: str, b_text: str) -> float:
    """Share of surface words common to both texts in the same order (2 x LCS / total), by a word diff."""
    left, right = SURFACE_RE.findall(a_text.casefold()), SURFACE_RE.findall(b_text.casefold())
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
