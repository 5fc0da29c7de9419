"""``parallax migrate`` and ``parallax export``: a file corpus into PostgreSQL and back, losing nothing."""

from __future__ import annotations

import os
from pathlib import Path

import click

from parallax.config import load_settings


def database_url(given: str | None) -> str:
    """The PostgreSQL URL: the option, else ``PARALLAX_DATABASE_URL``; a clear error when neither names one."""
    url = given or os.environ.get("PARALLAX_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://")):
        raise click.ClickException("give a PostgreSQL database with --database postgresql://… or "
                                   "PARALLAX_DATABASE_URL")
    return url


def _open(url: str) -> object:
    """The PostgreSQL store, or a clear error when psycopg is not installed or the server refuses."""
    try:
        from parallax.store.postgres import PostgresStore
    except ImportError:
        raise click.ClickException("the PostgreSQL store needs psycopg: pip install 'psycopg[binary]'") from None
    import psycopg

    try:
        return PostgresStore(url)
    except psycopg.Error as error:
        raise click.ClickException(f"cannot use the database: {str(error).strip()}") from None


def _report(moved: object) -> None:
    """Print the counts moved and fail when the two sides differ."""
    from parallax.store.transfer import Moved

    assert isinstance(moved, Moved)  # noqa: S101  # nosec B101
    for name, count in moved.target.items():
        click.echo(f"{name:>20}  {count}")
    if not moved.complete:
        lost = {k: (moved.source.get(k), v) for k, v in moved.target.items() if moved.source.get(k) != v}
        raise click.ClickException(f"counts differ after the move (source, target): {lost}")


@click.command("migrate")
@click.option("--corpus", type=click.Path(file_okay=False), help="Corpus folder (default: PARALLAX_CORPUS_DIR).")
@click.option("--database", default=None, help="postgresql://… (default: PARALLAX_DATABASE_URL).")
@click.option("--replace", is_flag=True, help="Empty a database that already holds a corpus first.")
def migrate_command(corpus: str | None, database: str | None, replace: bool) -> None:
    """Copy a file corpus and its state into PostgreSQL: every file byte for byte, every state row."""
    from parallax.store.transfer import TransferError, migrate

    settings = load_settings()
    store = _open(database_url(database))
    try:
        _report(migrate(Path(corpus or settings["CORPUS_DIR"]), store, str(settings["STATE_DB"] or ""),  # type: ignore[arg-type]
                        replace=replace))
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()  # type: ignore[attr-defined]


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--database", default=None, help="postgresql://… (default: PARALLAX_DATABASE_URL).")
def export_command(folder: str, database: str | None) -> None:
    """Write the corpus held in PostgreSQL to FOLDER (new or empty) as files, with its state database."""
    from parallax.store.transfer import TransferError, export

    store = _open(database_url(database))
    try:
        _report(export(store, Path(folder)))  # type: ignore[arg-type]
    except TransferError as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()  # type: ignore[attr-defined]
