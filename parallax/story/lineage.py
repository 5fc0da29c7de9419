"""Who carried shared text first: attribution lines found by a small rule set, and a story's lineage graph.

For each passage shared by sources of a story (sentences linked by ``parallax.index.reuse``), the carrier that appeared
first — by capture time, else published date — is taken as its origin and every later carrier gets an edge from
it. Sources with no known time come last and their edges are marked as of unknown order. An edge between
different outlets whose later side names no attribution at all is flagged: wire or copied text carried without
saying where it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

#: Rules finding who a text credits. Each names the kind of credit; the name is the group ``name``.
_NAME = r"(?P<name>(?:the[ ]+)?[A-Z][\w&'’-]*(?:[ ]+(?:[A-Z][\w&'’-]*|of|news|agency)){0,4})"
ATTRIBUTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("contributed", re.compile(rf"{_NAME}\s+contributed\s+(?:to\s+)?(?:this\s+)?(?:reporting|report|story)")),
    ("source", re.compile(rf"(?:^|\n)\s*(?:Source|Sources|Via|Credit)\s*:\s*{_NAME}", re.IGNORECASE)),
    ("with", re.compile(rf"(?:^|\n)\s*[-—–]?\s*[Ww]ith\s+(?:agencies|{_NAME})\s*$", re.MULTILINE)),
    ("dateline", re.compile(r"^[A-Z][A-Z .'-]+\s*\((?P<name>AFP|Reuters|AP|TASS|Xinhua|Yonhap|Anadolu)\)\s*[-—–]",
                            re.MULTILINE)),
    ("according to", re.compile(rf"according to\s+(?:the\s+)?{_NAME}")),
    ("reported", re.compile(rf"{_NAME}\s+(?:news\s+agency\s+)?reported\b")),
)
#: News agencies and state wires: crediting one of these counts as attributing shared text.
AGENCIES = ("AFP", "Agence France-Presse", "Reuters", "AP", "Associated Press", "TASS", "RIA Novosti", "Interfax",
            "Xinhua", "KCNA", "Yonhap", "Kyodo", "Anadolu", "DPA", "EFE", "ANSA", "IRNA", "Bloomberg")
_NOT_NAMES = {"he", "she", "it", "they", "we", "the", "this", "that", "officials", "sources", "media"}


@dataclass(frozen=True)
class Attribution:
    """A credit a text carries: its kind (contributed, source, according to, …), the name credited, the words."""

    kind: str
    name: str
    text: str


def attributions(text: str) -> list[Attribution]:
    """Credits found in a text by the rule set, one per (kind, name), in order of appearance."""
    found: dict[tuple[str, str], tuple[int, Attribution]] = {}
    for kind, rule in ATTRIBUTION_RULES:
        for match in rule.finditer(text):
            name = re.sub(r"^the\s+", "", match["name"].strip(), flags=re.IGNORECASE).rstrip(".,;:")
            if not name or name.casefold() in _NOT_NAMES:
                continue
            key = (kind, name.casefold())
            if key not in found:
                found[key] = (match.start(), Attribution(kind, name, match[0].strip()))
    return [item for _, item in sorted(found.values(), key=lambda x: x[0])]


def credits(found: Sequence[Attribution], outlet: str) -> bool:
    """Whether the credits name this outlet or any news agency (so shared text from it is attributed)."""
    names = [a.name.casefold() for a in found]
    wanted = [outlet.casefold(), *(a.casefold() for a in AGENCIES)]
    return any(w and (w in n or n in w) for n in names for w in wanted if len(n) > 1)


def parse_time(value: str) -> dt.datetime | None:
    """An ISO date or date-time as a naive UTC datetime, None when empty or unreadable."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def time_gap(earlier: str, later: str) -> str:
    """How much earlier one time is than another, in words ('2 h earlier', 'the same day', '' when unknown)."""
    a, b = parse_time(earlier), parse_time(later)
    if a is None or b is None:
        return ""
    date_only = len(earlier) <= 10 or len(later) <= 10
    if date_only:
        days = (b.date() - a.date()).days
        if days == 0:
            return "the same day"
        return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'earlier' if days > 0 else 'later'}"
    seconds = (b - a).total_seconds()
    word = "earlier" if seconds > 0 else "later"
    seconds = abs(seconds)
    if seconds < 60:
        return "at the same time"
    if seconds < 3600:
        return f"{round(seconds / 60)} min {word}"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h {word}"
    return f"{round(seconds / 86400)} days {word}"


@dataclass(frozen=True)
class Node:
    """A source in the lineage graph."""

    id: str
    outlet: str
    time: str
    attributions: tuple[Attribution, ...]


@dataclass(frozen=True)
class Edge:
    """Shared text first carried by ``origin`` and carried later by ``carrier``."""

    origin: str
    carrier: str
    sentences: int
    passages: int
    ordered: bool
    same_outlet: bool
    attributed: bool

    @property
    def flagged(self) -> bool:
        """Text from another outlet carried without any credit."""
        return not self.same_outlet and not self.attributed


def _order_key(node: Node) -> tuple[int, dt.datetime, str]:
    """Sort key: known times first, oldest first, then id."""
    when = parse_time(node.time)
    return (0 if when else 1, when or dt.datetime.max, node.id)


def _runs(positions: set[int]) -> int:
    """Number of runs of consecutive positions."""
    ordered = sorted(positions)
    return sum(1 for n, p in enumerate(ordered) if n == 0 or p != ordered[n - 1] + 1)


def build(nodes: Sequence[Node], pairs: Sequence[tuple[str, int, str, int, float]]) -> list[Edge]:
    """Edges of the lineage: per cluster of shared sentences, from its earliest carrier to each later one."""
    by_id = {n.id: n for n in nodes}
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(item: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, pa, b, pb, _ in pairs:
        if a in by_id and b in by_id:
            ra, rb = find((a, pa)), find((b, pb))
            if ra != rb:
                parent[ra] = rb
    clusters: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for item in list(parent):
        clusters[find(item)].append(item)
    carried: dict[tuple[str, str], set[int]] = defaultdict(set)
    for members in clusters.values():
        first: dict[str, int] = {}
        for source, pos in sorted(members):
            first.setdefault(source, pos)
        if len(first) < 2:
            continue
        by_time = sorted(first, key=lambda s: _order_key(by_id[s]))
        for carrier in by_time[1:]:
            carried[(by_time[0], carrier)].add(first[carrier])
    edges = []
    for (first_id, later_id), positions in carried.items():
        older, newer = by_id[first_id], by_id[later_id]
        t_old, t_new = parse_time(older.time), parse_time(newer.time)
        ordered = bool(t_old and t_new and t_old != t_new)
        same = older.outlet.casefold() == newer.outlet.casefold() and bool(older.outlet)
        edges.append(Edge(first_id, later_id, len(positions), _runs(positions), ordered, same,
                          credits(newer.attributions, older.outlet)))
    return sorted(edges, key=lambda e: (_order_key(by_id[e.origin]), _order_key(by_id[e.carrier])))


def order(nodes: Sequence[Node]) -> list[Node]:
    """Nodes oldest first, unknown times last."""
    return sorted(nodes, key=_order_key)
