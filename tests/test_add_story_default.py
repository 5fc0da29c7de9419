"""The confirm step's story picker: the story the text overlaps, else a new story, never an unrelated one."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from tests.add_flow import STORY, confirm, paste

UNRELATED = ("Air New Zealand grounded three of its Boeing 787 aircraft on Monday after engine inspections found "
             "wear on turbine blades, the airline said in a statement to the stock exchange.\n")


def test_unrelated_text_defaults_to_a_new_story_even_with_one_story(add_client: FlaskClient) -> None:
    """With the bundled corpus's single story, an unrelated article is not filed under it: the picker selects
    "a new story", and saving without a slug is refused instead of filing it wrongly."""
    first = paste(add_client, UNRELATED, story="")
    html = add_client.get(first.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{STORY}" selected>' not in html
    assert '<option value="__new__" selected>' in html
    refused = confirm(add_client, first.headers["Location"], outlet="Stuff", title="")
    assert refused.status_code == 400 and "give a slug for a new one" in refused.get_data(as_text=True)
    assert add_client.get("/index.json").get_json()["source_count"] == 5


def test_new_story_slug_is_proposed_from_the_headline(add_client: FlaskClient) -> None:
    """A headline proposes the new story's slug, so confirming files the text in a story of its own."""
    first = paste(add_client, "# Air New Zealand grounds 787s\n\n" + UNRELATED, fmt="markdown", story="")
    saved = confirm(add_client, first.headers["Location"], outlet="Stuff")
    assert saved.status_code == 303
    stories = {s["slug"]: [x["id"] for x in s["sources"]] for s in add_client.get("/index.json").get_json()["stories"]}
    assert stories["air-new-zealand-grounds-787s"] == ["air-new-zealand-grounds-787s"]
    assert len(stories[STORY]) == 5


def test_overlapping_text_still_defaults_to_its_story(add_client: FlaskClient, corpus_dir: Path) -> None:
    """Text the story's sources carry keeps the story preselected."""
    rt = (corpus_dir / STORY / "rt.txt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    first = paste(add_client, " ".join(rt.split("\n\n")[:3]) + "\n\nOne new closing line for this capture.\n", story="")
    assert f'<option value="{STORY}" selected>' in add_client.get(first.headers["Location"]).get_data(as_text=True)
