"""Who may write: the editor token (when the app is reachable beyond loopback) and CSRF tokens for forms."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeTimedSerializer

from parallax.config import is_loopback
from parallax.sources import state
from parallax.web.render import error_response
from parallax.web.throttle import FailureLimiter, Throttled

log = logging.getLogger("parallax.editors")
CSRF_MAX_AGE = 8 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., Any])


# ---- who may write -------------------------------------------------------------------------------------------

def behind_proxy() -> bool:
    """Whether reverse proxies are configured in front of the app (PROXY_HOPS > 0)."""
    try:
        return int(current_app.config.get("PROXY_HOPS") or 0) > 0
    except (TypeError, ValueError):
        return True  # a setting that cannot be read must not leave writing open


def token_required() -> bool:
    """Whether writing needs the editor token: REQUIRE_TOKEN, where 'auto' means 'when the app is reachable beyond
    loopback': HOST is not a loopback address, or a reverse proxy forwards to it (PROXY_HOPS > 0) - the usual
    setup binds the app to 127.0.0.1 with a proxy in front, and then every request arrives from loopback."""
    mode = str(current_app.config.get("REQUIRE_TOKEN", "auto")).strip().lower()
    if mode in ("never", "false", "no", "off"):
        return False
    if mode != "auto" or behind_proxy():
        return True
    return not is_loopback(str(current_app.config.get("HOST", "")))


def _limiter() -> FailureLimiter:
    """This app's limiter of wrong editor tokens (made on first use, from the SIGNIN_FAILURES_* settings)."""
    found = current_app.extensions.get("parallax.signin")
    if found is None:
        found = current_app.extensions.setdefault("parallax.signin", FailureLimiter(
            int(current_app.config.get("SIGNIN_FAILURES_PER_CLIENT") or 10),
            int(current_app.config.get("SIGNIN_FAILURES_TOTAL") or 60)))
    return found  # type: ignore[no-any-return]


def token_matches(given: str) -> bool:
    """Whether ``given`` is the configured editor token (constant-time comparison). Every check, from the sign-in
    form or the API, first asks the limiter: Throttled (answered 429) when this client or everyone together sent
    too many wrong tokens within the last minute, so the token cannot be guessed at speed."""
    expected = str(current_app.config.get("EDITOR_TOKEN") or "")
    if not expected:
        return False
    client = request.remote_addr or "unknown"
    _limiter().check(client)
    if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return True
    _limiter().failed(client)
    return False


# ---- editor sessions: a random id in the signed cookie, its record in the state database -------------------------

SESSIONS_TABLE = """CREATE TABLE IF NOT EXISTS editor_sessions (
    id TEXT PRIMARY KEY, token TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL)"""


class SessionStoreError(Exception):
    """The state database, where sign-ins are kept, cannot be written now (answered 503)."""


@contextlib.contextmanager
def _sessions() -> Iterator[Any]:
    """A connection to where sign-ins are kept, so every server process sees a sign-in and a sign-out: the
    PostgreSQL store's ``editor_sessions`` table when the app reads one (every app server shares it), else this
    server's state database. There the table holds nothing that needs upgrading (a lost sign-in only asks an editor
    to sign in again), so it is created on first use rather than by a numbered migration. A database failure is an
    OSError."""
    config = current_app.config
    if config.get("DATABASE_URL"):
        from parallax.store.state_sql import DatabaseError, StateConnection  # psycopg only with a database
        try:
            yield StateConnection(current_app.extensions["parallax.corpus"].store.conn)
        except DatabaseError as error:
            raise OSError(f"the PostgreSQL store: {error}") from error
        return
    with state.opened(state.db_path(config["CORPUS_DIR"], str(config.get("STATE_DB") or ""))) as conn:
        conn.execute(SESSIONS_TABLE)
        yield conn


def _key(value: str) -> str:
    """The database key of a session id: its hash, so the table alone cannot be turned into cookies."""
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def _token_tag() -> str:
    """An HMAC of the editor token keyed with the app's secret: a session holds it, so changing the token (or the
    secret) ends every sign-in, and neither the cookie nor the database holds anything the token can be found from."""
    token = str(current_app.config.get("EDITOR_TOKEN") or "")
    return hmac.new(str(current_app.secret_key or "").encode("utf-8"), b"parallax-editor:" + token.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def start_session() -> None:
    """Sign this browser in: a new random session id in its (signed) cookie, recorded with its expiry
    (EDITOR_SESSION_SECONDS from now); expired records are dropped on the way. SessionStoreError when the state
    database cannot be written."""
    value = secrets.token_urlsafe(32)
    now = time.time()
    lifetime = float(current_app.config.get("EDITOR_SESSION_SECONDS") or 43_200)
    try:
        with _sessions() as conn, state.transaction(conn):
            conn.execute("DELETE FROM editor_sessions WHERE expires <= ?", (now,))
            conn.execute("INSERT INTO editor_sessions (id, token, created, expires) VALUES (?, ?, ?, ?)",
                         (_key(value), _token_tag(), now, now + lifetime))
    except (sqlite3.Error, state.StateError, OSError) as error:
        raise SessionStoreError(f"signing in: {error}") from error
    session["editor"] = value


def end_session() -> None:
    """Sign this browser out: its record is deleted, so a copy of the cookie no longer signs anyone in (in any
    server process). SessionStoreError when the state database cannot be written (the sign-in then stays)."""
    value = session.get("editor")
    if isinstance(value, str):
        try:
            with _sessions() as conn:
                conn.execute("DELETE FROM editor_sessions WHERE id = ?", (_key(value),))
        except (sqlite3.Error, state.StateError, OSError) as error:
            raise SessionStoreError(f"signing out: {error}") from error
    session.pop("editor", None)


def signed_in() -> bool:
    """Whether this browser's session is a live sign-in: recorded, not expired, made with the current token."""
    value = session.get("editor")
    if not current_app.config.get("EDITOR_TOKEN") or not isinstance(value, str):
        return False
    try:
        with _sessions() as conn:
            row = conn.execute("SELECT token, expires FROM editor_sessions WHERE id = ?", (_key(value),)).fetchone()
    except (sqlite3.Error, state.StateError, OSError) as error:  # cannot tell: not signed in
        log.warning("editor sessions cannot be read: %s", error)
        return False
    return row is not None and row["expires"] > time.time() and hmac.compare_digest(row["token"], _token_tag())


def write_refusal(api: bool, shared: bool = False) -> str | None:
    """Why this request may not write (answered with 403), or None when it may. ``shared``: the change is made in the
    PostgreSQL store when the app reads one (adding and managing sources, marks, notes and story rules); any other
    change is refused there."""
    if current_app.config.get("DATABASE_URL") and not shared:  # psycopg is imported only with a database
        from parallax.store.serving import refusal
        return refusal()
    if not token_required():
        return None
    if not current_app.config.get("EDITOR_TOKEN"):
        where = ("is served through a reverse proxy (PROXY_HOPS)" if behind_proxy()
                 else f"listens on {current_app.config.get('HOST')}, beyond loopback")
        return (f"Adding sources is turned off: this server {where}, and no editor token is set "
                "(set PARALLAX_EDITOR_TOKEN).")
    if api:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token_matches(given.strip()):
            return None
        return "Adding sources needs the editor token: send 'Authorization: Bearer <token>'."
    if signed_in():
        return None
    return "Adding sources needs the editor token: sign in as an editor first."


# ---- CSRF: a signed random value bound to the session ----------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    """Signs CSRF tokens with the app's secret key."""
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="parallax.add.csrf")


def csrf_token() -> str:
    """The CSRF token for forms of this session."""
    if not isinstance(session.get("csrf"), str):
        session["csrf"] = secrets.token_urlsafe(24)
    return _serializer().dumps(session["csrf"])


def csrf_refusal() -> str | None:
    """Why the form's CSRF token is not acceptable, or None when it is."""
    given = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not given:
        return "The form is missing its security token (CSRF); reload the page and try again."
    try:
        value = _serializer().loads(given, max_age=CSRF_MAX_AGE)
        if not isinstance(expected, str):
            raise BadData("no CSRF value in this session")
    except BadData:
        return "The form's security token (CSRF) is invalid or expired; reload the page and try again."
    if not isinstance(value, str) or not hmac.compare_digest(value, expected):
        return "The form's security token (CSRF) does not belong to this session; reload the page and try again."
    return None


# ---- one gate for every view that writes -----------------------------------------------------------------------

def editor_write(*, api: bool = False, write: bool = True, shared: bool = False,
                 refused: Callable[..., Any] | None = None) -> Callable[[View], View]:
    """Decorate a view that changes something: a form post must carry this session's CSRF token (else 400), and,
    when ``write``, the request must be allowed to write (else 403, through ``refused(status, message,
    **view_args)`` when the view wants to show its own page, else the error page). API views (``api``) are
    checked for the editor token instead of CSRF. ``shared`` views write where every app server sees the change
    (the corpus's place: a folder, or the PostgreSQL store), so a server reading PostgreSQL takes them too. GET and
    HEAD pass through unchecked."""
    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if request.method in SAFE_METHODS:
                return view(*args, **kwargs)
            if not api:
                reason = csrf_refusal()
                if reason:
                    return error_response(400, reason)
            if write:
                reason = write_refusal(api, shared)
                if reason:
                    return refused(403, reason, **kwargs) if refused else error_response(403, reason)
            return view(*args, **kwargs)

        checked.editor_write = {"api": api, "write": write, "shared": shared}  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]
    return decorate


# ---- the session cookie ----------------------------------------------------------------------------------------

class EditorSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with SameSite=Lax always and Secure whenever the request came over https
    (directly, or through a trusted proxy's X-Forwarded-Proto), unless the settings ask for more."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """SESSION_COOKIE_SAMESITE when set, else Lax."""
        return super().get_cookie_samesite(app) or "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        """SESSION_COOKIE_SECURE when set, else whether this request is https."""
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))


def _throttled(error: Throttled) -> Response:
    """Too many wrong editor tokens: 429 with Retry-After, in the page's or the API's shape."""
    who = "from everyone together" if error.everyone else "from your address"
    response = error_response(429, f"Too many wrong editor tokens {who} in the last minute: try again in "
                                   f"{error.retry_after} s.")
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _store_error(error: SessionStoreError) -> Response:
    """Sign-ins cannot be recorded or ended: 503, logged."""
    log.error("editor sessions: %s", error)
    return error_response(503, "Signing in or out is not possible now (the state database cannot be written); "
                               "try again in a moment.")


def init_app(app: Flask) -> None:
    """Answer throttled token checks with 429 and an unwritable session store with 503; make the limiter now (one
    per app, shared by its threads)."""
    app.register_error_handler(Throttled, _throttled)
    app.register_error_handler(SessionStoreError, _store_error)
    with app.app_context():
        _limiter()
