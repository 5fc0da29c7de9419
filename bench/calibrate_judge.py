"""Fit the same-fact judge (parallax.engine.meaning) on the dev half of the real cross-outlet pairs.

Run ``python -m bench.calibrate_judge``. For every dev pair it cuts both texts as the engine does, anchors the
identical sentences, and builds the judge's features for the remaining substantive sentences; the gold label of a
sentence pair is whether it carries a labelled link. A logistic regression (class-weighted, L2, plain numpy) is
fitted on those, then the threshold is chosen on dev alone: the lowest probability whose engine alignment (the
real ``align`` with the fitted weights) keeps row precision at or above ``--precision``. It prints the values to
paste into ``EngineConfig`` and the dev figures; the test half is never read here (bench/bench_real.py reports it).

``--across`` fits the judge's second weight set, for sentences of two languages (``meaning.ACROSS_FEATURES``), on
the dev half of bench/data/real/xlang in the same way (bench/bench_xlang.py reports the test half).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from bench.real import REAL, CrossPair, Score, lines_in, load_cross, score_rows
from parallax.engine.align import Aligner, align
from parallax.engine.config import ENGINE, EngineConfig
from parallax.engine.meaning import ACROSS_FEATURES, FEATURES, across_features, features, is_heading
from parallax.engine.translation import substantive
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, plain_document


def pair_features(pair: CrossPair) -> tuple[np.ndarray, np.ndarray] | None:
    """Features and gold labels of the free sentence pairs of one labelled pair."""
    left = cut_sentences(plain_document(pair.left), DEFAULT_IGNORE)
    right = cut_sentences(plain_document(pair.right), DEFAULT_IGNORE)
    if not left or not right:
        return None
    aligner = Aligner(left, right, range(len(left)), range(len(right)))
    anchors = aligner.anchors(10.0)
    free_left = [i for i in aligner.substantive(0, sorted(set(range(len(left))) - {p.left for p in anchors}))
                 if not is_heading(left[i].text)]
    free_right = [j for j in aligner.substantive(1, sorted(set(range(len(right))) - {p.right for p in anchors}))
                  if not is_heading(right[j].text)]
    if not free_left or not free_right:
        return None
    values = features([aligner.profile(0, i) for i in free_left], [aligner.profile(1, j) for j in free_right],
                      [i / len(left) for i in free_left], [j / len(right) for j in free_right])
    if values is None:
        raise SystemExit("the sentence encoders did not load")
    truth = set(pair.links)
    lines_left = {a for a, _ in pair.links}
    lines_right = {b for _, b in pair.links}
    found_left = [lines_in(left[i].text, lines_left) for i in free_left]
    found_right = [lines_in(right[j].text, lines_right) for j in free_right]
    gold = np.array([[any((a, b) in truth for a in la for b in lb) for lb in found_right] for la in found_left])
    return values.reshape(-1, len(FEATURES)), gold.reshape(-1)


def across_pair_features(pair: CrossPair) -> tuple[np.ndarray, np.ndarray] | None:
    """Features for two languages and gold labels of the sentence pairs of one translated pair."""
    left = cut_sentences(plain_document(pair.left, pair.languages[0]), DEFAULT_IGNORE)
    right = cut_sentences(plain_document(pair.right, pair.languages[1]), DEFAULT_IGNORE)
    lefts = [i for i, s in enumerate(left) if substantive(s.text)]
    rights = [j for j, s in enumerate(right) if substantive(s.text)]
    if not lefts or not rights:
        return None
    values = across_features([left[i].text for i in lefts], [right[j].text for j in rights], pair.languages,
                             [i / len(left) for i in lefts], [j / len(right) for j in rights])
    if values is None:
        raise SystemExit("the multilingual encoder did not load")
    return values.reshape(-1, len(ACROSS_FEATURES)), _gold(pair, [left[i].text for i in lefts],
                                                           [right[j].text for j in rights])


def _gold(pair: CrossPair, lefts: list[str], rights: list[str]) -> np.ndarray:
    """Whether each pair of sentences carries a labelled link, flattened row by row."""
    truth = set(pair.links)
    found_left = [lines_in(text, {a for a, _ in pair.links}) for text in lefts]
    found_right = [lines_in(text, {b for _, b in pair.links}) for text in rights]
    return np.array([[any((a, b) in truth for a in la for b in lb) for lb in found_right]
                     for la in found_left]).reshape(-1)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 4000, rate: float = 0.5
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Class-weighted logistic regression on standardised features: means, scales, weights, bias."""
    means, scales = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - means) / scales, np.ones((len(x), 1))])
    weights = np.zeros(z.shape[1])
    balance = np.where(y, math.sqrt((len(y) - y.sum()) / max(y.sum(), 1)), 1.0)
    for _ in range(steps):
        chance = 1 / (1 + np.exp(-z @ weights))
        weights -= rate * (z.T @ ((chance - y) * balance) / len(y) + l2 * weights)
    return means, scales, weights[:-1], float(weights[-1])


def engine_rows(pair: CrossPair, config: EngineConfig) -> list[tuple[str, str]]:
    """The rows the engine's alignment links with a given configuration (across languages when the pair's
    languages differ)."""
    left = cut_sentences(plain_document(pair.left, pair.languages[0]), DEFAULT_IGNORE)
    right = cut_sentences(plain_document(pair.right, pair.languages[1]), DEFAULT_IGNORE)
    languages = pair.languages if pair.languages[0] != pair.languages[1] else None
    pairs, _ = align(left, right, range(len(left)), range(len(right)), lambda: math.inf, config=config,
                     languages=languages)
    return [("".join(s.text for s in left[p.left:p.left_end]), "".join(s.text for s in right[p.right:p.right_end]))
            for p in pairs]


def main(argv: list[str] | None = None) -> int:
    """Fit on dev, choose the threshold on dev, print the configuration values."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--precision", type=float, default=0.85, help="row precision the threshold keeps on dev")
    parser.add_argument("--across", action="store_true", help="fit the weights for two languages (xlang dev half)")
    args = parser.parse_args(argv)
    if args.across:
        # Each original also beside another article's English: a best match between unrelated texts is wrong.
        dev = [p for p in load_cross(REAL / "xlang") if p.split == "dev"]
        return calibrate(dev + mismatched(dev), across_pair_features, "across", ACROSS_FEATURES,
                         np.arange(0.05, 0.96, 0.05), args.precision)
    return calibrate([p for p in load_cross() if p.split == "dev"], pair_features, "judge", FEATURES,
                     np.arange(0.50, 0.995, 0.02), args.precision)


def calibrate(dev: list[CrossPair], build: Callable[[CrossPair], tuple[np.ndarray, np.ndarray] | None], prefix: str,
              names: tuple[str, ...], thresholds: np.ndarray, precision: float) -> int:
    """Fit one weight set (``EngineConfig.<prefix>_*``) on dev, choose its threshold there, print the values."""
    built = [found for found in map(build, dev) if found is not None]
    x = np.concatenate([b[0] for b in built])
    y = np.concatenate([b[1] for b in built]).astype(float)
    means, scales, weights, bias = fit(x, y)
    print(f"dev pairs {len(dev)}, sentence pairs {len(y)}, positives {int(y.sum())}")
    chosen: tuple[float, Score] | None = None
    for threshold in thresholds:
        values: dict[str, Any] = {f"{prefix}_weights": tuple(weights), f"{prefix}_means": tuple(means),
                                  f"{prefix}_scales": tuple(scales), f"{prefix}_bias": bias,
                                  f"{prefix}_threshold": float(threshold)}
        config = replace(ENGINE, **values)
        total = Score()
        for pair in dev:
            total.add(score_rows(pair, engine_rows(pair, config)))
        print(f"  threshold {threshold:.2f}: {total.line()}")
        if total.precision >= precision and (chosen is None or total.recall > chosen[1].recall):
            chosen = (float(threshold), total)

    def rounded(values: np.ndarray) -> str:
        return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"
    print("\nEngineConfig values (features: " + ", ".join(names) + "):")
    print(f"    {prefix}_weights: tuple[float, ...] = {rounded(weights)}")
    print(f"    {prefix}_means: tuple[float, ...] = {rounded(means)}")
    print(f"    {prefix}_scales: tuple[float, ...] = {rounded(scales)}")
    print(f"    {prefix}_bias: float = {bias:.4f}")
    if chosen:
        print(f"    {prefix}_threshold: float = {chosen[0]:.2f}  # dev: {chosen[1].line()}")
    else:
        print(f"no threshold reaches precision {precision} on dev")
    return 0


def mismatched(pairs: list[CrossPair]) -> list[CrossPair]:
    """Each pair's original beside the English of another article in the same languages: nothing there is the
    same fact, so every row drawn is wrong (translations alone would teach that any best match is one)."""
    out = []
    for n, pair in enumerate(pairs):
        other = next((o for o in pairs[n + 1:] + pairs[:n] if o.languages == pair.languages), None)
        if other is not None:
            out.append(CrossPair(f"{pair.id}~{other.id}", pair.event, pair.split, pair.left, other.right,
                                 pair.left_outlet, other.right_outlet, [], [], pair.languages))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
