"""One article added, edited, moved or removed: the store builds again only what that file touches, and the corpus it
serves is the one a full load of the folder gives."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from parallax import catalogue, corpus, corpus_store
from parallax.catalogue import CataloguedStore
from tests.conftest import front_matter


def write(root: Path, story: str, name: str, source_id: str, **fields: str) -> Path:
    """One source file, written beside and renamed over (as the app saves); fields go into its front matter."""
    folder = root / story
    folder.mkdir(parents=True, exist_ok=True)
    path, temp = folder / name, folder / f".{name}.tmp"
    temp.write_text(front_matter(id=source_id, story=story, outlet=fields.pop("outlet", "Wire"), **fields)
                    + f"The text of {source_id}, {name}.\n", encoding="utf-8")
    os.replace(temp, path)
    return path


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A corpus of 4 stories of 5 sources, some versions of one article (shared url), one story with a story.yaml."""
    root = tmp_path / "corpus"
    for s in range(4):
        for n in range(5):
            write(root, f"story-{s}", f"a{n}.txt", f"s{s}-a{n}", url=f"https://example.org/{s}-{n % 2}",
                  captured=f"2024-01-0{n + 1}T10:00:00", published=f"2024-01-0{5 - n}")
    (root / "story-0" / "story.yaml").write_text("title: The first story\n", encoding="utf-8")
    return root


@pytest.fixture()
def store(root: Path) -> Iterator[CataloguedStore]:
    """A server's store on the corpus (no threads of its own in the way)."""
    made = CataloguedStore(root, 100_000, rescan=1.0, full_rescan=3600.0, watch=False, first_rescan=3600.0)
    made.get()
    made.get().articles  # noqa: B018  # the grouping by article is in use, as the source page makes it
    yield made
    made._stop.set()


@pytest.fixture()
def full_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the server store's builds of the whole corpus (each assembles every source)."""
    calls: list[int] = []
    rebuild = CataloguedStore._rebuild

    def counting(self: CataloguedStore) -> None:
        calls.append(len(self._parsed))
        rebuild(self)

    monkeypatch.setattr(CataloguedStore, "_rebuild", counting)
    return calls


def loaded(root: Path) -> corpus.Corpus:
    """The corpus a full load of the folder gives."""
    return corpus_store.load_corpus(root, 100_000)


def same(served: corpus.Corpus, root: Path) -> None:
    """The served corpus is the one a full load gives, down to story order, members and article groups."""
    full = loaded(root)
    assert served.sources == full.sources
    assert list(served.stories.items()) == list(full.stories.items())
    assert served.problems == full.problems
    assert {k: [s.id for s in v] for k, v in served.articles.items()} == {
        k: [s.id for s in v] for k, v in full.articles.items()}


def test_one_added_article_touches_only_its_story(root: Path, store: CataloguedStore,
                                                  full_builds: list[int]) -> None:
    """Adding an article rebuilds no other story and no other source: every other object is the one served before,
    the corpus is not assembled again, and the catalogue gains just that file."""
    before = store.get()
    write(root, "story-2", "new.txt", "fresh-one", outlet="Newcomer", url="https://example.org/2-0",
          captured="2024-01-09T00:00:00")
    store.invalidate()
    after = store.get()
    assert full_builds == []
    assert after.sources["fresh-one"].outlet == "Newcomer"
    assert "fresh-one" in after.stories["story-2"].source_ids
    assert all(after.stories[slug] is before.stories[slug] for slug in before.stories if slug != "story-2")
    assert all(after.sources[i] is source for i, source in before.sources.items())
    assert [s.id for s in after.versions(after.sources["fresh-one"])][-1] == "fresh-one"
    same(after, root)
    rows = catalogue.Catalogue(root / catalogue.CATALOGUE_FILE).db.execute(
        "SELECT count(*) FROM files WHERE rel = 'story-2/new.txt'").fetchone()
    assert rows == (1,)


def test_edit_move_and_removal_match_a_full_load(root: Path, store: CataloguedStore,
                                                 full_builds: list[int]) -> None:
    """An edited headline, an article moved to another story (its file moved too), an article removed, a story's
    last article removed and a story.yaml added: each served as a full load gives it, without a full build."""
    write(root, "story-1", "a2.txt", "s1-a2", outlet="Renamed outlet", url="https://example.org/other")
    store.invalidate()
    assert store.get().sources["s1-a2"].outlet == "Renamed outlet"
    same(store.get(), root)
    (root / "story-1" / "a3.txt").rename(root / "story-3" / "a3.txt")
    write(root, "story-3", "a3.txt", "s1-a3", captured="2023-12-31T00:00:00")
    store.invalidate()
    assert store.get().sources["s1-a3"].story == "story-3"
    same(store.get(), root)
    (root / "story-0" / "a0.txt").unlink()
    (root / "story-3" / "story.yaml").write_text("title: Now declared\n", encoding="utf-8")
    store.invalidate()
    assert "s0-a0" not in store.get().sources and store.get().stories["story-3"].title == "Now declared"
    same(store.get(), root)
    for n in range(5):
        (root / "story-2" / f"a{n}.txt").unlink()
    write(root, "new-story", "x.txt", "x")
    store.invalidate()
    assert "story-2" not in store.get().stories and list(store.get().stories)[-1] == "story-3"
    same(store.get(), root)
    assert full_builds == []
    restarted = CataloguedStore(root, 100_000, rescan=1.0, watch=False, first_rescan=3600.0)
    assert restarted.get() == store.get()  # the catalogue was kept in step
    restarted._stop.set()


def test_changes_it_cannot_follow_alone_build_the_whole_corpus(root: Path, store: CataloguedStore,
                                                               full_builds: list[int]) -> None:
    """A file that stops loading and a file claiming an id another holds are settled by a full build (the last good
    version served, the duplicate refused), and removing the holder gives the id to the other file."""
    (root / "story-1" / "a1.txt").write_text("no front matter\n", encoding="utf-8")
    write(root, "story-2", "dup.txt", "s2-a0")
    store.invalidate()
    served = store.get()
    assert len(full_builds) == 1
    assert served.sources["s1-a1"].title == "" and any("duplicate id 's2-a0'" in p.reason for p in served.problems)
    (root / "story-2" / "a0.txt").unlink()
    store.invalidate()
    assert store.get().sources["s2-a0"].path == "story-2/dup.txt"
    assert len(full_builds) == 2


def test_random_changes_always_serve_what_a_full_load_gives(root: Path, store: CataloguedStore) -> None:
    """Any sequence of adds, edits, moves and removals (ids, stories, dates, urls drawn at random) leaves the served
    corpus equal to a full load of the folder."""
    rng = random.Random(23)  # noqa: S311  # a repeatable draw, not a secret
    for step in range(40):
        files = sorted(p for p in root.glob("*/*.txt"))
        action = rng.choice(["add", "edit", "remove", "move"] if files else ["add"])
        story = f"story-{rng.randrange(6)}"
        if action == "add":
            write(root, story, f"n{step}.txt", f"n{step}", url=f"https://example.org/{rng.randrange(4)}",
                  captured=f"2024-02-{rng.randrange(1, 28):02d}T00:00:00", outlet=rng.choice(["A", "b", "C"]))
        elif action == "edit":
            path = rng.choice(files)
            write(root, path.parent.name, path.name, f"e{step}" if rng.random() < 0.3 else _id(path),
                  published=f"2024-03-{rng.randrange(1, 28):02d}", outlet=rng.choice(["A", "b", "C"]))
        elif action == "remove":
            rng.choice(files).unlink()
        else:
            path = rng.choice(files)
            source_id = _id(path)
            path.unlink()
            write(root, story, f"m{step}.txt", source_id)
        store.invalidate()
        same(store.get(), root)


def _id(path: Path) -> str:
    """The id a test source file holds."""
    return next(line[4:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("id: "))
