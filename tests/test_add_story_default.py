"""The confirm step's story picker: the story the text overlaps, else a new story, never an unrelated one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.test_add_routes import STORY, confirm, paste

UNRELATED = ("Air New Zealand grounded three of its Boeing 787 aircraft on Monday after engine inspections found "
             "wear on turbine blades, the airline said in a statement to the stock exchange.\n")


@pytest.fixture()
def web(add_app: Callable[..., Flask]) -> FlaskClient:
    """A client of a loopback app on the bundled corpus (one story)."""
    return add_app().test_client()


def test_unrelated_text_defaults_to_a_new_story_even_with_one_story(web: FlaskClient) -> None:
    """With the bundled corpus's single story, an unrelated article is not filed under it: the picker selects
    "a new story", and saving without a slug is refused instead of filing it wrongly."""
    first = paste(web, UNRELATED, story="")
    html = web.get(first.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{STORY}" selected>' not in html
    assert '<option value="__new__" selected>' in html
    refused = confirm(web, first.headers["Location"], outlet="Stuff", title="")
    assert refused.status_code == 400 and "give a slug for a new one" in refused.get_data(as_text=True)
    assert web.get("/index.json").get_json()["source_count"] == 5


def test_new_story_slug_is_proposed_from_the_headline(web: FlaskClient) -> None:
    """A headline proposes the new story's slug, so confirming files the text in a story of its own."""
    first = paste(web, "# Air New Zealand grounds 787s\n\n" + UNRELATED, fmt="markdown", story="")
    saved = confirm(web, first.headers["Location"], outlet="Stuff")
    assert saved.status_code == 303
    stories = {s["slug"]: [x["id"] for x in s["sources"]] for s in web.get("/index.json").get_json()["stories"]}
    assert stories["air-new-zealand-grounds-787s"] == ["air-new-zealand-grounds-787s"]
    assert len(stories[STORY]) == 5


def test_overlapping_text_still_defaults_to_its_story(web: FlaskClient, corpus_dir: Path) -> None:
    """Text the story's sources carry keeps the story preselected."""
    rt = (corpus_dir / STORY / "rt.txt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    first = paste(web, " ".join(rt.split("\n\n")[:3]) + "\n\nOne new closing line for this capture.\n", story="")
    assert f'<option value="{STORY}" selected>' in web.get(first.headers["Location"]).get_data(as_text=True)
