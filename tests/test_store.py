"""One storage interface, two backends: every test here runs on the embedded store and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from parallax.store.base import Store
from parallax.store.embedded import EmbeddedStore
from parallax.store.postgres import PostgresStore
from tests.conftest import BUNDLED, SOURCE_IDS
from tests.stores import pg_server_fixture, pg_url_fixture, store_fixture  # noqa: F401  (fixtures)


def _load_bundled(target: Store) -> None:
    for path in sorted(BUNDLED.rglob("*")):
        if path.is_file() and ".parallax" not in path.parts:
            target.put_file(path.relative_to(BUNDLED).as_posix(), path.read_bytes())


def test_sources_read_back_as_the_file_loader_reads_them(store: EmbeddedStore | PostgresStore) -> None:
    _load_bundled(store)
    got = {s.id: s for s in store.sources()}
    assert sorted(got) == sorted(SOURCE_IDS)
    expected = (BUNDLED / got["rt"].path).read_bytes()
    assert got["rt"].body.encode() in expected
    assert store.get("press-tv") == got["press-tv"]
    assert store.get("no-such-source") is None


def test_versions_of_an_article_oldest_first(store: EmbeddedStore | PostgresStore) -> None:
    _load_bundled(store)
    versions = [s.id for s in store.versions("moscow-times-markdown")]
    assert versions == [s.id for s in store.versions("moscow-times-plain")]
    assert len(versions) == 2
    assert store.versions("nobody") == []


def test_a_replaced_file_replaces_its_source(store: EmbeddedStore | PostgresStore) -> None:
    raw = b"---\nid: one\nstory: s\noutlet: A\n---\nFirst text of the article about the harbour strike.\n"
    store.put_file("s/one.txt", raw)
    store.put_file("s/one.txt", raw.replace(b"First", b"Second"))
    assert [s.body for s in store.sources()] == ["Second text of the article about the harbour strike.\n"]


def test_watches_and_notes(store: EmbeddedStore | PostgresStore) -> None:
    watch = store.add_watch("kim-putin-2023", "article", "https://example.org/a", 600)
    assert [w.url for w in store.watches()] == ["https://example.org/a"]
    assert store.watches("other") == []
    assert watch.next_due > 0 and not watch.paused
    with pytest.raises(ValueError, match="already watches"):
        store.add_watch("kim-putin-2023", "article", "https://example.org/a", 600)
    first = store.add_note("kim-putin-2023", "rt", "press-tv", "significant", "date changed", "ed")
    second = store.add_note("kim-putin-2023", "rt", "press-tv", "minor")
    assert [n["id"] for n in store.notes("kim-putin-2023")] == [second, first]
    assert store.notes("kim-putin-2023")[1]["note"] == "date changed"


def test_search_finds_sentences_holding_every_word(store: EmbeddedStore | PostgresStore) -> None:
    _load_bundled(store)
    found = store.search("armoured train")
    assert found, "the seeds speak of Kim's armoured train"
    assert all("armoured" in f.text.lower() and "train" in f.text.lower() for f in found)
    assert {f.story for f in found} == {"kim-putin-2023"}
    assert store.search("zzzqqq") == []


def test_sentence_vectors_kept_as_arrays(pg_url: str) -> None:
    import numpy as np

    target = PostgresStore(pg_url)
    try:
        vector = np.asarray([0.25, -1.5, 3.0e-7], dtype=np.float32)
        target.put_many("use", {"A sentence.": vector})
        got = target.get_many("use", ["A sentence.", "Another."])
        assert list(got) == ["A sentence."]
        assert got["A sentence."].dtype == np.float32 and (got["A sentence."] == vector).all()
    finally:
        target.close()


def test_a_database_of_another_schema_is_refused(pg_url: str) -> None:
    from parallax.store.postgres import SchemaMismatch

    PostgresStore(pg_url).conn.execute("UPDATE px_meta SET v = '999' WHERE k = 'schema'")
    with pytest.raises(SchemaMismatch, match="schema 999"):
        PostgresStore(pg_url)


def test_embedded_store_writes_leave_the_corpus_loadable(tmp_path: Path) -> None:
    from parallax.corpus_store import load_corpus

    target = EmbeddedStore(tmp_path)
    _load_bundled(target)
    assert sorted(load_corpus(tmp_path).sources) == sorted(SOURCE_IDS)


def test_search_for_the_commonest_words_skips_ranking(pg_url: str) -> None:
    """A word most sentences hold is found without ranking (at a million articles ranking it reads hundreds of
    thousands of matches); a search with a rarer word is ranked; both find what they should."""
    store = PostgresStore(pg_url)
    lines = "".join(f"The harbour crane number {n} lifted the containers of the ship.\n" if n == 7 else
                    f"The council met on day {n} and the vote on the budget was put off again.\n" for n in range(400))
    store.put_file("port/minutes.txt", ("---\nid: minutes\nstory: port\noutlet: Port Gazette\n---\n" + lines).encode())
    assert store.common_words() == frozenset()  # no statistics yet: everything is ranked
    store.conn.execute("ANALYZE sentences")
    store._common = None  # read the statistics now rather than in five minutes
    assert {"the", "council", "vote"} <= store.common_words() and "harbour" not in store.common_words()
    assert not store.worth_ranking("the") and not store.worth_ranking("The council")
    assert store.worth_ranking("the harbour") and store.worth_ranking("crane")
    found = store.search("the council")
    assert len(found) == 50 and all("council" in f.text.lower() for f in found)
    assert {f.text.split(" number ")[0] for f in store.search("harbour crane")} == {"The harbour crane"}
    store.close()
