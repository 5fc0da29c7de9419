"""``parallax migrate`` and ``parallax export``: a file corpus into PostgreSQL and back loses nothing."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.copies import generate
from parallax.sources import notes, state
from parallax.store.commands import export_command, migrate_command
from parallax.store.embedded import EmbeddedStore
from parallax.store.postgres import PostgresStore
from parallax.store.schema import state_columns
from parallax.store.transfer import TransferError, export, migrate
from tests.conftest import BUNDLED
from tests.stores import pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)


def _corpus(root: Path, generated: int) -> Path:
    """The bundled corpus plus generated articles, a trash entry, a kept page, a broken file and state rows."""
    shutil.copytree(BUNDLED, root, ignore=shutil.ignore_patterns(".*"))
    for article in generate(generated, seed=3):
        path = root / article.story / f"{article.id}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(article.file_text(), encoding="utf-8")
    (root / "kim-putin-2023" / "broken.txt").write_bytes(b"---\nid: [unclosed\n---\nbody\n")
    (root / ".trash" / "20240101T000000Z-rt-abcd").mkdir(parents=True)
    (root / ".trash" / "20240101T000000Z-rt-abcd" / "entry.json").write_text('{"id": "rt"}')
    (root / "kim-putin-2023" / ".originals").mkdir()
    (root / "kim-putin-2023" / ".originals" / "rt.html.gz").write_bytes(bytes(range(256)))
    os.utime(root / "kim-putin-2023" / "rt.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    with state.opened(state.db_path(root)) as conn:
        watch = state.add_watch(conn, "kim-putin-2023", "article", "https://example.org/a", 600, now=1000.5)
        state.add_watch(conn, "kim-putin-2023", "feed", "https://example.org/feed.xml", 900, item_limit=5)
        claimed = state.claim_due(conn, "w1", 60, 5, now=2000.0)
        state.finish(conn, claimed[0], "w1", status=200, outcome="stored", source_id="rt", changed=True,
                     etag='"x"', now=2001.25)
        state.record_headline(conn, watch.url, "2024-01-01T00:00:00+00:00", "A “headline”", "rt")
        state.log_event(conn, "edit", "rt", "title changed")
        note = notes.add_note(conn, "kim-putin-2023", "rt", "press-tv", "significant", "date differs", "ed")
        notes.add_rule(conn, "kim-putin-2023", r"\d+ views", regex=True, note_id=note["id"])
    return root


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and ".parallax" not in p.relative_to(root).parts}


def _state(root: Path) -> dict[str, list[dict[str, object]]]:
    store = EmbeddedStore(root)
    try:
        return {table: store.state_rows(table) for table in state_columns()}
    finally:
        store.close()


def _round_trip(tmp_path: Path, pg_url: str, generated: int) -> None:
    original = _corpus(tmp_path / "corpus", generated)
    target = PostgresStore(pg_url)
    try:
        moved = migrate(original, target)
        assert moved.complete, (moved.source, moved.target)
        assert moved.target["sources"] == 5 + generated
        assert moved.target["watches"] == 2 and moved.target["notes"] == 1 and moved.target["fetch_log"] == 1
        back = export(target, tmp_path / "back")
        assert back.complete, (back.source, back.target)
    finally:
        target.close()
    assert _files(tmp_path / "back") == _files(original)  # every file byte-equal, with its modification time
    assert _state(tmp_path / "back") == _state(original)  # every state row, ids included
    before, after = EmbeddedStore(original), EmbeddedStore(tmp_path / "back")
    try:
        assert [s.id for s in after.versions("moscow-times-plain")] == [
            s.id for s in before.versions("moscow-times-plain")]
        assert after.counts() == before.counts()
    finally:
        before.close()
        after.close()


def test_round_trip_loses_nothing(tmp_path: Path, pg_url: str) -> None:
    _round_trip(tmp_path, pg_url, 200)


@pytest.mark.slow
def test_round_trip_of_ten_thousand_generated_articles(tmp_path: Path, pg_url: str) -> None:
    started = time.monotonic()
    _round_trip(tmp_path, pg_url, 10_000)
    assert time.monotonic() - started < 600


def test_migrated_watches_keep_their_schedule_and_join_the_host_schedule(tmp_path: Path, pg_url: str) -> None:
    target = PostgresStore(pg_url)
    try:
        migrate(_corpus(tmp_path / "corpus", 0), target)
        article = next(w for w in target.watches() if w.kind == "article")
        assert (article.etag, article.last_checked, article.created) == ('"x"', 2001.25, 1000.5)
        hosts = target.conn.execute("SELECT host FROM host_schedule").fetchall()
        assert [h["host"] for h in hosts] == ["example.org"]
        added = target.add_watch("kim-putin-2023", "article", "https://example.org/b", 600)
        assert added.id == 3  # ids continue after the moved ones
    finally:
        target.close()


def test_migrate_refuses_a_database_holding_a_corpus(tmp_path: Path, pg_url: str) -> None:
    corpus = _corpus(tmp_path / "corpus", 0)
    runner = CliRunner()
    first = runner.invoke(migrate_command, ["--corpus", str(corpus), "--database", pg_url])
    assert first.exit_code == 0, first.output
    assert "sources  5" in first.output
    again = runner.invoke(migrate_command, ["--corpus", str(corpus), "--database", pg_url])
    assert again.exit_code == 1 and "already holds a corpus" in again.output
    replaced = runner.invoke(migrate_command, ["--corpus", str(corpus), "--database", pg_url, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    refused = runner.invoke(export_command, [str(tmp_path / "full"), "--database", pg_url])
    assert refused.exit_code == 1 and "not empty" in refused.output
    done = runner.invoke(export_command, [str(tmp_path / "out"), "--database", pg_url])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "kim-putin-2023" / "rt.txt").read_bytes() == (corpus / "kim-putin-2023" / "rt.txt"
                                                                            ).read_bytes()


def test_commands_need_a_postgresql_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARALLAX_DATABASE_URL", raising=False)
    result = CliRunner().invoke(export_command, ["/nonexistent-folder"])
    assert result.exit_code == 1 and "PostgreSQL database" in result.output


def test_export_never_writes_outside_the_folder(tmp_path: Path, pg_url: str) -> None:
    target = PostgresStore(pg_url)
    try:
        with pytest.raises(ValueError, match="not a path inside"):
            target.put_file("../escape.txt", b"x")
        target.conn.execute("INSERT INTO files(path, raw) VALUES ('../escape.bin', 'x')")  # a tampered database
        with pytest.raises(TransferError, match="outside"):
            export(target, tmp_path / "out")
        assert not (tmp_path / "escape.bin").exists()
    finally:
        target.close()


def test_the_parallax_command_moves_a_corpus_and_back(tmp_path: Path, pg_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax.cli import main

    monkeypatch.setenv("PARALLAX_DATABASE_URL", pg_url)
    corpus = _corpus(tmp_path / "corpus", 3)
    moved = CliRunner().invoke(main, ["migrate", "--corpus", str(corpus)])
    assert moved.exit_code == 0, moved.output
    back = CliRunner().invoke(main, ["export", str(tmp_path / "back")])
    assert back.exit_code == 0, back.output
    assert _files(tmp_path / "back") == _files(corpus)


def test_a_second_migration_reads_the_corpus_from_its_catalogue(tmp_path: Path, pg_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration starts from the corpus catalogue and parses only files changed since (a million articles are not
    all parsed again), and still moves every file and every source."""
    from parallax import corpus_store

    corpus = _corpus(tmp_path / "corpus", 20)
    store = PostgresStore(pg_url)
    try:
        migrate(corpus, store, replace=True)
        parsed: list[str] = []
        load = corpus_store.CorpusStore._load

        def counted(self: corpus_store.CorpusStore, path: str, rel: str) -> object:
            parsed.append(rel)
            return load(self, path, rel)

        monkeypatch.setattr(corpus_store.CorpusStore, "_load", counted)
        (corpus / "kim-putin-2023" / "rt.txt").write_text(
            (corpus / "kim-putin-2023" / "rt.txt").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        moved = migrate(corpus, store, replace=True)
        assert parsed == ["kim-putin-2023/rt.txt"]  # the one file changed since the catalogue was written
        assert moved.complete and moved.target["sources"] == 25
        assert "One more line." in (store.get("rt") or pytest.fail("rt not migrated")).body
    finally:
        store.close()


def test_the_full_text_index_comes_back_when_a_migration_did_not_finish(tmp_path: Path, pg_url: str) -> None:
    """A migration drops the sentences' full-text index while it loads; one stopped midway (killed, connection
    lost) would leave every search scanning every sentence: the next connection builds it again."""
    store = PostgresStore(pg_url)
    try:
        store.conn.execute("DROP INDEX IF EXISTS sentences_tsv")
    finally:
        store.close()
    again = PostgresStore(pg_url)
    try:
        found = again.conn.execute("SELECT to_regclass('sentences_tsv') IS NOT NULL AS t").fetchone()
        assert found is not None and found["t"]
    finally:
        again.close()
