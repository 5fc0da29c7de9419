"""What several views look up the same way: a source or a story by id (or a 404), and the outlet registry's facts.

The views of pages, stories, search, timeline and manage share these; keeping them here, below all of those views,
lets no view import another for them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request

from parallax.corpus import Corpus, Source, Story
from parallax.model import BadOption
from parallax.sources import outlets
from parallax.web.render import corpus

KIND_PARAM = "outlet_kind"  # the filter's query parameter on the index and search pages


def get_source(corpus_: Corpus, source_id: str) -> Source:
    """The source with this id, or a 404 naming it (after re-checking the corpus for changes other workers made)."""
    source = corpus_.get(source_id) or current_app.extensions["parallax.corpus"].find(source_id)
    if source is None:
        abort(404, description=f"No source with id '{source_id}'.")
    return source


def get_story(slug: str) -> tuple[Story, list[Source]]:
    """The story with this slug and its sources, or a 404 naming it."""
    current = corpus()
    found = current.stories.get(slug)
    sources = current.story_sources(slug)
    if found is None or not sources:
        abort(404, description=f"No story with slug '{slug}'.")
    return found, sources


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
