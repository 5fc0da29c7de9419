"""The team server: gunicorn with pre-forked gthread workers, configured only by ``PARALLAX_*`` variables.

Run ``python -m parallax.serve`` (``make serve``). Pre-forked processes use every core for the CPU-bound
comparison engine; threads in each keep the index answering while a slow comparison runs.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import sys
import time
from collections.abc import Mapping, MutableMapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from . import __version__
from .config import load_settings

LOG_FIELDS = ("ts", "level", "logger")


class LogfmtFormatter(logging.Formatter):
    """Log records as logfmt lines: ``ts=… level=… logger=… msg=…`` plus a request's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        """One line per record; access records carry their fields in ``record.logfmt``."""
        from .web.ops import logfmt

        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        head = {"ts": stamp, "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "logfmt", None)
        body = dict(fields) if isinstance(fields, dict) else {"msg": record.getMessage()}
        if record.exc_info and not isinstance(fields, dict):
            body["error"] = self.formatException(record.exc_info)
        return logfmt({**head, **body})


def logging_config(level: str) -> dict[str, Any]:
    """``logging.config.dictConfig`` settings: gunicorn's and the app's loggers, logfmt to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "logfmt", "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"logfmt": {"()": LogfmtFormatter}},
            "handlers": {"stderr": handler},
            "root": {"level": level.upper(), "handlers": ["stderr"]},
            "loggers": {"gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
                        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True}}}


def gunicorn_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Gunicorn settings derived from Parallax's settings (nothing is read from gunicorn's own sources)."""
    socket = settings["CONTROL_SOCKET"]
    return {
        "bind": [bind_address(settings["HOST"], settings["PORT"])],
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
        "control_socket_disable": not socket,  # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl
        **({"control_socket": socket} if socket else {}),
        "proc_name": "parallax",
        "when_ready": announce,
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
        """The WSGI app for a worker."""
        from .wsgi import app

        return app


def share_secret_key(environ: MutableMapping[str, str]) -> None:
    """Give every worker the same signing key (sign-ins and form tokens must verify in any worker)."""
    if not environ.get("PARALLAX_SECRET_KEY"):
        environ["PARALLAX_SECRET_KEY"] = secrets.token_hex(32)


def main() -> None:
    """Serve Parallax with gunicorn, configured by ``PARALLAX_*`` environment variables."""
    share_secret_key(os.environ)
    settings = load_settings()
    ParallaxServer(gunicorn_options(settings)).run()


if __name__ == "__main__":
    main()
