"""Managing sources: edit a file's front matter (the body stays byte for byte), move it to the trash, restore it.

The trash is ``.trash/`` inside the corpus (hidden, so the loader skips it): each removed source gets its own
folder ``.trash/<stamp>-<id>/`` holding the file, the fetched page kept beside it if any, and ``entry.json``
saying where it came from. Changes are written to the place the corpus is kept (``storage.Place``: the corpus
folder, or the PostgreSQL store app servers share), each write in one step. Each change holds that place's write
lock and acts on the corpus as it stands under it, so changes by several editors at once, through any app server,
apply one after the other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from parallax.corpus import (
    LANGUAGE_RE,
    MAX_SLUG_LENGTH,
    SLUG_RE,
    CorpusError,
    Source,
    is_web_url,
    parse_source,
    split_front_matter,
)
from parallax.corpus_store import CorpusStore
from parallax.errors import ParallaxError
from parallax.model import ATTRIBUTIONS
from parallax.sources import adding, ingest
from parallax.sources.storage import Place, place_of, storage_cause, storage_message

TRASH = ".trash"
ENTRY_FILE = "entry.json"
ORIGINALS = ".originals"
EDITABLE = ("outlet", "title", "published", "captured", "story", "language", "url", "attribution",
            "attribution_note", "version_of", "boilerplate")
_TRASH_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{4}\Z")


class ManageError(ParallaxError, ValueError):
    """A change that cannot be made; ``cause`` is 'invalid', 'missing', 'conflict', or why storing it failed:
    'disk_full', 'read_only' or 'storage'."""

    default_cause = "invalid"


def read_for_edit(store: CorpusStore, source: Source) -> tuple[Source, str] | None:
    """The source as its file holds it now and the sha256 of the file's bytes (what an edit form is built from, to
    refuse edits of a file changed since); None when it is gone. A file moved meanwhile is followed."""
    place = place_of(store)
    for _ in range(3):
        raw = place.read(source.path)
        if raw is None:
            found = _fresh(store, source.id)
            if found is None:
                return None
            source = found
            continue
        with contextlib.suppress(CorpusError):  # being rewritten: the version that last loaded is shown
            source = parse_source(raw, source.path, store.max_bytes)
        return source, hashlib.sha256(raw).hexdigest()
    return None


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The edited fields checked and normalised; ManageError names the first bad one."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ManageError(f"these fields cannot be edited here: {', '.join(unknown)}")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "boilerplate":
            items = value.splitlines() if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ManageError("boilerplate must be a list of texts (one per line in the form)")
            clean[name] = [ingest.one_line(i) for i in items if i.strip()]
            continue
        if not isinstance(value, str):
            raise ManageError(f"field '{name}' must be text")
        value = ingest.one_line(value)
        if name == "published" and value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ManageError(f"published must be a date such as 2023-09-12, not {value!r}") from None
        if name == "captured" and value:
            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                raise ManageError(f"captured must be a date-time such as 2023-09-12T10:00:00+00:00, not "
                                  f"{value!r}") from None
        if name == "language" and not LANGUAGE_RE.match(value):
            raise ManageError(f"language must be a language tag such as 'en' or 'ru', not {value!r}")
        if name == "url" and value and not is_web_url(value):
            raise ManageError(f"url must be an http(s) URL, not {value[:200]!r}")
        if name == "attribution" and value not in ATTRIBUTIONS:
            raise ManageError(f"attribution must be one of {', '.join(ATTRIBUTIONS)}, not {value[:100]!r}")
        if name == "story" and (not SLUG_RE.match(value) or len(value) > MAX_SLUG_LENGTH):
            raise ManageError(f"story must be a slug of a-z, 0-9 and '-', not {value!r}")
        clean[name] = value
    return clean


def rewrite_front_matter(raw: bytes, changes: dict[str, Any]) -> bytes:
    """The file with its front matter changed as given (empty values remove a field) and its body unchanged."""
    text = raw.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    meta, body = split_front_matter(text.removeprefix("\ufeff"))
    for name, value in _clean_changes(changes).items():
        if value or name == "story":
            meta[name] = value
        else:
            meta.pop(name, None)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return f"{bom}---\n{front}---\n".encode() + body.encode("utf-8")


def _storage_error(error: OSError, doing: str) -> ManageError:
    """A failed write as a ManageError whose kind says why (disk full, read-only, other)."""
    return ManageError(storage_message(error, doing), storage_cause(error))


@contextlib.contextmanager
def _changing(place: Place, doing: str) -> Iterator[None]:
    """Hold the write lock of the place the corpus is kept; an OSError taking it or while holding it becomes a
    ManageError naming the cause (a full disk, a read-only corpus)."""
    try:
        with place.lock():
            yield
    except OSError as error:
        raise _storage_error(error, doing) from None


def _fresh(store: CorpusStore, source_id: str) -> Source | None:
    """The source as the corpus holds it now, or None (called under the write lock, after every earlier change).

    When the store disagrees with the folder (its file is not where the store says, or a file named after the id is
    there although the store has none), the folder is read again: a change is never built on a stale view."""
    source = store.current().get(source_id)
    if source is None and not store.file_named(source_id):
        return None
    if source is None or place_of(store).read(source.path) is None:
        source = store.reload().get(source_id)
    return source


def _current(store: CorpusStore, source_id: str) -> Source:
    """The source as the corpus holds it now; ManageError 'missing' when it is not there (any more)."""
    source = _fresh(store, source_id)
    if source is None:
        raise ManageError(f"no source with id '{source_id}' (removed or never added)", "missing")
    return source


def edit_source(store: CorpusStore, source_id: str, changes: dict[str, Any], expected_digest: str | None,
                max_bytes: int) -> tuple[Source, str]:
    """Apply metadata changes to a source's file; the source as it was and its new path relative to the corpus.

    The file is read, checked and written under the corpus's write lock. ``expected_digest`` is the file's sha256
    when the editor saw it: a file changed since is not overwritten (conflict); None edits the file as it stands.
    A new story moves the file (and its kept page) to that story's folder, creating it if needed.
    """
    place = place_of(store)
    with _changing(place, "saving the edit"):
        source = _current(store, source_id)
        raw = place.read(source.path)
        if raw is None:
            raise ManageError(f"the file of '{source.id}' is gone", "missing")
        if expected_digest is not None and hashlib.sha256(raw).hexdigest() != expected_digest:
            raise ManageError(f"'{source.id}' was changed by someone else since the form was opened; reload it and "
                              "edit again", "conflict")
        if "version_of" in changes:
            changes = {**changes, "version_of": _article_key(store, source, changes["version_of"])}
        try:
            data = rewrite_front_matter(raw, changes)
            parse_source(data, source.path, max_bytes)
        except (CorpusError, UnicodeDecodeError) as error:
            raise ManageError(f"the edited file would not load: {error}") from None
        return source, _write_edit(place, source, str(changes.get("story") or source.story), data)


def _article_key(store: CorpusStore, source: Source, value: Any) -> str:
    """``version_of`` as stored, by the rule of adding a source: another source's id becomes its article key, an
    article URL stays, '' clears it; ManageError for anything else, or for the source itself."""
    if not isinstance(value, str):
        raise ManageError("field 'version_of' must be text")
    if ingest.one_line(value) == source.version_of:  # unchanged: kept as stored, whatever rule it was made by
        return source.version_of
    if ingest.one_line(value) == source.id:
        raise ManageError("version_of names this source itself; give the id or URL of the article it is a new "
                          "version of")
    try:
        return adding.resolve_version_of(store.current(), ingest.one_line(value))
    except ingest.IngestError as error:
        raise ManageError(str(error)) from None


def _kept_page(folder: str, source_id: str) -> str:
    """The path of the fetched page kept for a source, in a story folder or a trash folder."""
    return f"{folder}/{ORIGINALS}/{source_id}.html.gz" if not folder.startswith(TRASH) else \
        f"{folder}/{source_id}.html.gz"


def _write_edit(place: Place, source: Source, story: str, data: bytes) -> str:
    """Write an edited file in place, or in another story's folder (moving its kept page); its path."""
    if story == source.story:
        place.replace(source.path, data)
        return source.path
    try:
        ingest.check_story(story)
    except ingest.IngestError as error:
        raise ManageError(str(error)) from None
    created = not place.exists(story)
    name = source.path.rsplit("/", 1)[-1]
    target = f"{story}/{name}"
    try:
        ingest.ensure_story(place, story, story)
        if not place.write_new(target, data):
            raise ManageError(f"story '{story}' already has a file named {name}", "conflict")
        try:
            kept = _kept_page(source.story, source.id)
            if place.read(kept) is not None:
                place.move(kept, _kept_page(story, source.id), replace=True)
            place.remove(source.path)
        except OSError:
            with contextlib.suppress(OSError):
                place.remove(target)  # the source stays where it was
            raise
    except (OSError, ManageError):
        if created:
            ingest.remove_empty_story(place, story)
        raise
    return target


@dataclass(frozen=True)
class TrashEntry:
    """A removed source waiting in the trash."""

    trash_id: str
    source_id: str
    path: str
    story: str
    outlet: str
    title: str
    removed: str

    def to_dict(self) -> dict[str, str]:
        """Plain data for pages and JSON."""
        return dict(self.__dict__)


def remove_source(store: CorpusStore, source_id: str) -> TrashEntry:
    """Move a source's file (and its kept page) into its own trash folder, under the corpus's write lock; the entry
    to restore it from. A failure leaves the source where it was and no trash folder behind."""
    place = place_of(store)
    with _changing(place, "moving the source to the trash"):
        source = _current(store, source_id)
        if place.read(source.path) is None:
            raise ManageError(f"the file of '{source.id}' is gone", "missing")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        entry = TrashEntry(trash_id=f"{now:%Y%m%dT%H%M%SZ}-{source.id}-{secrets.token_hex(2)}", source_id=source.id,
                           path=source.path, story=source.story, outlet=source.outlet, title=source.title,
                           removed=now.isoformat())
        folder = f"{TRASH}/{entry.trash_id}"
        name = source.path.rsplit("/", 1)[-1]
        moved = False
        try:
            if place.exists(folder) or not place.write_new(f"{folder}/{ENTRY_FILE}",
                                                           json.dumps(entry.to_dict(), indent=1).encode("utf-8")):
                raise ManageError("another removal took the same trash entry name; try again", "conflict")
            place.move(source.path, f"{folder}/{name}", replace=True)
            moved = True
            kept = _kept_page(source.story, source.id)
            if place.read(kept) is not None:
                place.move(kept, _kept_page(folder, source.id), replace=True)
        except OSError:
            if moved:
                with contextlib.suppress(OSError):
                    place.move(f"{folder}/{name}", source.path, replace=True)
            place.remove_folder(folder)
            place.prune(TRASH)  # the trash itself, when this removal made it
            raise
        return entry


def _entry(place: Place, trash_id: str) -> TrashEntry | None:
    """The trash entry in a trash folder, or None when it is incomplete or malformed."""
    try:
        payload = json.loads(place.read(f"{TRASH}/{trash_id}/{ENTRY_FILE}") or b"")
        entry = TrashEntry(**{k: str(payload[k]) for k in TrashEntry.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if entry.trash_id != trash_id or Path(entry.path).name not in place.listing(f"{TRASH}/{trash_id}"):
        return None
    return entry


def list_trash(where: Any) -> list[TrashEntry]:
    """Removed sources, most recently removed first (``where``: the corpus folder, a corpus store or a place)."""
    place = place_of(where)
    entries = [_entry(place, name) for name in place.folders(TRASH)]
    return sorted((e for e in entries if e is not None), key=lambda e: (e.removed, e.trash_id), reverse=True)


def restore_source(store: CorpusStore, trash_id: str) -> TrashEntry:
    """Put a removed source back where it was, under the corpus's write lock; refused when its id or file name has
    been taken since. A failure leaves it in the trash."""
    place = place_of(store)
    if not _TRASH_ID_RE.match(trash_id):
        raise ManageError(f"no removed source {trash_id!r} in the trash", "missing")
    with _changing(place, "restoring the source"):
        entry = _entry(place, trash_id)
        if entry is None:
            raise ManageError(f"no removed source {trash_id!r} in the trash", "missing")
        if _fresh(store, entry.source_id) is not None:
            raise ManageError(f"a source with id '{entry.source_id}' exists again; remove or rename it first",
                              "conflict")
        try:
            ingest.check_story(entry.story)
        except ingest.IngestError as error:
            raise ManageError(str(error)) from None
        created = not place.exists(entry.story)
        target = f"{entry.story}/{Path(entry.path).name}"
        try:
            ingest.ensure_story(place, entry.story, entry.story)
            if not place.move(f"{TRASH}/{trash_id}/{Path(entry.path).name}", target):
                raise ManageError(f"{entry.path} exists again; remove or rename it first", "conflict")
            try:
                kept = _kept_page(f"{TRASH}/{trash_id}", entry.source_id)
                if place.read(kept) is not None:
                    place.move(kept, _kept_page(entry.story, entry.source_id), replace=True)
            except OSError:
                with contextlib.suppress(OSError):
                    place.move(target, f"{TRASH}/{trash_id}/{Path(entry.path).name}")
                raise
        except (OSError, ManageError):
            if created:
                ingest.remove_empty_story(place, entry.story)
            raise
        place.remove_folder(f"{TRASH}/{trash_id}")
        return entry
