"""Reading RSS and Atom feeds (feedparser) into the article links they list."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import feedparser

from parallax.errors import ParallaxError


class FeedError(ParallaxError, ValueError):
    """Bytes that are not a readable feed."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: its article link, headline and publication time (ISO text, or empty)."""

    url: str
    title: str
    published: str


def parse_feed(raw: bytes, base_url: str) -> list[FeedItem]:
    """The http(s) article links of a feed, in feed order, each once; FeedError when it is not a feed."""
    parsed = feedparser.parse(raw, resolve_relative_uris=False, sanitize_html=False)
    if parsed.get("bozo") and not parsed.get("entries"):
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not a readable RSS or Atom feed: {reason}")
    if not parsed.get("version") and not parsed.get("entries"):
        raise FeedError("not an RSS or Atom feed")
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in parsed.get("entries", []):
        link = str(entry.get("link") or "").strip()
        if not link:
            continue
        try:
            link = urljoin(base_url, link)
            scheme = urlsplit(link).scheme
        except ValueError:  # "http://[::1": one unreadable link is skipped, not the whole feed
            continue
        if scheme not in ("http", "https") or link in seen:
            continue
        seen.add(link)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = (f"{stamp.tm_year:04d}-{stamp.tm_mon:02d}-{stamp.tm_mday:02d}T{stamp.tm_hour:02d}:"
                     f"{stamp.tm_min:02d}:{stamp.tm_sec:02d}+00:00") if stamp else ""
        items.append(FeedItem(url=link, title=" ".join(str(entry.get("title") or "").split()), published=published))
    return items
