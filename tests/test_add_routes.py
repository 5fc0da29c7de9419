"""The add-a-source pages and API: the whole flow, versions, editor token, CSRF, limits, SSRF and bad input."""

from __future__ import annotations

import html as html_lib
import io
import json
import os
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from parallax.sources import adding, ingest
from parallax.web import add
from parallax.web.render import corpus
from tests.conftest import csrf_of
from tests.fixtures.pageserver import page_server_fixture, page_url_fixture  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STORY = "kim-putin-2023"
TOKEN = "s3cret-editor-token"  # noqa: S105 - a test token
PREFIX = "/parallax"
PREFIX_BASE = f"http://localhost{PREFIX}"  # the test client's way of setting SCRIPT_NAME


def start(client: FlaskClient, data: dict[str, Any], content_type: str | None = None) -> Any:
    """Step 1: open /add and submit one of its forms."""
    token = csrf_of(client.get("/add").data)
    return client.post("/add", data={"csrf_token": token, **data}, content_type=content_type)


def confirm(client: FlaskClient, location: str, **changes: str) -> Any:
    """Step 2: open the confirm page and submit it with its prefilled values plus changes."""
    page = client.get(location)
    assert page.status_code == 200
    html = page.data.decode()
    form = dict(re.findall(r'<input id="c-[^"]*" name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    for name in ("format", "attribution", "story", "version_of"):
        select = re.search(rf'<select id="c-[^"]*" name="{name}">(.*?)</select>', html, re.S)
        assert select
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(1))
        form[name] = chosen.group(1) if chosen else ""
    form = {k: v.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"') for k, v in form.items()}
    if not form.get("outlet"):
        form["outlet"] = "Test Wire"  # the outlet is required; an editor types it when nothing was found
    return client.post(location, data={**form, **changes, "csrf_token": csrf_of(page.data)})


def paste(client: FlaskClient, text: str, fmt: str = "text", story: str = STORY) -> Any:
    """Steps 1 and 2 for pasted text."""
    first = start(client, {"kind": "paste", "text": text, "format": fmt, "story": story})
    assert first.status_code == 303, first.data
    return first


def upload(client: FlaskClient, name: str, raw: bytes, story: str = STORY) -> Any:
    """Step 1 with an uploaded file."""
    return start(client, {"kind": "upload", "story": story, "file": (io.BytesIO(raw), name)},
                 content_type="multipart/form-data")


def no_problems(client: FlaskClient) -> dict[str, Any]:
    """The index JSON, asserting that no corpus file failed to load."""
    index = client.get("/index.json").get_json()
    assert index["problems"] == []
    return index  # type: ignore[no-any-return]


# ---- the flow -----------------------------------------------------------------------------------------------------

def test_index_links_to_add_and_story_is_preselected(fetching_client: FlaskClient) -> None:
    """The index links to /add; ?story= carries the story into the forms."""
    assert b'href="/add"' in fetching_client.get("/").data
    page = fetching_client.get(f"/add?story={STORY}")
    assert page.status_code == 200
    assert page.data.count(f'name="story" value="{STORY}"'.encode()) == 3
    assert b"Kim Jong Un&#39;s train arrives" in page.data


def test_paste_confirm_save(fetching_client: FlaskClient) -> None:
    """Pasted text goes through confirm and is saved; it is listed and readable at once."""
    first = paste(fetching_client, "First line of a pasted report.\r\nSecond line of it.\r\n")
    assert first.headers["Location"].startswith("/add/confirm/")
    page = fetching_client.get(first.headers["Location"])
    assert b"First line of a pasted report." in page.data and b'<option value="kim-putin-2023" selected' in page.data
    saved = confirm(fetching_client, first.headers["Location"], outlet="Wire Service", title="Pasted report")
    assert saved.status_code == 303 and saved.headers["Location"] == "/sources/pasted-report"
    shown = fetching_client.get("/sources/pasted-report")
    assert b'<p class="px-flash" role="status">Added &#39;pasted-report&#39;.' in shown.data
    source = fetching_client.get("/sources/pasted-report.json").get_json()
    assert source["source"]["outlet"] == "Wire Service" and source["source"]["story"] == STORY
    assert source["original"] == "First line of a pasted report.\nSecond line of it.\n"
    assert source["source"]["captured"] and source["source"]["capture"] == "pasted plain text"
    index = no_problems(fetching_client)
    assert index["source_count"] == 6
    assert fetching_client.get(first.headers["Location"]).status_code == 404  # the draft is gone once saved
    assert b"Added &#39;pasted-report&#39;." not in fetching_client.get("/add").data  # shown once


@pytest.mark.parametrize(("name", "fmt", "expect"), [
    ("article.txt", "text", "six weeks from March"),
    ("article.md", "markdown", "**confirmed**"),
    ("news_article.html", "text", "4.2 million crowns"),
])
def test_upload_each_type(fetching_client: FlaskClient, name: str, fmt: str, expect: str) -> None:
    """.txt and .md are stored as they are; HTML has its article extracted with its metadata."""
    first = upload(fetching_client, name, (FIXTURES / name).read_bytes())
    assert first.status_code == 303
    page = fetching_client.get(first.headers["Location"]).data.decode()
    assert expect.replace('"', "&#34;") in page
    if name.endswith(".html"):
        assert 'value="Harbour bridge to close for repairs, council says"' in page
        assert 'value="The Coastal Herald"' in page and 'value="2024-02-13"' in page
        assert "ferryfan88" not in page and "Win a cruise" not in page
    saved = confirm(fetching_client, first.headers["Location"], title=f"Upload {name}")
    assert saved.status_code == 303
    source = fetching_client.get(saved.headers["Location"] + ".json").get_json()
    assert source["source"]["format"] == fmt and expect in source["original"]
    assert source["source"]["original_file"] == name
    no_problems(fetching_client)


def test_fetch_url_prefills_metadata(fetching_client: FlaskClient, page_url: str) -> None:
    """A fetched page (loopback fixture server) is extracted and its metadata prefilled."""
    first = start(fetching_client, {"kind": "fetch", "url": page_url + "/article", "story": STORY})
    assert first.status_code == 303
    page = fetching_client.get(first.headers["Location"]).data.decode()
    assert 'value="The Coastal Herald"' in page and 'value="Mara Lindqvist' not in page
    assert "Author given by the page: Mara Lindqvist." in page
    saved = confirm(fetching_client, first.headers["Location"])
    assert saved.headers["Location"] == "/sources/harbour-bridge-to-close-for-repairs-council-says"
    source = fetching_client.get(saved.headers["Location"] + ".json").get_json()["source"]
    assert source["url"] == "https://herald.example/2024/02/13/harbour-bridge-repairs"
    assert source["capture"].startswith(f"fetched from {page_url}/article")


def test_new_story_is_created(fetching_client: FlaskClient) -> None:
    """Choosing a new story creates its folder and story.yaml."""
    first = paste(fetching_client, "A report on another story entirely.\n", story="")
    saved = confirm(fetching_client, first.headers["Location"], story="__new__", new_story="bridge-2024",
                    new_story_title="Harbour bridge closes", title="Bridge report")
    assert saved.status_code == 303
    index = no_problems(fetching_client)
    story = next(s for s in index["stories"] if s["slug"] == "bridge-2024")
    assert story["title"] == "Harbour bridge closes" and [s["id"] for s in story["sources"]] == ["bridge-report"]


# ---- versions over time -------------------------------------------------------------------------------------------

def test_new_version_by_url_is_suggested_and_compared(fetching_client: FlaskClient, corpus_dir: Path) -> None:
    """A page whose URL matches an existing source is suggested as its new version; saving leads to a comparison."""
    html = (FIXTURES / "news_article.html").read_text("utf-8")
    first = upload(fetching_client, "v1.html", html.encode())
    saved = confirm(fetching_client, first.headers["Location"])
    assert saved.headers["Location"] == "/sources/harbour-bridge-to-close-for-repairs-council-says"
    updated = html.replace("six weeks of repairs", "eight weeks of repairs").replace(
        "</div>\n    </article>", "<p>Update: the council later said the closure would last eight weeks.</p>"
                                  "</div>\n    </article>")
    second = upload(fetching_client, "v2.html", updated.encode())
    page = fetching_client.get(second.headers["Location"]).data.decode()
    assert 'value="harbour-bridge-to-close-for-repairs-council-says" selected' in page
    assert "so this is suggested as a new version of it" in page
    saved2 = confirm(fetching_client, second.headers["Location"])
    new_id = "harbour-bridge-to-close-for-repairs-council-says-2"
    assert saved2.headers["Location"] == f"/compare/harbour-bridge-to-close-for-repairs-council-says/{new_id}"
    comparison = fetching_client.get(saved2.headers["Location"])
    assert comparison.status_code == 200 and b"eight weeks" in comparison.data
    source = fetching_client.get(f"/sources/{new_id}.json").get_json()
    assert [v["id"] for v in source["versions"]] == ["harbour-bridge-to-close-for-repairs-council-says", new_id]
    assert source["versions"][1]["compare_previous"] == saved2.headers["Location"]
    text = (corpus_dir / STORY / f"{new_id}.txt").read_text("utf-8")
    assert "version_of: https://herald.example/2024/02/13/harbour-bridge-repairs" in text
    index = no_problems(fetching_client)
    row = next(s for story in index["stories"] for s in story["sources"] if s["id"] == new_id)
    assert row["versions"] == 2


def test_explicit_version_of_existing_source(fetching_client: FlaskClient) -> None:
    """Choosing 'new version of' explicitly: the source page lists three versions with compare links."""
    first = paste(fetching_client, "Updated with Peskov's remarks. Kim's train has arrived in Russia.\n")
    saved = confirm(fetching_client, first.headers["Location"], outlet="The Moscow Times",
                    title="Kim arrives (updated)", version_of="moscow-times-plain", url="")
    assert saved.headers["Location"] == "/compare/moscow-times-plain/kim-arrives-updated"
    assert fetching_client.get(saved.headers["Location"]).status_code == 200
    page = fetching_client.get("/sources/kim-arrives-updated")
    assert page.data.count(b"compare with the previous version") == 2
    assert b"Versions of this article" in page.data
    data = fetching_client.get("/sources/kim-arrives-updated.json").get_json()
    assert [v["id"] for v in data["versions"]] == ["moscow-times-markdown", "moscow-times-plain",
                                                   "kim-arrives-updated"]
    index = no_problems(fetching_client)
    assert next(s for st in index["stories"] for s in st["sources"] if s["id"] == "kim-arrives-updated")[
        "versions"] == 3


# ---- duplicates ---------------------------------------------------------------------------------------------------

def test_duplicate_html_redirects_to_existing(fetching_client: FlaskClient, corpus_dir: Path) -> None:
    """Text that became a duplicate between the two steps (added meanwhile) is not saved; the browser is sent to
    the source that has it, with a message."""
    body = "A report that someone else adds while this one waits for confirmation.\n"
    first = paste(fetching_client, body.replace("\n", "\r\n"))
    meanwhile = fetching_client.post("/api/sources", json={"text": body, "story": STORY, "title": "Added meanwhile"})
    assert meanwhile.status_code == 201
    saved = confirm(fetching_client, first.headers["Location"], title="Same again")
    assert saved.status_code == 303 and saved.headers["Location"] == "/sources/added-meanwhile"
    with fetching_client.session_transaction() as session:
        assert any("already in the story as 'added-meanwhile'" in m for _, m in session.get("_flashes", []))
    landing = fetching_client.get("/sources/added-meanwhile").get_data(as_text=True)
    assert '<p class="px-flash" role="status">' in landing
    assert "already in the story as &#39;added-meanwhile&#39;" in landing
    assert not (corpus_dir / STORY / "same-again.txt").exists()
    assert no_problems(fetching_client)["source_count"] == 6


def test_duplicate_api_409(fetching_client: FlaskClient, corpus_dir: Path) -> None:
    """The API answers 409 naming the existing source."""
    body = (corpus_dir / STORY / "press-tv.txt").read_text("utf-8").split("---\n", 2)[2]
    response = fetching_client.post("/api/sources", json={"text": "\n" + body + "\n\n", "story": STORY, "title": "dup"})
    assert response.status_code == 409
    data = response.get_json()
    assert data["ok"] is False and data["id"] == "press-tv" and data["href"] == "/sources/press-tv"
    assert "already in the story" in data["error"]


# ---- JSON API -----------------------------------------------------------------------------------------------------

def test_api_text_201(fetching_client: FlaskClient) -> None:
    """POST /api/sources with text: 201 with id and URLs, listed at once."""
    response = fetching_client.post("/api/sources", json={"text": "API text body.\nLine two.\n", "story": STORY,
                                              "outlet": "Scripted", "title": "From a script",
                                              "published": "2023-09-13", "url": "https://example.com/s"})
    assert response.status_code == 201
    assert response.get_json() == {"ok": True, "id": "from-a-script", "href": "/sources/from-a-script",
                                   "json": "/sources/from-a-script.json"}
    assert response.headers["Location"] == "/sources/from-a-script"
    source = fetching_client.get("/sources/from-a-script.json").get_json()["source"]
    assert (source["published"], source["url"], source["outlet"]) == ("2023-09-13", "https://example.com/s",
                                                                      "Scripted")


def test_api_html_and_url(fetching_client: FlaskClient, page_url: str) -> None:
    """html is extracted with trafilatura; url alone is fetched."""
    html = (FIXTURES / "news_article.html").read_text("utf-8")
    first = fetching_client.post("/api/sources", json={"html": html, "story": "bridge-2024", "story_title": "Bridge"})
    assert first.status_code == 201 and first.get_json()["id"] == "harbour-bridge-to-close-for-repairs-council-says"
    second = fetching_client.post("/api/sources", json={"url": page_url + "/article", "story": "bridge-2024"})
    assert second.status_code == 409  # same page, same text
    third = fetching_client.post("/api/sources", json={"url": page_url + "/latin1", "story": "other-story"})
    assert third.status_code == 201
    body = fetching_client.get(third.get_json()["json"]).get_json()["original"]
    assert "Sørensen" in body and "café" in body


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"story": STORY}, 400, "give the article as 'text' or 'html'"),
    ({"text": "x y z", "html": "<p>x</p>", "story": STORY}, 400, "not both"),
    ({"text": "body", "story": STORY, "extra": 1}, 400, "Unknown field(s): extra"),
    ({"text": "body", "story": 5}, 400, "Field 'story' must be a string"),
    ({"text": "body", "story": "../x"}, 400, "story must be a slug"),
    ({"text": "body", "story": "a/../../x"}, 400, "story must be a slug"),
    ({"text": "body", "story": STORY, "version_of": "../x"}, 400, "version_of must be the id"),
    ({"text": "body", "story": STORY, "published": "yesterday"}, 400, "published must be a date"),
    ({"text": "body", "story": STORY, "format": "html"}, 400, "format must be"),
    ({"text": "body", "story": STORY, "url": "javascript:alert(1)"}, 400, "field 'url' must be an http(s) URL"),
    ({"text": "   ", "story": STORY}, 400, "the text is empty"),
    ({"html": "<html><body><nav>Home</nav></body></html>", "story": STORY}, 422, "no article text found"),
])
def test_api_bad_input(fetching_client: FlaskClient, payload: dict[str, Any], status: int, message: str,
                       corpus_dir: Path) -> None:
    """Bad JSON input: the error shape with a clear message, nothing written."""
    before = sorted(p.name for p in corpus_dir.rglob("*"))
    response = fetching_client.post("/api/sources", json=payload)
    assert response.status_code == status
    data = response.get_json()
    assert data["ok"] is False and data["status"] == status and message in data["error"]
    assert sorted(p.name for p in corpus_dir.rglob("*")) == before
    assert not (corpus_dir.parent / "x").exists()


def test_api_needs_json(fetching_client: FlaskClient) -> None:
    """Form-encoded posts to the API are refused (415), which also keeps cross-site forms out."""
    response = fetching_client.post("/api/sources", data={"text": "x", "story": STORY})
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]


def test_api_concurrent_adds_with_same_title(fetching_client: FlaskClient, add_app: Callable[..., Flask]) -> None:
    """Two (here six) adds at once with the same title: all saved with distinct ids, none lost."""
    app = add_app()
    barrier = threading.Barrier(6)
    results: list[tuple[int, Any]] = []

    def add(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/sources", json={"text": f"Concurrent body {n}.\n", "story": STORY,
                                                     "title": "Same title"})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [201] * 6
    ids = sorted(data["id"] for _, data in results)
    assert ids == sorted(["same-title"] + [f"same-title-{n}" for n in range(2, 7)])
    index = no_problems(app.test_client())
    assert index["source_count"] == 11


# ---- who may write ------------------------------------------------------------------------------------------------

def test_token_required_beyond_loopback(add_app: Callable[..., Flask]) -> None:
    """HOST 0.0.0.0: the API needs the Bearer token (403 without or wrong, 201 with)."""
    client = add_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - the point of the test
    payload = {"text": "Token test body.\n", "story": STORY, "title": "Token test"}
    assert client.post("/api/sources", json=payload).status_code == 403
    wrong = client.post("/api/sources", json=payload, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and "Authorization: Bearer" in wrong.get_json()["error"]
    right = client.post("/api/sources", json=payload, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 201 and right.get_json()["id"] == "token-test"
    assert client.get("/").status_code == 200 and client.get("/sources/token-test").status_code == 200


def test_writing_refused_without_configured_token(add_app: Callable[..., Flask]) -> None:
    """Beyond loopback with no EDITOR_TOKEN: writing is turned off, with a message that says so."""
    client = add_app(HOST="0.0.0.0").test_client()  # noqa: S104
    response = client.post("/api/sources", json={"text": "x", "story": STORY},
                           headers={"Authorization": "Bearer "})
    assert response.status_code == 403 and "PARALLAX_EDITOR_TOKEN" in response.get_json()["error"]
    page = client.get("/add")
    assert b"Adding sources is turned off on this server" in page.data
    assert start(client, {"kind": "paste", "text": "x y", "story": STORY}).status_code == 403


def test_browser_sign_in(add_app: Callable[..., Flask]) -> None:
    """Beyond loopback the forms need an editor sign-in; a wrong token is refused; then the flow works."""
    client = add_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104
    assert b"sign in as an editor" in client.get("/add").data
    refused = start(client, {"kind": "paste", "text": "Signed-in text.\n", "story": STORY})
    assert refused.status_code == 403 and b"sign in as an editor first" in refused.data
    sign_page = client.get("/add/sign-in?next=/add")
    bad = client.post("/add/sign-in", data={"csrf_token": csrf_of(sign_page.data), "token": "wrong", "next": "/add"})
    assert bad.status_code == 403 and b"That is not the editor token." in bad.data
    good = client.post("/add/sign-in", data={"csrf_token": csrf_of(sign_page.data), "token": TOKEN,
                                             "next": "https://evil.example/"})
    assert good.status_code == 303 and good.headers["Location"] == "/add"
    first = paste(client, "Signed-in text.\n")
    assert confirm(client, first.headers["Location"], title="Signed").status_code == 303
    add_page = client.get("/add")
    assert b"Signed in as an editor." in add_page.data
    client.post("/add/sign-out", data={"csrf_token": csrf_of(add_page.data)})
    assert start(client, {"kind": "paste", "text": "After sign-out.\n", "story": STORY}).status_code == 403


def test_require_token_setting(add_app: Callable[..., Flask]) -> None:
    """REQUIRE_TOKEN=always asks for the token even on loopback; never leaves writing open."""
    strict = add_app(REQUIRE_TOKEN="always", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S106
    assert strict.post("/api/sources", json={"text": "x", "story": STORY}).status_code == 403
    open_ = add_app(HOST="0.0.0.0", REQUIRE_TOKEN="never").test_client()  # noqa: S104, S106
    assert open_.post("/api/sources", json={"text": "Open text.\n", "story": STORY}).status_code == 201


def sign_in_with_next(client: FlaskClient, next_url: str, base_url: str | None = None) -> Any:
    """POST the sign-in form with the right token and this ``next``; the response."""
    extra = {"base_url": base_url} if base_url else {}
    page = client.get("/add/sign-in", **extra)
    return client.post("/add/sign-in", data={"csrf_token": csrf_of(page.data), "token": TOKEN, "next": next_url},
                       **extra)


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", "/ /evil.example",
    "/\u2028/evil.example", "/\u200b/evil.example", "/\x00/evil.example", "//evil.example",
    "/\\evil.example", "\\/evil.example", "\\\\evil.example", "https://evil.example/",
    "http:evil.example", "javascript:alert(1)", "evil.example", "",
])
def test_sign_in_never_redirects_off_site(add_app: Callable[..., Flask], target: str) -> None:
    """A ``next`` that a browser could read as another site (tabs and newlines are dropped, backslashes are
    slashes) falls back to the add page."""
    client = add_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104
    response = sign_in_with_next(client, target)
    assert response.status_code == 303 and response.headers["Location"] == "/add"


@pytest.mark.parametrize(("target", "location"), [
    (f"/add?story={STORY}", f"/add?story={STORY}"),
    ("/sources/rt", "/sources/rt"),
    ("/a\\b", "/a/b"),  # backslashes normalised to slashes
])
def test_sign_in_returns_to_local_paths(add_app: Callable[..., Flask], target: str, location: str) -> None:
    """A path of the app is where sign-in returns to."""
    client = add_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104
    response = sign_in_with_next(client, target)
    assert response.status_code == 303 and response.headers["Location"] == location


@pytest.mark.parametrize(("target", "location"), [
    (f"{PREFIX}/add?story={STORY}", f"{PREFIX}/add?story={STORY}"),
    (f"{PREFIX}/sources/rt", f"{PREFIX}/sources/rt"),
    (f"/add?story={STORY}", f"{PREFIX}/add"),  # outside the prefix
    (f"{PREFIX}x/add", f"{PREFIX}/add"),
    ("/", f"{PREFIX}/add"),
    (f"{PREFIX}/\t/evil.example", f"{PREFIX}/add"),
])
def test_sign_in_next_must_be_under_the_prefix(add_app: Callable[..., Flask], target: str, location: str) -> None:
    """Under a URL prefix, only paths below it are returned to."""
    client = add_app(URL_PREFIX=PREFIX, HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104
    response = sign_in_with_next(client, target, base_url=PREFIX_BASE)
    assert response.status_code == 303 and response.headers["Location"] == location


def test_sign_in_round_trip_under_a_prefix(add_app: Callable[..., Flask]) -> None:
    """Under URL_PREFIX the sign-in link keeps the prefix in ``next``: sign-in comes back to the same add page."""
    client = add_app(URL_PREFIX=PREFIX, HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104
    page = client.get(f"/add?story={STORY}", base_url=PREFIX_BASE)
    assert page.status_code == 200
    link = re.search(r'href="([^"]*/add/sign-in[^"]*)"', page.get_data(as_text=True))
    assert link, "no sign-in link"
    href = html_lib.unescape(link.group(1))
    assert urlsplit(href).path == f"{PREFIX}/add/sign-in"
    assert parse_qs(urlsplit(href).query)["next"] == [f"{PREFIX}/add?story={STORY}"]
    form = client.get(href)  # as a browser follows the link: the whole path, prefix included
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    action = re.search(r'<form class="px-add-form" action="([^"]+)"', html)
    next_field = re.search(r'name="next" value="([^"]*)"', html)
    assert action and next_field and action.group(1) == f"{PREFIX}/add/sign-in"
    signed = client.post(action.group(1), data={"csrf_token": csrf_of(form.data), "token": TOKEN,
                                                "next": html_lib.unescape(next_field.group(1))})
    assert signed.status_code == 303 and signed.headers["Location"] == f"{PREFIX}/add?story={STORY}"
    back = client.get(signed.headers["Location"])
    assert back.status_code == 200
    assert back.data.count(b'<p class="px-flash" role="status">Signed in as an editor.</p>') == 1
    assert b"sign in as an editor" not in back.data and f'name="story" value="{STORY}"'.encode() in back.data


def test_token_required_behind_a_proxy(add_app: Callable[..., Flask]) -> None:
    """On loopback behind a reverse proxy (PROXY_HOPS=1) every request comes from the proxy: the token is needed."""
    payload = {"text": "Proxied body.\n", "story": STORY, "title": "Proxied"}
    closed = add_app(PROXY_HOPS=1).test_client()
    refused = closed.post("/api/sources", json=payload)
    assert refused.status_code == 403 and "reverse proxy" in refused.get_json()["error"]
    assert b"Adding sources is turned off on this server" in closed.get("/add").data
    client = add_app(PROXY_HOPS=1, EDITOR_TOKEN=TOKEN).test_client()
    assert client.post("/api/sources", json=payload).status_code == 403
    wrong = client.post("/api/sources", json=payload, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.post("/api/sources", json=payload, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 201 and right.get_json()["id"] == "proxied"
    assert start(client, {"kind": "paste", "text": "Form text.\n", "story": STORY}).status_code == 403
    local = {"text": "Loopback body.\n", "story": STORY, "title": "Local"}
    assert add_app(PROXY_HOPS=0).test_client().post("/api/sources", json=local).status_code == 201


# ---- CSRF ---------------------------------------------------------------------------------------------------------

def test_csrf_missing_or_wrong(fetching_client: FlaskClient) -> None:
    """Form posts without a valid CSRF token for this session get 400 and write nothing."""
    missing = fetching_client.post("/add", data={"kind": "paste", "text": "No token.", "story": STORY})
    assert missing.status_code == 400 and b"missing its security token (CSRF)" in missing.data
    forged = fetching_client.post("/add", data={"csrf_token": "forged", "kind": "paste", "text": "x", "story": STORY})
    assert forged.status_code == 400 and b"invalid or expired" in forged.data
    other = fetching_client.application.test_client()  # same app and key, another browser session
    foreign = csrf_of(other.get("/add").data)
    fetching_client.get("/add")
    stolen = fetching_client.post("/add", data={"csrf_token": foreign, "kind": "paste", "text": "x", "story": STORY})
    assert stolen.status_code == 400 and b"does not belong to this session" in stolen.data
    first = paste(fetching_client, "Text awaiting confirmation.\n")
    no_token = fetching_client.post(first.headers["Location"], data={"story": STORY, "title": "No CSRF"})
    assert no_token.status_code == 400
    assert fetching_client.get("/sources/no-csrf").status_code == 404


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
