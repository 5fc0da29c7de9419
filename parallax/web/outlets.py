"""The outlet registry on the web: the registry page and its CSV, the outlet facts every page shows, the kind filter."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from parallax.model import BadOption
from parallax.sources import outlets
from parallax.story import digest
from parallax.web.openapi import KIND_CHOICES, OUTLET, json_response
from parallax.web.ops import PAGE_TOKENS
from parallax.web.render import page, respond

bp = Blueprint("outlets", __name__)
KIND_PARAM = "outlet_kind"  # the filter's query parameter on the index and search pages


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    """Keep one registry store per app, beside the corpus it describes."""
    store = outlets.RegistryStore(
        state.app.config["CORPUS_DIR"], min(outlets.CHECK_SECONDS, float(state.app.config["CORPUS_RESCAN_SECONDS"])))
    state.app.extensions["parallax.outlets"] = store
    state.app.extensions.setdefault(PAGE_TOKENS, []).append(store.token)


def registry() -> outlets.Registry:
    """The current outlet registry (read again when the file changed)."""
    return current_app.extensions["parallax.outlets"].get()  # type: ignore[no-any-return]


def outlet_info(name: str) -> dict[str, Any] | None:
    """What the registry says about the outlet of this name, or None when it says nothing."""
    return registry().describe(name)


def kind_filter() -> str | None:
    """The ``outlet_kind`` query value (a registry kind), None when absent; BadOption on another value."""
    raw = request.args.get(KIND_PARAM) or None
    if raw is not None and raw not in outlets.KINDS:
        raise BadOption(KIND_PARAM, raw, outlets.KINDS)
    return raw


def kind_choices() -> list[dict[str, str]]:
    """The kinds a reader can filter by, with their labels."""
    return [{"value": kind, "label": outlets.KIND_LABELS[kind]} for kind in outlets.KINDS]


@page(bp, "/outlets")
def outlets_view() -> Any:
    """The registry: every outlet with its country, language, owner and kind, and where each fact comes from."""
    found = registry()
    return respond("outlets.html", {"outlets": [o.to_dict() for o in found.outlets], "problems": list(found.problems),
                                    "kinds": kind_choices(), "file": outlets.REGISTRY_FILE})


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
