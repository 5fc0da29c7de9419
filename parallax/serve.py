"""The team server: nginx in front of gunicorn's pre-forked gthread workers, configured by ``PARALLAX_*`` variables.

Run ``python -m parallax.serve`` (``make serve``). nginx (``deploy/nginx.conf``, filled in at start) faces clients:
it reads whole requests and takes whole responses, so slow or idle clients never hold one of gunicorn's few
threads, and it serves ``/static``. gunicorn listens on a private unix socket; its pre-forked processes use every
core for the CPU-bound comparison engine and threads in each keep the index answering while a slow comparison
runs. ``PARALLAX_FRONT=none`` runs gunicorn alone on HOST:PORT, for a server behind its own buffering proxy.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess  # nosec B404
import sys
import tempfile
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from parallax import __version__
from parallax.config import LOOPBACK_NAMES, ROOT, SettingError, is_loopback, load_settings, max_body_bytes
from parallax.corpus_store import CorpusMissing, require_folder
from parallax.logs import logging_config

FRONTS = ("nginx", "none")
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
#: Where Debian puts nginx when /usr/sbin is not on an unprivileged user's PATH.
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
#: Seconds to wait for gunicorn, then nginx, to accept connections at start.
START_TIMEOUT = 60.0


def gunicorn_options(settings: Mapping[str, Any], bind: str = "") -> dict[str, Any]:
    """Gunicorn settings derived from Parallax's settings (nothing is read from gunicorn's own sources).

    ``bind`` replaces HOST:PORT (the private socket nginx proxies to); the URL is then announced by the front.
    """
    control = settings["CONTROL_SOCKET"]
    return {
        "bind": [bind or bind_address(settings["HOST"], settings["PORT"])],
        "workers": max(1, int(settings["WORKERS"])),
        "threads": max(1, int(settings["THREADS"])),
        "worker_class": "gthread",
        "timeout": max(1, int(settings["TIMEOUT"])),
        "graceful_timeout": max(1, int(settings["TIMEOUT"])),
        "keepalive": 5,
        "loglevel": settings["LOG_LEVEL"],
        "logconfig_dict": logging_config(settings["LOG_LEVEL"]),
        "accesslog": None,  # the app logs each request itself (logger parallax.access)
        "secure_scheme_headers": {},  # forwarded headers are trusted only through PARALLAX_PROXY_HOPS
        "forwarded_allow_ips": "",
        "control_socket_disable": not control,  # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl
        **({"control_socket": control} if control else {}),
        "proc_name": "parallax",
        "when_ready": announce_private if bind else announce,
        "preload_app": True,  # app and models built once, before the workers fork: their memory pages are shared
        "post_worker_init": start_worker,
    }


def bind_address(host: str, port: int) -> str:
    """Gunicorn's ``host:port`` bind string, with an IPv6 literal in brackets."""
    bare = host.strip().strip("[]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def public_url(host: str, port: int, prefix: str) -> str:
    """The URL to open for a bind address (wildcard addresses shown as loopback)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # a host name
        shown = host
    else:
        if address.is_unspecified:
            address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        shown = f"[{address}]" if address.version == 6 else str(address)
    path = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    return f"http://{shown}:{port}{path}"


def announce(server: Any) -> None:
    """Gunicorn hook: print the URL once the server listens."""
    settings = load_settings()
    print(f"Parallax {__version__} serving {settings['CORPUS_DIR']} with {settings['WORKERS']} workers × "
          f"{settings['THREADS']} threads", file=sys.stderr)
    print(f"Open {public_url(settings['HOST'], settings['PORT'], settings['URL_PREFIX'])} (Ctrl+C to stop)",
          file=sys.stderr, flush=True)


def announce_private(server: Any) -> None:
    """Gunicorn hook behind the front: say where gunicorn listens (the front prints the URL to open)."""
    print(f"gunicorn listening on {', '.join(server.cfg.bind)}", file=sys.stderr, flush=True)


class ParallaxServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn application that builds the Flask app in each worker."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's config (unknown keys are a programming error)."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The WSGI app, built once in the master before the workers fork (``preload_app``), with the comparison
        models loaded: the workers share their pages instead of each loading its own on a first comparison, and with
        the corpus built (``CataloguedStore.prepare``, ``DatabaseCorpus.prepare`` on PostgreSQL): read once, not
        once per worker, and no worker's first request waits for it. Nothing here starts a thread (the corpus watcher
        and the index build start in each worker)."""
        from parallax.app import create_app
        from parallax.engine.similarity import load_models

        app = create_app()
        # Both stores read the corpus here and close what must not cross the fork (the catalogue, the connection).
        app.extensions["parallax.corpus"].prepare()
        load_models()
        gc.freeze()  # what exists now is never touched by the collector, so forked workers keep sharing it
        return app


def start_worker(worker: Any) -> None:
    """Gunicorn hook in each worker once it has the app: bring the search index up to date in the background."""
    from parallax.web.app_index import start_index_build

    start_index_build(worker.wsgi)


def share_secret_key(environ: MutableMapping[str, str]) -> None:
    """Give every worker the same signing key (sign-ins and form tokens must verify in any worker)."""
    if not environ.get("PARALLAX_SECRET_KEY"):
        environ["PARALLAX_SECRET_KEY"] = secrets.token_hex(32)


def nginx_binary() -> str | None:
    """Path of the nginx program: on PATH, else where Debian installs it."""
    return shutil.which("nginx") or next((p for p in NGINX_PLACES if os.access(p, os.X_OK)), None)


def user_line() -> str:
    """nginx's ``user`` directive: as root, workers keep this user (they read the checkout and the socket)."""
    if os.geteuid() != 0:
        return "# not root: workers run as the starting user"
    import grp
    import pwd

    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


def nginx_config(settings: Mapping[str, Any], prefix: Path, upstream: str,
                 template: Path = NGINX_TEMPLATE) -> str:
    """``deploy/nginx.conf`` filled in: listen on HOST:PORT, proxy to ``upstream`` (``unix:/path`` or host:port)."""
    static = Path(__file__).resolve().parent / "static"  # the app's own static folder (parallax/static)
    url_prefix = "/" + str(settings["URL_PREFIX"]).strip("/") if str(settings["URL_PREFIX"]).strip("/") else ""
    prefixed = (f"        location ^~ {url_prefix}/static/ {{\n            alias {static}/;\n"
                '            add_header Cache-Control "no-cache" always;\n'
                '            add_header X-Content-Type-Options "nosniff" always;\n        }\n') if url_prefix else ""
    fields = {"USER_LINE": user_line(), "WORKER_PROCESSES": "1", "PREFIX": str(prefix),
              "MAX_BODY": str(max_body_bytes(settings)), "READ_TIMEOUT": str(max(1, int(settings["TIMEOUT"]))),
              "UPSTREAM": upstream, "LISTEN": bind_address(settings["HOST"], settings["PORT"]),
              "STATIC_DIR": str(static), "PREFIXED_STATIC": prefixed, "SIGNIN_PATH": f"{url_prefix}/add/sign-in"}
    text = template.read_text(encoding="utf-8")
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    return text


def app_environ(settings: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Environment of gunicorn behind nginx: one more trusted proxy hop, and still only local Host names when local."""
    env = dict(environ)
    env["PARALLAX_FRONT"] = "none"
    env["PARALLAX_PROXY_HOPS"] = str(int(settings["PROXY_HOPS"]) + 1)
    if not str(settings["TRUSTED_HOSTS"]).strip() and is_loopback(str(settings["HOST"])) \
            and not int(settings["PROXY_HOPS"]):
        env["PARALLAX_TRUSTED_HOSTS"] = ",".join(LOOPBACK_NAMES)  # as a loopback app alone (DNS rebinding)
    if str(settings["REQUIRE_TOKEN"]).strip().lower() == "auto" and is_loopback(str(settings["HOST"])) \
            and not int(settings["PROXY_HOPS"]):
        # nginx listens on loopback only and no outer proxy is declared: every client is on this machine, as with
        # the app alone on loopback, so writing needs no token (the hop added above is this front's own).
        env["PARALLAX_REQUIRE_TOKEN"] = "never"  # noqa: S105  # nosec B105 - a mode, not a password
    return env


def _die_with_parent() -> None:
    """In a child: get SIGTERM when the supervising process dies, so nothing is left listening (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: Ctrl+C and SIGTERM still stop both
        pass


def _connectable(address: str, port: int = 0) -> bool:
    """Whether a unix socket path (``unix:/path``) or host and port accepts a connection now."""
    try:
        if address.startswith("unix:"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1)
                sock.connect(address[5:])
        else:
            bare = address.strip("[]")
            host = ("::1" if ":" in bare else "127.0.0.1") if ipaddress_unspecified(bare) else bare
            with socket.create_connection((host, port), timeout=1):
                pass
    except OSError:
        return False
    return True


def ipaddress_unspecified(host: str) -> bool:
    """Whether a host is a wildcard address (0.0.0.0 or ::)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _stop(process: subprocess.Popen[bytes], sig: int, grace: float) -> int:
    """Send ``sig`` to a child and wait for it, killing it after ``grace`` seconds; its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class Stack:
    """gunicorn on a private unix socket and nginx on HOST:PORT in front of it, started and stopped together."""

    def __init__(self, settings: Mapping[str, Any], nginx: str) -> None:
        self.settings = settings
        self.nginx = nginx
        self.runtime = Path(tempfile.mkdtemp(prefix="parallax-serve-"))
        self.upstream = f"unix:{self.runtime / 'gunicorn.sock'}"
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def _wait_listening(self, process: subprocess.Popen[bytes], what: str, address: str, port: int = 0,
                        ready: Path | None = None) -> None:
        """Wait until a child accepts connections (and has written ``ready``, when given: nginx's pid file, written
        once it holds its sockets, so another program on the port is not taken for it); fail if it exits or takes
        longer than START_TIMEOUT."""
        deadline = time.monotonic() + START_TIMEOUT
        while not ((ready is None or ready.exists()) and _connectable(address, port)):
            if process.poll() is not None:
                raise SystemExit(f"parallax.serve: {what} exited at start (status {process.returncode}); see above")
            if self.stopping:
                raise SystemExit(0)
            if time.monotonic() > deadline:
                raise SystemExit(f"parallax.serve: {what} did not listen on {address} within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)

    def start(self) -> None:
        """Start gunicorn, wait for its socket, write the nginx config, start nginx and wait for HOST:PORT."""
        env = app_environ(self.settings, os.environ)
        app = subprocess.Popen([sys.executable, "-m", "parallax.serve", "--bind", self.upstream],  # noqa: S603  # nosec B603
                               env=env, preexec_fn=_die_with_parent)
        self.children.append(app)
        self._wait_listening(app, "gunicorn", self.upstream)
        config = self.runtime / "nginx.conf"
        config.write_text(nginx_config(self.settings, self.runtime, self.upstream), encoding="utf-8")
        command = [self.nginx, "-e", "stderr", "-p", str(self.runtime), "-c", str(config), "-g", "daemon off;"]
        front = subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603  # nosec B603
        self.children.append(front)
        self._wait_listening(front, "nginx", str(self.settings["HOST"]), int(self.settings["PORT"]),
                             ready=self.runtime / "nginx.pid")
        settings = self.settings
        print(f"Parallax {__version__} serving {settings['CORPUS_DIR']} with {settings['WORKERS']} workers × "
              f"{settings['THREADS']} threads behind nginx", file=sys.stderr)
        print(f"Open {public_url(settings['HOST'], settings['PORT'], settings['URL_PREFIX'])} (Ctrl+C to stop)",
              file=sys.stderr, flush=True)

    def wait(self) -> int:
        """Block until a stop signal (0) or until one child exits on its own (1)."""
        while not self.stopping:
            if any(child.poll() is not None for child in self.children):
                print("parallax.serve: " + ", ".join(f"{name} exited (status {child.returncode})" for name, child
                                                     in zip(("gunicorn", "nginx"), self.children, strict=False)
                                                     if child.poll() is not None) + "; stopping",
                      file=sys.stderr, flush=True)
                return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        """Stop nginx (fast), then gunicorn (graceful, within TIMEOUT), and remove the runtime folder."""
        grace = max(1, int(self.settings["TIMEOUT"])) + 5
        for child in reversed(self.children):
            _stop(child, signal.SIGTERM, grace)
        shutil.rmtree(self.runtime, ignore_errors=True)

    def on_signal(self, signum: int, _frame: Any) -> None:
        """SIGTERM, SIGINT or SIGHUP: stop both."""
        self.stopping = True


def serve_behind_nginx(settings: Mapping[str, Any]) -> int:
    """Run gunicorn and nginx together until a stop signal or until one of them exits; the exit status."""
    nginx = nginx_binary()
    if nginx is None:
        raise SystemExit("parallax.serve: nginx not found. Install it (Debian: apt-get install nginx-light) or set "
                         "PARALLAX_FRONT=none to run gunicorn alone behind your own buffering proxy.")
    if not NGINX_TEMPLATE.is_file():
        raise SystemExit(f"parallax.serve: {NGINX_TEMPLATE} not found: run the team server from a checkout of the "
                         "repository, or set PARALLAX_FRONT=none to run gunicorn alone behind your own proxy.")
    stack = Stack(settings, nginx)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stack.on_signal)
    try:
        stack.start()
        return stack.wait()
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve Parallax: nginx in front of gunicorn (or gunicorn alone), configured by ``PARALLAX_*`` variables."""
    parser = argparse.ArgumentParser(prog="python -m parallax.serve", description=__doc__)
    parser.add_argument("--bind", default="", help=argparse.SUPPRESS)  # the private socket behind nginx
    args = parser.parse_args(argv)
    share_secret_key(os.environ)
    try:
        settings = load_settings()
    except SettingError as error:
        raise SystemExit(f"parallax.serve: {error}") from None
    try:
        require_folder(settings["CORPUS_DIR"])  # refused before any worker starts, with the command to make one
    except CorpusMissing as error:
        raise SystemExit(f"parallax.serve: {error}") from None
    front = str(settings["FRONT"]).strip().lower()
    if front not in FRONTS:
        raise SystemExit(f"parallax.serve: PARALLAX_FRONT must be one of {', '.join(FRONTS)}, not {front!r}")
    if front == "none" or args.bind:
        ParallaxServer(gunicorn_options(settings, args.bind)).run()
        return
    sys.exit(serve_behind_nginx(settings))


if __name__ == "__main__":
    main()
