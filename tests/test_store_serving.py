"""App servers reading one PostgreSQL store (PARALLAX_DATABASE_URL): a change made through one is served by the other
within a second (changes through the web: tests/test_store_web_writes.py for sources, test_store_notes.py,
test_store_watches.py, test_store_alerts.py and test_store_outlets.py for the rest)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.stores import db_apps_fixture, pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)

NEW = """---
id: wire-copy
story: kim-putin-2023
outlet: The Wire
published: 2023-09-13
---
Kim Jong Un's armoured train crossed into Russia on Tuesday, the wire reported from Vladivostok this morning.
"""


def _sources(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/index.json").get_json()  # type: ignore[no-any-return]


@pytest.mark.slow
def test_both_servers_serve_the_stores_corpus(db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    for app in (one, two):
        answer = app.test_client().get("/sources/rt.json")
        assert answer.status_code == 200 and answer.get_json()["source"]["outlet"] == "RT"
        assert app.test_client().get("/compare/rt/press-tv").status_code == 200
    assert _sources(one) == _sources(two)


def test_a_change_through_one_server_is_served_by_the_other_within_a_second(
        db_apps: tuple[Flask, Flask]) -> None:
    one, two = db_apps
    assert two.test_client().get("/sources/wire-copy.json").status_code == 404
    store = one.extensions["parallax.corpus"].store  # the first server's own connection to the store
    store.put_file("kim-putin-2023/wire-copy.txt", NEW.encode())
    started = time.monotonic()
    while two.test_client().get("/sources/wire-copy.json").status_code != 200:
        assert time.monotonic() - started < 1.0, "the second server did not serve the new source within 1 s"
        time.sleep(0.02)
    edited = NEW.replace("The Wire", "The Other Wire")
    store.put_file("kim-putin-2023/wire-copy.txt", edited.encode())
    started = time.monotonic()
    while two.test_client().get("/sources/wire-copy.json").get_json()["source"]["outlet"] != "The Other Wire":
        assert time.monotonic() - started < 1.0, "the second server did not serve the edit within 1 s"
        time.sleep(0.02)



def test_an_acknowledged_edit_is_served_by_the_other_servers_next_request(db_apps: tuple[Flask, Flask]) -> None:
    """Read your writes across servers: once one server acknowledged an edit, the very next request to another
    server that had the page in memory serves the edited page, with no wait."""
    one, two = db_apps
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"  # read, kept in memory
    for n in range(5):
        edited = one.test_client().patch("/api/sources/rt", json={"outlet": f"RT edit {n}"})
        assert edited.status_code == 200, edited.get_json()
        assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == f"RT edit {n}"
        assert one.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == f"RT edit {n}"


def test_a_write_not_yet_committed_is_never_served_to_another_thread(db_apps: tuple[Flask, Flask]) -> None:
    """A writer that reads the corpus inside its own open change sees its write; another thread of the same server
    meanwhile serves the corpus as committed, and after a rollback nobody serves the write."""
    import threading

    one, _two = db_apps
    corpus = one.extensions["parallax.corpus"]
    seen: list[str] = []
    with pytest.raises(RuntimeError), corpus.place.lock():
        corpus.place.replace("kim-putin-2023/rt.txt", corpus.place.read("kim-putin-2023/rt.txt").replace(
            b"outlet: RT", b"outlet: Never Committed"))
        assert corpus.current().get("rt").outlet == "Never Committed"  # the writer sees its own write
        reader = threading.Thread(target=lambda: seen.append(corpus.get().get("rt").outlet))
        reader.start()
        reader.join(30)
        raise RuntimeError("roll the change back")
    assert seen == ["RT"]
    assert corpus.get().get("rt").outlet == "RT"
    assert one.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"


def _counted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Count what a server's corpus re-reads: each file parsed, each full build (a listing of every file)."""
    corpus = app.extensions["parallax.corpus"]
    calls: dict[str, list[str]] = {"parsed": [], "rebuilt": []}
    parse, rebuild = corpus._parse, corpus._rebuild

    def counted_parse(path: str, raw: bytes) -> Any:
        calls["parsed"].append(path)
        return parse(path, raw)

    def counted_rebuild(*args: Any) -> Any:
        calls["rebuilt"].append("all")
        return rebuild(*args)

    monkeypatch.setattr(corpus, "_parse", counted_parse)
    monkeypatch.setattr(corpus, "_rebuild", counted_rebuild)
    return calls


def test_a_change_costs_another_server_a_read_of_the_changed_file_only(db_apps: tuple[Flask, Flask],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The other server reads the paths each write noted and re-reads just those files: an added source, an edit
    and a removal are each served at its next request without listing every file of the store or parsing any
    other; the removal of a whole story folder is read by listing every file."""
    one, two = db_apps
    client = two.test_client()
    assert client.get("/sources/rt.json").status_code == 200  # the corpus read once
    calls = _counted(two, monkeypatch)
    store = one.extensions["parallax.corpus"].store
    store.put_file("kim-putin-2023/wire-copy.txt", NEW.encode())
    assert client.get("/sources/wire-copy.json").get_json()["source"]["outlet"] == "The Wire"
    store.put_file("kim-putin-2023/wire-copy.txt", NEW.replace("The Wire", "The Other Wire").encode())
    assert client.get("/sources/wire-copy.json").get_json()["source"]["outlet"] == "The Other Wire"
    assert calls == {"parsed": ["kim-putin-2023/wire-copy.txt"] * 2, "rebuilt": []}
    def story_sources() -> list[str]:
        return [source["id"] for source in client.get("/stories/kim-putin-2023.json").get_json()["sources"]]

    assert "wire-copy" in story_sources() and client.get("/sources/rt.json").status_code == 200
    store.remove_files("kim-putin-2023/wire-copy.txt")
    assert client.get("/sources/wire-copy.json").status_code == 404
    assert "wire-copy" not in story_sources() and "rt" in story_sources()
    assert calls["rebuilt"] == [] and len(calls["parsed"]) == 2
    store.put_file("other-story/wire-copy.txt", NEW.replace("kim-putin-2023", "other-story").encode())
    assert client.get("/sources/wire-copy.json").status_code == 200
    store.remove_files("other-story", folder=True)
    assert client.get("/sources/wire-copy.json").status_code == 404
    assert calls["rebuilt"] == ["all"]
    assert _sources(one) == _sources(two)


def test_a_server_behind_the_kept_changes_lists_every_file(db_apps: tuple[Flask, Flask],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that last read the store before the oldest change the store still keeps cannot tell what changed
    from the log: it lists every file's time, and serves every change."""
    from parallax.store import postgres

    one, two = db_apps
    assert two.test_client().get("/sources/rt.json").status_code == 200
    monkeypatch.setattr(postgres, "KEEP_CHANGES", 2)
    monkeypatch.setattr(postgres, "PRUNE_EVERY", 1)
    calls = _counted(two, monkeypatch)
    store = one.extensions["parallax.corpus"].store
    for n in range(4):
        store.put_file(f"kim-putin-2023/wire-{n}.txt", NEW.replace("wire-copy", f"wire-{n}").encode())
    for n in range(4):
        assert two.test_client().get(f"/sources/wire-{n}.json").status_code == 200
    assert calls["rebuilt"] == ["all"] and sorted(calls["parsed"]) == [f"kim-putin-2023/wire-{n}.txt"
                                                                       for n in range(4)]


def test_a_write_that_noted_no_paths_is_read_by_listing_every_file(db_apps: tuple[Flask, Flask]) -> None:
    """A server of an earlier Parallax on the same store moves the generation without noting what it changed: the
    others then list every file's time rather than take the write for an empty one."""
    one, two = db_apps
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
    conn = one.extensions["parallax.corpus"].store.conn
    with conn.transaction():
        raw = conn.execute("SELECT raw FROM files WHERE path = 'kim-putin-2023/rt.txt'").fetchone()["raw"]
        conn.execute("UPDATE files SET raw = %s, mtime_ns = mtime_ns + 1 WHERE path = 'kim-putin-2023/rt.txt'",
                     (bytes(raw).replace(b"outlet: RT", b"outlet: RT unnoted"),))
        conn.execute("UPDATE px_meta SET v = (v::bigint + 1)::text WHERE k = 'generation'")
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT unnoted"


def test_a_rolled_back_read_is_not_taken_for_the_number_another_write_commits(db_apps: tuple[Flask, Flask],
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer reads its own write inside its change, which then rolls back; another server's write commits the
    same generation number. Even before the writer's server is told of the rollback, it serves the committed state:
    the rolled-back edit gone, the other write there."""
    one, two = db_apps
    corpus = one.extensions["parallax.corpus"]
    assert corpus.get().get("rt").outlet == "RT"
    monkeypatch.setattr(corpus.place, "forget", lambda: None)  # the rollback's notice, held back
    with pytest.raises(RuntimeError), corpus.place.lock():
        corpus.place.replace("kim-putin-2023/rt.txt", corpus.place.read("kim-putin-2023/rt.txt").replace(
            b"outlet: RT", b"outlet: Never Committed"))
        assert corpus.current().get("rt").outlet == "Never Committed"
        raise RuntimeError("roll the change back")
    two.extensions["parallax.corpus"].store.put_file("kim-putin-2023/wire-copy.txt", NEW.encode())
    served = corpus.get()
    assert served.get("rt").outlet == "RT" and served.get("wire-copy") is not None


#: What gunicorn's master runs once with preload_app, on a server reading PostgreSQL.
PRELOAD = """
import json, threading
from parallax.config import load_settings
from parallax.serve import ParallaxServer, gunicorn_options
server = ParallaxServer(gunicorn_options(load_settings()))
corpus = server.wsgi().extensions["parallax.corpus"]
print(json.dumps({"threads": [t.name for t in threading.enumerate()], "read": len(corpus._read[1].sources),
                  "generation": corpus._read[0], "connection": getattr(corpus.store._local, "conn", None) is not None}))
"""


def test_the_master_reads_the_store_once_before_forking(db_apps: tuple[Flask, Flask], pg_url: str,
                                                        tmp_path: Path) -> None:
    """The team server's master reads the store's corpus once before its workers fork (they share it, and none
    reads every file at its first request), and closes its connection (none is used on both sides of a fork)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "master").mkdir()
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(tmp_path / "master"), "PARALLAX_DATABASE_URL": pg_url,
           "PARALLAX_FRONT": "none", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", PRELOAD], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["threads"] == ["MainThread"] and found["connection"] is False
    assert found["read"] == _sources(db_apps[0])["source_count"] > 0 and found["generation"]


def test_a_story_file_edit_and_a_move_are_read_from_the_changed_paths(db_apps: tuple[Flask, Flask],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A story's story.yaml edited, and a source moved to another story (its old path gone, its new one written),
    are served by the other server from the paths the writes noted, with no listing of every file."""
    one, two = db_apps
    client = two.test_client()
    assert client.get("/stories/kim-putin-2023.json").status_code == 200
    calls = _counted(two, monkeypatch)
    place = one.extensions["parallax.corpus"].place
    story = place.read("kim-putin-2023/story.yaml").replace(b"title: Kim Jong Un's train", b"title: Renamed train")
    with place.lock():
        place.replace("kim-putin-2023/story.yaml", story)
    assert client.get("/stories/kim-putin-2023.json").get_json()["story"]["title"].startswith("Renamed train")
    moving = one.test_client().patch("/api/sources/rt", json={"story": "elsewhere"})  # written to elsewhere/
    assert moving.status_code == 200, moving.get_json()
    moved = client.get("/sources/rt.json").get_json()["source"]
    left = [source["id"] for source in client.get("/stories/kim-putin-2023.json").get_json()["sources"]]
    assert moved["story"] == "elsewhere" and "rt" not in left and "press-tv" in left
    assert calls["rebuilt"] == [] and set(calls["parsed"]) == {  # the move wrote the new story's story.yaml too
        "kim-putin-2023/story.yaml", "elsewhere/rt.txt", "elsewhere/story.yaml"}


def test_a_stored_file_that_stops_loading_keeps_serving_its_last_good_version(db_apps: tuple[Flask, Flask]) -> None:
    """As with the file corpus: a source rewritten with bytes that do not load is still served as it last loaded,
    with a problem saying so, by every server that had read it; once it loads again, the new version is served."""
    one, two = db_apps
    client = two.test_client()
    assert client.get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
    store = one.extensions["parallax.corpus"].store
    raw = bytes(store.conn.execute("SELECT raw FROM files WHERE path = 'kim-putin-2023/rt.txt'").fetchone()["raw"])
    store.put_file("kim-putin-2023/rt.txt", raw[:40])  # the front matter is not closed
    assert client.get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
    assert client.get("/compare/rt/press-tv.json").status_code == 200
    problem = next(p for p in client.get("/index.json").get_json()["problems"] if p["path"].endswith("/rt.txt"))
    assert "last loaded" in problem["reason"]
    store.put_file("kim-putin-2023/rt.txt", raw.replace(b"outlet: RT", b"outlet: RT rewritten"))
    assert client.get("/sources/rt.json").get_json()["source"]["outlet"] == "RT rewritten"
    assert not [p for p in client.get("/index.json").get_json()["problems"] if p["path"].endswith("/rt.txt")]


def _rt(store: Any) -> bytes:
    return bytes(store.conn.execute("SELECT raw FROM files WHERE path = 'kim-putin-2023/rt.txt'").fetchone()["raw"])


def _rt_problem(client: Any) -> list[str]:
    return [p["reason"] for p in client.get("/index.json").get_json()["problems"]
            if p["path"] == "kim-putin-2023/rt.txt"]


def test_a_removed_source_written_again_broken_is_not_brought_back(db_apps: tuple[Flask, Flask]) -> None:
    """A source removed, then its path written with bytes that do not load: nothing of the removed version is
    served, and the problem does not claim a version is shown."""
    one, two = db_apps
    client = two.test_client()
    assert client.get("/sources/rt.json").status_code == 200
    store = one.extensions["parallax.corpus"].store
    raw = _rt(store)
    store.remove_files("kim-putin-2023/rt.txt")
    assert client.get("/sources/rt.json").status_code == 404
    store.put_file("kim-putin-2023/rt.txt", raw[:40])
    assert client.get("/sources/rt.json").status_code == 404
    reasons = _rt_problem(client)
    assert reasons and not any("last loaded" in reason for reason in reasons)


def test_the_last_good_version_is_the_last_committed_one_read_under_the_lock(db_apps: tuple[Flask, Flask]) -> None:
    """A server that read another server's edit while holding the write lock (as every change does first) serves
    that edit, not the version before it, once the file stops loading."""
    one, two = db_apps
    corpus = one.extensions["parallax.corpus"]
    assert corpus.get().get("rt").outlet == "RT"
    other = two.extensions["parallax.corpus"].store
    raw = _rt(other)
    other.put_file("kim-putin-2023/rt.txt", raw.replace(b"outlet: RT", b"outlet: RT v2"))
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT v2"
    with corpus.place.lock():
        assert corpus.current().get("rt").outlet == "RT v2"
    other.put_file("kim-putin-2023/rt.txt", raw[:40])
    assert one.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT v2"
    assert two.test_client().get("/sources/rt.json").get_json()["source"]["outlet"] == "RT v2"


def test_an_id_stays_with_its_file_while_that_file_does_not_load(db_apps: tuple[Flask, Flask]) -> None:
    """A second file claiming a taken id is refused; when the holder then stops loading, the id stays with it (its
    last good version served), and the second file is still refused, as in the file corpus."""
    one, two = db_apps
    client = two.test_client()
    store = one.extensions["parallax.corpus"].store
    raw = _rt(store)
    store.put_file("elsewhere/rt.txt", raw.replace(b"outlet: RT", b"outlet: Impostor").replace(
        b"story: kim-putin-2023", b"story: elsewhere"))  # named after the id too: only the holder's claim decides
    assert client.get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
    store.put_file("kim-putin-2023/rt.txt", raw[:40])
    assert client.get("/sources/rt.json").get_json()["source"]["outlet"] == "RT"
    problems = {p["path"]: p["reason"] for p in client.get("/index.json").get_json()["problems"]}
    assert "duplicate id 'rt'" in problems["elsewhere/rt.txt"]
    assert "last loaded" in problems["kim-putin-2023/rt.txt"]
