"""The outlet registry on app servers reading one PostgreSQL store: kept in the store with the corpus, so every server
shows the registry the corpus came with, an outlet added or changed through one server is shown by the other within
the registry's look-again interval, and a refused change is answered as on one server, leaving the registry as it
was."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from parallax.sources import outlets
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)
from tests.test_outlet_edit import save

WITHIN = outlets.CHECK_SECONDS + 1.0  # the registry is looked at again at most this often, plus a busy machine


def _registry(app: Flask) -> dict[str, dict[str, Any]]:
    """The registry as a server shows it, by outlet name."""
    return {o["name"]: o for o in app.test_client().get("/outlets.json").get_json()["outlets"]}


def _shown(app: Flask, name: str, field: str, value: str) -> dict[str, Any]:
    """The outlet once ``app`` shows it with ``field`` set to ``value`` (waiting at most ``WITHIN`` seconds)."""
    started = time.monotonic()
    while (_registry(app).get(name) or {}).get(field) != value:
        assert time.monotonic() - started < WITHIN, f"{name}'s {field} is not {value!r} after {WITHIN} s"
        time.sleep(0.05)
    return _registry(app)[name]


def test_an_outlet_saved_on_one_server_is_shown_by_the_other(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    assert _registry(two)["RT"]["kind"] == "state-affiliated"  # the corpus's registry, read from the store
    added = save(one.test_client(), name="Korean Central News Agency", aliases="KCNA", kind="state-affiliated",
                 country="North Korea", kind_source="https://en.wikipedia.org/wiki/Korean_Central_News_Agency")
    assert added.status_code == 303
    kcna = _shown(two, "Korean Central News Agency", "kind", "state-affiliated")
    assert (kcna["aliases"], kcna["country"]) == (["KCNA"], "North Korea")

    changed = save(two.test_client(), "Moscow Times", name="The Moscow Times", aliases="Moscow Times",
                   kind="private", owner="Independent, based in Amsterdam")
    assert changed.status_code == 303
    _shown(one, "The Moscow Times", "owner", "Independent, based in Amsterdam")
    assert "Korean Central News Agency" in _registry(one) and _registry(one)["RT"]["kind"] == "state-affiliated"

    taken = save(one.test_client(), name="Another Wire", aliases="KCNA", kind="wire")
    assert taken.status_code == 400 and "already a name of Korean Central News Agency" in taken.get_data(as_text=True)
    assert "Another Wire" not in _registry(two) and "Another Wire" not in _registry(one)
    page = two.test_client().get("/outlets").get_data(as_text=True)  # the server that saved shows its change at once
    assert "Korean Central News Agency" in page and "Independent, based in Amsterdam" in page
