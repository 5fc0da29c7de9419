"""The watch list's door: a new watch checked (story slug, kind, interval and item limit within bounds, an http(s)
URL the fetcher would try, a host it would not refuse) before it is added to the watcher's state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from parallax.corpus import MAX_SLUG_LENGTH, SLUG_RE
from parallax.sources import state
from parallax.sources.fetch import METADATA_HOSTS, FetchError, check_url, host_address, resolve

MAX_INTERVAL = 30 * 86_400
_URL_UNSAFE = frozenset('<>"{}|\\^`')
MAX_FEED_LIMIT = 500


def check_watch_url(url: str) -> str:
    """The URL trimmed, or StateError when it is not an http(s) URL the fetcher would try."""
    url = url.strip()
    bad = next((c for c in url if c in _URL_UNSAFE or c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise state.StateError(f"the URL contains {bad!r}, which must be percent-encoded")
    try:
        check_url(url)
    except FetchError as error:
        raise state.StateError(str(error)) from None
    if len(url) > 2000:
        raise state.StateError("the URL is longer than 2,000 characters")
    return url


def literal_refusal(url: str, allow_private: bool) -> str | None:
    """Why the fetcher will refuse this URL's host, when that is known without a DNS look-up (an IP address such
    as 169.254.169.254 or ::1, or a cloud metadata name), else None."""
    _scheme, host, port, _header, _path = check_url(url)
    if host_address(host) is None and host.rstrip(".").lower() not in METADATA_HOSTS:
        return None  # a host name: its addresses are checked at each fetch
    try:
        resolve(host, port, allow_private)
    except FetchError as error:
        return str(error)
    return None


def new_watch(conn: Any, settings: Mapping[str, Any], story: str, kind: str, url: str,
              interval: int | None = None, item_limit: int | None = None,
              add: Callable[..., state.Watch] = state.add_watch) -> state.Watch:
    """Validate and add a watch (StateError says what is wrong); ``add`` keeps it (``state.add_watch`` in a state
    database, ``parallax.store.claims.add_watch`` in the PostgreSQL store)."""
    if not SLUG_RE.match(story) or len(story) > MAX_SLUG_LENGTH:
        raise state.StateError(f"story must be a slug of a-z, 0-9 and '-', not {story!r}")
    if kind not in state.KINDS:
        raise state.StateError(f"kind must be 'article' or 'feed', not {kind!r}")
    lowest = int(settings["WATCH_MIN_INTERVAL"])
    chosen = int(settings["WATCH_INTERVAL"]) if interval is None else interval
    if not lowest <= chosen <= MAX_INTERVAL:
        raise state.StateError(f"interval must be between {lowest} and {MAX_INTERVAL} seconds, not {chosen}")
    limit = int(settings["WATCH_FEED_LIMIT"]) if item_limit is None else item_limit
    if kind == "feed" and not 1 <= limit <= MAX_FEED_LIMIT:
        raise state.StateError(f"item limit must be between 1 and {MAX_FEED_LIMIT}, not {limit}")
    url = check_watch_url(url)
    refusal = literal_refusal(url, bool(settings.get("FETCH_ALLOW_PRIVATE")))
    if refusal:  # said now, not as an error on every fetch of a watch that can never succeed
        raise state.StateError(refusal)
    return add(conn, story, kind, url, chosen, limit if kind == "feed" else 0)
