"""Bad input to the add flow: limits, file types, fetch failures and SSRF, hostile text, drafts, crashes while
saving; and what the confirm page suggests."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from parallax.sources import adding, ingest
from parallax.web import add
from parallax.web.render import corpus
from tests.add_flow import FIXTURES, STORY, confirm, no_problems, paste, start, upload
from tests.conftest import csrf_of
from tests.fixtures.pageserver import page_server_fixture, page_url_fixture  # noqa: F401  (fixtures)

# ---- bad input through the forms ----------------------------------------------------------------------------------

def test_upload_too_big_413(add_app: Callable[..., Flask]) -> None:
    """Over MAX_UPLOAD_BYTES: 413 with the limit named, whether the body or just the file is too big."""
    client = add_app(MAX_UPLOAD_BYTES=1000).test_client()
    app = client.application
    assert app.config["MAX_CONTENT_LENGTH"] > 1000
    huge = upload(client, "big.txt", b"word " * 40_000)
    assert huge.status_code == 413 and b"the limit is 1,000 bytes (MAX_UPLOAD_BYTES)" in huge.data
    over = upload(client, "big.txt", b"x" * 1001)
    assert over.status_code == 413 and b"over the MAX_UPLOAD_BYTES limit of 1,000" in over.data
    pasted = start(client, {"kind": "paste", "text": "y" * 1001, "story": STORY})
    assert pasted.status_code == 413
    api = client.post("/api/sources", json={"text": "z" * 200_000, "story": STORY})
    assert api.status_code == 413 and api.get_json()["status"] == 413


def test_wrong_file_type_415(fetching_client: FlaskClient) -> None:
    """A PDF upload is refused with the accepted types named."""
    response = upload(fetching_client, "report.pdf", b"%PDF-1.4 ...")
    assert response.status_code == 415 and b"use .txt, .md, .html or .htm" in response.data


def test_undecodable_upload_400(fetching_client: FlaskClient) -> None:
    """Invalid UTF-8 that charset-normalizer cannot place: 400 with a clear message."""
    response = upload(fetching_client, "garbled.txt", bytes([0xC0, 0xC1, 0xF5, 0xFF, 0x80, 0x00, 0x01, 0x02]) * 100)
    assert response.status_code == 400 and b"is not UTF-8" in response.data
    assert b"save it as UTF-8 and try again" in response.data


def test_empty_extraction_422(fetching_client: FlaskClient) -> None:
    """An HTML page with no article: 422 'no article text found in this page'."""
    response = upload(fetching_client, "empty.html", (FIXTURES / "empty_page.html").read_bytes())
    assert response.status_code == 422 and b"no article text found in this page" in response.data


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/slow", 504, b"took longer than 0.5 seconds"),
    ("/json", 415, b"is not an HTML page"),
    ("/loop", 502, b"too many redirects (more than 3)"),
    ("/empty", 422, b"no article text found in this page"),
    ("/to-metadata", 400, b"cloud metadata address"),
])
def test_fetch_failures(add_app: Callable[..., Flask], page_url: str, path: str, status: int, message: bytes) -> None:
    """Timeouts, non-HTML, redirect loops, empty pages and redirects to metadata: each with its status."""
    client = add_app(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=0.5).test_client()
    response = start(client, {"kind": "fetch", "url": page_url + path, "story": STORY})
    assert response.status_code == status and message in response.data
    assert (page_url + path).encode() in response.data  # the URL is kept in the form


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
                                 "http://127.0.0.1/", "http://metadata.google.internal/"])
def test_ssrf_refused_before_connecting(add_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
                                        url: str) -> None:
    """With private fetches not allowed (the default), internal addresses are refused without a connection."""
    attempts: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
    client = add_app().test_client()
    response = start(client, {"kind": "fetch", "url": url, "story": STORY})
    assert response.status_code == 400 and b"refusing to fetch" in response.data
    api = client.post("/api/sources", json={"url": url, "story": STORY})
    assert api.status_code == 400 and "refusing to fetch" in api.get_json()["error"]
    assert attempts == []


def test_hostile_title_and_body_are_escaped(fetching_client: FlaskClient, corpus_dir: Path) -> None:
    """<script> in the title and body is stored as text and shown escaped everywhere."""
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = fetching_client.post("/api/sources", json={"text": f"Body {hostile}\n", "story": STORY,
                                                          "title": f"T {hostile}", "outlet": hostile})
    assert response.status_code == 201
    source_id = response.get_json()["id"]
    assert re.fullmatch(r"[a-z0-9-]+", source_id)
    stored = (corpus_dir / STORY / f"{source_id}.txt").read_text("utf-8")
    assert stored.endswith(f"Body {hostile}\n")
    for path in (f"/sources/{source_id}", "/"):
        html = fetching_client.get(path).data
        assert b"<script>alert" not in html and b"<img src=x" not in html
        assert b"&lt;script&gt;alert" in html
    first = paste(fetching_client, f"Pasted {hostile}\n")
    confirm_page = fetching_client.get(first.headers["Location"]).data
    assert b"<script>alert" not in confirm_page and b"&lt;script&gt;alert" in confirm_page


def test_bad_draft_tokens_404(fetching_client: FlaskClient) -> None:
    """Unknown or path-like draft tokens are not found."""
    assert fetching_client.get("/add/confirm/" + "A" * 32).status_code == 404
    assert fetching_client.get("/add/confirm/..%2F..%2Fetc%2Fpasswd").status_code == 404


def rewrite_draft(folder: Path, location: str, change: Callable[[dict[str, Any]], object]) -> None:
    """Change the stored draft behind a confirm URL in place."""
    path = folder / f"{location.rsplit('/', 1)[1]}.json"
    payload = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps(change(payload)), "utf-8")


@pytest.mark.parametrize("change", [
    lambda d: d.pop("body"),
    lambda d: d.update(body=None),
    lambda d: d.update(extra=["story"]),
    lambda d: d.update(created="soon"),
])
def test_malformed_draft_is_not_found(fetching_client: FlaskClient, tmp_path: Path,
                                      change: Callable[[dict[str, Any]], object]) -> None:
    """A draft without a body or with fields of the wrong type is 'not found', on both steps (not a 500)."""
    first = paste(fetching_client, "A draft that will be damaged.\n")
    location = first.headers["Location"]
    page = fetching_client.get(location)
    rewrite_draft(tmp_path / "drafts", location, lambda d: (change(d), d)[1])
    shown = fetching_client.get(location)
    assert shown.status_code == 404 and b"does not exist or has expired" in shown.data
    posted = fetching_client.post(location, data={"csrf_token": csrf_of(page.data), "story": STORY, "title": "Damaged"})
    assert posted.status_code == 404 and b"does not exist or has expired" in posted.data


def test_draft_with_other_fields_still_confirms(fetching_client: FlaskClient, tmp_path: Path) -> None:
    """A draft written by another version (an unknown field, a known one missing) is confirmed and saved."""
    first = paste(fetching_client, "A draft from another version.\n")
    location = first.headers["Location"]
    rewrite_draft(tmp_path / "drafts", location, lambda d: {**{k: v for k, v in d.items() if k != "capture"},
                                                            "summary": "new in a later version"})
    assert fetching_client.get(location).status_code == 200
    saved = confirm(fetching_client, location, title="Other version")
    assert saved.status_code == 303 and saved.headers["Location"] == "/sources/other-version"


def test_confirm_page_suggests_a_version_once(fetching_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening the confirm step looks for the source it may be a new version of once, not once per use."""
    first = paste(fetching_client, "Text to confirm.\n")
    calls: list[str] = []
    real = adding.suggest_version_of

    def counting(current: Any, url: str) -> Any:
        calls.append(url)
        return real(current, url)

    monkeypatch.setattr(adding, "suggest_version_of", counting)
    assert fetching_client.get(first.headers["Location"]).status_code == 200
    assert len(calls) == 1


def test_author_note_has_one_wording(fetching_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The confirm form's prefilled note and the note saved without one (the API) come from one helper."""
    assert adding.author_note("Ann Lee") == "Author given by the page: Ann Lee."
    assert adding.author_note("") == ""
    monkeypatch.setattr(adding, "author_note", lambda author: f"By {author} (as the page says).")
    extracted = ingest.Extracted(body="Body.\n", author="Ann Lee")
    with fetching_client.application.test_request_context("/add"):
        current = corpus()
        values = add._confirm_values(current, extracted, {"story": STORY}, None)
        new, _title = adding.build_new_source(current, {"story": STORY}, extracted, add.corpus_root())
    assert values["attribution_note"] == new.attribution_note == "By Ann Lee (as the page says)."


def test_add_pages_get_no_unused_messages(fetching_client: FlaskClient) -> None:
    """The add pages are not handed the flashed messages (base.html shows them, once)."""
    seen: list[dict[str, Any]] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        if template.name.startswith("add"):
            seen.append(context["data"])

    template_rendered.connect(record, fetching_client.application)
    try:
        first = paste(fetching_client, "Text for the messages check.\n")
        fetching_client.get(first.headers["Location"])
        fetching_client.get("/add/sign-in")
    finally:
        template_rendered.disconnect(record, fetching_client.application)
    assert len(seen) == 3 and all("messages" not in data for data in seen)


def test_crash_while_saving_leaves_corpus_valid(fetching_client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                                               corpus_dir: Path) -> None:
    """If the link step fails on a full disk, the request fails (507, naming the cause), no source appears and no
    problem is listed."""
    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", crash)
    response = fetching_client.post("/api/sources", json={"text": "Never saved.\n", "story": STORY, "title": "Crash"})
    assert response.status_code == 507 and response.get_json()["ok"] is False
    assert response.get_json()["cause"] == "disk_full" and "full" in response.get_json()["error"]
    monkeypatch.undo()
    index = no_problems(fetching_client)
    assert index["source_count"] == 5
    assert [p.name for p in (corpus_dir / STORY).iterdir() if p.name.startswith(".")] == []



def test_confirm_suggests_the_story_that_already_carries_the_text(fetching_client: FlaskClient,
                                                                  corpus_dir: Path) -> None:
    """Text mostly carried by one story's sources preselects that story (with a note saying why), among several."""
    other = corpus_dir / "harbour-bridge"
    other.mkdir()
    (other / "gazette.txt").write_text("---\nid: gazette\nstory: harbour-bridge\noutlet: Gazette\n---\n"
                                       "The harbour bridge opened on Monday after six years of building work.\n",
                                       encoding="utf-8")
    rt = (corpus_dir / STORY / "rt.txt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    carried = " ".join(rt.split("\n\n")[:3])
    first = paste(fetching_client, carried + "\n\nA sentence no outlet has carried before about the visit.\n", story="")
    page = fetching_client.get(first.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<option value="{STORY}" selected>' in html
    assert f"Suggested: <strong>{STORY}</strong> already carries" in html
    unrelated = paste(fetching_client, "A cat sat on the mat near the old mill in the village square today.\n",
                      story="")
    html = fetching_client.get(unrelated.headers["Location"]).get_data(as_text=True)
    assert "Suggested:" not in html and " selected>" in html  # no story preselected for unrelated text
    assert f'<option value="{STORY}" selected>' not in html


def test_add_page_has_a_json_twin(client: FlaskClient) -> None:
    """/add.json, as the README's "append .json to any page URL" promises: what the form takes and where to post."""
    response = client.get("/add.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["api"]["url"] == "/api/sources" and data["api"]["method"] == "POST"
    assert "kim-putin-2023" in [s["slug"] for s in data["stories"]]
    assert data["limits"]["max_upload_bytes"] > 0 and "text" in data["formats"]
