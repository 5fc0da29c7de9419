"""Faults while serving: the corpus changing under the app, half-written files, vanishing files, slow comparisons."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from parallax import corpus_store
from parallax.web.ops import CORPUS_GONE
from tests.conftest import STORY, front_matter

PAGES = ("/", "/index.json", "/sources/press-tv", "/sources/press-tv.json", "/compare/press-tv/rt",
         "/compare/press-tv/rt.json", "/-/health.json")
BODY = "A new outlet reports the train arrived in Vladivostok.\n\nOfficials confirmed the visit on Tuesday.\n"


def new_source(source_id: str, body: str = BODY) -> str:
    """A complete source file's text."""
    return front_matter(id=source_id, story=STORY, outlet="Test Wire", format="text") + body


def listed(client: FlaskClient) -> set[str]:
    """Ids of the sources on the index."""
    data = client.get("/index.json").get_json()
    return {s["id"] for story in data["stories"] for s in story["sources"]}


def problems(client: FlaskClient) -> dict[str, str]:
    """Files reported as not loaded, with the reason."""
    return {p["path"]: p["reason"] for p in client.get("/index.json").get_json()["problems"]}


def assert_no_500(client: FlaskClient) -> None:
    """Every page answers without a server error."""
    for path in PAGES:
        assert client.get(path).status_code < 500, path


def test_added_file_is_listed(client: FlaskClient, corpus_dir: Path) -> None:
    assert "test-wire" not in listed(client)
    (corpus_dir / STORY / "test-wire.txt").write_text(new_source("test-wire"), encoding="utf-8")
    assert "test-wire" in listed(client)
    assert client.get("/sources/test-wire.json").get_json()["original"] == BODY
    assert client.get("/compare/test-wire/rt.json").status_code == 200


def test_edited_file_serves_new_text_and_new_comparison(client: FlaskClient, corpus_dir: Path) -> None:
    path = corpus_dir / STORY / "press-tv.txt"
    before = client.get("/compare/press-tv/rt.json").get_json()
    path.write_text(path.read_text(encoding="utf-8") + "\nThe summit ended with a banquet of sturgeon.\n",
                    encoding="utf-8")
    assert "sturgeon" in client.get("/sources/press-tv.json").get_json()["original"]
    after = client.get("/compare/press-tv/rt.json").get_json()
    assert after["left"]["sha256"] != before["left"]["sha256"]
    assert any("sturgeon" in (row["left"] or "") for row in after["rows"])


def test_removed_file_is_404_and_others_fine(client: FlaskClient, corpus_dir: Path) -> None:
    assert client.get("/compare/press-tv/rt.json").status_code == 200
    (corpus_dir / STORY / "rt.txt").unlink()
    assert "rt" not in listed(client)
    for path in ("/sources/rt", "/sources/rt.json", "/compare/press-tv/rt", "/compare/press-tv/rt.json"):
        assert client.get(path).status_code == 404, path
    assert client.get("/sources/press-tv").status_code == 200
    assert client.get("/compare/press-tv/the-national.json").status_code == 200


def test_unclosed_front_matter_is_skipped_and_reported_until_complete(client: FlaskClient, corpus_dir: Path) -> None:
    path = corpus_dir / STORY / "half.txt"
    path.write_text("---\nid: half\nstory: kim-putin-2023\noutlet: Half", encoding="utf-8")
    assert_no_500(client)
    assert "half" not in listed(client)
    assert "not closed" in problems(client)[f"{STORY}/half.txt"]
    path.write_text(new_source("half"), encoding="utf-8")
    assert "half" in listed(client) and not problems(client)


def test_editor_temp_file_is_ignored_until_renamed(client: FlaskClient, corpus_dir: Path) -> None:
    full = new_source("renamed", BODY * 3)
    for temp in (".renamed.txt.swp", "~renamed.txt", "renamed.txt~", ".renamed.txt"):
        (corpus_dir / STORY / temp).write_text(full[: len(full) // 2], encoding="utf-8")  # truncated mid-body
        assert_no_500(client)
        assert "renamed" not in listed(client) and not problems(client)
        (corpus_dir / STORY / temp).unlink()
    temp_path = corpus_dir / STORY / "renamed.txt~"
    temp_path.write_text(full, encoding="utf-8")
    temp_path.rename(corpus_dir / STORY / "renamed.txt")
    assert "renamed" in listed(client)
    assert client.get("/sources/renamed.json").get_json()["original"] == BODY * 3


def test_file_deleted_between_listing_and_reading(app: Flask, corpus_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    client = app.test_client()
    victim = corpus_dir / STORY / "the-national.txt"
    victim.write_text(victim.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")  # force a re-read
    original_load = corpus_store.CorpusStore._load

    def vanish_then_load(self: Any, path: str, rel: str) -> Any:
        if path == str(victim) and victim.exists():
            victim.unlink()  # another process deletes it after the folder was listed and stat-ed
        return original_load(self, path, rel)

    monkeypatch.setattr(corpus_store.CorpusStore, "_load", vanish_then_load)
    reasons = {p.path: p.reason for p in app.extensions["parallax.corpus"].get().problems}
    assert "cannot be read" in reasons[f"{STORY}/the-national.txt"]  # reported, not raised
    assert_no_500(client)
    assert "the-national" not in listed(client)
    assert client.get("/sources/the-national.json").status_code == 404
    monkeypatch.undo()
    assert "the-national" not in listed(client) and not problems(client)


def test_file_deleted_between_walk_and_stat(client: FlaskClient, corpus_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    original_walk = corpus_store.walk_files

    def walk_then_delete(root: Path) -> Iterator[str]:
        for path in original_walk(root):
            if path.endswith("/rt.txt"):
                Path(path).unlink()
            yield path

    monkeypatch.setattr(corpus_store, "walk_files", walk_then_delete)
    assert_no_500(client)
    assert "rt" not in listed(client)


def test_corpus_folder_removed_while_serving_is_503_naming_it(client: FlaskClient, corpus_dir: Path) -> None:
    """A server refuses to start without its corpus folder; one whose folder is removed while serving answers every
    reading page 503 saying so (not an empty index, not 'no such source'), and serves them again once it is back."""
    import shutil

    kept = corpus_dir.with_name("kept")
    shutil.copytree(corpus_dir, kept)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    shutil.rmtree(corpus_dir)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 503, path
        if path == "/-/health.json":
            assert response.get_json()["corpus"]["readable"] is False
        elif path.endswith(".json"):
            assert response.get_json() == {"ok": False, "status": 503, "error": CORPUS_GONE}, path
        else:
            assert escape(CORPUS_GONE) in response.get_data(as_text=True), path
    kept.rename(corpus_dir)
    assert "press-tv" in listed(client) and client.get("/compare/press-tv/rt.json").status_code == 200


def large_body(words: int, seed: int, source: str) -> str:
    """A long synthetic article: the bundled sentences shuffled, with one word varied in most of them."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    sentences = [s.strip() + "." for s in source.replace("\n", " ").split(".") if len(s.split()) > 4]
    out: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(sentences).split()
        if rng.random() < 0.7:
            sentence[rng.randrange(len(sentence))] = rng.choice(["alpha", "bravo", "charlie", "delta"])
        out.append(" ".join(sentence))
        count += len(sentence)
        if rng.random() < 0.2:
            out.append("\n\n")
    return " ".join(out) + "\n"


def test_comparison_over_time_budget_returns_bounded_result(make_app: Callable[..., Flask],
                                                            corpus_dir: Path) -> None:
    seed_text = (corpus_dir / STORY / "the-national.txt").read_text(encoding="utf-8").split("---", 2)[2]
    for n, source_id in enumerate(("big-one", "big-two")):
        (corpus_dir / STORY / f"{source_id}.txt").write_text(
            new_source(source_id, large_body(60_000, n, seed_text)), encoding="utf-8")
    client = make_app(COMPARE_TIME_BUDGET=0.05).test_client()
    started = time.monotonic()
    response = client.get("/compare/big-one/big-two.json")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    data = response.get_json()
    assert any("time budget" in limit for limit in data["limits"]), data["limits"]
    assert data["rows"]
    assert elapsed < 30, f"bounded comparison took {elapsed:.1f} s"
    page = client.get("/compare/big-one/big-two")
    assert page.status_code == 200 and "time budget" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "X-Parallax-Page-Cache" not in page.headers
    assert client.get("/compare/big-one/big-two").headers.get("X-Parallax-Page-Cache") != "hit"
    assert not [k for k in client.application.extensions["parallax.cache"]._cache if k.startswith("cmp:")], \
        "a comparison cut short by the time budget is not kept for other readers"
