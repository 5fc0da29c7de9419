"""The editors' change log on app servers reading one PostgreSQL store: source edits, removals, restores and outlet
changes made through one server are kept in the store's audit table, so the trash page of every server lists them
(with the marks, watches and channels the store already logs)."""

from __future__ import annotations

from flask import Flask

from tests.conftest import STORY
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)
from tests.test_outlet_edit import save


def _log(app: Flask) -> list[tuple[str, str]]:
    """The latest changes by editors as a server's trash page lists them, newest first: (action, subject)."""
    events = app.test_client().get("/trash.json").get_json()["events"]
    return [(e["action"], e["subject"]) for e in events]


def test_changes_made_through_one_server_are_in_the_other_servers_change_log(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    source = one.test_client().get(f"/stories/{STORY}.json").get_json()["sources"][0]["id"]
    edited = one.test_client().patch(f"/api/sources/{source}", json={"outlet": "Audited Wire"})
    assert edited.status_code == 200
    removed = two.test_client().delete(f"/api/sources/{source}")
    assert removed.status_code == 200
    restored = one.test_client().post(f"/api/trash/{removed.get_json()['trash_id']}/restore", json={})
    assert restored.status_code == 200
    assert save(two.test_client(), name="Audit Agency", aliases="AA", kind="wire").status_code == 303

    expected = [("outlet", "Audit Agency"), ("restore", source), ("remove", source), ("edit", source)]
    assert _log(one)[:4] == expected
    assert _log(two)[:4] == expected
    page = two.test_client().get("/trash").get_data(as_text=True)
    assert f"edit · {source}" in page and "(API): outlet" in page  # the edit made on the other server, its detail
