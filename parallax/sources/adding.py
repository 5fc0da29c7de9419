"""Adding a source, the rules every door shares (web form, JSON API, command line): checks, extraction, saving.

Nothing here knows HTTP: failures are ``IngestError``/``FetchError`` with a cause; the web layer maps causes
to statuses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parallax import languages
from parallax.corpus import Corpus, Source, is_web_url
from parallax.sources import extract, fetch, ingest
from parallax.sources.storage import Place

log = logging.getLogger("parallax.add")

#: Errors the add rules raise on purpose (each carries a cause); anything else is an unexpected failure.
DomainError = (ingest.IngestError, fetch.FetchError)
#: The story field's value meaning "a new story, named in new_story".
NEW_STORY = "__new__"
#: Fields the JSON API and the command line accept.
API_FIELDS = ("text", "html", "url", "format", "outlet", "title", "published", "story", "story_title", "language",
              "version_of")


@dataclass(frozen=True)
class AddLimits:
    """The size, fetch and corpus settings adding a source obeys, and where the source is written (``place``; the
    folder ``corpus_dir`` when None)."""

    corpus_dir: Path
    max_upload_bytes: int
    max_source_bytes: int
    fetch_timeout: float
    fetch_max_redirects: int
    fetch_allow_private: bool
    place: Place | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], place: Place | None = None) -> AddLimits:
        """The limits from the app's settings (PARALLAX_* names without the prefix)."""
        return cls(Path(settings["CORPUS_DIR"]).resolve(), int(settings["MAX_UPLOAD_BYTES"]),
                   int(settings["MAX_SOURCE_BYTES"]), float(settings["FETCH_TIMEOUT"]),
                   int(settings["FETCH_MAX_REDIRECTS"]), bool(settings["FETCH_ALLOW_PRIVATE"]), place)


def check_size(text: str, limit: int, name: str = "text") -> None:
    """Refuse pasted text over the upload limit."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ingest.IngestError(f"the text is {size:,} bytes, over the MAX_UPLOAD_BYTES limit of {limit:,}",
                                 "too_large", name)



def refuse_surrogates(values: dict[str, str]) -> None:
    """Refuse a request whose field holds a lone surrogate (it could be stored but never shown), naming it."""
    bad = ingest.surrogate_field(values)
    if bad:
        raise ingest.IngestError(f"field '{bad}' contains a lone surrogate (half of a UTF-16 pair, not a character); "
                                 "send text as valid Unicode", "bad_input", bad)



def refuse_bad_url(values: dict[str, str], name: str = "url") -> None:
    """Refuse a URL field that is not an http(s) URL with a host, naming it."""
    value = values.get(name, "").strip()
    if value and not is_web_url(value):
        raise ingest.IngestError(f"field '{name}' must be an http(s) URL, not {value[:200]!r}", "bad_input", name)



def url_key(url: str) -> str:
    """A URL reduced for matching: no fragment, no trailing slash, lower-case scheme and host ('' for none)."""
    if not is_web_url(url.strip()):
        return ""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}" + (
        f"?{parts.query}" if parts.query else "") if parts.netloc else ""



def author_note(author: str) -> str:
    """The attribution note for an author named by the page ('' when none is)."""
    return f"Author given by the page: {author}." if author else ""



def suggest_version_of(current: Corpus, url: str) -> Source | None:
    """The latest captured source whose URL (or article key) matches this URL, if any."""
    key = url_key(url)
    if not key:
        return None
    matches = [s for s in current.sources.values() if key in (url_key(s.url), url_key(s.version_of))]
    return max(matches, key=lambda s: (s.captured or "", s.id)) if matches else None



def resolve_version_of(current: Corpus, value: str) -> str:
    """The article key for ``version_of``: a source id becomes that source's key; an http(s) URL stays."""
    value = value.strip()
    if not value:
        return ""
    source = current.get(value)
    if source is not None:
        return source.article_key
    if is_web_url(value):
        return value
    raise ingest.IngestError(f"version_of must be the id of an existing source or an article URL, not {value[:200]!r}",
                             "bad_input", "version_of")



def build_new_source(current: Corpus, values: dict[str, str], extracted: ingest.Extracted, root: Path) -> tuple[
        ingest.NewSource, str]:
    """The new source from confirmed values (falling back to what was extracted) and the new story's title."""
    story = values.get("story", "").strip()
    story_title = values.get("story_title", "").strip()
    if story == NEW_STORY:
        story = values.get("new_story", "").strip()
        story_title = values.get("new_story_title", "").strip()
    if not story:
        raise ingest.IngestError("choose a story (or give a slug for a new one)", "bad_input", "story")
    outlet = values.get("outlet", extracted.outlet).strip()
    published = values.get("published", extracted.published).strip()
    if published and not extract.is_iso_date(published):
        raise ingest.IngestError(f"published must be a date such as 2023-09-12, not {published[:100]!r}", "bad_input",
                                 "published")
    attribution = values.get("attribution", "").strip() or ("stated" if outlet else "unknown")
    note = values.get("attribution_note", "").strip() or author_note(extracted.author)
    new = ingest.NewSource(
        story=story, body=extracted.body, format=values.get("format", extracted.format).strip() or "text",
        outlet=outlet, title=values.get("title", extracted.title), published=published,
        url=values.get("url", extracted.url).strip(), language=values.get("language", "").strip()
        or extracted.language or languages.detect(extracted.body), attribution=attribution, attribution_note=note,
        capture=extracted.capture, original_file=extracted.original_file,
        version_of=resolve_version_of(current, values.get("version_of", "")))
    ingest.story_folder(root, story)
    if story not in current.stories and not story_title:
        story_title = new.title or story
    return new, story_title



def guarded_extract(extract: Callable[..., ingest.Extracted], *args: Any) -> ingest.Extracted:
    """Run an extraction step; whatever it raises besides a domain error is logged and becomes an
    'extraction_failed' IngestError (a clear 4xx, never a 500), and the result is checked for lone surrogates."""
    try:
        extracted: ingest.Extracted = extract(*args)
    except DomainError:
        raise
    except Exception as error:  # the boundary around extraction and fetching
        log.exception("reading the article failed")
        raise ingest.IngestError(f"the article could not be read ({type(error).__name__}); check the input and try "
                                 "again", "extraction_failed") from None
    refuse_surrogates(extracted.to_dict())
    return extracted



def fetch_page(url: str, limits: AddLimits) -> ingest.Extracted:
    """Fetch a URL (SSRF-checked) and extract its article."""
    page = fetch.fetch(url, timeout=limits.fetch_timeout, max_redirects=limits.fetch_max_redirects,
                       max_bytes=limits.max_upload_bytes, allow_private=limits.fetch_allow_private)
    html = extract.decode_html(page.body, page.charset)
    return extract.from_html(html, page.url, capture=f"fetched from {page.url}; article text extracted by trafilatura")



def extract_given(values: dict[str, str], limits: AddLimits) -> ingest.Extracted:
    """The article from exactly one of text, html or (alone) url."""
    given = [k for k in ("text", "html") if values.get(k)]
    if len(given) > 1:
        raise ingest.IngestError("give either 'text' or 'html', not both", "bad_input", "html")
    if given:
        check_size(values[given[0]], limits.max_upload_bytes, given[0])
    if given == ["text"]:
        return extract.from_text(values["text"], values.get("format") or "text")
    if given == ["html"]:
        return extract.from_html(values["html"], values.get("url", ""), capture="HTML sent to the API; article "
                                                                               "text extracted by trafilatura")
    if values.get("url"):
        return fetch_page(values["url"], limits)
    raise ingest.IngestError("give the article as 'text' or 'html', or a 'url' to fetch", "empty", "text")


def add_source(values: dict[str, str], current: Corpus, limits: AddLimits, capture: str = "") -> Source:
    """Check, extract and save one source from API-style fields (see ``API_FIELDS``); return it as loaded.

    ``capture`` overrides how the text was captured (the command line names its file).
    """
    refuse_surrogates(values)
    refuse_bad_url(values)
    extracted = guarded_extract(extract_given, values, limits)
    if capture:
        extracted.capture = capture
    fetched = not (values.get("text") or values.get("html"))
    overrides: dict[str, str] = {k: values[k] for k in ("outlet", "title", "published", "url", "format", "language")
                 if k in values and not (fetched and k == "url")}
    merged: dict[str, str] = {"story": values.get("story", ""), "story_title": values.get("story_title", ""),
              "version_of": values.get("version_of", ""), **overrides}
    new, story_title = build_new_source(current, merged, extracted, limits.corpus_dir)
    return ingest.save_source(limits.place or limits.corpus_dir, current, new, limits.max_source_bytes, story_title)
