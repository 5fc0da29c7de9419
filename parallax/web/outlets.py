"""The outlet registry on the web: the registry page and its CSV, the outlet facts every page shows, the kind filter."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from parallax.sources import outlet_edit, outlets
from parallax.story import digest
from parallax.web.editors import csrf_token, editor_write, signed_in, token_required
from parallax.web.lookup import kind_choices, registry
from parallax.web.manage_views import audit
from parallax.web.openapi import KIND_CHOICES, OUTLET, json_response
from parallax.web.ops import PAGE_TOKENS
from parallax.web.render import error_response, page, respond, status_of

bp = Blueprint("outlets", __name__)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """Keep one registry store per app, beside the corpus it describes: in the corpus folder, or in the PostgreSQL
    store when the app reads one (every app server reads and edits the same registry)."""
    app = state.app
    shared = (lambda: app.extensions["parallax.corpus"].place) if app.config.get("DATABASE_URL") else None
    store = outlets.RegistryStore(
        app.config["CORPUS_DIR"], min(outlets.CHECK_SECONDS, float(app.config["CORPUS_RESCAN_SECONDS"])), shared)
    state.app.extensions["parallax.outlets"] = store
    state.app.extensions.setdefault(PAGE_TOKENS, []).append(store.token)


@page(bp, "/outlets")
def outlets_view() -> Any:
    """The registry: every outlet with its country, language, owner and kind, and where each fact comes from."""
    found = registry()
    return respond("outlets.html", {"outlets": [o.to_dict() for o in found.outlets], "problems": list(found.problems),
                                    "kinds": kind_choices(), "file": outlets.REGISTRY_FILE})


def _edit_page(original: str, values: dict[str, str], status: int = 200, error: str = "") -> Response:
    """The outlet form (no JSON twin), with the values to show and why a save was refused."""
    data = {"original": original, "form": values, "error": error, "kinds": kind_choices(),
            "file": outlets.REGISTRY_FILE, "csrf_token": csrf_token(), "token_required": token_required(),
            "signed_in": signed_in(), "token_configured": bool(current_app.config.get("EDITOR_TOKEN"))}
    response = Response(render_template("outlet_edit.html", data=data, alternate=None), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/outlets/edit")
def outlet_form() -> Response:
    """The form to add an outlet, or to edit the one named ``?name=`` (404 when there is none)."""
    name = request.args.get("name", "").strip()
    found = registry().lookup(name) if name else None
    if name and found is None:
        return error_response(404, f"No outlet named {name[:200]!r} in the registry.")
    return _edit_page(found.name if found else "", outlet_edit.form_values(found))


@bp.post("/outlets/edit")
@editor_write(shared=True, refused=lambda status, message: _edit_page(request.form.get("original", ""),
                                                         {k: request.form.get(k, "") for k in outlet_edit.FIELDS},
                                                         status, message))
def outlet_save() -> BaseResponse:
    """Save an outlet into the registry file (under the corpus's write lock: the folder's, or the PostgreSQL
    store's) and go back to the registry."""
    original = request.form.get("original", "").strip()
    values = {k: request.form.get(k, "") for k in outlet_edit.FIELDS}
    shared = current_app.extensions["parallax.corpus"].place if current_app.config.get("DATABASE_URL") else None
    try:
        saved = outlet_edit.save_outlet(shared or current_app.config["CORPUS_DIR"], original, values)
    except outlet_edit.OutletError as error:
        return _edit_page(original, values, status_of(error), str(error))
    current_app.extensions["parallax.outlets"].invalidate()
    audit("outlet", saved.name, f"{'changed' if original else 'added'} in {outlets.REGISTRY_FILE}: "
                                f"kind={saved.kind}")
    flash(f"Saved the outlet {saved.name}.")
    return redirect(url_for("outlets.outlets_view") + "#outlet-" + "-".join(saved.name.lower().split()), 303)


@bp.route("/outlets.csv")
def outlets_export() -> Response:
    """The registry as CSV, each fact followed by its source."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [[digest.csv_cell(v) for v in row] for row in registry().csv_rows()])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="parallax-outlets.csv"'
    return response


OPENAPI_PATHS: dict[str, Any] = {
    "/outlets.json": {"get": {
        "summary": "The outlet registry: every outlet's country, language, owner and kind, each with its source",
        "responses": {"200": json_response("The registry", {"type": "object", "properties": {
            "outlets": {"type": "array", "items": OUTLET},
            "problems": {"type": "array", "items": {"type": "string"},
                         "description": "Registry entries that could not be read, and why."},
            "kinds": KIND_CHOICES, "file": {"type": "string"}}})}}},
}
