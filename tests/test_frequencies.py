"""English word frequencies read from the table unpacked once per user: every word gets exactly wordfreq's value
(plain words from the table, others from wordfreq), and a folder that cannot be used is never trusted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from wordfreq import top_n_list, zipf_frequency

from parallax.engine import frequencies


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "parallax"


def words() -> list[str]:
    """Common and rare words, made-up ones, one letter, accents, other scripts, capitals and the too long."""
    rng = random.Random(7)  # noqa: S311  # a repeatable draw, not a secret
    made_up = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 14)))
               for _ in range(2000)]
    return [*top_n_list("en", 20_000)[::7], *made_up, "a", "x", "pyongyang", "vostochny", "café", "erdoğan",
            "путин", "金正恩", "Kim", "can't", "covid19", "", "z" * 60]


def tables(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith("wordfreq-")] if root.exists() else []


def test_first_load_unpacks_a_table_that_gives_wordfreqs_values(cache_home: Path) -> None:
    """The first load writes a private table; it and a later load give wordfreq's Zipf value for every word."""
    first = frequencies.load_lookup()
    [folder] = tables(cache_home)
    assert (folder.stat().st_mode & 0o077) == 0
    again = frequencies.load_lookup()
    expected = [zipf_frequency(word, "en") for word in words()]
    assert [first(word) for word in words()] == expected
    assert [again(word) for word in words()] == expected
    assert tables(cache_home) == [folder]


def test_a_damaged_table_is_unpacked_again(cache_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A table cut short is reported, removed and written anew by the next load; no word gets a wrong value."""
    frequencies.load_lookup()
    [folder] = tables(cache_home)
    (folder / "zipf.npy").write_bytes((folder / "zipf.npy").read_bytes()[:200])
    damaged = frequencies.load_lookup()
    assert "word table not read" in caplog.text
    assert [damaged(word) for word in words()[:500]] == [zipf_frequency(word, "en") for word in words()[:500]]
    rebuilt = frequencies.load_lookup()
    assert tables(cache_home) == [folder] and rebuilt("the") == zipf_frequency("the", "en")


def test_a_folder_others_may_write_to_is_not_used(cache_home: Path) -> None:
    """A cache folder writable by others is neither written nor read: wordfreq answers every word itself."""
    cache_home.mkdir(mode=0o777)
    cache_home.chmod(0o777)
    lookup = frequencies.load_lookup()
    assert tables(cache_home) == []
    assert [lookup(word) for word in words()[:500]] == [zipf_frequency(word, "en") for word in words()[:500]]
