"""Reading what an editor brings (an uploaded file, pasted text, a fetched page) into an article's text and the
metadata found with it: bytes decoded, HTML's article text extracted, a Markdown title found."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from parallax.errors import ParallaxError
from parallax.model import FORMATS
from parallax.sources import shaping

log = logging.getLogger("parallax.sources.ingest")  # the add form's log

UPLOAD_TYPES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
PREFERRED_ENCODINGS = frozenset({"cp1252", "iso8859_15", "latin_1", "utf_16", "utf_32"})
MAX_CHAOS = 0.1  # charset-normalizer "mess" ratio above which its guess is not trusted
MIN_ARTICLE_WORDS = 8  # fewer extracted words than this is a menu or an ad label, not an article
_ATX_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT_H1_RE = re.compile(r"^ {0,3}(\S.*?)[ \t]*\n {0,3}=+[ \t]*$", re.MULTILINE)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


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


class IngestError(ParallaxError, ValueError):
    """Input that cannot become a source: the message says why, ``cause`` names the kind of failure (the web
    layer decides how to answer it) and ``field`` the input field at fault, when there is one."""

    def __init__(self, message: str, cause: Cause = "bad_input", field: str = "") -> None:
        super().__init__(message, cause, field)
        self.cause: Cause = cause


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


def one_line(value: str) -> str:
    """Metadata text on one line: whitespace runs collapsed, control characters dropped."""
    return " ".join(CONTROL_RE.sub("", value).split())


def unify_newlines(text: str) -> str:
    """Text with every CRLF and lone CR turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def surrogate_field(values: dict[str, str]) -> str | None:
    """The first field whose text holds a lone surrogate (a UTF-16 half that is not a character), or None."""
    return next((name for name, value in values.items() if _SURROGATE_RE.search(value)), None)


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
    if CONTROL_RE.search(decoded):
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
    if not is_iso_date(published):
        published = ""
    page_url = meta("url") or url
    if not page_url.startswith(("http://", "https://")):
        page_url = url
    return Extracted(body=shaping.article_body(text, meta("title")), format="text", title=meta("title"),
                     outlet=meta("sitename") or meta("hostname"), author=meta("author"), published=published,
                     url=page_url, language=meta("language"))


def is_iso_date(value: str) -> bool:
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


def from_html(html: str, url: str = "", capture: str = "HTML; article text extracted by trafilatura") -> Extracted:
    """An HTML document (given as text) as article text and metadata."""
    extracted = extract_html(html, url)
    extracted.capture = capture
    return extracted
