"""Cosmetic lines: the one rule set for text that changes without the article changing.

Update stamps ("Updated 3 minutes ago", "Updated 10:42 GMT", "Feb. 2, 2025 Updated Feb. 3, 2025, 5:41 p.m. ET"),
clock times, bylines with a time ("By Jane Doe, 10:42 GMT"), advertising lines and share counters. The watcher
(``parallax.sources.watch``) hashes ``cosmetic_text`` to decide whether a fetch is a new version; comparisons set
apart the lines ``is_stamp_line`` recognises when the ``stamps`` ignore option is on (the default), so the
comparison page folds them, a timeline's facts never read them and the story overview never lists them as an
outlet's unique content.
"""

from __future__ import annotations

import re
import unicodedata

#: Advertising and page-furniture lines.
AD_LINE = re.compile(r"^(?:advertisement|advert|ad|ads|sponsored(?: content)?|skip advertisement|"
                     r"story continues below(?: this)?(?: advertisement| ad)?|scroll to continue(?: with content)?|"
                     r"continue reading(?: below)?|just now)[.:]?$", re.IGNORECASE)
#: A line that starts by saying when the page changed ("Last updated: …", "Published 12 Sep 2023 09:15").
DATE_LINE = re.compile(r"^(?:last\s+)?(?:updated|modified|published|posted|edited)\b", re.IGNORECASE)
#: Words at most in such a line: a longer one is a sentence of the article ("Updated figures show …").
DATE_LINE_MAX_WORDS = 12
ISO_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_ZONES = r"GMT|UTC|BST|CET|CEST|EST|EDT|PST|PDT|ET|PT|MSK|IST|AEST|JST"
CLOCK = re.compile(rf"\b\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?(?:\s*[ap]\.?m\.?)?(?:\s*(?:{_ZONES}))?(?![\d.:])|"
                   r"\b\d{1,2}\s*[ap]\.?m\.?(?=\W|$)", re.IGNORECASE)
# A count starts where a run of digits, commas and dots starts (never inside one: trying every position of a run
# such as "1,1,1,…" made the search quadratic, seconds per 40 KB line of a fetched page).
COUNTER = re.compile(r"(?<![\d,.])\b\d[\d,.]*\s*(?:comments?|shares?|views?|reads?|reactions?|replies)\b|"
                     r"\b(?:comments?|shares?|views?|replies)\s*[:(]\s*\d[\d,.]*\s*\)?", re.IGNORECASE)
AGO = re.compile(r"\b(?:\d+|an?|one|a few|few)\s+(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|days?|weeks?|"
                 r"months?|years?)\s+ago\b", re.IGNORECASE)
_MONTHS = (r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
           r"sept?(?:ember|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?")
_DAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
#: What a stamp line may hold besides the times: dates, weekdays, zones and the stamp's own words.
_STAMP_PARTS = re.compile(
    rf"\b(?:{_MONTHS})(?=\W|$)|\b{_DAYS}(?=\W|$)|\b(?:19|20)\d\d\b|\b\d{{1,2}}(?:st|nd|rd|th)?\b|"
    rf"\b(?:{_ZONES})\b|\b(?:last|updated?|modified|published|posted|edited|first|on|at|am|pm|a\.m|p\.m|"
    r"today|yesterday|just now|ago|local time|time)\b", re.IGNORECASE)
#: A byline before or after the stamp ("By Jane Doe", "Jane Doe, CNN"): at most five capitalised words.
_BYLINE = re.compile(r"^\s*by\s+(?:[A-Z][\w’'.\-]*\s*,?\s*){1,5}", re.IGNORECASE)
#: Words at most in a stamp line.
STAMP_MAX_WORDS = 16


def _bare(line: str) -> str:
    """A line folded for the rules: NFKC, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFKC", line).split())


def _times_replaced(line: str) -> str:
    """The line with time stamps, clock times, relative times and counters replaced by placeholders."""
    line = AGO.sub("<ago>", CLOCK.sub("<time>", ISO_STAMP.sub("<time>", line)))
    return COUNTER.sub("<count>", line)


def is_stamp_line(line: str) -> bool:
    """Whether a line only says when the page was published or updated, or who wrote it and when: "Updated 3
    minutes ago", "Updated 10:42 GMT", "Feb. 2, 2025 Updated Feb. 3, 2025, 5:41 p.m. ET", "By Jane Doe, 10:42 GMT",
    an advertising line. A line with words of its own ("This story has been updated to reflect …") is not one."""
    line = _bare(line)
    if not line or len(line.split()) > STAMP_MAX_WORDS:
        return False
    if AD_LINE.match(line):
        return True
    replaced = _times_replaced(line)
    stamped = "<time>" in replaced or "<ago>" in replaced or DATE_LINE.match(line) is not None
    rest = _STAMP_PARTS.sub(" ", replaced.replace("<ago>", " ").replace("<time>", " "))
    bylined = _BYLINE.sub(" ", rest)
    if stamped and not re.search(r"\w", bylined):
        return True
    # A stamp line needs a time or a stamp word; a bare date ("September 12, 2023") is the article's dateline.
    return bool(DATE_LINE.match(line) and not re.search(r"\w", rest))


def cosmetic_text(body: str, title: str = "") -> str:
    """The article text as compared for a new version: the headline line (tracked apart), advertising and stamp
    lines dropped, times replaced in the other lines."""
    headline = " ".join(unicodedata.normalize("NFKC", title).split()).casefold()
    lines = []
    for raw in unicodedata.normalize("NFKC", body.replace("\r\n", "\n").replace("\r", "\n")).split("\n"):
        line = " ".join(raw.split())
        if not line or AD_LINE.match(line) or (headline and line.casefold() == headline):
            continue
        if (DATE_LINE.match(line) and len(line.split()) <= DATE_LINE_MAX_WORDS) or is_stamp_line(line):
            continue
        line = _times_replaced(line)
        if line.strip(" .·|-–—") in ("<ago>", "<time>", "<count>", ""):
            continue
        lines.append(line)
    return "\n".join(lines)
