"""The team server under slow clients: nginx in front of gunicorn keeps the index answering.

Gunicorn alone, the control that shows the crowd can hold a server, is a measurement in bench/bench_slow_clients.py:
whether the crowd holds it within the probe's second depends on the machine's timing and load."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from parallax.config import load_settings, max_body_bytes
from parallax.serve import app_environ, nginx_binary, nginx_config
from tests.conftest import stop_process

ROOT = Path(__file__).resolve().parent.parent
#: Slow or idle connections held open at once: more than gunicorn's 2 workers × 4 threads many times over.
CROWD = 64
PROBES = 6
#: A reader must get the index within this many seconds while the crowd holds its connections.
PROBE_SECONDS = 1.0

needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx-light)")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def team_server(corpus_dir: Path, tmp_path: Path, front: str, **extra: str) -> Iterator[tuple[str, Path]]:
    """``python -m parallax.serve`` as deployed (2 workers × 4 threads) on a free port; its base URL and log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARALLAX_", "GUNICORN"))}
    env.update({"PARALLAX_PORT": str(port), "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_WORKERS": "2",
                "PARALLAX_THREADS": "4", "PARALLAX_FRONT": front, "HOME": str(tmp_path), **extra})
    log = tmp_path / f"server-{front}.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "parallax.serve"], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/-/health.json", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start: " + log.read_text()
                time.sleep(0.2)
        yield base, log
    finally:
        stop_process(server, 20)
    assert server.returncode == 0, log.read_text()
    with pytest.raises(OSError):  # SIGTERM stopped nginx (and gunicorn behind it) too
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


class Crowd:
    """Connections that hold a server: headers dribbled a byte at a time, a POST body never finished, silence."""

    def __init__(self, port: int, size: int = CROWD) -> None:
        self.port = port
        self.size = size
        self.dribblers: list[socket.socket] = []
        self.others: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True)

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.settimeout(0.5)
        return sock

    def __enter__(self) -> Crowd:
        for n in range(self.size):
            sock = self._connect()
            kind = n % 3
            if kind == 0:  # headers dribbled: never a complete request
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                self.dribblers.append(sock)
            elif kind == 1:  # a POST whose body never finishes
                sock.sendall(b"POST /api/sources HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n{\"text\": \"")
                self.others.append(sock)
            else:  # connected and silent
                self.others.append(sock)
            time.sleep(0.01)  # paced, as clients arrive, so every server process takes its share
        self.thread.start()
        time.sleep(1.0)  # let the server take them all
        return self

    def _dribble(self) -> None:
        while not self.stop.wait(0.25):
            for sock in list(self.dribblers):
                try:
                    sock.sendall(b"a")
                except OSError:  # the server gave up on it: fine
                    self.dribblers.remove(sock)

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.dribblers + self.others:
            sock.close()


def probe(base: str) -> tuple[float, int, str]:
    """Seconds, status and body of one GET of the index (status 0 and the error when it does not answer in time)."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + "/", timeout=PROBE_SECONDS * 2) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    except OSError as error:
        status, body = 0, repr(error)
    return time.perf_counter() - start, status, body


def probe_under_crowd(base: str) -> list[tuple[float, int, str]]:
    """Probe the index PROBES times while a crowd of slow connections holds the server."""
    port = int(base.rsplit(":", 1)[1])
    results = []
    with Crowd(port):
        for _ in range(PROBES):
            results.append(probe(base))
            time.sleep(0.3)
    print("probe seconds:", " ".join(f"{t:.3f}({s})" for t, s, _ in results))
    return results


@pytest.mark.slow
@needs_nginx
def test_index_answers_behind_nginx_while_slow_clients_hold_connections(corpus_dir: Path, tmp_path: Path) -> None:
    """Every reader gets the index within a second while 64 slow connections are held (bench/bench_slow_clients.py
    measures the same crowd against gunicorn alone, which it holds)."""
    with team_server(corpus_dir, tmp_path, "nginx") as (base, log):
        results = probe_under_crowd(base)
        for seconds, status, body in results:
            assert status == 200, body
            assert 'href="/sources/press-tv"' in body and "Press TV" in body
            assert seconds < PROBE_SECONDS, results
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
@needs_nginx
def test_front_serves_static_limits_bodies_and_forwards_only_its_own_headers(corpus_dir: Path,
                                                                            tmp_path: Path) -> None:
    with team_server(corpus_dir, tmp_path, "nginx") as (base, log):
        with urllib.request.urlopen(base + "/static/parallax.css", timeout=5) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "text/css"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert b"--px-" in response.read()
        forged = urllib.request.Request(base + "/openapi.json", headers={
            "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil", "X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(forged, timeout=5) as response:
            assert json.load(response)["servers"] == [{"url": base}]
        rebound = urllib.request.Request(base + "/", headers={"Host": "rebound.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound, timeout=5)
        assert refused.value.code == 400
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
        connection.putrequest("POST", "/api/sources")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(max_body_bytes(load_settings()) + 1))
        connection.endheaders()  # the body never comes: nginx refuses on the length alone
        answer = connection.getresponse()
        assert answer.status == 413 and answer.headers["Content-Type"] == "application/json"
        error = json.loads(answer.read())
        connection.close()
        assert error["ok"] is False and error["status"] == 413 and "MAX_UPLOAD_BYTES" in error["error"]
        answers = []
        for _ in range(20):  # sign-in posts (no CSRF token: the app answers 400) until nginx's limit answers
            signin = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
            signin.request("POST", "/add/sign-in", "token=guess", {"Content-Type": "application/x-www-form-urlencoded"})
            reply = signin.getresponse()
            answers.append((reply.status, reply.headers.get("Retry-After"), reply.read()))
            signin.close()
        assert [a[0] for a in answers[:10]] == [400] * 10 and answers[-1][:2] == (429, "60")
        assert json.loads(answers[-1][2])["error"].startswith("Too many sign-in attempts")
    output = log.read_text()
    assert "path=/static/" not in output  # nginx served it, not the app
    assert "path=/openapi.json status=200" in output


@needs_nginx
def test_nginx_config_is_valid_and_buffers(tmp_path: Path) -> None:
    settings = load_settings({}, {"PORT": free_port(), "URL_PREFIX": "/team"})
    text = nginx_config(settings, tmp_path, "unix:/tmp/parallax-test.sock")
    assert "@" + "PREFIX@" not in text and "@USER_LINE@" not in text
    for line in ("client_header_timeout 10s;", "client_body_timeout 10s;", "proxy_request_buffering on;",
                 "proxy_buffering on;", f"client_max_body_size {max_body_bytes(settings)};",
                 "server unix:/tmp/parallax-test.sock;", "location ^~ /team/static/ {",
                 "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", "location = /team/add/sign-in {",
                 "limit_req zone=parallax_signin_client burst=10 nodelay;", "limit_req_status 429;"):
        assert line in text
    (tmp_path / "nginx.conf").write_text(text, encoding="utf-8")
    binary = nginx_binary()
    assert binary is not None
    checked = subprocess.run([binary, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_app_behind_nginx_trusts_one_more_hop_and_keeps_local_host_names() -> None:
    env = app_environ(load_settings({}), {"PATH": "/bin"})
    assert env["PARALLAX_PROXY_HOPS"] == "1" and env["PARALLAX_FRONT"] == "none"
    assert env["PARALLAX_TRUSTED_HOSTS"] == "localhost,127.0.0.1,::1"
    outer = app_environ(load_settings({"PARALLAX_PROXY_HOPS": "1", "PARALLAX_HOST": "0.0.0.0"}), {})  # noqa: S104
    assert outer["PARALLAX_PROXY_HOPS"] == "2" and "PARALLAX_TRUSTED_HOSTS" not in outer


def test_team_server_on_loopback_needs_no_token_as_the_app_alone_does(make_app: Callable[..., Flask]) -> None:
    """Writing behind the front on 127.0.0.1 is as open as the app alone there; beyond loopback, or behind an
    outer proxy, or when asked, it needs the token."""
    def app_behind_front(**settings: Any) -> Flask:
        env = app_environ(load_settings({}, settings), {})
        return make_app(PROXY_HOPS=int(env["PARALLAX_PROXY_HOPS"]),
                        REQUIRE_TOKEN=env.get("PARALLAX_REQUIRE_TOKEN", settings.get("REQUIRE_TOKEN", "auto")),
                        HOST=settings.get("HOST", "127.0.0.1"))

    def status(app: Flask) -> int:
        return app.test_client().post("/api/watches", json={"story": "kim-putin-2023",
                                                            "url": f"https://news.example/{time.monotonic_ns()}"},
                                      headers={"X-Forwarded-For": "127.0.0.1"}).status_code
    assert status(app_behind_front()) == 201
    assert status(app_behind_front(HOST="0.0.0.0")) == 403  # noqa: S104
    assert status(app_behind_front(PROXY_HOPS=1)) == 403
    assert status(app_behind_front(REQUIRE_TOKEN="always")) == 403  # noqa: S106 - a mode


def test_missing_nginx_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax import serve

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(serve, "NGINX_PLACES", ())
    with pytest.raises(SystemExit, match=r"nginx-light.*PARALLAX_FRONT=none"):
        serve.serve_behind_nginx(load_settings({}))


def test_missing_nginx_template_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from parallax import serve

    monkeypatch.setattr(serve, "nginx_binary", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(serve, "NGINX_TEMPLATE", tmp_path / "absent.conf")
    with pytest.raises(SystemExit, match=r"absent\.conf not found.*PARALLAX_FRONT=none"):
        serve.serve_behind_nginx(load_settings({}))


def test_unknown_front_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax import serve

    monkeypatch.setenv("PARALLAX_FRONT", "apache")
    monkeypatch.setenv("PARALLAX_SECRET_KEY", "x" * 64)
    with pytest.raises(SystemExit, match="PARALLAX_FRONT must be one of nginx, none"):
        serve.main([])


@pytest.mark.slow
@needs_nginx
def test_port_taken_by_another_program_fails_clearly(corpus_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARALLAX_", "GUNICORN"))}
        env.update({"PARALLAX_PORT": str(port), "PARALLAX_CORPUS_DIR": str(corpus_dir), "PARALLAX_WORKERS": "1",
                    "HOME": str(tmp_path)})
        run = subprocess.run([sys.executable, "-m", "parallax.serve"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60, check=False)
    assert run.returncode == 1
    assert "Address already in use" in run.stderr and "nginx exited at start" in run.stderr
    assert "Open http" not in run.stderr
