"""Calibrate and check reuse.THRESHOLD and reuse.WORD_DICE on the labelled pairs (bench/data/reuse_pairs.jsonl).

Chooses the shingle-Jaccard threshold with the best F1 on the dev split (Jaccard alone), then the word-Dice gate
with the best F1 on dev at that threshold (the middle of the range that reaches it), then reports precision and
recall on the test split with the values the code uses. Run: .venv/bin/python -m bench.bench_reuse
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parallax.index import reuse

DATA = Path(__file__).resolve().parent / "data" / "reuse_pairs.jsonl"
GRID = [round(0.05 * n, 2) for n in range(2, 19)]


def same_passage(a: str, b: str, threshold: float | None = None, word_dice: float | None = None) -> bool:
    """Whether two sentences are the same passage under the index's rule (reuse.same_units) at these thresholds."""
    first, second = reuse.prepare(a), reuse.prepare(b)
    return bool(first and second and reuse.same_units(first, second, threshold, word_dice) is not None)


def load(split: str) -> list[dict[str, Any]]:
    """Labelled pairs of one split, each with its score."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = [r for r in rows if r["split"] == split]
    for row in chosen:
        row["score"] = reuse.score(row["a"], row["b"])
    return chosen


def metrics(rows: Sequence[dict[str, Any]], threshold: float, dice: float = 2.0) -> dict[str, float]:
    """Precision, recall and F1 of the same-passage rule (Jaccard ≥ threshold, or word Dice ≥ dice)."""
    said = [same_passage(r["a"], r["b"], threshold, dice) for r in rows]
    tp = sum(1 for r, s in zip(rows, said, strict=True) if s and r["label"])
    fp = sum(1 for r, s in zip(rows, said, strict=True) if s and not r["label"])
    fn = sum(1 for r, s in zip(rows, said, strict=True) if not s and r["label"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def main() -> None:
    """Print the calibration on dev and the check on test."""
    dev, test = load("dev"), load("test")
    print(f"pairs: dev {len(dev)} ({sum(r['label'] for r in dev)} positive), "
          f"test {len(test)} ({sum(r['label'] for r in test)} positive)")
    best = max(GRID, key=lambda t: (metrics(dev, t)["f1"], -abs(t - 0.5)))
    print("dev F1 by Jaccard threshold: " + ", ".join(f"{t}: {metrics(dev, t)['f1']}" for t in GRID))
    print(f"best on dev: {best} {metrics(dev, best)}; code uses reuse.THRESHOLD = {reuse.THRESHOLD}")
    dice_grid = [round(0.6 + 0.05 * n, 2) for n in range(8)]
    print("dev F1 by word-Dice gate: " + ", ".join(f"{d}: {metrics(dev, reuse.THRESHOLD, d)['f1']}"
                                                   for d in dice_grid))
    top = max(metrics(dev, reuse.THRESHOLD, d)["f1"] for d in dice_grid)
    tied = [d for d in dice_grid if metrics(dev, reuse.THRESHOLD, d)["f1"] == top]
    best_dice = round((tied[0] + tied[-1]) / 2, 3)
    print(f"best gate on dev: F1 {top} from {tied[0]} to {tied[-1]}, middle {best_dice}; "
          f"code uses reuse.WORD_DICE = {reuse.WORD_DICE}")
    print(f"test, Jaccard alone at {reuse.THRESHOLD}: {metrics(test, reuse.THRESHOLD)}")
    print(f"test, with the word-Dice gate {reuse.WORD_DICE}: {metrics(test, reuse.THRESHOLD, reuse.WORD_DICE)}")
    for row in test:
        if same_passage(row["a"], row["b"]) != bool(row["label"]):
            print(f"  test error {row['id']} {row['kind']} label={row['label']} score={row['score']:.2f}")


if __name__ == "__main__":
    main()
