"""The app's search index, opened beside its corpus on first use (an app that never searches writes nothing),
built in the background at a server's start, and kept in step with the corpus by the views that read it."""

from __future__ import annotations

import logging
import sqlite3
import threading

from flask import Flask, current_app
from flask.sansio.app import App

from parallax.index import search as engine
from parallax.index.search import CorpusIndex
from parallax.web.render import corpus

log = logging.getLogger("parallax.web")

#: Sources a reading page (a source, a lineage) brings into the index itself: one just added, not a corpus's worth.
PAGE_SYNC_MOST = 20


class LazyIndex:
    """The app's index, opened beside its corpus on first use (an app that never searches writes nothing)."""

    def __init__(self, corpus_dir: str, path: str | None) -> None:
        self.corpus_dir, self.path = corpus_dir, path
        self._opened: CorpusIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> CorpusIndex:
        """The open index (opened once, by whichever thread needs it first)."""
        with self._lock:
            if self._opened is None:
                self._opened = engine.open_index(self.corpus_dir, self.path)
            return self._opened


def attach(app: App) -> None:
    """Give the app its index beside its corpus (opened and brought up to date by the first use that needs it)."""
    app.extensions["parallax.index.search"] = LazyIndex(app.config["CORPUS_DIR"], app.config.get("SEARCH_DB") or None)


def start_index_build(app: Flask) -> threading.Thread | None:
    """Bring the index up to date in a background thread, so the first search does not wait for it.

    Server entry points call this once after building the app (unless SEARCH_BUILD_ON_START is off); apps built by
    tests do not, so nothing reads the corpus behind a test's back.
    """
    if not app.config.get("SEARCH_BUILD_ON_START", True):
        return None
    thread = threading.Thread(target=_warm, args=(app,), name="parallax-search-build", daemon=True)
    thread.start()
    return thread


def _warm(app: Flask) -> None:
    """Bring the index up to date once at start, so the first search does not pay for it."""
    try:
        app.extensions["parallax.index.search"].get().sync(app.extensions["parallax.corpus"].get())
    except Exception:  # a failed warm-up is retried by the first request that needs the index
        log.exception("building the search index at start failed")


def index(most: int | None = None) -> CorpusIndex:
    """The app's index, in step with the corpus as it stands now (only changed sources are re-indexed); with
    ``most`` (a reading page) only when at most that many sources differ, else as last committed: a page view never
    starts a corpus-wide build (the start-up build, ``parallax index`` and a search do).

    While another thread is updating it (the start-up build) and when it cannot be updated (disk full, locked past
    the timeout; logged), the index is used as last committed: a stale search is better than no page.
    """
    found: CorpusIndex = current_app.extensions["parallax.index.search"].get()
    try:
        lag = None if most is None else found.lag(corpus())
        if most is None or (lag is not None and lag <= most):
            found.sync(corpus(), wait=False)  # while another thread updates it, answer from what is committed
    except sqlite3.Error:
        log.exception("the search index could not be brought up to date; serving it as it stands")
    return found
