"""Search across the corpus, shared passages on source pages, a story's lineage view and story suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, request, url_for

from parallax import pipeline
from parallax.corpus import Corpus, Source
from parallax.errors import ParallaxError
from parallax.index import query as search_query
from parallax.index import reuse
from parallax.index import search as search_index
from parallax.index.query import Query, QueryError
from parallax.index.search import CorpusIndex
from parallax.index.spans import paragraph_sentences, source_spans
from parallax.story import drawing, lineage, quotes
from parallax.text import Document
from parallax.web.app_index import PAGE_SYNC_MOST, index
from parallax.web.lookup import get_story, kind_choices, kind_filter, outlet_info, registry
from parallax.web.openapi import KIND_CHOICES, OUTLET_INFO, OUTLET_KINDS
from parallax.web.render import corpus, domain_error_response, error_response, page, respond, wants_json

if TYPE_CHECKING:
    from parallax.store.search import StoreSearch

bp = Blueprint("search", __name__)

#: Stories whose quote groups are searched for other wordings of a matching quote.
QUOTE_STORIES = 10
#: Stories the search form offers by name when the corpus holds more (then: the stories of the results).
STORY_CHOICES = 200
#: Longest text /api/suggest-story reads, in characters.
MAX_SUGGEST_CHARS = 200_000


def searcher() -> CorpusIndex | StoreSearch:
    """What answers /search: the store's search when the app reads PostgreSQL (one shared corpus, nothing built per
    server), else the app's index beside its corpus."""
    if current_app.config.get("DATABASE_URL"):
        from parallax.store.search import StoreSearch  # psycopg is imported only with a database
        return StoreSearch(current_app.extensions["parallax.corpus"].store, corpus())
    return index()


@bp.errorhandler(ParallaxError)
def _domain_error(error: ParallaxError) -> Any:
    """A failure these views do not answer themselves (the PostgreSQL store's search could not answer in time or at
    all: 503), in the error shape with its cause."""
    return domain_error_response(error)


def _choices(idx: CorpusIndex | StoreSearch, hit_stories: Sequence[str] = (), chosen: str = "") -> dict[str, Any]:
    """Values the filter fields offer: every story while the corpus holds at most ``STORY_CHOICES``, else the
    stories of the results and the one chosen (a page listing 12,500 stories weighed 700 KB at 100,000 articles;
    any other story is typed as story:<slug>)."""
    current = corpus()
    if len(current.stories) <= STORY_CHOICES:
        slugs = list(current.stories)
    else:
        slugs = [slug for slug in dict.fromkeys([chosen, *hit_stories]) if slug in current.stories][:STORY_CHOICES]
    return {"outlets": idx.outlets(), "languages": idx.languages(),
            "stories": [{"slug": slug, "title": current.stories[slug].title or slug} for slug in slugs],
            "every_story": len(slugs) == len(current.stories)}


def _quote_groups(query: Query, stories: list[str]) -> list[dict[str, Any]]:
    """Quote groups of the hit stories with a wording matching the query, listing every other wording too."""
    current = corpus()
    found = []
    for slug in stories[:QUOTE_STORIES]:
        groups, _ = quotes.story_quotes(current.story_sources(slug), current_app.extensions["parallax.memo"])
        for group in groups:
            matched = [search_query.text_matches(v.text, query) and _variant_in_filters(v, query)
                       for v in group.variants]
            if any(matched) and (len(group.variants) > 1 or len(group.outlets) > 1):
                found.append({"story": slug, "speaker": group.speaker, "outlets": group.outlets,
                              "variants": [{"text": v.text, "outlets": list(v.outlets), "sources": list(v.sources),
                                            "matched": m, "segments": _segments(v.text, query)}
                                           for v, m in zip(group.variants, matched, strict=True)]})
    return found


def _variant_in_filters(variant: quotes.Variant, query: Query) -> bool:
    """Whether a quote's wording comes from the outlet and source the query is filtered to (any when unfiltered)."""
    outlets = {o.casefold() for o in variant.outlets}
    return ((not query.outlet or query.outlet.casefold() in outlets)
            and (not query.source or query.source in variant.sources))


def _selected(choices: dict[str, Any], query: Query) -> dict[str, str]:
    """The filter fields as the form shows them: each filter in effect, typed in the form or in the query
    (``outlet:rt`` selects "RT"), as the value of its choice."""
    effective = query.filters()
    outlet = effective.get("outlet", "")
    outlet = next((o for o in choices["outlets"] if o.casefold() == outlet.casefold()), outlet)
    return {**effective, "outlet": outlet}


def _by_article(story_hits: list[Any], current: Corpus) -> list[list[Any]]:
    """Hits grouped so that one sentence of one article is one hit, however many captures of it match (best first)."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for hit in story_hits:
        source = current.get(hit.source)
        key = (source.article_key if source else hit.source, " ".join(hit.text.split()).casefold())
        groups.setdefault(key, []).append(hit)
    return list(groups.values())


def _segments(text: str, query: Query) -> list[dict[str, Any]]:
    """A text as plain pieces and marked pieces (escaped by the template, never marked safe)."""
    return [{"text": piece, "mark": marked} for piece, marked in search_query.mark_segments(text, query)]


@page(bp, "/search")
def search_view() -> Any:
    """Search every sentence of the corpus: words, "phrases", prefix*, -excluded, and filters."""
    raw = request.args.get("q")
    fields = {name: request.args.get(name, "") for name in search_query.FILTERS}
    idx = searcher()
    shown = {k: search_query.echo_safe(v) for k, v in fields.items()}
    data: dict[str, Any] = {"q": search_query.echo_safe(raw or ""), "fields": shown, "query": None, "results": [],
                            "quotes": [],
                            "count": 0, "limit": search_index.RESULT_LIMIT, "truncated": False, "ranked": True,
                            "error": None}
    data["updating"], data["limits"] = idx.updating, [] if isinstance(idx, CorpusIndex) else list(idx.limits)
    data["unranked_order"] = idx.unranked_order
    if idx.unusable:
        return error_response(503, f"The search index cannot be used: it could not be brought up to date with the "
                                   f"corpus ({idx.unusable}), so a search would miss sources. Try again later.")
    data["outlet_kind"], data["outlet_kinds"] = None, kind_choices()
    if raw is None and not any(fields.values()):
        if wants_json():
            return error_response(400, "Give a query in 'q', e.g. /search.json?q=peskov.")
        data["choices"] = _choices(idx)
        return respond("search.html", data)
    try:
        query = search_query.parse_query(raw or "", **fields)
        hits = idx.search(query)
        if chosen := kind_filter():  # "only state media": hits from outlets the registry gives that kind
            kinds = registry()
            kept = search_index.Results(h for h in hits if kinds.kind_of(h.outlet) == chosen)
            kept.ranked, hits = hits.ranked, kept
            data["outlet_kind"] = chosen
    except QueryError as problem:
        if wants_json():  # the twin answers in the one error shape; the page shows the form with the reason
            return error_response(400, str(problem))
        data.update({"ok": False, "status": 400, "error": str(problem),
                     "choices": _choices(idx, chosen=fields.get("story", ""))})
        return respond("search.html", data, status=400)
    current = corpus()
    grouped = search_index.group_hits(hits)
    results = []
    for slug, story_hits in grouped.items():
        story = current.stories.get(slug)
        results.append({"story": slug, "title": (story.title if story else "") or slug,
                        "href": url_for("stories.story_view", story=slug),
                        "hits": [{"source": h.source, "outlet": h.outlet or None, "outlet_info": outlet_info(h.outlet),
                                  "title": h.title or None,
                                  "date": h.day or None, "pos": h.pos, "text": h.text,
                                  "segments": _segments(h.text, query),
                                  "href": url_for("pages.source", source_id=h.source) + f"#s{h.pos}",
                                  "captures": [{"source": c.source, "date": c.day or None,
                                                "href": url_for("pages.source", source_id=c.source) + f"#s{c.pos}"}
                                               for c in group]}
                                 for group in _by_article(story_hits, current) for h in group[:1]]})
    data.update({"query": {"understood": search_query.describe(query), "filters": query.filters()}, "results": results,
                 "count": sum(len(r["hits"]) for r in results),  # captures of one article's sentence: one hit
                 "truncated": len(hits) >= search_index.RESULT_LIMIT, "ranked": hits.ranked,
                 "quotes": _quote_groups(query, list(grouped)),
                 "choices": _choices(idx, list(grouped), fields.get("story", ""))})
    data["fields"] = {**data["fields"], **_selected(data["choices"], query)}
    return respond("search.html", data)


def shared_summary(source: Source) -> list[dict[str, Any]]:
    """What a source shares with other sources of any story: passages, sentences, and who had it first."""
    idx = index(PAGE_SYNC_MOST)
    with idx.lock:
        found = reuse.shared_of(idx.db, source.id)
    this_time = source.captured or source.published
    out = []
    for item in found:
        gap = lineage.time_gap(item.time, this_time)
        out.append({"id": item.other, "outlet": item.outlet or None, "story": item.story,
                    "href": url_for("pages.source", source_id=item.other),
                    "compare": url_for("pages.compare_view", left=source.id, right=item.other),
                    "same_article": item.article == source.article_key,
                    "time": item.time or None, "gap": gap or None,
                    "passages": [{"pos": run[0].pos, "end": run[-1].pos, "other_pos": run[0].other_pos,
                                  "sentences": len(run),
                                  "href": url_for("pages.source", source_id=item.other) + f"#s{run[0].other_pos}",
                                  "here": f"#s{run[0].pos}"}
                                 for run in item.passages],
                    "sentences": len(item.sentences)})
    return out


def add_reading_extras(data: dict[str, Any], source: Source, document: Document) -> None:
    """Give a source page's paragraphs their sentences (``s<N>`` anchors) and list the passages it shares."""
    pieces_of = paragraph_sentences(document, source_spans(source))
    for paragraph, pieces in zip(data["paragraphs"], pieces_of, strict=False):
        paragraph["sentences"] = [{"pos": pos, "text": piece} for pos, piece in pieces]
    data["shared"] = shared_summary(source)


def _node_dict(placed: drawing.PlacedNode) -> dict[str, Any]:
    """A lineage node as plain data with its place in the drawing and its links."""
    node = placed.node
    return {"id": node.id, "outlet": node.outlet or None, "time": node.time or None, "basis": node.basis or None,
            "row": placed.row, "y": placed.y, "href": url_for("pages.source", source_id=node.id),
            "title": placed.title or None, "label": placed.label,
            "attributions": [{"kind": a.kind, "name": a.name, "text": a.text} for a in node.attributions]}


def _curve_dict(curve: drawing.Curve) -> dict[str, Any]:
    """A lineage edge as plain data with its curve and a link to the comparison of its two sources."""
    edge = curve.edge
    return {"origin": edge.origin, "carrier": edge.carrier, "sentences": edge.sentences, "passages": edge.passages,
            "ordered": edge.ordered, "same_outlet": edge.same_outlet, "attributed": edge.attributed,
            "flagged": edge.flagged, "cited": edge.cited, "citations": list(edge.citations),
            "shared_citation": edge.shared_citation, "gap": curve.gap or None,
            "compare": url_for("pages.compare_view", left=edge.origin, right=edge.carrier),
            "path": curve.path, "label_x": curve.label_x, "label_y": curve.label_y}


@page(bp, "/stories/<slug:story>/lineage")
def lineage_view(story: str) -> Any:
    """Who carried a story's shared text first, who carried it later, and with what attribution."""
    found, sources = get_story(story)
    drawn = pipeline.story_lineage(story, sources, index(PAGE_SYNC_MOST), current_app.extensions.get("parallax.memo"))
    data = {"story": {"slug": found.slug, "title": found.title or None, "date": found.date or None,
                      "href": url_for("stories.story_view", story=story)},
            "nodes": [_node_dict(n) for n in drawn.nodes],
            "edges": [_curve_dict(c) for c in drawn.curves],
            "drawing": {"width": drawn.width, "height": drawn.height, "box": drawing.BOX,
                        "margin": drawing.BOX_MARGIN, "inset": drawing.LABEL_INSET},
            "rules": {"min_words": reuse.MIN_WORDS, "threshold": reuse.THRESHOLD,
                      "agencies": list(lineage.AGENCIES)}}
    return respond("lineage.html", data)


def _suggest_text() -> str:
    """The text to suggest a story for, from ?text=, a form field or a JSON body."""
    value: Any = request.args.get("text")
    if request.method == "POST":
        body = request.get_json(silent=True) if request.is_json else None
        value = body.get("text") if isinstance(body, dict) else request.form.get("text", value)
    if not isinstance(value, str) or not value.strip():
        abort(400, description="Give the article text in 'text' (query parameter, form field or JSON body).")
    if len(value) > MAX_SUGGEST_CHARS:
        abort(400, description=f"The text is too long: at most {MAX_SUGGEST_CHARS:,} characters.")
    if "\x00" in value:
        abort(400, description="The text contains a NUL character.")
    return value


@bp.route("/api/suggest-story", methods=["GET", "POST"])
def suggest_story_api() -> Any:
    """Stories a new article's text overlaps, for the add flow to preselect one."""
    text = _suggest_text()
    current = corpus()
    ranked = index().suggest_story(text)
    return {"ok": True, "suggestions": [
        {"story": slug, "title": (current.stories[slug].title if slug in current.stories else "") or None,
         "score": score, "href": url_for("stories.story_view", story=slug)} for slug, score in ranked]}


_ERROR = {"$ref": "#/components/schemas/Error"}
_SEGMENTS = {"type": "array", "items": {"type": "object", "properties": {
    "text": {"type": "string"}, "mark": {"type": "boolean"}}}}
_SEARCH_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "q": {"type": "string"}, "fields": {"type": "object"},
    "query": {"type": ["object", "null"], "properties": {"understood": {"type": "string"},
                                                          "filters": {"type": "object"}}},
    "count": {"type": "integer"}, "limit": {"type": "integer"}, "truncated": {"type": "boolean"},
    "ranked": {"type": "boolean", "description": "False when ranking ran out of time (a common word): the hits are "
               "then those unranked_order says."},
    "unranked_order": {"type": "string", "description": "Which matches an unranked search shows: the most recently "
                       "indexed (the embedded index) or the first the database finds (PostgreSQL)."},
    "error": {"type": ["string", "null"]},
    "updating": {"type": "boolean", "description": "The index is being brought up to date: results may be incomplete."},
    "limits": {"type": "array", "items": {"type": "string"}, "description": "What this server's search does "
               "differently from the embedded index (on PostgreSQL: accents count); empty when nothing."},
    "results": {"type": "array", "items": {"type": "object", "properties": {
        "story": {"type": "string"}, "title": {"type": "string"}, "href": {"type": "string"},
        "hits": {"type": "array", "items": {"type": "object", "properties": {
            "source": {"type": "string"}, "outlet": {"type": ["string", "null"]}, "outlet_info": OUTLET_INFO,
            "title": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]},
            "pos": {"type": "integer"}, "text": {"type": "string"}, "segments": _SEGMENTS,
            "href": {"type": "string", "description": "/sources/<id>#s<pos>: the sentence on its source page"},
            "captures": {"type": "array", "description": "Every capture of the article carrying this sentence "
                         "(one hit however many captures match), the hit's own first.",
                         "items": {"type": "object", "properties": {
                             "source": {"type": "string"}, "date": {"type": ["string", "null"]},
                             "href": {"type": "string"}}}}}}}}}},
    "quotes": {"type": "array", "description": "Quote groups with a wording matching the query, all wordings "
               "listed (other translations and variants of the same quote).",
               "items": {"type": "object", "properties": {
                   "story": {"type": "string"}, "speaker": {"type": ["string", "null"]},
                   "variants": {"type": "array", "items": {"type": "object", "properties": {
                       "text": {"type": "string"}, "matched": {"type": "boolean"}, "segments": _SEGMENTS,
                       "outlets": {"type": "array", "items": {"type": "string"}}}}}}}},
    "choices": {"type": "object"}, "outlet_kinds": KIND_CHOICES,
    "outlet_kind": {"enum": [*OUTLET_KINDS, None], "description": "Only hits from outlets of this kind."}}}
_NO_NUL = r"^[^\x00]*$"
_DATE = r"^\s*([0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?\s*$"  # blank: no date filter
_SEARCH_PARAMS: list[dict[str, Any]] = [
    {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500, "pattern": _NO_NUL},
     "description": 'Words (all must match), "quoted phrases", prefix* (2+ letters), -excluded, and filters '
                    'outlet:RT, outlet:"The Moscow Times", story:<slug>, source:<id>, lang:en, '
                    "from:2023-09-01, to:2023-09-30 (at most 500 characters and 24 terms). A query the syntax "
                    "cannot use (an unclosed quote, no words, a one-letter prefix, NUL) answers 400 with the reason."},
    *({"name": name, "in": "query", "required": False,
       "schema": ({"type": "string", "pattern": _DATE} if name in ("from", "to") else
                  {"type": "string", "maxLength": 500, "pattern": _NO_NUL}),
       "description": f"Filter '{name}' (overrides the same filter in q)."} for name in search_query.FILTERS),
    {"name": "outlet_kind", "in": "query", "required": False, "schema": {"enum": list(OUTLET_KINDS)},
     "description": "Only hits from outlets the outlet registry gives this kind (state-affiliated: state media)."}]
_LINEAGE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "story": {"type": "object"},
    "nodes": {"type": "array", "description": "Sources oldest first (publication time; the capture time only when "
              "the publication time is unknown; unknown last).", "items": {"type": "object", "properties": {
                  "id": {"type": "string"}, "outlet": {"type": ["string", "null"]},
                  "time": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                  "basis": {"enum": ["published", "captured", None], "description": "What time is: when the "
                            "source was published, or when it was captured (its publication time unknown)."},
                  "href": {"type": "string"}, "row": {"type": "integer", "description": "Row in the drawing."},
                  "y": {"type": "integer", "description": "Vertical place in the drawing (SVG units)."},
                  "label": {"type": "object", "description": "The box's text lines as drawn (cut with … to fit), "
                            "the whole text, and whether any line was cut.", "properties": {
                                "lines": {"type": "array", "items": {"type": "string"}},
                                "full": {"type": "string"}, "cut": {"type": "boolean"}}},
                  "attributions": {"type": "array", "items": {"type": "object", "properties": {
                      "kind": {"type": "string"}, "name": {"type": "string"}, "text": {"type": "string"}}}}}}},
    "edges": {"type": "array", "description": "Shared text first carried by origin, later by carrier.",
              "items": {"type": "object", "properties": {
                  "origin": {"type": "string"}, "carrier": {"type": "string"}, "sentences": {"type": "integer"},
                  "passages": {"type": "integer"}, "ordered": {"type": "boolean"},
                  "same_outlet": {"type": "boolean"}, "attributed": {"type": "boolean"},
                  "flagged": {"type": "boolean", "description": "Different outlets, the carrier credits "
                              "neither the origin's outlet nor any news agency, and not every sentence is a shared "
                              "citation."},
                  "cited": {"type": "integer", "description": "Sentences carried that both sides credit to the "
                            "same third party in the sentence itself (a speaker, an agency, a body)."},
                  "citations": {"type": "array", "items": {"type": "string"},
                                "description": "The third parties of those shared citations."},
                  "shared_citation": {"type": "boolean", "description": "Every sentence carried is a shared "
                                      "citation: common sourcing, not text taken from the origin."},
                  "gap": {"type": ["string", "null"]}, "compare": {"type": "string"},
                  "path": {"type": "string", "description": "The edge's SVG path in the drawing."},
                  "label_x": {"type": "integer"}, "label_y": {"type": "integer"}}}},
    "drawing": {"type": "object", "description": "Size of the server-rendered SVG drawing.",
                "properties": {"width": {"type": "integer"}, "height": {"type": "integer"},
                               "box": {"type": "integer"}, "margin": {"type": "integer"},
                               "inset": {"type": "integer"}}},
    "rules": {"type": "object"}}}
_STORY_PARAM = {"name": "story", "in": "path", "required": True, "schema": {"type": "string",
                                                                            "pattern": "^[a-z0-9-]+$"}}


def _get(summary: str, schema: dict[str, Any], params: list[dict[str, Any]], errors: dict[str, str]
         ) -> dict[str, Any]:
    """An OpenAPI GET operation answering JSON (the HTML pages are the same URLs without ``.json``)."""
    responses: dict[str, Any] = {"200": {"description": "OK.", "content": {"application/json": {"schema": schema}}}}
    for code, text in errors.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": _ERROR}}}
    return {"get": {"summary": summary, "tags": ["search"], "parameters": params, "responses": responses}}


_BAD_QUERY = {"400": "Empty or unusable query (unclosed quote, too long, NUL, no words): the message says why."}
_NO_STORY = {"404": "No such story."}
#: The text /api/suggest-story reads: some non-space character, no NUL, at most MAX_SUGGEST_CHARS characters.
_TEXT = {"type": "string", "pattern": r"^[^\x00]*[^\x00\s][^\x00]*$", "maxLength": MAX_SUGGEST_CHARS}
_TEXT_BODY = {"type": "object", "required": ["text"], "properties": {"text": _TEXT}, "additionalProperties": True,
              "description": "Other fields are ignored."}
_SUGGEST = {"summary": "Stories a new article's text overlaps (share of its sentences each already carries)",
            "tags": ["search"],
            "responses": {"200": {"description": "Suggestions, best first.", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}, "suggestions": {
                    "type": "array", "items": {"type": "object", "properties": {
                        "story": {"type": "string"}, "title": {"type": ["string", "null"]},
                        "score": {"type": "number", "minimum": 0, "maximum": 1},
                        "href": {"type": "string"}}}}}}}}},
                "400": {"description": "No text, or text over 200,000 characters.",
                        "content": {"application/json": {"schema": _ERROR}}}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/search.json": _get("Search every sentence: matches grouped by story, terms marked, matching quote groups",
                         _SEARCH_SCHEMA, _SEARCH_PARAMS,
                         {**_BAD_QUERY, "503": "The index could not be brought up to date with the corpus (a full "
                                               "disk, a locked database): the message says why."}),
    "/stories/{story}/lineage.json": _get("Who carried a story's shared text first, with attributions",
                                          _LINEAGE_SCHEMA, [_STORY_PARAM], _NO_STORY),
    "/api/suggest-story": {
        "get": {**_SUGGEST, "parameters": [{"name": "text", "in": "query", "required": True, "schema": _TEXT}]},
        "post": {**_SUGGEST, "requestBody": {"required": True, "content": {
            "application/json": {"schema": _TEXT_BODY}, "application/x-www-form-urlencoded": {"schema": _TEXT_BODY}}}}},
}
