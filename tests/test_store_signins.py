"""Editors' sign-ins on app servers reading one PostgreSQL store: kept in the store's editor_sessions table, so a
browser signed in through one server may write through another behind the same load balancer, and a sign-out on
either ends the sign-in on both."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from parallax.store.postgres import PostgresStore
from tests.conftest import STORY, csrf_of
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

TOKEN = "s3cret-editor-token"  # noqa: S105 - a test token
KEY = "one-key-for-every-server"  # a test signing key


def _behind_one_balancer(apps: tuple[Flask, Flask]) -> None:
    """Both servers ask editors to sign in and sign cookies with one key, as servers behind one balancer do."""
    for app in apps:
        app.config.update({"REQUIRE_TOKEN": "always", "EDITOR_TOKEN": TOKEN, "SECRET_KEY": KEY})
        app.secret_key = KEY


def _same_browser(source: FlaskClient, target: FlaskClient) -> None:
    """The browser's cookie, as the balancer sends it to whichever server it picks."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def _paste(client: FlaskClient, text: str) -> int:
    """The add form's first step with pasted text; its status (303 to the confirm step when the write is allowed)."""
    form = client.get("/add")
    return client.post("/add", data={"csrf_token": csrf_of(form.data), "kind": "paste", "text": text,
                                     "story": STORY}).status_code


def test_a_sign_in_on_one_server_is_valid_on_the_other_until_signed_out(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    _behind_one_balancer(db_apps)
    on_one, on_two = one.test_client(), two.test_client()
    assert _paste(on_one, "Before signing in.\n") == 403

    page = on_one.get("/add/sign-in?next=/add")
    signed = on_one.post("/add/sign-in", data={"csrf_token": csrf_of(page.data), "token": TOKEN, "next": "/add"})
    assert signed.status_code == 303
    _same_browser(on_one, on_two)
    assert _paste(on_two, "Signed in on the first server, writing through the second.\n") == 303
    assert _paste(on_one, "And through the first.\n") == 303

    out = on_two.post("/add/sign-out", data={"csrf_token": csrf_of(on_two.get("/add").data)})
    assert out.status_code == 303
    stale = one.test_client()
    stale.set_cookie("session", on_one.get_cookie("session").value)  # type: ignore[union-attr]  # the old cookie
    assert _paste(stale, "A copy of the cookie after signing out on the other server.\n") == 403


def test_a_database_made_before_shared_sign_ins_gets_their_table_when_a_server_starts(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        store.conn.execute("DROP TABLE editor_sessions")
    finally:
        store.close()
    again = PostgresStore(pg_url)
    try:
        found = again.conn.execute("SELECT to_regclass('editor_sessions') IS NOT NULL AS t").fetchone()
        assert found is not None and found["t"]
    finally:
        again.close()
