"""Who may write: the editor token (when the app is reachable beyond loopback) and CSRF tokens for forms."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from flask import current_app, request, session
from itsdangerous import BadData, URLSafeTimedSerializer

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
CSRF_MAX_AGE = 8 * 3600


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
    host = str(current_app.config.get("HOST", "")).strip().strip("[]").lower()
    if host in LOOPBACK_HOSTS:
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


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
