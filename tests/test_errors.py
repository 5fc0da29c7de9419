"""Domain errors carry causes, the web layer maps them to statuses once; every write route refuses without the
editor token, in one shape; one ``is_loopback``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import get_args

import pytest
from flask import Flask
from werkzeug.routing import BuildError

from parallax import config
from parallax.sources import fetch, ingest
from parallax.web import editors, render
from tests.add_flow import paste
from tests.conftest import STORY, WIRE, csrf_of


def test_domain_errors_carry_causes_not_statuses() -> None:
    """IngestError and FetchError say what went wrong (a cause name), never which HTTP status to answer."""
    ingest_error = ingest.IngestError("the file is too big", "too_large")
    fetch_error = fetch.FetchError("took too long", "timeout")
    assert (ingest_error.cause, fetch_error.cause) == ("too_large", "timeout")
    assert not hasattr(ingest_error, "status") and not hasattr(fetch_error, "status")
    for module in (ingest, fetch):
        source = inspect.getsource(module)
        # The fetched server's own status (response.status, http_status) is a fact about the page, not an answer.
        assert "status" not in source.replace("response.status", "").replace("http_status", "").replace(
            "st_mode", ""), module.__name__


def test_every_cause_has_one_status_in_the_web_layer() -> None:
    """Each cause of either module maps to exactly one HTTP status, and only the web layer holds the mapping."""
    causes = set(get_args(ingest.Cause)) | set(get_args(fetch.FetchCause))
    assert causes <= set(render.CAUSE_STATUS), causes - set(render.CAUSE_STATUS)
    assert all(400 <= status < 600 for status in render.CAUSE_STATUS.values())
    assert render.CAUSE_STATUS["duplicate"] == 409 and render.CAUSE_STATUS["timeout"] == 504
    assert render.CAUSE_STATUS["forbidden_address"] == 400 and render.CAUSE_STATUS["extraction_empty"] == 422
    assert render.status_of(ingest.IngestError("x", "too_large")) == 413


def test_every_domain_error_is_a_parallax_error_answered_from_the_one_table() -> None:
    """Adding, changing, fetching, watching, noting, alerting, searching and loading fail with one base error, its
    cause and field; the web layer answers each through CAUSE_STATUS alone (a refused change's 'missing' is 404,
    its 'conflict' 409, whichever module raised it)."""
    from parallax import corpus
    from parallax.errors import ParallaxError
    from parallax.index.query import QueryError
    from parallax.sources import alerts, feeds, manage, notes, outlet_edit, state

    errors = [ingest.IngestError("x", "too_large", "text"), fetch.FetchError("x", "timeout"),
              manage.ManageError("x", "missing"), manage.ManageError("x", "conflict"), manage.ManageError("x"),
              outlet_edit.OutletError("x", "name", "missing"), notes.NoteError("x", "note"), state.StateError("x"),
              alerts.AlertError("x"), feeds.FeedError("x"), QueryError("x"), corpus.CorpusError("x")]
    assert all(isinstance(error, ParallaxError) for error in errors)
    assert [render.status_of(error) for error in errors] == [413, 504, 404, 409, 400, 404, 400, 400, 400, 400, 400,
                                                             400]
    assert (errors[0].field, errors[5].field, errors[6].field) == ("text", "name", "note")
    assert all(isinstance(error, ValueError) for error in errors if not isinstance(error, fetch.FetchError))


TOKEN = "k3J9-qL2vX8mZ4pR7tW1yB6n"  # noqa: S105 - a test token
#: The POST routes that write nothing and so need no editor token: signing in and out, and story suggestions.
OPEN_POSTS = {"add.sign_in", "add.sign_out", "search.suggest_story_api"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: A value for each kind of path argument (the first that builds is used for ``any(...)`` arguments).
ARGUMENTS = {"source_id": ["press-tv"], "story": [STORY], "trash_id": ["gone"],
             "watch_id": ["1"], "channel_id": ["1"], "item_id": ["1"], "what": ["notes"],
             "action": ["pause", "mute", "remove"]}


def write_requests(app: Flask, draft: str) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) of every route that takes a write method, with its arguments filled in (``draft``:
    the token of a draft that exists, so that its confirmation is refused for the token, not for a missing draft)."""
    arguments = {**ARGUMENTS, "token": [draft]}
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) & set(WRITE_METHODS)):
            paths = []
            for action in ARGUMENTS["action"]:
                values = {name: (action if name == "action" else arguments[name][0]) for name in rule.arguments}
                try:
                    paths.append(adapter.build(rule.endpoint, values, method=method))
                except (BuildError, ValueError):  # an any(...) argument that does not take this value
                    continue
            assert paths, rule.rule
            found.append((rule.endpoint, method, paths[0]))
    return found


def test_every_write_route_refuses_without_the_editor_token(add_app: Callable[..., Flask]) -> None:
    """On a server beyond loopback with an editor token set, every route that takes POST, PUT, PATCH or DELETE
    (found in the app's URL map, so a new one is covered) answers 403 without the token, in one shape: an API route
    the JSON error asking for the bearer token, a form (with a valid CSRF token) a page asking to sign in. With the
    token (or signed in) the same requests pass the gate. Only signing in and out and suggestions write nothing."""
    draft = paste(add_app().test_client(), WIRE).headers["Location"].rsplit("/", 1)[1]  # made on loopback
    client = add_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - beyond loopback
    requests = write_requests(client.application, draft)
    assert {endpoint for endpoint, _, _ in requests} >= OPEN_POSTS and len(requests) > len(OPEN_POSTS) + 20
    csrf = csrf_of(client.get("/add/sign-in").data)
    gated = [(endpoint, method, path) for endpoint, method, path in requests if endpoint not in OPEN_POSTS]
    for endpoint, method, path in gated:
        if path.startswith("/api/"):
            response = client.open(path, method=method, json={})
            assert response.status_code == 403, endpoint
            assert response.get_json() == {"ok": False, "status": 403, "error": "Adding sources needs the editor "
                                           "token: send 'Authorization: Bearer <token>'."}, endpoint
            passed = client.open(path, method=method, json={}, headers={"Authorization": f"Bearer {TOKEN}"})
        else:
            response = client.open(path, method=method, data={"csrf_token": csrf})
            assert response.status_code == 403, endpoint
            assert "Adding sources needs the editor token: sign in as an editor first." in response.get_data(
                as_text=True), endpoint
            passed = None
        assert passed is None or passed.status_code != 403, endpoint
    signed = client.post("/add/sign-in", data={"csrf_token": csrf, "token": TOKEN, "next": "/add"})
    assert signed.status_code in (302, 303)
    for endpoint, method, path in gated:
        if not path.startswith("/api/"):
            assert client.open(path, method=method, data={"csrf_token": csrf}).status_code != 403, endpoint


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST", True), ("localhost.", True), (" localhost ", True),
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("[::ffff:127.0.0.1]", True), ("0:0:0:0:0:0:0:1", True),
    ("0.0.0.0", False), ("::", False),  # noqa: S104 - a bind address under test, not bound ("[::]", False), ("10.0.0.1", False), ("192.168.1.1", False),
    ("example.com", False), ("localhost.example.com", False), ("my-laptop", False), ("", False),
    ("[::1", False), ("2001:db8::1", False), ("[2001:db8::1]", False),
])
def test_one_is_loopback(host: str, loopback: bool) -> None:
    """Host names, IPv4, IPv6 and bracketed IPv6: one answer, used for trusted hosts and for the editor token."""
    assert config.is_loopback(host) is loopback
    assert vars(editors)["is_loopback"] is config.is_loopback  # the editor check uses the same function
    assert "LOOPBACK_HOSTS" not in inspect.getsource(editors)
