"""The web layer: thin views that turn a request into one data dict, rendered as HTML or JSON."""

from __future__ import annotations

from flask import Flask

from parallax import export
from parallax.web import (
    add,
    add_api,
    alerts,
    batch,
    manage_views,
    notes,
    ops,
    outlets,
    pages,
    render,
    search_views,
    stories,
    timeline_views,
    watches,
)


def register(app: Flask) -> None:
    """Attach converters, blueprints, error handlers and response headers to the app."""
    render.init_app(app)
    app.jinja_env.filters.update(export.FILTERS)  # the same filters as the standalone export's templates
    for module in (pages, stories, add, add_api, batch, ops, watches, timeline_views, manage_views, search_views,
                   outlets, notes, alerts):
        app.register_blueprint(module.bp)
