"""A hostile corpus: every kind of bad file beside the seeds is skipped and named, and every page still serves."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from parallax.corpus import parse_source
from parallax.corpus_store import CorpusStore
from tests.conftest import SOURCE_IDS, STORY, front_matter


def source(source_id: str, body: str = "A version of the story that should not load.\n", **fields: object) -> str:
    """A source file's text with the given fields (values written as they are, as YAML)."""
    meta: dict[str, object] = {"id": source_id, "story": STORY, "outlet": "Test Wire", **fields}
    return front_matter(**meta) + body


DEEP = "[" * 5000 + "]" * 5000
LAUGHS = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                   + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)])

# file (relative to the story folder) -> (content, words the reason must contain)
HOSTILE: dict[str, tuple[str | bytes, str]] = {
    "wrong-day.txt": (source("wrong-day", published="2023-02-30"), "published"),
    "wrong-day-captured.txt": (source("wrong-day-captured", captured="2023-09-31T10:00:00Z"), "captured"),
    "explicit-timestamp.txt": (source("explicit-timestamp", published="!!timestamp 2023-02-30"), "published"),
    "datetime-published.txt": (source("datetime-published", published="2023-13-01 10:00:00"), "published"),
    "broken-ipv6-url.txt": (source("broken-ipv6-url", url='"http://[::1/"'), "url"),
    "broken-port-url.txt": (source("broken-port-url", url='"http://[fe80::1%25eth0"'), "url"),
    "deep-flow.txt": (source("deep-flow", boilerplate=DEEP), "nested"),
    "deep-map.txt": (source("deep-map", title="{a: " * 3000 + "1" + "}" * 3000), "nested"),
    "surrogate-title.txt": (source("surrogate-title", title='"x\\uD800y"'), "title"),
    "surrogate-key.txt": (source("surrogate-key") .replace("outlet:", '"\\uDC80": 1\noutlet:'), "unknown field"),
    "surrogate-boilerplate.txt": (source("surrogate-boilerplate", boilerplate='["\\uDFFF"]'), "boilerplate"),
    "binary.txt": (bytes(range(256)) * 8, "UTF-8"),
    "invalid-utf8.txt": (source("invalid-utf8").encode() + b"\xc3\x28 broken\n", "UTF-8"),
    "utf16.txt": (source("utf16").encode("utf-16"), "UTF-16"),
    "huge-front-matter.txt": (source("huge-front-matter", title='"' + "x" * 200_000 + '"'), "front matter"),
    "billion-laughs.txt": ("---\n" + LAUGHS + "\nid: *i\nstory: kim-putin-2023\n---\nBody.\n", "unknown field"),
    "billion-laughs-format.txt": ("---\nid: billion-laughs-format\nstory: kim-putin-2023\nformat:\n  "
                                  + LAUGHS.replace("\n", "\n  ") + "\n---\nBody.\n", "format"),
    "billion-laughs-published.txt": ("---\nid: billion-laughs-published\nstory: kim-putin-2023\npublished:\n  "
                                     + LAUGHS.replace("\n", "\n  ") + "\n---\nBody.\n", "published"),
    "laughs-in-id.txt": ("---\na: &a [x, x, x, x, x, x, x, x, x]\nid: *a\nstory: kim-putin-2023\n---\nBody.\n",
                         "unknown field"),
    "recursive-alias.txt": ("---\nid: &r [*r]\nstory: kim-putin-2023\n---\nBody.\n", "id"),
    "tabs.txt": ("---\nid: tabs\nstory: kim-putin-2023\nboilerplate:\n\t- one\n---\nBody.\n", "YAML"),
    "unknown-field.txt": (source("unknown-field", headline="Oops"), "unknown field"),
    "list-title.txt": (source("list-title", title="[a, b]"), "title"),
    "int-id.txt": (source("int-id").replace("id: int-id", "id: 42"), "id"),
    "null-id.txt": (source("null-id").replace("id: null-id", "id: null"), "id"),
    "null-story.txt": (source("null-story").replace(f"story: {STORY}", "story: ~"), "story"),
    "map-attribution.txt": (source("map-attribution", attribution="{a: 1}"), "attribution"),
    "list-format.txt": (source("list-format", format="[text]"), "format"),
    "bool-language.txt": (source("bool-language", language="yes"), "language"),
    "unhashable-key.txt": ("---\n? [a, b]\n: 1\nid: unhashable-key\nstory: kim-putin-2023\n---\nBody.\n", "YAML"),
    "a-copy.txt": (source("press-tv"), "duplicate id 'press-tv'"),
    "wrong-story.txt": (source("wrong-story", story="another-story"), "does not match its folder"),
    "empty.txt": (b"", "no front matter"),
    "only-front-matter.txt": (source("only-front-matter", body=""), "body is empty"),
    "no-closing-fence.md": ("---\nid: no-closing-fence\nstory: kim-putin-2023\n", "not closed"),
    "nul-in-front-matter.txt": (source("nul-in-front-matter", title='"a\x00b"'), "YAML"),
    "bad-id-slug.txt": (source("Bad Id"), "id"),
    "scalar-front-matter.txt": ("---\njust a string\n---\nBody.\n", "mapping"),
}


# Odd but valid sources: they load, and their pages and comparisons must serve too.
ODD_VALID = {
    "odd-quotes": ">" * 5000 + " a quote nested five thousand deep\n",
    "odd-links": "[" * 3000 + "x" + "](y)" * 3000 + "\n",
    "odd-controls": "A\x00B\x1b[2J C \u202e reversed \ufeff text with tabs\tinside.\n",
    "odd-markup": "<script>alert(1)</script><div>" * 500 + "\n",
}


def write_hostile(corpus_dir: Path) -> dict[str, str]:
    """Drop every hostile file into the corpus; the relative paths that must be named, with reason words."""
    folder = corpus_dir / STORY
    expected: dict[str, str] = {}
    for source_id, body in ODD_VALID.items():
        (folder / f"{source_id}.md").write_text(source(source_id, body=body, format="markdown"), encoding="utf-8")
    for name, (content, reason) in HOSTILE.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        expected[f"{STORY}/{name}"] = reason
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    expected[f"{STORY}/loop-a.txt"] = "link"
    expected[f"{STORY}/loop-b.txt"] = "link"
    (folder / "folder.txt").mkdir()
    expected[f"{STORY}/folder.txt"] = "folder"
    (folder / "dangling.md").symlink_to(folder / "nowhere.md")
    expected[f"{STORY}/dangling.md"] = "link"
    (corpus_dir / "stray.txt").write_text(source("stray"), encoding="utf-8")
    expected["stray.txt"] = "story folder"
    bad_story = corpus_dir / "bad-story"
    bad_story.mkdir()
    (bad_story / "story.yaml").write_text("slug: bad-story\ntitle: Bad\ndate: 2023-02-30\n", encoding="utf-8")
    expected["bad-story/story.yaml"] = "date"
    deep_story = corpus_dir / "deep-story"
    deep_story.mkdir()
    (deep_story / "story.yaml").write_text("title: " + DEEP + "\n", encoding="utf-8")
    expected["deep-story/story.yaml"] = "nested"
    odd_story = corpus_dir / "odd-story"
    odd_story.mkdir()
    (odd_story / "story.yaml").write_text('title: "x\\uD800y"\nsummary: [1, 2]\n', encoding="utf-8")
    expected["odd-story/story.yaml"] = "title"
    binary_story = corpus_dir / "binary-story"
    binary_story.mkdir()
    (binary_story / "story.yaml").write_bytes(b"\xff\xfe\x00\x01garbage")
    expected["binary-story/story.yaml"] = "UTF"
    mismatched = corpus_dir / "mismatched-story"
    mismatched.mkdir()
    (mismatched / "story.yaml").write_text("slug: other\n", encoding="utf-8")
    expected["mismatched-story/story.yaml"] = "does not match its folder"
    bad_name = os.fsencode(str(folder)) + b"/latin-\xe9.txt"
    with open(bad_name, "wb") as file:
        file.write(source("latin-name").encode())
    expected[f"{STORY}/latin-\\xe9.txt"] = "name"
    return expected


PAGES = ["/", "/index.json", "/-/health", "/-/health.json", f"/stories/{STORY}", f"/stories/{STORY}.json",
         "/compare/press-tv/rt", "/compare/press-tv/rt.json",
         *[f"/sources/{i}" for i in SOURCE_IDS], *[f"/sources/{i}.json" for i in SOURCE_IDS],
         *[f"/sources/{i}{twin}" for i in ODD_VALID for twin in ("", ".json")],
         *[f"/compare/{i}/rt{twin}" for i in ODD_VALID for twin in ("", ".json")]]


def test_hostile_corpus_serves_every_page_and_names_every_bad_file(
        make_app: Callable[..., Flask], corpus_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Dozens of kinds of bad file beside the seeds: all pages answer 200, each bad file is named with its reason
    (index, its JSON, health, its JSON and the log), and the seeds all load."""
    expected = write_hostile(corpus_dir)
    assert len(expected) >= 30
    app = make_app(MAX_SOURCE_BYTES=2_000_000)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="parallax.corpus"):
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, (path, response.data[:300])
    index = client.get("/index.json").get_json()
    assert index["source_count"] == len(SOURCE_IDS) + len(ODD_VALID)
    named = {p["path"]: p["reason"] for p in index["problems"]}
    health = client.get("/-/health.json").get_json()
    assert health["ok"] is True
    assert {p["path"]: p["reason"] for p in health["corpus"]["problems"]} == named
    for path, words in expected.items():
        assert path in named, f"{path} not named; named: {sorted(named)}"
        assert words.lower() in named[path].lower(), (path, named[path])
    assert set(named) == set(expected)
    html = client.get("/").get_data(as_text=True) + client.get("/-/health").get_data(as_text=True)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for path in expected:
        assert path.replace("\\", "\\\\") in logged or path in logged, path
        shown = path.replace("&", "&amp;")
        assert shown in html, path


def test_story_overview_of_a_new_story_with_a_bad_story_file(make_app: Callable[..., Flask],
                                                             corpus_dir: Path) -> None:
    """A story whose story.yaml is bad still lists its good sources (under its folder's slug)."""
    folder = corpus_dir / "bad-story"
    folder.mkdir()
    (folder / "story.yaml").write_text("slug: bad-story\ndate: 2023-02-30\n", encoding="utf-8")
    (folder / "wire.txt").write_text(source("wire", story="bad-story"), encoding="utf-8")
    client = make_app().test_client()
    assert client.get("/stories/bad-story.json").status_code == 200
    assert client.get("/sources/wire").status_code == 200
    problems = client.get("/index.json").get_json()["problems"]
    assert [p["path"] for p in problems] == ["bad-story/story.yaml"]


def test_duplicate_id_never_displaces_the_established_source(corpus_dir: Path) -> None:
    """A copy reusing an id is refused, whether it sorts before the original or appears after the first load,
    and the original keeps its id when it is edited later."""
    copy = corpus_dir / STORY / "a-copy.txt"
    copy.write_text(source("press-tv", body="A copy that claims the id.\n"), encoding="utf-8")
    store = CorpusStore(corpus_dir, 2_000_000, rescan=0)
    first = store.get()
    assert first.sources["press-tv"].path == f"{STORY}/press-tv.txt"
    assert [(p.path, "duplicate id 'press-tv'" in p.reason) for p in first.problems] == [(f"{STORY}/a-copy.txt", True)]
    original = corpus_dir / STORY / "press-tv.txt"
    original.write_text(original.read_text("utf-8") + "\nAn edit.\n", encoding="utf-8")
    os.utime(original, (1, 1))  # now the oldest file: still not a reason to change hands
    second = store.get()
    assert second.sources["press-tv"].path == f"{STORY}/press-tv.txt"
    assert second.sources["press-tv"].body.endswith("An edit.\n")
    assert "a-copy.txt" in second.problems[0].path


def test_id_owner_established_in_a_previous_load_keeps_it(corpus_dir: Path) -> None:
    """A source that had an id keeps it when a file that would win a first load (same name as the id) appears."""
    (corpus_dir / STORY / "rt.txt").rename(corpus_dir / STORY / "zz-rt.txt")
    store = CorpusStore(corpus_dir, 2_000_000, rescan=0)
    assert store.get().sources["rt"].path == f"{STORY}/zz-rt.txt"
    (corpus_dir / STORY / "rt.txt").write_text(source("rt", body="An impostor.\n"), encoding="utf-8")
    corpus = store.get()
    assert corpus.sources["rt"].path == f"{STORY}/zz-rt.txt"
    assert [p.path for p in corpus.problems] == [f"{STORY}/rt.txt"]
    assert "already used by kim-putin-2023/zz-rt.txt" in corpus.problems[0].reason


def test_first_load_prefers_the_file_named_after_the_id(corpus_dir: Path) -> None:
    """On a first load a file named after its id wins over any other file claiming that id, whatever the order."""
    for name in ("0-first.txt", "zz-last.txt"):
        (corpus_dir / STORY / name).write_text(source("rt", body=f"Claim from {name}.\n"), encoding="utf-8")
    corpus = CorpusStore(corpus_dir, 2_000_000, rescan=0).get()
    assert corpus.sources["rt"].path == f"{STORY}/rt.txt"
    assert sorted(p.path for p in corpus.problems) == [f"{STORY}/0-first.txt", f"{STORY}/zz-last.txt"]


def test_unexpected_error_in_one_file_is_contained_and_logged(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Whatever one file raises, that file is skipped and named (with the error logged), the rest loads."""
    import parallax.corpus_store as store_module

    real = parse_source

    def explode(raw: bytes, path: str, max_bytes: int) -> object:
        if path.endswith("rt.txt"):
            raise KeyError("something nobody expected")
        return real(raw, path, max_bytes)

    monkeypatch.setattr(store_module, "parse_source", explode)
    with caplog.at_level(logging.WARNING, logger="parallax.corpus"):
        corpus = CorpusStore(corpus_dir, 2_000_000, rescan=0).get()
    assert "rt" not in corpus.sources and len(corpus.sources) == len(SOURCE_IDS) - 1
    assert [p.path for p in corpus.problems] == [f"{STORY}/rt.txt"]
    assert "KeyError" in corpus.problems[0].reason
    assert any(r.exc_info for r in caplog.records)
