"""Adding sources: paste, upload or fetch, confirm, save; editor sign-in. Scripts add through
``parallax.web.add_api``."""

from __future__ import annotations

import logging
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from parallax import languages
from parallax.config import max_body_bytes
from parallax.corpus import Corpus, Source
from parallax.model import ATTRIBUTIONS, FORMATS
from parallax.sources import adding, extract, ingest
from parallax.sources.drafts import DraftPlace, delete_draft, draft_dir, load_draft, save_draft
from parallax.sources.storage import place_of
from parallax.web.app_index import index
from parallax.web.editors import (
    EditorSessionInterface,
    csrf_token,
    editor_write,
    end_session,
    signed_in,
    start_session,
    token_matches,
    token_required,
)
from parallax.web.render import corpus, error_response, status_of

bp = Blueprint("add", __name__)
log = logging.getLogger("parallax.add")

#: Share of a new text's sentences a story must already carry (verbatim or lightly edited) to be preselected.
SUGGEST_SHARE = 0.3
FIELDS = ("outlet", "title", "published", "url", "format", "language", "attribution", "attribution_note",
          "version_of", "story", "new_story", "new_story_title")

@bp.record_once
def _set_limits(state: BlueprintSetupState) -> None:
    """Cap request bodies at the upload limit (form-encoded, where text can grow threefold) plus room for the other
    form fields; sessions get the editors' cookie rules (SameSite=Lax, Secure over https)."""
    limit = max_body_bytes(state.app.config)
    state.app.config["MAX_CONTENT_LENGTH"] = limit
    state.app.config["MAX_FORM_MEMORY_SIZE"] = limit
    if isinstance(state.app, Flask):
        state.app.session_interface = EditorSessionInterface()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    """413 that names the limit; a pasted text too large to even read is given back cut at the limit."""
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    message = too_large_message()
    if request.method != "POST" or request.path != "/add":
        return error_response(413, message)
    values = _oversize_form_values() if request.mimetype == "application/x-www-form-urlencoded" else {}
    if values.get("kind") == "paste":
        return _add_page(413, _cut_message(len(values.get("text", "").encode("utf-8")), limit, cut=True),
                         {**values, "text": cut_text(values.get("text", ""), limit)})
    return _add_page(413, message, values)


def too_large_message() -> str:
    """What a 413 says: the upload limit, and the setting that sets it."""
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    return f"The upload is too large: the limit is {limit:,} bytes (MAX_UPLOAD_BYTES)."


def _oversize_form_values() -> dict[str, str]:
    """The fields of a form-encoded body over MAX_CONTENT_LENGTH, read only up to that length (the rest is left
    unread): the text is then cut, and a field sent after it may be missing."""
    cap = int(current_app.config["MAX_CONTENT_LENGTH"])
    stream = request.environ.get("wsgi.input")
    try:
        raw = stream.read(min(cap, request.content_length or cap)) if stream is not None else b""
    except (OSError, ValueError):
        return {}
    pairs = parse_qsl(raw.decode("ascii", "replace"), keep_blank_values=True, encoding="utf-8", errors="replace")
    return {k: v.rstrip("\ufffd") for k, v in pairs if k in ("kind", "format", "story", "text", "url")}


def cut_text(text: str, limit: int) -> str:
    """The text cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _cut_message(size: int, limit: int, cut: bool) -> str:
    """What to say about a pasted text over the limit."""
    said = f"{size:,} bytes" if size > limit else "more than that"
    return (f"The text is {said}, over the limit of {limit:,} bytes (MAX_UPLOAD_BYTES). "
            + ("It has been cut to the limit below: shorten it (check its end) and submit it again." if cut else ""))


# ---- shared helpers ---------------------------------------------------------------------------------------------

def _page(template: str, data: dict[str, Any], status: int = 200) -> Response:
    """Render one of the add pages (they have no JSON twin)."""
    data = {**data, "csrf_token": csrf_token(), "token_required": token_required(), "signed_in": signed_in(),
            "token_configured": bool(current_app.config.get("EDITOR_TOKEN"))}
    response = Response(render_template(template, data=data, alternate=None), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def drafts() -> Path | DraftPlace:
    """Where drafts are kept: the store's drafts table when the app reads PostgreSQL (every app server confirms a
    draft any of them saved), else the drafts folder."""
    if current_app.config.get("DATABASE_URL"):
        from parallax.store.drafts import StoreDrafts  # psycopg is imported only with a database
        return StoreDrafts(current_app.extensions["parallax.corpus"].store)
    return draft_dir(str(current_app.config.get("DRAFT_DIR") or ""))


def corpus_root() -> Path:
    """The corpus folder."""
    return Path(current_app.config["CORPUS_DIR"]).resolve()


def limits() -> adding.AddLimits:
    """The size, fetch and corpus settings of this app, and the place its corpus is written to."""
    return adding.AddLimits.from_settings(current_app.config, place_of(current_app.extensions["parallax.corpus"]))


def save(new: ingest.NewSource, story_title: str) -> tuple[Source, str]:
    """Write the source, reload the corpus, and return it with the page to go to next."""
    source = ingest.save_source(limits().place or corpus_root(), corpus(), new,
                                int(current_app.config["MAX_SOURCE_BYTES"]), story_title)
    current_app.extensions["parallax.corpus"].invalidate()
    current = corpus()
    saved = current.get(source.id) or source
    previous = current.previous_version(saved)
    if previous is not None:
        return saved, url_for("pages.compare_view", left=previous.id, right=saved.id)
    return saved, url_for("pages.source", source_id=saved.id)


# ---- browser pages ----------------------------------------------------------------------------------------------

def _add_page(status: int = 200, error: str = "", values: dict[str, str] | None = None,
              duplicate: Source | None = None) -> Response:
    """The input step, with an optional error, the values the user typed, and the source the text duplicates."""
    current = corpus()
    values = values or {}
    story = values.get("story") or request.args.get("story", "")
    return _page("add.html", {"error": error, "form": values, "story": story,
                              "story_title": current.stories[story].title if story in current.stories else "",
                              "formats": FORMATS, "new_story": adding.NEW_STORY,
                              "stories": [{"slug": s.slug, "title": s.title or s.slug}
                                          for s in current.stories.values()],
                              "duplicate": {"id": duplicate.id, "href": url_for("pages.source", source_id=duplicate.id)}
                              if duplicate else None}, status)


def _typed() -> dict[str, str]:
    """What the user typed into the input step (the pasted text too), to give back with an error."""
    return {k: request.form.get(k, "") for k in ("kind", "format", "url", "story", "text")}


def _extract(values: dict[str, str]) -> ingest.Extracted:
    """The article from the input step: pasted text, an uploaded file or a fetched URL."""
    kind = values["kind"]
    if kind == "paste":
        adding.check_size(values["text"], limits().max_upload_bytes)
        return extract.from_text(values["text"], values["format"] or "text")
    if kind == "upload":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ingest.IngestError("choose a file to upload", "empty", "file")
        limit = int(current_app.config["MAX_UPLOAD_BYTES"])
        return extract.from_upload(upload.filename, upload.stream.read(limit + 1), limit)
    if kind == "fetch":
        url = values["url"].strip()
        if not url:
            raise ingest.IngestError("give the URL of the page to fetch", "empty", "url")
        adding.refuse_bad_url(values)
        return adding.fetch_page(url, limits())
    raise ingest.IngestError("choose how to add the source: paste, upload or fetch", "bad_input", "kind")


def _first_step_duplicate(current: Corpus, extracted: ingest.Extracted, story: str) -> Source | None:
    """The source already holding this text in the story the confirm step would choose, if any."""
    chosen = _confirm_values(current, extracted, {"story": story}, adding.suggest_version_of(current, extracted.url),
                             story_fit(extracted))
    return ingest.find_duplicate(current, chosen["story"], extracted.body) if chosen["story"] in current.stories \
        else None


@bp.get("/add")
def add_form() -> Response:
    """Step 1: paste text, upload a file or give a URL (``?story=<slug>`` preselects the story)."""
    return _add_page()


@bp.post("/add")
@editor_write(shared=True, refused=lambda status, message: _add_page(status, message, _typed()))
def add_input() -> BaseResponse:
    """Step 1 submitted: extract the text, refuse it if the story already has it, keep it as a draft, and go to
    the confirm step. Any failure gives the form back with what was typed."""
    values = _typed()
    try:
        adding.refuse_surrogates(values)
        extracted = adding.guarded_extract(_extract, values)
    except adding.DomainError as error:
        if error.cause == "too_large" and values["kind"] == "paste":
            limit = int(current_app.config["MAX_UPLOAD_BYTES"])
            size = len(values["text"].encode("utf-8", "surrogatepass"))
            return _add_page(413, _cut_message(size, limit, cut=True),
                             {**values, "text": cut_text(values["text"], limit)})
        return _add_page(status_of(error), str(error), values)
    duplicate = _first_step_duplicate(corpus(), extracted, values["story"])
    if duplicate is not None:
        return _add_page(409, f"This text is already in the story as '{duplicate.id}'; nothing was added.", values,
                         duplicate)
    token = save_draft(drafts(), extracted, {"story": values["story"]})
    return redirect(url_for("add.confirm_form", token=token), 303)


def story_fit(extracted: ingest.Extracted) -> tuple[str, float] | None:
    """The story that already carries most of this text's sentences, when it carries at least ``SUGGEST_SHARE``."""
    try:
        ranked = index().suggest_story(extracted.body)
    except sqlite3.Error:  # no suggestion is better than no confirm page
        log.exception("story suggestion failed")
        return None
    return ranked[0] if ranked and ranked[0][1] >= SUGGEST_SHARE else None


def _confirm_values(current: Corpus, extracted: ingest.Extracted, extra: dict[str, str],
                    suggestion: Source | None, fit: tuple[str, float] | None = None) -> dict[str, str]:
    """The confirm form's initial values, from the draft (the source it may be a new version of, and the story
    that already carries most of its text)."""
    story = extra.get("story", "")
    values = {"outlet": extracted.outlet, "title": extracted.title, "published": extracted.published,
              "url": extracted.url, "format": extracted.format,
              "language": extracted.language or languages.detect(extracted.body),
              "attribution": "stated" if extracted.outlet else "unknown",
              "attribution_note": adding.author_note(extracted.author),
              "version_of": suggestion.id if suggestion else "", "story": "", "new_story": "",
              "new_story_title": ""}
    if story in current.stories:
        values["story"] = story
    elif suggestion is not None:
        values["story"] = suggestion.story
    elif story:
        values.update(story=adding.NEW_STORY, new_story=story)
    elif fit is not None and fit[0] in current.stories:
        values["story"] = fit[0]
    else:  # text no story carries starts a new one: a lone existing story is no reason to file it there
        values.update(story=adding.NEW_STORY, new_story=ingest.slugify(extracted.title))
    return values


def _confirm_page(token: str, extracted: ingest.Extracted, values: dict[str, str] | None = None,
                  status: int = 200, error: str = "", extra: dict[str, str] | None = None) -> Response:
    """The confirm step: metadata form prefilled (from the draft unless submitted ``values`` are given), and the
    text as it will be stored."""
    current = corpus()
    suggestion = adding.suggest_version_of(current, extracted.url)
    fit = story_fit(extracted)
    if values is None:
        values = _confirm_values(current, extracted, extra or {}, suggestion, fit)
    stories = [{"slug": s.slug, "title": s.title or s.slug} for s in current.stories.values()]
    sources = [{"id": s.id, "label": f"{s.outlet or 'Unknown outlet'}: {s.title or s.id} ({s.id})", "story": s.story}
               for s in sorted(current.sources.values(), key=lambda s: (s.story, s.id))]
    return _page("add_confirm.html", {
        "token": token, "form": values, "error": error, "stories": stories, "sources": sources,
        "suggestion": suggestion.id if suggestion else "", "new_story": adding.NEW_STORY, "body": extracted.body,
        "story_fit": {"slug": fit[0], "share": round(fit[1], 2)} if fit and fit[0] in current.stories else None,
        "capture": extracted.capture, "author": extracted.author, "formats": FORMATS,
        "attributions": ATTRIBUTIONS, "chars": len(extracted.body),
        "words": len(extracted.body.split())}, status)


@bp.get("/add/confirm/<token>")
def confirm_form(token: str) -> Response:
    """Step 2: confirm what was extracted."""
    draft = load_draft(drafts(), token)
    if draft is None:
        return error_response(404, "This draft does not exist or has expired; add the source again.")
    extracted, extra = draft
    return _confirm_page(token, extracted, extra=extra)


def _confirm_refused(status: int, message: str, token: str) -> Response:
    """The confirm step shown again with the values submitted and why they were not saved."""
    draft = load_draft(drafts(), token)
    if draft is None:
        return error_response(404, "This draft does not exist or has expired; add the source again.")
    return _confirm_page(token, draft[0], {name: request.form.get(name, "") for name in FIELDS}, status, message)


@bp.post("/add/confirm/<token>")
@editor_write(shared=True, refused=_confirm_refused)
def confirm_save(token: str) -> BaseResponse:
    """Step 2 submitted: save the source and go to it (or to the comparison with its previous version)."""
    draft = load_draft(drafts(), token)
    if draft is None:
        return error_response(404, "This draft does not exist or has expired; add the source again.")
    extracted, _extra = draft
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        adding.refuse_surrogates(values)
        if not values["outlet"].strip():
            raise ingest.IngestError("give the outlet: the newspaper, site or agency this text comes from",
                                     "bad_input", "outlet")
        new, story_title = adding.build_new_source(corpus(), values, extracted, corpus_root())
        saved, target = save(new, story_title)
    except ingest.DuplicateError as duplicate:
        delete_draft(drafts(), token)
        flash(f"This text is already in the story as '{duplicate.existing.id}'; nothing was added.")
        return redirect(url_for("pages.source", source_id=duplicate.existing.id), 303)
    except ingest.IngestError as error:
        return _confirm_page(token, extracted, values, status_of(error), str(error))
    delete_draft(drafts(), token)
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
    try:
        parts = urlsplit(target)
    except ValueError:  # "//[" or "http://[::1": an address that cannot be read is no path of this app
        return fallback
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    root = request.script_root.rstrip("/")
    if root and target != root and not target.startswith(root + "/"):
        return fallback
    return target


@bp.route("/add/sign-in", methods=["GET", "POST"])
@editor_write(write=False)
def sign_in() -> BaseResponse:
    """Editor sign-in: the token is checked once (429 after too many wrong ones) and a new session started."""
    next_url = _safe_next(request.values.get("next", ""))
    if request.method == "POST":
        if token_matches(request.form.get("token", "")):
            start_session()
            flash("Signed in as an editor.")
            return redirect(next_url, 303)
        error = ("No editor token is set on this server (PARALLAX_EDITOR_TOKEN)."
                 if not current_app.config.get("EDITOR_TOKEN") else "That is not the editor token.")
        return _page("add_signin.html", {"next": next_url, "error": error}, 403)
    return _page("add_signin.html", {"next": next_url, "error": ""})


@bp.post("/add/sign-out")
@editor_write(write=False)
def sign_out() -> BaseResponse:
    """End the editor sign-in, in every copy of this session's cookie."""
    end_session()
    return redirect(url_for("pages.index"), 303)
