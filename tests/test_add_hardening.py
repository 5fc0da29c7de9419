"""Nothing a request sends takes Parallax down: bad fields are refused at the door naming the field, failures
while extracting or fetching give the form back with what was typed, identical adds at once store one copy."""

from __future__ import annotations

import html as html_lib
import io
import json
import logging
import multiprocessing
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.corpus_store import load_corpus
from parallax.sources import extract, ingest
from tests.add_flow import FIXTURES, STORY, confirm, no_problems, paste, start, upload
from tests.conftest import csrf_of

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/index.json", f"/stories/{STORY}", "/sources/rt", "/compare/press-tv/rt", "/-/health.json")


def post_raw_json(client: FlaskClient, body: str) -> Any:
    """POST a JSON text as it is (json.dumps would refuse what a hostile client can send)."""
    return client.post("/api/sources", data=body.encode("utf-8"), content_type="application/json")


def textarea(page: bytes) -> str:
    """The pasted text given back in the add form's textarea."""
    match = re.search(r'<textarea id="add-text" name="text"[^>]*>\n?(.*?)</textarea>', page.decode(), re.S)
    assert match, "no text area"
    return html_lib.unescape(match.group(1))


def source_files(corpus_dir: Path) -> list[str]:
    """Every source file name in the corpus."""
    return sorted(p.name for p in corpus_dir.rglob("*") if p.suffix in (".txt", ".md"))


# ---- fields refused at the door ----------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["text", "title", "outlet", "language", "story_title", "url", "version_of",
                                   "published", "format", "story"])
def test_lone_surrogate_in_any_field_is_refused_naming_it(fetching_client: FlaskClient, corpus_dir: Path,
                                                          field: str) -> None:
    """A lone surrogate (\\uD800) in any JSON field: 400 naming the field, nothing stored, every page still 200."""
    payload = {"text": "A body long enough to be a body.", "story": STORY, "title": "Surrogate test",
               field: "x\\ud800y"}
    before = source_files(corpus_dir)
    response = post_raw_json(fetching_client, json.dumps(payload).replace("\\\\ud800", "\\ud800"))
    assert response.status_code == 400, response.get_json()
    data = response.get_json()
    assert data["field"] == field and f"'{field}'" in data["error"] and "surrogate" in data["error"]
    assert source_files(corpus_dir) == before
    for path in PAGES:
        assert fetching_client.get(path).status_code == 200, path


def test_surrogate_in_a_draft_is_not_shown(fetching_client: FlaskClient, tmp_path: Path) -> None:
    """A draft holding a lone surrogate (written by an older version) is 'not found', not a page that fails."""
    first = paste(fetching_client, "Text waiting for its confirmation.\n")
    location = first.headers["Location"]
    path = tmp_path / "drafts" / f"{location.rsplit('/', 1)[1]}.json"
    path.write_text(path.read_text("utf-8").replace('"title": ""', '"title": "x\\ud800y"'), "utf-8")
    assert "ud800" in path.read_text("utf-8")
    assert fetching_client.get(location).status_code == 404


def test_json_nested_too_deep_is_400(fetching_client: FlaskClient) -> None:
    """JSON nested 100,000 deep is refused with 400, not a RecursionError."""
    response = post_raw_json(fetching_client,
                             '{"text": ' + "[" * 100_000 + "]" * 100_000 + ', "story": "kim-putin-2023"}')
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"url": "http://[::1/", "story": STORY}, "url"),
    ({"text": "A body of text.", "url": "http://[::1/", "story": STORY}, "url"),
    ({"text": "A body of text.", "version_of": "http://[::1/", "story": STORY}, "version_of"),
    ({"html": "<p>x</p>", "url": "https://[fe80::1%25eth0/", "story": STORY}, "url"),
])
def test_url_that_cannot_be_split_is_400_naming_the_field(fetching_client: FlaskClient, payload: dict[str, str],
                                                          field: str) -> None:
    """A URL urlsplit cannot even read (``http://[::1/``) is a 400 naming its field, not a 500."""
    response = fetching_client.post("/api/sources", json=payload)
    assert response.status_code == 400, response.get_json()
    data = response.get_json()
    assert data["field"] == field and f"{field}" in data["error"]


def test_unsplittable_url_in_the_fetch_form_keeps_it(fetching_client: FlaskClient) -> None:
    """The fetch form with such a URL: 400, and the URL is given back."""
    response = start(fetching_client, {"kind": "fetch", "url": "http://[::1/", "story": STORY})
    assert response.status_code == 400 and b"must be an http(s) URL" in response.data
    assert b'value="http://[::1/"' in response.data


# ---- one copy of identical adds ----------------------------------------------------------------------------------

BODY = "Eight editors paste the same wire report at the same moment.\nOnly one copy may be kept.\n"


def test_identical_adds_at_once_store_one_copy_threads(add_app: Callable[..., Flask], corpus_dir: Path) -> None:
    """8 identical API adds at the same moment: exactly one 201, the others 409 naming it; one file on disk."""
    app = add_app()
    barrier = threading.Barrier(8)
    results: list[tuple[int, Any]] = []

    def add(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/sources", json={"text": BODY, "story": STORY, "title": f"Copy {n}"})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 7, statuses
    saved = next(data["id"] for status, data in results if status == 201)
    assert all(data["id"] == saved for status, data in results if status == 409)
    copies = [p for p in (corpus_dir / STORY).iterdir() if p.is_file() and p.read_text("utf-8").endswith(BODY)]
    assert [p.stem for p in copies] == [saved]
    assert no_problems(app.test_client())["source_count"] == 6


def _add_in_process(root: str, n: int, barrier: Any, queue: Any) -> None:
    """One worker process: load the corpus, wait for the others, then save the same text."""
    corpus = load_corpus(root)
    barrier.wait()
    try:
        saved = ingest.save_source(Path(root), corpus, ingest.NewSource(story=STORY, body=BODY, title=f"Copy {n}"),
                                   1_000_000)
        queue.put(("saved", saved.id))
    except ingest.DuplicateError as error:
        queue.put(("duplicate", error.existing.id))


def test_identical_adds_at_once_store_one_copy_processes(corpus_dir: Path) -> None:
    """The same across worker processes (as the team server runs): one saved, the others told which one."""
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(6), context.Queue()
    workers = [context.Process(target=_add_in_process, args=(str(corpus_dir), n, barrier, queue))
               for n in range(6)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    kinds = sorted(kind for kind, _ in results)
    assert kinds == ["duplicate"] * 5 + ["saved"], results
    saved = next(i for kind, i in results if kind == "saved")
    assert {i for _, i in results} == {saved}
    corpus = load_corpus(corpus_dir)
    assert [s.id for s in corpus.sources.values() if s.body == BODY] == [saved] and corpus.problems == ()


# ---- logs and cookies --------------------------------------------------------------------------------------------

def test_access_log_escapes_control_characters(fetching_client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    """CR, ESC and NUL in a path are written escaped: one log line that cannot rewrite the terminal."""
    with caplog.at_level(logging.INFO, logger="parallax.access"):
        fetching_client.get("/sources/x%0d%1b[2K%00fake%e2%80%a8?q=%0a%07")
    line = next(r.getMessage() for r in caplog.records if r.name == "parallax.access")
    assert not any(ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029" for c in line), repr(line)
    assert "\\r" in line and "\\x1b" in line and "\\x00" in line and "\\u2028" in line


def test_session_cookie_is_lax_and_secure_behind_an_https_proxy(add_app: Callable[..., Flask]) -> None:
    """Behind an https proxy the session cookie is Secure and SameSite=Lax; over plain http it is Lax only."""
    proxied = add_app(PROXY_HOPS=1).test_client()
    cookie = proxied.get("/add", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
    assert "; Secure" in cookie and "SameSite=Lax" in cookie
    plain = add_app().test_client().get("/add").headers["Set-Cookie"]
    assert "SameSite=Lax" in plain and "Secure" not in plain


# ---- failures while extracting or fetching -----------------------------------------------------------------------

@pytest.mark.parametrize(("raised", "status", "words"), [
    (ImportError("lxml.html.clean module is now a separate project lxml_html_clean"), 502, "cannot run"),
    (ValueError("Document is empty"), 422, "could not be extracted"),
    (RecursionError("maximum recursion depth exceeded"), 422, "nested too deeply"),
])
def test_extraction_failure_is_a_clear_error_with_the_form_back(fetching_client: FlaskClient,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                raised: Exception, status: int, words: str) -> None:
    """Whatever the extractor raises (a missing library, a parser error) is a clear 4xx/502 saying so, never a
    500; the forms come back with the story chosen, the API answers in its error shape."""
    import trafilatura

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    response = upload(fetching_client, "page.html", (FIXTURES / "news_article.html").read_bytes())
    assert response.status_code == status and words.encode() in response.data
    assert f'name="story" value="{STORY}"'.encode() in response.data
    api = fetching_client.post("/api/sources", json={"html": "<p>Some page</p>", "story": STORY})
    assert api.status_code == status and words in api.get_json()["error"]


def test_unexpected_fetch_failure_keeps_the_url(fetching_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fetch that fails in an unforeseen way: a 4xx saying so, the URL given back."""
    from parallax.sources import fetch

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(fetch, "fetch", broken)
    response = start(fetching_client, {"kind": "fetch", "url": "https://example.com/article", "story": STORY})
    assert response.status_code == 422 and b"could not be read" in response.data
    assert b'value="https://example.com/article"' in response.data


def test_paste_error_gives_the_text_back(fetching_client: FlaskClient) -> None:
    """A refused paste (bad format) comes back with the text in the form."""
    text = "My long pasted article, which I do not want to paste again.\nSecond line.\n"
    response = start(fetching_client, {"kind": "paste", "text": text, "format": "html", "story": STORY})
    assert response.status_code == 400 and b"format must be" in response.data
    assert textarea(response.data) == text


@pytest.mark.parametrize("size", [1_200, 20_000])
def test_oversize_paste_says_the_limit_and_keeps_the_text_cut(add_app: Callable[..., Flask], size: int) -> None:
    """A paste over MAX_UPLOAD_BYTES, just over or far beyond what the server reads: 413 naming the limit, and the
    text given back cut at the limit (never inside a character) for the editor to shorten."""
    client = add_app(MAX_UPLOAD_BYTES=1000).test_client()
    if size > client.application.config["MAX_CONTENT_LENGTH"]:
        pytest.fail("the case must exceed MAX_CONTENT_LENGTH")  # pragma: no cover
    text = ("é" + "word " * 4) * (size // 22 + 1)
    response = start(client, {"kind": "paste", "text": text, "story": STORY})
    assert response.status_code == 413
    page = response.data.decode()
    assert "limit of 1,000 bytes (MAX_UPLOAD_BYTES)" in page and "cut to the limit" in page
    kept = textarea(response.data)
    assert text.startswith(kept) and 990 <= len(kept.encode("utf-8")) <= 1000


def test_paste_far_beyond_the_request_limit_is_given_back_cut(add_app: Callable[..., Flask]) -> None:
    """A paste bigger than the whole request limit (MAX_CONTENT_LENGTH): still the form with the text cut."""
    client = add_app(MAX_UPLOAD_BYTES=1000).test_client()
    text = "A sentence of a very long article. " * 5000
    assert len(text) > client.application.config["MAX_CONTENT_LENGTH"]
    token = csrf_of(client.get("/add").data)
    response = client.post("/add", data={"csrf_token": token, "kind": "paste", "story": STORY, "text": text})
    assert response.status_code == 413
    assert b"limit of 1,000 bytes (MAX_UPLOAD_BYTES)" in response.data
    kept = textarea(response.data)
    assert text.startswith(kept) and len(kept) == 1000


# ---- the add flow ------------------------------------------------------------------------------------------------

def test_duplicate_is_reported_on_the_first_step(fetching_client: FlaskClient, corpus_dir: Path,
                                                 tmp_path: Path) -> None:
    """Text already in the story is refused when it is pasted (409, naming and linking the source, text kept), not
    after the whole confirm form is filled in."""
    body = (corpus_dir / STORY / "rt.txt").read_text("utf-8").split("---\n", 2)[2]
    response = start(fetching_client, {"kind": "paste", "text": body.replace("\n", "\r\n"), "story": STORY})
    assert response.status_code == 409
    assert b"already in the story as &#39;rt&#39;" in response.data and b'href="/sources/rt"' in response.data
    assert textarea(response.data).replace("\r\n", "\n") == body
    assert not list((tmp_path / "drafts").glob("*.json"))
    other = start(fetching_client,
                  {"kind": "paste", "text": body, "story": ""})  # the only story is the one confirm picks
    assert other.status_code == 409


def test_blank_confirm_asks_for_the_outlet_and_derives_the_id_from_the_text(fetching_client: FlaskClient) -> None:
    """Saving with every field blank is refused until the outlet is given; the id then comes from the text's first
    words, not 'source'."""
    first = paste(fetching_client,
                  "Kim Jong Un's armoured train crossed into Russia early on Tuesday, officials said.\n")
    page = fetching_client.get(first.headers["Location"])
    blank = fetching_client.post(first.headers["Location"], data={"csrf_token": csrf_of(page.data), "story": STORY,
                                                      "outlet": "", "title": ""})
    assert blank.status_code == 400 and b"give the outlet" in blank.data
    assert b'name="outlet" value="" required' in blank.data
    saved = confirm(fetching_client, first.headers["Location"], outlet="Wire Service", title="")
    assert saved.status_code == 303
    assert saved.headers["Location"] == "/sources/kim-jong-un-s-armoured-train-crossed-into"
    source = fetching_client.get(saved.headers["Location"] + ".json").get_json()["source"]
    assert source["outlet"] == "Wire Service"


def test_markdown_upload_heading_is_the_headline(fetching_client: FlaskClient) -> None:
    """An uploaded markdown file's '# H1' is proposed as the headline (and so gives the id)."""
    raw = b"# Kim *arrives* in Russia\n\nThe train crossed the border on Tuesday.\n"
    first = upload(fetching_client, "story.md", raw)
    assert first.status_code == 303
    assert b'value="Kim arrives in Russia"' in fetching_client.get(first.headers["Location"]).data
    saved = confirm(fetching_client, first.headers["Location"])
    assert saved.headers["Location"] == "/sources/kim-arrives-in-russia"
    assert extract.markdown_title("Intro\n\nTitle line\n=====\n\n# Later\n") == "Title line"


def test_loopback_refusal_names_the_real_variable(add_app: Callable[..., Flask]) -> None:
    """Refusing a loopback URL names the environment variable that allows it."""
    response = start(add_app().test_client(), {"kind": "fetch", "url": "http://127.0.0.1/", "story": STORY})
    assert response.status_code == 400 and b"set PARALLAX_FETCH_ALLOW_PRIVATE to allow it" in response.data


def test_long_headline_gives_a_readable_id(fetching_client: FlaskClient) -> None:
    """An id from a long headline is at most 48 characters, cut at a word boundary."""
    html = (FIXTURES / "news_article.html").read_text("utf-8").replace(
        "Harbour bridge to close for repairs, council says",
        "Harbour bridge to close for six weeks of repairs from March, council says after a long meeting")
    response = fetching_client.post("/api/sources", json={"html": html, "story": STORY})
    assert response.status_code == 201, response.get_json()
    source_id = response.get_json()["id"]
    assert source_id == "harbour-bridge-to-close-for-six-weeks-of-repairs" and len(source_id) <= 48


def test_requirements_pin_the_html_cleaner() -> None:
    """lxml.html.clean, which trafilatura imports, is pinned (lxml no longer bundles it)."""
    pins = (ROOT / "requirements.txt").read_text("utf-8").splitlines()
    assert "lxml_html_clean==0.4.6" in pins
    assert "lxml_html_clean" in (ROOT / "README.md").read_text("utf-8")


def test_upload_too_big_keeps_the_story(add_app: Callable[..., Flask]) -> None:
    """A file over the limit: 413 naming the limit, on the add page with the story still chosen."""
    client = add_app(MAX_UPLOAD_BYTES=1000).test_client()
    response = start(client, {"kind": "upload", "story": STORY, "file": (io.BytesIO(b"x" * 1001), "big.txt")},
                     content_type="multipart/form-data")
    assert response.status_code == 413 and b"over the MAX_UPLOAD_BYTES limit of 1,000" in response.data
    assert f'name="story" value="{STORY}"'.encode() in response.data
