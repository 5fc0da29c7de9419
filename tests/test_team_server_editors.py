"""Editors at once on the real team server: 8 threads drive mixed adds, edits, moves, removals and restores of 20
sources through ``python -m parallax.serve`` (nginx in front of 2 gunicorn workers × 4 threads, as ``make serve``
runs; gunicorn alone when nginx is not installed) for a bounded time, then the corpus on disk is checked.

Every source must be in exactly one place (a story folder or one complete trash entry), every acknowledged change
must be in the final state unless a later acknowledged change replaced it, no refused change may show anywhere,
nothing may be left in the trash that no entry names, and both workers must answer as the disk says.

``EDITORS_AT_ONCE_SECONDS`` sets how long the editors run (default 20; 60 for the full soak).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from parallax.corpus import load_corpus
from parallax.serve import nginx_binary
from parallax.sources import manage
from tests.test_slow_clients import team_server

SECONDS = float(os.environ.get("EDITORS_AT_ONCE_SECONDS", "20"))
THREADS = 8
SOURCES = 20
MAX_SOURCES = 40  # adds stop once the pool is this large
STORIES = ("desk-a", "desk-b", "desk-c")
TOKEN = secrets.token_urlsafe(32)
#: Statuses each operation may answer; anything else (a 500 above all) fails the test.
ALLOWED = {"edit": {200, 404, 409}, "move": {200, 404}, "remove": {200, 404}, "restore": {200, 404},
           "add": {201}, "check": {200}}


@dataclass
class Op:
    """One request and what it answered, with when it was sent and answered."""

    kind: str
    source: str
    value: str
    started: float
    ended: float = 0.0
    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


class Editors:
    """The shared pool of source ids, what each thread did, and the requests."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lock = threading.Lock()
        self.pool = [f"s{n:02d}" for n in range(1, SOURCES + 1)]
        self.trashed: dict[str, str] = {}  # id -> restore URL of its latest removal
        self.ops: list[Op] = []

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """One JSON request; its status and JSON body."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {TOKEN}", **({"Content-Type": "application/json"} if data else {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"{}")
            except ValueError:
                return error.code, {"raw": raw[:300].decode("utf-8", "replace")}

    def run(self, op: Op, method: str, path: str, payload: dict[str, Any] | None = None) -> Op:
        """Send an operation's request and record it."""
        op.status, op.body = self.call(method, path, payload)
        op.ended = time.monotonic()
        with self.lock:
            self.ops.append(op)
        return op

    def step(self, rng: random.Random, name: str, n: int) -> None:
        """One random operation on a random source of the pool."""
        with self.lock:
            source = rng.choice(self.pool)
            restore = self.trashed.get(source)
            pool_size = len(self.pool)
        roll = rng.random()
        if roll < 0.35:
            value = f"Outlet {name}-{n}"
            payload: dict[str, Any] = {"outlet": value}
            if rng.random() < 0.5:
                status, form = self.call("GET", f"/sources/{source}/edit.json")
                if status == 200:
                    payload["digest"] = form["digest"]
            self.run(Op("edit", source, value, time.monotonic()), "PATCH", f"/api/sources/{source}", payload)
        elif roll < 0.5:
            story = rng.choice(STORIES)
            self.run(Op("move", source, story, time.monotonic()), "PATCH", f"/api/sources/{source}", {"story": story})
        elif roll < 0.65:
            op = self.run(Op("remove", source, "", time.monotonic()), "DELETE", f"/api/sources/{source}")
            if op.status == 200:
                with self.lock:
                    self.trashed[source] = op.body["restore"]
        elif roll < 0.85:
            if restore is not None:
                self.run(Op("restore", source, restore, time.monotonic()), "POST", restore, {})
        elif pool_size < MAX_SOURCES:
            title = f"Added by {name} number {n}"
            text = f"{title}: a new article about the harbour, written {secrets.token_hex(8)} at the desk.\n"
            op = self.run(Op("add", "", title, time.monotonic()), "POST", "/api/sources",
                          {"text": text, "story": rng.choice(STORIES), "outlet": f"Outlet {name}-{n}",
                           "title": title})
            if op.status == 201:
                new_id = op.body["id"]
                op.source = new_id
                check = Op("check", new_id, "", time.monotonic())  # listed at once, whichever worker answers
                self.run(check, "GET", f"/sources/{new_id}.json")
                with self.lock:
                    self.pool.append(new_id)

    def drive(self, seconds: float) -> None:
        """THREADS editors at once until the time is up."""
        deadline = time.monotonic() + seconds

        def editor(number: int) -> None:
            rng = random.Random(number)  # noqa: S311 - test data, not secrets
            n = 0
            while time.monotonic() < deadline:
                n += 1
                self.step(rng, f"t{number}", n)

        threads = [threading.Thread(target=editor, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)


def seed(corpus_dir: Path) -> None:
    """Twenty small sources in the first story, the other stories present."""
    for story in STORIES:
        (corpus_dir / story).mkdir()
        (corpus_dir / story / "story.yaml").write_text(f"slug: {story}\ntitle: {story}\n", encoding="utf-8")
    for n in range(1, SOURCES + 1):
        (corpus_dir / STORIES[0] / f"s{n:02d}.txt").write_text(
            f"---\nid: s{n:02d}\nstory: {STORIES[0]}\noutlet: Seed {n}\n---\n"
            f"Seed article number {n} about the harbour bridge, its {n} spans and the council vote.\n",
            encoding="utf-8")


def final_places(corpus_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Where each source is on disk: ('corpus', story) or ('trash', trash id), with its outlet."""
    places: dict[str, list[tuple[str, str]]] = {}
    for source in load_corpus(corpus_dir).sources.values():
        places.setdefault(source.id, []).append(("corpus", source.story))
    for folder in sorted((corpus_dir / manage.TRASH).iterdir()) if (corpus_dir / manage.TRASH).is_dir() else []:
        entry = json.loads((folder / manage.ENTRY_FILE).read_text("utf-8"))
        places.setdefault(entry["source_id"], []).append(("trash", folder.name))
    return places


def outlet_of(corpus_dir: Path, source_id: str, place: tuple[str, str]) -> str:
    """The outlet written in a source's file, wherever it is."""
    where, name = place
    path = (corpus_dir / name / f"{source_id}.txt") if where == "corpus" else (
        corpus_dir / manage.TRASH / name / f"{source_id}.txt")
    line = next(line for line in path.read_text("utf-8").splitlines() if line.startswith("outlet:"))
    return line.split(":", 1)[1].strip().strip("'\"")


def last_ones(ops: list[Op]) -> list[Op]:
    """The acknowledged operations that may have been applied last: none acknowledged later began after them."""
    return [op for op in ops if not any(other.started > op.ended for other in ops if other is not op)]


@pytest.mark.slow
def test_editors_at_once_on_the_team_server_lose_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    seed(corpus_dir)
    front = "nginx" if nginx_binary() is not None else "none"
    with team_server(corpus_dir, tmp_path, front, PARALLAX_EDITOR_TOKEN=TOKEN,
                     PARALLAX_SEARCH_BUILD_ON_START="false") as (base, log):
        editors = Editors(base)
        editors.drive(SECONDS)
        answers = {path: [editors.call("GET", path)[0] for _ in range(6)]  # several requests: both workers
                   for path in [f"/sources/{i}.json" for i in editors.pool]}
        trash_listed = {e["trash_id"] for e in editors.call("GET", "/trash.json")[1]["entries"]}
    ops = editors.ops
    print(f"{len(ops)} requests in {SECONDS:.0f} s: " + ", ".join(
        f"{kind} {sum(o.kind == kind for o in ops)} ({sum(o.kind == kind and o.acknowledged for o in ops)} ok)"
        for kind in ALLOWED))
    bad = [(o.kind, o.source, o.status, o.body) for o in ops if o.status not in ALLOWED[o.kind]]
    said = [line for line in log.read_text().splitlines() if bad and bad[0][1] and bad[0][1] in line]
    assert not bad, (bad[:5], said[:20])
    assert sum(o.acknowledged for o in ops) > 100, "too few changes to say anything"
    text = log.read_text()
    assert "Traceback" not in text, text[max(0, text.find("Traceback") - 500):text.find("Traceback") + 3000]

    places = final_places(corpus_dir)
    for source_id in editors.pool:
        where = places.get(source_id, [])
        assert len(where) == 1, (source_id, where)  # in exactly one place: never both, never lost
        place = where[0]
        mine = [o for o in ops if o.source == source_id]
        # The outlet: the value of an acknowledged edit that nothing acknowledged began after; no refused value.
        edits = [o for o in mine if o.kind == "edit" and o.acknowledged]
        outlet = outlet_of(corpus_dir, source_id, place)
        if edits:
            assert outlet in {o.value for o in last_ones(edits)}, (source_id, outlet)
        refused = {o.value for o in mine if o.kind == "edit" and not o.acknowledged} - {o.value for o in edits}
        assert outlet not in refused, (source_id, outlet)
        # The place: where an acknowledged move, removal or restore that nothing acknowledged began after left it.
        moves = [o for o in mine if o.kind in ("move", "remove", "restore") and o.acknowledged]
        if moves:
            allowed = {("trash", "") if o.kind == "remove" else ("corpus", o.value if o.kind == "move" else "")
                       for o in last_ones(moves)}  # a restore puts it back in whichever story it left
            assert any(kind == place[0] and (story in ("", place[1]) or kind == "trash") for kind, story in allowed), \
                (source_id, place, allowed)
        # Both workers answer as the disk says.
        expected = 200 if place[0] == "corpus" else 404
        assert answers[f"/sources/{source_id}.json"] == [expected] * 6, (source_id, place)
    trash = corpus_dir / manage.TRASH
    folders = sorted(p.name for p in trash.iterdir()) if trash.is_dir() else []
    complete = {e.trash_id for e in manage.list_trash(corpus_dir)}
    assert set(folders) == complete == trash_listed  # nothing in the trash that no entry names
    assert not list(corpus_dir.rglob(".*.tmp"))
