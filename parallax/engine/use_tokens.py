"""The multilingual encoder's tokenizer as its unpacked folder keeps it: the piece table read group by group, and
sentences segmented word by word, each word's pieces found once.

The package's pure-Python tokenizer walks a dict of its 128,000 pieces and every prefix of them (250,952 keys) to
find each position's candidate pieces; rebuilt from the folder, that dict alone took a comparing process some 60 ms
to load. Here the table is kept in groups by the keys' first three characters (41,000 groups, written one after the
other into ``pieces.bin``), and a group is read the first time a text needs a key of it: a news article needs a few
thousand. The pieces' own strings (for decoding, which comparing never does) load on first use.

The lattice search is the package's ``_viterbi`` step for step, with one more economy: no piece has a word boundary
(U+2581) inside it, so every segmentation passes through each boundary, and a sentence's best segmentation is its
words' best segmentations one after the other. Each word is searched once and remembered (``segments``). Scores are
float32 values whose sums are exact in a double well beyond any text's length, so adding them word by word or along
the whole sentence gives the same totals, the same comparisons and the same pieces (tests/test_use_cache.py checks
the ids against the package's own tokenizer).
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Keys are grouped by this many leading characters.
GROUP = 3
GROUPS_FILE = "pieces.bin"
PIECES_FILE = "pieces.marshal"
#: Splits a normalised text before each word boundary mark.
_WORDS_RE = re.compile("(?=\u2581)")


class PieceTable:
    """Piece id + 1 (0 for a prefix only) of every piece and prefix, read a group at a time from the folder."""

    def __init__(self, data: bytes, index: dict[str, tuple[int, int]]) -> None:
        self._data = data
        self._index = index
        self._groups: dict[str, dict[str, int]] = {}

    def group(self, lead: str) -> dict[str, int]:
        """The keys starting with ``lead`` (``GROUP`` characters, or a whole shorter key)."""
        found = self._groups.get(lead)
        if found is None:  # two threads may both read one group: the same dict, either kept
            where = self._index.get(lead)
            found = {} if where is None else marshal.loads(self._data[where[0]:where[0] + where[1]])  # noqa: S302  # nosec B302 - the private folder use_cache checked
            self._groups[lead] = found
        return found

    def get(self, key: str, default: int | None = None) -> int | None:
        """What the package's prefix dict holds for ``key``."""
        return self.group(key[:GROUP]).get(key, default)


class LazyPieces(Sequence[str]):
    """The pieces' strings, read from the folder on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pieces: list[str] | None = None

    def _loaded(self) -> list[str]:
        if self._pieces is None:
            self._pieces = marshal.loads(self._path.read_bytes())  # noqa: S302  # nosec B302 - the private folder use_cache checked
        return self._pieces

    def __len__(self) -> int:
        return len(self._loaded())

    def __getitem__(self, index: Any) -> Any:
        return self._loaded()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())


def write(tokenizer: Any, folder: Path) -> tuple[dict[str, tuple[int, int]], int]:
    """Write a built tokenizer's piece table in groups and its pieces into ``folder``; the group index and the
    table's size in bytes."""
    groups: dict[str, dict[str, int]] = {}
    for key, value in tokenizer._prefixes.items():
        groups.setdefault(key[:GROUP], {})[key] = value
    index: dict[str, tuple[int, int]] = {}
    offset = 0
    with open(folder / GROUPS_FILE, "wb") as out:
        for lead, keys in groups.items():
            blob = marshal.dumps(keys)
            out.write(blob)
            index[lead] = (offset, len(blob))
            offset += len(blob)
    (folder / PIECES_FILE).write_bytes(marshal.dumps(list(tokenizer._pieces)))
    return index, offset


#: Memos made per installed tokenizer (one word's pieces), listed so that ``caches.clear_caches`` finds them.
MEMOS: list[Any] = []


def install(tokenizer: Any, folder: Path, index: dict[str, tuple[int, int]], size: int) -> None:
    """Give a tokenizer restored without its tables the grouped table (``size`` bytes), the lazy pieces and the
    word-by-word search."""
    data = (folder / GROUPS_FILE).read_bytes()
    if len(data) != size or not (folder / PIECES_FILE).is_file():
        raise ValueError(f"{folder}: the tokenizer's piece table is not whole")
    table = PieceTable(data, index)
    tokenizer._prefixes = table
    tokenizer._pieces = LazyPieces(folder / PIECES_FILE)
    scores, max_len, unk_score, unk_id = tokenizer._scores, tokenizer._max_len, tokenizer._unk_score, tokenizer._unk_id

    @lru_cache(maxsize=65536)
    def segment(word: str) -> tuple[int, ...]:
        """The best pieces of one word (its boundary mark first), as the package's ``_viterbi`` finds them."""
        size = len(word)
        best = [0.0] + [-1e38] * size
        start_of = [0] * (size + 1)
        piece_of = [0] * (size + 1)
        group = table.group
        for i in range(size):
            base = best[i]
            stop = min(i + max_len, size)
            has_single = False
            keys: dict[str, int] = {}
            for j in range(i + 1, stop + 1):
                if j - i <= GROUP:
                    keys = group(word[i:j])
                v = keys.get(word[i:j])
                if v is None:
                    break
                if v:
                    score = base + scores[v - 1]
                    if score > best[j]:
                        best[j] = score
                        start_of[j] = i
                        piece_of[j] = v - 1
                    if j == i + 1:
                        has_single = True
            if not has_single:
                score = base + unk_score
                if score > best[i + 1]:
                    best[i + 1] = score
                    start_of[i + 1] = i
                    piece_of[i + 1] = unk_id
        ids = []
        p = size
        while p > 0:
            ids.append(piece_of[p])
            p = start_of[p]
        ids.reverse()
        return tuple(ids)

    MEMOS.append(segment)

    def viterbi(normalized: str) -> list[int]:
        """The pieces of a normalised text, word by word."""
        ids = [piece for word in _WORDS_RE.split(normalized) if word for piece in segment(word)]
        return ids or [unk_id]

    tokenizer._viterbi = viterbi
