"""The one vocabulary: units, views, row kinds, segment ops, formats and options, defined once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

#: Granularity of the differences shown inside a paired row.
Unit = Literal["word", "char", "sentence"]
UNITS: tuple[Unit, ...] = get_args(Unit)

#: How a comparison is laid out: two columns, or one column with redline marks.
View = Literal["side", "inline"]
VIEWS: tuple[View, ...] = get_args(View)

#: What a row of a comparison is: the same sentence, edited wording, the same fact in other words, a passage
#: found elsewhere in the other text, or a passage only one side carries.
RowKind = Literal["same", "changed", "reworded", "moved", "left_only", "right_only"]
KINDS: tuple[RowKind, ...] = get_args(RowKind)
#: Kinds of rows that pair a passage of each side.
PAIRED_KINDS: frozenset[str] = frozenset({"same", "changed", "reworded", "moved"})
#: Kinds a reader can filter a comparison's change list by, in the order the page offers them.
FILTER_KINDS: tuple[RowKind, ...] = ("left_only", "right_only", "reworded", "changed", "moved")

#: One piece of a row's differences: text both sides share, text only the left has, text only the right has.
SegmentOp = Literal["equal", "delete", "insert"]

#: How a source's body is written.
SourceFormat = Literal["text", "markdown"]
FORMATS: tuple[SourceFormat, ...] = get_args(SourceFormat)

#: Whether a source's outlet and article are stated with the capture, inferred from its text, or unknown.
Attribution = Literal["stated", "inferred", "unknown"]
ATTRIBUTIONS: tuple[Attribution, ...] = get_args(Attribution)

#: Cosmetic differences a comparison can ignore, in the order the UI lists them. ``stamps``: lines that only say
#: when the page was published or updated or who wrote it when (``parallax.cosmetic.is_stamp_line``), set apart
#: as boilerplate is.
Ignorable = Literal["quotes", "dashes", "whitespace", "case", "punctuation", "markup", "boilerplate", "stamps"]
IGNORABLE: tuple[Ignorable, ...] = get_args(Ignorable)
#: What a comparison ignores unless the reader asks otherwise.
DEFAULT_IGNORE: frozenset[Ignorable] = frozenset({"quotes", "dashes", "whitespace", "markup", "boilerplate", "stamps"})

#: Orders of a story's similarity matrix: by publication date, or clustered by similarity.
MatrixOrder = Literal["date", "cluster"]
ORDERS: tuple[MatrixOrder, ...] = get_args(MatrixOrder)

#: What kind of fact differs inside a paired row: a number, a date or weekday, a name on one side only, the words
#: of a quotation, or who said it and how.
FactKind = Literal["number", "date", "name", "quote", "attribution"]
FACT_KINDS: tuple[FactKind, ...] = get_args(FactKind)


class BadOption(ValueError):
    """An option with a value outside its allowed set (the web answers 400 naming both, the command line exits 2)."""

    def __init__(self, option: str, value: str, allowed: tuple[str, ...] | list[str]) -> None:
        super().__init__(f"option '{option}' cannot be {value!r}; allowed: {', '.join(allowed)}")
        self.option, self.value, self.allowed = option, value, list(allowed)


def parse_unit(raw: str | None) -> Unit:
    """A ``unit`` value (``word`` when not given), raising BadOption for any other."""
    value = "word" if raw is None else raw
    for unit in UNITS:
        if unit == value:
            return unit
    raise BadOption("unit", value, UNITS)


def parse_view(raw: str | None) -> View:
    """A ``view`` value (``side`` when not given), raising BadOption for any other."""
    value = "side" if raw is None else raw
    for view in VIEWS:
        if view == value:
            return view
    raise BadOption("view", value, VIEWS)


def parse_ignore(raw: str | None) -> frozenset[Ignorable]:
    """An ``ignore`` value as a set: a comma list of IGNORABLE, ``none`` (or empty) for nothing, DEFAULT_IGNORE when
    not given; BadOption names the first unknown part. The one parser of the URL's, the form's and the CLI's value."""
    if raw is None:
        return DEFAULT_IGNORE
    if raw.strip() in ("", "none"):
        return frozenset()
    chosen: set[Ignorable] = set()
    for part in (part.strip() for part in raw.split(",")):
        if not part:
            continue
        known = next((name for name in IGNORABLE if name == part), None)
        if known is None:
            raise BadOption("ignore", part, [*IGNORABLE, "none"])
        chosen.add(known)
    return frozenset(chosen)


def ignore_list(ignore: Iterable[str]) -> list[str]:
    """Ignore options in the one canonical order (IGNORABLE's), for URLs, cache keys, JSON and the command line."""
    chosen = set(ignore)
    return [name for name in IGNORABLE if name in chosen]


def ignore_value(ignore: Iterable[str]) -> str:
    """The ``ignore`` value that parse_ignore reads back as these options (``none`` for none)."""
    return ",".join(ignore_list(ignore)) or "none"


def row_anchor(index: int, kind: str, place: str = "left") -> str:
    """A comparison row's anchor on its page (``r<index>``; a moved row has one per side, ``r<index>-l`` and
    ``r<index>-r``): the page, its change list, its facts and its paging all link by this one name."""
    return f"r{index}-{place[0]}" if kind == "moved" else f"r{index}"
