"""Coverage, unique passages and the similarity matrix as the comparison pages read them.

The overview's pairs are the comparison engine's: a base sentence is carried by another source when the comparison
of the two pairs it (same, changed, reworded or moved), and a passage is unique to an outlet when no comparison with
a source of another outlet pairs it. Comparisons come through the pipeline (``rows_of``, cached), the base's first,
then every other pair of outlets, then the versions of one outlet, until the deadline; a source left uncompared
keeps the shared-phrase index's verdict (``parallax.story.overview``), and the limits say so. The matrix gives, for
each compared pair, the share of both sources' passages their comparison pairs, so it agrees with the comparison
page, across languages too.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parallax.model import PAIRED_KINDS
from parallax.story.overview import Carrier, Coverage, Sent, StoryModel, budget_note, extend_runs, matchable

#: A comparison's rows (``Comparison.to_dict()["rows"]``) of source i (left) against source j (right).
RowsOf = Callable[[int, int], Sequence[Mapping[str, Any]]]
#: Share of the time budget the comparisons for unique passages leave to the rest of the page (quotes, row links).
RESERVE = 0.4
#: Sources up to which every pair of outlets is compared for unique passages (n² comparisons); above it unique
#: passages come from the shared-phrase index and only the base is compared.
MAX_PAIRED_SOURCES = 12


@dataclass(frozen=True)
class Pairing:
    """The sentence positions one comparison pairs: on each side, position → (other side's position, kind, score)."""

    left: dict[int, tuple[int, str, float]]
    right: dict[int, tuple[int, str, float]]


def pairing(rows: Sequence[Mapping[str, Any]], sizes: tuple[int, int]) -> Pairing:
    """What a comparison's rows pair, sentence by sentence. A row holds its side's sentences from its position up to
    the next row's (every sentence is in one row); ``sizes`` are the two texts' sentence counts."""
    starts = [sorted(r[f"{side}_pos"] for r in rows if r[f"{side}_pos"] is not None) for side in ("left", "right")]
    found: tuple[dict[int, tuple[int, str, float]], dict[int, tuple[int, str, float]]] = ({}, {})
    for row in rows:
        if row["kind"] not in PAIRED_KINDS or row["left_pos"] is None or row["right_pos"] is None:
            continue
        at = (row["left_pos"], row["right_pos"])
        for side in (0, 1):
            following = bisect_right(starts[side], at[side])
            end = starts[side][following] if following < len(starts[side]) else sizes[side]
            for pos in range(at[side], max(end, at[side] + 1)):
                found[side][pos] = (at[1 - side], row["kind"], float(row["similarity"]))
    return Pairing(*found)


@dataclass
class Reading:
    """What the comparisons say of a story: the base's coverage, each source's unique runs, and what was left out."""

    coverage: list[Coverage]
    unique: list[list[list[Sent]]]
    compared: dict[tuple[int, int], Pairing] = field(default_factory=dict)
    limits: list[str] = field(default_factory=list)

    def paired_shares(self, model: StoryModel) -> dict[tuple[int, int], float]:
        """For each compared pair (i < j), the share of the two sources' matchable passages their comparison pairs:
        what the comparison page shows of them, in other words and across languages alike."""
        matchable_at = [{s.pos for s in p.sentences if not s.boilerplate and s.words} for p in model.prepared]
        shares = {}
        for (i, j), pairs in self.compared.items():
            total = len(matchable_at[i]) + len(matchable_at[j])
            paired = len(matchable_at[i] & pairs.left.keys()) + len(matchable_at[j] & pairs.right.keys())
            shares[(min(i, j), max(i, j))] = paired / total if total else 0.0
        return shares


def read(model: StoryModel, base: int, rows_of: RowsOf, deadline: float, budget: float,
         max_sources: int) -> Reading:
    """Coverage of ``base`` and unique passages from engine comparisons made before ``deadline`` (the base against up
    to ``max_sources`` others first); what no comparison read keeps the index's verdict, said in the limits."""
    prepared = model.prepared
    count = len(prepared)
    names: dict[str, int] = {}
    outlet_of = [names.setdefault(p.outlet, len(names)) for p in prepared]
    order = [(base, k) for k in range(count) if k != base] if count <= max_sources else []
    if count <= MAX_PAIRED_SOURCES:  # other outlets first (unique passages need them), then one outlet's versions
        others = [(i, j) for i in range(count) for j in range(i + 1, count) if base not in (i, j)]
        order += sorted(others, key=lambda ij: outlet_of[ij[0]] == outlet_of[ij[1]])
    reading = Reading([], [])
    base_pairs = count - 1 if count <= max_sources else 0
    for n, (i, j) in enumerate(order):
        # The base's comparisons may take the whole budget; the others leave a share of it to the rest of the page.
        if time.monotonic() > (deadline if n < base_pairs else deadline - RESERVE * budget):
            break
        sizes = (len(prepared[i].sentences), len(prepared[j].sentences))
        reading.compared[(i, j)] = pairing(rows_of(i, j), sizes)
    reading.coverage = _coverage(model, base, reading, deadline, budget)
    reading.unique = _unique(model, reading, outlet_of, budget, bool(order))
    return reading


def _paired(compared: Mapping[tuple[int, int], Pairing], i: int, j: int) -> dict[int, tuple[int, str, float]] | None:
    """Source i's positions that its comparison with j pairs (None when they were not compared)."""
    if (i, j) in compared:
        return compared[(i, j)].left
    if (j, i) in compared:
        return compared[(j, i)].right
    return None


def _coverage(model: StoryModel, base: int, reading: Reading, deadline: float, budget: float) -> list[Coverage]:
    """Each matchable base sentence with the sources whose comparison pairs it; uncompared sources as the index says."""
    others = [k for k in range(len(model.prepared)) if k != base]
    compared = {k: pairs for k in others if (pairs := _paired(reading.compared, base, k)) is not None}
    index: dict[int, Coverage] = {}
    if len(compared) < len(others):
        matched, whole = model.coverage_within(base, deadline)
        index = {item.sent.pos: item for item in matched}
        if not whole:
            reading.limits.append(budget_note("passage coverage", len(matched),
                                              matchable(model.prepared[base:base + 1]), budget))
        if compared:
            reading.limits.append(f"time budget of {budget:g} s reached: {len(others) - len(compared)} of "
                                  f"{len(others)} sources are matched by shared phrasing, not by their comparison")
    out: list[Coverage] = []
    for sent in model.prepared[base].sentences:
        if sent.boilerplate or not sent.words:
            continue
        carriers = [c for c in index[sent.pos].carriers if c.source not in compared] if sent.pos in index else []
        if not compared and sent.pos not in index:
            continue  # the index was cut short here and no comparison read it
        for k, pairs in compared.items():
            hit = pairs.get(sent.pos)
            if hit is not None:
                carriers.append(Carrier(k, hit[1], hit[0], round(hit[2], 3)))
        out.append(Coverage(sent, tuple(sorted(carriers, key=lambda c: c.source))))
    return out


def _unique(model: StoryModel, reading: Reading, outlet_of: Sequence[int], budget: float,
            wanted: bool) -> list[list[list[Sent]]]:
    """Per source, runs of consecutive sentences (within a paragraph) that no comparison with another outlet's
    source pairs; a source not compared with every other outlet keeps the index's runs."""
    count = len(model.prepared)
    result: list[list[list[Sent]]] = []
    left_to_index = 0
    for s, source in enumerate(model.prepared):
        found = [_paired(reading.compared, s, t) for t in range(count) if outlet_of[t] != outlet_of[s]]
        if any(pairs is None for pairs in found):
            left_to_index += 1
            result.append(model.unique[s])
            continue
        carried = {pos for pairs in found if pairs for pos in pairs}
        runs: list[list[Sent]] = []
        previous: Sent | None = None
        for sent in source.sentences:
            if sent.boilerplate or not sent.words or sent.pos in carried:
                continue
            extend_runs(runs, previous, sent)
            previous = sent
        result.append(runs)
    if wanted and count <= MAX_PAIRED_SOURCES and left_to_index:
        reading.limits.append(f"time budget of {budget:g} s reached: unique passages of {left_to_index} of {count} "
                              "sources are found by shared phrasing, not by their comparisons")
    return result
