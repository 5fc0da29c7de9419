"""Who may add sources: the editor token beyond loopback, browser sign-in and its redirects, CSRF on every form."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.add_flow import PREFIX, PREFIX_BASE, STORY, TOKEN, confirm, paste, start
from tests.conftest import csrf_of

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
