"""wordllama read from its wheel without importing the package embeds every text exactly as the package does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from parallax.engine import encoders

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """Real news sentences (more than one batch), and texts at the edges: one word, digits, other scripts."""
    found: list[str] = []
    for path in sorted((ROOT / "bench" / "data" / "real" / "cross").glob("*/left.txt"))[:6]:
        found += [s for s in re.split(r"(?<=[.!?])\s+", path.read_text(encoding="utf-8")) if s.strip()]
    return [*found[:150], "Yes.", "36", "Путин встретился с Ким Чен Ыном.", "金正恩乘坐装甲列车抵达。",
            "A very long sentence " * 80]


def test_wordllama_vectors_are_the_packages_to_the_bit(sentences: list[str], tmp_path: Path) -> None:
    """Each vector equals, bit for bit, what wordllama's own loader and ``embed(norm=True)`` give."""
    import wordllama
    from wordllama import WordLlama

    shipped = Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json"
    (tmp_path / "tokenizers").mkdir()
    os.symlink(shipped, tmp_path / "tokenizers" / shipped.name)
    package = WordLlama.load(cache_dir=tmp_path, disable_download=True)
    expected = np.asarray(package.embed(sentences, norm=True), dtype=np.float32)
    ours = encoders.LOADERS["wordllama"]()
    assert len(sentences) > encoders.WORDLLAMA_BATCH
    assert np.array_equal(ours(sentences), expected)
    assert np.array_equal(ours(sentences[:3]), expected[:3])  # batches padded to another length: same vectors
