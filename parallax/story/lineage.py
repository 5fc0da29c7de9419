"""Who carried shared text first: attribution lines found by a small rule set, and a story's lineage graph.

For each passage shared by sources of a story (sentences linked by ``parallax.index.reuse``), the carrier published
first — by publication time; the capture time only for a source whose publication time is unknown, and then said so
— is taken as its origin and every later carrier gets an edge from it. Sources with no known time come last and
their edges are marked as of unknown order. An edge between different outlets whose later side credits neither the
earlier outlet nor a news agency is flagged — wire or copied text carried without saying where it came from — unless
every sentence it carries is a shared citation: both sides credit the same third party in the sentence itself (a
quote both attribute to the same speaker, a figure both give "according to" the same body).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from parallax.corpus import Source
from parallax.engine.lexicon import NAME_WORD, QUOTE_MARKS, WHOLE_NAME, name_parts
from parallax.memo import Memo
from parallax.story.quotes import Quote, source_quotes

#: Role words a credit may carry after its names, kept in it ("Kremlin spokesman Dmitry Peskov", "North Korean
#: state media", "Russian state news agency Ria Novosti").
_ROLES = (r"(?:state\s+|official\s+)?(?:news\s+agency|agency|media|television|TV|newspaper|broadcaster|"
          r"spokesman|spokeswoman|spokesperson|officials?|ministry|government|police|authorities|sources)")
#: A credited name kept whole: "the National Air and Space Museum", not "the National Air".
_NAME = (rf"(?P<name>(?:[Tt]he[ \t]+)?{WHOLE_NAME}(?:[ \t]+official[ \t]+{WHOLE_NAME})?+"
         rf"(?:[ \t]+{_ROLES}(?:[ \t]+{WHOLE_NAME})?+)?+)")
#: Rules finding who a text credits. Each names the kind of credit; the name is the group ``name``.
ATTRIBUTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("contributed", re.compile(rf"{_NAME}\s+contributed\s+(?:to\s+)?(?:this\s+)?(?:reporting|report|story)")),
    ("contributed", re.compile(r"(?:^|\n)[ \t]*Contributing[ \t]*:[ \t]*(?P<name>[^\n]{1,300})")),
    ("source", re.compile(rf"(?:^|\n)\s*(?:Source|Sources|Via|Credit)\s*:\s*{_NAME}", re.IGNORECASE)),
    ("with", re.compile(rf"(?:^|\n)\s*[-—–]?\s*[Ww]ith\s+(?:agencies|{_NAME})\s*$", re.MULTILINE)),
    ("dateline", re.compile(r"^[A-Z][A-Z .'-]+\s*\((?P<name>AFP|Reuters|AP|TASS|Xinhua|Yonhap|Anadolu)\)\s*[-—–]",
                            re.MULTILINE)),
    ("according to", re.compile(rf"[Aa]ccording\s+to\s+{_NAME}")),
    ("reported", re.compile(rf"{_NAME}\s+(?:(?:on|in)\s+{NAME_WORD}\s+|also\s+|has\s+|had\s+)?reported\b")),
    ("told", re.compile(rf"\b(?:told|said\s+in\s+a\s+statement\s+to)\s+{_NAME}")),
)
#: News agencies and state wires: crediting one of these counts as attributing shared text.
AGENCIES = ("AFP", "Agence France-Presse", "Reuters", "AP", "Associated Press", "TASS", "RIA Novosti", "Interfax",
            "Xinhua", "KCNA", "Yonhap", "Kyodo", "Anadolu", "DPA", "EFE", "ANSA", "IRNA", "Bloomberg")
#: Characters a quote (or sentence) needs before one is found inside the other: "Yes." is no evidence.
MIN_QUOTED = 20
_NOT_NAMES = {"he", "she", "it", "they", "we", "the", "this", "that", "officials", "sources", "media"}
#: Capitalised words that start a sentence before a credit ("But Reuters reported"): not part of the name.
_LEADING = re.compile(r"^(?:(?:But|And|Earlier|Later|Meanwhile|However|Also|Now|Then|Separately|Yet|So)\s+)+")


@dataclass(frozen=True)
class Attribution:
    """A credit a text carries: its kind (contributed, source, according to, …), the name credited, the words."""

    kind: str
    name: str
    text: str


def _names(kind: str, raw: str) -> list[str]:
    """The names one credit gives: a list ("Contributing: Marina Pitofsky, USA TODAY; The Associated Press") cut
    into its names, names joined by "and" cut apart unless they are one organisation, a leading "the" and sentence
    starters dropped."""
    pieces = re.split(r"\s*[;,]\s*", raw) if kind == "contributed" and ("," in raw or ";" in raw) else [raw]
    found = []
    for piece in pieces:
        for part in name_parts(_LEADING.sub("", piece.strip())):
            name = re.sub(r"^the\s+", "", part, flags=re.IGNORECASE).rstrip(".,;:")
            if name and name.casefold() not in _NOT_NAMES:
                found.append(name)
    return found


def attributions(text: str) -> list[Attribution]:
    """Credits found in a text by the rule set, one per (kind, name), in order of appearance, each name whole."""
    found: dict[tuple[str, str], tuple[int, Attribution]] = {}
    for kind, rule in ATTRIBUTION_RULES:
        for match in rule.finditer(text):
            for name in _names(kind, match["name"]):
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


#: What a node's time is: when the source was published, or — publication unknown — when it was captured.
TimeBasis = Literal["published", "captured", ""]


def appeared(published: str, captured: str) -> tuple[str, TimeBasis]:
    """When a source appeared, for ordering carriers: its publication time, else (said so) its capture time."""
    if parse_time(published):
        return published, "published"
    if parse_time(captured):
        return captured, "captured"
    return "", ""


class StoryPair(NamedTuple):
    """A sentence two sources of one story share: both places, the similarity and both sentences' text."""

    source: str
    pos: int
    other: str
    other_pos: int
    score: float
    text: str
    other_text: str


@dataclass(frozen=True)
class Node:
    """A source in the lineage graph: ``time`` is its publication time, or its capture time when ``basis`` says
    "captured" (publication unknown); ``captured`` only breaks ties between sources published at the same time."""

    id: str
    outlet: str
    time: str
    attributions: tuple[Attribution, ...]
    basis: TimeBasis = "published"
    captured: str = ""
    quotes: tuple[Quote, ...] = ()


def source_node(source: Source, memo: Memo | None = None) -> Node:
    """A corpus source as a lineage node: its time, the credits its text carries and its attributed quotes."""
    time, basis = appeared(source.published, source.captured)
    found = tuple(attributions(source.document(frozenset({"markup"})).text))
    return Node(source.id, source.outlet, time, found, basis, source.captured,
                tuple(q for q in source_quotes(source, memo) if q.speaker))


@dataclass(frozen=True)
class Edge:
    """Shared text first carried by ``origin`` and carried later by ``carrier``; ``cited`` of its sentences are
    shared citations, crediting on both sides the third parties named in ``citations``."""

    origin: str
    carrier: str
    sentences: int
    passages: int
    ordered: bool
    same_outlet: bool
    attributed: bool
    cited: int = 0
    citations: tuple[str, ...] = ()

    @property
    def shared_citation(self) -> bool:
        """Every sentence carried is credited on both sides to the same third party (a quote both attribute to one
        speaker, a figure both give according to one body): common sourcing, not text taken from the origin."""
        return self.sentences > 0 and self.cited >= self.sentences

    @property
    def flagged(self) -> bool:
        """Text from another outlet carried without any credit, and not all of it a shared citation."""
        return not self.same_outlet and not self.attributed and not self.shared_citation


def _order_key(node: Node) -> tuple[int, dt.datetime, dt.datetime, str]:
    """Sort key: known times first, oldest first, then the earlier capture, then id."""
    when = parse_time(node.time)
    captured = parse_time(node.captured)
    return (0 if when else 1, when or dt.datetime.max, captured or dt.datetime.max, node.id)


def _ordered(earlier: Node, later: Node) -> bool:
    """Whether two nodes' times say which came first (two dates without a time order only when they differ)."""
    a, b = parse_time(earlier.time), parse_time(later.time)
    if a is None or b is None:
        return False
    if len(earlier.time) <= 10 or len(later.time) <= 10:
        return a.date() != b.date()
    return a != b


def _runs(positions: set[int]) -> int:
    """Number of runs of consecutive positions."""
    ordered = sorted(positions)
    return sum(1 for n, p in enumerate(ordered) if n == 0 or p != ordered[n - 1] + 1)


def _bare(text: str) -> str:
    """Text without quote marks, spacing folded: to find a quote inside a sentence or a sentence inside a quote."""
    return " ".join(re.sub(f"[{QUOTE_MARKS}]", " ", text).split()).casefold()


def cited_parties(node: Node, sentence: str) -> list[str]:
    """The third parties a sentence itself credits: names it gives a statement "according to", as "reported",
    "told" …, and the speaker of a quote it carries."""
    found = [a.name for a in attributions(sentence) if a.kind != "contributed"]
    bare = _bare(sentence)
    for quote in node.quotes:
        for part in quote.parts:
            text = _bare(part)
            inside = text in bare or (len(bare) >= MIN_QUOTED and bare in text)
            if quote.speaker and len(text) >= MIN_QUOTED and inside:
                found.append(quote.speaker)
    return list(dict.fromkeys(found))


def same_party(a: str, b: str) -> bool:
    """Whether two credited names are one party: equal, or the shorter is the end of the longer ("Peskov" and
    "Dmitry Peskov"; never "Buckingham Palace" and "Elysée Palace")."""
    first, second = a.casefold().split(), b.casefold().split()
    short, long = sorted((first, second), key=len)
    return bool(short) and long[len(long) - len(short):] == short


def _common(origin: Sequence[str], carrier: Sequence[str]) -> list[str]:
    """The parties both sides credit, each by its fuller name."""
    return [max(a, b, key=len) for a in origin for b in carrier if same_party(a, b)]


def build(nodes: Sequence[Node], pairs: Sequence[StoryPair]) -> list[Edge]:
    """Edges of the lineage: per cluster of shared sentences, from its earliest carrier to each later one."""
    by_id = {n.id: n for n in nodes}
    parent: dict[tuple[str, int], tuple[str, int]] = {}
    texts: dict[tuple[str, int], str] = {}

    def find(item: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for pair in pairs:
        if pair.source in by_id and pair.other in by_id:
            texts[(pair.source, pair.pos)], texts[(pair.other, pair.other_pos)] = pair.text, pair.other_text
            ra, rb = find((pair.source, pair.pos)), find((pair.other, pair.other_pos))
            if ra != rb:
                parent[ra] = rb
    clusters: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for item in list(parent):
        clusters[find(item)].append(item)
    carried: dict[tuple[str, str], set[int]] = defaultdict(set)
    cited: dict[tuple[str, str], dict[int, list[str]]] = defaultdict(dict)
    for members in clusters.values():
        first: dict[str, int] = {}
        for source, pos in sorted(members):
            first.setdefault(source, pos)
        if len(first) < 2:
            continue
        by_time = sorted(first, key=lambda s: _order_key(by_id[s]))
        origin = by_time[0]
        credited = cited_parties(by_id[origin], texts[(origin, first[origin])])
        for carrier in by_time[1:]:
            carried[(origin, carrier)].add(first[carrier])
            common = _common(credited, cited_parties(by_id[carrier], texts[(carrier, first[carrier])]))
            if common:
                cited[(origin, carrier)][first[carrier]] = common
    edges = []
    for (first_id, later_id), positions in carried.items():
        older, newer = by_id[first_id], by_id[later_id]
        same = older.outlet.casefold() == newer.outlet.casefold() and bool(older.outlet)
        shared = cited[(first_id, later_id)]
        names: list[str] = []
        for name in sorted((n for common in shared.values() for n in common), key=len, reverse=True):
            if not any(same_party(name, kept) for kept in names):
                names.append(name)
        edges.append(Edge(first_id, later_id, len(positions), _runs(positions), _ordered(older, newer), same,
                          credits(newer.attributions, older.outlet), len(shared), tuple(names)))
    return sorted(edges, key=lambda e: (_order_key(by_id[e.origin]), _order_key(by_id[e.carrier])))


def order(nodes: Sequence[Node]) -> list[Node]:
    """Nodes oldest first (publication time, else capture time), unknown times last."""
    return sorted(nodes, key=_order_key)
