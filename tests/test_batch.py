"""Adding many sources at once: the batch API (JSON list and NDJSON), the add page's multi-file upload without a
script, and `parallax add` with many files, folders and a list of URLs. Each item answers on its own."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from parallax.cli import main
from tests.add_flow import STORY
from tests.conftest import csrf_of

TOKEN = "a-long-enough-editor-token-1234"  # noqa: S105 - a test value


def article(n: int) -> str:
    """A distinct short article."""
    return (f"Report {n}: the harbour bridge in town {n} reopened on Monday after {n + 2} weeks of repairs, "
            f"officials said. Traffic was light in the first hour, according to the council.\n")


def files_in(folder: Path) -> set[str]:
    """Names of the files a story folder holds (hidden ones too: nothing half-written may stay)."""
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_json_batch_answers_each_item(add_client: FlaskClient, corpus_dir: Path) -> None:
    """Saved, duplicate (in the corpus and within the batch) and errors each answer on their own; the failing
    items leave nothing behind and the others are saved."""
    rt = (corpus_dir / STORY / "rt.txt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    items = [{"story": "bridges", "outlet": "Gazette", "text": article(1)},
             {"story": STORY, "outlet": "RT", "text": rt},
             {"story": "bridges", "outlet": "Gazette", "text": article(1)},
             {"story": "bridges", "outlet": "Gazette", "text": article(2), "published": "Monday"},
             {"story": "Not A Slug", "outlet": "Gazette", "text": article(3)},
             {"story": "bridges", "outlet": "Gazette", "text": article(4), "colour": "red"},
             {"story": "bridges", "outlet": "Gazette", "text": article(5), "version_of": "no-such-source"},
             {"story": "bridges", "outlet": "Gazette", "text": article(6)}]
    response = add_client.post("/api/sources/batch", json=items)
    assert response.status_code == 200
    data = response.get_json()
    assert [i["status"] for i in data["items"]] == ["saved", "duplicate", "duplicate", "error", "error", "error",
                                                    "error", "saved"]
    assert data["counts"] == {"saved": 2, "duplicate": 2, "error": 4}
    assert data["summary"] == "2 saved, 2 duplicates, 4 errors"
    assert data["items"][1]["id"] == "rt" and data["items"][2]["id"] == data["items"][0]["id"]
    assert data["items"][3]["field"] == "published" and "published must be a date" in data["items"][3]["error"]
    assert data["items"][4]["field"] == "story" and data["items"][5]["field"] == "colour"
    assert data["items"][6]["field"] == "version_of"
    assert not (corpus_dir / "not-a-slug").exists()
    saved = files_in(corpus_dir / "bridges")
    assert saved == {"story.yaml", f"{data['items'][0]['id']}.txt", f"{data['items'][7]['id']}.txt"}
    assert add_client.get(data["items"][7]["href"]).status_code == 200


def test_ndjson_batch_streams_one_line_an_item_then_a_summary(add_client: FlaskClient) -> None:
    """NDJSON in, NDJSON out: a line per item as it is done (a line that is not JSON fails alone), then counts."""
    body = "\n".join([json.dumps({"story": "bridges", "outlet": "Gazette", "text": article(1)}), "{not json",
                      "", json.dumps({"story": "bridges", "outlet": "Gazette", "text": article(2)})]) + "\n"
    response = add_client.post("/api/sources/batch", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line.get("status") for line in lines] == ["saved", "error", "saved", None]
    assert "line 2 is not JSON" in lines[1]["error"]
    assert lines[-1] == {"done": True, "counts": {"saved": 2, "duplicate": 0, "error": 1},
                         "summary": "2 saved, 0 duplicates, 1 error"}


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("[]", "application/json", 400), ('{"story": "x"}', "application/json", 400),
    ("story=x", "application/x-www-form-urlencoded", 415)])
def test_bad_batches_are_refused_whole(add_client: FlaskClient, body: str, content_type: str, status: int) -> None:
    """An empty batch, an object that is no list and a form body are refused with the error shape."""
    response = add_client.post("/api/sources/batch", data=body, content_type=content_type)
    assert response.status_code == status and response.get_json()["ok"] is False


def test_batch_needs_the_editor_token_beyond_loopback(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """The batch API is a write like every other: refused without the token when the server is public."""
    public = make_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN, DRAFT_DIR=str(tmp_path / "d"))  # noqa: S104 - token rules
    client = public.test_client()
    item = [{"story": "bridges", "outlet": "Gazette", "text": article(1)}]
    assert client.post("/api/sources/batch", json=item).status_code == 403
    ok = client.post("/api/sources/batch", json=item,
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.get_json()["counts"]["saved"] == 1


def test_two_hundred_files_upload_without_a_script(add_client: FlaskClient, corpus_dir: Path) -> None:
    """200 files in one form post (the page without its script): a report row per file, in order, with the
    duplicate and the unreadable file named, everything else saved."""
    files = [(io.BytesIO(article(n).encode()), f"report-{n:03}.txt") for n in range(198)]
    files.append((io.BytesIO(article(5).encode()), "again.txt"))
    files.append((io.BytesIO(b"\xff\xfe\x00\x00binary"), "broken.txt"))
    token = csrf_of(add_client.get("/add").data)
    started = time.perf_counter()
    response = add_client.post("/add/batch", data={"csrf_token": token, "story": "__new__", "new_story": "bridges",
                                            "outlet": "Gazette", "files": files}, content_type="multipart/form-data")
    seconds = time.perf_counter() - started
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert "198 saved, 1 duplicate, 1 error" in html
    assert html.count('<tr class="px-batch-saved">') == 198
    assert html.index("report-000.txt") < html.index("report-197.txt") < html.index("again.txt")
    assert "already in the story as" in html and "broken.txt" in html
    assert len([p for p in (corpus_dir / "bridges").iterdir() if p.suffix == ".txt"]) == 198
    assert not [p for p in (corpus_dir / "bridges").iterdir() if p.name.startswith(".")]
    assert seconds < 120, seconds


def test_cli_adds_files_folders_and_a_list_of_urls(corpus_dir: Path, tmp_path: Path) -> None:
    """`parallax add` takes many files and folders, answers a line per item and exits 1 when any item failed."""
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    for n in range(3):
        (folder / f"a{n}.txt").write_text(article(n), encoding="utf-8")
    (folder / "sub" / "b.md").write_text("# Bridge reopens\n\n" + article(9), encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF")  # not a source type: skipped in a folder
    single = tmp_path / "again.txt"
    single.write_text(article(1), encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(folder), str(single), "--story", "bridges", "--outlet", "Gazette",
                                       "--corpus", str(corpus_dir)])
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["saved"] * 4 + ["duplicate"]
    assert result.exit_code == 1 and "4 saved, 1 duplicate, 0 errors" in result.stderr
    urls = tmp_path / "urls.txt"
    urls.write_text("# one a line\nftp://example.com/x\n\nnot a url\n", encoding="utf-8")
    listed = CliRunner().invoke(main, ["add", "--urls", str(urls), "--story", "bridges", "--corpus", str(corpus_dir)])
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["error", "error"]
    assert listed.exit_code == 2 and "0 saved, 0 duplicates, 2 errors" in listed.stderr


def test_batch_path_is_no_source_id(add_client: FlaskClient) -> None:
    """/api/sources/batch is the batch route alone: no other method is allowed there, and no new source gets the
    id 'batch' (a headline "Batch" is named batch-2)."""
    assert set(add_client.options("/api/sources/batch").headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert add_client.patch("/api/sources/batch", json={"outlet": "X"}).status_code == 405
    saved = add_client.post("/api/sources", json={"story": "bridges", "outlet": "Gazette", "title": "Batch",
                                            "text": article(1)})
    assert saved.get_json()["id"] == "batch-2"
    assert add_client.patch("/api/sources/rt", json={"outlet": "RT"}).status_code == 200
