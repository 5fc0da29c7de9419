"""Operations: health, OpenAPI description, request logging, and serving under a URL prefix."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from cachetools import LRUCache
from flask import Blueprint, Response, abort, current_app, g, jsonify, request, session

from parallax.cache import answers, backend_name
from parallax.logs import logfmt
from parallax.sources import storage
from parallax.web import openapi
from parallax.web.render import corpus, page, respond

bp = Blueprint("ops", __name__)
access_log = logging.getLogger("parallax.access")

OUTSIDE_PREFIX = "parallax.outside_prefix"
CACHEABLE = frozenset({"pages.index", "pages.index_json", "pages.source", "pages.source_json",
                       "pages.compare_view", "pages.compare_view_json"})
PAGE_TOKENS = "parallax.page_tokens"  # app.extensions list of callables whose values cached pages depend on
MAX_CACHED_PAGE = 2_000_000  # bytes; bigger pages are rendered each time
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PrefixMiddleware:
    """Serve the app under ``prefix`` without a proxy: move the prefix from PATH_INFO to SCRIPT_NAME."""

    def __init__(self, app: WSGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = "/" + prefix.strip("/")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Route ``<prefix>/...`` to the app; anything else is flagged so the app answers 404."""
        path: str = environ.get("PATH_INFO", "")
        script: str = environ.get("SCRIPT_NAME", "").rstrip("/")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ["PATH_INFO"] = path[len(self.prefix):] or "/"
            if not script.endswith(self.prefix):
                environ["SCRIPT_NAME"] = script + self.prefix
        elif not script.endswith(self.prefix):
            environ[OUTSIDE_PREFIX] = True
        return self.app(environ, start_response)


@bp.before_app_request
def _start() -> None:
    """Note when the request started; refuse paths outside the configured URL prefix."""
    g.parallax_started = time.perf_counter()
    if request.environ.get(OUTSIDE_PREFIX) and request.path not in ("/-/health", "/-/health.json"):
        abort(404, description=f"Parallax is served under {current_app.config['URL_PREFIX'].rstrip('/')}/.")
    if corpus_gone() and request.endpoint != "static" and not (request.endpoint or "").startswith("ops."):
        abort(503, description=CORPUS_GONE)  # not "no such source": every source is still there, the folder is not


CORPUS_GONE = "The corpus folder is missing or cannot be read; pages are served again once it is back."


def corpus_gone() -> bool:
    """Whether the corpus folder this server reads (no database) stopped being a readable folder while serving: a
    server refuses to start without it, and one serving answers 503 rather than an empty corpus or 'no such source'."""
    if current_app.config["DATABASE_URL"]:
        return False
    root = current_app.extensions["parallax.corpus"].root
    return not (root.is_dir() and os.access(root, os.R_OK | os.X_OK))


@bp.after_app_request
def _log(response: Response) -> Response:
    """One access-log line per request: method, path, status, duration in ms."""
    started = g.get("parallax_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    fields = {"method": request.method, "path": request.script_root + request.path,
              "query": request.query_string.decode("latin-1") or None, "status": response.status_code,
              "duration_ms": f"{duration:.1f}", "bytes": response.content_length,
              "remote": request.remote_addr}
    fields = {k: v for k, v in fields.items() if v is not None}
    access_log.info(logfmt(fields), extra={"logfmt": fields})
    return response


Page = tuple[bytes, int, list[tuple[str, str]]]


class PageCache:
    """Rendered reading pages per URL (LRU), valid while the corpus object they were built from is current."""

    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self.corpus: object = None
        self.tokens: tuple[Any, ...] = ()
        self.pages: LRUCache[tuple[str, str, str], Page] = LRUCache(maxsize=size)

    def get(self, corpus: object, key: tuple[str, str, str], tokens: tuple[Any, ...] = ()) -> Page | None:
        """The stored page for key, or None; everything is dropped when the corpus (or another thing pages show,
        named by ``tokens``: the outlet registry, editors' notes) changed."""
        with self.lock:
            if corpus is not self.corpus or tokens != self.tokens:
                self.pages.clear()
                self.corpus, self.tokens = corpus, tokens
                return None
            return self.pages.get(key)

    def put(self, corpus: object, key: tuple[str, str, str], page: Page, tokens: tuple[Any, ...] = ()) -> None:
        """Store a page rendered from ``corpus`` (the least recently used one makes room)."""
        with self.lock:
            if corpus is self.corpus and tokens == self.tokens:
                self.pages[key] = page


def _page_key() -> tuple[str, str, str] | None:
    """The cache key of an anonymous GET of a reading page, or None when the request must not share a page."""
    if (request.method != "GET" or request.endpoint not in CACHEABLE or current_app.config["PAGE_CACHE_SIZE"] <= 0
            or "Cookie" in request.headers or "Authorization" in request.headers):
        return None
    return request.host, request.script_root, request.full_path


def page_tokens() -> tuple[Any, ...]:
    """What, besides the corpus, the cached pages depend on: each registered callable's current value (see
    ``PAGE_TOKENS``: the outlet registry's file signature, the notes' revision)."""
    return tuple(token() for token in current_app.extensions.get(PAGE_TOKENS, ()))


def _page_cache() -> PageCache:
    """This app's page cache."""
    cache: PageCache = current_app.extensions.setdefault(
        "parallax.pages", PageCache(current_app.config["PAGE_CACHE_SIZE"]))
    return cache


@bp.before_app_request
def _cached_page() -> Response | None:
    """Answer a reading page from the rendered-page cache when the corpus has not changed since."""
    key = _page_key()
    if key is None:
        return None
    g.parallax_corpus = corpus()
    g.parallax_tokens = page_tokens()
    page = _page_cache().get(g.parallax_corpus, key, g.parallax_tokens)
    if page is None:
        return None
    body, status, headers = page
    response = Response(body, status=status, headers=headers)
    response.headers["X-Parallax-Page-Cache"] = "hit"
    response.make_conditional(request)
    return response


@bp.after_app_request
def _store_page(response: Response) -> Response:
    """Keep a freshly rendered reading page (never one that wrote the session or set a cookie); add an ETag."""
    key = _page_key()
    if key is None or response.headers.get("X-Parallax-Page-Cache") == "hit":
        return response
    if (response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers
            and not response.cache_control.no_store and not session.modified and "parallax_corpus" in g):
        response.vary.add("Cookie")  # the stored page is the one readers without cookies get
        response.add_etag()
        body = response.get_data()
        if len(body) <= MAX_CACHED_PAGE:
            _page_cache().put(g.parallax_corpus, key, (body, response.status_code, list(response.headers.items())),
                              g.parallax_tokens)
        response.make_conditional(request)
    return response


def health_data() -> tuple[dict[str, Any], bool]:
    """The health report and whether the app can serve its corpus."""
    store = current_app.extensions["parallax.corpus"]
    root = store.root
    readable = root.is_dir() and os.access(root, os.R_OK | os.X_OK)
    writable, write_problem = storage.writable(root) if readable else (False, "the corpus folder cannot be read")
    current = store.get()
    cache = current_app.extensions["parallax.cache"]
    data = {"ok": readable and writable, "version": current_app.config["VERSION"],
            "corpus": {"readable": readable, "writable": writable, "write_problem": write_problem or None,
                       "sources": len(current.sources), "stories": len(current.stories),
                       "problems": [{"path": p.path, "reason": p.reason} for p in current.problems]},
            "cache": {"backend": backend_name(cache), "ok": answers(cache)}}
    return data, readable


@page(bp, "/-/health")
def health() -> Any:
    """Health: 200 when the corpus folder is readable, else 503; ``ok`` is false too when the corpus cannot be written
    (full or read-only: reading still works, adding and editing do not). A down shared cache only degrades."""
    data, healthy = health_data()
    response = respond("health.html", data, 200 if healthy else 503)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3.1 description of the JSON endpoints, for the prefix this request came through."""
    return jsonify(openapi.build(current_app.config["VERSION"], request.url_root.rstrip("/")))

