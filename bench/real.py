"""Real news, labelled by reading both texts: loading and scoring shared by the real-text benchmarks.

``bench/data/real/cross/<pair>/`` holds two outlets' articles about one event (RealTimeQA 2025/2026 captures,
trimmed at a paragraph end) and ``pair.json``: every sentence link stating the same fact (``links``) and hard
negatives (same names or numbers, another claim). ``bench/data/real/versions/<pair>/`` holds two captures of one
URL with what was rewritten, added, removed and moved. Each pair carries its split (dev/test, by event).

A method is scored by the rows it draws: ``(left text, right text)`` pairs. A row links every labelled sentence
found in (or holding) its left text with every one found in its right text; a row that matches no labelled
sentence on a side counts as a wrong link. Recall is given over all links and over the links that state one whole
fact (kinds same, edited, reworded); a "partial" link joins two sentences that share only part of a fact (one
side lists five cities, the other says "California cities ranked worst"), which sentence pairing reaches least.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REAL = Path(__file__).parent / "data" / "real"
ROOT = Path(__file__).resolve().parent.parent
SPLITS = ("dev", "test")

#: A method: two texts in, the rows it links out.
Method = Callable[[str, str], list[tuple[str, str]]]


@dataclass(frozen=True)
class CrossPair:
    """Two outlets' articles about one event, with the links a reader draws between them."""

    id: str
    event: str
    split: str
    left: str
    right: str
    left_outlet: str
    right_outlet: str
    links: list[tuple[str, str]]
    negatives: list[tuple[str, str]]
    #: The languages of the two texts (bench/data/real/xlang pairs a language with English).
    languages: tuple[str, str] = ("en", "en")
    #: Links that carry only part of a fact (one side tells more, or one detail of it): kind "partial" in pair.json.
    partial: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class VersionPair:
    """Two captures of one URL, with the labelled edits."""

    id: str
    left: str
    right: str
    rewritten: list[tuple[str, str]]
    added: list[str]
    removed: list[str]
    moved: list[dict[str, Any]]


def load_cross(root: Path = REAL / "cross") -> list[CrossPair]:
    """Every labelled cross-outlet pair."""
    pairs = []
    for folder in sorted(p for p in root.iterdir() if (p / "pair.json").is_file()):
        meta = json.loads((folder / "pair.json").read_text(encoding="utf-8"))
        pairs.append(CrossPair(
            meta["id"], meta["event"], meta["split"],
            (folder / "left.txt").read_text(encoding="utf-8"), (folder / "right.txt").read_text(encoding="utf-8"),
            meta["left"]["outlet"], meta["right"]["outlet"],
            [(link["left"], link["right"]) for link in meta["links"]],
            [(neg["left"], neg["right"]) for neg in meta.get("hard_negatives", [])],
            (meta["left"].get("language", "en"), meta["right"].get("language", "en")),
            frozenset((link["left"], link["right"]) for link in meta["links"] if link.get("kind") == "partial")))
    return pairs


def load_versions(root: Path = REAL / "versions") -> list[VersionPair]:
    """Every labelled pair of captures of one URL."""
    pairs = []
    for folder in sorted(p for p in root.iterdir() if (p / "pair.json").is_file()):
        meta = json.loads((folder / "pair.json").read_text(encoding="utf-8"))
        pairs.append(VersionPair(
            meta["id"], (folder / "left.txt").read_text(encoding="utf-8"),
            (folder / "right.txt").read_text(encoding="utf-8"),
            [(r["left"], r["right"]) for r in meta.get("rewritten", [])],
            list(meta.get("added", [])), list(meta.get("removed", [])), list(meta.get("moved", []))))
    return pairs


def norm(text: str) -> str:
    """Whitespace-collapsed text."""
    return " ".join(text.split())


def lines_in(text: str, lines: Iterable[str]) -> list[str]:
    """The labelled sentences a row's text holds, or the one it is a piece of (a method may cut a sentence)."""
    flat = norm(text)
    return [line for line in lines if norm(line) in flat or (len(flat) > 3 and flat in norm(line))]


@dataclass
class Score:
    """Counts of one method on some pairs: its rows (right or wrong) and the labelled links they cover.

    Precision is per row drawn: a row is right when it links at least one labelled pair (a row holding two
    labelled sentences because a method cut them as one is not two mistakes). Recall is per labelled link.
    """

    right_rows: int = 0
    wrong_rows: int = 0
    found: int = 0
    links: int = 0
    hard: int = 0
    hard_total: int = 0
    whole_found: int = 0
    whole: int = 0

    def add(self, other: Score) -> None:
        """Add another score's counts."""
        for name in ("right_rows", "wrong_rows", "found", "links", "hard", "hard_total", "whole_found", "whole"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float:
        """Share of drawn rows that link a labelled pair."""
        drawn = self.right_rows + self.wrong_rows
        return self.right_rows / drawn if drawn else 0.0

    @property
    def recall(self) -> float:
        """Share of labelled links drawn."""
        return self.found / self.links if self.links else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def hard_rate(self) -> float:
        """Share of hard negatives linked."""
        return self.hard / self.hard_total if self.hard_total else 0.0

    @property
    def whole_recall(self) -> float:
        """Share of the links stating one whole fact (same, edited, reworded: not partial) drawn."""
        return self.whole_found / self.whole if self.whole else 0.0

    def line(self) -> str:
        """One line of figures."""
        return (f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} (whole facts R={self.whole_recall:.3f})"
                f"  hard negatives linked {self.hard}/{self.hard_total} ({self.hard_rate:.1%})")


def score_rows(pair: CrossPair, rows: list[tuple[str, str]]) -> Score:
    """Score a method's rows on one pair (see the module docstring and ``Score``)."""
    truth = set(pair.links)
    negatives = set(pair.negatives)
    left_lines = {a for a, _ in pair.links} | {a for a, _ in pair.negatives}
    right_lines = {b for _, b in pair.links} | {b for _, b in pair.negatives}
    found: set[tuple[str, str]] = set()
    hard: set[tuple[str, str]] = set()
    right = wrong = 0
    for left, right_text in rows:
        linked = set(itertools.product(lines_in(left, left_lines), lines_in(right_text, right_lines)))
        if linked & truth:
            right += 1
            found |= linked & truth
        else:
            wrong += 1
            hard |= linked & negatives
    whole = truth - pair.partial
    return Score(right, wrong, len(found), len(truth), len(hard), len(negatives), len(found & whole), len(whole))


def score_method(pairs: Iterable[CrossPair], method: Method) -> Score:
    """A method's counts summed over pairs."""
    total = Score()
    for pair in pairs:
        total.add(score_rows(pair, method(pair.left, pair.right)))
    return total


@contextlib.contextmanager
def earlier_checkout(revision: str) -> Iterator[Path]:
    """A temporary git worktree of this repository at ``revision`` (an earlier engine to measure against in the
    same run), removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        checkout = Path(folder) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(checkout), revision], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            yield checkout
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=True)
