"""Reading pages: the index, one source, and the comparison of two sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for

from parallax import export, model, pipeline, text
from parallax.corpus import Corpus, Source
from parallax.engine.compare import CompareOptions
from parallax.model import UNITS, VIEWS, BadOption, View
from parallax.story import digest, edit_kinds
from parallax.web import notes
from parallax.web.lookup import get_source, kind_choices, kind_filter, outlet_info
from parallax.web.render import corpus, link, page, respond, wants_json
from parallax.web.search_views import add_reading_extras

bp = Blueprint("pages", __name__)
STORIES_PER_PAGE = 25  # the index reads only the sources of the stories it shows, whatever the corpus size
MAX_PROBLEMS_SHOWN = 200  # files that failed to load, listed on the index (the count says how many in all)
MAX_PICKER_OTHERS = 200  # sources of other stories offered in a comparison's source pickers
#: Values of the ``focus`` option: collapse runs of unchanged passages, or show every passage.
FOCUS_VALUES = ("on", "off")
#: Formats a comparison downloads in.
EXPORT_FORMATS = ("html", "csv")


def source_summary(source: Source, corpus_: Corpus) -> dict[str, Any]:
    """A source's metadata with its page URL and how many versions its article has."""
    return {**source.metadata(), "href": url_for("pages.source", source_id=source.id),
            "versions": len(corpus_.versions(source)), "outlet_info": outlet_info(source.outlet)}


def closeness(sources: list[Source], corpus_: Corpus) -> list[dict[str, Any]]:
    """Summaries of a story's sources, each naming the source closest to it (shared three-word phrases)."""
    summaries = [source_summary(s, corpus_) for s in sources]
    memo, figures = current_app.extensions["parallax.memo"], getattr(current_app.extensions["parallax.corpus"],
                                                                      "figures", None)
    if figures is None or len(sources) < 2:
        matrix = pipeline.similarity(sources, memo)
    else:  # computed once per state of the story's texts, kept in the catalogue for every worker and restart
        matrix = memo.get("similarity", tuple(s.content_key for s in sources), lambda: figures.get(
            "similarity", sources[0].story, sources, lambda: pipeline.similarity(sources, memo)))
    for i, summary in enumerate(summaries):
        others = [(matrix[i][j], j) for j in range(len(sources)) if j != i]
        value, j = max(others, default=(0.0, -1))
        summary["closest"] = None if j < 0 else {
            "id": sources[j].id, "outlet": sources[j].outlet, "similarity": round(value, 3),
            "href": url_for("pages.compare_view", left=sources[i].id, right=sources[j].id)}
    return summaries


@page(bp, "/")
def index() -> Any:
    """Stories with their sources, files that failed to load, and a form to compare any two."""
    current = corpus()
    chosen = kind_filter()
    number, slugs = page_param(), list(current.stories)
    count = max(1, -(-len(slugs) // STORIES_PER_PAGE))  # a page past the last lists no story and links back
    shown = slugs[(number - 1) * STORIES_PER_PAGE:number * STORIES_PER_PAGE]  # only these stories' sources are read
    stories = [{"slug": story.slug, "title": story.title, "date": story.date or None, "summary": story.summary,
                "href": url_for("stories.story_view", story=story.slug),
                "sources": [s for s in closeness(current.story_sources(story.slug), current)
                            if chosen is None or (s["outlet_info"] or {}).get("kind", "unknown") == chosen]}
               for story in map(current.stories.__getitem__, shown)]
    problems = [{"path": p.path, "reason": p.reason} for p in current.problems[:MAX_PROBLEMS_SHOWN]]

    def at(n: int) -> str:
        return link("pages.index", {**({"outlet_kind": chosen} if chosen else {}), **({"page": n} if n > 1 else {})})

    paging = {"number": number, "count": count, "first": (number - 1) * STORIES_PER_PAGE + 1 if shown else 0,
              "last": (number - 1) * STORIES_PER_PAGE + len(shown), "total": len(slugs),
              "previous": at(min(number - 1, count)) if number > 1 else None,
              "next": at(number + 1) if number < count else None}
    return respond("index.html", {"stories": stories, "problems": problems, "source_count": len(current.sources),
                                  "story_count": len(slugs), "problem_count": len(current.problems),
                                  "paging": paging, "outlet_kind": chosen, "outlet_kinds": kind_choices()})


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
    story = current.stories.get(src.story)
    data["story"] = {"slug": src.story, "title": (story.title if story else "") or None,
                     "href": url_for("stories.story_view", story=src.story) if story else None}
    data["compare_with"] = [{"id": s.id, "label": f"{s.outlet or 'Unknown outlet'} ({s.id})"}
                            for s in current.story_sources(src.story) if s.id != src.id]
    add_reading_extras(data, src, document)
    if not wants_json():
        data["original_html"] = text.render_markdown(src.body) if src.format == "markdown" else None
    return respond("source.html", data)


def compare_options() -> tuple[View, CompareOptions]:
    """Parse ``view``, ``unit`` and ``ignore`` from the query string, raising BadOption on bad values."""
    view = model.parse_view(request.args.get("view"))
    unit, ignore = model.parse_unit(request.args.get("unit")), model.parse_ignore(request.args.get("ignore"))
    return view, pipeline.options(current_app.config, unit, ignore)


def reading_options(display: list[Any]) -> tuple[bool, str | None]:
    """Parse ``focus`` (on|off, default by length) and ``kind`` (change-list filter), raising BadOption."""
    raw = request.args.get("focus")
    if raw is not None and raw not in FOCUS_VALUES:
        raise BadOption("focus", raw, FOCUS_VALUES)
    focus = digest.focus_default(display) if raw is None else raw == "on"
    kind = request.args.get("kind") or None
    if kind is not None and kind not in model.FILTER_KINDS:
        raise BadOption("kind", kind, model.FILTER_KINDS)
    return focus, kind


def page_param() -> int:
    """The ``page`` query value (rows of a long comparison, stories of the index), 1 when absent; BadOption unless a
    number ≥ 1."""
    raw = request.args.get("page", "1")
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:  # "²" is a digit that int() refuses
        raise BadOption("page", raw, ["a page number from 1"])
    return int(digits) if len(digits) <= 18 else 10**18  # past int()'s digit limit: any page is out of range


def row_paging(result: dict[str, Any], number: int, query: dict[str, Any], left: str, right: str) -> dict[str, Any]:
    """The HTML page's slice of a comparison's rows (ROWS_PER_PAGE or PAGE_CHARS): where it is, links around it."""
    found = pipeline.row_page(result["display"], result["rows"], number)
    if found is None:
        count = len(pipeline.page_starts(result["display"], result["rows"]))
        raise BadOption("page", str(number), [f"1 to {count}"])

    def at(n: int) -> str:
        return link("pages.compare_view", {"left": left, "right": right, **query, **({"page": n} if n > 1 else {})})

    return {"number": found.number, "count": found.count, "first": found.start + 1, "last": found.end,
            "total": found.total, "rows_per_page": pipeline.ROWS_PER_PAGE, "page_chars": pipeline.PAGE_CHARS,
            "start_page": at(1), "previous": at(found.number - 1) if found.number > 1 else None,
            "next": at(found.number + 1) if found.number < found.count else None,
            "elsewhere": {anchor: at(n) for anchor, n in found.elsewhere.items()},
            "display": result["display"][found.start:found.end]}


def comparison(left: str, right: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The shared part of a comparison's page, twin and exports: (page data, rows and display order, query).

    The data is the pipeline's comparison document (what ``parallax compare --format json`` prints) with the
    web's links, reading options and editors' marks added."""
    current = corpus()
    src_left, src_right = get_source(current, left), get_source(current, right)
    view, options = compare_options()
    document, display = pipeline.comparison_document(
        src_left, src_right, options, current_app.extensions["parallax.cache"], view,
        (source_summary(src_left, current), source_summary(src_right, current)))
    focus, kind = reading_options(display)
    query = {"view": view, "unit": options.unit, "ignore": model.ignore_value(options.ignore)}
    data: dict[str, Any] = {**document,
                            "permalink": link("pages.compare_view", {"left": left, "right": right, **query}),
                            "swap": link("pages.compare_view", {"left": right, "right": left, **query})}
    data["digest"] = {**document["digest"], "focus": focus, "kind": kind,
                      "exports": {fmt: link("pages.compare_export", {"left": left, "right": right, "fmt": fmt,
                                                                      **query}) for fmt in ("html", "csv")}}
    notes.annotate(data, document["rows"], src_left, src_right)  # editors' marks; story rules make rows cosmetic
    return data, {"rows": document["rows"], "display": display}, query


@page(bp, "/compare/<slug:left>/<slug:right>")
def compare_view(left: str, right: str) -> Any:
    """Two sources compared: a summary of what changed, then aligned rows with their differences."""
    number = page_param()  # pages the HTML only: the JSON twin always has every row
    data, result, query = comparison(left, right)
    if not wants_json():
        shown = data["digest"]
        data["paging"] = row_paging(result, number, query, left, right)
        display = data["paging"].pop("display")
        if data["paging"]["count"] > 1:  # the change list covers this page's rows
            on_page = {index for index, _side in display}
            shown["changes"] = [c for c in shown["changes"] if c["row"] in on_page]
        data["display"] = display
        # A row longer than a page can hold is shortened here; the twin keeps it whole.
        data["rows"], data["shortened"] = pipeline.shorten_rows(data["rows"], {index for index, _side in display})
        data["twin"] = link("pages.compare_view_json", {"left": left, "right": right, **query})
        data["narrow"] = shown["kind"]  # the page shows only the passages of the kind the change list is filtered by
        data["choices"] = {"view": VIEWS, "unit": UNITS, "ignore": model.IGNORABLE, "kind": model.FILTER_KINDS,
                           "sources": picker_choices(corpus(), data["left"]["story"], data["right"]["story"])}
        data["blocks"] = digest.blocks(result["rows"], display, shown["focus"],
                                       "boilerplate" in data["options"]["ignore"])
        data["numbers"] = digest.change_numbers(result["rows"], result["display"])
        data["edits"] = edit_kinds.by_row(data.get("summary"))
        data["focus_links"] = {v: link("pages.compare_view", {"left": left, "right": right, **query, "focus": v})
                               for v in FOCUS_VALUES}
        data["kind_links"] = {k: link("pages.compare_view", {"left": left, "right": right, **query,
                                                             **({"kind": k} if k else {})}) + "#changes"
                              for k in ("", *model.FILTER_KINDS)}
    response = respond("compare.html", data)
    if data["limits"]:
        response.cache_control.no_store = True  # cut short by a limit: neither browsers nor the page cache keep it
    return response


def picker_choices(corpus_: Corpus, story: str, other_story: str = "") -> list[dict[str, str]]:
    """Sources a reader can put on either side: both sides' stories first, then other sources of the corpus up to
    MAX_PICKER_OTHERS (the page stays the same size whatever the corpus; any id works in the URL)."""
    ordered = {s.id: s for slug in dict.fromkeys((story, other_story)) for s in corpus_.story_sources(slug)}
    limit = len(ordered) + MAX_PICKER_OTHERS
    for source_id, source in corpus_.sources.items():
        if len(ordered) >= limit:
            break
        ordered.setdefault(source_id, source)
    return [{"id": s.id, "label": f"{s.outlet or 'Unknown outlet'} ({s.id})"} for s in ordered.values()]


@bp.route("/compare/<slug:left>/<slug:right>/export.<fmt>")
def compare_export(left: str, right: str, fmt: str) -> Any:
    """A comparison as a download: one standalone HTML file (styles inlined, no script) or CSV."""
    if fmt not in EXPORT_FORMATS:
        abort(404, description=f"No export as '{fmt}'; formats: {', '.join(EXPORT_FORMATS)}.")
    data, result, _ = comparison(left, right)
    filename = f"parallax-{left}-vs-{right}.{fmt}"
    if fmt == "csv":
        response = Response(export.csv_text(data, result["display"], notes.csv_rows(data["notes"])),
                            mimetype="text/csv")
    else:
        style = export.style()
        html = export.standalone_html(data, result["display"], datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                                      request.host_url.rstrip("/") + data["permalink"], style)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = export.content_security_policy(style)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if data["limits"]:
        response.cache_control.no_store = True
    return response


@bp.route("/compare")
def compare_pick() -> Any:
    """The index form's target: redirect ``?left=a&right=b`` to the comparison's stable URL."""
    left, right = request.args.get("left", ""), request.args.get("right", "")
    for name, value in (("left", left), ("right", right)):
        if not value:
            abort(400, description=f"Choose a source for '{name}'.")
    extra = {k: v for k, v in request.args.items() if k in ("view", "unit", "ignore", "focus")}
    get_source(corpus(), left), get_source(corpus(), right)
    return redirect(link("pages.compare_view", {"left": left, "right": right, **extra}))
