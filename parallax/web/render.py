"""One data dict, two renderings: HTML through Jinja or JSON; errors in one shape; security headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, render_template, request, url_for
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BaseConverter

from parallax.corpus import SLUG_PATTERN, Corpus
from parallax.errors import ParallaxError
from parallax.model import BadOption
from parallax.sources.fetch import FetchError
from parallax.sources.ingest import RESERVED_IDS, IngestError

log = logging.getLogger("parallax.web")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SlugConverter(BaseConverter):
    """URL part that is a corpus slug, so ``<id>.json`` never matches the HTML rule."""

    regex = SLUG_PATTERN




class SourceIdConverter(BaseConverter):
    """A source id in an API path: a slug other than the reserved words, so ``/api/sources/batch`` is one route."""

    regex = "(?!(?:" + "|".join(RESERVED_IDS) + ")(?![a-z0-9-]))" + SLUG_PATTERN  # ingest.RESERVED_IDS


def corpus() -> Corpus:
    """The current corpus (re-read from disk when it changed)."""
    return current_app.extensions["parallax.corpus"].get()  # type: ignore[no-any-return]


def wants_json() -> bool:
    """Whether the matched route is a ``.json`` twin."""
    return bool(request.url_rule and request.url_rule.rule.endswith(".json"))


#: Paths that answer a file rather than a page (CSV downloads, a kept page as plain text): their errors are JSON in
#: the one error shape, as their OpenAPI description says, never an HTML page inside a download.
FILE_PATHS = (".json", ".csv", "/original-page")


def wants_json_error() -> bool:
    """Whether an error on this request answers in the JSON error shape (twins, the API and file routes)."""
    return wants_json() or request.path.startswith("/api/") or request.path.endswith(FILE_PATHS)


def page(bp: Any, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view at ``rule`` and at its JSON twin ``rule + '.json'``."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(rule, view_func=view, **options)
        bp.add_url_rule("/index.json" if rule == "/" else rule + ".json",
                        endpoint=view.__name__ + "_json", view_func=view, **options)
        return view
    return decorator


def link(endpoint: str, values: dict[str, Any]) -> str:
    """``url_for`` with its values in a dict (route arguments and query parameters alike)."""
    return url_for(endpoint, **values)


def respond(template: str, data: dict[str, Any], status: int = 200) -> Response:
    """Render the data dict as JSON for a ``.json`` route, else through the template."""
    if wants_json():
        response = jsonify(data)
        response.status_code = status
        return response
    endpoint = (request.endpoint or "").removesuffix("_json")
    alternate = link(endpoint + "_json", {**(request.view_args or {}), **request.args.to_dict()})
    response = Response(render_template(template, data=data, alternate=alternate), status=status)
    response.headers["Link"] = f'<{alternate}>; rel="alternate"; type="application/json"'
    return response


def json_object(what: str) -> dict[str, Any]:
    """The request's JSON body as an object; else an error answer in the one shape, raised (415 when the body is
    not JSON, so a cross-site form cannot send it; 400 when nested too deeply or not an object)."""
    if not request.is_json:
        abort(error_response(415, f"Send {what} as JSON (Content-Type: application/json)."))
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # Flask's silent parse only catches ValueError
        abort(error_response(400, "The JSON body is nested too deeply.", {"cause": "bad_input"}))
    if not isinstance(payload, dict):
        abort(error_response(400, "The request body must be a JSON object."))
    return payload


def error_response(status: int, message: str, extra: dict[str, Any] | None = None) -> Response:
    """An error as JSON (``{"ok": false, ...}``) for twins and API calls, else as an HTML page."""
    payload = {"ok": False, "status": status, "error": message, **(extra or {})}
    if request_ctx.url_adapter is None:  # the request was refused before routing (untrusted Host): no links
        response = Response(f"{status}: {message}\n", mimetype="text/plain")
    elif wants_json_error():
        response = jsonify(payload)
    else:
        response = Response(render_template("error.html", data=payload), mimetype="text/html")
    response.status_code = status
    return response


# The one place where a domain failure (parallax.errors.ParallaxError) becomes an HTTP status: parallax/*.py outside
# web/ only name causes.
CAUSE_STATUS: dict[str, int] = {
    # ManageError, OutletError: a change that cannot be made
    "invalid": 400, "missing": 404, "conflict": 409,
    # IngestError
    "bad_input": 400, "empty": 400, "bad_encoding": 400, "too_large": 413, "unsupported_type": 415,
    "extraction_empty": 422, "extraction_failed": 422, "extractor_missing": 502, "duplicate": 409,
    "no_free_id": 409, "storage": 500, "disk_full": 507, "read_only": 503,
    # FetchError (too_large and the rest shared above)
    "bad_url": 400, "forbidden_address": 400, "unresolvable": 502, "connection_failed": 502, "http_error": 502,
    "too_many_redirects": 502, "not_html": 415, "timeout": 504,
    # SearchUnavailable: the PostgreSQL store cannot answer a search now
    "unavailable": 503,
}


def status_of(error: ParallaxError) -> int:
    """The HTTP status that answers a domain error (400 for a cause this table does not know)."""
    return CAUSE_STATUS.get(error.cause, 400)


def domain_error_response(error: ParallaxError, extra: dict[str, Any] | None = None) -> Response:
    """A domain error in the error shape, with its cause (and the field at fault, when there is one)."""
    details = {"cause": error.cause, **({"field": error.field} if error.field else {}), **(extra or {})}
    return error_response(status_of(error), str(error), details)


def _handle_http(error: HTTPException) -> Response:
    """Werkzeug's HTTP errors (404, 405, 413, …) in our error shape, keeping their headers (e.g. ``Allow``)."""
    response = error_response(error.code or 500, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_bad_option(error: BadOption) -> Response:
    """A bad option value: 400 naming the option and its allowed values."""
    return error_response(400, str(error), {"option": error.option, "allowed": error.allowed})


def _handle_unexpected(error: Exception) -> Response:
    """Anything else: logged with its traceback, answered with a plain 500 and no details."""
    log.exception("unhandled error on %s", request.path, exc_info=error)
    return error_response(500, InternalServerError.description)


def _headers(response: Response) -> Response:
    """Security headers on every response."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Install the slug converter, error handlers and header hook."""
    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["source_id"] = SourceIdConverter
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(BadOption, _handle_bad_option)
    app.register_error_handler(IngestError, domain_error_response)
    app.register_error_handler(FetchError, domain_error_response)
    app.register_error_handler(Exception, _handle_unexpected)
    app.after_request(_headers)
