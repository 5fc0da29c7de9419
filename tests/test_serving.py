"""Serving for a team: sub-path prefixes, trusted proxies, the access log and the real gunicorn server."""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from parallax.config import SETTINGS, load_settings
from parallax.serve import gunicorn_options, public_url
from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "/parallax"
FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "intranet.example", "X-Forwarded-Prefix": PREFIX}
BASE = f"http://localhost{PREFIX}/"  # the test client's way of setting SCRIPT_NAME
URL_ATTR = re.compile(r'(?:href|src|action)="([^"#]*)"')



def local_urls(html: str) -> list[str]:
    """Every same-site URL in links, scripts, stylesheets and forms of a page."""
    return [u for u in URL_ATTR.findall(html) if u and not u.startswith(("http://", "https://", "data:"))]


def assert_prefixed(urls: list[str], prefix: str = PREFIX) -> None:
    """Every URL starts with the prefix."""
    assert urls
    wrong = [u for u in urls if not u.startswith(prefix + "/")]
    assert not wrong, wrong


@pytest.mark.parametrize("path", ["/", "/sources/press-tv", "/compare/press-tv/the-national"])
def test_script_name_prefixes_every_link_form_and_asset(app: Flask, path: str) -> None:
    client = app.test_client()
    response = client.get(path, base_url=BASE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    urls = local_urls(html)
    assert_prefixed(urls)
    assert f"{PREFIX}/static/parallax.css" in urls and f"{PREFIX}/static/parallax.js" in urls
    assert response.headers["Link"].startswith(f"<{PREFIX}/")


def test_index_form_posts_under_prefix(app: Flask) -> None:
    html = app.test_client().get("/", base_url=BASE).get_data(as_text=True)
    assert f'action="{PREFIX}/compare"' in html


def test_json_urls_carry_prefix(app: Flask) -> None:
    client = app.test_client()
    index = client.get("/index.json", base_url=BASE).get_json()
    hrefs = [s["href"] for story in index["stories"] for s in story["sources"]]
    assert_prefixed(hrefs)
    comparison = client.get("/compare/press-tv/the-national.json", base_url=BASE).get_json()
    assert_prefixed([comparison["permalink"], comparison["swap"], comparison["left"]["href"]])
    source = client.get("/sources/rt.json", base_url=BASE).get_json()
    assert_prefixed([v["href"] for v in source["versions"]])


def test_redirect_from_picker_keeps_prefix(app: Flask) -> None:
    response = app.test_client().get("/compare?left=rt&right=press-tv", base_url=BASE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{PREFIX}/compare/rt/press-tv")


def test_proxy_headers_trusted_with_proxy_hops(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROXY_HOPS=1)
    client = app.test_client()
    html = client.get("/", headers=FORWARDED).get_data(as_text=True)
    assert_prefixed(local_urls(html))
    spec = client.get("/openapi.json", headers=FORWARDED).get_json()
    assert spec["servers"] == [{"url": f"https://intranet.example{PREFIX}"}]
    response = client.get("/compare?left=rt&right=press-tv", headers=FORWARDED)
    assert response.headers["Location"].startswith(f"{PREFIX}/compare/rt/press-tv")
    with app.test_client() as c:
        c.get("/", headers=FORWARDED)
        from flask import request, url_for
        assert request.remote_addr == "203.0.113.9"
        assert url_for("pages.index", _external=True) == f"https://intranet.example{PREFIX}/"


def test_proxy_headers_ignored_without_proxy_hops(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/", headers=FORWARDED).get_data(as_text=True)
    assert not [u for u in local_urls(html) if u.startswith(PREFIX)]
    spec = client.get("/openapi.json", headers=FORWARDED).get_json()
    assert spec["servers"] == [{"url": "http://localhost"}]


def test_url_prefix_without_proxy(make_app: Callable[..., Flask]) -> None:
    client = make_app(URL_PREFIX="/parallax/").test_client()
    response = client.get(f"{PREFIX}/")
    assert response.status_code == 200
    assert_prefixed(local_urls(response.get_data(as_text=True)))
    assert client.get(f"{PREFIX}/compare/press-tv/the-national.json").status_code == 200
    outside = client.get("/index.json")
    assert outside.status_code == 404
    assert outside.get_json()["ok"] is False and PREFIX in outside.get_json()["error"]
    assert client.get("/-/health.json").status_code == 200  # probes may skip the prefix
    assert client.get(f"{PREFIX}x/").status_code == 404


def test_shared_links_have_the_same_path_after_the_prefix(make_app: Callable[..., Flask]) -> None:
    local = make_app().test_client().get("/compare/rt/press-tv.json?unit=char").get_json()
    team = make_app(URL_PREFIX=PREFIX).test_client().get(f"{PREFIX}/compare/rt/press-tv.json?unit=char").get_json()
    assert team["permalink"] == PREFIX + local["permalink"]
    assert team["swap"] == PREFIX + local["swap"]


def test_access_log_line_is_logfmt(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="parallax.access"):
        app.test_client().get("/sources/press-tv?x=1")
        app.test_client().get("/sources/nope")
    lines = [r for r in caplog.records if r.name == "parallax.access"]
    assert len(lines) == 2
    fields = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', lines[0].getMessage()))
    assert fields["method"] == "GET" and fields["path"] == "/sources/press-tv" and fields["status"] == "200"
    assert fields["query"] == '"x=1"'
    assert float(fields["duration_ms"]) >= 0
    assert "status=404" in lines[1].getMessage()


def test_server_settings_exist_with_help() -> None:
    names = {s.name: s for s in SETTINGS}
    for name in ("HOST", "PORT", "WORKERS", "THREADS", "TIMEOUT", "URL_PREFIX", "PROXY_HOPS"):
        assert names[name].help
    assert names["HOST"].default == "127.0.0.1" and names["WORKERS"].default == 2 and names["THREADS"].default == 4


def test_gunicorn_options_come_from_parallax_settings() -> None:
    settings = load_settings({"PARALLAX_PORT": "8123", "PARALLAX_WORKERS": "3", "PARALLAX_THREADS": "2",
                              "PARALLAX_TIMEOUT": "9", "GUNICORN_CMD_ARGS": "--workers 9"})
    options = gunicorn_options(settings)
    assert options["bind"] == ["127.0.0.1:8123"]
    assert (options["workers"], options["threads"], options["timeout"]) == (3, 2, 9)
    assert options["worker_class"] == "gthread"
    assert options["control_socket_disable"] is True
    assert public_url("0.0.0.0", 8123, "/team/") == "http://127.0.0.1:8123/team/"  # noqa: S104


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    """Status and body of a GET (errors included)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_gunicorn_server_serves_pages_and_health(corpus_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARALLAX_", "GUNICORN"))}
    env.update({"PARALLAX_PORT": str(port), "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_WORKERS": "1",
                "PARALLAX_THREADS": "2", "PARALLAX_URL_PREFIX": PREFIX, "HOME": str(tmp_path)})
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "parallax.serve"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}{PREFIX}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = fetch(base + "/-/health.json")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start: " + log.read_text()
                time.sleep(0.2)
        assert status == 200 and '"ok":true' in body.replace(" ", "")
        status, body = fetch(base + "/")
        assert status == 200 and f'href="{PREFIX}/sources/press-tv"' in body
    finally:
        stop_process(server, 15)
    output = log.read_text()
    assert f"Open http://127.0.0.1:{port}{PREFIX}/" in output
    assert re.search(r"logger=parallax\.access method=GET path=/parallax/ status=200 duration_ms=[\d.]+", output)
    assert "Traceback" not in output
    assert not (tmp_path / ".gunicorn").exists()  # no control socket


PAGE = "/compare/press-tv/the-national"


def test_rendered_page_cache_serves_same_page_with_etag(app: Flask) -> None:
    client = app.test_client()
    first = client.get(PAGE)
    second = client.get(PAGE)
    assert "X-Parallax-Page-Cache" not in first.headers and second.headers["X-Parallax-Page-Cache"] == "hit"
    assert second.get_data() == first.get_data() and second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Security-Policy"] and second.headers["Link"] == first.headers["Link"]
    unchanged = client.get(PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(PAGE + ".json").get_json() == client.get(PAGE + ".json").get_json()


def test_rendered_page_cache_follows_corpus_prefix_and_cookies(app: Flask, corpus_dir: Path) -> None:
    client = app.test_client()
    client.get(PAGE)
    prefixed = client.get(PAGE, base_url=BASE)
    assert "X-Parallax-Page-Cache" not in prefixed.headers
    assert_prefixed(local_urls(prefixed.get_data(as_text=True)))
    path = corpus_dir / "kim-putin-2023" / "press-tv.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA late paragraph about sturgeon.\n", encoding="utf-8")
    edited = client.get(PAGE)
    assert "X-Parallax-Page-Cache" not in edited.headers and "sturgeon" in edited.get_data(as_text=True)
    client.set_cookie("session", "x")
    assert "X-Parallax-Page-Cache" not in client.get(PAGE).headers


def test_rendered_page_cache_can_be_turned_off(make_app: Callable[..., Flask]) -> None:
    client = make_app(PAGE_CACHE_SIZE=0).test_client()
    client.get(PAGE)
    assert "X-Parallax-Page-Cache" not in client.get(PAGE).headers


def test_workers_share_one_signing_key() -> None:
    """The server makes one secret key for all its workers unless the operator set one."""
    from parallax.serve import share_secret_key

    environ: dict[str, str] = {}
    share_secret_key(environ)
    assert len(environ["PARALLAX_SECRET_KEY"]) == 64
    operator_key = secrets.token_hex(8)
    chosen = {"PARALLAX_SECRET_KEY": operator_key}
    share_secret_key(chosen)
    assert chosen["PARALLAX_SECRET_KEY"] == operator_key


def test_bind_address_brackets_ipv6() -> None:
    """An IPv6 host is bound as [::1]:port (a bare ::1:5000 is not a valid bind)."""
    from parallax.serve import bind_address

    assert bind_address("::1", 5000) == "[::1]:5000"
    assert bind_address("[::1]", 5000) == "[::1]:5000"
    assert bind_address("127.0.0.1", 8080) == "127.0.0.1:8080"
    assert bind_address("intranet.example", 80) == "intranet.example:80"
