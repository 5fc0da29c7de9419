"""Editor sign-in under attack: wrong tokens are rate-limited, weak tokens refused at start, the cookie holds a
random session id that expires and that signing out revokes in every process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.config import SettingError, token_weakness
from parallax.web import throttle
from tests.conftest import ROOT, STORY, csrf_of

TOKEN = "s3cret-editor-token"  # noqa: S105 - a test token
SECRET = "a-secret-key-shared-by-the-workers"  # noqa: S105 - a test value
PUBLIC = {"HOST": "0.0.0.0", "EDITOR_TOKEN": TOKEN, "SECRET_KEY": SECRET}  # noqa: S104 - token rules apply


def sign_in(client: FlaskClient, token: str = TOKEN) -> Any:
    """Post the sign-in form; the response."""
    page = client.get("/add/sign-in")
    return client.post("/add/sign-in", data={"csrf_token": csrf_of(page.data), "token": token})


def add_watch(client: FlaskClient, n: int = 0) -> int:
    """Post the watch form (a write that needs a sign-in beyond loopback); the status."""
    page = client.get("/watches")
    return client.post("/watches", data={"csrf_token": csrf_of(page.data), "story": STORY, "kind": "article",
                                         "url": f"https://news.example/{n}-{time.monotonic_ns()}"}).status_code


def api_post(client: FlaskClient, token: str, address: str = "192.0.2.1") -> Any:
    """A write through the API with this Bearer token, from this client address."""
    return client.post("/api/watches", json={"story": STORY, "url": f"https://news.example/{time.monotonic_ns()}"},
                       headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": address})


def session_cookie(client: FlaskClient) -> str:
    """The value of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


# ---- weak tokens stop the app ------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["a", "s3cret", "aaaaaaaaaaaaaaaaaaaa", "abcdefghijklmnopq", "passwordpassword",
                                   "01234567890123456789", "abababababababab"])
def test_weak_tokens_are_refused_at_start(make_app: Callable[..., Flask], token: str) -> None:
    with pytest.raises(SettingError, match=r"PARALLAX_EDITOR_TOKEN is too weak.*secrets\.token_urlsafe"):
        make_app(EDITOR_TOKEN=token)


@pytest.mark.parametrize("token", [TOKEN, "Tr0ub4dor&3-horse-staple", "Zx9q-2Lm7-Pw4r-8Kd1", "e3b2095fe27d3ce6"])
def test_strong_tokens_are_accepted(token: str) -> None:
    assert token_weakness(token) is None


def test_the_team_server_refuses_a_weak_token_with_a_clear_message() -> None:
    env = {**os.environ, "PARALLAX_EDITOR_TOKEN": "a", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "parallax.serve"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "PARALLAX_EDITOR_TOKEN is too weak: it has 1 characters, fewer than 16" in done.stderr


# ---- guessing is slowed ------------------------------------------------------------------------------------------

def test_wrong_api_tokens_are_limited_per_client(make_app: Callable[..., Flask]) -> None:
    client = make_app(**PUBLIC, SIGNIN_FAILURES_PER_CLIENT=5, SIGNIN_FAILURES_TOTAL=100).test_client()
    assert [api_post(client, "wrong-guess").status_code for _ in range(5)] == [403] * 5
    limited = api_post(client, "wrong-guess")
    assert limited.status_code == 429 and limited.get_json()["ok"] is False
    assert 1 <= int(limited.headers["Retry-After"]) <= 60 and "your address" in limited.get_json()["error"]
    assert api_post(client, TOKEN).status_code == 429  # the right token is not even checked: no oracle
    assert api_post(client, TOKEN, address="192.0.2.2").status_code == 201  # another client is not held up
    assert api_post(client, "wrong-guess", address="192.0.2.2").status_code == 403


def test_wrong_tokens_are_limited_overall(make_app: Callable[..., Flask]) -> None:
    client = make_app(**PUBLIC, SIGNIN_FAILURES_PER_CLIENT=5, SIGNIN_FAILURES_TOTAL=12).test_client()
    statuses = [api_post(client, "guess", address=f"198.51.100.{n}").status_code for n in range(20)]
    assert statuses == [403] * 12 + [429] * 8  # each address tried once: only the overall limit holds them
    limited = api_post(client, TOKEN, address="203.0.113.9")
    assert limited.status_code == 429 and "everyone" in limited.get_json()["error"]


def test_sign_in_form_is_limited_and_shares_the_count_with_the_api(make_app: Callable[..., Flask]) -> None:
    client = make_app(**PUBLIC, SIGNIN_FAILURES_PER_CLIENT=4).test_client()
    assert [sign_in(client, "wrong").status_code for _ in range(2)] == [403, 403]
    assert [api_post(client, "wrong", address="127.0.0.1").status_code for _ in range(2)] == [403, 403]
    limited = sign_in(client)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert b"Too many wrong editor tokens" in limited.data and limited.mimetype == "text/html"


def test_the_limit_ends_with_its_window() -> None:
    now = [1000.0]
    limiter = throttle.FailureLimiter(per_client=2, overall=10, window=60, clock=lambda: now[0])
    limiter.failed("a")
    now[0] += 30
    limiter.failed("a")
    with pytest.raises(throttle.Throttled) as info:
        limiter.check("a")
    assert info.value.retry_after == 30 and not info.value.everyone
    now[0] += 30.5  # the first failure left the window
    limiter.check("a")


def test_guessing_rate_after_the_limit(make_app: Callable[..., Flask]) -> None:
    """Wrong tokens checked in one second of trying, from one address: at most the per-client limit."""
    client = make_app(**PUBLIC).test_client()
    checked, deadline = 0, time.monotonic() + 1.0
    while time.monotonic() < deadline:
        checked += api_post(client, "guess").status_code == 403
    assert checked == 10


# ---- the cookie ----------------------------------------------------------------------------------------------------

def test_cookie_holds_a_random_session_id_not_a_hash_of_the_token(make_app: Callable[..., Flask]) -> None:
    app = make_app(**PUBLIC)
    first, second = app.test_client(), app.test_client()
    assert sign_in(first).status_code == 303 and sign_in(second).status_code == 303
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    held = [serializer.loads(session_cookie(c))["editor"] for c in (first, second)]
    old_digest = hashlib.sha256(b"parallax-editor:" + TOKEN.encode()).hexdigest()
    assert held[0] != held[1] and old_digest not in held and TOKEN not in "".join(held)
    assert add_watch(first) == 303 and add_watch(second) == 303


def test_sign_out_revokes_a_copied_cookie_in_every_process(make_app: Callable[..., Flask]) -> None:
    one, other = make_app(**PUBLIC), make_app(**PUBLIC)  # two server processes: same secret, same corpus
    browser = one.test_client()
    assert sign_in(browser).status_code == 303
    copied = session_cookie(browser)
    thief = other.test_client()
    thief.set_cookie("session", copied)
    assert add_watch(thief) == 303  # a sign-in made in one process holds in the other
    page = browser.get("/add")
    assert browser.post("/add/sign-out", data={"csrf_token": csrf_of(page.data)}).status_code == 303
    assert add_watch(browser) == 403
    assert add_watch(thief) == 403  # the copy made before signing out no longer writes
    fresh = one.test_client()
    fresh.set_cookie("session", copied)
    assert add_watch(fresh) == 403


def test_sign_in_expires_after_its_age(make_app: Callable[..., Flask]) -> None:
    client = make_app(**PUBLIC, EDITOR_SESSION_SECONDS=1).test_client()
    assert sign_in(client).status_code == 303 and add_watch(client) == 303
    time.sleep(1.2)
    assert add_watch(client) == 403


def test_a_new_token_ends_every_sign_in(make_app: Callable[..., Flask]) -> None:
    browser = make_app(**PUBLIC).test_client()
    assert sign_in(browser).status_code == 303
    changed = make_app(**{**PUBLIC, "EDITOR_TOKEN": "another-editor-token-9"}).test_client()
    changed.set_cookie("session", session_cookie(browser))
    assert add_watch(changed) == 403
