"""Text that fits the boxes of a server-drawn SVG (the lineage drawing): widths estimated, long labels cut.

SVG text does not wrap or clip itself, and the server cannot measure it, so each label is cut to the width its
box leaves by a conservative estimate of glyph widths (measured on DejaVu Sans, the widest of the fonts the page
asks for): a cut label ends with "…" and keeps its whole text for a tooltip and for screen readers. The template
also clips each box's text to the box, so an unusual font cannot push it out either.
"""

from __future__ import annotations

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
