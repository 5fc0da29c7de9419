"""The framework-free ingest module: slugs, decoding, extraction, file text, atomic no-overwrite writes."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from pathlib import Path

import pytest

from parallax.corpus import parse_source
from parallax.corpus_store import load_corpus
from parallax.sources import drafts, extract, ingest, storage

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STORY = "kim-putin-2023"


def new(body: str = "A body of text.\nSecond line.\n", **fields: str) -> ingest.NewSource:
    """A NewSource for the bundled story with the given fields."""
    return ingest.NewSource(story=fields.pop("story", STORY), body=body, **fields)


@pytest.mark.parametrize(("title", "slug"), [
    ("N. Korea's Kim Arrives in Russia!", "n-korea-s-kim-arrives-in-russia"),
    ("Café naïve — résumé", "cafe-naive-resume"),
    ("../../etc/passwd", "etc-passwd"),
    ("<script>alert(1)</script>", "script-alert-1-script"),
    ("日本語だけ", "ribenyudake"),
    ("Жители Новой Каледонии отклонили идею независимости", "zhiteli-novoy-kaledonii-otklonili-ideyu"),
    ("김정은 위원장, 러시아 도착", "gimjeongeun-wiwonjang-leosia-dochag"),
    ("— « » —", ""),
    ("   ", ""),
])
def test_slugify_is_ascii_and_safe(title: str, slug: str) -> None:
    """Titles become a-z, 0-9 and '-' only; other scripts are transliterated."""
    assert ingest.slugify(title) == slug


def test_slugify_caps_length_at_a_word_boundary() -> None:
    """Long titles are cut to at most 60 characters without a trailing dash."""
    slug = ingest.slugify("word " * 40)
    assert len(slug) <= 60 and not slug.endswith("-") and slug.startswith("word-word")


def test_decode_text_utf8_bom_and_cp1252() -> None:
    """UTF-8 (with or without BOM) decodes as is; a confident legacy guess is accepted."""
    assert extract.decode_text("naïve".encode()) == "naïve"
    assert extract.decode_text(b"\xef\xbb\xbfhello") == "hello"
    text = ("Le maire a déclaré mardi que la réforme serait « inévitable », malgré l’opposition. "
            "Les négociations reprendront à la rentrée.\n") * 3
    assert extract.decode_text(text.encode("cp1252")) == text


def test_decode_text_refuses_bytes_no_encoding_fits() -> None:
    """Invalid UTF-8 that charset-normalizer cannot place is refused with a clear message."""
    garbage = bytes([0xC0, 0xC1, 0xF5, 0xFF, 0x80, 0x00, 0x01, 0x02]) * 100
    with pytest.raises(ingest.IngestError, match=r"not UTF-8 .* could not be recognised"):
        extract.decode_text(garbage)


@pytest.mark.parametrize("raw", ["Kim arrived in Russia.".encode("utf-16-le"), b"\x00" * 100])
def test_decode_text_refuses_nul_bytes_that_are_valid_utf8(raw: bytes) -> None:
    """UTF-16 without a byte-order mark (or zeros) decodes as UTF-8 with NULs: refused, not stored as an article."""
    with pytest.raises(ingest.IngestError, match=r"NUL bytes .* UTF-16 without a byte-order mark") as info:
        extract.decode_text(raw)
    assert info.value.cause == "bad_encoding"
    with pytest.raises(ingest.IngestError, match="NUL bytes"):
        extract.from_upload("article.txt", raw, 10_000)


def test_extract_html_drops_navigation_ads_and_comments() -> None:
    """The fixture page yields the article paragraphs and its metadata, without the clutter around it."""
    extracted = extract.extract_html((FIXTURES / "news_article.html").read_text("utf-8"), "http://127.0.0.1/a")
    assert "six weeks of repairs" in extracted.body and "4.2 million crowns" in extracted.body
    for clutter in ("Subscribe for £1", "Win a cruise", "mortgage rates", "ferryfan88", "squeaking", "Cookie"):
        assert clutter not in extracted.body
    assert extracted.title == "Harbour bridge to close for repairs, council says"
    assert extracted.outlet == "The Coastal Herald"
    assert extracted.author == "Mara Lindqvist"
    assert extracted.published == "2024-02-13"
    assert extracted.url == "https://herald.example/2024/02/13/harbour-bridge-repairs"


def test_extract_html_empty_page() -> None:
    """A page with no article says so (422)."""
    with pytest.raises(ingest.IngestError, match="no article text found in this page") as info:
        extract.extract_html((FIXTURES / "empty_page.html").read_text("utf-8"))
    assert info.value.cause == "extraction_empty"


def test_upload_kind_refuses_other_types() -> None:
    """Only .txt, .md and .html/.htm are accepted (415 otherwise)."""
    assert extract.upload_kind("A.TXT") == "text" and extract.upload_kind("a.htm") == "html"
    for name in ("a.pdf", "a.docx", "noext", "a.txt.exe"):
        with pytest.raises(ingest.IngestError) as info:
            extract.upload_kind(name)
        assert info.value.cause == "unsupported_type"


def test_build_file_text_round_trips_through_the_loader() -> None:
    """The file parses back with the same metadata, and the body is kept byte for byte."""
    body = "  Leading spaces kept.\r\n---\nA fence-like line in the body.\n\n"
    source_new = new(body, title="Title: with colon\nand newline", outlet="O'Brien \"Daily\"",
                     url="https://example.com/a?b=1", published="2024-01-02", version_of="https://example.com/a")
    data = ingest.build_file_text("my-id", source_new).encode()
    source = parse_source(data, f"{STORY}/my-id.txt", 1_000_000)
    assert source.body == body
    assert source.title == "Title: with colon and newline"
    assert source.outlet == "O'Brien \"Daily\""
    assert source.published == "2024-01-02" and source.version_of == "https://example.com/a"
    assert source.captured


def test_save_source_writes_and_suffixes_taken_ids(corpus_dir: Path) -> None:
    """A title already used as an id gets '-2'; the story folder stays loadable."""
    corpus = load_corpus(corpus_dir)
    first = ingest.save_source(corpus_dir, corpus, new(title="RT"), 1_000_000)
    assert first.id == "rt-2"
    second = ingest.save_source(corpus_dir, load_corpus(corpus_dir), new("Other text.\n", title="RT"), 1_000_000)
    assert second.id == "rt-3"
    reloaded = load_corpus(corpus_dir)
    assert {"rt-2", "rt-3"} <= set(reloaded.sources) and reloaded.problems == ()
    assert (corpus_dir / STORY / "rt-2.txt").read_bytes().endswith(b"A body of text.\nSecond line.\n")


def test_save_source_falls_back_to_first_words_then_outlet_then_source(corpus_dir: Path) -> None:
    """No usable headline: the text's first words, else the outlet, else 'source'."""
    corpus = load_corpus(corpus_dir)
    by_words = ingest.save_source(corpus_dir, corpus, new("« Kim's train » arrived on Tuesday, officials said in "
                                                          "Vladivostok today.\n", title="« — »"), 10**6)
    assert by_words.id == "kim-s-train-arrived-on-tuesday-officials-said"
    by_outlet = ingest.save_source(corpus_dir, corpus, new("— « » —\n", title="—", outlet="Le Monde"), 10**6)
    assert by_outlet.id == "le-monde"
    assert ingest.save_source(corpus_dir, corpus, new("— … —\n"), 10**6).id == "source"


def test_save_source_ids_from_non_latin_headlines_are_transliterated(corpus_dir: Path) -> None:
    """A Russian or Korean headline gives a readable id, never the generic 'source'."""
    corpus = load_corpus(corpus_dir)
    russian = ingest.save_source(corpus_dir, corpus, new("Это будет полноценный визит, заявил Песков.\n",
                                                         title="Ким Чен Ын прибыл в Россию"), 10**6)
    assert russian.id == "kim-chen-yn-pribyl-v-rossiyu"
    korean = ingest.save_source(corpus_dir, corpus, new("김정은 위원장이 러시아에 도착했다.\n"), 10**6)
    assert korean.id.startswith("gimjeongeun")


def test_save_source_new_story_gets_story_yaml(corpus_dir: Path) -> None:
    """A new story folder is created with its story.yaml."""
    saved = ingest.save_source(corpus_dir, load_corpus(corpus_dir), new(story="bridge-2024", title="Bridge"), 10**6,
                               story_title="Harbour bridge closes")
    corpus = load_corpus(corpus_dir)
    assert corpus.stories["bridge-2024"].title == "Harbour bridge closes"
    assert corpus.stories["bridge-2024"].source_ids == (saved.id,)


def test_duplicate_text_is_refused(corpus_dir: Path) -> None:
    """The same text (up to outer whitespace and newline style) is a duplicate of the existing source."""
    corpus = load_corpus(corpus_dir)
    body = corpus.sources["rt"].body.replace("\n", "\r\n") + "\n\n"
    with pytest.raises(ingest.DuplicateError) as info:
        ingest.save_source(corpus_dir, corpus, new(body, title="again"), 10**6)
    assert info.value.existing.id == "rt" and info.value.cause == "duplicate"
    assert not (corpus_dir / STORY / "again.txt").exists()


@pytest.mark.parametrize("story", ["../x", "..", "a/b", "UPPER", "", "x" * 81])
def test_path_traversal_in_story_refused(corpus_dir: Path, story: str) -> None:
    """Story slugs that are not single safe folder names are refused before anything is written."""
    before = sorted(p.relative_to(corpus_dir) for p in corpus_dir.rglob("*"))
    with pytest.raises(ingest.IngestError, match="story"):
        ingest.save_source(corpus_dir, load_corpus(corpus_dir), new(story=story, title="x"), 10**6)
    assert sorted(p.relative_to(corpus_dir) for p in corpus_dir.rglob("*")) == before
    assert not (corpus_dir.parent / "x").exists()


def test_invalid_metadata_is_refused_before_writing(corpus_dir: Path) -> None:
    """Metadata the loader would reject (bad language tag) never reaches the disk."""
    with pytest.raises(ingest.IngestError, match="would not load: field 'language'"):
        ingest.save_source(corpus_dir, load_corpus(corpus_dir), new(title="Bad lang", language="not a tag"), 10**6)
    assert not list((corpus_dir / STORY).glob("bad-lang*")) and not list((corpus_dir / STORY).glob(".*"))


def test_write_exclusive_never_overwrites(tmp_path: Path) -> None:
    """An existing file is left untouched and no temp file remains."""
    target = tmp_path / "a.txt"
    target.write_bytes(b"original")
    assert storage.write_exclusive(target, b"new") is False
    assert target.read_bytes() == b"original"
    assert storage.write_exclusive(tmp_path / "b.txt", b"new") is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_write_exclusive_completes_short_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that stores fewer bytes than asked (as os.write may) is continued: the file gets every byte."""
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data)[:3]))
    data = b"every byte of this text must arrive\n" * 100
    assert storage.write_exclusive(tmp_path / "whole.txt", data) is True
    assert (tmp_path / "whole.txt").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whole.txt"]


def test_crash_between_write_and_link_leaves_corpus_valid(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If linking the temp file fails, nothing new is listed, no problem appears and the temp file is gone."""
    def crash(src: object, dst: object) -> None:
        raise OSError(5, "simulated crash")

    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(ingest.IngestError, match="simulated crash") as failed:
        ingest.save_source(corpus_dir, load_corpus(corpus_dir), new(title="Crashed"), 10**6)
    assert failed.value.cause == "storage"
    monkeypatch.undo()
    corpus = load_corpus(corpus_dir)
    assert "crashed" not in corpus.sources and corpus.problems == ()
    assert sorted(p.name for p in (corpus_dir / STORY).iterdir() if p.name.startswith(".")) == []


def test_leftover_temp_file_is_ignored_by_the_loader(corpus_dir: Path) -> None:
    """Even if a crash left the hidden temp file behind, the loader does not read it."""
    data = ingest.build_file_text("ghost", new(title="Ghost"))
    (corpus_dir / STORY / ".ghost.txt.abc123.tmp").write_text(data, "utf-8")
    (corpus_dir / STORY / ".ghost.txt").write_text(data, "utf-8")
    corpus = load_corpus(corpus_dir)
    assert "ghost" not in corpus.sources and corpus.problems == ()


def test_concurrent_saves_with_the_same_title_keep_both(corpus_dir: Path) -> None:
    """Eight threads saving the same title at once: eight files with distinct ids, none lost or overwritten."""
    corpus = load_corpus(corpus_dir)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def add(n: int) -> None:
        barrier.wait()
        try:
            results.append(ingest.save_source(corpus_dir, corpus, new(f"Text number {n}.\n", title="Same"), 10**6).id)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == sorted(["same"] + [f"same-{n}" for n in range(2, 9)])
    reloaded = load_corpus(corpus_dir)
    assert reloaded.problems == ()
    assert sorted(reloaded.sources[i].body for i in results) == sorted(f"Text number {n}.\n" for n in range(8))


def test_drafts_round_trip_and_reject_bad_tokens(tmp_path: Path) -> None:
    """A draft comes back exactly; malformed or unknown tokens give None."""
    folder = drafts.draft_dir(str(tmp_path / "drafts"))
    extracted = ingest.Extracted(body="Body\r\nwith CRLF kept\n", title="T", capture="pasted")
    token = drafts.save_draft(folder, extracted, {"story": STORY})
    loaded = drafts.load_draft(folder, token)
    assert loaded is not None and loaded[0] == extracted and loaded[1] == {"story": STORY}
    assert drafts.load_draft(folder, "../../etc/passwd") is None
    assert drafts.load_draft(folder, "A" * 32) is None
    drafts.delete_draft(folder, token)
    assert drafts.load_draft(folder, token) is None


def test_unify_newlines_is_shared_by_paste_and_duplicate_check() -> None:
    """CRLF and lone CR become LF the same way for pasted text and for the duplicate comparison."""
    assert ingest.unify_newlines("a\r\nb\rc\n\r\n") == "a\nb\nc\n\n"
    assert extract.from_text("one\r\ntwo\rthree", "text").body == "one\ntwo\nthree"
    assert ingest.normalise_body("  one\r\ntwo\r ") == "one\ntwo"


def draft_file(folder: Path, **changes: object) -> str:
    """Save a draft, then rewrite its file with keys changed (None removes a key); return its token."""
    token = drafts.save_draft(folder, ingest.Extracted(body="Draft body.\n", title="T", capture="pasted"),
                              {"story": STORY})
    path = folder / f"{token}.json"
    payload = json.loads(path.read_text("utf-8"))
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    path.write_text(json.dumps(payload), "utf-8")
    return token


def test_draft_from_another_version_loads_known_fields(tmp_path: Path) -> None:
    """A draft with keys this version does not know (or without optional ones) loads what it knows."""
    folder = drafts.draft_dir(str(tmp_path / "drafts"))
    token = draft_file(folder, summary="a field from a newer version", capture=None, title=None)
    loaded = drafts.load_draft(folder, token)
    assert loaded is not None
    assert loaded[0] == ingest.Extracted(body="Draft body.\n") and loaded[1] == {"story": STORY}


@pytest.mark.parametrize("changes", [{"body": None}, {"body": 42}, {"title": ["x"]}, {"extra": "story"},
                                     {"created": "yesterday"}, {"created": None, "body": None}])
def test_malformed_draft_is_missing(tmp_path: Path, changes: dict[str, object]) -> None:
    """A draft without a body, with fields of the wrong type or a bad time is treated as missing (None)."""
    folder = drafts.draft_dir(str(tmp_path / "drafts"))
    assert drafts.load_draft(folder, draft_file(folder, **changes)) is None


def test_malformed_draft_json_is_missing(tmp_path: Path) -> None:
    """A draft file that is JSON but not an object is treated as missing."""
    folder = drafts.draft_dir(str(tmp_path / "drafts"))
    token = draft_file(folder)
    (folder / f"{token}.json").write_text("[1, 2]", "utf-8")
    assert drafts.load_draft(folder, token) is None


def test_default_draft_dir_is_per_user_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DRAFT_DIR the drafts go to parallax-drafts-<uid> in the temp folder, mode 700."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    folder = drafts.draft_dir("")
    assert folder == tmp_path / f"parallax-drafts-{os.geteuid()}"
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert drafts.draft_dir("") == folder  # an existing private folder is used again


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o701])
def test_draft_dir_open_to_others_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int) -> None:
    """A drafts folder created beforehand with access for group or others is refused with a clear error."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    folder = tmp_path / f"parallax-drafts-{os.geteuid()}"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(ingest.IngestError, match=rf"drafts folder .* is open to group or others \(mode {mode:o}"):
        drafts.draft_dir("")
    configured = tmp_path / "configured"
    configured.mkdir()
    configured.chmod(mode)
    with pytest.raises(ingest.IngestError, match="is open to group or others"):
        drafts.draft_dir(str(configured))


def test_draft_dir_symlink_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symlink where the drafts folder should be (even to a private folder) is refused."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / f"parallax-drafts-{os.geteuid()}").symlink_to(target)
    with pytest.raises(ingest.IngestError, match="is not a folder"):
        drafts.draft_dir("")


def test_draft_dir_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A drafts folder owned by another user is refused (the owner is faked: tests cannot chown)."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    (tmp_path / "parallax-drafts-4242").mkdir(mode=0o700)
    with pytest.raises(ingest.IngestError, match=r"belongs to user \d+, not to this user \(4242\)"):
        drafts.draft_dir("")


def test_saving_many_versions_reads_only_new_files(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The on-disk duplicate check parses a file once; later saves in the story read only what is new, so storing
    n versions costs O(n) parses, not O(n²) (a watcher keeping every version of many articles relies on this)."""
    for n in range(12):
        corpus = load_corpus(corpus_dir)
        ingest.save_source(corpus_dir, corpus, ingest.NewSource(story="watched", body=f"Version {n} of the text.\n",
                                                                title=f"Article {n}"), 100_000)
    parsed: list[str] = []
    real = parse_source

    def counting(raw: bytes, path: str, max_bytes: int) -> object:
        parsed.append(path)
        return real(raw, path, max_bytes)

    monkeypatch.setattr(ingest, "parse_source", counting)
    corpus = load_corpus(corpus_dir)
    ingest.save_source(corpus_dir, corpus, ingest.NewSource(story="watched", body="Version 12 of the text.\n",
                                                            title="Article 12"), 100_000)
    assert parsed == ["watched/article-12.txt"]  # only the new file's own check before writing it
    with pytest.raises(ingest.DuplicateError) as refused:  # a duplicate of an unchanged file is still found
        ingest.save_source(corpus_dir, load_corpus(corpus_dir),
                           ingest.NewSource(story="watched", body="Version 3 of the text.\n"), 100_000)
    assert refused.value.existing.id == "article-3"
