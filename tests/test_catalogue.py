"""The corpus catalogue: a server starts from it without parsing every file, and follows changes without walking
the corpus on a request's path (file-system watcher, a look at changed folders after its own writes, a
background safety-net rescan)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parallax import catalogue, changes, corpus_store, corpus_update
from parallax.catalogue import CataloguedStore
from tests.conftest import STORY, front_matter

WAIT = 10.0  # seconds a background change may take on a loaded shared machine (it is ~0.1 s when idle)


def write_source(folder: Path, name: str, source_id: str, title: str = "A headline",
                 body: str = "Body text of the article.\n") -> Path:
    """Write one source file into a story folder."""
    path = folder / name
    path.write_text(front_matter(id=source_id, story=folder.name, outlet="Test Wire", title=f'"{title}"') + body,
                    encoding="utf-8")
    return path


@pytest.fixture()
def story(tmp_path: Path) -> Path:
    """A corpus of one story with three sources."""
    folder = tmp_path / "corpus" / STORY
    folder.mkdir(parents=True)
    for n in range(3):
        write_source(folder, f"s{n}.txt", f"s{n}", f"Headline {n}", f"Article number {n} says something.\n")
    return folder


@pytest.fixture()
def stores() -> Iterator[Callable[..., CataloguedStore]]:
    """Make stores on a corpus; their threads are stopped after the test."""
    made: list[CataloguedStore] = []

    def make(root: Path, **options: object) -> CataloguedStore:
        settings = {"rescan": 1.0, "full_rescan": 3600.0, "watch": False, "first_rescan": 0.0, **options}
        store = CataloguedStore(root, 100_000, **settings)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield make
    for store in made:
        store._stop.set()


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Record each file parsed and each walk of the corpus, with the thread that did it."""
    calls: dict[str, list[str]] = {"parsed": [], "walks": []}
    load, walk = corpus_store.CorpusStore._load, corpus_store.walk_files

    def counting_load(self: corpus_store.CorpusStore, path: str, rel: str) -> object:
        calls["parsed"].append(rel)
        return load(self, path, rel)

    def counting_walk(*args: object) -> list[str]:
        calls["walks"].append(threading.current_thread().name)
        return walk(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(corpus_store.CorpusStore, "_load", counting_load)
    monkeypatch.setattr(corpus_store, "walk_files", counting_walk)
    return calls


def eventually(check: Callable[[], bool]) -> bool:
    """Whether check() becomes true within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_second_start_reads_the_catalogue_not_the_files(story: Path, stores: Callable[..., CataloguedStore],
                                                        counted: dict[str, list[str]]) -> None:
    """The first start parses every file once; the next one builds the same corpus from the catalogue alone, and a
    source's text is read from its file only when asked for."""
    first = stores(story.parent).get()
    assert sorted(counted["parsed"]) == [f"{STORY}/s{n}.txt" for n in range(3)]
    counted["parsed"].clear()
    counted["walks"].clear()
    second = stores(story.parent, full_rescan=3600.0)
    again = second.get()
    assert counted["parsed"] == [] and "MainThread" not in counted["walks"]
    assert sorted(again.sources) == sorted(first.sources) == ["s0", "s1", "s2"]
    s1 = again.sources["s1"]
    assert (s1.title, s1.words, s1.content_key) == ("Headline 1", first.sources["s1"].words,
                                                      first.sources["s1"].content_key)
    assert "_body" not in vars(s1) or vars(s1)["_body"] is None  # the text stays in the file
    assert s1.body == "Article number 1 says something.\n" == first.sources["s1"].body
    assert again.stories[STORY].source_ids == first.stories[STORY].source_ids


def test_own_write_is_seen_at_once_without_a_walk(story: Path, stores: Callable[..., CataloguedStore],
                                                  counted: dict[str, list[str]]) -> None:
    """After this process adds and removes files (``invalidate``), the next look lists only the folders whose
    modification time moved: no walk of the corpus on the request's thread."""
    store = stores(story.parent)
    store.get()
    counted["walks"].clear()
    write_source(story, "added.txt", "added", "Added now")
    (story / "s0.txt").unlink()
    store.invalidate()
    current = store.get()
    assert current.sources["added"].title == "Added now" and "s0" not in current.sources
    assert "MainThread" not in counted["walks"]


def test_outside_edit_reaches_every_worker_through_the_watcher(story: Path,
                                                               stores: Callable[..., CataloguedStore],
                                                               counted: dict[str, list[str]]) -> None:
    """An editor changing a file in place (no rename: the folder's time does not move) is noticed by the server's
    one watcher, which tells every store serving the corpus, with no request walking it."""
    workers = [stores(story.parent, watch=True) for _ in range(2)]
    for worker in workers:
        worker.get()
    assert eventually(lambda: any(w.watching for w in workers))
    assert not all(w.watching for w in workers)  # one inotify watch per folder for the whole server
    time.sleep(0.3)  # the watchers are listening
    counted["walks"].clear()
    path = story / "s2.txt"
    with open(path, "r+", encoding="utf-8") as file:  # rewritten in place, as some editors save
        text = file.read().replace("Headline 2", "Headline two")
        file.seek(0)
        file.write(text)
        file.truncate()
    assert eventually(lambda: all(w.get().sources["s2"].title == "Headline two" for w in workers))
    assert "MainThread" not in counted["walks"]


def test_changes_made_while_no_server_ran_are_found_by_the_background_rescan(
        story: Path, stores: Callable[..., CataloguedStore]) -> None:
    """A restart serves the catalogue at once; the full rescan it starts in the background brings in what changed
    on disk meanwhile."""
    stores(story.parent).get()
    write_source(story, "s1.txt", "s1", "Edited while stopped")
    restarted = stores(story.parent)
    restarted.get()
    assert eventually(lambda: restarted.get().sources["s1"].title == "Edited while stopped")


def test_ids_stay_with_their_files_across_restarts(story: Path, stores: Callable[..., CataloguedStore]) -> None:
    """The file that held an id keeps it after a restart, even when a file named after the id appears meanwhile
    (which would win on a first load)."""
    write_source(story, "old-name.txt", "shared-id", "The holder")
    stores(story.parent).get()
    write_source(story, "shared-id.txt", "shared-id", "The newcomer")
    restarted = stores(story.parent)
    restarted.get()
    assert eventually(lambda: any("duplicate id 'shared-id'" in p.reason for p in restarted.get().problems))
    assert restarted.get().sources["shared-id"].title == "The holder"


def test_unreadable_catalogue_falls_back_to_reading_the_files(story: Path,
                                                              stores: Callable[..., CataloguedStore]) -> None:
    """A damaged catalogue never stops the corpus loading: every file is read instead."""
    stores(story.parent).get()
    path = story.parent / catalogue.CATALOGUE_FILE
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    path.write_bytes(b"not a database" * 100)
    assert sorted(stores(story.parent).get().sources) == ["s0", "s1", "s2"]
    assert sorted(stores(story.parent).get().sources) == ["s0", "s1", "s2"]  # and the catalogue is made anew
    assert catalogue.Catalogue(path).db.execute("SELECT count(*) FROM files").fetchone() == (3,)


def test_missing_corpus_folder_is_not_created(tmp_path: Path, stores: Callable[..., CataloguedStore]) -> None:
    """The catalogue never makes the corpus folder (a missing folder is the health check's 503)."""
    store = stores(tmp_path / "nowhere")
    assert store.get().sources == {}
    assert not os.path.exists(tmp_path / "nowhere")


def test_a_write_by_another_process_is_seen_on_the_next_look(story: Path,
                                                             stores: Callable[..., CataloguedStore],
                                                             counted: dict[str, list[str]]) -> None:
    """A worker that saved a file marks the corpus changed; every other worker's next look reads it in (listing the
    changed folder only), with no watcher and no walk."""
    other = stores(story.parent)
    other.get()
    counted["walks"].clear()
    write_source(story, "from-elsewhere.txt", "from-elsewhere", "Saved by another worker")
    changes.mark_changed(story.parent)
    assert other.get().sources["from-elsewhere"].title == "Saved by another worker"
    assert "MainThread" not in counted["walks"]


def test_a_look_during_another_threads_update_waits_for_it(story: Path, stores: Callable[..., CataloguedStore],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """While one request thread reads in another worker's change, a second thread asking for the new source waits
    for that update instead of answering from the corpus as it was (the team server once answered 404 right after
    a 201 this way)."""
    store = stores(story.parent, first_rescan=3600.0)  # no background pass: the request threads alone
    store.get()
    time.sleep(0.05)  # past the file system's clock tick, so the folder's time moves
    write_source(story, "fresh.txt", "fresh", "Saved by another worker")
    changes.mark_changed(story.parent)
    inside, go_on = threading.Event(), threading.Event()
    update = corpus_update.update_corpus

    def slow_update(*args: object) -> object:
        inside.set()
        go_on.wait(WAIT)
        return update(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(catalogue, "update_corpus", slow_update)
    first = threading.Thread(target=store.get)
    first.start()
    assert inside.wait(WAIT)
    found: list[object] = []
    second = threading.Thread(target=lambda: found.append(store.find("fresh")))
    second.start()
    second.join(0.3)
    go_on.set()
    first.join(WAIT)
    second.join(WAIT)
    assert found and getattr(found[0], "title", None) == "Saved by another worker"


def test_a_file_added_within_the_clock_tick_of_the_last_look_is_seen(story: Path,
                                                                    stores: Callable[..., CataloguedStore]) -> None:
    """Folder times move in ticks of the kernel's clock (milliseconds, coarser on some file systems): a source saved
    in the same tick as the look that noted its folder's time leaves that time unchanged, and must still be read in
    at the next look. The tick is made certain, whatever the machine's load, by giving the folder a time the look
    cannot tell from its own (a moment ahead of it), and giving it that same time again after the file is saved."""
    ahead = time.time_ns() + 5_000_000_000
    os.utime(story, ns=(ahead, ahead))
    store = stores(story.parent, first_rescan=3600.0)
    store.get()
    write_source(story, "quick.txt", "quick", "Saved at once")
    os.utime(story, ns=(ahead, ahead))
    changes.mark_changed(story.parent)
    assert store.get().sources["quick"].title == "Saved at once"


def test_a_look_after_a_write_reads_only_the_folders_it_touched(tmp_path: Path,
                                                                stores: Callable[..., CataloguedStore],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Another worker's add says which story folder it wrote in: the next look lists that folder alone, not every
    story folder of the corpus (at 100,000 articles that is 12,500 folders); a change that does not say what it
    touched, or one this process missed the log of, makes it look at every folder again."""
    from parallax.sources.storage import FolderPlace

    root = tmp_path / "corpus"
    for n in range(30):
        write_source(_folder(root, f"story-{n:02d}"), "a.txt", f"a-{n:02d}", f"Headline {n}")
    store = stores(root, first_rescan=3600.0)
    store.get()
    time.sleep(0.1)  # past the clock tick of the folders' making: no folder is looked at again for being that new
    changes.mark_changed(root, [])
    store.get()
    listed: list[str] = []
    list_folder, note_all = CataloguedStore._folder_files, CataloguedStore._folder_times

    def list_files(self: CataloguedStore, folder: str) -> object:
        listed.append(Path(folder).name)
        return list_folder(self, folder)

    def note_times(self: CataloguedStore) -> object:
        listed.append("every folder's time")
        return note_all(self)

    monkeypatch.setattr(CataloguedStore, "_folder_files", list_files)
    monkeypatch.setattr(CataloguedStore, "_folder_times", note_times)
    place = FolderPlace(root)
    with place.lock():
        place.write_new("story-07/b.txt", (root / "story-07" / "a.txt").read_bytes().replace(b"a-07", b"b-07"))
    assert "b-07" in store.get().sources
    assert listed == ["story-07"]
    listed.clear()
    write_source(root / "story-12", "c.txt", "c-12", "Written by a tool that says nothing")
    changes.mark_changed(root)  # no folders named: every folder is looked at
    assert "c-12" in store.get().sources and listed[0] == "every folder's time"


def _folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    return folder


def test_a_file_asked_for_before_the_watcher_told_is_read_from_its_folder_only(
        story: Path, stores: Callable[..., CataloguedStore], counted: dict[str, list[str]]) -> None:
    """A source another tool wrote, asked for by its id before any watcher reported it, is found at once by reading
    its story folder again: not every file of the corpus (a million at scale), nor the other folders."""
    other = story.parent / "other-story"
    other.mkdir()
    store = stores(story.parent, first_rescan=3600.0)
    store.get()
    counted["parsed"].clear()
    counted["walks"].clear()
    write_source(story, "outside.txt", "outside", "Written by another tool")
    write_source(other, "elsewhere.txt", "elsewhere", "Also unreported")
    found = store.find("outside")
    assert found is not None and found.title == "Written by another tool"
    assert counted["parsed"] == [f"{STORY}/outside.txt"] and counted["walks"] == []
    assert store.find("missing-id") is None and counted["walks"] == []
