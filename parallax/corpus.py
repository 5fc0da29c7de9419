"""The corpus: source files with front matter, validated, grouped into stories, reloaded when they change."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import text
from .model import ATTRIBUTIONS, FORMATS

log = logging.getLogger("parallax.corpus")

SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_RE = re.compile(rf"^{SLUG_PATTERN}\Z")
MAX_SLUG_LENGTH = 80
SOURCE_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}
STORY_FILE = "story.yaml"
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_STRING_FIELDS = ("outlet", "title", "url", "language", "attribution_note", "capture", "original_file",
                  "boilerplate_from", "version_of")
KNOWN_FIELDS = {"id", "story", "format", "published", "captured", "attribution", "boilerplate", *_STRING_FIELDS}
_FENCE_RE = re.compile(r"^---[ \t]*\r?\n", re.MULTILINE)


class CorpusError(ValueError):
    """A source file that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Source:
    """One version of an article: metadata from front matter plus the body exactly as stored."""

    id: str
    story: str
    format: str
    body: str
    path: str
    sha256: str
    outlet: str = ""
    title: str = ""
    published: str = ""
    url: str = ""
    language: str = "en"
    attribution: str = "unknown"
    attribution_note: str = ""
    capture: str = ""
    original_file: str = ""
    captured: str = ""
    version_of: str = ""
    boilerplate: tuple[str, ...] = ()
    boilerplate_from: str = ""

    @cached_property
    def content_key(self) -> str:
        """Hash of everything a comparison or overview reads from this source: body, format, language, boilerplate."""
        parts = [self.sha256, self.format, self.language, self.boilerplate_from, *self.boilerplate]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    @property
    def article_key(self) -> str:
        """What makes two sources versions of one article: an explicit ``version_of``, else the URL, else the id."""
        return self.version_of or self.url or self.id

    def document(self, ignore: frozenset[str]) -> text.Document:
        """The text a comparison reads under the given ignore options."""
        return text.build_document(self.body, self.format == "markdown", "markup" in ignore,
                                   self.boilerplate, self.boilerplate_from)

    @cached_property
    def words(self) -> int:
        """Words in the reading text (counted once per loaded file)."""
        return text.word_count(self.document(frozenset({"markup"})).text)

    def metadata(self) -> dict[str, Any]:
        """Metadata as plain data (no body), for pages and JSON."""
        return {"id": self.id, "story": self.story, "outlet": self.outlet, "title": self.title,
                "published": self.published or None, "url": self.url or None, "format": self.format,
                "language": self.language, "attribution": self.attribution,
                "attribution_note": self.attribution_note, "capture": self.capture,
                "captured": self.captured or None, "original_file": self.original_file or None,
                "words": self.words, "sha256": self.sha256, "path": self.path}


@dataclass(frozen=True)
class Story:
    """A news story: its metadata and the ids of its sources, oldest first."""

    slug: str
    title: str = ""
    date: str = ""
    summary: str = ""
    source_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A corpus file that was skipped, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    """Everything loaded from the corpus folder, plus the files that failed to load."""

    sources: dict[str, Source] = field(default_factory=dict)
    stories: dict[str, Story] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def get(self, source_id: str) -> Source | None:
        """The source with this id, or None (ids that are not slugs never match)."""
        return self.sources.get(source_id) if SLUG_RE.match(source_id) else None

    def story_sources(self, slug: str) -> list[Source]:
        """The sources of one story in display order."""
        story = self.stories.get(slug)
        return [self.sources[i] for i in story.source_ids] if story else []

    @cached_property
    def articles(self) -> dict[str, list[Source]]:
        """Sources grouped by article (see ``Source.article_key``), each list oldest capture first."""
        grouped: dict[str, list[Source]] = {}
        for source in sorted(self.sources.values(), key=lambda s: (s.captured or "", s.id)):
            grouped.setdefault(source.article_key, []).append(source)
        return grouped

    def versions(self, source: Source) -> list[Source]:
        """All captures of the same article, oldest capture first."""
        return self.articles.get(source.article_key, [source])

    def previous_version(self, source: Source) -> Source | None:
        """The capture of the same article just before this one, if any."""
        versions = self.versions(source)
        position = versions.index(source) if source in versions else 0
        return versions[position - 1] if position else None


def _text_field(meta: dict[str, Any], name: str) -> str:
    """A string field of the front matter; empty when absent."""
    value = meta.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CorpusError(f"field '{name}' must be text, not {type(value).__name__}")
    return value.strip()


def _date_field(meta: dict[str, Any], name: str, with_time: bool) -> str:
    """A date (or date-time) field as ISO text; empty when absent."""
    value = meta.get(name)
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    try:
        parsed = dt.datetime.fromisoformat(str(value)) if with_time else dt.date.fromisoformat(str(value))
    except ValueError:
        raise CorpusError(f"field '{name}' must be an ISO {'date-time' if with_time else 'date'}, "
                          f"not {value!r}") from None
    return parsed.isoformat()


def _slug_field(meta: dict[str, Any], name: str) -> str:
    """A required slug field."""
    value = meta.get(name)
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > MAX_SLUG_LENGTH:
        raise CorpusError(f"field '{name}' must be a slug of a-z, 0-9 and '-' (at most {MAX_SLUG_LENGTH} "
                          f"characters), not {value!r}")
    return value


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Split a file into its YAML front matter and the body, keeping the body byte for byte."""
    opening = _FENCE_RE.match(raw)
    closing = _FENCE_RE.search(raw, opening.end()) if opening else None
    if not opening:
        raise CorpusError("no front matter: the file must start with a '---' line")
    if not closing:
        raise CorpusError("front matter is not closed by a '---' line")
    fm, body = raw[opening.end():closing.start()], raw[closing.end():]
    try:
        meta = yaml.safe_load(fm) or {}
    except yaml.YAMLError as error:
        raise CorpusError(f"front matter is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise CorpusError("front matter must be a mapping of field: value")
    return meta, body


def parse_source(raw_bytes: bytes, path: str, max_bytes: int) -> Source:
    """Validate one source file's bytes and build its Source, raising CorpusError with the reason."""
    if len(raw_bytes) > max_bytes:
        raise CorpusError(f"file is {len(raw_bytes):,} bytes, over the MAX_SOURCE_BYTES limit of {max_bytes:,}")
    try:
        raw = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(f"not valid UTF-8 (byte 0x{raw_bytes[error.start]:02x} at offset {error.start})") from None
    meta, body = split_front_matter(raw.removeprefix("\ufeff"))
    unknown = sorted(set(map(str, meta)) - KNOWN_FIELDS)
    if unknown:
        raise CorpusError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_FIELDS))}")
    if not body.strip():
        raise CorpusError("the body is empty: there is no article text after the front matter")
    values = {name: _text_field(meta, name) for name in _STRING_FIELDS}
    suffix_format = SOURCE_SUFFIXES.get(Path(path).suffix.lower(), "text")
    fmt = meta.get("format", suffix_format)
    if fmt not in FORMATS:
        raise CorpusError(f"field 'format' must be one of {', '.join(FORMATS)}, not {fmt!r}")
    attribution = meta.get("attribution") or "unknown"
    if attribution not in ATTRIBUTIONS:
        raise CorpusError(f"field 'attribution' must be one of {', '.join(ATTRIBUTIONS)}, not {attribution!r}")
    url = urlsplit(values["url"])
    if values["url"] and (url.scheme not in ("http", "https") or not url.netloc):
        raise CorpusError(f"field 'url' must be an http(s) URL, not {values['url']!r}")
    language = values.pop("language") or "en"
    if not _LANGUAGE_RE.match(language):
        raise CorpusError(f"field 'language' must be a language tag such as 'en', not {language!r}")
    boilerplate = meta.get("boilerplate") or []
    if not isinstance(boilerplate, list) or not all(isinstance(b, str) and b.strip() for b in boilerplate):
        raise CorpusError("field 'boilerplate' must be a list of non-empty texts")
    return Source(id=_slug_field(meta, "id"), story=_slug_field(meta, "story"), format=fmt, body=body, path=path,
                  sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(), language=language,
                  attribution=attribution, published=_date_field(meta, "published", False),
                  captured=_date_field(meta, "captured", True), boilerplate=tuple(b.strip() for b in boilerplate),
                  **values)


def parse_story(raw_bytes: bytes, slug: str) -> Story:
    """Validate a story.yaml file."""
    try:
        meta = yaml.safe_load(raw_bytes.decode("utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise CorpusError(f"story file is not valid UTF-8 YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise CorpusError("story file must be a mapping of field: value")
    declared = meta.get("slug", slug)
    if declared != slug:
        raise CorpusError(f"story slug {declared!r} does not match its folder {slug!r}")
    return Story(slug=slug, title=_text_field(meta, "title"), date=_date_field(meta, "date", False),
                 summary=_text_field(meta, "summary"))


def is_candidate(path: Path) -> bool:
    """Whether a file name can be a source (editors' temporary and hidden files are not)."""
    name = path.name
    return (path.suffix.lower() in SOURCE_SUFFIXES and not name.startswith((".", "~", "#"))
            and not name.endswith("~"))


def _walk(root: Path) -> Iterator[Path]:
    """Candidate files and story files under root, in a stable order, never leaving root."""
    for path in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file() and (is_candidate(path) or path.name == STORY_FILE):
            yield path


class CorpusStore:
    """Holds the current corpus and reloads what changed on disk, at most every ``rescan`` seconds."""

    def __init__(self, root: Path | str, max_bytes: int, rescan: float = 1.0) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.rescan = rescan
        self._lock = threading.Lock()
        self._parsed: dict[Path, tuple[tuple[int, int, int], Source | Story | Problem]] = {}
        self._corpus = Corpus()
        self._signature: tuple[Any, ...] = ()
        self._checked = float("-inf")
        self._reported: set[Problem] = set()

    def get(self) -> Corpus:
        """The corpus as it stands on disk now (re-checked at most every ``rescan`` seconds)."""
        if time.monotonic() - self._checked < self.rescan:
            return self._corpus
        with self._lock:
            if time.monotonic() - self._checked >= self.rescan:
                self._refresh()
                self._checked = time.monotonic()
        return self._corpus

    def invalidate(self) -> None:
        """Make the next ``get`` re-check the folder (after the app itself wrote a file)."""
        self._checked = float("-inf")

    def _load(self, path: Path, rel: str) -> Source | Story | Problem:
        """Parse one file, turning any failure into a Problem."""
        try:
            if not path.resolve().is_relative_to(self.root):
                raise CorpusError("links outside the corpus folder are not followed")
            raw = path.read_bytes()
            if path.name == STORY_FILE:
                return parse_story(raw, path.parent.name)
            return parse_source(raw, rel, self.max_bytes)
        except CorpusError as error:
            return Problem(rel, str(error))
        except OSError as error:
            return Problem(rel, f"cannot be read: {error.strerror or error}")

    def _refresh(self) -> None:
        """Stat every file, re-parse changed ones, and rebuild the corpus if anything changed."""
        seen: dict[Path, tuple[tuple[int, int, int], Source | Story | Problem]] = {}
        for path in (_walk(self.root) if self.root.is_dir() else ()):
            try:
                st = path.stat()
            except OSError:
                continue
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            previous = self._parsed.get(path)
            if previous and previous[0] == stamp:
                seen[path] = previous
            else:
                seen[path] = (stamp, self._load(path, path.relative_to(self.root).as_posix()))
        signature = tuple((p, s[0]) for p, s in seen.items())
        self._parsed = seen
        if signature != self._signature:
            self._signature = signature
            self._corpus = build_corpus([item for _, item in seen.values()])
            for problem in set(self._corpus.problems) - self._reported:
                log.warning("corpus file skipped: %s: %s", problem.path, problem.reason)
            self._reported = set(self._corpus.problems)


def build_corpus(items: list[Source | Story | Problem]) -> Corpus:
    """Assemble parsed files into a corpus: reject duplicate ids, group sources into stories."""
    sources: dict[str, Source] = {}
    problems = [item for item in items if isinstance(item, Problem)]
    for source in (item for item in items if isinstance(item, Source)):
        if source.id in sources:
            problems.append(Problem(source.path, f"duplicate id '{source.id}' (already used by "
                                                 f"{sources[source.id].path})"))
        else:
            sources[source.id] = source
    declared = {item.slug: item for item in items if isinstance(item, Story)}
    stories: dict[str, Story] = {}
    for slug in sorted({s.story for s in sources.values()} | set(declared)):
        members = sorted((s for s in sources.values() if s.story == slug),
                         key=lambda s: (s.published or "9999", s.captured or "", s.outlet.casefold(), s.id))
        base = declared.get(slug, Story(slug=slug))
        stories[slug] = Story(base.slug, base.title, base.date, base.summary, tuple(s.id for s in members))
    return Corpus(sources, stories, tuple(sorted(problems, key=lambda p: p.path)))


def load_corpus(root: Path | str, max_bytes: int = 2_000_000) -> Corpus:
    """Load a corpus folder once."""
    return CorpusStore(root, max_bytes, rescan=0).get()
