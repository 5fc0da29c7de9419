"""New text as stored: an uploaded page keeps its paragraphs and leaves its headline to the title; ids come from
the headline or the first line of the article, never from page furniture."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from parallax.cli import main
from parallax.sources import shaping
from tests.add_flow import STORY, confirm, upload

PAGE = """<!doctype html><html lang="en"><head><title>Air New Zealand grounds 787s | Stuff</title>
<meta property="og:title" content="Air New Zealand grounds 787s"></head><body><article>
<h1>Air New Zealand grounds 787s</h1>
<p>Air New Zealand grounded three of its Boeing 787 aircraft on Monday after engine inspections found wear.</p>
<p>The airline said the checks followed a directive from Rolls-Royce about turbine blades in the engines.</p>
<p>About two thousand passengers were moved to other flights, a spokesperson for the airline said.</p>
</article></body></html>"""
FURNITURE = ("Recommendations are independently chosen by Reviewed's editors. Purchases you make through our links "
             "may earn us a commission.\n\nBy Jane Doe and John Roe, Reuters\nUpdated 3 minutes ago\n\n")


def test_uploaded_page_keeps_paragraphs_and_drops_the_headline_line(add_client: FlaskClient) -> None:
    """Each paragraph of the page is a paragraph of the stored text (blank lines between), and the headline,
    kept as the title, is not repeated as the first body line."""
    first = upload(add_client, "grounds.html", PAGE.encode())
    assert first.status_code == 303
    saved = confirm(add_client, first.headers["Location"], outlet="Stuff", story=STORY)
    assert saved.status_code == 303 and saved.headers["Location"] == "/sources/air-new-zealand-grounds-787s"
    data = add_client.get("/sources/air-new-zealand-grounds-787s.json").get_json()
    assert data["source"]["title"] == "Air New Zealand grounds 787s"
    body = data["original"]
    assert body.startswith("Air New Zealand grounded three") and "grounds 787s" not in body
    assert body.count("\n\n") == 2 and body.endswith("said.\n")
    assert [p.split()[0] for p in body.split("\n\n")] == ["Air", "The", "About"]


def test_a_text_file_added_by_the_command_line_is_named_after_its_first_real_line(corpus_dir: Path,
                                                                                  tmp_path: Path) -> None:
    """A .txt that opens with a commission notice, a byline and a stamp gets its id from its headline line."""
    text = tmp_path / "copied.txt"
    text.write_text(FURNITURE + "Air New Zealand grounds 787s after engine checks\n\nAir New Zealand grounded three "
                    "of its Boeing 787 aircraft on Monday.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(text), "--story", "planes", "--outlet", "USA Today",
                                       "--corpus", str(corpus_dir)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\t")[0] == "air-new-zealand-grounds-787s-after-engine-checks"
    assert (corpus_dir / "planes" / "air-new-zealand-grounds-787s-after-engine-checks.txt").is_file()


def test_pasted_text_without_headline_is_named_after_its_first_sentence(add_client: FlaskClient) -> None:
    """The same rule on the web: no headline, so the first sentence of the article names the source."""
    from tests.add_flow import paste

    first = paste(add_client, FURNITURE + "Air New Zealand grounded three of its Boeing 787 aircraft on Monday.\n")
    saved = confirm(add_client, first.headers["Location"], outlet="USA Today", title="")
    assert saved.headers["Location"] == "/sources/air-new-zealand-grounded-three-of-its-boeing"


@pytest.mark.parametrize(("line", "furniture"), [
    ("Recommendations are independently chosen by Reviewed's editors.", True),
    ("Advertisement", True),
    ("By Jane Doe", True),
    ("Updated 10:42 GMT", True),
    ("September 12, 2023", True),
    ("Listen to this article", True),
    ("By the time the train arrived, Putin was waiting at the station.", False),
    ("Kim Jong Un arrives in Russia", False),
    ("Read more about the summit in Vladivostok", True),
])
def test_furniture_lines(line: str, furniture: bool) -> None:
    """Page furniture is recognised; article lines (a sentence starting "By the time") are not."""
    assert shaping.is_furniture(line) is furniture


def test_article_body_keeps_a_lone_line_and_only_drops_a_repeated_headline() -> None:
    """A one-line text keeps its line even when it repeats the title; a first line other than the title stays."""
    assert shaping.article_body("Only line of text here.", "Only line of text here.") == "Only line of text here.\n"
    assert shaping.article_body("Kicker\nFirst paragraph.", "Headline") == "Kicker\n\nFirst paragraph.\n"


