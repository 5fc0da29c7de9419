"""Reading pages: the index, one source, and the comparison of two sources."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for

from .. import overview, text
from ..cache import cached, comparison_key
from ..compare import CompareOptions, compare
from ..corpus import Corpus, Source
from .render import BadOption, corpus, link, page, respond, wants_json
from .search import add_reading_extras

bp = Blueprint("pages", __name__)

VIEWS = ("side", "inline")
UNITS = ("word", "char", "sentence")


def source_summary(source: Source, corpus_: Corpus) -> dict[str, Any]:
    """A source's metadata with its page URL and how many versions its article has."""
    return {**source.metadata(), "href": url_for("pages.source", source_id=source.id),
            "versions": len(corpus_.versions(source))}


def closeness(sources: list[Source], corpus_: Corpus) -> list[dict[str, Any]]:
    """Summaries of a story's sources, each naming the source closest to it (shared three-word phrases)."""
    summaries = [source_summary(s, corpus_) for s in sources]
    matrix = overview.similarity(sources)
    for i, summary in enumerate(summaries):
        others = [(matrix[i][j], j) for j in range(len(sources)) if j != i]
        value, j = max(others, default=(0.0, -1))
        summary["closest"] = None if j < 0 else {
            "id": sources[j].id, "outlet": sources[j].outlet, "similarity": round(value, 3),
            "href": url_for("pages.compare_view", left=sources[i].id, right=sources[j].id)}
    return summaries


def get_source(corpus_: Corpus, source_id: str) -> Source:
    """The source with this id, or a 404 naming it."""
    source = corpus_.get(source_id)
    if source is None:
        abort(404, description=f"No source with id '{source_id}'.")
    return source


@page(bp, "/")
def index() -> Any:
    """Stories with their sources, files that failed to load, and a form to compare any two."""
    current = corpus()
    stories = [{"slug": story.slug, "title": story.title, "date": story.date or None, "summary": story.summary,
                "href": url_for("stories.story_view", story=story.slug),
                "sources": closeness(current.story_sources(story.slug), current)}
               for story in current.stories.values()]
    problems = [{"path": p.path, "reason": p.reason} for p in current.problems]
    return respond("index.html", {"stories": stories, "problems": problems,
                                  "source_count": len(current.sources)})


@page(bp, "/sources/<slug:source_id>")
def source(source_id: str) -> Any:
    """One source: metadata, the reading text and the original as stored."""
    current = corpus()
    src = get_source(current, source_id)
    document = src.document(frozenset({"markup"}))
    versions = current.versions(src)
    data: dict[str, Any] = {"source": source_summary(src, current), "original": src.body,
            "reading_text": document.text,
            "paragraphs": [{"text": document.text[p.start:p.end], "boilerplate": p.boilerplate}
                           for p in document.passages],
            "versions": [{"id": v.id, "captured": v.captured or None, "href": url_for("pages.source", source_id=v.id),
                          "compare_previous": (url_for("pages.compare_view", left=versions[n - 1].id, right=v.id)
                                               if n else None)} for n, v in enumerate(versions)]}
    add_reading_extras(data, src, document)
    if not wants_json():
        data["original_html"] = text.render_markdown(src.body) if src.format == "markdown" else None
    return respond("source.html", data)


def compare_options() -> tuple[str, CompareOptions]:
    """Parse ``view``, ``unit`` and ``ignore`` from the query string, raising BadOption on bad values."""
    view = request.args.get("view", "side")
    if view not in VIEWS:
        raise BadOption("view", view, VIEWS)
    unit = request.args.get("unit", "word")
    if unit not in UNITS:
        raise BadOption("unit", unit, UNITS)
    raw = request.args.get("ignore")
    ignore: frozenset[str]
    if raw is None:
        ignore = text.DEFAULT_IGNORE
    elif raw.strip() in ("", "none"):
        ignore = frozenset()
    else:
        chosen = [part.strip() for part in raw.split(",") if part.strip()]
        bad = [part for part in chosen if part not in text.IGNORABLE]
        if bad:
            raise BadOption("ignore", bad[0], [*text.IGNORABLE, "none"])
        ignore = frozenset(chosen)
    return view, CompareOptions(unit=unit, ignore=ignore, time_budget=current_app.config["COMPARE_TIME_BUDGET"],
                                max_chars=current_app.config["COMPARE_MAX_CHARS"])


def comparison_dict(left: Source, right: Source, options: CompareOptions) -> dict[str, Any]:
    """The comparison model of two sources as plain data, from the cache when it has it."""
    key = comparison_key(left.content_key, right.content_key, options.unit, options.ignore)
    cache = current_app.extensions["parallax.cache"]
    data: dict[str, Any] = cached(cache, key, lambda: compare(
        left.document(options.ignore), right.document(options.ignore), options).to_dict(),
        keep=lambda model: not model["limits"])  # a result cut short by a limit is not kept for others
    return data


def ignore_param(ignore: frozenset[str]) -> str:
    """The ``ignore`` query value for a set of options, in the canonical order."""
    return ",".join(o for o in text.IGNORABLE if o in ignore) or "none"


@page(bp, "/compare/<slug:left>/<slug:right>")
def compare_view(left: str, right: str) -> Any:
    """Two sources compared: aligned rows with word, character or sentence differences."""
    current = corpus()
    src_left, src_right = get_source(current, left), get_source(current, right)
    view, options = compare_options()
    model = comparison_dict(src_left, src_right, options)
    query = {"view": view, "unit": options.unit, "ignore": ignore_param(options.ignore)}
    data = {"left": source_summary(src_left, current), "right": source_summary(src_right, current),
            "options": {**query, "ignore": sorted(options.ignore, key=text.IGNORABLE.index)},
            "permalink": link("pages.compare_view", {"left": left, "right": right, **query}),
            "swap": link("pages.compare_view", {"left": right, "right": left, **query}),
            **{k: model[k] for k in ("stats", "limits", "rows")}}
    if not wants_json():
        data["display"] = model["display"]
        data["choices"] = {"view": VIEWS, "unit": UNITS, "ignore": text.IGNORABLE}
    response = respond("compare.html", data)
    if data["limits"]:
        response.cache_control.no_store = True  # cut short by a limit: neither browsers nor the page cache keep it
    return response


@bp.route("/compare")
def compare_pick() -> Any:
    """The index form's target: redirect ``?left=a&right=b`` to the comparison's stable URL."""
    left, right = request.args.get("left", ""), request.args.get("right", "")
    for name, value in (("left", left), ("right", right)):
        if not value:
            abort(400, description=f"Choose a source for '{name}'.")
    extra = {k: v for k, v in request.args.items() if k in ("view", "unit", "ignore")}
    get_source(corpus(), left), get_source(corpus(), right)
    return redirect(link("pages.compare_view", {"left": left, "right": right, **extra}))
