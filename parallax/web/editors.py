"""Who may write: the editor token (when the app is reachable beyond loopback) and CSRF tokens for forms."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeTimedSerializer

from parallax.config import is_loopback
from parallax.web.render import error_response

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


def digest(token: str) -> str:
    """A digest of the token, kept in the session instead of the token itself."""
    return hashlib.sha256(b"parallax-editor:" + token.encode("utf-8")).hexdigest()


def token_matches(given: str) -> bool:
    """Whether ``given`` is the configured editor token (constant-time comparison)."""
    expected = str(current_app.config.get("EDITOR_TOKEN") or "")
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def signed_in() -> bool:
    """Whether the browser session holds the current editor token."""
    expected = str(current_app.config.get("EDITOR_TOKEN") or "")
    held = session.get("editor")
    return bool(expected) and isinstance(held, str) and hmac.compare_digest(held, digest(expected))


def write_refusal(api: bool) -> str | None:
    """Why this request may not write (answered with 403), or None when it may."""
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

def editor_write(*, api: bool = False, write: bool = True,
                 refused: Callable[..., Any] | None = None) -> Callable[[View], View]:
    """Decorate a view that changes something: a form post must carry this session's CSRF token (else 400), and,
    when ``write``, the request must be allowed to write (else 403, through ``refused(status, message,
    **view_args)`` when the view wants to show its own page, else the error page). API views (``api``) are
    checked for the editor token instead of CSRF. GET and HEAD pass through unchecked."""
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
                reason = write_refusal(api)
                if reason:
                    return refused(403, reason, **kwargs) if refused else error_response(403, reason)
            return view(*args, **kwargs)

        checked.editor_write = {"api": api, "write": write}  # type: ignore[attr-defined]
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
