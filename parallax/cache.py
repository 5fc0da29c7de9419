"""Cache of finished comparisons, keyed by content hashes so an edited source never gets a stale result."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from cachelib import BaseCache, RedisCache, SimpleCache

from parallax.model import ignore_list

ENGINE_VERSION = "4"  # 4: names read party and group adjectives as no name, a list line word by word
REDIS_TIMEOUT = 0.5  # seconds: a slow or unreachable shared cache is bypassed quickly instead of stalling pages


def make_cache(url: str, size: int, ttl: int) -> BaseCache:
    """An in-process LRU-ish cache, or a Redis one shared by workers when ``url`` is ``redis://…``."""
    if not url:
        return SimpleCache(threshold=size, default_timeout=ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        return RedisCache(host=client, default_timeout=ttl, key_prefix="parallax:")
    raise ValueError(f"PARALLAX_CACHE_URL must be empty or a redis:// URL, not {url!r}")


def backend_name(cache: BaseCache) -> str:
    """A short name for the cache backend: ``memory`` or ``redis``."""
    return "redis" if isinstance(cache, RedisCache) else "memory"


def answers(cache: BaseCache) -> bool:
    """Whether the cache stores and returns a value right now (a shared cache may be down)."""
    try:
        token = secrets.token_hex(8)
        cache.set("health:probe", token, timeout=60)
        return bool(cache.get("health:probe") == token)
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def comparison_key(left_content: str, right_content: str, unit: str, ignore: Iterable[str],
                   extra: Iterable[str] = ()) -> str:
    """Key for a comparison: both sources' content keys (text and what shapes it), the unit and the options, and
    any ``extra`` the cached model shows (the outlet names its summary text uses)."""
    raw = "|".join([ENGINE_VERSION, left_content, right_content, unit, ",".join(ignore_list(ignore)), *extra])
    return "cmp:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(cache: BaseCache, key: str, compute: Callable[[], Any],
           keep: Callable[[Any], bool] = lambda _value: True) -> Any:
    """The cached value for ``key``, computing it on a miss and storing it if ``keep`` says so.

    A failing cache is bypassed: the value is computed and served uncached.
    """
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable shared cache must not take pages down
        value = None
    if value is None:
        value = compute()
        if keep(value):
            with contextlib.suppress(Exception):  # as above: serve the fresh value uncached
                cache.set(key, value)
    return value
