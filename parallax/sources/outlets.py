"""The outlet registry: ``corpus/outlets.yaml`` says who each outlet is (country, language, owner) and what kind of
outlet it is (state-affiliated, public, private, wire), each fact with where it comes from.

Sources name their outlet as free text; the registry matches it by name or alias, case and spacing aside. A
registry that cannot be read never stops the corpus from loading: its problems are reported and every outlet is
then simply unknown. The file is read again when it changes (its modification time and size are checked at most
once a second, or as often as the corpus is rescanned).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parallax.corpus import CorpusError, load_yaml

REGISTRY_FILE = "outlets.yaml"
KINDS = ("state-affiliated", "public", "private", "wire", "unknown")
KIND_LABELS = {"state-affiliated": "state-affiliated media", "public": "public broadcaster",
               "private": "private outlet", "wire": "news agency", "unknown": "kind unknown"}
FACTS = ("country", "language", "owner", "kind")
MAX_BYTES = 256 * 1024  # a registry of thousands of outlets fits; anything larger is refused, not parsed
MAX_TEXT = 500
CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Outlet:
    """One outlet: its name, other names it goes by, the facts known about it and the source of each."""

    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    language: str = ""
    owner: str = ""
    kind: str = "unknown"
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def state_affiliated(self) -> bool:
        """Whether the registry marks this outlet as state-affiliated media."""
        return self.kind == "state-affiliated"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for pages, JSON twins and exports (unknown facts as None)."""
        return {"name": self.name, "aliases": list(self.aliases), "country": self.country or None,
                "language": self.language or None, "owner": self.owner or None, "kind": self.kind,
                "kind_label": KIND_LABELS[self.kind], "state_affiliated": self.state_affiliated,
                "sources": dict(self.sources)}


@dataclass(frozen=True)
class Registry:
    """The outlets, looked up by any of their names, and the problems met reading the file."""

    outlets: tuple[Outlet, ...] = ()
    problems: tuple[str, ...] = ()
    _by_name: dict[str, Outlet] = field(default_factory=dict, compare=False, repr=False)

    def lookup(self, name: str) -> Outlet | None:
        """The outlet going by this name or alias (case and spacing aside), or None."""
        return self._by_name.get(fold(name)) if name else None

    def describe(self, name: str) -> dict[str, Any] | None:
        """``lookup`` as plain data, or None when the outlet is not in the registry."""
        found = self.lookup(name)
        return found.to_dict() if found else None

    def kind_of(self, name: str) -> str:
        """The outlet's kind, 'unknown' when it is not in the registry."""
        found = self.lookup(name)
        return found.kind if found else "unknown"

    def csv_rows(self) -> list[list[str]]:
        """The registry as CSV rows, a header first; each fact followed by its source."""
        header = ["name", "aliases", *(f"{fact}{suffix}" for fact in FACTS for suffix in ("", "_source"))]
        rows = [header]
        for outlet in self.outlets:
            sources = dict(outlet.sources)
            facts = {"country": outlet.country, "language": outlet.language, "owner": outlet.owner,
                     "kind": outlet.kind}
            rows.append([outlet.name, "; ".join(outlet.aliases),
                         *(value for fact in FACTS for value in (facts[fact], sources.get(fact, "")))])
        return rows


def fold(name: str) -> str:
    """A name as looked up: spacing collapsed, case folded."""
    return " ".join(name.split()).casefold()


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    """A text field of an entry ('' when absent); CorpusError when it is not short text."""
    value = entry.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool) or len(str(value)) > MAX_TEXT:
        raise CorpusError(f"{where}: '{key}' must be text of at most {MAX_TEXT} characters")
    return " ".join(str(value).split())


def parse_outlet(entry: Any, where: str) -> Outlet:
    """One registry entry as an Outlet; CorpusError naming what is wrong."""
    if not isinstance(entry, dict):
        raise CorpusError(f"{where} is not a mapping of name, aliases, country, language, owner, kind, sources")
    unknown = sorted(set(entry) - {"name", "aliases", *FACTS, "sources"}, key=str)
    if unknown:
        raise CorpusError(f"{where}: unknown field {unknown[0]!r}")
    name = _text(entry, "name", where)
    if not name:
        raise CorpusError(f"{where} has no name")
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and 0 < len(a) <= MAX_TEXT for a in aliases):
        raise CorpusError(f"{where} ({name}): 'aliases' must be a list of names")
    kind = _text(entry, "kind", where) or "unknown"
    if kind not in KINDS:
        raise CorpusError(f"{where} ({name}): kind must be one of {', '.join(KINDS)}, not {kind!r}")
    sources = entry.get("sources") or {}
    if not isinstance(sources, dict) or not set(sources) <= set(FACTS):
        raise CorpusError(f"{where} ({name}): 'sources' must map {', '.join(FACTS)} to where each fact comes from")
    return Outlet(name=name, aliases=tuple(" ".join(a.split()) for a in aliases),
                  country=_text(entry, "country", where), language=_text(entry, "language", where),
                  owner=_text(entry, "owner", where), kind=kind,
                  sources=tuple((fact, _text(sources, fact, f"{where} ({name}) sources")) for fact in FACTS
                                if fact in sources))


def build(outlets: Iterable[Outlet], problems: Iterable[str] = ()) -> Registry:
    """A registry of these outlets; a name or alias claimed twice keeps its first outlet and is reported."""
    by_name: dict[str, Outlet] = {}
    kept: list[Outlet] = []
    found = list(problems)
    for outlet in outlets:
        names = [fold(n) for n in (outlet.name, *outlet.aliases)]
        taken = next((n for n in names if n in by_name), None)
        if taken is not None:
            found.append(f"{REGISTRY_FILE}: the name {taken!r} of {outlet.name} is already {by_name[taken].name}'s; "
                         f"{outlet.name} is skipped")
            continue
        kept.append(outlet)
        by_name.update(dict.fromkeys(names, outlet))
    return Registry(tuple(kept), tuple(found), by_name)


def parse_registry(raw: bytes) -> Registry:
    """A registry from the bytes of ``outlets.yaml``: entries that cannot be read are skipped and reported."""
    if len(raw) > MAX_BYTES:
        return build([], [f"{REGISTRY_FILE} is larger than {MAX_BYTES // 1024} KB and was not read"])
    try:
        data = load_yaml(raw.decode("utf-8"), REGISTRY_FILE)
    except UnicodeDecodeError:
        return build([], [f"{REGISTRY_FILE} is not valid UTF-8"])
    except CorpusError as error:
        return build([], [str(error)])
    entries = data.get("outlets") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return build([], [f"{REGISTRY_FILE} must be a mapping with a list under 'outlets'"])
    outlets, problems = [], []
    for number, entry in enumerate(entries, 1):
        try:
            outlets.append(parse_outlet(entry, f"{REGISTRY_FILE} entry {number}"))
        except CorpusError as error:
            problems.append(str(error))
    return build(outlets, problems)


def load(corpus_dir: Path | str) -> Registry:
    """The registry of a corpus folder (empty, with no problem, when it has none)."""
    path = Path(corpus_dir) / REGISTRY_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return build([])
    except OSError as error:
        return build([], [f"{REGISTRY_FILE} cannot be read: {error.strerror or error}"])
    return parse_registry(raw)


class RegistryStore:
    """Holds a corpus's registry, read again when the file's modification time or size changes: the file in the
    corpus folder, or, given ``place`` (which returns a ``parallax.sources.storage.Place``: the PostgreSQL store app
    servers share), the file kept there, so a change saved through any server is read by every other."""

    def __init__(self, corpus_dir: Path | str, check: float = CHECK_SECONDS,
                 place: Callable[[], Any] | None = None) -> None:
        self.check = check
        self.path = Path(corpus_dir) / REGISTRY_FILE
        self.place = place
        self._lock = threading.Lock()
        self._registry = build([])
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0

    def _stamp(self) -> tuple[int, int]:
        """The file's modification time and size now ((0, -1) when there is none or it cannot be looked at)."""
        try:
            if self.place is not None:
                stamp = self.place().stamp(REGISTRY_FILE)
                return (int(stamp[0]), int(stamp[1])) if stamp else (0, -1)
            info = os.stat(self.path)
        except OSError:
            return (0, -1)
        return (info.st_mtime_ns, info.st_size)

    def _load(self) -> Registry:
        """The registry as the file holds it now."""
        if self.place is None:
            return load(self.path.parent)
        try:
            raw = self.place().read(REGISTRY_FILE)
        except OSError as error:
            return build([], [f"{REGISTRY_FILE} cannot be read: {error.strerror or error}"])
        return build([]) if raw is None else parse_registry(raw)

    def invalidate(self) -> None:
        """Look at the file again on the next read (this process just saved it)."""
        self._checked = 0.0

    def token(self) -> tuple[int, int] | None:
        """What identifies the registry now (the file's modification time and size), for caches of pages."""
        self.get()
        return self._signature

    def get(self) -> Registry:
        """The current registry."""
        now = time.monotonic()
        if now - self._checked < self.check and self._signature is not None:
            return self._registry
        with self._lock:
            signature = self._stamp()
            if signature != self._signature:
                self._registry = self._load()
                self._signature = signature
            self._checked = now
        return self._registry
