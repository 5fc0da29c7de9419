"""The PostgreSQL store's state tables through the embedded state modules' own SQL.

The functions that keep editors' marks, notes and story rules (``parallax.sources.notes``) and the audit log
(``parallax.sources.state.log_event``) are written against a SQLite connection: ``?`` placeholders, an INSERT's
``lastrowid``, rows read by column name or by position. ``StateConnection`` gives a psycopg connection that
interface, so the same functions read and write the state tables every app server shares; the SQL they use is the
part of the two dialects that agrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

#: Errors of the database (an app catches these where it catches ``sqlite3.Error``).
DatabaseError = psycopg.Error

_INSERT = re.compile(r"\s*INSERT\s", re.IGNORECASE)


class Row(tuple):  # type: ignore[type-arg]
    """A row read by position or by column name, as ``sqlite3.Row`` is (``dict(row)`` gives its columns)."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    """Rows of this cursor's result as ``Row``."""
    names = tuple(column.name for column in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names = names
        return row
    return make


class Result:
    """A statement's result: its rows (iterate, ``fetchone``, ``fetchall``), ``rowcount`` and, for an INSERT, the
    new row's id as ``lastrowid``."""

    def __init__(self, cursor: psycopg.Cursor[Any], lastrowid: int | None) -> None:
        self.cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        return self.cursor.fetchone() if self.cursor.description else None

    def fetchall(self) -> list[Row]:
        """The remaining rows."""
        return self.cursor.fetchall() if self.cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class StateConnection:
    """A psycopg connection taking SQLite-style statements (``?`` placeholders; an INSERT returns its row's id when
    the table's ``id`` is a number)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement with its values bound."""
        statement = sql.replace("%", "%%").replace("?", "%s")
        inserting = bool(_INSERT.match(sql)) and "RETURNING" not in sql.upper()
        if inserting:
            statement += " RETURNING id"
        cursor = self.conn.cursor(row_factory=_row_factory)
        cursor.execute(statement.encode(), tuple(params))
        lastrowid = None
        if inserting:
            row = cursor.fetchone()
            lastrowid = row[0] if row and isinstance(row[0], int) else None  # a table keyed by text has no row id
        return Result(cursor, lastrowid)

    @contextmanager
    def transaction(self) -> Iterator[StateConnection]:
        """One transaction around the block: committed at its end, rolled back on error."""
        with self.conn.transaction():
            yield self
