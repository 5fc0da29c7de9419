"""Shared fixtures: every test builds its own app on its own copy of the corpus."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.app import create_app
from parallax.corpus import Corpus
from parallax.corpus_store import load_corpus
from parallax.engine.compare import CompareOptions, Comparison, compare
from parallax.text import plain_document

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus"
STORY = "kim-putin-2023"
SOURCE_IDS = ("moscow-times-plain", "moscow-times-markdown", "press-tv", "rt", "the-national")


def stop_process(process: subprocess.Popen[Any], grace: float = 10) -> None:
    """Terminate a server started by a test, killing it if it does not exit within ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def csrf_of(html: bytes) -> str:
    """The CSRF token in a page's form."""
    match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1).decode()


def front_matter(**fields: Any) -> str:
    """A front matter block for a test source file."""
    lines = ["---"] + [f"{k}: {v}" for k, v in fields.items()] + ["---", ""]
    return "\n".join(lines)


#: Three sentences an agency's report and its carriers share word for word.
WIRE = ("Kim Jong Un's armoured train crossed the border into Russia's Far East early on Tuesday morning. "
        "The North Korean leader is expected to meet Vladimir Putin at the Vostochny space launch centre. "
        "Western officials fear the two leaders will agree a deal on artillery shells for the war in Ukraine.")


def write_source(folder: Path, story: str, source_id: str, body: str, **fields: str) -> Path:
    """Write a source file into a story folder of a test corpus (the folder made when missing)."""
    (folder / story).mkdir(exist_ok=True)
    path = folder / story / f"{source_id}.txt"
    path.write_text(front_matter(id=source_id, story=story, **fields) + body + "\n", encoding="utf-8")
    return path


def compare_texts(left: str, right: str, **options: Any) -> Comparison:
    """Compare two bare strings with these comparison options."""
    return compare(plain_document(left), plain_document(right), CompareOptions(**options))


@pytest.fixture(scope="module")
def bundled_corpus() -> Corpus:
    """The bundled corpus, loaded once per test module (read it, never change it)."""
    return load_corpus(BUNDLED)


@pytest.fixture()
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(BUNDLED, target, ignore=shutil.ignore_patterns(".*"))  # not a local index, state or trash
    return target


@pytest.fixture()
def make_app(corpus_dir: Path) -> Callable[..., Flask]:
    """Build an app on the test's corpus copy, with extra settings."""
    def build(**config: Any) -> Flask:
        app = create_app({"CORPUS_DIR": str(corpus_dir), "CORPUS_RESCAN_SECONDS": 0, **config})
        app.config["TESTING"] = True
        return app
    return build


@pytest.fixture()
def add_app(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Flask]:
    """Build an app whose drafts live in the test's temporary folder."""
    def build(**config: Any) -> Flask:
        return make_app(DRAFT_DIR=str(tmp_path / "drafts"), **config)
    return build


@pytest.fixture()
def app(make_app: Callable[..., Flask]) -> Flask:
    """An app on a fresh copy of the bundled corpus."""
    return make_app()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A loopback client of ``app`` (writing open without a token, CSRF still required)."""
    return app.test_client()


@pytest.fixture()
def add_client(add_app: Callable[..., Flask]) -> FlaskClient:
    """A loopback client of an app whose drafts live in the test's folder (writing open)."""
    return add_app().test_client()


@pytest.fixture()
def fetching_client(add_app: Callable[..., Flask]) -> FlaskClient:
    """Like ``add_client``, with fetches of private addresses allowed (for the loopback page server) and a short
    timeout."""
    return add_app(FETCH_ALLOW_PRIVATE=True, FETCH_TIMEOUT=2.0).test_client()
