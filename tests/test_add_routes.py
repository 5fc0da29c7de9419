"""The add-a-source pages and API: the whole flow, versions over time, duplicates and the JSON API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.add_flow import FIXTURES, STORY, confirm, no_problems, paste, start, upload
from tests.fixtures.pageserver import page_server_fixture, page_url_fixture  # noqa: F401  (fixtures)

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
