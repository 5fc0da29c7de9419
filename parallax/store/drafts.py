"""The add form's drafts on app servers reading PostgreSQL: rows of the store's ``drafts`` table, so a draft saved by
the form's first step on one server is confirmed through whichever server the next request reaches
(``parallax.sources.drafts.DraftPlace``; the form's rules — token, expiry, what a draft holds — are the same as in a
drafts folder). A row is keyed by its token's hash, so the table alone gives no draft's address."""

from __future__ import annotations

import hashlib
import logging

import psycopg

from parallax.sources.extract import IngestError
from parallax.store.postgres import PostgresStore

log = logging.getLogger("parallax.store.drafts")


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class StoreDrafts:
    """Drafts kept in the store's ``drafts`` table. A database failure while saving a draft is a storage failure
    (the form says the draft could not be stored); while reading one, no draft; while dropping drafts, logged (a
    draft left behind expires)."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def write(self, token: str, data: bytes, created: float) -> bool:
        """A new row, never over another."""
        try:
            row = self.store.conn.execute(
                "INSERT INTO drafts(id, payload, created) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING "
                "RETURNING id", (_key(token), data.decode("utf-8"), created)).fetchone()
        except psycopg.Error as error:
            raise IngestError(f"could not store the draft (the PostgreSQL store: {error})", "storage") from error
        return row is not None

    def read(self, token: str) -> bytes | None:
        """The row's payload, or None."""
        try:
            row = self.store.conn.execute("SELECT payload FROM drafts WHERE id = %s", (_key(token),)).fetchone()
        except psycopg.Error:
            return None
        return str(row["payload"]).encode("utf-8") if row else None

    def remove(self, token: str) -> None:
        """The row deleted."""
        try:
            self.store.conn.execute("DELETE FROM drafts WHERE id = %s", (_key(token),))
        except psycopg.Error as error:
            log.warning("a saved draft was not dropped: %s", error)

    def sweep(self, before: float) -> None:
        """Rows made before this time deleted."""
        try:
            self.store.conn.execute("DELETE FROM drafts WHERE created < %s", (before,))
        except psycopg.Error as error:
            log.warning("expired drafts were not dropped: %s", error)
