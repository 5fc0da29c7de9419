"""The search index's lag behind the corpus is found from what changed, not by reading every source again: one added
article is one source looked at, at any corpus size; a large corpus a process has never measured is measured off
the request's path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parallax.catalogue import CataloguedStore
from parallax.corpus import Source
from parallax.index import lag
from parallax.index.query import parse_query
from parallax.index.search import CorpusIndex
from tests.test_corpus_update import write


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[CataloguedStore]:
    """A server's store on 3 stories of 4 articles (changes apply as updates, not rebuilds)."""
    root = tmp_path / "corpus"
    for s in range(3):
        for n in range(4):
            write(root, f"story-{s}", f"a{n}.txt", f"s{s}-a{n}", title=f"Minister {s} {n}")
    made = CataloguedStore(root, 100_000, rescan=1.0, full_rescan=3600.0, watch=False, first_rescan=3600.0)
    yield made
    made._stop.set()


@pytest.fixture()
def keyed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids whose index key is computed."""
    seen: list[str] = []
    real = lag.doc_key

    def counting(source: Source) -> str:
        seen.append(source.id)
        return real(source)

    monkeypatch.setattr(lag, "doc_key", counting)
    return seen


def test_one_added_article_is_one_source_looked_at(store: CataloguedStore, tmp_path: Path,
                                                   keyed: list[str]) -> None:
    index = CorpusIndex(tmp_path / "search.db")
    first = store.get()
    index.sync(first)
    assert index.lag(first) == 0
    write(store.root, "story-1", "added.txt", "s1-added", title="Minister added")
    store.invalidate()
    second = store.get()
    keyed.clear()
    assert index.lag(second) == 1  # the index lacks the added article
    assert keyed == ["s1-added"]
    stats = index.sync(second)
    assert stats.added == 1 and stats.removed == 0 and keyed == ["s1-added"] * 3  # lag, then diff twice
    assert index.lag(second) == 0
    assert [hit.source for hit in index.search(parse_query("added"))] == ["s1-added"]
    (store.root / "story-2" / "a0.txt").unlink()
    store.invalidate()
    third = store.get()
    keyed.clear()
    assert index.lag(third) == 1 and keyed == []  # a removed source: nothing to key, one id the index holds
    index.sync(third)
    assert {hit.source for hit in index.search(parse_query("text"))} == {
        f"s{s}-a{n}" for s in range(3) for n in range(4)} - {"s2-a0"} | {"s1-added"}


def test_a_large_corpus_never_measured_is_measured_off_the_request(store: CataloguedStore, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lag, "MEASURE_AT_ONCE", 5)  # 12 sources count as large here
    index = CorpusIndex(tmp_path / "search.db")
    corpus = store.get()
    assert index.lag(corpus) is None  # not known yet: the page uses the index as committed
    deadline = time.monotonic() + 10
    while index.lag(corpus) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert index.lag(corpus) == 12  # the empty index lacks every source
