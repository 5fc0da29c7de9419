"""Editing the outlet registry (``corpus/outlets.yaml``): add an outlet or change one, under the corpus's write lock
(the folder's, or the PostgreSQL store's that every app server shares, through ``storage.Place``).

The file is read as it stands under the lock, the entry replaced (or appended), the result checked by the
registry's own reader (an entry that would not load, or a name or alias another outlet already goes by, is
refused naming the field) and written in one step; the comment lines heading the file are kept.
"""

from __future__ import annotations

from typing import Any

import yaml

from parallax.corpus import CorpusError, load_yaml
from parallax.errors import ParallaxError
from parallax.sources import outlets
from parallax.sources.storage import place_of, storage_cause, storage_message

#: Form fields: the outlet's facts, its aliases (comma separated) and each fact's source (``<fact>_source``).
FIELDS = ("name", "aliases", *outlets.FACTS, *(f"{fact}_source" for fact in outlets.FACTS))


class OutletError(ParallaxError, ValueError):
    """A change to the registry that cannot be made: ``field`` names the form field at fault, ``cause`` why a write
    failed ('bad_input', 'missing', 'disk_full', 'read_only', 'storage')."""

    def __init__(self, message: str, field: str = "", cause: str = "bad_input") -> None:
        super().__init__(message, cause, field)


def form_values(outlet: outlets.Outlet | None) -> dict[str, str]:
    """An outlet as the edit form's values (empty for a new one)."""
    if outlet is None:
        return dict.fromkeys(FIELDS, "") | {"kind": "unknown"}
    sources = dict(outlet.sources)
    return {"name": outlet.name, "aliases": ", ".join(outlet.aliases), "country": outlet.country,
            "language": outlet.language, "owner": outlet.owner, "kind": outlet.kind,
            **{f"{fact}_source": sources.get(fact, "") for fact in outlets.FACTS}}


def entry_of(values: dict[str, str]) -> dict[str, Any]:
    """The registry entry the form's values describe (empty facts left out)."""
    clean = {k: " ".join(str(values.get(k, "")).split()) for k in FIELDS}
    entry: dict[str, Any] = {"name": clean["name"]}
    aliases = [a.strip() for a in clean["aliases"].split(",") if a.strip()]
    if aliases:
        entry["aliases"] = aliases
    entry.update({fact: clean[fact] for fact in outlets.FACTS if clean[fact]})
    sources = {fact: clean[f"{fact}_source"] for fact in outlets.FACTS if clean[f"{fact}_source"]}
    if sources:
        entry["sources"] = sources
    return entry


def _read(raw: bytes | None) -> tuple[list[str], list[Any]]:
    """The file's heading comment lines and its entries (none for a file not made yet)."""
    if raw is None:
        return [], []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise OutletError(f"{outlets.REGISTRY_FILE} is not valid UTF-8, so it is not rewritten") from None
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    try:
        data = load_yaml(text, outlets.REGISTRY_FILE)
    except CorpusError as error:
        raise OutletError(f"{outlets.REGISTRY_FILE} cannot be read, so it is not rewritten: {error}") from None
    entries = data.get("outlets") if isinstance(data, dict) else None
    return header, list(entries) if isinstance(entries, list) else []


def _check(entry: dict[str, Any], others: list[Any]) -> outlets.Outlet:
    """The entry as an Outlet; OutletError naming the field when it would not load or a name is taken."""
    try:
        outlet = outlets.parse_outlet(entry, "the outlet")
    except CorpusError as error:
        message = str(error).removeprefix("the outlet: ")
        field = next((f for f in ("kind", "aliases", "sources", "name") if f"'{f}'" in message or f in message),
                     "")
        raise OutletError(message, "aliases" if field == "sources" else field) from None
    mine = {outlets.fold(n) for n in (outlet.name, *outlet.aliases)}
    for other in others:
        try:
            known = outlets.parse_outlet(other, "entry")
        except CorpusError:
            continue
        taken = mine & {outlets.fold(n) for n in (known.name, *known.aliases)}
        if taken:
            raise OutletError(f"{sorted(taken)[0]!r} is already a name of {known.name}", "name"
                              if outlets.fold(outlet.name) in taken else "aliases")
    return outlet


def save_outlet(where: Any, original: str, values: dict[str, str]) -> outlets.Outlet:
    """Write the outlet the values describe into the registry of ``where`` (a corpus folder, or a place to write
    such as the PostgreSQL store app servers share: ``storage.place_of``): replacing the one named ``original`` (its
    name or an alias), or added when ``original`` is empty. OutletError when it cannot be."""
    target = place_of(where)
    entry = entry_of(values)
    try:
        with target.lock():
            header, entries = _read(target.read(outlets.REGISTRY_FILE))
            place = None
            if original:
                place = next((i for i, e in enumerate(entries) if isinstance(e, dict)
                              and outlets.fold(original) in {outlets.fold(str(n)) for n in
                                                             [e.get("name", ""), *(e.get("aliases") or [])]}), None)
                if place is None:
                    raise OutletError(f"no outlet named {original!r} in the registry (removed meanwhile?)", "name",
                                      "missing")
            outlet = _check(entry, [e for i, e in enumerate(entries) if i != place])
            if place is None:
                entries.append(entry)
            else:
                entries[place] = entry
            body = yaml.safe_dump({"outlets": entries}, sort_keys=False, allow_unicode=True, width=10_000)
            data = ("\n".join(header) + "\n" if header else "") + body
            if len(data.encode("utf-8")) > outlets.MAX_BYTES:
                raise OutletError(f"the registry would grow past {outlets.MAX_BYTES // 1024} KB")
            target.replace(outlets.REGISTRY_FILE, data.encode("utf-8"))
    except OSError as error:
        raise OutletError(storage_message(error, "saving the outlet registry"), "", storage_cause(error)) from None
    return outlet
