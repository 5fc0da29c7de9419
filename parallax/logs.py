"""The log format: one logfmt line per record (``ts=… level=… logger=… msg=…``), a request's own fields included,
and the logging settings the team server gives gunicorn's and the app's loggers."""

from __future__ import annotations

import logging
import time
import unicodedata
from typing import Any

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    """One character as written in a log value: quotes, backslashes and control characters escaped."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):  # line separators, bidi overrides, halves
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def logfmt(fields: dict[str, Any]) -> str:
    """``key=value`` pairs, quoting values that contain spaces, quotes, equals signs or characters that must be
    escaped; every control character (CR, NUL, ESC, line separators, bidi controls) is written as an escape, so a
    request cannot split a log line or send commands to a terminal."""
    parts = []
    for key, value in fields.items():
        raw = "" if value is None else str(value)
        escaped = "".join(_escape(c) for c in raw)
        if not raw or escaped != raw or any(c in raw for c in " ="):
            escaped = f'"{escaped}"'
        parts.append(f"{key}={escaped}")
    return " ".join(parts)


class LogfmtFormatter(logging.Formatter):
    """Log records as logfmt lines: ``ts=… level=… logger=… msg=…`` plus a request's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        """One line per record; access records carry their fields in ``record.logfmt``."""
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
