"""The lineage drawing, server-drawn SVG: carriers placed in rows, edges as curves, and text that fits the boxes
(widths estimated, long labels cut).

SVG text does not wrap or clip itself, and the server cannot measure it, so each label is cut to the width its
box leaves by a conservative estimate of glyph widths (measured on DejaVu Sans, the widest of the fonts the page
asks for): a cut label ends with "…" and keeps its whole text for a tooltip and for screen readers. The template
also clips each box's text to the box, so an unusual font cannot push it out either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parallax.story.lineage import Edge, Node, order, time_gap

#: Font size of the drawing's labels in SVG units (the stylesheet sets the same size on its text).
FONT_SIZE = 12
#: Room kept between a label and its box's edges, in SVG units.
PADDING = 10
ELLIPSIS = "…"
_NARROW = frozenset("ijlI.,:;'!|·`()[] ")  # about 0.3 em
_SEMI = frozenset("frt-\"/")  # about 0.4 em
_WIDE = frozenset("mwMW@%")  # about 1 em


def char_width(char: str) -> float:
    """Advance width of a character in em, rounded up from DejaVu Sans (other fonts are as narrow or narrower)."""
    if char in _NARROW:
        return 0.32
    if char in _SEMI:
        return 0.42
    if char in _WIDE:
        return 1.0
    if char.isascii():
        return 0.76 if char.isupper() else 0.65
    return 1.0  # accented capitals, CJK, symbols: counted as wide as the widest


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimated width of a line of text in SVG units (never less than it is drawn in the page's fonts)."""
    return sum(char_width(c) for c in text) * font_size


def fit(text: str, width: float, font_size: float = FONT_SIZE) -> str:
    """The text as it fits ``width``: whole when it does, else cut at a word boundary when one is near (else
    inside the word) and ended with "…"."""
    text = " ".join(text.split())
    if text_width(text, font_size) <= width:
        return text
    room = width - text_width(ELLIPSIS, font_size)
    used, end = 0.0, 0
    for end, char in enumerate(text):  # noqa: B007 - ``end`` is the first character that does not fit
        used += char_width(char) * font_size
        if used > room:
            break
    cut = text[:end]
    space = cut.rfind(" ")
    if space >= len(cut) * 2 // 3:  # a word boundary in the last third: cut there
        cut = cut[:space]
    return cut.rstrip(" ,;:·-") + ELLIPSIS


def box_label(lines: list[str], box_width: float, inset: float) -> dict[str, object]:
    """A box's label lines fitted to the box (its text starting ``inset`` from the box's left edge), with the
    whole text to show on hover and to read out, and whether anything was cut."""
    room = box_width - inset - PADDING
    shown = [fit(line, room) for line in lines]
    return {"lines": shown, "full": " · ".join(" ".join(line.split()) for line in lines if line.strip()),
            "cut": shown != [" ".join(line.split()) for line in lines]}


#: Lineage drawing: height of one source's row and the width of its label box, in SVG units.
ROW, BOX = 56, 300
#: The label box's margin inside its row, and where its text starts inside the box (SVG units).
BOX_MARGIN, LABEL_INSET = 4, 10


@dataclass(frozen=True)
class PlacedNode:
    """A carrier in the lineage drawing: its row (earliest first), the row's middle and its fitted label."""

    node: Node
    title: str
    row: int
    y: int
    label: dict[str, object]


@dataclass(frozen=True)
class Curve:
    """An edge drawn from its origin's box to its carrier's: the SVG path, where its label goes, and the time
    between the two ("" when a time is unknown)."""

    edge: Edge
    gap: str
    path: str
    label_x: int
    label_y: int


@dataclass(frozen=True)
class LineageDrawing:
    """Who carried a story's shared text first, placed for a server-drawn SVG (user units)."""

    nodes: list[PlacedNode]
    curves: list[Curve]
    width: int
    height: int


def node_label(node: Node) -> dict[str, object]:
    """A carrier's box label: its outlet, then when it appeared (said to be a capture time when it is one)."""
    when = ("captured " if node.basis == "captured" else "") + f"{node.time or 'date unknown'} · {node.id}"
    return box_label([node.outlet or "Unknown outlet", when], BOX - 2 * BOX_MARGIN, LABEL_INSET)


def lineage_drawing(nodes: Sequence[Node], edges: Sequence[Edge], titles: Mapping[str, str]) -> LineageDrawing:
    """The carriers one row each, earliest first, and each edge as a curve to the right of the boxes (its bend
    grows with the rows it spans, so curves between far rows stay apart)."""
    ordered = order(list(nodes))
    rows = {n.id: r for r, n in enumerate(ordered)}
    times = {n.id: n.time for n in nodes}
    middle = {node_id: row * ROW + ROW // 2 for node_id, row in rows.items()}
    curves = []
    for edge in edges:
        y1, y2 = middle[edge.origin], middle[edge.carrier]
        bend = BOX + 40 + abs(y2 - y1) // 2
        curves.append(Curve(edge, time_gap(times[edge.origin], times[edge.carrier]),
                            f"M {BOX} {y1} C {bend} {y1}, {bend} {y2}, {BOX + 6} {y2}",
                            (BOX + 3 * bend) // 4 + 10, (y1 + y2) // 2 + 4))  # beside the curve's far point
    width = BOX + 80 + max((abs(rows[e.origin] - rows[e.carrier]) * ROW // 2 for e in edges), default=0)
    return LineageDrawing([PlacedNode(n, titles.get(n.id, ""), rows[n.id], middle[n.id], node_label(n))
                           for n in ordered], curves, width, max(len(ordered), 1) * ROW)
