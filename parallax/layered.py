"""A read-only mapping that shares its entries with the version it was made from: a change to a few keys of a
mapping of a million costs a copy of the few, not of the million (the corpus after one added article)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Changed keys a layered mapping carries before it folds them into a new base (one copy of the whole, amortised
#: over this many changes).
FOLD_AFTER = 4096

_MISSING: Any = object()


class Layered(Mapping[K, V]):
    """A base mapping, never changed once made, plus the entries set and the keys removed since; iteration gives
    the base's keys in their order (less the removed and reset ones), then the keys set since, in the order set."""

    __slots__ = ("_base", "_gone", "_len", "_over")

    def __init__(self, base: Mapping[K, V], over: dict[K, V] | None = None, gone: frozenset[K] = frozenset()
                 ) -> None:
        self._base, self._over, self._gone = base, over or {}, gone
        self._len = len(base) - sum(1 for k in gone if k in base) + sum(
            1 for k in self._over if k not in base or k in gone)

    def updated(self, put: Iterable[tuple[K, V]] = (), drop: Iterable[K] = ()) -> Layered[K, V]:
        """This mapping with these entries set and these keys removed (this one is left as it is)."""
        over, gone = dict(self._over), set(self._gone)
        for key in drop:
            over.pop(key, None)
            if key in self._base:
                gone.add(key)
        for key, value in put:
            over[key] = value
            gone.discard(key)
        if len(over) + len(gone) > FOLD_AFTER:
            folded = Layered(self._base, over, frozenset(gone))
            return Layered(dict(folded.items()))
        return Layered(self._base, over, frozenset(gone))

    def __getitem__(self, key: K) -> V:
        if key in self._over:
            return self._over[key]
        if key in self._gone:
            raise KeyError(key)
        return self._base[key]

    def get(self, key: K, default: Any = None) -> Any:
        value = self._over.get(key, _MISSING)
        if value is not _MISSING:
            return value
        return default if key in self._gone else self._base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._over or (key not in self._gone and key in self._base)

    def __iter__(self) -> Iterator[K]:
        over, gone = self._over, self._gone
        if over or gone:
            yield from (key for key in self._base if key not in over and key not in gone)
        else:
            yield from self._base
        yield from over

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"Layered({dict(self.items())!r})"


def changed_keys(before: Mapping[K, Any], after: Mapping[K, Any]) -> set[K] | None:
    """The keys whose entries may differ between two mappings when one was made from the other through ``updated``
    (they share a base: a plain dict counts as its own base); None when that cannot be told without reading both
    whole."""
    base_before, over_before, gone_before = _parts(before)
    base_after, over_after, gone_after = _parts(after)
    if base_before is not base_after:
        return None
    keys = {*gone_before, *gone_after}
    keys.update(k for k, v in over_before.items() if over_after.get(k, _MISSING) is not v)
    keys.update(k for k, v in over_after.items() if over_before.get(k, _MISSING) is not v)
    return keys


def _parts(mapping: Mapping[K, Any]) -> tuple[Mapping[K, Any], Mapping[K, Any], frozenset[K]]:
    """A mapping's base, entries set and keys removed."""
    if isinstance(mapping, Layered):
        return mapping._base, mapping._over, mapping._gone
    return mapping, {}, frozenset()
