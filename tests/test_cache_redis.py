"""The shared comparison cache on a real redis-server: shared between app instances, never stale, optional."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from parallax import pipeline
from tests.conftest import stop_process

REDIS_SERVER = shutil.which("redis-server")
COMPARE = "/compare/press-tv/the-national.json"



def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port (no persistence), stopped after the test."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; make test and CI install it)")
    port = free_port()
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path), "--protected-mode", "yes"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert server.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        stop_process(server, 10)


def comparison_keys(url: str) -> list[bytes | str]:
    """The comparison keys stored in Redis."""
    client = redis.Redis.from_url(url)
    try:
        return list(client.keys("parallax:cmp:*"))
    finally:
        client.close()


def forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any comparison computed from now on fail the test."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("comparison computed instead of read from the shared cache")
    monkeypatch.setattr(pipeline, "compare", refuse)


def test_two_instances_share_a_cached_comparison(make_app: Callable[..., Flask], redis_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_app(CACHE_URL=redis_url), make_app(CACHE_URL=redis_url)
    computed = first.test_client().get(COMPARE)
    assert computed.status_code == 200
    assert len(comparison_keys(redis_url)) == 1
    forbid_computing(monkeypatch)
    shared = second.test_client().get(COMPARE)
    assert shared.status_code == 200
    assert shared.get_json()["rows"] == computed.get_json()["rows"]
    assert second.test_client().get("/-/health.json").get_json()["cache"] == {"backend": "redis", "ok": True}


def test_an_edited_source_is_never_served_stale(make_app: Callable[..., Flask], redis_url: str,
                                                 corpus_dir: Path) -> None:
    first, second = make_app(CACHE_URL=redis_url), make_app(CACHE_URL=redis_url)
    before = first.test_client().get(COMPARE).get_json()
    path = corpus_dir / "kim-putin-2023" / "press-tv.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added by the editor today.\n",
                    encoding="utf-8")
    after = second.test_client().get(COMPARE).get_json()
    assert after["left"]["sha256"] != before["left"]["sha256"]
    assert any("added by the editor" in (row["left"] or "") for row in after["rows"])
    assert not any("added by the editor" in (row["left"] or "") for row in before["rows"])
    assert len(comparison_keys(redis_url)) == 2
    again = first.test_client().get(COMPARE).get_json()
    assert again["rows"] == after["rows"]


def test_pages_survive_redis_going_down(make_app: Callable[..., Flask], redis_url: str) -> None:
    app = make_app(CACHE_URL=redis_url)
    client = app.test_client()
    assert client.get(COMPARE).status_code == 200
    redis.Redis.from_url(redis_url).shutdown(nosave=True)
    started = time.monotonic()
    for url in ("/", COMPARE, "/compare/rt/press-tv", "/compare/rt/press-tv.json?unit=char"):
        assert client.get(url).status_code == 200, url
    assert time.monotonic() - started < 10
    health = client.get("/-/health.json")
    assert health.status_code == 200 and health.get_json()["cache"] == {"backend": "redis", "ok": False}
