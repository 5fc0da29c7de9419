"""The thread that keeps a server's corpus store in step with its folder: in every process, ``follow`` tries to take
the lead (``CataloguedStore.leads_rescan``); in the leading process it keeps the watcher's process running
(``parallax.corpus_watcher``: the file-system watcher and the safety-net rescan), which publishes what it finds to
every process (see ``parallax.catalogue``). A store serving without watchers rescans for itself."""

from __future__ import annotations

import logging
import os
import subprocess  # nosec B404 - starts this package's own watcher module with this interpreter
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Protocol

from parallax.corpus_watcher import rescan_interval, watching_pid

log = logging.getLogger("parallax.catalogue")


class Follower(Protocol):
    """What ``follow`` keeps in step: a server's corpus store (``parallax.catalogue.CataloguedStore``)."""

    root: Path
    watch: bool
    watching: bool
    behind: bool
    rescan: float
    first_rescan: float
    full_rescan: float

    @property
    def holds_lead(self) -> bool: ...

    def leads_rescan(self) -> bool: ...

    def background_rescan(self) -> None: ...

#: How often a process that does not lead tries to take the lead (a free lock means the leader ended).
LEAD_POLL_SECONDS = 2.0
#: How long after the watcher process ended the leader starts it again.
WATCHER_RETRY_SECONDS = 30.0


def follow(ref: weakref.ref[Follower], stop: threading.Event) -> None:
    """Until the store is gone or stopped: try to take the lead every ``LEAD_POLL_SECONDS`` (``leads_rescan``).
    While leading a server with watchers, keep its watcher process running (``parallax.corpus_watcher``, started
    again ``WATCHER_RETRY_SECONDS`` after it ends), which watches and rescans. A store serving without watchers
    rescans for itself: ``first_rescan`` seconds after start, then every ``rescan`` seconds, or less often when a
    pass costs more than ``RESCAN_SHARE`` of a core over that time."""
    store = ref()
    if store is None:
        return
    started, last, spent = time.monotonic(), None, 0.0
    leading, watcher, retry = False, None, 0.0
    del store
    try:
        while True:
            store = ref()
            if store is None:
                return
            try:
                if not leading and store.leads_rescan():
                    leading = True
                if leading and store.watch and store.holds_lead:
                    watcher, retry = _keep_watching(store, watcher, retry)
                if store.behind:  # this process missed part of the change log: one pass over every file here
                    store.behind = False
                    store.background_rescan()
                # Without a watcher process (none configured, a read-only corpus, or it cannot start) the leader
                # rescans for itself.
                if leading and (watcher is None or not store.watch or not store.holds_lead):
                    interval = rescan_interval(max(store.rescan, 0.5), spent)
                    due = started + store.first_rescan if last is None else last + interval
                    if time.monotonic() >= due:
                        cpu = time.thread_time()
                        store.background_rescan()
                        last, spent = time.monotonic(), time.thread_time() - cpu
            except Exception:  # the safety net must not die with one bad pass
                log.exception("corpus rescan failed")
                last = time.monotonic()
            wait = min(LEAD_POLL_SECONDS, max(store.rescan, 0.5))
            if leading and store.watch and store.holds_lead and not store.watching:
                wait = min(wait, 0.2)  # the watcher is starting: note soon that it watches
            del store
            if stop.wait(wait):
                return
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.terminate()
            watcher.wait(10)


def _keep_watching(store: Follower, watcher: subprocess.Popen[bytes] | None,
                   retry: float) -> tuple[subprocess.Popen[bytes] | None, float]:
    """Start the watcher process when none runs (at most every ``WATCHER_RETRY_SECONDS``) and note in the store
    whether it watches; the process and when it may be started again."""
    if watcher is not None and watcher.poll() is not None:
        log.warning("the corpus watcher ended (exit status %s): started again in %.0f s", watcher.returncode,
                    WATCHER_RETRY_SECONDS)
        watcher, retry = None, time.monotonic() + WATCHER_RETRY_SECONDS
    if watcher is None and time.monotonic() >= retry:
        command = [sys.executable, "-m", "parallax.corpus_watcher", str(store.root), str(os.getpid()),
                   str(store.first_rescan), str(store.full_rescan)]
        watcher = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603  # nosec B603 - no shell, own module
    store.watching = watcher is not None and watching_pid(store.root) == watcher.pid
    return watcher, retry
