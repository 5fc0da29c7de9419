"""Dates in a sentence: month and day (with a year or not), weekdays, years and relative days ("last week")."""

from __future__ import annotations

import re
from typing import Any

from parallax.engine.facts.mention import Mention, anchored, words

#: Month names and abbreviations, folded, with their numbers.
MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
          "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
          "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_RELATIVE = (r"(?:(?:earlier|later)\s+)?(?:this|last|next|that|the\s+same|the\s+previous|the\s+following)\s+"
             r"(?:week|weekend|month|year|morning|afternoon|evening|night|day)|today|yesterday|tomorrow|tonight")
_DATE_RE = re.compile(
    rf"\b(?:(?P<md>{_MONTH})\s+(?P<mdd>{_DAY})(?![\d:])(?:,?\s+(?P<mdy>{_YEAR}))?"
    rf"|(?P<dm>{_DAY})\s+(?:of\s+)?(?P<dmm>{_MONTH})(?:,?\s+(?P<dmy>{_YEAR}))?"
    rf"|(?P<m>{_MONTH})(?:\s+(?P<my>{_YEAR}))?(?!\w)"
    rf"|(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    rf"|(?P<y>{_YEAR})(?![\d,.]\d|\s*(?:%|per\s*cent|percent))"
    rf"|(?P<rel>(?i:{_RELATIVE})))(?![\w])")
_MAY_VERB_RE = re.compile(r"\s+(?:be|have|not|also|well|still|never|yet|need|want|ask|say|seek|face|take)\b")


def _month(name: str) -> int:
    """Month number of a month name or abbreviation."""
    return MONTHS[name.rstrip(".").casefold()]


_DATE_TRIGGERS = frozenset({*MONTHS, *WEEKDAYS, "earlier", "later", "this", "last", "next", "that", "the",
                            "today", "yesterday", "tomorrow", "tonight"})


def date_mentions(text: str) -> list[Mention]:
    """Dates, weekdays, years and relative days in a text, keyed (kind, month, day, year) or by their words."""
    found: list[Mention] = []
    for match in anchored(_DATE_RE, text, (start for start, word in words(text)
                                            if word in _DATE_TRIGGERS or word[0].isdigit())):
        key: tuple[Any, ...]
        if match["md"]:
            key = ("date", _month(match["md"]), int(match["mdd"].rstrip("stndrh")), match["mdy"])
        elif match["dm"]:
            key = ("date", _month(match["dmm"]), int(match["dm"].rstrip("stndrh")), match["dmy"])
        elif match["m"]:
            if match["m"] == "May" and not match["my"] and _MAY_VERB_RE.match(text, match.end()):
                continue  # the verb "May" at a sentence start
            if match["m"].rstrip(".") in ("Mar", "Jan", "Dec") and not match["my"]:
                continue  # names more often than months when bare
            key = ("date", _month(match["m"]), None, match["my"])
        elif match["wd"]:
            key = ("weekday", match["wd"].casefold())
        elif match["y"]:
            key = ("date", None, None, match["y"])
        else:
            key = ("relative", " ".join(match["rel"].casefold().split()))
        found.append(Mention(match.start(), match.end(), match.group(0), key, key[0]))
    return found


def dates_agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two date keys can name the same day: 'Sept. 12' and 'September 12, 2023' can, and so can a weekday
    and a day of the month given alone ('Sunday' and '27일', the 27th: which weekday that is cannot be told)."""
    if {a[0], b[0]} == {"date", "weekday"}:
        day = a if a[0] == "date" else b
        return day[1] is None and day[3] is None and day[2] is not None
    if a[0] != "date" or b[0] != "date":
        return a == b
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:], strict=True))



#: Words that make a text worth scanning for dates (with any digit).
DATE_GATE = frozenset({*MONTHS, *WEEKDAYS, "today", "yesterday", "tomorrow", "tonight", "week", "weekend",
                       "month", "year", "morning", "afternoon", "evening", "night", "day"})
