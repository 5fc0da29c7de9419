"""Turning pasted text, uploaded files and fetched pages into new corpus files, written atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml
from anyascii import anyascii
from cachetools import LRUCache

from parallax.corpus import (
    MAX_SLUG_LENGTH,
    SLUG_RE,
    STORY_FILE,
    Corpus,
    CorpusError,
    Source,
    is_candidate_name,
    parse_source,
)
from parallax.model import FORMATS
from parallax.sources import shaping
from parallax.sources.storage import (
    Place,
    place_of,
    storage_cause,
    storage_message,
    write_exclusive,
)

log = logging.getLogger("parallax.sources.ingest")

#: Ids never given to a new source: words that name an action in the API's paths (``/api/sources/batch``).
RESERVED_IDS = ("batch",)
MAX_ID_LENGTH = 48  # ids derived from a headline are cut at a word boundary to stay readable in URLs
ID_WORDS = 8  # without a headline, the id is made of the text's first words
UPLOAD_TYPES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
PREFERRED_ENCODINGS = frozenset({"cp1252", "iso8859_15", "latin_1", "utf_16", "utf_32"})
MAX_CHAOS = 0.1  # charset-normalizer "mess" ratio above which its guess is not trusted
DRAFT_TTL_SECONDS = 24 * 3600
MIN_ARTICLE_WORDS = 8  # fewer extracted words than this is a menu or an ad label, not an article
_DRAFT_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ATX_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT_H1_RE = re.compile(r"^ {0,3}(\S.*?)[ \t]*\n {0,3}=+[ \t]*$", re.MULTILINE)


Cause = Literal[
    "bad_input",          # a value that is malformed or missing (``field`` names it when it is one field)
    "empty",              # no text at all
    "bad_encoding",       # bytes that are not text in an encoding we can recognise
    "too_large",          # over MAX_UPLOAD_BYTES
    "unsupported_type",   # a file type that cannot be added
    "extraction_empty",   # HTML with no article text in it
    "extraction_failed",  # the extractor failed on this page
    "extractor_missing",  # the extractor cannot run on this server (a missing library)
    "duplicate",          # the text is already in the story
    "no_free_id",         # every id derived from the title is taken
    "storage",            # the server could not store a draft or a file
    "disk_full",          # the corpus disk (or quota) is full
    "read_only",          # the corpus cannot be written (a read-only disk or folder)
]


class IngestError(ValueError):
    """Input that cannot become a source: the message says why, ``cause`` names the kind of failure (the web
    layer decides how to answer it) and ``field`` the input field at fault, when there is one."""

    def __init__(self, message: str, cause: Cause = "bad_input", field: str = "") -> None:
        super().__init__(message)
        self.cause: Cause = cause
        self.field = field


class DuplicateError(IngestError):
    """The same text is already in the story as ``existing``."""

    def __init__(self, existing: Source) -> None:
        super().__init__(f"this text is already in the story as '{existing.id}'", "duplicate")
        self.existing = existing


@dataclass
class Extracted:
    """Article text with the metadata found alongside it (empty strings when unknown)."""

    body: str
    format: str = "text"
    title: str = ""
    outlet: str = ""
    author: str = ""
    published: str = ""
    url: str = ""
    language: str = ""
    capture: str = ""
    original_file: str = ""

    def to_dict(self) -> dict[str, str]:
        """Plain data, for drafts and JSON."""
        return dict(self.__dict__)


@dataclass
class NewSource:
    """Everything needed to write one source file (metadata as confirmed by the editor)."""

    story: str
    body: str
    # The metadata below is written to front matter in this order (empty values are left out).
    outlet: str = ""
    title: str = ""
    published: str = ""
    url: str = ""
    format: str = "text"
    language: str = "en"
    attribution: str = "unknown"
    attribution_note: str = ""
    capture: str = ""
    original_file: str = ""
    captured: str = field(default_factory=lambda: now_iso())
    version_of: str = ""


def now_iso() -> str:
    """The current time in UTC as an ISO date-time, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def slugify(value: str, max_length: int = MAX_ID_LENGTH) -> str:
    """ASCII slug of a-z, 0-9 and single '-', at most ``max_length`` long: every script transliterated (anyascii:
    "Жители Новой Каледонии" is zhiteli-novoy-kaledonii, "김정은" gimjeongeun), accents folded, the rest dropped."""
    ascii_text = anyascii(unicodedata.normalize("NFC", value)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        if slug[max_length] != "-" and "-" in cut:  # the cut falls inside a word: drop that word
            cut = cut.rsplit("-", 1)[0]
        slug = cut
    return slug.strip("-")


def one_line(value: str) -> str:
    """Metadata text on one line: whitespace runs collapsed, control characters dropped."""
    return " ".join(_CONTROL_RE.sub("", value).split())


def unify_newlines(text: str) -> str:
    """Text with every CRLF and lone CR turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_body(body: str) -> str:
    """The body as compared for duplicates: newlines unified, outer whitespace stripped."""
    return unify_newlines(body).strip()


def body_hash(body: str) -> str:
    """sha256 of the normalised body."""
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


def find_duplicate(corpus: Corpus, story: str, body: str) -> Source | None:
    """A source of the story whose text is the same as ``body`` (after normalisation), if any."""
    digest = body_hash(body)
    return next((s for s in corpus.story_sources(story) if body_hash(s.body) == digest), None)


def decode_text(raw: bytes) -> str:
    """Bytes as text: UTF-8 first, then charset-normalizer's best guess if it is confident; else IngestError."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        first_bad = error.start
    else:
        if "\x00" in text:  # valid UTF-8, but no text file holds NUL: UTF-16 without a byte-order mark, or binary
            raise IngestError(f"the file holds NUL bytes (the first at offset {raw.index(0)}), so it is not text: "
                              "is it UTF-16 without a byte-order mark, or a binary file? Save it as UTF-8 and try "
                              "again", "bad_encoding")
        return text
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(raw) if m.chaos <= MAX_CHAOS]
    best = None
    if matches:
        # Guesses that are about as clean as the cleanest tie often (cp1250 vs cp1252 on French text);
        # prefer the encoding most used by legacy Western web pages, then the most coherent guess.
        least = min(m.chaos for m in matches)
        tied = [m for m in matches if m.chaos <= least + 0.02]
        best = max(tied, key=lambda m: (m.encoding in PREFERRED_ENCODINGS, m.coherence))
    if best is None:
        raise IngestError(f"the text is not UTF-8 (bad byte 0x{raw[first_bad]:02x} at offset {first_bad}) and its "
                          "encoding could not be recognised; save it as UTF-8 and try again", "bad_encoding")
    decoded = str(best)
    if _CONTROL_RE.search(decoded):
        raise IngestError("the text could not be decoded: it contains control characters (is it a binary file?)",
                          "bad_encoding")
    return decoded.removeprefix("\ufeff")


def decode_html(raw: bytes, declared_charset: str = "") -> str:
    """HTML bytes as text: the declared charset when it works, else the same rules as plain text."""
    if declared_charset:
        try:
            return raw.decode(declared_charset)
        except (LookupError, ValueError):  # unknown charset names; codecs raising UnicodeError subclasses
            pass
    return decode_text(raw)


def extract_html(html: str, url: str = "") -> Extracted:
    """The article text and metadata (title, date, author, site name) of an HTML page, via trafilatura."""
    try:
        import trafilatura

        document = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, include_comments=False,
                                               include_tables=True, favor_precision=True)
    except ImportError as error:
        log.exception("the HTML extractor cannot be imported")
        raise IngestError(f"the HTML extractor cannot run on this server ({error}); its administrator must install "
                          "the pinned requirements (lxml_html_clean among them)", "extractor_missing") from None
    except RecursionError:
        raise IngestError("the page is nested too deeply to extract its article", "extraction_failed") from None
    except Exception as error:  # the extractor is a library boundary: whatever it raises is this page's failure
        log.exception("extracting an article from HTML failed")
        raise IngestError(f"the article could not be extracted from this page ({type(error).__name__}: "
                          f"{str(error)[:200]})", "extraction_failed") from None
    text = (getattr(document, "text", None) or "") if document is not None else ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise IngestError("no article text found in this page", "extraction_empty")

    def meta(name: str) -> str:
        """One metadata field as a single-line string."""
        return one_line(str(getattr(document, name, None) or ""))

    published = meta("date")
    if not _is_iso_date(published):
        published = ""
    page_url = meta("url") or url
    if not page_url.startswith(("http://", "https://")):
        page_url = url
    return Extracted(body=shaping.article_body(text, meta("title")), format="text", title=meta("title"),
                     outlet=meta("sitename") or meta("hostname"), author=meta("author"), published=published,
                     url=page_url, language=meta("language"))


def _is_iso_date(value: str) -> bool:
    """Whether the value is an ISO date (YYYY-MM-DD)."""
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def upload_kind(filename: str) -> str:
    """'text', 'markdown' or 'html' from an upload's file name; IngestError (415) for other types."""
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise IngestError(f"files of type '{suffix or filename}' cannot be added; use .txt, .md, .html or .htm",
                          "unsupported_type", "file")
    return UPLOAD_TYPES[suffix]


def safe_file_name(filename: str) -> str:
    """An uploaded file's base name, reduced to safe characters, for the ``original_file`` field."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", one_line(base))[:120].lstrip(".") or "upload"


def from_upload(filename: str, raw: bytes, max_bytes: int) -> Extracted:
    """An uploaded file as article text: HTML through trafilatura, text and markdown as they are."""
    kind = upload_kind(filename)
    if len(raw) > max_bytes:
        raise IngestError(f"the file is {len(raw):,} bytes, over the MAX_UPLOAD_BYTES limit of {max_bytes:,}",
                          "too_large", "file")
    name = safe_file_name(filename)
    if kind == "html":
        extracted = extract_html(decode_html(raw))
        extracted.capture = f"uploaded HTML file {name}; article text extracted by trafilatura"
    else:
        body = decode_text(raw)
        if not body.strip():
            raise IngestError("the file has no text", "empty", "file")
        extracted = Extracted(body=body, format=kind, capture=f"uploaded {kind} file {name}",
                              title=markdown_title(body) if kind == "markdown" else "")
    extracted.original_file = name
    return extracted


def from_text(text: str, fmt: str) -> Extracted:
    """Pasted text (newlines as the browser sends them are unified to '\\n')."""
    if fmt not in FORMATS:
        raise IngestError(f"format must be 'text' or 'markdown', not {fmt!r}", "bad_input", "format")
    body = unify_newlines(text)
    if not body.strip():
        raise IngestError("the text is empty: paste the article text", "empty", "text")
    return Extracted(body=body, format=fmt, capture=f"pasted {'markdown' if fmt == 'markdown' else 'plain text'}",
                     title=markdown_title(body) if fmt == "markdown" else "")


def markdown_title(body: str) -> str:
    """The first level-1 heading of a markdown text (``# Title`` or a line underlined with '='), as plain text;
    '' when there is none."""
    matches = [m for m in (_ATX_H1_RE.search(body), _SETEXT_H1_RE.search(body)) if m]
    if not matches:
        return ""
    first = min(matches, key=lambda m: m.start())
    return one_line(re.sub(r"[*_`]+", "", first.group(1)))


def surrogate_field(values: dict[str, str]) -> str | None:
    """The first field whose text holds a lone surrogate (a UTF-16 half that is not a character), or None."""
    return next((name for name, value in values.items() if _SURROGATE_RE.search(value)), None)


def from_html(html: str, url: str = "", capture: str = "HTML; article text extracted by trafilatura") -> Extracted:
    """An HTML document (given as text) as article text and metadata."""
    extracted = extract_html(html, url)
    extracted.capture = capture
    return extracted


def build_file_text(source_id: str, new: NewSource) -> str:
    """The file's text: YAML front matter (only the fields that have values) and then the body exactly."""
    meta: dict[str, Any] = {"id": source_id, "story": new.story}
    for item in fields(new):
        value = getattr(new, item.name)
        if item.name not in ("story", "body") and value:
            meta[item.name] = one_line(value)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return f"---\n{front}---\n{new.body}"


def taken_ids(place: Place, corpus: Corpus) -> set[str]:
    """Ids in use: those loaded, plus every source file name where the corpus is written (in case the corpus was not
    read again)."""
    return set(corpus.sources) | place.source_names() | set(RESERVED_IDS)


def _candidate_ids(base: str) -> list[str]:
    """The id and its numbered variants: base, base-2, base-3, … (the number is added to the whole base, so a
    variant sorts after it and keeps every word; it may pass MAX_ID_LENGTH by the suffix)."""
    return [base] + [f"{base}-{n}" for n in range(2, 1000)]


def first_words(body: str, count: int = ID_WORDS) -> str:
    """The first words of a text (markup and punctuation dropped)."""
    return " ".join(re.findall(r"[^\W_]+", body[:10_000])[:count])


def base_id(new: NewSource) -> str:
    """The preferred id: the headline as a slug, else the first words of the text's first line that is the article's
    (page furniture such as "Recommendations are independently chosen by …" skipped), else the outlet, else
    'source'."""
    return (slugify(new.title) or slugify(first_words(shaping.first_real_line(new.body))) or
            slugify(first_words(new.body)) or slugify(new.outlet) or "source")


def check_story(story: str) -> str:
    """The story's slug, refused when it is not a safe folder name."""
    if not SLUG_RE.match(story) or len(story) > MAX_SLUG_LENGTH:
        raise IngestError(f"story must be a slug of a-z, 0-9 and '-' (at most {MAX_SLUG_LENGTH} characters), "
                          f"not {story!r}", "bad_input", "story")
    return story


def story_folder(root: Path, story: str) -> Path:
    """The folder of a story, refusing slugs that are not safe folder names."""
    check_story(story)
    folder = (root / story).resolve()
    if folder.parent != root.resolve():
        raise IngestError(f"story {story!r} is not a folder of the corpus", "bad_input", "story")
    return folder


def ensure_story(place: Place | Path, story: str, title: str) -> bool:
    """Create the story folder with its story.yaml when it does not exist; True when it was created."""
    place = place_of(place)
    check_story(story)
    created = not place.exists(story)
    if place.read(f"{story}/{STORY_FILE}") is None:
        text = yaml.safe_dump({"slug": story, "title": one_line(title) or story}, sort_keys=False,
                              allow_unicode=True)
        place.write_new(f"{story}/{STORY_FILE}", text.encode("utf-8"))
    return created


#: Body hashes of files already read, by place, path and stamp (modification time, size, inode in a folder): a save
#: re-reads only files new or changed since, so storing many versions in one story stays linear. Short strings only.
_BODY_HASHES: LRUCache[tuple[str, str, Any], str] = LRUCache(maxsize=50_000)
_BODY_HASHES_LOCK = threading.Lock()


def _file_body_hash(place: Place, rel: str, stamp: Any, max_bytes: int) -> tuple[str, Source | None]:
    """The body hash of a source file, from the memo when the file is unchanged; with the source when it was read."""
    key = (place.name, rel, stamp)
    with _BODY_HASHES_LOCK:
        known = _BODY_HASHES.get(key)
    if known is not None:
        return known, None
    raw = place.read(rel)
    if raw is None:
        raise FileNotFoundError(rel)
    source = parse_source(raw, rel, max_bytes)
    digest = body_hash(source.body)
    with _BODY_HASHES_LOCK:
        _BODY_HASHES[key] = digest
    return digest, source


def _remember_body_hash(place: Place, rel: str, source: Source) -> None:
    """Note the body hash of a file just written, so the next save's duplicate check does not read it again."""
    folder, _, name = rel.rpartition("/")
    with contextlib.suppress(OSError):
        stamp = place.listing(folder).get(name)
        if stamp is not None:
            with _BODY_HASHES_LOCK:
                _BODY_HASHES[(place.name, rel, stamp)] = body_hash(source.body)


def duplicate_on_disk(place: Place, story: str, body: str, max_bytes: int) -> Source | None:
    """A source file in the story's folder with the same text as ``body``, read from where the corpus is written
    (the loaded corpus may not show a file another process wrote a moment ago); unchanged files are not parsed
    again."""
    digest = body_hash(body)
    for name, stamp in sorted(place.listing(story).items()):
        if not is_candidate_name(name):
            continue
        rel = f"{story}/{name}"
        try:
            found, source = _file_body_hash(place, rel, stamp, max_bytes)
            if found == digest:
                return source or parse_source(place.read(rel) or b"", rel, max_bytes)
        except (OSError, CorpusError):
            continue
    return None


def save_source(root: Path | Place, corpus: Corpus, new: NewSource, max_bytes: int, story_title: str = "") -> Source:
    """Validate and write a new source under a fresh id, never overwriting a file and never storing the same text
    twice in a story (checked under the corpus's write lock); return it as loaded. ``root`` is the corpus folder,
    or the place the corpus is written to."""
    place = place_of(root)
    check_story(new.story)
    bad = surrogate_field({f.name: getattr(new, f.name) for f in fields(new)})
    if bad:
        raise IngestError(f"field '{bad}' contains a lone surrogate (half of a UTF-16 pair, not a character)",
                          "bad_input", bad)
    duplicate = find_duplicate(corpus, new.story, new.body)
    if duplicate is not None:
        raise DuplicateError(duplicate)
    if new.format not in FORMATS:
        raise IngestError(f"format must be 'text' or 'markdown', not {new.format!r}", "bad_input", "format")
    suffix = ".md" if new.format == "markdown" else ".txt"
    created = False
    try:
        with place.lock():
            duplicate = duplicate_on_disk(place, new.story, new.body, max_bytes)
            if duplicate is not None:
                raise DuplicateError(duplicate)
            taken = taken_ids(place, corpus)
            for candidate in _candidate_ids(base_id(new)):
                if candidate in taken:
                    continue
                data = build_file_text(candidate, new).encode("utf-8")
                rel = f"{new.story}/{candidate}{suffix}"
                try:
                    source = parse_source(data, rel, max_bytes)
                except CorpusError as error:
                    named = re.search(r"field '(\w+)'", str(error))
                    raise IngestError(f"the source would not load: {error}", "bad_input",
                                      named.group(1) if named else "") from None
                if not place.exists(new.story):
                    created = True
                    ensure_story(place, new.story, story_title)
                if place.write_new(rel, data):
                    _remember_body_hash(place, rel, source)
                    return source
                taken.add(candidate)
    except OSError as error:
        if created:  # a story folder made for this source goes with it
            remove_empty_story(place, new.story)
        raise IngestError(storage_message(error, "saving the source"), storage_cause(error)) from None
    raise IngestError("no free id left for this title", "no_free_id", "title")


def remove_empty_story(place: Place | Path, story: str) -> None:
    """Remove a story folder that holds nothing but its story.yaml (made for a source that could not be saved)."""
    place = place_of(place)
    with contextlib.suppress(OSError):
        place.remove(f"{story}/{STORY_FILE}")
    place.prune(story)


# Drafts: the text between the input step and the confirm step is kept server-side, in a private folder
# outside the corpus, keyed by a random token. A hidden form field would pass the body through the browser,
# which rewrites newlines in form fields (so the body would not stay byte for byte) and would send megabytes
# back and forth; a draft keeps the body exact and the confirm page small. Drafts expire after a day.

def draft_dir(configured: str) -> Path:
    """The drafts folder, created private to this user: DRAFT_DIR, else ``parallax-drafts-<uid>`` in the temp folder.

    A folder that already exists is used only if it is a real folder (not a symlink) owned by this user with no
    access for group or others: in a shared temp folder another user could have created it first.
    """
    import tempfile

    uid = os.geteuid()
    folder = Path(configured) if configured else Path(tempfile.gettempdir()) / f"parallax-drafts-{uid}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder (a symlink or a file)"
    elif info.st_uid != uid:
        problem = f"belongs to user {info.st_uid}, not to this user ({uid})"
    elif info.st_mode & 0o077:
        problem = f"is open to group or others (mode {stat.S_IMODE(info.st_mode):o}, not 700)"
    else:
        return folder
    raise IngestError(f"the drafts folder {folder} {problem}; remove it or make it private to this user "
                      "(chmod 700), or set PARALLAX_DRAFT_DIR to another folder", "storage")


def save_draft(folder: Path, extracted: Extracted, extra: dict[str, str] | None = None) -> str:
    """Store extracted text and metadata as a draft; return its token."""
    _sweep_drafts(folder)
    token = secrets.token_urlsafe(24)
    payload = {**extracted.to_dict(), "extra": extra or {}, "created": time.time()}
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if not write_exclusive(folder / f"{token}.json", data):
        raise IngestError("could not store the draft", "storage")
    return token


def load_draft(folder: Path, token: str) -> tuple[Extracted, dict[str, str]] | None:
    """The draft with this token, or None when it does not exist, expired or the token is malformed."""
    if not _DRAFT_TOKEN_RE.match(token):
        return None
    path = folder / f"{token}.json"
    try:
        payload = json.loads(path.read_text("utf-8"))
        created = float(payload.get("created", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if time.time() - created > DRAFT_TTL_SECONDS:
        return None
    known = {f.name: payload[f.name] for f in fields(Extracted) if f.name in payload}  # from any version
    extra = payload.get("extra", {})
    if not isinstance(known.get("body"), str) or not all(isinstance(v, str) for v in known.values()):
        return None
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        return None
    if surrogate_field({**known, **extra}):  # text that could never be shown or stored
        return None
    return Extracted(**known), extra


def delete_draft(folder: Path, token: str) -> None:
    """Remove a draft once it is saved."""
    if _DRAFT_TOKEN_RE.match(token):
        (folder / f"{token}.json").unlink(missing_ok=True)


def _sweep_drafts(folder: Path) -> None:
    """Delete drafts older than the time they are kept."""
    limit = time.time() - DRAFT_TTL_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
