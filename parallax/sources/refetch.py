"""Conditional fetches for the watcher, with the same address checks as adding a source (parallax.sources.fetch).

Every hop goes through ``fetch.request`` (checked, resolved and pinned before connecting; one redirect loop for
both); this module only adds the request headers a revisit needs (If-None-Match / If-Modified-Since, the
watcher's User-Agent, feed media types). A 304 Not Modified comes back without a body.
"""

from __future__ import annotations

from dataclasses import replace

from parallax import __version__
from parallax.sources.fetch import HTML_TYPES, Answer, request

USER_AGENT = f"Parallax-Watcher/{__version__} (keeps versions of watched news articles; polite, conditional requests)"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
ACCEPT = {"article": "text/html,application/xhtml+xml;q=0.9",
          "feed": "application/rss+xml,application/atom+xml;q=0.9,application/xml;q=0.8,text/xml;q=0.7"}
TYPES = {"article": HTML_TYPES, "feed": FEED_TYPES}


#: One conditional fetch: 200 with the body, or 304 with none; validators for the next time.
Fetched = Answer


def fetch_conditional(url: str, kind: str, *, etag: str = "", last_modified: str = "", timeout: float,
                      max_redirects: int, max_bytes: int, allow_private: bool) -> Fetched:
    """Fetch an article page or a feed, sending the validators of the last fetch; FetchError on failure."""
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT[kind],
               **({"If-None-Match": etag} if etag else {}),
               **({"If-Modified-Since": last_modified} if last_modified else {})}
    answer = request(url, timeout=timeout, max_redirects=max_redirects, max_bytes=max_bytes,
                     allow_private=allow_private, headers=headers,
                     accepts=lambda media: media in TYPES[kind] or (kind == "feed" and media.endswith("+xml")),
                     wanted="an HTML page" if kind == "article" else "an RSS or Atom feed")
    if answer.http_status == 304:  # a server may leave the validators out of a 304: keep the ones sent
        return replace(answer, etag=answer.etag or etag, last_modified=answer.last_modified or last_modified)
    return answer
