"""The corpus's shared mappings: after any sequence of changes a layered mapping holds exactly what a plain dict
given the same changes holds, and never changes the mapping it was made from."""

from __future__ import annotations

import random

import pytest

from parallax import layered
from parallax.layered import Layered, changed_keys


def test_layered_changes_match_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not security
    monkeypatch.setattr(layered, "FOLD_AFTER", 5)  # fold often, so folding is exercised too
    plain = {f"k{n}": n for n in range(40)}
    base = dict(plain)
    shared = Layered(base)
    versions = [(shared, dict(plain))]
    for _ in range(300):
        put = [(f"k{rng.randrange(60)}", rng.randrange(1000)) for _ in range(rng.randrange(3))]
        drop = [f"k{rng.randrange(60)}" for _ in range(rng.randrange(3))]
        shared = shared.updated(put, drop)
        for key in drop:
            plain.pop(key, None)
        plain.update(put)
        versions.append((shared, dict(plain)))
    for made, expected in versions:  # every version still holds what it held when it was made
        assert dict(made) == expected and len(made) == len(expected) == len(list(made))
        assert all(made.get(k) == expected.get(k) and (k in made) == (k in expected)
                   for k in (f"k{n}" for n in range(60)))
    assert base == {f"k{n}": n for n in range(40)}  # the first base was never changed


def test_a_dropped_key_is_a_key_error_and_set_again_is_back() -> None:
    first = Layered({"a": 1, "b": 2})
    second = first.updated(drop=["a"])
    assert "a" not in second and second.get("a") is None and list(second) == ["b"]
    try:
        second["a"]
    except KeyError:
        pass
    else:
        raise AssertionError("a dropped key was found")
    third = second.updated([("a", 3)])
    assert third["a"] == 3 and first["a"] == 1 and len(third) == 2


def test_changed_keys_name_what_differs_and_give_up_across_a_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"a": 1, "b": 2, "c": 3}
    first = Layered(base).updated([("d", 4)])
    second = first.updated([("a", 10)], ["b"])
    assert changed_keys(base, first) == {"d"}
    assert changed_keys(first, second) == {"a", "b"}  # "d" is the same entry in both
    monkeypatch.setattr(layered, "FOLD_AFTER", 1)
    folded = second.updated([("e", 5)])
    assert changed_keys(second, folded) is None and dict(folded) == {"a": 10, "c": 3, "d": 4, "e": 5}
