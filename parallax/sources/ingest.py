"""Turning pasted text, uploaded files and fetched pages into new corpus files, written atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

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
from parallax.sources import extract, shaping
from parallax.sources.storage import (
    Place,
    place_of,
    storage_cause,
    storage_message,
)

# What reading an editor's input gives, read here by the modules that write sources and by the command line.
CONTROL_RE = extract.CONTROL_RE
Cause = extract.Cause
Extracted = extract.Extracted
IngestError = extract.IngestError
one_line = extract.one_line
surrogate_field = extract.surrogate_field
unify_newlines = extract.unify_newlines
decode_html = extract.decode_html
from_html = extract.from_html
from_upload = extract.from_upload

log = logging.getLogger("parallax.sources.ingest")

#: Ids never given to a new source: words that name an action in the API's paths (``/api/sources/batch``).
RESERVED_IDS = ("batch",)
MAX_ID_LENGTH = 48  # ids derived from a headline are cut at a word boundary to stay readable in URLs
ID_WORDS = 8  # without a headline, the id is made of the text's first words


class DuplicateError(IngestError):
    """The same text is already in the story as ``existing``."""

    def __init__(self, existing: Source) -> None:
        super().__init__(f"this text is already in the story as '{existing.id}'", "duplicate")
        self.existing = existing


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
