"""One process of a server leads: it alone runs the corpus's file-system watcher and safety-net rescan, and
publishes what they find in the change log; another process takes the lead when the leader ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parallax import corpus_store
from parallax.catalogue import RESCAN_LOCK, WATCHING, CataloguedStore
from parallax.corpus_follow import LEAD_POLL_SECONDS

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


def watched_store(corpus: Path, stores: list[CataloguedStore], **options: float) -> CataloguedStore:
    """A store of a server with watchers, its periodic rescan far off unless told otherwise."""
    settings = {"full_rescan": 3600.0, "first_rescan": 3600.0, **options}
    store = CataloguedStore(corpus, 2_000_000, rescan=1.0, watch=True, **settings)
    stores.append(store)
    return store


def eventually(check: object, seconds: float = 10.0) -> bool:
    """Whether check() becomes true within the given seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_only_the_lock_holder_leads_and_another_takes_over_when_it_ends(corpus: Path,
                                                                         stores: list[CataloguedStore]) -> None:
    """While another process holds the rescan lock this one neither watches nor rescans; within a few seconds of
    that process ending, this one takes the lead and starts the watcher's process. A store serving without watchers
    always rescans for itself."""
    (corpus / RESCAN_LOCK).parent.mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(corpus / RESCAN_LOCK)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = watched_store(corpus, stores)
        store.get()
        assert not store.leads_rescan()
        time.sleep(0.5)
        assert not store.watching
        unwatched = CataloguedStore(corpus, 2_000_000, rescan=1.0, watch=False)
        stores.append(unwatched)
        assert unwatched.leads_rescan()  # nothing else would notice a change for it
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    assert eventually(lambda: store.watching, LEAD_POLL_SECONDS + 10)
    watcher = int((corpus / WATCHING).read_text(encoding="ascii"))  # the watcher's own process, started by this one
    assert watcher != os.getpid() and f"parallax.corpus_watcher\0{corpus.resolve()}" in Path(
        f"/proc/{watcher}/cmdline").read_text(encoding="utf-8", errors="replace")
    other = watched_store(corpus, stores)
    assert not other.leads_rescan()


def test_what_the_leader_finds_reaches_the_others_without_a_walk(corpus: Path, stores: list[CataloguedStore],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file another tool writes is reported by the leader's watcher and published: a process without a watcher
    serves it at its next look, having listed only that story folder; a look for an id nobody wrote meanwhile
    costs no stat of every story folder."""
    leader, other = watched_store(corpus, stores), watched_store(corpus, stores)
    leader.get()
    assert eventually(lambda: leader.watching)
    other.get()
    assert not other.watching and other.server_watches()
    walks: list[str] = []
    walk = corpus_store.walk_files
    def counted_walk(root: Path) -> list[str]:
        walks.append(str(root))
        return walk(root)

    monkeypatch.setattr(corpus_store, "walk_files", counted_walk)
    (corpus / "story" / "b.txt").write_text("---\nid: b\nstory: story\noutlet: B\n---\nThe wall was rebuilt.\n",
                                            encoding="utf-8")
    assert eventually(lambda: other.get().get("b") is not None)
    assert other.get().sources["b"].outlet == "B" and walks == []
    assert other.unread_files("nobody-wrote-this") == []  # the watcher would have told


def test_the_watcher_process_rescans_for_what_changed_while_no_server_ran(corpus: Path,
                                                                          stores: list[CataloguedStore]) -> None:
    """An edit made while no server ran (no watcher saw it) is found by the watcher process's first safety-net pass,
    which compares every file with the catalogue, and reaches every process of the server."""
    before = CataloguedStore(corpus, 2_000_000, rescan=1.0, watch=False, full_rescan=3600.0, first_rescan=3600.0)
    stores.append(before)
    assert before.get().sources["a"].outlet == "A"  # now in the catalogue
    before._stop.set()
    (corpus / "story" / "a.txt").write_text("---\nid: a\nstory: story\noutlet: A2\n---\nRebuilt again.\n",
                                            encoding="utf-8")
    leader = watched_store(corpus, stores, first_rescan=0.5)
    assert leader.get().sources["a"].outlet == "A"  # started from the catalogue
    assert eventually(leader.leads_rescan)  # its watcher, not the other's, rescans 0.5 s after it starts
    other = watched_store(corpus, stores)
    assert other.get().sources["a"].outlet == "A" and not other.leads_rescan()
    assert eventually(lambda: leader.get().sources["a"].outlet == "A2" == other.get().sources["a"].outlet, 30)


def test_a_costly_rescan_runs_less_often(corpus: Path, stores: list[CataloguedStore]) -> None:
    """The safety net keeps to its share of a core: a pass that costs 20 ms of CPU runs at most every 2 s, however
    short the configured interval (a million files cost about 25 s a pass)."""
    store = CataloguedStore(corpus, 2_000_000, rescan=0.5, watch=False, full_rescan=0.5, first_rescan=0.0)
    stores.append(store)
    passes: list[float] = []

    def costly_pass() -> None:
        passes.append(time.monotonic())
        spin = time.thread_time()
        while time.thread_time() - spin < 0.02:
            pass

    store.background_rescan = costly_pass  # type: ignore[method-assign]
    store.get()
    time.sleep(3.5)
    assert 1 <= len(passes) <= 2, passes  # without the budget: a pass every 0.5 s, 7 in all
    if len(passes) == 2:
        assert passes[1] - passes[0] >= 1.9


#: Starts the watcher's process as the leader does, says its pid, then ends without stopping it.
ORPHANING = """
import os, subprocess, sys, time
from pathlib import Path
watcher = subprocess.Popen([sys.executable, "-m", "parallax.corpus_watcher", sys.argv[1], str(os.getpid())])
while not (Path(sys.argv[1]) / ".parallax" / "watching").exists():
    time.sleep(0.05)
print(watcher.pid, flush=True)
"""


def test_the_watcher_process_ends_with_the_process_that_started_it(corpus: Path) -> None:
    """A worker that ends (or is killed) leaves no watcher behind: it ends within seconds, taking its note away."""
    (corpus / ".parallax").mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", ORPHANING, str(corpus.resolve())], capture_output=True, text=True,
                          timeout=60, check=True)
    watcher = int(done.stdout.strip())

    def gone() -> bool:
        try:
            os.kill(watcher, 0)
        except ProcessLookupError:
            return True
        status = Path(f"/proc/{watcher}/stat").read_text(encoding="ascii", errors="replace")
        return status.rsplit(")", 1)[1].split()[0] == "Z"  # ended, not yet collected by its new parent

    assert eventually(gone, 15)
    assert not (corpus / WATCHING).exists()


def test_a_process_that_missed_the_change_log_stats_every_file_in_the_background(
        corpus: Path, stores: list[CataloguedStore]) -> None:
    """A worker that fell behind by more changes than the log keeps cannot tell an edit in place from the folders'
    times: its follower thread then stats every file once, and the edit is served."""
    from parallax.changes import LOG_SIZE, mark_changed

    (corpus / RESCAN_LOCK).parent.mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(corpus / RESCAN_LOCK)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # the leader is elsewhere, and runs no watcher
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        time.sleep(0.2)  # past the clock tick of the folder's making: its time alone says nothing changed
        worker = watched_store(corpus, stores)
        assert worker.get().sources["a"].outlet == "A"
        path = corpus / "story" / "a.txt"
        with open(path, "r+", encoding="utf-8") as file:  # rewritten in place: the folder's time does not move
            text = file.read().replace("outlet: A", "outlet: Z")
            file.seek(0)
            file.write(text)
        for _ in range(LOG_SIZE + 1):
            mark_changed(corpus, ["elsewhere"])
        assert eventually(lambda: worker.get().sources["a"].outlet == "Z")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)


def test_a_folder_name_that_is_not_utf8_goes_through_the_change_log(tmp_path: Path) -> None:
    from parallax.changes import changed_since, mark_changed, read_generation

    (tmp_path / ".parallax").mkdir()
    mark_changed(tmp_path, ["first"])
    token = read_generation(tmp_path)
    odd = b"caf\xe9".decode("utf-8", "surrogateescape")
    mark_changed(tmp_path, [odd])
    assert changed_since(tmp_path, token) == {odd}
