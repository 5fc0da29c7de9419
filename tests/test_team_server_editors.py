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

from parallax.corpus_store import load_corpus
from parallax.serve import nginx_binary
from parallax.sources import manage
from tests.test_slow_clients import team_server

SECONDS = float(os.environ.get("EDITORS_AT_ONCE_SECONDS", "20"))
THREADS = 8
SOURCES = 20
MAX_SOURCES = 40  # adds stop once the pool is this large
STORIES = ("desk-a", "desk-b", "desk-c")
TOKEN = secrets.token_urlsafe(32)
#: How long a change acknowledged by one server may take to be served by another before the test calls it lost.
FOLLOW_SECONDS = 10.0
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
    base: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


class Editors:
    """The shared pool of source ids, what each thread did, and the requests, each sent to one of the servers at
    random. With more than one server, a change one server acknowledged is followed on another until it is served
    there (``seen``: seconds from the acknowledgement, by kind of change; ``unseen``: changes never served there)."""

    def __init__(self, *bases: str) -> None:
        self.bases = bases
        self.lock = threading.Lock()
        self.pool = [f"s{n:02d}" for n in range(1, SOURCES + 1)]
        self.trashed: dict[str, str] = {}  # id -> restore URL of its latest removal
        self.ops: list[Op] = []
        self.seen: dict[str, list[float]] = {}
        self.unseen: list[tuple[Op, int, dict[str, Any]]] = []

    def other(self, base: str) -> str:
        """Another server than ``base`` (the same one when there is only one)."""
        return random.choice([b for b in self.bases if b != base] or [base])  # noqa: S311 - test data

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None,
             base: str = "") -> tuple[int, dict[str, Any]]:
        """One JSON request to ``base`` (a server at random when not given); its status and JSON body."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request((base or random.choice(self.bases)) + path,  # noqa: S311 - test data
                                         data=data, method=method, headers={
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

    def run(self, op: Op, method: str, path: str, payload: dict[str, Any] | None = None, base: str = "") -> Op:
        """Send an operation's request (to ``base``, else a server at random) and record it."""
        op.base = base or random.choice(self.bases)  # noqa: S311 - test data
        op.status, op.body = self.call(method, path, payload, op.base)
        op.ended = time.monotonic()
        with self.lock:
            self.ops.append(op)
        if op.acknowledged and op.kind in ("edit", "move") and len(self.bases) > 1:
            self.follow(op)
        return op

    def overtaken(self, op: Op) -> bool:
        """Whether another acknowledged change to the same source may have been applied after ``op``."""
        with self.lock:
            return any(other is not op and other.source == op.source and other.acknowledged and other.ended > op.started
                       and other.kind in ("edit", "move", "remove", "restore") for other in self.ops)

    def follow(self, op: Op) -> None:
        """Ask another server for the source until it serves the change (or a later change overtook it)."""
        field_name = "outlet" if op.kind == "edit" else "story"
        elsewhere = self.other(op.base)
        status, body = 0, dict[str, Any]()
        while time.monotonic() - op.ended < FOLLOW_SECONDS:
            status, body = self.call("GET", f"/sources/{op.source}.json", base=elsewhere)
            if status == 200 and body["source"][field_name] == op.value:
                with self.lock:
                    self.seen.setdefault(op.kind, []).append(time.monotonic() - op.ended)
                return
            if status not in (200, 404) or self.overtaken(op):
                break
            time.sleep(0.01)  # polling another process: there is no event to wait on
        if status not in (200, 404) or not self.overtaken(op):
            with self.lock:
                self.unseen.append((op, status, body))

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
                self.run(check, "GET", f"/sources/{new_id}.json", base=self.other(op.base))
                with self.lock:
                    self.pool.append(new_id)
                    if check.status == 200:
                        self.seen.setdefault("add", []).append(check.ended - op.ended)

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


def write_desk_sources(corpus_dir: Path) -> None:
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


def served(status: int, body: dict[str, Any]) -> tuple[int, str, str]:
    """A source page's status with the outlet and story it names."""
    source = body.get("source", {}) if status == 200 else {}
    return status, str(source.get("outlet", "")), str(source.get("story", ""))


def final_answers(editors: Editors) -> tuple[dict[str, list[tuple[int, str, str]]], dict[str, set[str]]]:
    """What every server answers for each source of the pool (six requests each, so every worker answers) and the
    trash entries each lists."""
    answers = {source_id: [served(*editors.call("GET", f"/sources/{source_id}.json", base=base))
                           for base in editors.bases for _ in range(6)] for source_id in editors.pool}
    listed = {base: {e["trash_id"] for e in editors.call("GET", "/trash.json", base=base)[1]["entries"]}
              for base in editors.bases}
    return answers, listed


def check_final_state(editors: Editors, corpus_dir: Path, answers: dict[str, list[tuple[int, str, str]]],
                      listed: dict[str, set[str]], logs: list[Path]) -> None:
    """Every source in one place, no acknowledged change lost, no refused one shown, the trash holding only named
    entries, and every server answering as ``corpus_dir`` (the final state) says."""
    ops = editors.ops
    print(f"{len(ops)} requests in {SECONDS:.0f} s: " + ", ".join(
        f"{kind} {sum(o.kind == kind for o in ops)} ({sum(o.kind == kind and o.acknowledged for o in ops)} ok)"
        for kind in ALLOWED))
    texts = [log.read_text() for log in logs]
    bad = [(o.kind, o.source, o.status, o.body, o.base) for o in ops if o.status not in ALLOWED[o.kind]]
    said = [line for text in texts for line in text.splitlines() if bad and bad[0][1] and bad[0][1] in line]
    assert not bad, (bad[:5], said[:20])
    assert sum(o.acknowledged for o in ops) > 100, "too few changes to say anything"
    for text in texts:
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
        # Every server, each of its workers, answers as the final state says: listed with its outlet and story, or
        # not found once in the trash.
        expected = (200, outlet, place[1]) if place[0] == "corpus" else (404, "", "")
        assert answers[source_id] == [expected] * len(answers[source_id]), (source_id, place, outlet)
    trash = corpus_dir / manage.TRASH
    folders = sorted(p.name for p in trash.iterdir()) if trash.is_dir() else []
    complete = {e.trash_id for e in manage.list_trash(corpus_dir)}
    assert set(folders) == complete  # nothing in the trash that no entry names
    assert all(entries == complete for entries in listed.values()), (complete, listed)


@pytest.mark.slow
def test_editors_at_once_on_the_team_server_lose_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    write_desk_sources(corpus_dir)
    front = "nginx" if nginx_binary() is not None else "none"
    with team_server(corpus_dir, tmp_path, front, PARALLAX_EDITOR_TOKEN=TOKEN,
                     PARALLAX_SEARCH_BUILD_ON_START="false") as (base, log):
        editors = Editors(base)
        editors.drive(SECONDS)
        answers, listed = final_answers(editors)
    check_final_state(editors, corpus_dir, answers, listed, [log])
    assert not list(corpus_dir.rglob(".*.tmp"))
