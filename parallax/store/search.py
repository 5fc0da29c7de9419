"""Search on app servers reading PostgreSQL: the query language of ``/search`` (``parallax.index.query``) answered by
the store's ``tsvector`` column under its GIN index, so every app server searches the one shared corpus instead of
building and keeping an SQLite index of its own.

A query's terms become one ``tsquery``: a phrase is its tokens in order (``<->``), a prefix ends in ``:*``, an
excluded term is negated, and every term must match; each token is looked for as the embedded index folds it
(accents removed) and as typed (accents kept), because the stored vectors keep accents. The filters (outlet, story,
source, language, dates) are columns of ``sources`` and mean what they mean in the embedded index. Ranking is
``ts_rank`` within the store's time budget (``RANK_MS``), else the first matches found, marked unranked, as the
embedded index does with bm25. What this search does differently is said in each answer (``LIMITS``).
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from parallax.corpus import Corpus
from parallax.errors import ParallaxError
from parallax.index.query import Query, QueryError, Term
from parallax.index.search import RESULT_LIMIT, Hit, Results
from parallax.store.postgres import RANK_MS, PostgresStore

#: What a search answered by the store does differently from the embedded index, said in every answer.
#: Milliseconds the unranked search may take (the first matches, in no order): past it the answer is 503, not a
#: thread and a connection held by one query.
FALLBACK_MS = 2_000


class SearchUnavailable(ParallaxError):
    """The store cannot answer a search now (too slow, or the database failed); the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "unavailable")


LIMITS = ("Accents count: a word typed without its accents does not find it written with them (muller does not "
          "find Müller); typed with them, it finds both.",
          "A web or e-mail address is read as one word: a word inside one (the site's name, a word of its path) does "
          "not find it.",
          "A number with a decimal point or a hyphen inside (3.5, 2023-09-12, COVID-19) is stored as the database "
          "reads it, and searching for it as typed finds nothing: search for the words beside it.")


def _token(folded: str, typed: str, last: bool, prefix: bool) -> str:
    """One token of a term as tsquery text: the folded form, or either form when typing kept accents. Tokens are
    letters and digits only (``parallax.index.query.tokens_of``), so quoting them is safe."""
    star = ":*" if last and prefix else ""
    forms = [folded] + ([typed] if typed and typed != folded else [])
    alternatives = " | ".join(f"'{form}'{star}" for form in forms if form)
    return f"({alternatives})" if len(forms) > 1 else alternatives


def _term(term: Term) -> str:
    """One term as tsquery text (a phrase's tokens in order, negated when excluded)."""
    typed = term.typed if len(term.typed) == len(term.tokens) else ()
    size = len(term.tokens)
    parts = [_token(t, typed[i] if typed else "", i == size - 1, term.prefix) for i, t in enumerate(term.tokens)
             if t]
    joined = " <-> ".join(parts)
    return f"!({joined})" if term.exclude else f"({joined})"


def tsquery(query: Query) -> str:
    """The query's terms as ``tsquery`` text (built from tokens only, never from the user's text)."""
    terms = [_term(t) for t in query.terms if any(t.tokens)]
    if not any(not t.exclude for t in query.terms if any(t.tokens)):
        raise QueryError("Nothing to search for: enter at least one word (excluded -words alone match nothing).")
    return " & ".join(terms)


#: A source's day as the embedded index keeps it, compared as the embedded index compares it (code point order), in
#: the form the ``sources_outlet_day`` index holds.
_DAY = "left(coalesce(nullif(r.published, ''), r.captured), 10) COLLATE \"C\""
#: The columns of a hit (``_hit``), the day given as an expression.
_HIT = "r.id, r.story, r.outlet, r.title, {day} AS day, s.pos, s.text"
#: Sources a filter may name for the search to start from them (their sentences read by key, ~0.03 ms a source)
#: rather than from the word's matches among every sentence.
FEW_SOURCES = 2000


def _filters(query: Query) -> tuple[list[str], dict[str, Any]]:
    """The SQL conditions on ``sources r`` of the query's filters, and their values (fixed clauses; every value
    bound). A date bound means what it means in the embedded index: ``to`` takes every day it is a prefix of."""
    clauses: list[str] = []
    values: dict[str, Any] = {}
    if query.outlet:
        clauses.append("lower(r.outlet) = lower(%(outlet)s)")
        values["outlet"] = query.outlet
    for column, name, value in (("r.story", "story", query.story), ("r.id", "source", query.source),
                                ("r.language", "lang", query.lang)):
        if value:
            clauses.append(f"{column} = %({name})s")
            values[name] = value
    if query.date_from:
        clauses.append(f"{_DAY} <> '' AND {_DAY} >= %(date_from)s")
        values["date_from"] = query.date_from
    if query.date_to:  # a day's first len(to) characters are at most `to` exactly when the day sorts before `to`
        # with its last character raised by one ("2023-09" -> "2023-0:"), a bound the index can use
        clauses.append(f"{_DAY} <> '' AND {_DAY} < %(date_below)s")
        values["date_below"] = query.date_to[:-1] + chr(ord(query.date_to[-1]) + 1)
    return clauses, values


class StoreSearch:
    """The search ``/search`` uses on an app reading PostgreSQL: what ``CorpusIndex`` offers the view (``search``,
    ``outlets``, ``languages``, ``updating``, ``unusable``), answered by the store; choices come from the corpus the
    app serves."""

    updating = False  # nothing to build: the store's search column is written with each source
    unusable = ""
    limits = LIMITS
    #: Which matches an unranked search shows (too many to rank within the budget).
    unranked_order = "the first the database finds come first"

    def __init__(self, store: PostgresStore, corpus: Corpus) -> None:
        self.store = store
        self.corpus = corpus

    def search(self, query: Query, limit: int = RESULT_LIMIT) -> Results:
        """Sentences matching the query, best ``ts_rank`` first when ranking fits its time budget, at most
        ``limit``. A filter that names few sources (``FEW_SOURCES``) is answered from their sentences."""
        filters, values = _filters(query)
        values.update(q=tsquery(query), n=limit)
        conn = self.store.conn
        words = " ".join(" ".join(t.tokens) for t in query.terms if not t.exclude)
        try:
            sql = self._from_few(filters, values) if filters else None
            if sql is None:
                where = " AND ".join(["s.tsv @@ to_tsquery('simple', %(q)s)", *filters])
                sql = (f"SELECT {_HIT.format(day=_DAY)} FROM sentences s "  # noqa: S608  # nosec B608 - fixed clauses only
                       f"JOIN sources r ON r.id = s.source_id WHERE {where} ")
            if self.store.worth_ranking(words):
                try:
                    with conn.transaction():
                        conn.execute(f"SET LOCAL statement_timeout = {RANK_MS}")
                        rows = conn.execute(sql + "ORDER BY ts_rank(s.tsv, to_tsquery('simple', %(q)s)) DESC, "
                                            "r.id, s.pos LIMIT %(n)s", values).fetchall()
                    return Results(_hit(row) for row in rows)
                except psycopg.errors.QueryCanceled:
                    pass
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {FALLBACK_MS}")
                found = Results(_hit(row) for row in conn.execute(sql + "LIMIT %(n)s", values).fetchall())
        except psycopg.errors.QueryCanceled as error:
            raise SearchUnavailable(f"The search took longer than {FALLBACK_MS / 1000:g} s and was stopped; add "
                                    "words or filters to narrow it, or try again.") from error
        except psycopg.Error as error:
            raise SearchUnavailable("The search cannot be answered now: the database failed "
                                    f"({type(error).__name__}); try again in a moment.") from error
        found.ranked = False
        return found

    def _from_few(self, filters: list[str], values: dict[str, Any]) -> str | None:
        """The search's SQL starting from the sources the filters name, when they name at most ``FEW_SOURCES``
        (counted through the sources' indexes); None when they name more."""
        where, conn = " AND ".join(filters), self.store.conn
        try:  # within the ranking's budget: a count that cannot finish in it names too many sources anyway
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {RANK_MS}")
                counted = conn.execute(
                    f"SELECT count(*) AS n FROM (SELECT 1 FROM sources r WHERE {where} LIMIT %(few)s) f",  # noqa: S608  # nosec B608
                    {**values, "few": FEW_SOURCES + 1}).fetchone()
        except psycopg.errors.QueryCanceled:
            return None
        if counted is None or counted["n"] > FEW_SOURCES:
            return None
        return (f"WITH chosen AS MATERIALIZED (SELECT r.id, r.story, r.outlet, r.title, {_DAY} AS day "  # noqa: S608  # nosec B608
                f"FROM sources r WHERE {where}) SELECT {_HIT.format(day='r.day')} "
                "FROM chosen r CROSS JOIN LATERAL (SELECT s.pos, s.text, s.tsv FROM sentences s "
                "WHERE s.source_id = r.id AND s.tsv @@ to_tsquery('simple', %(q)s) OFFSET 0) s ")

    def outlets(self) -> list[str]:
        """Outlet names of the corpus, for the filter's choices."""
        return _facets(self.corpus)[0]

    def languages(self) -> list[str]:
        """Languages of the corpus."""
        return _facets(self.corpus)[1]


#: The last corpus's outlets and languages: read once per state of the corpus, not once per search.
_FACETS: list[tuple[Corpus, list[str], list[str]]] = []
_FACETS_LOCK = threading.Lock()


def _facets(corpus: Corpus) -> tuple[list[str], list[str]]:
    """Outlets and languages of a corpus (every source looked at once per corpus)."""
    with _FACETS_LOCK:
        if not _FACETS or _FACETS[0][0] is not corpus:
            outlets = sorted({s.outlet for s in corpus.sources.values() if s.outlet}, key=str.casefold)
            _FACETS[:] = [(corpus, outlets, sorted({s.language for s in corpus.sources.values()}))]
        return _FACETS[0][1], _FACETS[0][2]


def _hit(row: dict[str, Any]) -> Hit:
    return Hit(row["id"], row["story"], row["outlet"], row["title"], row["day"], int(row["pos"]), row["text"], 0.0)
