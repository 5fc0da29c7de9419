"""Shaping new text before it is stored: an extracted page's paragraphs and headline, and the line an id is made of.

Trafilatura gives an article one line a paragraph, its headline often first; the corpus reads paragraphs as
blocks between blank lines, and keeps the headline in the ``title`` field. A text file or a pasted text often
opens with page furniture ("Recommendations are independently chosen by …", "Advertisement", a byline or an
update stamp) that says nothing of the article, so a new source's id is made from the first line that does.
"""

from __future__ import annotations

import re
import unicodedata

from parallax.cosmetic import is_stamp_line

#: Lines of page furniture: shopping and commission notices, subscription and sharing calls, photo credits,
#: reading aids and rights notices. A line starting with one of these is not the article's.
FURNITURE_LINE = re.compile(
    r"^(?:recommendations are independently chosen|(?:purchases|products) (?:you make|bought) through our links|"
    r"we may (?:earn|receive) (?:a )?commission|this (?:article|story|post) (?:contains affiliate links|is more "
    r"than \w+ (?:years?|months?) old)|(?:sign up|subscribe)(?: now)? (?:for|to)\b|share (?:this|on)\b|"
    r"follow (?:us|\w+) on\b|listen to (?:this|the) (?:article|story)|read more\b|related:|image:|photo:|photograph:|"
    r"(?:image|photo) (?:credit|source):|getty images$|copyright\b|©|all rights reserved|skip to (?:main )?content|"
    r"(?:\d+|an?) min(?:ute)?s? read$|editor'?s note:)", re.IGNORECASE)
#: A byline alone on its line: "By Jane Doe", "By Jane Doe and John Roe, Reuters".
BYLINE = re.compile(r"^[Bb]y\s+[A-Z][\w'’.\-]*(?:[\s,]+(?:and\s+)?[A-Z][\w'’.\-]*){0,6}\.?$")
#: Words of letters a line needs to be the article's ("September 12, 2023" or "Politics" alone is not).
MIN_WORDS = 3
_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|[>*+-]\s+|\d+[.)]\s+)|[*_`]+")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


def _bare(line: str) -> str:
    """A line as read for these rules: NFKC, markdown markers dropped, spacing collapsed."""
    return " ".join(_MARKUP.sub("", unicodedata.normalize("NFKC", line)).split())


def is_furniture(line: str) -> bool:
    """Whether a line is page furniture rather than the article: a shopping or subscription notice, a byline, an
    update stamp, an advertising line, or too few words to say anything (a section name, a bare date)."""
    bare = _bare(line)
    return (len(_LETTER_WORD.findall(bare)) < MIN_WORDS or FURNITURE_LINE.match(bare) is not None
            or BYLINE.match(bare) is not None or is_stamp_line(bare))


def first_real_line(body: str, limit: int = 10_000) -> str:
    """The first line of the text (within its first ``limit`` characters) that is the article's: its headline or
    first sentence, page furniture skipped; '' when there is none."""
    return next((_bare(line) for line in body[:limit].splitlines() if not is_furniture(line)), "")


def _same_words(left: str, right: str) -> bool:
    """Whether two lines read the same (case, spacing and closing punctuation aside)."""
    def folded(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold().rstrip(" .:;")

    return bool(folded(left)) and folded(left) == folded(right)


def article_body(text: str, title: str) -> str:
    """Extracted article text as stored: one paragraph a line becomes one paragraph a block (a blank line between
    paragraphs), and a first line that repeats the headline is dropped (the headline is kept as the title)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and _same_words(lines[0], title):
        lines = lines[1:]
    return "\n\n".join(lines) + "\n"
