"""Adding sources: paste, upload or fetch, confirm, save; and the JSON API for scripts."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from .. import fetch, ingest
from ..corpus import Corpus, Source
from .editors import csrf_refusal, csrf_token, signed_in, token_matches, token_required, write_refusal
from .editors import digest as editor_digest
from .render import corpus, error_response

bp = Blueprint("add", __name__)

FORM_OVERHEAD = 65_536
NEW_STORY = "__new__"
FIELDS = ("outlet", "title", "published", "url", "format", "language", "attribution", "attribution_note",
          "version_of", "story", "new_story", "new_story_title")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/sources": {
        "post": {
            "summary": "Add a source",
            "description": (
                "Adds one version of an article to a story. Give exactly one of `text` (plain text or markdown), "
                "`html` (article text and metadata are extracted with trafilatura) or `url` alone (the page is "
                "fetched, then extracted). Metadata fields override what was extracted. When the server is reachable "
                "beyond loopback (HOST not loopback, or behind a reverse proxy), send "
                "`Authorization: Bearer <EDITOR_TOKEN>`."),
            "security": [{"editorToken": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["story"],
                "properties": {
                    "text": {"type": "string", "description": "Article text, stored exactly."},
                    "html": {"type": "string", "description": "An HTML page to extract the article from."},
                    "url": {"type": "string", "format": "uri",
                            "description": "The article's URL; fetched when neither text nor html is given."},
                    "format": {"type": "string", "enum": ["text", "markdown"], "default": "text"},
                    "outlet": {"type": "string"}, "title": {"type": "string"},
                    "published": {"type": "string", "format": "date"},
                    "story": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$",
                              "description": "Story slug; a new story is created when it does not exist."},
                    "story_title": {"type": "string", "description": "Title of a new story."},
                    "language": {"type": "string", "default": "en"},
                    "version_of": {"type": "string",
                                   "description": "Id of an existing source (or its article URL) this is a new "
                                                  "version of."}}}}}},
            "responses": {
                "201": {"description": "Saved", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"ok": {"type": "boolean"}, "id": {"type": "string"},
                                                     "href": {"type": "string"}, "json": {"type": "string"}}}}}},
                "400": {"description": "Bad input, or a fetch refused (private or metadata address)"},
                "403": {"description": "Editor token missing or wrong, or writing is turned off"},
                "409": {"description": "The same text is already in the story (`id` and `href` name it)"},
                "413": {"description": "Over MAX_UPLOAD_BYTES"},
                "415": {"description": "Not JSON, or the fetched URL is not an HTML page"},
                "422": {"description": "No article text found in the page"},
                "502": {"description": "The fetch failed (HTTP error, too many redirects)"},
                "504": {"description": "The fetch timed out"}}}}}


@bp.record_once
def _set_limits(state: BlueprintSetupState) -> None:
    """Cap request bodies at the upload limit plus room for the other form fields."""
    limit = int(state.app.config["MAX_UPLOAD_BYTES"]) + FORM_OVERHEAD
    state.app.config["MAX_CONTENT_LENGTH"] = limit
    state.app.config["MAX_FORM_MEMORY_SIZE"] = limit


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    """413 that names the limit."""
    return error_response(413, f"The upload is too large: the limit is {current_app.config['MAX_UPLOAD_BYTES']:,} "
                               "bytes (MAX_UPLOAD_BYTES).")


# ---- shared helpers ---------------------------------------------------------------------------------------------

def _page(template: str, data: dict[str, Any], status: int = 200) -> Response:
    """Render one of the add pages (they have no JSON twin)."""
    data = {**data, "csrf_token": csrf_token(), "token_required": token_required(), "signed_in": signed_in(),
            "token_configured": bool(current_app.config.get("EDITOR_TOKEN"))}
    response = Response(render_template(template, data=data, alternate=None), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def drafts() -> Path:
    """The drafts folder."""
    return ingest.draft_dir(str(current_app.config.get("DRAFT_DIR") or ""))


def corpus_root() -> Path:
    """The corpus folder."""
    return Path(current_app.config["CORPUS_DIR"]).resolve()


def fetch_page(url: str) -> ingest.Extracted:
    """Fetch a URL (SSRF-checked) and extract its article."""
    cfg = current_app.config
    page = fetch.fetch(url, timeout=float(cfg["FETCH_TIMEOUT"]), max_redirects=int(cfg["FETCH_MAX_REDIRECTS"]),
                       max_bytes=int(cfg["MAX_UPLOAD_BYTES"]), allow_private=bool(cfg["FETCH_ALLOW_PRIVATE"]))
    html = ingest.decode_html(page.body, page.charset)
    return ingest.from_html(html, page.url, capture=f"fetched from {page.url}; article text extracted by trafilatura")


def check_size(text: str) -> None:
    """Refuse pasted text over the upload limit."""
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    size = len(text.encode("utf-8"))
    if size > limit:
        raise ingest.IngestError(f"the text is {size:,} bytes, over the MAX_UPLOAD_BYTES limit of {limit:,}", 413)


def _url_key(url: str) -> str:
    """A URL reduced for matching: no fragment, no trailing slash, lower-case scheme and host."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}" + (
        f"?{parts.query}" if parts.query else "") if parts.netloc else ""


def author_note(author: str) -> str:
    """The attribution note for an author named by the page ('' when none is)."""
    return f"Author given by the page: {author}." if author else ""


def suggest_version_of(current: Corpus, url: str) -> Source | None:
    """The latest captured source whose URL (or article key) matches this URL, if any."""
    key = _url_key(url)
    if not key:
        return None
    matches = [s for s in current.sources.values() if key in (_url_key(s.url), _url_key(s.version_of))]
    return max(matches, key=lambda s: (s.captured or "", s.id)) if matches else None


def resolve_version_of(current: Corpus, value: str) -> str:
    """The article key for ``version_of``: a source id becomes that source's key; an http(s) URL stays."""
    value = value.strip()
    if not value:
        return ""
    source = current.get(value)
    if source is not None:
        return source.article_key
    if urlsplit(value).scheme in ("http", "https"):
        return value
    raise ingest.IngestError(f"version_of must be the id of an existing source or an article URL, not {value!r}")


def build_new_source(current: Corpus, values: dict[str, str], extracted: ingest.Extracted) -> tuple[
        ingest.NewSource, str]:
    """The new source from confirmed values (falling back to what was extracted) and the new story's title."""
    story = values.get("story", "").strip()
    story_title = values.get("story_title", "").strip()
    if story == NEW_STORY:
        story = values.get("new_story", "").strip()
        story_title = values.get("new_story_title", "").strip()
    if not story:
        raise ingest.IngestError("choose a story (or give a slug for a new one)")
    outlet = values.get("outlet", extracted.outlet).strip()
    published = values.get("published", extracted.published).strip()
    if published and not ingest._is_iso_date(published):
        raise ingest.IngestError(f"published must be a date such as 2023-09-12, not {published!r}")
    attribution = values.get("attribution", "").strip() or ("stated" if outlet else "unknown")
    note = values.get("attribution_note", "").strip() or author_note(extracted.author)
    new = ingest.NewSource(
        story=story, body=extracted.body, format=values.get("format", extracted.format).strip() or "text",
        outlet=outlet, title=values.get("title", extracted.title), published=published,
        url=values.get("url", extracted.url).strip(), language=values.get("language", "").strip()
        or extracted.language or "en", attribution=attribution, attribution_note=note,
        capture=extracted.capture, original_file=extracted.original_file,
        version_of=resolve_version_of(current, values.get("version_of", "")))
    ingest.story_folder(corpus_root(), story)
    if story not in current.stories and not story_title:
        story_title = new.title or story
    return new, story_title


def save(new: ingest.NewSource, story_title: str) -> tuple[Source, str]:
    """Write the source, reload the corpus, and return it with the page to go to next."""
    source = ingest.save_source(corpus_root(), corpus(), new, int(current_app.config["MAX_SOURCE_BYTES"]),
                                story_title)
    current_app.extensions["parallax.corpus"].invalidate()
    current = corpus()
    saved = current.get(source.id) or source
    previous = current.previous_version(saved)
    if previous is not None:
        return saved, url_for("pages.compare_view", left=previous.id, right=saved.id)
    return saved, url_for("pages.source", source_id=saved.id)


# ---- browser pages ----------------------------------------------------------------------------------------------

def _add_page(status: int = 200, error: str = "", values: dict[str, str] | None = None) -> Response:
    """The input step, with an optional error and the values to keep."""
    current = corpus()
    values = values or {}
    story = values.get("story") or request.args.get("story", "")
    return _page("add.html", {"error": error, "form": values, "story": story,
                              "story_title": current.stories[story].title if story in current.stories else "",
                              "formats": ("text", "markdown")}, status)


@bp.get("/add")
def add_form() -> Response:
    """Step 1: paste text, upload a file or give a URL (``?story=<slug>`` preselects the story)."""
    return _add_page()


@bp.post("/add")
def add_input() -> BaseResponse:
    """Step 1 submitted: extract the text, keep it as a draft, and go to the confirm step."""
    refusal = csrf_refusal()
    if refusal:
        return error_response(400, refusal)
    refusal = write_refusal(api=False)
    if refusal:
        return _add_page(403, refusal)
    kind = request.form.get("kind", "")
    values = {k: request.form.get(k, "") for k in ("kind", "format", "url", "story")}
    try:
        if kind == "paste":
            text = request.form.get("text", "")
            check_size(text)
            extracted = ingest.from_text(text, request.form.get("format", "text"))
        elif kind == "upload":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ingest.IngestError("choose a file to upload")
            limit = int(current_app.config["MAX_UPLOAD_BYTES"])
            extracted = ingest.from_upload(upload.filename, upload.stream.read(limit + 1), limit)
        elif kind == "fetch":
            url = request.form.get("url", "").strip()
            if not url:
                raise ingest.IngestError("give the URL of the page to fetch")
            extracted = fetch_page(url)
        else:
            raise ingest.IngestError("choose how to add the source: paste, upload or fetch")
    except (ingest.IngestError, fetch.FetchError) as error:
        return _add_page(error.status, str(error), values)
    token = ingest.save_draft(drafts(), extracted, {"story": values["story"]})
    return redirect(url_for("add.confirm_form", token=token), 303)


def _confirm_values(current: Corpus, extracted: ingest.Extracted, extra: dict[str, str],
                    suggestion: Source | None) -> dict[str, str]:
    """The confirm form's initial values, from the draft (and the source it may be a new version of)."""
    story = extra.get("story", "")
    values = {"outlet": extracted.outlet, "title": extracted.title, "published": extracted.published,
              "url": extracted.url, "format": extracted.format, "language": extracted.language or "en",
              "attribution": "stated" if extracted.outlet else "unknown",
              "attribution_note": author_note(extracted.author),
              "version_of": suggestion.id if suggestion else "", "story": "", "new_story": "",
              "new_story_title": ""}
    if story in current.stories:
        values["story"] = story
    elif suggestion is not None:
        values["story"] = suggestion.story
    elif story:
        values.update(story=NEW_STORY, new_story=story)
    elif len(current.stories) == 1:
        values["story"] = next(iter(current.stories))
    return values


def _confirm_page(token: str, extracted: ingest.Extracted, values: dict[str, str] | None = None,
                  status: int = 200, error: str = "", extra: dict[str, str] | None = None) -> Response:
    """The confirm step: metadata form prefilled (from the draft unless submitted ``values`` are given), and the
    text as it will be stored."""
    current = corpus()
    suggestion = suggest_version_of(current, extracted.url)
    if values is None:
        values = _confirm_values(current, extracted, extra or {}, suggestion)
    stories = [{"slug": s.slug, "title": s.title or s.slug} for s in current.stories.values()]
    sources = [{"id": s.id, "label": f"{s.outlet or 'Unknown outlet'}: {s.title or s.id} ({s.id})", "story": s.story}
               for s in sorted(current.sources.values(), key=lambda s: (s.story, s.id))]
    return _page("add_confirm.html", {
        "token": token, "form": values, "error": error, "stories": stories, "sources": sources,
        "suggestion": suggestion.id if suggestion else "", "new_story": NEW_STORY, "body": extracted.body,
        "capture": extracted.capture, "author": extracted.author, "formats": ("text", "markdown"),
        "attributions": ("stated", "inferred", "unknown"), "chars": len(extracted.body),
        "words": len(extracted.body.split())}, status)


@bp.get("/add/confirm/<token>")
def confirm_form(token: str) -> Response:
    """Step 2: confirm what was extracted."""
    draft = ingest.load_draft(drafts(), token)
    if draft is None:
        return error_response(404, "This draft does not exist or has expired; add the source again.")
    extracted, extra = draft
    return _confirm_page(token, extracted, extra=extra)


@bp.post("/add/confirm/<token>")
def confirm_save(token: str) -> BaseResponse:
    """Step 2 submitted: save the source and go to it (or to the comparison with its previous version)."""
    refusal = csrf_refusal()
    if refusal:
        return error_response(400, refusal)
    draft = ingest.load_draft(drafts(), token)
    if draft is None:
        return error_response(404, "This draft does not exist or has expired; add the source again.")
    extracted, _extra = draft
    values = {name: request.form.get(name, "") for name in FIELDS}
    refusal = write_refusal(api=False)
    if refusal:
        return _confirm_page(token, extracted, values, 403, refusal)
    try:
        new, story_title = build_new_source(corpus(), values, extracted)
        saved, target = save(new, story_title)
    except ingest.DuplicateError as duplicate:
        ingest.delete_draft(drafts(), token)
        flash(f"This text is already in the story as '{duplicate.existing.id}'; nothing was added.")
        return redirect(url_for("pages.source", source_id=duplicate.existing.id), 303)
    except ingest.IngestError as error:
        return _confirm_page(token, extracted, values, error.status, str(error))
    ingest.delete_draft(drafts(), token)
    flash(f"Added '{saved.id}'.")
    return redirect(target, 303)


def _safe_next(target: str) -> str:
    """A path of this app to return to after signing in (never another site), else the add page.

    Refused: whitespace and control characters (browsers drop tabs and newlines, so '/\\t/evil.example' would
    become '//evil.example'), a scheme or host, and paths outside the app's prefix (``request.script_root``).
    Backslashes count as slashes, as browsers read them.
    """
    fallback = url_for("add.add_form")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in target):
        return fallback
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    root = request.script_root.rstrip("/")
    if root and target != root and not target.startswith(root + "/"):
        return fallback
    return target


@bp.route("/add/sign-in", methods=["GET", "POST"])
def sign_in() -> BaseResponse:
    """Editor sign-in: the token is checked once and a digest of it kept in the signed session."""
    next_url = _safe_next(request.values.get("next", ""))
    if request.method == "POST":
        refusal = csrf_refusal()
        if refusal:
            return error_response(400, refusal)
        if token_matches(request.form.get("token", "")):
            session["editor"] = editor_digest(str(current_app.config["EDITOR_TOKEN"]))
            flash("Signed in as an editor.")
            return redirect(next_url, 303)
        error = ("No editor token is set on this server (PARALLAX_EDITOR_TOKEN)."
                 if not current_app.config.get("EDITOR_TOKEN") else "That is not the editor token.")
        return _page("add_signin.html", {"next": next_url, "error": error}, 403)
    return _page("add_signin.html", {"next": next_url, "error": ""})


@bp.post("/add/sign-out")
def sign_out() -> BaseResponse:
    """Forget the editor sign-in."""
    refusal = csrf_refusal()
    if refusal:
        return error_response(400, refusal)
    session.pop("editor", None)
    return redirect(url_for("pages.index"), 303)


# ---- JSON API ---------------------------------------------------------------------------------------------------

API_FIELDS = ("text", "html", "url", "format", "outlet", "title", "published", "story", "story_title", "language",
              "version_of")


@bp.post("/api/sources")
def api_add() -> Response:
    """Add a source from JSON; 201 with its id and URLs, 409 when the text is already in the story."""
    if not request.is_json:
        return error_response(415, "Send the source as JSON (Content-Type: application/json).")
    refusal = write_refusal(api=True)
    if refusal:
        return error_response(403, refusal)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return error_response(400, "The request body must be a JSON object.")
    unknown = sorted(set(payload) - set(API_FIELDS))
    bad = [k for k in API_FIELDS if k in payload and payload[k] is not None and not isinstance(payload[k], str)]
    if unknown or bad:
        return error_response(400, f"Unknown field(s): {', '.join(unknown)}" if unknown
                              else f"Field '{bad[0]}' must be a string.")
    values = {k: str(v) for k, v in payload.items() if v is not None}
    try:
        extracted = _api_extract(values)
        current = corpus()
        fetched = not (values.get("text") or values.get("html"))
        overrides = {k: values[k] for k in ("outlet", "title", "published", "url", "format", "language")
                     if k in values and not (fetched and k == "url")}
        merged = {"story": values.get("story", ""), "story_title": values.get("story_title", ""),
                  "version_of": values.get("version_of", ""), **overrides}
        new, story_title = build_new_source(current, merged, extracted)
        saved, _target = save(new, story_title)
    except ingest.DuplicateError as duplicate:
        existing = duplicate.existing
        return error_response(409, str(duplicate), {
            "id": existing.id, "href": url_for("pages.source", source_id=existing.id),
            "json": url_for("pages.source_json", source_id=existing.id)})
    except (ingest.IngestError, fetch.FetchError) as error:
        return error_response(error.status, str(error))
    href = url_for("pages.source", source_id=saved.id)
    response = jsonify({"ok": True, "id": saved.id, "href": href,
                        "json": url_for("pages.source_json", source_id=saved.id)})
    response.status_code = 201
    response.headers["Location"] = href
    return response


def _api_extract(values: dict[str, str]) -> ingest.Extracted:
    """The article from exactly one of text, html or (alone) url."""
    given = [k for k in ("text", "html") if values.get(k)]
    if len(given) > 1:
        raise ingest.IngestError("give either 'text' or 'html', not both")
    if given:
        check_size(values[given[0]])
    if given == ["text"]:
        return ingest.from_text(values["text"], values.get("format") or "text")
    if given == ["html"]:
        return ingest.from_html(values["html"], values.get("url", ""), capture="HTML sent to the API; article "
                                                                               "text extracted by trafilatura")
    if values.get("url"):
        return fetch_page(values["url"])
    raise ingest.IngestError("give the article as 'text' or 'html', or a 'url' to fetch")
