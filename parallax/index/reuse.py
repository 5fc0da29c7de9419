"""Shared passages across the whole corpus: sentence sketches over word shingles, candidate lookup, verification.

Each sentence long enough to say something (``MIN_WORDS``) is reduced to the set of its word 3-shingles (words
folded for quotes, dashes and case), hashed from each word's CRC-32 so the values are the same in every process. Its
``SKETCH_SIZE`` smallest hashes (a bottom-k MinHash sketch) are stored in the ``sketch`` table of the search index:
two sentences whose shingle sets have Jaccard similarity J share at least one sketch value with probability close to
1 - (1 - J)^k, so looking the sketch up finds almost every near-duplicate while reading only a few rows. Every
candidate is then verified on its full shingle set: Jaccard ≥ ``THRESHOLD``, or word-set Dice ≥ ``WORD_DICE`` for
copies edited in several places (both calibrated on the dev split of ``bench/data/reuse_pairs.jsonl``, see
``bench/bench_reuse.py``) counts as the same passage, verbatim or lightly edited. Pairs are stored once per
direction in ``shared`` so a source's shared passages are one indexed lookup.

This is datasketch's MinHash LSH idea done inside the index: a persistent, incremental table instead of an in-memory
LSH with 128 permutations per sentence, which at 100k articles (~3M sentences) would not fit the one-second update
budget nor survive a restart.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cachetools import LRUCache

from parallax.engine.similarity import dice
from parallax.story.lineage import StoryPair
from parallax.text import words_of

#: Words a sentence needs before it counts as a passage: datelines, bylines and short quotes everyone carries
#: ("It will be a full-fledged visit") are not evidence that one outlet took text from another.
MIN_WORDS = 8
#: Words per shingle.
SHINGLE = 3
#: Smallest shingle hashes kept per sentence (the bottom-k sketch).
SKETCH_SIZE = 6
#: A sketch value carried by more sentences than this is a stock phrase (boilerplate), not evidence of reuse.
MAX_POSTINGS = 60
#: Jaccard similarity of shingle sets from which two sentences are the same passage. Calibrated on the dev split
#: of bench/data/reuse_pairs.jsonl (best F1); bench/bench_reuse.py prints precision and recall on the test split.
THRESHOLD = 0.4
#: Second gate, for copies edited in several places: two sentences whose shingle Jaccard is below THRESHOLD still
#: count as one passage when their word sets' Dice coefficient reaches this (a few words swapped leave most words
#: in place but break many shingles). On the dev pairs every gate from 0.65 to 0.95 scores best (paraphrases and
#: same-topic sentences reach 0.64 at most, edited copies 0.82 at least); this is the middle of that range.
WORD_DICE = 0.8
#: Lines that are page furniture wherever they appear, never shared reporting.
FURNITURE_RE = re.compile(r"^\W*(read more|read also|also read|see also|related|subscribe|sign up|follow us|"
                          r"click here|share this|all rights reserved|copyright|©|advertisement|watch:|listen:)",
                          re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """A sentence prepared for reuse detection: its text, shingle hashes, folded words and sketch."""

    text: str
    shingles: frozenset[int]
    words: frozenset[str]
    sketch: tuple[int, ...]


def _hashes(words: list[str]) -> frozenset[int]:
    """32-bit hashes of a word list's 3-shingles: each word's CRC-32 once, mixed by position (order matters)."""
    h = [zlib.crc32(w.encode("utf-8")) for w in words]
    return frozenset(((a * 0x9E3779B1) ^ (b * 0x85EBCA77) ^ (c * 0xC2B2AE3D)) & 0xFFFFFFFF
                     for a, b, c in zip(h, h[1:], h[2:], strict=False))


def shingle_hashes(text: str) -> frozenset[int]:
    """CRC-32 hashes of the text's folded word 3-shingles (empty when the text has fewer than MIN_WORDS words)."""
    unit = prepare(text)
    return unit.shingles if unit else frozenset()


def prepare(text: str) -> Unit | None:
    """The unit of a sentence, or None when it is too short or page furniture."""
    words = words_of(text)
    if len(words) < MIN_WORDS or FURNITURE_RE.match(text):
        return None
    found = _hashes(words)
    return Unit(text, found, frozenset(words), tuple(sorted(found)[:SKETCH_SIZE]))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two sets (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def score(a: str, b: str) -> float:
    """How alike two sentences are as text reuse: Jaccard of their shingle sets (0 when either is too short)."""
    return jaccard(shingle_hashes(a), shingle_hashes(b))


def same_units(a: Unit, b: Unit, threshold: float | None = None, word_dice: float | None = None) -> float | None:
    """The shingle Jaccard of two units when they are the same passage (see THRESHOLD, WORD_DICE), else None."""
    value = jaccard(a.shingles, b.shingles)
    if value >= (THRESHOLD if threshold is None else threshold):
        return value
    if value > 0 and dice(a.words, b.words) >= (WORD_DICE if word_dice is None else word_dice):
        return value
    return None


def _marks(values: Sequence[object]) -> str:
    """SQL placeholders for a list of values (the values themselves are always bound, never spliced)."""
    return ",".join("?" * len(values))


def _candidates(db: sqlite3.Connection, units: Sequence[tuple[int, Unit]], skip_doc: int | None
                ) -> tuple[dict[int, set[int]], set[int]]:
    """For each unit (by its sentence id), the indexed sentences sharing a sketch value; and the common values.

    Each value's postings are read up to MAX_POSTINGS + 1 rows, so a stock phrase costs the same at 100k articles
    as at 1k; a value with more is common (boilerplate) and gives no candidates.
    """
    wanted: dict[int, list[int]] = defaultdict(list)
    for sid, unit in units:
        for value in unit.sketch:
            wanted[value].append(sid)
    found: dict[int, set[int]] = defaultdict(set)
    common: set[int] = set()
    for value, mine in wanted.items():
        hits = db.execute("SELECT sid, doc FROM sketch WHERE h = ? LIMIT ?", (value, MAX_POSTINGS + 1)).fetchall()
        if len(hits) > MAX_POSTINGS:
            common.add(value)
            continue
        for sid, doc in hits:
            if doc != skip_doc:
                for own in mine:
                    found[own].add(sid)
    return found, common


def _texts(db: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """Text and document of sentences by id."""
    ids = list(ids)
    out: dict[int, tuple[str, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        query = f"SELECT id, text, doc FROM sent WHERE id IN ({_marks(chunk)})"  # noqa: S608  # nosec B608
        for sid, text, doc in db.execute(query, chunk):
            out[sid] = (text, doc)
    return out


def matches(db: sqlite3.Connection, texts: Sequence[tuple[int, str]], skip_doc: int | None = None
            ) -> list[tuple[int, int, int, float]]:
    """Verified matches of the given (key, sentence) pairs against the index: (key, sentence id, doc, score)."""
    return _match_units(db, [(key, unit) for key, text in texts if (unit := prepare(text)) is not None], skip_doc)


def _match_units(db: sqlite3.Connection, units: Sequence[tuple[int, Unit]], skip_doc: int | None
                 ) -> list[tuple[int, int, int, float]]:
    """Verified matches of prepared units: each candidate is prepared once and checked with ``same_units``."""
    found, _ = _candidates(db, units, skip_doc)
    return _verify(db, units, found)


def _verify(db: sqlite3.Connection, units: Sequence[tuple[int, Unit]], found: dict[int, set[int]]
            ) -> list[tuple[int, int, int, float]]:
    """The candidates that are the same passage as their unit: (key, sentence id, doc, score)."""
    stored = _texts(db, {sid for sids in found.values() for sid in sids})
    prepared = {sid: _recent_unit(sid, text) for sid, (text, _) in stored.items()}
    by_key = dict(units)
    out = []
    for key, sids in found.items():
        for sid in sids:
            other = prepared[sid]
            value = same_units(by_key[key], other) if other else None
            if value is not None:
                out.append((key, sid, stored[sid][1], round(value, 3)))
    return out


#: Units of recently indexed sentences by id: a source's candidates are mostly in sources indexed just before it
#: (the corpus is indexed story by story), so a bulk build rarely prepares a sentence twice; ~5 KB per unit.
_RECENT: LRUCache[int, Unit] = LRUCache(maxsize=5_000)
_RECENT_LOCK = threading.Lock()


def _recent_unit(sid: int, text: str) -> Unit | None:
    """The unit of an indexed sentence, from the recent cache when its text is the one cached."""
    with _RECENT_LOCK:
        hit = _RECENT.get(sid)
    if hit is not None and hit.text == text:
        return hit
    unit = prepare(text)
    if unit is not None:
        with _RECENT_LOCK:
            _RECENT[sid] = unit
    return unit


def index_units(db: sqlite3.Connection, doc: int, sentences: Sequence[tuple[int, str]]) -> int:
    """Store the sketches of one document's sentences and its verified shared pairs; returns the pairs found."""
    units = [(sid, unit) for sid, text in sentences if (unit := prepare(text)) is not None]
    with _RECENT_LOCK:
        for sid, unit in units:
            _RECENT[sid] = unit
    found, common = _candidates(db, units, doc)
    pairs = _verify(db, units, found)
    db.executemany("INSERT OR REPLACE INTO shared(a, b, da, db, score) VALUES (?, ?, ?, ?, ?)",
                   [row for key, sid, other, value in pairs
                    for row in ((key, sid, doc, other, value), (sid, key, other, doc, value))])
    db.executemany("INSERT OR IGNORE INTO sketch(h, sid, doc) VALUES (?, ?, ?)",
                   [(value, sid, doc) for sid, unit in units for value in unit.sketch if value not in common])
    return len(pairs)


@dataclass(frozen=True)
class SharedSentence:
    """A sentence of one source carried by another: positions on both sides and the similarity."""

    pos: int
    other_pos: int
    score: float


@dataclass(frozen=True)
class Sharing:
    """What one source shares with another source: the sentences, merged into passages (runs of sentences)."""

    other: str
    outlet: str
    story: str
    time: str
    article: str
    sentences: tuple[SharedSentence, ...]

    @property
    def passages(self) -> list[list[SharedSentence]]:
        """Shared sentences merged into runs of consecutive positions (a passage)."""
        runs: list[list[SharedSentence]] = []
        for item in sorted(self.sentences, key=lambda s: s.pos):
            if runs and item.pos <= runs[-1][-1].pos + 1:
                if item.pos != runs[-1][-1].pos:
                    runs[-1].append(item)
            else:
                runs.append([item])
        return runs


def shared_of(db: sqlite3.Connection, source_id: str) -> list[Sharing]:
    """Everything a source shares with other sources of any story, the source sharing most first."""
    rows = db.execute(
        "SELECT o.id, o.outlet, o.story, o.time, o.article, sa.pos, sb.pos, shared.score FROM docs d "
        "JOIN shared ON shared.da = d.n JOIN sent sa ON sa.id = shared.a JOIN sent sb ON sb.id = shared.b "
        "JOIN docs o ON o.n = shared.db WHERE d.id = ?", (source_id,)).fetchall()
    grouped: dict[tuple[str, str, str, str, str], dict[int, SharedSentence]] = defaultdict(dict)
    for other, outlet, story, time, article, pos, other_pos, value in rows:
        best = grouped[(other, outlet, story, time, article)]
        if pos not in best or best[pos].score < value:
            best[pos] = SharedSentence(pos, other_pos, value)
    found = [Sharing(k[0], k[1], k[2], k[3], k[4], tuple(sorted(v.values(), key=lambda s: s.pos)))
             for k, v in grouped.items()]
    return sorted(found, key=lambda s: (-len(s.sentences), s.other))


def story_pairs(db: sqlite3.Connection, story: str) -> list[StoryPair]:
    """Shared sentence pairs between sources of one story, each once (``source`` < ``other``), with their texts."""
    return [StoryPair(*r) for r in db.execute(
        "SELECT d.id, sa.pos, o.id, sb.pos, shared.score, sa.text, sb.text FROM docs d "
        "JOIN shared ON shared.da = d.n JOIN docs o ON o.n = shared.db JOIN sent sa ON sa.id = shared.a "
        "JOIN sent sb ON sb.id = shared.b WHERE d.story = ? AND o.story = ? AND d.id < o.id ORDER BY d.id, sa.pos",
        (story, story)).fetchall()]


def suggest_story(db: sqlite3.Connection, sentences: Sequence[str]) -> list[tuple[str, float]]:
    """Stories ranked by the share of the given sentences they already carry (0..1), best first."""
    keyed = list(enumerate(sentences))
    counted = [key for key, text in keyed if prepare(text) is not None]
    if not counted:
        return []
    found = matches(db, keyed)
    docs = {doc for _, _, doc, _ in found}
    story_of: dict[int, str] = {}
    listed = list(docs)
    for start in range(0, len(listed), 500):
        chunk = listed[start:start + 500]
        story_of.update(db.execute(f"SELECT n, story FROM docs WHERE n IN ({_marks(chunk)})", chunk))  # noqa: S608  # nosec B608
    covered: dict[str, set[int]] = defaultdict(set)
    for key, _, doc, _ in found:
        covered[story_of[doc]].add(key)
    ranked = [(story, round(len(keys) / len(counted), 3)) for story, keys in covered.items()]
    return sorted(ranked, key=lambda item: (-item[1], item[0]))
