"""The ``parallax`` command line: exit statuses, formats, terminal vs piped output, corpus checks."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from parallax.cli import main
from tests.conftest import ROOT, STORY, front_matter
from tests.fixtures import xlang

SEEDS = ROOT / "corpus" / STORY


def run(*args: str, color: bool = False) -> tuple[int, str, str]:
    """Run the CLI in-process; returns exit status, stdout and stderr."""
    result = CliRunner().invoke(main, list(args), color=color)
    return result.exit_code, result.stdout, result.stderr


def test_identical_files_exit_zero(tmp_path: Path) -> None:
    left, right = tmp_path / "a.txt", tmp_path / "b.txt"
    left.write_text("Kim arrived on Tuesday. Putin waited in Vladivostok.\n", encoding="utf-8")
    right.write_text("Kim arrived on Tuesday.  Putin waited in Vladivostok.\n", encoding="utf-8")  # whitespace only
    status, out, _ = run("compare", str(left), str(right))
    assert status == 0
    assert "Kim arrived on Tuesday." in out and "[-" not in out and "{+" not in out


def test_different_files_exit_one_with_word_diff_marks_when_piped(tmp_path: Path) -> None:
    left, right = tmp_path / "a.txt", tmp_path / "b.txt"
    left.write_text("Kim arrived in Russia on Tuesday by armoured train.\n", encoding="utf-8")
    right.write_text("Kim arrived in Russia on Monday by armoured train.\n", encoding="utf-8")
    status, out, _ = run("compare", str(left), str(right))
    assert status == 1
    assert "[-Tuesday-]{+Monday+}" in out
    assert "\x1b[" not in out


def test_colour_on_request_uses_ansi_not_brackets(tmp_path: Path) -> None:
    left, right = tmp_path / "a.txt", tmp_path / "b.txt"
    left.write_text("Kim arrived in Russia on Tuesday by armoured train.\n", encoding="utf-8")
    right.write_text("Kim arrived in Russia on Monday by armoured train.\n", encoding="utf-8")
    status, out, _ = run("compare", "--color", str(left), str(right), color=True)
    assert status == 1
    assert "\x1b[31m" in out and "\x1b[32m" in out and "[-Tuesday-]" not in out


def test_source_ids_and_json_format() -> None:
    status, out, _ = run("compare", "press-tv", "the-national", "--format", "json", "--corpus", str(ROOT / "corpus"))
    assert status == 1
    data = json.loads(out)
    assert (data["left"]["outlet"], data["left"]["id"]) == ("Press TV", "press-tv")
    assert (data["right"]["outlet"], data["right"]["id"]) == ("The National", "the-national")
    assert {row["kind"] for row in data["rows"]} >= {"left_only", "right_only"}
    assert data["stats"]["similarity"] < 1
    assert "Press TV and The National share" in data["summary"]["text"] and data["digest"]["changes"]


def _within(part: Any, whole: Any, where: str = "") -> None:
    """Every key of ``part`` is in ``whole`` with the same value (dicts compared key by key, the rest equal)."""
    if isinstance(part, dict):
        assert isinstance(whole, dict), where
        for key, value in part.items():
            assert key in whole, f"{where}.{key} missing on the web"
            _within(value, whole[key], f"{where}.{key}")
    else:
        assert part == whole, where


@pytest.mark.parametrize("query", [{}, {"unit": "char", "ignore": "none"}])
def test_json_format_is_the_web_twin(corpus_dir: Path, client: FlaskClient, query: dict[str, str]) -> None:
    """``--format json`` prints the comparison page's JSON twin without the web's links and editors' marks."""
    args = [f"--{k}={v}" for k, v in query.items()]
    status, out, _ = run("compare", "rt", "the-national", "--format", "json", "--corpus", str(corpus_dir), *args)
    cli = json.loads(out)
    response = client.get("/compare/rt/the-national.json", query_string=query)
    assert status == 1 and response.status_code == 200
    web = response.get_json()
    _within(cli, web)
    assert set(web) - set(cli) == {"permalink", "swap", "notes"}  # the web's own: links and editors' marks
    assert set(web["digest"]) - set(cli["digest"]) == {"focus", "kind", "exports"}
    assert cli["rows"] and cli["summary"]["text"] and cli["digest"]["changes"] and cli["stats"]["similarity"] > 0


def test_seed_captures_of_one_article_differ_only_in_headline_and_date() -> None:
    status, out, _ = run("compare", str(SEEDS / "moscow-times-plain.txt"), str(SEEDS / "moscow-times-markdown.md"))
    assert status == 1
    changes = [line for line in out.splitlines()[2:] if not line.startswith("  ")]
    assert changes == ["+ {+N. Korea's Kim Arrives in Russia for Putin Talks+}", "+ {+September 12, 2023+}"]


@pytest.mark.parametrize(("first", "second", "header"), [
    ("ru", "en", "Russian ↔ English: compared by meaning, across languages"),
    ("en", "ru", "English ↔ Russian: compared by meaning, across languages")])
def test_files_in_two_languages_say_so_in_the_header(tmp_path: Path, first: str, second: str, header: str) -> None:
    """Kommersant's report and its English translation (plain files, languages detected): the header names both
    languages and the rows pair each sentence with its translation."""
    texts = {"ru": xlang.RUSSIAN, "en": xlang.ENGLISH}
    for tag in (first, second):
        (tmp_path / f"{tag}.txt").write_text(texts[tag], encoding="utf-8")
    status, out, _ = run("compare", str(tmp_path / f"{first}.txt"), str(tmp_path / f"{second}.txt"))
    lines = out.splitlines()
    assert status == 1 and lines[:3] == [f"--- {first}.txt", f"+++ {second}.txt", header]
    paired = [line for line in lines if line.startswith("≈ ")]
    assert len(paired) >= len(xlang.LINKS) // 2, out


def test_facts_name_two_captures_of_one_outlet_by_file() -> None:
    """Two captures of one Moscow Times article: the date only the markdown capture states is named by its file,
    not as "the right version", and so is each side in the summary."""
    status, out, _ = run("compare", str(SEEDS / "moscow-times-plain.txt"), str(SEEDS / "moscow-times-markdown.md"),
                         "--format", "json")
    data = json.loads(out)
    labels = [fact["label"] for row in data["rows"] for fact in row["facts"]]
    assert status == 1 and labels == ["September 12, 2023: only in The Moscow Times (moscow-times-markdown.md)"]
    assert data["summary"]["text"].startswith("The Moscow Times (moscow-times-plain.txt) and The Moscow Times "
                                              "(moscow-times-markdown.md) share")
    assert "left version" not in out and "right version" not in out


def test_files_in_one_language_do_not_claim_a_translation(tmp_path: Path) -> None:
    (tmp_path / "en.txt").write_text(xlang.ENGLISH, encoding="utf-8")
    status, out, _ = run("compare", str(SEEDS / "rt.txt"), str(tmp_path / "en.txt"))
    assert status == 1 and out.startswith("--- ") and "across languages" not in out and " ↔ " not in out


def test_unit_option_and_bad_ignore(tmp_path: Path) -> None:
    left, right = tmp_path / "a.txt", tmp_path / "b.txt"
    left.write_text("The colour of the train was dark green, witnesses said.\n", encoding="utf-8")
    right.write_text("The color of the train was dark green, witnesses said.\n", encoding="utf-8")
    status, out, _ = run("compare", "--unit", "char", str(left), str(right))
    assert status == 1 and "colo[-u-]r" in out
    status, _, err = run("compare", "--ignore", "spelling", str(left), str(right))
    assert status == 2 and "unknown --ignore option 'spelling'" in err


def test_missing_input_exits_two_with_message(tmp_path: Path) -> None:
    status, out, err = run("compare", str(tmp_path / "nope.txt"), "rt", "--corpus", str(ROOT / "corpus"))
    assert status == 2 and out == ""
    assert "neither a file nor a source id" in err


def test_html_input_is_extracted(tmp_path: Path) -> None:
    page = ("<html><head><title>Kim in Russia</title></head><body><article><h1>Kim in Russia</h1>"
            "<p>North Korean leader Kim Jong Un arrived in Russia on Tuesday for talks with Vladimir Putin, "
            "officials said in a statement released in the morning.</p>"
            "<p>The two leaders are expected to discuss weapons, food aid and satellites during the visit.</p>"
            "</article></body></html>")
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.txt").write_text("North Korean leader Kim Jong Un arrived in Russia on Tuesday for talks with "
                                    "Vladimir Putin, officials said in a statement released in the morning.\n",
                                    encoding="utf-8")
    status, out, _ = run("compare", str(tmp_path / "a.html"), str(tmp_path / "b.txt"))
    assert status == 1
    assert "  North Korean leader Kim Jong Un arrived in Russia" in out
    assert "<p>" not in out


def test_check_clean_corpus_exits_zero() -> None:
    status, _, err = run("check", str(ROOT / "corpus"))
    assert status == 0
    assert "5 sources in 1 story, 0 problems" in err


def test_check_lists_every_problem_and_exits_one(corpus_dir: Path) -> None:
    (corpus_dir / STORY / "broken.txt").write_text("---\nid: [unclosed\n---\nbody\n", encoding="utf-8")
    (corpus_dir / STORY / "dupe.txt").write_text(front_matter(id="rt", story=STORY) + "Another text.\n",
                                                 encoding="utf-8")
    status, out, err = run("check", str(corpus_dir))
    assert status == 1
    assert f"{STORY}/broken.txt:" in out and f"{STORY}/dupe.txt:" in out
    assert "2 problems" in err


def test_check_missing_folder_exits_two(tmp_path: Path) -> None:
    status, _, err = run("check", str(tmp_path / "absent"))
    assert status == 2 and "no such folder" in err


def test_console_script_runs_as_a_process() -> None:
    """The module runs as a program (what the installed ``parallax`` script calls), piped output has no colour."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "parallax.cli", "compare", "rt", "rt"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("--- RT (rt)\n+++ RT (rt)\n") and "\x1b[" not in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["compare", "--help"], ["check", "--help"]])
def test_help(args: list[str]) -> None:
    status, out, _ = run(*args)
    assert status == 0 and "Usage:" in out


def test_add_a_markdown_file_then_refuse_it_again(corpus_dir: Path, tmp_path: Path) -> None:
    article = tmp_path / "wire.md"
    article.write_text("# Kim meets Putin at Vostochny\n\nThe two leaders met at the cosmodrome on Wednesday, "
                       "the Kremlin said.\n", encoding="utf-8")
    status, out, err = run("add", str(article), "--story", STORY, "--outlet", "Wire", "--corpus", str(corpus_dir))
    assert status == 0, err
    source_id, path = out.strip().split("\t")
    assert source_id == "kim-meets-putin-at-vostochny"
    saved = (corpus_dir / path).read_text(encoding="utf-8")
    assert "outlet: Wire" in saved and "title: Kim meets Putin at Vostochny" in saved
    assert saved.endswith(article.read_text(encoding="utf-8"))
    status, _, err = run("add", str(article), "--story", STORY, "--outlet", "Wire", "--corpus", str(corpus_dir))
    assert status == 1 and "already in story 'kim-putin-2023' as kim-meets-putin-at-vostochny" in err


def test_add_refuses_what_the_api_refuses(corpus_dir: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Some text about the summit.\n", encoding="utf-8")
    status, _, err = run("add", str(article), "--story", STORY, "--outlet", "Wire", "--published", "2023-02-30",
                         "--corpus", str(corpus_dir))
    assert status == 2 and "published" in err
    status, _, err = run("add", "http://127.0.0.1:9/x", "--story", STORY, "--corpus", str(corpus_dir))
    assert status == 2 and "PARALLAX_FETCH_ALLOW_PRIVATE" in err
    status, _, err = run("add", str(tmp_path / "missing.txt"), "--story", STORY, "--corpus", str(corpus_dir))
    assert status == 2 and "neither a readable file nor an http(s) URL" in err
    assert sorted(p.name for p in (corpus_dir / STORY).iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in (ROOT / "corpus" / STORY).iterdir())


def test_html_format_is_the_standalone_export(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Train arrives\n\nKim's train crossed into <b>Russia</b> on Tuesday, Interfax reported.\n",
                    encoding="utf-8")
    status, out, _ = run("compare", str(note), "rt", "--format", "html", "--corpus", str(ROOT / "corpus"))
    assert status == 1
    assert out.startswith("<!doctype html>") and "<style>" in out
    assert "<script" not in out and 'src="http' not in out and "<link" not in out
    assert "note.md vs RT" in out  # the file is named by its file name, the source by its outlet
    assert "&lt;b&gt;Russia&lt;/b&gt;" in out and "<b>Russia</b>" not in out  # article text stays escaped


def test_add_to_a_missing_corpus_folder_exits_two_without_a_traceback(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Kim arrived in Russia on Tuesday.\n", encoding="utf-8")
    missing = tmp_path / "no" / "corpus"
    status, out, err = run("add", str(article), "--story", STORY, "--outlet", "X", "--corpus", str(missing))
    assert status == 2 and out == ""
    assert err.strip() == f"parallax: {missing}: no such corpus folder"
    assert not missing.exists()


def test_html_format_is_the_web_export_without_its_link(corpus_dir: Path, client: FlaskClient) -> None:
    """The command line's HTML file and the web's download are one document: the same passages, summary and
    styles; only the web's names its URL."""
    status, out, _ = run("compare", "rt", "press-tv", "--format", "html", "--corpus", str(corpus_dir))
    web = client.get("/compare/rt/press-tv/export.html").get_data(as_text=True)
    assert status == 1 and out.startswith("<!doctype html>")
    assert "Permalink" in web and "Permalink" not in out
    body = re.compile(r'<main class="px-main px-main--wide">.*</main>', re.S)
    meta = re.compile(r'<dl class="px-doc-meta">.*?</dl>', re.S)
    style = re.compile(r"<style>.*</style>", re.S)
    assert meta.sub("", found(body, out)) == meta.sub("", found(body, web))
    assert found(style, out) == found(style, web)


def found(pattern: re.Pattern[str], html: str) -> str:
    """The first match of a pattern in a page (the test fails when the page has none)."""
    match = pattern.search(html)
    assert match, f"no {pattern.pattern} in the page"
    return match[0]


def test_a_bad_setting_is_one_line_and_exit_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_PORT", "abc")
    for args in (["run"], ["compare", "rt", "press-tv"], ["check"]):
        status, out, err = run(*args)
        assert status == 2 and out == "", args
        assert err == "parallax: PARALLAX_PORT must be a number, not 'abc'\n", args


def test_index_builds_then_only_updates(corpus_dir: Path) -> None:
    status, _, err = run("index", str(corpus_dir))
    assert status == 0 and "5 sources indexed, 0 sources removed" in err
    assert (corpus_dir / ".parallax" / "search.db").is_file()
    (corpus_dir / STORY / "rt.txt").unlink()
    status, _, err = run("index", str(corpus_dir))
    assert status == 0 and "0 sources indexed, 1 source removed" in err
    catalogue = sqlite3.connect(corpus_dir / ".parallax" / "catalogue.db")  # the next run starts from it
    assert "kim-putin-2023/rt.txt" not in {rel for (rel,) in catalogue.execute("SELECT rel FROM files")}
    catalogue.execute("UPDATE files SET data = json_set(data, '$.title', 'From the catalogue') "
                      "WHERE rel LIKE '%press-tv.txt'")  # a file unchanged on disk is not parsed again
    catalogue.commit()
    catalogue.close()
    status, _, err = run("index", str(corpus_dir))
    assert status == 0 and "1 source indexed, 1 source removed" in err  # its title changed in what is indexed
    status, _, err = run("index", str(corpus_dir / "absent"))
    assert status == 2 and "no such folder" in err


def test_long_operations_show_progress_on_a_terminal_only(corpus_dir: Path) -> None:
    """On a terminal, check and index draw a progress bar on stderr; piped, they print only their result."""
    import pty

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    main_fd, tty_fd = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "parallax.cli", "check", str(corpus_dir)], stdout=subprocess.PIPE,
                              stderr=tty_fd, env=env, timeout=60, check=False)
        os.close(tty_fd)
        drawn = b""
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main_fd)
    assert done.returncode == 0
    assert b"Checking files" in drawn and b"6/6" in drawn  # five sources and the story file
    piped = subprocess.run([sys.executable, "-m", "parallax.cli", "check", str(corpus_dir)], capture_output=True,
                           env=env, timeout=60, check=False)
    assert piped.returncode == 0 and b"Checking files" not in piped.stderr


def test_add_a_text_file_without_outlet_refuses_when_piped(corpus_dir: Path, tmp_path: Path) -> None:
    """Piped, a text file without --outlet is refused, naming --outlet, and nothing is saved."""
    article = tmp_path / "note.txt"
    article.write_text("The two leaders met at the cosmodrome on Wednesday, the Kremlin said.\n", encoding="utf-8")
    before = sorted(p.name for p in (corpus_dir / STORY).iterdir())
    status, out, err = run("add", str(article), "--story", STORY, "--corpus", str(corpus_dir))
    assert status == 2 and "--outlet" in err and out == ""
    assert sorted(p.name for p in (corpus_dir / STORY).iterdir()) == before


def test_add_a_text_file_without_outlet_asks_at_a_terminal(corpus_dir: Path, tmp_path: Path) -> None:
    """At a terminal the command asks for the outlet (again when the answer is empty) and saves it."""
    import pty

    article = tmp_path / "note.txt"
    article.write_text("The two leaders met at the cosmodrome on Wednesday, the Kremlin said.\n", encoding="utf-8")
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "parallax.cli", "add", str(article), "--story", STORY,
                                "--corpus", str(corpus_dir)], stdin=follower, stdout=subprocess.PIPE,
                               stderr=follower, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    seen = b""
    for answer in (b"\n", b"Vostochny Wire\n"):
        while b"Outlet" not in seen[-200:]:
            seen += os.read(leader, 1024)
        seen = seen.replace(b"Outlet", b"asked", 1)
        os.write(leader, answer)
    out, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0, seen
    assert b"An outlet is required" in seen
    _, path = out.decode().strip().split("\t")
    assert "outlet: Vostochny Wire" in (corpus_dir / path).read_text(encoding="utf-8")
