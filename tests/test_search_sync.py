"""An index sync never holds searches: a source slow to index is taken in behind the searches that find it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from parallax.index import reuse
from parallax.index.search import SYNC_WAIT
from tests.conftest import STORY, front_matter
from tests.test_search import hit_sources, search

#: Seconds the slow source takes to index in these tests.
SLOW = 6.0


def test_a_source_slow_to_index_does_not_hold_searches(client: FlaskClient, corpus_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """While a new source takes seconds to index, searches answer within the sync wait from what is committed
    (saying the index is updating), and find the new source once it is in."""
    assert hit_sources(search(client, "peskov"))  # the bundled story is indexed
    release = threading.Event()
    real = reuse.index_units

    def slow(db: Any, doc: int, units: list[tuple[int, str]]) -> int:
        if any("okapiwhale" in text for _, text in units):
            release.wait(SLOW)
        return real(db, doc, units)

    monkeypatch.setattr(reuse, "index_units", slow)
    (corpus_dir / STORY / "slow.txt").write_text(
        front_matter(id="slow", story=STORY, outlet="Slow Wire", published="2023-09-13")
        + "An okapiwhale was seen near Peskov's office.\n", encoding="utf-8")
    try:
        for _ in range(3):  # the searcher that started the sync, then others while it runs
            started = time.monotonic()
            found = search(client, "peskov")
            assert time.monotonic() - started < SYNC_WAIT + 1.5
            assert found["updating"] is True
            assert hit_sources(found) and "slow" not in hit_sources(found)
    finally:
        release.set()
    deadline = time.monotonic() + 20
    while "slow" not in hit_sources(search(client, "okapiwhale")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert hit_sources(search(client, "okapiwhale")) == {"slow"}
