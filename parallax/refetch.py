"""Conditional fetches for the watcher, with the same address checks as adding a source (parallax.fetch).

Every hop is checked and pinned by ``parallax.fetch`` (``_check_url``, ``resolve``, the pinned connections); this
module only adds the request headers a revisit needs (If-None-Match / If-Modified-Since, the watcher's
User-Agent, feed media types) and answers 304 Not Modified without a body.
"""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass

from . import __version__
from .fetch import (
    HTML_TYPES,
    FetchError,
    _check_url,
    _media_type,
    _PinnedHTTPConnection,
    _PinnedHTTPSConnection,
    _read_limited,
    redirect_target,
    resolve,
)

USER_AGENT = f"Parallax-Watcher/{__version__} (keeps versions of watched news articles; polite, conditional requests)"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
ACCEPT = {"article": "text/html,application/xhtml+xml;q=0.9",
          "feed": "application/rss+xml,application/atom+xml;q=0.9,application/xml;q=0.8,text/xml;q=0.7"}
TYPES = {"article": HTML_TYPES, "feed": FEED_TYPES}


class StatusError(FetchError):
    """The server answered with an HTTP error; ``http_status`` is its status (for the watch's fetch log)."""

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__(message, "http_error")
        self.http_status = http_status


@dataclass(frozen=True)
class Fetched:
    """One conditional fetch: status 200 with the body, or 304 with none; validators for the next time."""

    status: int
    url: str
    content_type: str
    charset: str
    body: bytes
    etag: str
    last_modified: str


def fetch_conditional(url: str, kind: str, *, etag: str = "", last_modified: str = "", timeout: float,
                      max_redirects: int, max_bytes: int, allow_private: bool) -> Fetched:
    """Fetch an article page or a feed, sending the validators of the last fetch; FetchError on failure."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    current = url.strip()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"fetching {url} took longer than {timeout:g} seconds", "timeout")
        connection: http.client.HTTPConnection | None = None
        response: http.client.HTTPResponse | None = None
        try:
            scheme, host, port, host_header, path = _check_url(current)
            address = str(resolve(host, port, allow_private))
            if scheme == "https":
                connection = _PinnedHTTPSConnection(address, port, host, remaining)
            else:
                connection = _PinnedHTTPConnection(address, port, timeout=remaining)
            connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host_header)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", ACCEPT[kind])
            connection.putheader("Accept-Encoding", "identity")
            if etag:
                connection.putheader("If-None-Match", etag)
            if last_modified:
                connection.putheader("If-Modified-Since", last_modified)
            connection.endheaders()
            sock = connection.sock
            if sock is None:
                raise OSError("the connection closed before the request was sent")
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                seen.append(current)
                if len(seen) > max_redirects:
                    raise FetchError(f"too many redirects (more than {max_redirects}) fetching {url}",
                                     "too_many_redirects")
                current = redirect_target(current, location)
                continue
            new_etag = (response.getheader("ETag") or "").strip()[:512]
            new_modified = (response.getheader("Last-Modified") or "").strip()[:128]
            if response.status == 304:
                return Fetched(304, current, "", "", b"", new_etag or etag, new_modified or last_modified)
            if response.status != 200:
                raise StatusError(f"the server answered {response.status} {response.reason} for {current}",
                                  response.status)
            media, charset = _media_type(response.getheader("Content-Type") or "")
            if media not in TYPES[kind] and not (kind == "feed" and media.endswith("+xml")):
                wanted = "an HTML page" if kind == "article" else "an RSS or Atom feed"
                raise FetchError(f"{current} is not {wanted} (its type is {media or 'not given'})", "not_html")
            body = _read_limited(response, sock, max_bytes, deadline)
            return Fetched(200, current, media, charset, body, new_etag, new_modified)
        except TimeoutError:
            raise FetchError(f"fetching {url} took longer than {timeout:g} seconds", "timeout") from None
        except ssl.SSLError as error:
            raise FetchError(f"secure connection to {current} failed: {error.reason or error}",
                             "connection_failed") from None
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"could not fetch {current}: {error}", "connection_failed") from None
        finally:
            if response is not None:
                response.close()
            if connection is not None:
                connection.close()
