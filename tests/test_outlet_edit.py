"""Editing the outlet registry from the web: add and change outlets under the editor rules, with the registry's
own checks; the file keeps its heading comments and every other outlet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_of

TOKEN = "a-long-enough-editor-token-1234"  # noqa: S105 - a test value


def save(client: FlaskClient, original: str = "", **values: str) -> Any:
    """Open the outlet form and submit it with these values."""
    page = client.get("/outlets/edit", query_string={"name": original} if original else {})
    assert page.status_code == 200
    return client.post("/outlets/edit", data={"csrf_token": csrf_of(page.data), "original": original, **values})


def test_add_an_outlet_then_it_marks_its_sources(client: FlaskClient, corpus_dir: Path) -> None:
    """A new outlet with its kind and sources is written to outlets.yaml and shown by the registry at once."""
    before = (corpus_dir / "outlets.yaml").read_text("utf-8")
    response = save(client, name="Korean Central News Agency", aliases="KCNA, KCNA Watch Feed", kind="state-affiliated",
                    kind_source="https://en.wikipedia.org/wiki/Korean_Central_News_Agency", country="North Korea")
    assert response.status_code == 303 and response.headers["Location"].startswith("/outlets#outlet-korean-central")
    found = {o["name"]: o for o in client.get("/outlets.json").get_json()["outlets"]}
    kcna = found["Korean Central News Agency"]
    assert kcna["kind"] == "state-affiliated" and kcna["aliases"] == ["KCNA", "KCNA Watch Feed"]
    assert kcna["sources"] == {"kind": "https://en.wikipedia.org/wiki/Korean_Central_News_Agency"}
    assert found["RT"]["kind"] == "state-affiliated"  # the others stay
    after = (corpus_dir / "outlets.yaml").read_text("utf-8")
    assert after.startswith(before.split("outlets:")[0])  # the heading comments are kept


def test_change_an_outlet_by_an_alias(client: FlaskClient) -> None:
    """The Moscow Times gets an owner and a source; it is found by its alias and stays one entry."""
    assert client.get("/outlets/edit?name=moscow%20times").status_code == 200
    response = save(client, "The Moscow Times", name="The Moscow Times", aliases="Moscow Times", kind="private",
                    owner="Independent, based in Amsterdam", owner_source="https://www.themoscowtimes.com/about")
    assert response.status_code == 303
    found = [o for o in client.get("/outlets.json").get_json()["outlets"] if o["name"] == "The Moscow Times"]
    assert len(found) == 1 and found[0]["owner"] == "Independent, based in Amsterdam"


@pytest.mark.parametrize(("values", "message"), [
    ({"name": "", "kind": "private"}, "has no name"),
    ({"name": "New Outlet", "kind": "tabloid"}, "kind must be one of"),
    ({"name": "New Outlet", "aliases": "Russia Today", "kind": "private"}, "already a name of RT"),
    ({"name": "PressTV", "kind": "private"}, "already a name of Press TV"),
])
def test_bad_outlets_are_refused_and_the_file_unchanged(client: FlaskClient, corpus_dir: Path, values: dict[str, str],
                                                        message: str) -> None:
    """A nameless outlet, an unknown kind and a name another outlet goes by are refused with the form kept."""
    before = (corpus_dir / "outlets.yaml").read_bytes()
    response = save(client, **values)
    assert response.status_code == 400 and message in response.get_data(as_text=True).replace("&#39;", "'")
    assert (corpus_dir / "outlets.yaml").read_bytes() == before


def test_editing_outlets_follows_the_editor_rules(make_app: Callable[..., Flask], corpus_dir: Path) -> None:
    """Without CSRF the save is refused; beyond loopback it needs the editor token; an unknown name is 404."""
    local = make_app().test_client()
    assert local.post("/outlets/edit", data={"name": "X", "kind": "private"}).status_code == 400
    assert local.get("/outlets/edit?name=Nobody").status_code == 404
    public = make_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - token rules apply
    before = (corpus_dir / "outlets.yaml").read_bytes()
    refused = save(public, name="X Outlet", kind="private")
    assert refused.status_code == 403 and "editor token" in refused.get_data(as_text=True)
    assert (corpus_dir / "outlets.yaml").read_bytes() == before
