"""The threads that keep a server's corpus store in step with its folder: in every process, ``follow`` tries to take
the lead (``CataloguedStore.leads_rescan``); in the leading process it runs the file-system watcher (``watch``) and
the safety-net rescan, and both publish what they found to the other processes (see ``parallax.catalogue``)."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parallax.catalogue import CataloguedStore

log = logging.getLogger("parallax.catalogue")

#: How often a process that does not lead tries to take the lead (a free lock means the leader ended).
LEAD_POLL_SECONDS = 2.0
#: The most of one core the safety-net rescan may take, averaged over the time between passes: a pass that stats a
#: million files (about 25 s of CPU) runs every 40 minutes, not every 10.
RESCAN_SHARE = 0.01


def watch(ref: weakref.ref[CataloguedStore], root: Path, stop: threading.Event) -> None:
    """Re-read the files the file-system watcher reports and publish what changed, until the store is gone or
    stopped."""
    try:
        import watchfiles
    except ImportError:
        log.warning("watchfiles is not installed: corpus changes are noticed by the full rescan only")
        return
    try:
        for changes in watchfiles.watch(root, watch_filter=None, debounce=400, step=20, stop_event=stop,
                                        rust_timeout=1000, yield_on_timeout=True, raise_interrupt=False,
                                        ignore_permission_denied=True):
            store = ref()
            if store is None:
                return
            if not store.watching:  # the first report (or a second without one): the watches are in place
                store._watching(True)
            paths = {name for _, name in changes}
            if paths:
                with store._lock:
                    expanded = set()
                    for path in paths:
                        expanded |= store._folder_files(path) if os.path.isdir(path) else {path}
                    touched = store._apply(expanded)
                store._publish(touched)
            del store
    except Exception as error:  # inotify limits, a vanished folder: the safety-net rescan carries on
        log.warning("corpus watcher stopped (%s: %s): changes are noticed by the full rescan only",
                    type(error).__name__, error, exc_info=True)
    finally:
        live = ref()
        if live is not None:
            live._watching(False)


def follow(ref: weakref.ref[CataloguedStore], stop: threading.Event) -> None:
    """Until the store is gone or stopped: try to take the lead every ``LEAD_POLL_SECONDS`` (``leads_rescan``);
    while leading, run the watcher and the safety net: a full rescan ``first_rescan`` seconds after start (not
    competing with the first pages), then every ``full_rescan`` seconds (every ``rescan`` seconds while no watcher
    runs), or less often when a pass costs more than ``RESCAN_SHARE`` of a core over that time."""
    store = ref()
    if store is None:
        return
    started, last, spent = time.monotonic(), None, 0.0
    leading = False
    del store
    while True:
        store = ref()
        if store is None:
            return
        try:
            if not leading and store.leads_rescan():
                leading = True
                if store.watch:
                    store._start_watcher()
            if leading:
                interval = max(store.full_rescan if store.watching else max(store.rescan, 0.5), spent / RESCAN_SHARE)
                due = started + store.first_rescan if last is None else last + interval
                if time.monotonic() >= due:
                    cpu = time.thread_time()
                    store._background_rescan()
                    last, spent = time.monotonic(), time.thread_time() - cpu
        except Exception:  # the safety net must not die with one bad pass
            log.exception("corpus rescan failed")
            last = time.monotonic()
        wait = min(LEAD_POLL_SECONDS, max(store.rescan, 0.5))
        del store
        if stop.wait(wait):
            return
