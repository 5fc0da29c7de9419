"""Quality of cross-outlet sentence pairing on labelled pairs and multi-outlet stories (dev and test halves).

Run ``python -m bench.bench_quality``. It compares, in one run:

* ``baseline``: today's engine rule, ``dice(words(a), words(b)) >= PAIR_THRESHOLD`` on the engine's match keys
  (identical keys are "same", other pairs reaching the threshold "changed");
* ``judge``: ``parallax.engine.similarity.judge_pair(left, right) -> (kind, score)`` (skipped if absent).

For each scorer and each half it prints precision/recall/F1 per tier (gold ``same``/``edited``/``reworded``
against predicted ``same``/``changed``/``reworded``), the share of each gold tier that gets paired at all, and
the overall "paired" figures (same+edited+reworded positive, different negative). Then it compares the outlets
of every story in ``bench/data/stories`` with ``parallax.engine.compare.compare`` and scores the sentence links of its
rows against the story's ``truth.json`` (precision, recall, and how many hard negatives were paired).

``--dump-dev`` prints the dev half's feature values as TSV instead, so thresholds are calibrated on dev only;
the test half is held back for the final figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer

from parallax.engine.compare import CompareOptions, compare
from parallax.engine.config import ENGINE
from parallax.engine.similarity import dice
from parallax.model import DEFAULT_IGNORE
from parallax.text import match_key, plain_document, words

DATA = Path(__file__).parent / "data"
#: The changed tier's word-Dice threshold: the baseline's bar.
PAIR_THRESHOLD = ENGINE.changed_dice
PAIRS = DATA / "pairs.jsonl"
STORIES = DATA / "stories"
LABELS = ("same", "edited", "reworded", "different")
SPLITS = ("dev", "test")
#: Gold label -> the kind a judge should answer (None: not a pair).
KIND_OF = {"same": "same", "edited": "changed", "reworded": "reworded", "different": None}
#: Comparison row kinds that link a left sentence with a right one.
LINKED_KINDS = ("same", "changed", "reworded", "moved")

Judge = Callable[[str, str], tuple[str | None, float]]


@dataclass(frozen=True)
class LabelledPair:
    """One labelled pair of sentences."""

    id: str
    left: str
    right: str
    label: str
    split: str
    event: str
    note: str


def load_pairs(path: Path = PAIRS) -> list[LabelledPair]:
    """The labelled pairs of the JSONL file."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append(LabelledPair(row["id"], row["left"], row["right"], row["label"], row["split"],
                                      row["event"], row.get("note", "")))
    return pairs


def baseline_judge(left: str, right: str) -> tuple[str | None, float]:
    """Today's engine: identical match keys are 'same', Dice on word bags >= PAIR_THRESHOLD 'changed'."""
    left_key, right_key = match_key(left, DEFAULT_IGNORE), match_key(right, DEFAULT_IGNORE)
    if left_key == right_key:
        return "same", 1.0
    score = dice(words(left_key), words(right_key))
    return ("changed" if score >= PAIR_THRESHOLD else None), score


def engine_judge() -> Judge | None:
    """The engine's judge_pair, if this version of the engine has one."""
    try:
        from parallax.engine.similarity import judge_pair  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    found: Judge = judge_pair
    return found


# --- pair-level scoring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts behind them."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of predicted positives that are right."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Share of gold positives found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def prf(gold: Iterable[bool], predicted: Iterable[bool]) -> PRF:
    """Counts of a binary decision against gold."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        tp += g and p
        fp += p and not g
        fn += g and not p
    return PRF(tp, fp, fn)


def score_pairs(pairs: list[LabelledPair], judge: Judge) -> dict[str, Any]:
    """Per-tier and overall figures of one judge on some pairs."""
    kinds = [judge(p.left, p.right)[0] for p in pairs]
    result: dict[str, Any] = {"n": len(pairs), "tiers": {}, "paired_rate": {}, "errors": []}
    for label in LABELS:
        wanted = KIND_OF[label]
        gold = [p.label == label for p in pairs]
        result["tiers"][label] = prf(gold, [k == wanted for k in kinds])
        members = [k for p, k in zip(pairs, kinds, strict=True) if p.label == label]
        result["paired_rate"][label] = (sum(k is not None for k in members) / len(members)) if members else 0.0
    result["paired"] = prf([p.label != "different" for p in pairs], [k is not None for k in kinds])
    result["errors"] = [(p, k) for p, k in zip(pairs, kinds, strict=True)
                        if (k is None) != (p.label == "different")]
    return result


def print_pair_table(name: str, split: str, result: dict[str, Any]) -> None:
    """One compact block of figures for a judge on a half."""
    print(f"  {name:<9} {split:<5} n={result['n']:<4}"
          f"  paired P={result['paired'].precision:.3f} R={result['paired'].recall:.3f}"
          f" F1={result['paired'].f1:.3f}")
    cells = []
    for label in LABELS:
        tier = result["tiers"][label]
        rate = result["paired_rate"][label]
        cells.append(f"{label}: P={tier.precision:.2f} R={tier.recall:.2f} F1={tier.f1:.2f} paired={rate:.2f}")
    print("      " + " | ".join(cells[:2]))
    print("      " + " | ".join(cells[2:]))


# --- features for calibration (dev only) --------------------------------------------------------------------

_STEMMER = snowballstemmer.stemmer("english")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
#: Function words left out of the content-word Dice (a short closed list, not a frequency cut).
_STOPWORD_TEXT = """
a an the and or but of to in on at by for with from as into over after before about than that this these those
is are was were be been being has have had will would could should may might can do does did not no it its
he she they we you i his her their our your him them us who whom which what when where while said says say
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _bag(text: str) -> list[str]:
    """Word tokens of the engine's key, case-folded."""
    return list(words(match_key(text, DEFAULT_IGNORE)).elements())


def _dice_lists(a: list[str], b: list[str]) -> float:
    """Dice of two token lists taken as multisets."""
    from collections import Counter
    return dice(Counter(a), Counter(b))


def _trigrams(text: str) -> list[str]:
    """Character trigrams of the case-folded, NFC, space-collapsed text."""
    flat = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return [flat[i:i + 3] for i in range(max(len(flat) - 2, 0))]


def features(left: str, right: str) -> dict[str, float]:
    """Lexical feature values of a pair: the quantities a judge's thresholds would be calibrated on."""
    a, b = _bag(left), _bag(right)
    content_a = [w for w in a if w not in STOPWORDS]
    content_b = [w for w in b if w not in STOPWORDS]
    stems_a, stems_b = _STEMMER.stemWords(content_a), _STEMMER.stemWords(content_b)
    numbers_a, numbers_b = set(_NUMBER_RE.findall(left)), set(_NUMBER_RE.findall(right))
    nfc_a = unicodedata.normalize("NFC", match_key(left, DEFAULT_IGNORE | {"case"}))
    nfc_b = unicodedata.normalize("NFC", match_key(right, DEFAULT_IGNORE | {"case"}))
    return {
        "key_equal": float(match_key(left, DEFAULT_IGNORE) == match_key(right, DEFAULT_IGNORE)),
        "cosmetic_equal": float(" ".join(nfc_a.split()) == " ".join(nfc_b.split())),
        "dice": _dice_lists(a, b),
        "content_dice": _dice_lists(content_a, content_b),
        "stem_dice": _dice_lists(stems_a, stems_b),
        "trigram_dice": _dice_lists(_trigrams(left), _trigrams(right)),
        "len_ratio": min(len(a), len(b)) / max(len(a), len(b), 1),
        "numbers_shared": float(len(numbers_a & numbers_b)),
        "numbers_conflict": float(bool(numbers_a and numbers_b and numbers_a != numbers_b)),
    }


def dump_dev(pairs: list[LabelledPair]) -> None:
    """TSV of the dev half's features, one pair a line."""
    dev = [p for p in pairs if p.split == "dev"]
    names = list(features("a", "a"))
    print("\t".join(["id", "label", "note", *names]))
    for pair in dev:
        values = features(pair.left, pair.right)
        print("\t".join([pair.id, pair.label, pair.note.replace("\t", " "), *(f"{values[n]:.3f}" for n in names)]))


# --- document-level alignment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """One event told by several outlets, with the sentence links a reader would draw."""

    event: str
    split: str
    outlets: dict[str, str]
    links: list[tuple[str, str, str, str, str]]
    hard_negatives: list[tuple[str, str, str, str, str]]


def load_stories(root: Path = STORIES) -> list[Story]:
    """Every story folder holding outlet texts and a truth.json."""
    stories = []
    for folder in sorted(p for p in root.iterdir() if (p / "truth.json").is_file()) if root.is_dir() else []:
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        outlets = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}

        def rows(key: str, truth: dict[str, Any] = truth) -> list[tuple[str, str, str, str, str]]:
            return [(r["left_outlet"], r["left"], r["right_outlet"], r["right"], r.get("kind", ""))
                    for r in truth.get(key, [])]

        stories.append(Story(folder.name, truth["split"], outlets, rows("links"), rows("hard_negatives")))
    return stories


def _norm(text: str) -> str:
    """Whitespace-collapsed text, to find a truth sentence inside a row's text."""
    return " ".join(text.split())


def _lines_in(text: str, lines: set[str]) -> list[str]:
    """The story lines a row's text holds, or the one line it is a piece of (the engine may cut a line in two)."""
    flat = _norm(text)
    return [line for line in lines if _norm(line) in flat or (len(flat) > 1 and flat in _norm(line))]


def engine_links(left_text: str, right_text: str, truth_left: set[str],
                 truth_right: set[str]) -> tuple[set[tuple[str, str]], int]:
    """Links (truth-left sentence, truth-right sentence) drawn by the engine's rows, and its linked row count.

    A row links every story line found in (or holding) its left text with every one found in its right text;
    linked rows matching no line on a side still count as predictions (wrong ones) via the row count.
    """
    comparison = compare(plain_document(left_text), plain_document(right_text), CompareOptions())
    links: set[tuple[str, str]] = set()
    unmatched_rows = 0
    for row in comparison.rows:
        if row.kind not in LINKED_KINDS or row.left is None or row.right is None:
            continue
        lefts = _lines_in(row.left, truth_left)
        rights = _lines_in(row.right, truth_right)
        if not lefts or not rights:
            unmatched_rows += 1
        links.update(itertools.product(lefts, rights))
    return links, unmatched_rows


def sentences_of(text: str) -> list[str]:
    """The story's sentences as written: one a line, blank lines between paragraphs ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def score_story(story: Story) -> dict[str, Any]:
    """Document-level precision/recall of the engine's links over every ordered pair of outlets in the story."""
    tp = fp = fn = hard = 0
    for left_name, right_name in itertools.combinations(sorted(story.outlets), 2):
        truth = {(l_, r_) for lo, l_, ro, r_, _ in story.links if (lo, ro) == (left_name, right_name)}
        truth |= {(r_, l_) for lo, l_, ro, r_, _ in story.links if (lo, ro) == (right_name, left_name)}
        negatives = {(l_, r_) for lo, l_, ro, r_, _ in story.hard_negatives if (lo, ro) == (left_name, right_name)}
        negatives |= {(r_, l_) for lo, l_, ro, r_, _ in story.hard_negatives
                      if (lo, ro) == (right_name, left_name)}
        left_sentences = set(sentences_of(story.outlets[left_name]))
        right_sentences = set(sentences_of(story.outlets[right_name]))
        found, stray_rows = engine_links(story.outlets[left_name], story.outlets[right_name],
                                         left_sentences, right_sentences)
        tp += len(found & truth)
        fp += len(found - truth) + stray_rows
        fn += len(truth - found)
        hard += len(found & negatives)
    return {"event": story.event, "split": story.split, "prf": PRF(tp, fp, fn), "hard_paired": hard,
            "hard_total": len(story.hard_negatives)}


def print_story_table(stories: list[Story]) -> None:
    """Per-story and per-half document-level figures of the engine's compare()."""
    print("\ndocument level: parallax.engine.compare.compare on every pair of outlets (links = sentence pairs)")
    for split in SPLITS:
        total = PRF(0, 0, 0)
        hard = hard_total = 0
        for story in (s for s in stories if s.split == split):
            result = score_story(story)
            figures: PRF = result["prf"]
            print(f"  {split:<5} {story.event:<22} P={figures.precision:.3f} R={figures.recall:.3f} "
                  f"F1={figures.f1:.3f}  hard negatives paired {result['hard_paired']}/{result['hard_total']}")
            total = PRF(total.tp + figures.tp, total.fp + figures.fp, total.fn + figures.fn)
            hard += result["hard_paired"]
            hard_total += result["hard_total"]
        print(f"  {split:<5} {'ALL':<22} P={total.precision:.3f} R={total.recall:.3f} F1={total.f1:.3f}"
              f"  hard negatives paired {hard}/{hard_total}")


def main(argv: list[str] | None = None) -> int:
    """Print the pair-level table for each judge and half, then the document-level table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dump-dev", action="store_true", help="print the dev half's feature values (TSV)")
    parser.add_argument("--errors", action="store_true", help="list the pairs each judge gets wrong on dev")
    args = parser.parse_args(argv)
    pairs = load_pairs()
    if args.dump_dev:
        dump_dev(pairs)
        return 0
    judges: dict[str, Judge] = {"baseline": baseline_judge}
    judge = engine_judge()
    if judge is None:
        print("judge: parallax.engine.similarity.judge_pair not found, skipped")
    else:
        judges["judge"] = judge
    counts = {s: {label: sum(1 for p in pairs if p.split == s and p.label == label) for label in LABELS}
              for s in SPLITS}
    print(f"pairs: {len(pairs)}  " + "  ".join(f"{s}: {counts[s]}" for s in SPLITS))
    print(f"pair level (gold same/edited/reworded -> kind same/changed/reworded; baseline Dice >= {PAIR_THRESHOLD})")
    for name, run in judges.items():
        for split in SPLITS:
            result = score_pairs([p for p in pairs if p.split == split], run)
            print_pair_table(name, split, result)
            if args.errors and split == "dev":
                for pair, kind in result["errors"]:
                    print(f"        wrong: {pair.id} gold={pair.label} got={kind}")
    print_story_table(load_stories())
    return 0


if __name__ == "__main__":
    sys.exit(main())
