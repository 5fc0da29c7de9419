"""The search query language: a search string parsed into terms and filters (``parse_query``), checked before
anything runs (length, NUL, lone surrogates, prefix length, dates), echoed back safely, and read against a text
(``text_matches``, ``mark_segments``) and for the results heading (``describe``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from parallax.errors import ParallaxError

#: Longest query accepted, in characters (longer ones are refused with a message, not cut).
MAX_QUERY_CHARS = 500
#: Most terms (words, phrases, prefixes) in one query.
MAX_TERMS = 24
#: Shortest prefix before ``*``: one- or two-letter prefixes match most of the vocabulary.
MIN_PREFIX = 2
#: Filters the query syntax knows (``name:value``); the form has one field for each.
FILTERS = ("outlet", "story", "source", "lang", "from", "to")
_TOKEN_RE = re.compile(r"[^\W_]+")
_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_FILTER_RE = re.compile(r"^(" + "|".join(FILTERS) + r"):(.+)$", re.IGNORECASE | re.DOTALL)


class QueryError(ParallaxError, ValueError):
    """A search query that cannot be run; the message says why, in words a reader understands."""


@dataclass(frozen=True)
class Term:
    """One search term: a word or phrase (its tokens), a prefix (``vladi*``), possibly excluded (``-word``)."""

    tokens: tuple[str, ...]
    prefix: bool = False
    exclude: bool = False
    #: The tokens as typed, case-folded with their accents (a search that keeps accents looks for both forms).
    typed: tuple[str, ...] = field(default=(), compare=False)

    def fts(self) -> str:
        """The term as an FTS5 string: its tokens quoted as one phrase, ``*`` after it for a prefix."""
        return '"' + " ".join(self.tokens) + '"' + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """A parsed query: terms plus filters (outlet, story, source, language, date range)."""

    terms: tuple[Term, ...] = ()
    outlet: str = ""
    story: str = ""
    source: str = ""
    lang: str = ""
    date_from: str = ""
    date_to: str = ""

    def match(self) -> str:
        """The FTS5 MATCH expression, built only from quoted tokens (never from the user's text)."""
        positive = [t.fts() for t in self.terms if not t.exclude]
        negative = [t.fts() for t in self.terms if t.exclude]
        return " AND ".join(positive) + "".join(f" NOT {n}" for n in negative)

    def filters(self) -> dict[str, str]:
        """The filters that are set, by their query-syntax name."""
        values = {"outlet": self.outlet, "story": self.story, "source": self.source, "lang": self.lang,
                  "from": self.date_from, "to": self.date_to}
        return {k: v for k, v in values.items() if v}


def normalise(word: str) -> str:
    """A token as the index folds it: case-folded, accents removed (as FTS5's ``remove_diacritics``)."""
    if word.isascii():  # most words: nothing to decompose, and ASCII case-folds as it lowers
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens_of(text: str) -> list[str]:
    """Tokens of a text as the index sees them (letters and digits; everything else separates)."""
    return [normalise(t) for t in _TOKEN_RE.findall(text)]


_CHUNK_RE = re.compile(r'(?P<neg>-?)(?:(?P<name>[A-Za-z]+):)?"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)')
_CURLY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


def _chunks(raw: str) -> list[tuple[str, str, str, bool]]:
    """Split a query into (sign, filter name, text, quoted) chunks; a quote left open is an error."""
    text = raw.translate(_CURLY)
    if text.count('"') % 2:
        raise QueryError('A quotation mark is not closed: add the closing " or remove it.')
    out = []
    for found in _CHUNK_RE.finditer(text):
        if found["word"] is not None:
            word = found["word"]
            named = _FILTER_RE.match(word)
            if named:
                out.append(("", named[1].lower(), named[2], False))
            else:
                out.append(("", "", word, False))
        else:
            out.append((found["neg"], (found["name"] or "").lower(), found["phrase"], True))
    return out


def echo_safe(text: str) -> str:
    """Text safe to echo back: control characters (NUL included) and lone surrogates dropped, at most 500 chars."""
    return "".join(c for c in text[:MAX_QUERY_CHARS]
                   if not (unicodedata.category(c) in ("Cc", "Cs") and c not in "\t"))


def _check_date(name: str, value: str) -> str:
    """A date filter value (YYYY, YYYY-MM or YYYY-MM-DD), or a QueryError."""
    if not _DATE_RE.match(value):
        raise QueryError(f"'{name}' must be a date such as 2023-09-12 (or 2023-09, or 2023), not {value[:40]!r}.")
    return value


def parse_query(raw: str, **fields: str) -> Query:
    """Parse the query text and the form's filter fields into a Query, or raise QueryError saying what is wrong.

    Syntax: words (all must match), ``"quoted phrases"``, ``prefix*``, ``-excluded``, and filters
    ``outlet:RT``, ``outlet:"The Moscow Times"``, ``story:<slug>``, ``source:<id>``, ``lang:en``,
    ``from:2023-09-01``, ``to:2023-09-30``. Form fields of the same names win over the query's filters.
    """
    if "\x00" in raw or any("\x00" in v for v in fields.values()):
        raise QueryError("The query contains a NUL character.")
    if _SURROGATE_RE.search(raw) or any(_SURROGATE_RE.search(v) for v in fields.values()):
        raise QueryError("The query contains characters that are not valid text (lone surrogates).")
    if len(raw) > MAX_QUERY_CHARS or any(len(v) > MAX_QUERY_CHARS for v in fields.values()):
        raise QueryError(f"The query is too long: at most {MAX_QUERY_CHARS} characters.")
    filters: dict[str, str] = {}
    terms: list[Term] = []
    for sign, name, chunk, quoted in _chunks(raw):
        if name in FILTERS:
            filters[name] = chunk.strip()
            continue
        if name:  # "word:" that is no filter name: search it as words
            chunk = f"{name} {chunk}"
        exclude = (sign == "-") if quoted else (chunk.startswith("-") and len(chunk) > 1)
        body = chunk[1:] if exclude and not quoted else chunk
        prefix = not quoted and body.endswith("*")
        words = tokens_of(body)
        if not words:
            continue
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise QueryError(f"A prefix search needs at least {MIN_PREFIX} letters before the *: {chunk[:40]!r}.")
        terms.append(Term(tuple(words), prefix, exclude, tuple(t.casefold() for t in _TOKEN_RE.findall(body))))
    for name in FILTERS:
        value = fields.get(name, "").strip()
        if value:
            filters[name] = value
    if len(terms) > MAX_TERMS:
        raise QueryError(f"Too many search terms: at most {MAX_TERMS}.")
    if not any(not t.exclude for t in terms):
        raise QueryError("Nothing to search for: enter at least one word (excluded -words alone match nothing).")
    date_from = _check_date("from", filters["from"]) if filters.get("from") else ""
    date_to = _check_date("to", filters["to"]) if filters.get("to") else ""
    return Query(tuple(terms), outlet=filters.get("outlet", ""), story=filters.get("story", ""),
                 source=filters.get("source", ""), lang=filters.get("lang", ""), date_from=date_from,
                 date_to=date_to)


def mark_segments(sentence: str, query: Query) -> list[tuple[str, bool]]:
    """The sentence cut into (text, marked) pieces: each occurrence of a positive term marked (a phrase only where
    its words stand together, a prefix where a word starts with it); the text is left unescaped for the template."""
    found = [(m.start(), m.end(), normalise(m[0])) for m in _TOKEN_RE.finditer(sentence)]
    marked = [False] * len(found)
    for term in query.terms:
        if term.exclude:
            continue
        size = len(term.tokens)
        for i in range(len(found) - size + 1):
            window = [tok for _, _, tok in found[i:i + size]]
            head_ok = window[:-1] == list(term.tokens[:-1])
            last_ok = window[-1].startswith(term.tokens[-1]) if term.prefix else window[-1] == term.tokens[-1]
            if head_ok and last_ok:
                marked[i:i + size] = [True] * size
    pieces: list[tuple[str, bool]] = []
    last = 0
    n = 0
    while n < len(found):
        if not marked[n]:
            n += 1
            continue
        run_end = n
        while run_end + 1 < len(found) and marked[run_end + 1]:
            run_end += 1
        start, end = found[n][0], found[run_end][1]
        if start > last:
            pieces.append((sentence[last:start], False))
        pieces.append((sentence[start:end], True))
        last, n = end, run_end + 1
    if last < len(sentence):
        pieces.append((sentence[last:], False))
    return pieces


def text_matches(text: str, query: Query) -> bool:
    """Whether a text contains every positive term of the query (phrases as consecutive tokens)."""
    tokens = tokens_of(text)
    joined = " " + " ".join(tokens) + " "
    for term in query.terms:
        if term.exclude:
            continue
        needle = " " + " ".join(term.tokens) + ("" if term.prefix else " ")
        if needle not in joined:
            return False
    return True


def describe(query: Query) -> str:
    """The query as the index understood it, for the results heading."""
    parts = []
    for term in query.terms:
        words = " ".join(term.tokens)
        shown = f'"{words}"' if len(term.tokens) > 1 else words
        parts.append(("-" if term.exclude else "") + shown + ("*" if term.prefix else ""))
    parts.extend(f"{k}:{v}" for k, v in query.filters().items())
    return " ".join(parts)
