"""One process of a server runs the corpus's safety-net rescan while watchers run; the others rescan only when that
process's pass found a change their watchers missed."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from parallax.catalogue import RESCAN_FOUND, RESCAN_LOCK, CataloguedStore

#: Holds the rescan lock, as another server process would, until its standard input closes.
HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A one-story corpus."""
    folder = tmp_path / "corpus" / "story"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("---\nid: a\nstory: story\noutlet: A\n---\nThe harbour wall was rebuilt.\n",
                                  encoding="utf-8")
    return tmp_path / "corpus"


@pytest.fixture
def stores(corpus: Path) -> Iterator[list[CataloguedStore]]:
    """Stores on the corpus, stopped at the end (each stands for one server process)."""
    made: list[CataloguedStore] = []
    yield made
    for store in made:
        store._stop.set()


def watched_store(corpus: Path, stores: list[CataloguedStore]) -> CataloguedStore:
    """A store whose periodic rescan is far off, so only what the test does makes it rescan."""
    store = CataloguedStore(corpus, 2_000_000, rescan=1.0, full_rescan=3600, watch=True, first_rescan=3600)
    stores.append(store)
    return store


def test_only_the_lock_holder_rescans_and_another_takes_over_when_it_ends(corpus: Path,
                                                                           stores: list[CataloguedStore]) -> None:
    """While another process holds the rescan lock this one leaves the pass to it; when that process ends, this
    one takes the pass over. A process without a watcher always rescans for itself."""
    (corpus / RESCAN_LOCK).parent.mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(corpus / RESCAN_LOCK)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = watched_store(corpus, stores)
        store.watching = True
        assert not store.leads_rescan()
        store.watching = False
        assert store.leads_rescan()  # nothing else would notice a change here
        store.watching = True
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    assert store.leads_rescan()
    other = watched_store(corpus, stores)
    other.watching = True
    assert not other.leads_rescan()


def test_the_other_processes_rescan_when_the_rescanning_one_found_a_change(corpus: Path,
                                                                          stores: list[CataloguedStore]) -> None:
    """When the rescanning process says its pass found a change (``rescan-found`` replaced), every other process's
    watcher runs a pass of its own; the rescanning process does not run a second one."""
    leader, other = watched_store(corpus, stores), watched_store(corpus, stores)
    passes = {"leader": threading.Event(), "other": threading.Event()}
    for name, store in (("leader", leader), ("other", other)):
        store.get()  # starts the watcher
        store._background_rescan = passes[name].set  # type: ignore[method-assign]
    leader.watching = True
    assert leader.leads_rescan()
    marker = corpus / RESCAN_FOUND
    for attempt in range(30):  # again until the other's watcher, starting in its own thread, reports it
        marker.write_text(str(attempt), encoding="ascii")
        if passes["other"].wait(1):
            break
    assert passes["other"].is_set() and not passes["leader"].is_set()
