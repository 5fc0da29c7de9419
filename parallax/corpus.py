"""The corpus: source files with front matter, validated, grouped into stories (``build_corpus``); the store that
keeps it in step with its folder is ``parallax.corpus_store``."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import reprlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from parallax import languages, text
from parallax.errors import ParallaxError
from parallax.model import ATTRIBUTIONS, FORMATS

SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG_RE = re.compile(rf"^{SLUG_PATTERN}\Z")
MAX_SLUG_LENGTH = 80
SOURCE_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}
STORY_FILE = "story.yaml"
#: Said of a source file that stopped loading while the version that last loaded is still served.
STILL_SERVED = " (the version that last loaded is shown until it loads again)"
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_STRING_FIELDS = ("outlet", "title", "url", "language", "attribution_note", "capture", "original_file",
                  "boilerplate_from", "version_of")
KNOWN_FIELDS = {"id", "story", "format", "published", "captured", "attribution", "boilerplate", *_STRING_FIELDS}
FENCE_RE = re.compile(r"^---[ \t]*\r?\n", re.MULTILINE)
MAX_FRONT_MATTER_BYTES = 65_536  # front matter (or a story.yaml) larger than this is refused before YAML parses it
MAX_YAML_DEPTH = 64  # lists or mappings nested deeper than this in front matter are refused
MAX_REASON_CHARS = 500  # a problem's reason is cut to this length
SURROGATE_RE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _PureLoader(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: the loader checks them itself (YAML raises on 2023-02-30)."""


class _Loader(getattr(yaml, "CSafeLoader", _PureLoader)):  # type: ignore[misc]
    """The same rules over libyaml's C parser, many times faster on front matter (PyYAML without libyaml: the
    pure-Python one)."""


def _timestamp_as_text(loader: Any, node: yaml.Node) -> Any:
    """An explicitly tagged ``!!timestamp`` kept as its text, checked later like any date."""
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else ""


for _loader in (_PureLoader, _Loader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    _loader.add_constructor(_TIMESTAMP_TAG, _timestamp_as_text)
_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 80
_SHOW.maxlevel, _SHOW.maxlist, _SHOW.maxdict = 3, 4, 4


def show(value: object) -> str:
    """A bounded, printable repr of a front matter value for messages (aliases can make huge nested values)."""
    return printable(_SHOW.repr(value))


def printable(text: str) -> str:
    """Text safe to log, render and encode: undecodable file-name bytes and lone surrogates as escapes, control
    characters as ``\\xNN``."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    cleaned = raw.decode("utf-8", "backslashreplace")
    return _UNPRINTABLE_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", cleaned)


def load_yaml(text: str, what: str) -> Any:
    """Parse YAML with dates kept as text, turning every failure (bad syntax, nesting too deep, bad tagged values)
    into a CorpusError that says so."""
    try:
        try:
            return _parse(_Loader, text)
        except yaml.YAMLError:  # libyaml refuses a little PyYAML reads (escaped lone surrogates): PyYAML decides
            return _parse(_PureLoader, text)
    except yaml.YAMLError as error:
        raise CorpusError(f"{what} is not valid YAML: {str(error).splitlines()[0]}") from None
    except RecursionError:
        raise CorpusError(f"{what} is nested too deeply to read (lists or mappings inside one another)") from None
    except (ValueError, TypeError, OverflowError) as error:
        raise CorpusError(f"{what} is not valid YAML: {error}") from None


def _parse(kind: type[Any], text: str) -> Any:
    """One YAML document read by a safe loader: plain data only, never objects (its reader checks characters)."""
    loader = kind(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _nesting(node) > MAX_YAML_DEPTH:  # the C parser nests without limit; the constructor would not
            raise RecursionError
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _nesting(node: yaml.Node) -> int:
    """How deeply lists and mappings nest in a parsed YAML node (an alias counted where it is first met)."""
    deepest, seen, todo = 0, set(), [(node, 1)]
    while todo:
        item, depth = todo.pop()
        if id(item) in seen or not isinstance(item.value, list):
            continue
        seen.add(id(item))
        deepest = max(deepest, depth)
        for child in item.value:
            todo.extend((part, depth + 1) for part in (child if isinstance(child, tuple) else (child,)))
    return deepest


class CorpusError(ParallaxError, ValueError):
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

    @cached_property
    def article_key(self) -> str:
        """What makes two sources versions of one article: an explicit ``version_of``, else the URL, else the id."""
        return self.version_of or self.url or self.id

    def document(self, ignore: frozenset[str]) -> text.Document:
        """The text a comparison reads under the given ignore options."""
        return text.build_document(self.body, self.format == "markdown", "markup" in ignore,
                                   self.boilerplate, self.boilerplate_from, "stamps" in ignore, self.language)

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
    """A corpus file that was skipped, and why (both made printable, the reason cut to a readable length)."""

    path: str
    reason: str

    def __post_init__(self) -> None:
        """Keep undecodable names, surrogates and control characters out of pages and logs."""
        object.__setattr__(self, "path", printable(self.path))
        reason = printable(self.reason)
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[:MAX_REASON_CHARS - 1] + "…"
        object.__setattr__(self, "reason", reason)


@dataclass(frozen=True)
class Corpus:
    """Everything loaded from the corpus folder, plus the files that failed to load."""

    sources: Mapping[str, Source] = field(default_factory=dict)  # a dict, or shared with the corpus before a change
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
    def articles(self) -> Mapping[str, list[Source]]:
        """Sources grouped by article (see ``Source.article_key``), each list oldest capture first."""
        sources = list(self.sources.values())
        keys = list(map(attrgetter("article_key"), sources))
        grouped = dict(zip(keys, map(list, zip(sources)), strict=True))  # one capture each, made in C (most are)
        if len(grouped) < len(keys):  # only the articles with several captures are grouped and ordered one by one
            shared: dict[str, list[Source]] = {key: [] for key, count in Counter(keys).items() if count > 1}
            for key, source in zip(keys, sources, strict=True):
                if key in shared:
                    shared[key].append(source)
            grouped.update((k, sorted(m, key=lambda s: (capture_order(s.captured), s.id))) for k, m in shared.items())
        return grouped

    def versions(self, source: Source) -> list[Source]:
        """All captures of the same article, oldest capture first."""
        return self.articles.get(source.article_key, [source])

    def previous_version(self, source: Source) -> Source | None:
        """The capture of the same article just before this one, if any."""
        versions = self.versions(source)
        position = versions.index(source) if source in versions else 0
        return versions[position - 1] if position else None


def capture_order(captured: str) -> str:
    """A capture time as text that sorts in time order: converted to UTC when it has an offset (text order put
    10:00+05:00 after 06:00Z), naive times read as UTC; '' (unknown) first; text that does not parse as is."""
    if not captured:
        return ""
    try:
        moment = dt.datetime.fromisoformat(captured)
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return captured
    return moment.isoformat()


def _text_field(meta: dict[str, Any], name: str) -> str:
    """A string field of the front matter; empty when absent."""
    value = meta.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CorpusError(f"field '{name}' must be text, not {type(value).__name__}")
    if SURROGATE_RE.search(value):
        raise CorpusError(f"field '{name}' contains a lone surrogate (an escape such as \\uD800 that is not a "
                          "character)")
    return value.strip()


def _date_field(meta: dict[str, Any], name: str, with_time: bool) -> str:
    """A date (or date-time) field as ISO text; empty when absent."""
    value = meta.get(name)
    if value is None or value == "":
        return ""
    kind = "date-time" if with_time else "date"
    if not isinstance(value, str):
        raise CorpusError(f"field '{name}' must be an ISO {kind}, not {type(value).__name__} {show(value)}")
    try:
        parsed = dt.datetime.fromisoformat(value) if with_time else dt.date.fromisoformat(value)
    except ValueError as error:
        raise CorpusError(f"field '{name}' must be an ISO {kind} that exists, not {show(value)} ({error})") from None
    return parsed.isoformat()


def _slug_field(meta: dict[str, Any], name: str) -> str:
    """A required slug field."""
    value = meta.get(name)
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > MAX_SLUG_LENGTH:
        raise CorpusError(f"field '{name}' must be a slug of a-z, 0-9 and '-' (at most {MAX_SLUG_LENGTH} "
                          f"characters), not {show(value)}")
    return value


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Split a file into its YAML front matter and the body, keeping the body byte for byte."""
    opening = FENCE_RE.match(raw)
    closing = FENCE_RE.search(raw, opening.end()) if opening else None
    if not opening:
        raise CorpusError("no front matter: the file must start with a '---' line")
    if not closing:
        raise CorpusError("front matter is not closed by a '---' line")
    fm, body = raw[opening.end():closing.start()], raw[closing.end():]
    if len(fm.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER_BYTES:
        raise CorpusError(f"front matter is over the limit of {MAX_FRONT_MATTER_BYTES:,} bytes")
    meta = load_yaml(fm, "front matter") or {}
    if not isinstance(meta, dict):
        raise CorpusError("front matter must be a mapping of field: value")
    return meta, body


def parse_source(raw_bytes: bytes, path: str, max_bytes: int) -> Source:
    """Validate one source file's bytes and build its Source, raising CorpusError with the reason."""
    if len(raw_bytes) > max_bytes:
        raise CorpusError(f"file is {len(raw_bytes):,} bytes, over the MAX_SOURCE_BYTES limit of {max_bytes:,}")
    meta, body = split_front_matter(decode_utf8(raw_bytes))
    unknown = sorted(set(map(str, meta)) - KNOWN_FIELDS)
    if unknown:
        listed = ", ".join(show(name)[1:-1] for name in unknown[:10]) + (", …" if len(unknown) > 10 else "")
        raise CorpusError(f"unknown field(s) {listed}; known: {', '.join(sorted(KNOWN_FIELDS))}")
    if not body.strip():
        raise CorpusError("the body is empty: there is no article text after the front matter")
    values = {name: _text_field(meta, name) for name in _STRING_FIELDS}
    suffix_format = SOURCE_SUFFIXES.get(Path(path).suffix.lower(), "text")
    fmt = meta.get("format", suffix_format)
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise CorpusError(f"field 'format' must be one of {', '.join(FORMATS)}, not {show(fmt)}")
    attribution = meta.get("attribution") or "unknown"
    if not isinstance(attribution, str) or attribution not in ATTRIBUTIONS:
        raise CorpusError(f"field 'attribution' must be one of {', '.join(ATTRIBUTIONS)}, not {show(attribution)}")
    if values["url"] and not is_web_url(values["url"]):
        raise CorpusError(f"field 'url' must be an http(s) URL, not {show(values['url'])}")
    # A file that does not say its language gets the one its text is in.
    language = values.pop("language") or languages.detect(body)
    if not LANGUAGE_RE.match(language):
        raise CorpusError(f"field 'language' must be a language tag such as 'en', not {show(language)}")
    boilerplate = meta.get("boilerplate") or []
    if not isinstance(boilerplate, list) or not all(isinstance(b, str) and b.strip() for b in boilerplate):
        raise CorpusError("field 'boilerplate' must be a list of non-empty texts")
    if any(SURROGATE_RE.search(b) for b in boilerplate):
        raise CorpusError("field 'boilerplate' contains a lone surrogate (an escape such as \\uD800 that is not a "
                          "character)")
    return Source(id=_slug_field(meta, "id"), story=_slug_field(meta, "story"), format=fmt, body=body, path=path,
                  sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(), language=language,
                  attribution=attribution, published=_date_field(meta, "published", False),
                  captured=_date_field(meta, "captured", True), boilerplate=tuple(b.strip() for b in boilerplate),
                  **values)


def in_its_folder(source: Source, folder: str) -> Source:
    """The source, if it stands in the folder of its story; else a CorpusError saying where it belongs."""
    if not folder:
        raise CorpusError(f"the file is not in a story folder: move it to {source.story}/")
    if source.story != folder:
        raise CorpusError(f"its story '{source.story}' does not match its folder '{folder}'")
    return source


def is_web_url(value: str) -> bool:
    """Whether the value is an http(s) URL with a host (False for text ``urlsplit`` cannot even split)."""
    if any(char.isspace() or ord(char) < 32 or 0xD800 <= ord(char) < 0xE000 for char in value):
        return False  # whitespace, control characters or lone surrogates inside: no URL a browser would send
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def decode_utf8(raw_bytes: bytes) -> str:
    """A file's bytes as text (a UTF-8 byte-order mark dropped), or a CorpusError naming the encoding problem."""
    if raw_bytes.startswith(_UTF16_BOMS):
        raise CorpusError("the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8")
    try:
        return raw_bytes.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise CorpusError(f"not valid UTF-8 (byte 0x{raw_bytes[error.start]:02x} at offset {error.start})") from None


def parse_story(raw_bytes: bytes, slug: str) -> Story:
    """Validate a story.yaml file."""
    if len(raw_bytes) > MAX_FRONT_MATTER_BYTES:
        raise CorpusError(f"story file is over the limit of {MAX_FRONT_MATTER_BYTES:,} bytes")
    meta = load_yaml(decode_utf8(raw_bytes), "story file") or {}
    if not isinstance(meta, dict):
        raise CorpusError("story file must be a mapping of field: value")
    declared = meta.get("slug", slug)
    if declared != slug:
        raise CorpusError(f"story slug {show(declared)} does not match its folder {slug!r}")
    return Story(slug=slug, title=_text_field(meta, "title"), date=_date_field(meta, "date", False),
                 summary=_text_field(meta, "summary"))


def is_candidate_name(name: str) -> bool:
    """Whether a file name can be a source (editors' temporary and hidden files are not)."""
    return (os.path.splitext(name)[1].lower() in SOURCE_SUFFIXES and not name.startswith((".", "~", "#"))
            and not name.endswith("~"))


def _claim_order(source: Source, owners: Mapping[str, str], mtimes: Mapping[str, int]) -> tuple[Any, ...]:
    """Who gets an id claimed by several files, first to last: the file that held it before (``owners``), then a
    file named after the id, then the oldest file (modification time), then the alphabetically first path."""
    return (owners.get(source.id) != source.path, source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] != source.id,
            mtimes.get(source.path, 0), source.path)


def build_corpus(items: list[Source | Story | Problem], owners: Mapping[str, str] | None = None,
                 mtimes: Mapping[str, int] | None = None) -> Corpus:
    """Assemble parsed files into a corpus: refuse every file reusing an id held by another (never a silent swap;
    see ``_claim_order``), group sources into stories."""
    owners, mtimes, sources = owners or {}, mtimes or {}, dict[str, Source]()
    problems = [item for item in items if isinstance(item, Problem)]
    failing = {p.path for p in problems}
    candidates = [item for item in items if isinstance(item, Source)]
    twice = len({s.id for s in candidates}) < len(candidates)  # settled by claim order; else path order will do
    candidates.sort(key=(lambda s: _claim_order(s, owners, mtimes)) if twice else attrgetter("path"))
    if not twice and not failing:  # no id claimed twice, no holder failing: every source keeps its id
        sources = {source.id: source for source in candidates}
        candidates = []
    for source in candidates:
        holder = owners.get(source.id)
        if source.id in sources:
            problems.append(Problem(source.path, f"duplicate id '{source.id}' (already used by "
                                                 f"{sources[source.id].path}); give this file another id"))
        elif holder is not None and holder != source.path and holder in failing:
            problems.append(Problem(source.path, f"duplicate id '{source.id}' (it belongs to {holder}, which does "
                                                 "not load at the moment); give this file another id"))
        else:
            sources[source.id] = source
    declared = {item.slug: item for item in items if isinstance(item, Story)}
    by_story: dict[str, list[Source]] = {slug: [] for slug in declared}
    for source in sources.values():  # one pass: sources grouped by story (not one scan of all per story)
        by_story.setdefault(source.story, []).append(source)
    stories: dict[str, Story] = {}
    for slug in sorted(by_story):
        members = sorted(by_story[slug],
                         key=lambda s: (s.published or "9999", s.captured or "", s.outlet.casefold(), s.id))
        base = declared.get(slug, Story(slug=slug))
        stories[slug] = Story(base.slug, base.title, base.date, base.summary, tuple(s.id for s in members))
    return Corpus(sources, stories, tuple(sorted(problems, key=lambda p: p.path)))
