"""The one vocabulary: units, views, row kinds, segment ops, formats and options, defined once."""

from __future__ import annotations

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
DEFAULT_IGNORE: frozenset[str] = frozenset({"quotes", "dashes", "whitespace", "markup", "boilerplate", "stamps"})

#: Orders of a story's similarity matrix: by publication date, or clustered by similarity.
MatrixOrder = Literal["date", "cluster"]
ORDERS: tuple[MatrixOrder, ...] = get_args(MatrixOrder)

#: What kind of fact differs inside a paired row: a number, a date or weekday, a name on one side only, the words
#: of a quotation, or who said it and how.
FactKind = Literal["number", "date", "name", "quote", "attribution"]
FACT_KINDS: tuple[FactKind, ...] = get_args(FactKind)
