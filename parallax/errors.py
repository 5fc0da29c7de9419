"""The one base of the failures Parallax reports to a reader or an editor.

Each domain error (a source that cannot be added or loaded, a change that cannot be made, a URL that cannot be
fetched, a watch, note, alert or search that cannot be kept or run) is a ``ParallaxError``: its message says why in
words a person understands, ``cause`` names the kind of failure and ``field`` the input at fault, when there is one.
Only the web layer turns a cause into an HTTP status (``parallax.web.render.CAUSE_STATUS``), and only the command
line into an exit message; nothing below them knows of either.
"""

from __future__ import annotations


class ParallaxError(Exception):
    """A failure to report: the message says why, ``cause`` its kind, ``field`` the input field at fault."""

    #: The kind of failure when none is given (each subclass names its own).
    default_cause = "bad_input"

    def __init__(self, message: str, cause: str | None = None, field: str = "") -> None:
        super().__init__(message)
        self.cause = cause or self.default_cause
        self.field = field
