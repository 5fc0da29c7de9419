"""Editors at once on two team server stacks sharing one PostgreSQL store, as two hosts would run them: each stack is
``python -m parallax.serve`` (nginx in front of 2 gunicorn workers × 4 threads when nginx is installed) with a corpus
folder of its own for its derived files and the same ``PARALLAX_DATABASE_URL``, the seed sources migrated into the
database once.

The 8 editors of tests/test_team_server_editors.py send each request to one of the two stacks at random for
``EDITORS_AT_ONCE_SECONDS`` (default 20). A change one stack acknowledged is then asked of the other stack until it is
served there: an added source must be found at once, an edited outlet or a moved story within ``FOLLOW_SECONDS``.
Afterwards the database's final state, written out by a third store, must hold every source in exactly one place,
every acknowledged change unless a later acknowledged change replaced it, no refused value, only named trash entries,
and every worker of both stacks must answer as the database says.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from parallax.serve import nginx_binary
from parallax.store.postgres import PostgresStore
from parallax.store.transfer import export, migrate
from tests.stores import pg_server_fixture, pg_url_fixture  # noqa: F401  (fixtures)
from tests.test_slow_clients import team_server
from tests.test_team_server_editors import (
    FOLLOW_SECONDS,
    SECONDS,
    TOKEN,
    Editors,
    Op,
    check_final_state,
    final_answers,
    write_desk_sources,
)

#: Edits made one at a time after the editors stop, each on one stack and followed on the other.
QUIET_EDITS = 10


def figures(seen: dict[str, list[float]]) -> str:
    """Median and maximum seconds, per kind of change, from one stack's acknowledgement to the other serving it."""
    return ", ".join(f"{kind} {len(times)}: median {statistics.median(times) * 1000:.0f} ms, "
                     f"max {max(times) * 1000:.0f} ms" for kind, times in sorted(seen.items()))


def quiet_edits(editors: Editors) -> list[float]:
    """Seconds until the other stack serves each of QUIET_EDITS edits made while nothing else writes: the other
    stack must see the change by looking at the database, not because a change of its own made it read again."""
    listed = [i for i in editors.pool if editors.call("GET", f"/sources/{i}.json", base=editors.bases[0])[0] == 200]
    before = len(editors.seen.get("edit", []))
    for n in range(QUIET_EDITS):
        source, base = listed[n % len(listed)], editors.bases[n % len(editors.bases)]
        op = editors.run(Op("edit", source, f"Quiet outlet {n}", time.monotonic()), "PATCH", f"/api/sources/{source}",
                         {"outlet": f"Quiet outlet {n}"}, base=base)
        assert op.status == 200, (op.status, op.body)
    return editors.seen.get("edit", [])[before:]


@pytest.mark.slow
def test_editors_on_two_stacks_sharing_one_database_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    seeded = tmp_path / "seed"
    seeded.mkdir()
    write_desk_sources(seeded)
    store = PostgresStore(pg_url)
    try:
        assert migrate(seeded, store).complete
    finally:
        store.close()
    front = "nginx" if nginx_binary() is not None else "none"
    with ExitStack() as stacks:
        def stack(home: Path) -> tuple[str, Path]:
            """One stack started (its base URL and log), stopped when the test leaves ``stacks``."""
            (home / "corpus").mkdir(parents=True)  # this stack's derived files only: the corpus is the database's
            return stacks.enter_context(team_server(
                home / "corpus", home, front, PARALLAX_DATABASE_URL=pg_url, PARALLAX_EDITOR_TOKEN=TOKEN,
                PARALLAX_SEARCH_BUILD_ON_START="false"))

        with ThreadPoolExecutor(2) as starting:  # both at once: each waits seconds for its workers
            started = list(starting.map(stack, [tmp_path / "host-a", tmp_path / "host-b"]))
        bases, logs = [base for base, _ in started], [log for _, log in started]
        editors = Editors(*bases)
        editors.drive(SECONDS)
        quiet = quiet_edits(editors)
        answers, listed = final_answers(editors)
    print("served by the other stack after:", figures(editors.seen), "; quiet:", figures({"edit": quiet}))
    final = tmp_path / "final"
    store = PostgresStore(pg_url)
    try:
        export(store, final)  # the database's final state as files, read by the same checks as a folder's
    finally:
        store.close()
    check_final_state(editors, final, answers, listed, logs)
    assert not editors.unseen, [(op.kind, op.source, op.value, status, body)
                                for op, status, body in editors.unseen[:5]]
    assert {"add", "edit", "move"} <= set(editors.seen), editors.seen  # every kind was seen across the stacks
    assert len(quiet) == QUIET_EDITS, editors.unseen
    for kind, times in editors.seen.items():
        assert max(times) < FOLLOW_SECONDS, (kind, figures(editors.seen))
