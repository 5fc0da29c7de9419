"""Every page is valid HTML according to the Nu HTML Checker (vnu.jar, one JVM for all pages)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.long_pair import write_long_pair

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGES = ["/", "/sources/moscow-times-markdown", "/sources/rt", "/compare/moscow-times-plain/press-tv",
         "/compare/press-tv/the-national?view=inline", "/compare/rt/rt?unit=char", "/sources/nope",
         "/compare/rt/press-tv?unit=bad",
         # What changed at a glance: filtered change list, boilerplate folds, focus folds, exports, story overview.
         "/compare/press-tv/the-national?kind=moved", "/compare/moscow-times-plain/moscow-times-markdown",
         "/compare/long-left/long-right", "/compare/long-left/long-right?view=inline&focus=on",
         "/compare/press-tv/the-national/export.html", "/stories/kim-putin-2023"]


def check(files: list[Path]) -> list[dict[str, object]]:
    """Errors the Nu checker reports for the given HTML files."""
    java = shutil.which("java")
    if not java or not VNU.exists():
        pytest.fail("the Nu HTML Checker needs java and node_modules/vnu-jar (make test installs both)")
    run = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, timeout=120, check=False)
    messages: list[dict[str, object]] = json.loads(run.stderr or '{"messages": []}')["messages"]
    return messages


def test_pages_are_valid_html(client: FlaskClient, tmp_path: Path, corpus_dir: Path) -> None:
    """The index, source pages, comparisons (both views, folds, filters), exports and error pages have no errors."""
    write_long_pair(corpus_dir)
    files = []
    for number, path in enumerate(PAGES):
        response = client.get(path)
        assert response.mimetype == "text/html"
        file = tmp_path / f"page{number}.html"
        file.write_bytes(response.data)
        files.append(file)
    errors = [(PAGES[int(Path(str(m["url"])).stem.removeprefix("page"))], m["message"]) for m in check(files)]
    assert errors == []


def test_checker_reports_broken_html(tmp_path: Path) -> None:
    """The checker does find errors, so an empty list above means valid pages."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><html lang=en><title>x</title><p><div></span>", encoding="utf-8")
    assert check([broken])
