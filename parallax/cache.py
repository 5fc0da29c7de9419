"""Cache of finished comparisons, keyed by content hashes so an edited source never gets a stale result."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from cachelib import BaseCache, RedisCache, SimpleCache

ENGINE_VERSION = "1"


def make_cache(url: str, size: int, ttl: int) -> BaseCache:
    """An in-process LRU-ish cache, or a Redis one shared by workers when ``url`` is ``redis://…``."""
    if not url:
        return SimpleCache(threshold=size, default_timeout=ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return RedisCache(host=redis.Redis.from_url(url), default_timeout=ttl, key_prefix="parallax:")
    raise ValueError(f"PARALLAX_CACHE_URL must be empty or a redis:// URL, not {url!r}")


def comparison_key(left_sha: str, right_sha: str, unit: str, ignore: Iterable[str]) -> str:
    """Key for a comparison: both sources' content hashes, the unit and the ignore options."""
    raw = "|".join([ENGINE_VERSION, left_sha, right_sha, unit, ",".join(sorted(ignore))])
    return "cmp:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(cache: BaseCache, key: str, compute: Callable[[], Any]) -> Any:
    """The cached value for ``key``, computing and storing it on a miss (a failing cache is bypassed)."""
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable shared cache must not take pages down
        value = None
    if value is None:
        value = compute()
        with contextlib.suppress(Exception):  # as above: serve the fresh value uncached
            cache.set(key, value)
    return value
