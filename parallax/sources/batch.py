"""Adding many sources at once (the JSON API's batches, the add page's multi-file upload, ``parallax add`` with many
files, folders or a list of URLs): each item goes through the one add path and answers on its own.

An item is saved whole or not at all (``ingest.save_source`` writes one file atomically under the corpus's write
lock, and removes a story folder it made for a file it could not write), so one failing item leaves nothing of
itself behind and does not stop the others. The same text twice in a batch is saved once: the second is a
duplicate of the first, found on disk under the write lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from parallax.corpus import Corpus
from parallax.sources import adding, extract, ingest

log = logging.getLogger("parallax.sources.batch")

#: Most items one batch request may hold (a larger import is sent as several batches).
MAX_ITEMS = 1000
#: File types a folder given to the command line contributes (the add page's and the API's types).
FILE_TYPES = tuple(extract.UPLOAD_TYPES)
Status = Literal["saved", "duplicate", "error"]


@dataclass
class ItemResult:
    """What became of one item: saved (with its id and path), a duplicate (naming the source holding the text) or
    an error (with the reason, its cause and the field at fault)."""

    index: int
    name: str
    status: Status
    id: str = ""
    path: str = ""
    error: str = ""
    cause: str = ""
    field: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: empty details left out."""
        return {k: v for k, v in self.__dict__.items() if v != "" or k in ("index", "name", "status")}


@dataclass
class Item:
    """One item of a batch: API-style fields (``adding.API_FIELDS``), a name to report it by, how it was captured,
    and an error found before adding (a file that could not be read)."""

    name: str
    values: dict[str, str]
    capture: str = ""
    problem: ingest.IngestError | None = None


def check_fields(payload: Any) -> dict[str, str]:
    """One batch item's fields as strings (null fields left out); IngestError naming an unknown or non-text field."""
    if not isinstance(payload, dict):
        raise ingest.IngestError("each item must be a JSON object of source fields", "bad_input")
    unknown = sorted(set(payload) - set(adding.API_FIELDS))
    if unknown:
        raise ingest.IngestError(f"unknown field(s): {', '.join(unknown)[:300]}", "bad_input", unknown[0][:100])
    bad = next((k for k, v in payload.items() if v is not None and not isinstance(v, str)), None)
    if bad:
        raise ingest.IngestError(f"field '{bad}' must be a string", "bad_input", bad)
    return {k: v for k, v in payload.items() if v is not None}


def parse_ndjson(text: str) -> list[Any]:
    """The items of an NDJSON body (one JSON value a line, blank lines skipped); a line that is not JSON becomes an
    item that fails on its own (its error names the line)."""
    items: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except (ValueError, RecursionError):
            items.append(ingest.IngestError(f"line {number} is not JSON", "bad_input"))
    return items


def item_name(values: dict[str, str], index: int) -> str:
    """How to name an item in a report: its title, else its URL, else its place in the batch."""
    return (values.get("title") or values.get("url") or f"item {index + 1}").strip()[:200]


def add_one(index: int, item: Item, current: Corpus, limits: adding.AddLimits) -> ItemResult:
    """Add one item through the one add path; whatever happens is this item's result, never the batch's."""
    if item.problem is not None:
        error: Exception = item.problem
    else:
        try:
            saved = adding.add_source(item.values, current, limits, item.capture)
        except ingest.DuplicateError as duplicate:
            return ItemResult(index, item.name, "duplicate", id=duplicate.existing.id, path=duplicate.existing.path,
                              error=str(duplicate), cause="duplicate")
        except adding.DomainError as domain:
            error = domain
        except OSError as failure:  # reading a file given to the command line
            error = ingest.IngestError(f"cannot be read ({failure.strerror or failure})", "storage")
        else:
            return ItemResult(index, item.name, "saved", id=saved.id, path=saved.path)
    return ItemResult(index, item.name, "error", error=str(error), cause=str(getattr(error, "cause", "bad_input")),
                      field=str(getattr(error, "field", "")))


def add_many(items: Iterable[Item], current: Callable[[], Corpus], limits: adding.AddLimits) -> Iterator[ItemResult]:
    """Add items one after another, yielding each one's result as soon as it is known (for a progress bar).

    ``current`` gives the corpus as it stands (after the items saved before): version_of may name a source saved
    earlier in the same batch."""
    for index, item in enumerate(items):
        yield add_one(index, item, current(), limits)


def counts(results: Iterable[ItemResult]) -> dict[str, int]:
    """How many items were saved, duplicates and errors."""
    found = {"saved": 0, "duplicate": 0, "error": 0}
    for result in results:
        found[result.status] += 1
    return found


def summary(found: dict[str, int]) -> str:
    """The counts in words: "198 saved, 1 duplicate, 1 error"."""
    def said(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return f"{found['saved']} saved, {said(found['duplicate'], 'duplicate')}, {said(found['error'], 'error')}"


# ---- files and folders (the command line) --------------------------------------------------------------------

def expand_paths(given: Iterable[str]) -> list[Path]:
    """Files given and the source files inside folders given (recursively, sorted, hidden files skipped)."""
    found: list[Path] = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FILE_TYPES
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        else:
            found.append(path)
    return found


def file_item(path: Path, values: dict[str, str], max_bytes: int) -> Item:
    """An item for a file (HTML is extracted on adding; text and markdown taken as they are); a file that cannot be
    read becomes an item that fails with the reason."""
    fields = dict(values)
    capture = f"file {path.name} added from the command line"
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ingest.IngestError(f"{size:,} bytes is over the MAX_UPLOAD_BYTES limit of {max_bytes:,}",
                                     "too_large", "file")
        raw = path.read_bytes()
        if path.suffix.lower() in (".html", ".htm"):
            fields["html"] = extract.decode_html(raw)
        else:
            extracted = extract.from_upload(path.name, raw, max_bytes)
            fields["text"] = extracted.body
            fields.setdefault("format", extracted.format)
            if extracted.title:
                fields.setdefault("title", extracted.title)
            if not fields.get("outlet", "").strip():
                raise ingest.IngestError("a text file does not say which outlet published it; give it with --outlet",
                                         "bad_input", "outlet")
    except ingest.IngestError as error:
        return Item(str(path), fields, capture, error)
    except OSError as error:
        return Item(str(path), fields, capture, ingest.IngestError(f"cannot be read ({error.strerror or error})",
                                                                   "bad_input", "file"))
    return Item(str(path), fields, capture)


def read_url_list(text: str) -> list[str]:
    """The URLs of a list, one a line (blank lines and lines starting with '#' skipped)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
