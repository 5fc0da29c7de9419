"""The add form's drafts on app servers reading one PostgreSQL store: kept in the store's drafts table, so the form's
first step on one server and its confirm step on another (as a load balancer may send them) add the source; each
server has a drafts folder of its own, which no longer matters."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from parallax.store.postgres import PostgresStore
from tests.add_flow import confirm, paste
from tests.conftest import STORY
from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)


def test_a_draft_saved_on_one_server_is_confirmed_on_the_other(db_apps: tuple[Flask, Flask], tmp_path: Path) -> None:
    one, two = db_apps
    for app in db_apps:
        app.config["DRAFT_DIR"] = str(tmp_path / f"drafts-{app.config['CORPUS_DIR'].rsplit('/', 1)[-1]}")
    first = paste(one.test_client(), "A text pasted on the first server and confirmed on the second.\n")
    location = first.headers["Location"]
    assert location.startswith("/add/confirm/")

    on_two = two.test_client()
    saved = confirm(on_two, location, title="Across servers", outlet="Balanced Wire")
    assert saved.status_code == 303
    added = saved.headers["Location"].split("/sources/", 1)[1].split("#")[0].split("?")[0]
    shown = one.test_client().get(f"/sources/{added}.json")
    assert shown.status_code == 200 and shown.get_json()["source"]["title"] == "Across servers"
    assert shown.get_json()["source"]["story"] == STORY
    assert one.test_client().get(location).status_code == 404  # the draft is gone once its source is saved
    assert not [path for name in ("drafts-one", "drafts-two") for path in (tmp_path / name).glob("*.json")]


def test_a_fresh_migration_into_the_store_leaves_no_draft(db_apps: tuple[Flask, Flask], pg_url: str) -> None:
    """Emptying the store for a fresh migration empties its drafts too: a draft of the old corpus is not found."""
    one, _ = db_apps
    location = paste(one.test_client(), "A text pasted before the store was emptied.\n").headers["Location"]
    assert one.test_client().get(location).status_code == 200
    store = PostgresStore(pg_url)
    try:
        store.clear()
    finally:
        store.close()
    assert one.test_client().get(location).status_code == 404
