"""Sentence vectors are kept beside the index: a comparison of stored sources embeds each sentence once, and a
later process reads them back instead of embedding again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from parallax.app import create_app
from parallax.engine import encoders
from parallax.index.vectors import SentenceVectors

CORPUS = Path(__file__).parent.parent / "corpus"


def test_store_round_trips_vectors_and_ignores_unknown_texts(tmp_path: Path) -> None:
    store = SentenceVectors(tmp_path / ".parallax" / "vectors.db")
    vector = np.arange(4, dtype=np.float32)
    store.put_many("use", {"Kim arrived.": vector})
    found = store.get_many("use", ["Kim arrived.", "Putin waited."])
    assert list(found) == ["Kim arrived."] and np.array_equal(found["Kim arrived."], vector)
    assert store.get_many("wordllama", ["Kim arrived."]) == {}


def test_unwritable_store_costs_only_embedding_again(tmp_path: Path) -> None:
    (tmp_path / ".parallax").write_text("not a folder")
    store = SentenceVectors(tmp_path / ".parallax" / "vectors.db")
    store.put_many("use", {"Kim arrived.": np.ones(4, dtype=np.float32)})
    assert store.get_many("use", ["Kim arrived."]) == {}


def test_second_process_compares_stored_sources_without_embedding(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns(".parallax", ".trash"))
    embedded: list[str] = []
    real = encoders.model("use")
    assert real is not None

    def counting(texts: Any) -> Any:
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setitem(encoders._MODELS, "use", counting)
    app = create_app({"CORPUS_DIR": str(corpus), "TESTING": True})
    for cache in encoders.CACHES.values():
        cache.clear()
    assert app.test_client().get("/compare/press-tv/the-national.json").status_code == 200
    first = len(embedded)
    assert first > 0 and (corpus / ".parallax" / "vectors.db").is_file()
    for cache in encoders.CACHES.values():  # a new process: nothing in memory
        cache.clear()
    again = create_app({"CORPUS_DIR": str(corpus), "TESTING": True, "CACHE_SIZE": 0})
    assert again.test_client().get("/compare/press-tv/the-national.json?unit=char").status_code == 200
    assert len(embedded) == first
