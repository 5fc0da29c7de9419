"""A full disk, a read-only corpus, a missing corpus folder: writes answer 507 or 503 naming the cause and leave
nothing behind, search says when its index cannot be used, health says when the corpus cannot be written.

The failures are made at the boundary where the operating system reports them: ``os.fsync`` raising ENOSPC (a
full disk is found when the data is flushed), and every call that creates, renames or links a file under the
corpus raising EROFS.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.app import create_app
from parallax.index.search import CorpusIndex, build_index
from parallax.sources import manage
from tests.conftest import ROOT, STORY

TEXT = "The harbour bridge opened on Monday after six years of building work, the city council said.\n"


def files(corpus_dir: Path) -> dict[str, bytes]:
    """Every file under the corpus but the app's own state folder, with its bytes."""
    return {p.relative_to(corpus_dir).as_posix(): p.read_bytes() for p in sorted(corpus_dir.rglob("*"))
            if p.is_file() and ".parallax" not in p.parts}


def folders(corpus_dir: Path) -> list[str]:
    """Every folder under the corpus but the app's own state folder."""
    return sorted(p.relative_to(corpus_dir).as_posix() for p in corpus_dir.rglob("*")
                  if p.is_dir() and ".parallax" not in p.parts)


def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flushing any file fails as on a full disk."""
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)


def read_only(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    """Creating, renaming, linking or removing anything under the corpus fails as on a read-only disk."""
    inside = str(corpus_dir.resolve())

    def guard(original: Callable[..., Any], writes: Callable[..., bool] = lambda *_a: True) -> Callable[..., Any]:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if os.path.abspath(os.fspath(path)).startswith(inside) and writes(*args):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))
            return original(path, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "open", guard(os.open, lambda flags, *_: bool(flags & (os.O_WRONLY | os.O_RDWR))))
    for name in ("mkdir", "rename", "replace", "link", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))


def fail(cause: str, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> int:
    """Make writes fail for ``cause``; the status a write must answer. (Tests read a page first: a server whose
    disk fills or turns read-only had been serving before.)"""
    if cause == "disk_full":
        disk_full(monkeypatch)
        return 507
    read_only(monkeypatch, corpus_dir)
    return 503


def assert_refused(response: Any, status: int, cause: str) -> None:
    """The answer names the cause in the error shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    data = response.get_json()
    assert data["ok"] is False and data["cause"] == cause
    assert ("full" if cause == "disk_full" else "read-only") in data["error"]


@pytest.mark.parametrize("cause", ["disk_full", "read_only"])
@pytest.mark.parametrize("story", [STORY, "a-new-story"])
def test_adding_on_a_failing_disk_names_the_cause_and_leaves_nothing(client: FlaskClient, corpus_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch, cause: str,
                                                                    story: str) -> None:
    assert client.get("/index.json").status_code == 200
    before, shape = files(corpus_dir), folders(corpus_dir)
    status = fail(cause, monkeypatch, corpus_dir)
    response = client.post("/api/sources", json={"text": TEXT, "story": story, "outlet": "Gazette",
                                              "title": "Harbour bridge opens"})
    assert_refused(response, status, cause)
    monkeypatch.undo()
    assert files(corpus_dir) == before and folders(corpus_dir) == shape
    assert client.get("/sources/harbour-bridge-opens.json").status_code == 404


@pytest.mark.parametrize("cause", ["disk_full", "read_only"])
def test_removing_on_a_failing_disk_names_the_cause_and_leaves_nothing(client: FlaskClient, corpus_dir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      cause: str) -> None:
    assert client.get("/index.json").status_code == 200
    before, shape = files(corpus_dir), folders(corpus_dir)
    status = fail(cause, monkeypatch, corpus_dir)
    assert_refused(client.delete("/api/sources/rt"), status, cause)
    monkeypatch.undo()
    assert files(corpus_dir) == before and folders(corpus_dir) == shape  # no empty trash folder
    assert client.get("/sources/rt.json").status_code == 200


@pytest.mark.parametrize("cause", ["disk_full", "read_only"])
@pytest.mark.parametrize("changes", [{"outlet": "RT edited"}, {"story": "adv-moved"}])
def test_editing_on_a_failing_disk_names_the_cause_not_404(client: FlaskClient, corpus_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch, cause: str,
                                                           changes: dict[str, str]) -> None:
    assert client.get("/index.json").status_code == 200
    before, shape = files(corpus_dir), folders(corpus_dir)
    status = fail(cause, monkeypatch, corpus_dir)
    assert_refused(client.patch("/api/sources/rt", json=changes), status, cause)
    monkeypatch.undo()
    assert files(corpus_dir) == before and folders(corpus_dir) == shape


@pytest.mark.parametrize("cause", ["disk_full", "read_only"])
def test_restoring_on_a_failing_disk_keeps_the_entry(client: FlaskClient, corpus_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch, cause: str) -> None:
    restore = client.delete("/api/sources/rt").get_json()["restore"]
    before = files(corpus_dir)
    if cause == "disk_full":  # linking the file back needs a directory block the full disk does not have
        monkeypatch.setattr(os, "link", _raise(errno.ENOSPC))
        status = 507
    else:
        status = fail(cause, monkeypatch, corpus_dir)
    assert_refused(client.post(restore, json={}), status, cause)
    monkeypatch.undo()
    assert files(corpus_dir) == before and [e.source_id for e in manage.list_trash(corpus_dir)] == ["rt"]


def _raise(code: int) -> Callable[..., Any]:
    """A function that fails with the OSError for ``code``."""
    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))
    return failing


def test_form_edit_on_a_full_disk_answers_507(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_manage import edit

    disk_full(monkeypatch)
    response = edit(client, "rt", outlet="RT edited")
    assert response.status_code == 507 and b"disk is full" in response.data


def test_search_says_its_index_cannot_be_used(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: Any) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(CorpusIndex, "_add", full)
    response = client.get("/search.json?q=Vladivostok")
    assert response.status_code == 503
    data = response.get_json()
    assert data["ok"] is False and "index" in data["error"] and "database or disk is full" in data["error"]
    page = client.get("/search?q=Vladivostok")
    assert page.status_code == 503 and b"database or disk is full" in page.data
    monkeypatch.undo()
    found = client.get("/search.json?q=Vladivostok")
    assert found.status_code == 200 and found.get_json()["count"] > 0


@pytest.mark.parametrize(("cause", "said"), [("disk_full", "disk is full"), ("read_only", "read-only")])
def test_health_reports_a_corpus_it_cannot_write(client: FlaskClient, corpus_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch, cause: str, said: str) -> None:
    assert client.get("/-/health.json").get_json()["corpus"]["writable"] is True
    fail(cause, monkeypatch, corpus_dir)
    data = client.get("/-/health.json").get_json()
    assert data["ok"] is False and data["corpus"]["readable"] is True and data["corpus"]["writable"] is False
    assert said in data["corpus"]["write_problem"]
    assert said in client.get("/-/health").get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/-/health.json").get_json()["ok"] is True


def test_app_refuses_a_missing_corpus_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    with pytest.raises(FileNotFoundError, match=r"mkdir -p .*no-corpus"):
        create_app({"CORPUS_DIR": str(missing)})
    assert not missing.exists()


def test_run_refuses_a_missing_corpus_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update({"PARALLAX_CORPUS_DIR": str(missing), "PARALLAX_PORT": "9", "HOME": str(tmp_path)})
    done = subprocess.run([sys.executable, "-m", "parallax.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode != 0 and f"mkdir -p {missing}" in done.stderr
    assert "Traceback" not in done.stderr and not missing.exists()


def test_index_build_never_creates_the_corpus_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    with pytest.raises(FileNotFoundError, match="mkdir -p"):
        build_index(missing)
    assert not missing.exists()


def test_corpus_removed_while_serving_is_not_made_again(app: Flask, corpus_dir: Path) -> None:
    import shutil

    shutil.rmtree(corpus_dir)
    client = app.test_client()
    assert client.get("/-/health.json").status_code == 503
    client.get("/search.json?q=Putin")
    assert not corpus_dir.exists()


def test_team_server_refuses_a_missing_corpus_folder_without_a_traceback(tmp_path: Path) -> None:
    """``make serve`` on a missing corpus says how to make one and exits 1 before any worker starts."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(tmp_path / "nowhere"), "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "parallax.serve"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "mkdir -p" in done.stderr and not (tmp_path / "nowhere").exists()
