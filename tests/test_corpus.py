"""Corpus loading: the bundled seeds load exactly, and every kind of bad file is skipped and reported."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pytest

from parallax.corpus import parse_source
from parallax.corpus_store import CorpusStore, load_corpus
from tests.conftest import BUNDLED, SOURCE_IDS, STORY, front_matter

SEEDS = BUNDLED.parent.parent / "shared" / "seeds"


def good_file(source_id: str = "extra", body: str = "A sixth version of the story.\n", **fields: str) -> str:
    """Text of a valid source file with optional extra or replaced fields."""
    meta = {"id": source_id, "story": STORY, "outlet": "Test Wire", "format": "text", **fields}
    return front_matter(**meta) + body


def test_bundled_corpus_has_five_sources_of_one_story() -> None:
    """The shipped corpus loads with no problems, one story holding the five seed versions."""
    corpus = load_corpus(BUNDLED)
    assert corpus.problems == ()
    assert sorted(corpus.sources) == sorted(SOURCE_IDS)
    assert list(corpus.stories) == [STORY]
    assert sorted(corpus.stories[STORY].source_ids) == sorted(SOURCE_IDS)
    assert corpus.stories[STORY].title.startswith("Kim Jong Un")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the original seeds live in ../shared/seeds beside the repository")
def test_bodies_are_the_seed_files_byte_for_byte() -> None:
    """Each source body is exactly the seed file it was made from (nothing 'fixed')."""
    corpus = load_corpus(BUNDLED)
    for source in corpus.sources.values():
        assert source.body.encode("utf-8") == (SEEDS / source.original_file).read_bytes(), source.id


def test_metadata_researched_from_the_text() -> None:
    """Known facts are filled in; unknown ones are empty, never invented."""
    corpus = load_corpus(BUNDLED)
    plain, md = corpus.sources["moscow-times-plain"], corpus.sources["moscow-times-markdown"]
    assert plain.outlet == md.outlet == "The Moscow Times"
    assert plain.title == md.title == "N. Korea's Kim Arrives in Russia for Putin Talks"
    assert plain.published == md.published == "2023-09-12"
    assert plain.url.endswith("n-koreas-kim-arrives-in-russia-for-putin-talks-a82429")
    assert (plain.format, md.format) == ("text", "markdown")
    press = corpus.sources["press-tv"]
    assert press.url.endswith("/Detail/2023/09/12/710691/North-Korea-Kim-arrives-Russia-Putin-talks")
    rt = corpus.sources["rt"]
    assert (rt.outlet, rt.attribution, rt.url, rt.published) == ("RT", "inferred", "", "")
    assert "© STR / KCNA VIA KNS / AFP" in rt.attribution_note
    national = corpus.sources["the-national"]
    assert (national.outlet, national.url, national.published) == ("The National", "", "")
    assert corpus.versions(plain) == corpus.versions(md) == [md, plain]  # no capture times: ordered by id
    assert corpus.previous_version(plain) == md and corpus.previous_version(md) is None


def load_with(tmp_path: Path, files: Mapping[str, bytes | str], **limits: int) -> CorpusStore:
    """A store on a temporary corpus made of the given files next to one good source."""
    root = tmp_path / "c"
    (root / STORY).mkdir(parents=True)
    (root / STORY / "good.txt").write_text(good_file("good"), encoding="utf-8")
    for name, content in files.items():
        path = root / STORY / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return CorpusStore(root, limits.get("max_bytes", 10_000), rescan=0)


BAD_FILES: dict[str, tuple[bytes | str, str]] = {
    "no-front-matter.txt": ("Just text, no front matter.\n", "no front matter"),
    "unclosed.txt": ("---\nid: unclosed\nstory: kim-putin-2023\nBody without the closing fence\n",
                     "not closed"),
    "bad-yaml.txt": ("---\nid: [unclosed\n---\nBody\n", "not valid YAML"),
    "not-mapping.txt": ("---\n- a\n- b\n---\nBody\n", "mapping"),
    "latin1.txt": (front_matter(id="latin", story=STORY).encode() + "Caf\xe9 society".encode("latin-1"),
                   "not valid UTF-8"),
    "empty.txt": (front_matter(id="empty", story=STORY) + "\n  \n", "body is empty"),
    "huge.txt": (good_file("huge", body="word " * 5000), "MAX_SOURCE_BYTES"),
    "zz-dup.txt": (good_file("good"), "duplicate id 'good'"),
    "bad-format.txt": (good_file("bad-format", format="html"), "field 'format' must be one of"),
    "bad-id.txt": (good_file("Bad_Id"), "field 'id' must be a slug"),
    "bad-date.txt": (good_file("bad-date", published="12/09/2023"), "field 'published' must be an ISO date"),
    "bad-url.txt": (good_file("bad-url", url="javascript:alert(1)"), "field 'url' must be an http(s) URL"),
    "bad-attr.txt": (good_file("bad-attr", attribution="rumour"), "field 'attribution' must be one of"),
    "typo.txt": (good_file("typo", titel="Oops"), "unknown field(s) titel"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_skipped_with_its_reason(tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture) -> None:
    """A bad file is skipped and named with its reason in the problems and the log; the good one loads."""
    content, reason = BAD_FILES[name]
    with caplog.at_level(logging.WARNING, logger="parallax.corpus"):
        corpus = load_with(tmp_path, {name: content}).get()
    assert "good" in corpus.sources
    assert [p.path for p in corpus.problems] == [f"{STORY}/{name}"]
    assert reason in corpus.problems[0].reason
    assert any(name in record.getMessage() and reason in record.getMessage() for record in caplog.records)


def test_link_outside_the_corpus_is_not_followed(tmp_path: Path) -> None:
    """A symlink pointing outside the corpus folder is never read."""
    secret = tmp_path / "secret.txt"
    secret.write_text(good_file("secret"), encoding="utf-8")
    store = load_with(tmp_path, {})
    (store.root / STORY / "link.txt").symlink_to(secret)
    corpus = store.get()
    assert "secret" not in corpus.sources
    assert "outside the corpus" in corpus.problems[0].reason


def test_editor_temp_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    """Half-written editor files (hidden, backup) are not sources and not problems."""
    corpus = load_with(tmp_path, {".draft.txt": "half", "notes.txt~": "half", "#x.txt": "half"}).get()
    assert list(corpus.sources) == ["good"] and corpus.problems == ()


def test_new_story_is_a_matter_of_dropping_in_a_file(tmp_path: Path) -> None:
    """A source naming a story with no story.yaml still loads, under a story of that slug."""
    store = load_with(tmp_path, {})
    folder = store.root / "another-story"
    folder.mkdir()
    (folder / "wire.md").write_text(good_file("wire", story="another-story", format="markdown"), encoding="utf-8")
    corpus = store.get()
    assert corpus.stories["another-story"].source_ids == ("wire",)
    assert corpus.sources["wire"].format == "markdown"


def test_lookup_never_uses_unchecked_ids() -> None:
    """Ids that are not slugs (paths, traversal) never find anything."""
    corpus = load_corpus(BUNDLED)
    for bad in ("../rt", "rt/../rt", "RT", "rt.txt", "", "/etc/passwd"):
        assert corpus.get(bad) is None


def test_parse_source_keeps_leading_blank_lines_and_bom_free_body() -> None:
    """The body starts right after the closing fence, blank lines included."""
    source = parse_source(good_file("x", body="\n\n# Title\n\nText.\n").encode(), "x.txt", 10_000)
    assert source.body == "\n\n# Title\n\nText.\n"


def test_versions_are_in_time_order_whatever_their_utc_offsets(corpus_dir: Path) -> None:
    """10:00+05:00 is 05:00 UTC, before 06:00Z, though it sorts after it as text."""
    from parallax.corpus_store import load_corpus

    for name, captured in (("late", "2023-09-12T06:00:00Z"), ("early", "2023-09-12T10:00:00+05:00"),
                           ("unknown", "")):
        (corpus_dir / STORY / f"{name}.txt").write_text(
            front_matter(id=name, story=STORY, outlet="RT", url="https://rt.com/a", captured=f'"{captured}"')
            + f"The {name} capture of the article.\n", encoding="utf-8")
    loaded = load_corpus(corpus_dir)
    assert [s.id for s in loaded.versions(loaded.sources["late"])] == ["unknown", "early", "late"]


def test_front_matter_is_read_by_libyaml_and_nesting_stays_bounded(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid files never go through the pure-Python YAML parser (many times slower on a large corpus); the C
    parser's unlimited nesting is refused as the pure one refuses it, naming the file."""
    from parallax import corpus as corpus_module

    pure_parses = []
    original = corpus_module._PureLoader.__init__

    def counted(self: object, stream: str) -> None:
        pure_parses.append(stream)
        original(self, stream)  # type: ignore[arg-type]

    monkeypatch.setattr(corpus_module._PureLoader, "__init__", counted)
    deep = good_file("deep", title="[" * 70 + "x" + "]" * 70)
    corpus = load_with(tmp_path, {f"s{n}.txt": good_file(f"s{n}", title=f"Headline {n}") for n in range(20)}
                       | {"deep.txt": deep}).get()
    assert len(corpus.sources) == 21 and corpus.sources["s7"].title == "Headline 7"
    assert pure_parses == []
    assert [(p.path, "nested" in p.reason) for p in corpus.problems] == [(f"{STORY}/deep.txt", True)]
