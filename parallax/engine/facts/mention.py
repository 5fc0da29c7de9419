"""What every fact reader finds and reports: a ``Mention`` in one text, a ``FactDiff`` across two, the shared scans.

Each text is cut into words once (``words``, cached for the pair being compared); the readers then try their
patterns only where such a fact can start (``anchored``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from parallax.model import FactKind

#: Quoted spans, or attributions, per side considered for pairing (pairing is all-pairs, so it is capped).
MAX_QUOTES = 12


@dataclass(frozen=True)
class FactDiff:
    """One fact that differs between two aligned sentences, with exact spans into each side."""

    kind: FactKind
    left: str | None
    right: str | None
    left_span: tuple[int, int] | None
    right_span: tuple[int, int] | None
    label: str
    #: The outlet whose text alone states the fact (None when both state it, differently).
    outlet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"kind": self.kind, "left": self.left, "right": self.right,
                "left_span": list(self.left_span) if self.left_span else None,
                "right_span": list(self.right_span) if self.right_span else None, "label": self.label,
                "outlet": self.outlet}


class Mention(NamedTuple):
    """A fact found in one text: its span, exact text and the key that decides equality across sides."""

    start: int
    end: int
    text: str
    key: Any
    group: str = ""
    how: tuple[int, int] | None = None


def fact_diff(kind: FactKind, left: str, right: str, left_span: tuple[int, int] | None,
              right_span: tuple[int, int] | None, quoted: bool = False) -> FactDiff:
    """A FactDiff with its texts cut from the spans and a short label."""
    a = left[left_span[0]:left_span[1]] if left_span else None
    b = right[right_span[0]:right_span[1]] if right_span else None
    shown = [f"“{t}”" if quoted and t is not None else t for t in (a, b)]
    if shown[0] is not None and shown[1] is not None:
        label = f"{shown[0]} → {shown[1]}"
    elif shown[0] is not None:
        label = f"{shown[0]}: only in left"
    else:
        label = f"{shown[1]}: only in right"
    return FactDiff(kind, a, b, left_span, right_span, label)


_TOKEN_RE = re.compile(r"\w+")


@lru_cache(maxsize=16)
def words(text: str) -> tuple[tuple[int, str], ...]:
    """Start and folded form of every run of word characters (shared by the scans of one pair)."""
    return tuple((m.start(), m.group(0).casefold()) for m in _TOKEN_RE.finditer(text))


def anchored(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds when matches can only start at ``starts`` (ascending): the pattern is
    tried there alone instead of at every position, which is most of the cost of a scan."""
    end = -1
    for start in starts:
        if start < end:
            continue
        match = pattern.match(text, start)
        if match:
            end = max(match.end(), start + 1)
            yield match
