"""English word frequencies on wordfreq's Zipf scale, from a table unpacked once per user.

``wordfreq.zipf_frequency(word, "en")`` costs a comparing process a third of a second before its first answer: the
package compiles its tokenizer's large regular expressions and language tables on import, then inflates and
decodes its 321,000-word English list into a dict. It also spends some 20 µs a word tokenizing, every time a word is
first seen. Most words a comparison looks up are plain lowercase ASCII letters, which wordfreq's English tokenizer
keeps whole (no normalisation, case folding or word break changes them), so their Zipf value is the value of their
entry in the list, and the same for every word of one frequency band.

The first process writes those words and their values to ``$XDG_CACHE_HOME/parallax/`` (``~/.cache``) as two plain
``.npy`` arrays, sorted, that later processes map read-only and search in microseconds. The folder follows the
encoder's rules (``use_cache``): this user's own, named after the package's version and list file, written under a
temporary name, checked against wordfreq on a sample of words, then renamed into place. Any other word (accents,
other scripts) is asked of wordfreq itself, and so is every word when the folder cannot be written or read.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from parallax.engine import use_cache

LOG = logging.getLogger(__name__)
#: Words looked up in the table: lowercase ASCII letters only (wordfreq's English tokenizer keeps them whole).
PLAIN_RE = re.compile(r"[a-z]+")
#: Every this many words of the table are checked against wordfreq when it is written.
CHECK_EVERY = 97
#: A word no list holds, asked of wordfreq for the value of a missing word.
MISSING_PROBE = "qxzqvjw"

Lookup = Callable[[str], float]
_LOCK = threading.Lock()
_LOADED: list[Lookup] = []


def _wordfreq() -> Lookup:
    """wordfreq's own English lookup (imported on first use)."""
    from wordfreq import zipf_frequency

    def lookup(word: str) -> float:
        return float(zipf_frequency(word, "en"))

    return lookup


def _list_file() -> Path | None:
    """wordfreq's English word list, without importing the package."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(next(iter(spec.submodule_search_locations))) / "data" / "large_en.msgpack.gz"
    return found if found.is_file() else None


def _folder(listed: Path) -> Path:
    """Where this version of the list is kept unpacked: named after the list file and the package's code as
    installed (an upgrade rewrites them) and numpy's version (package metadata costs a start 10 ms to read)."""
    parts = [np.__version__]
    for path in (listed, listed.parent.parent / "__init__.py"):
        info = path.stat()
        parts += [path.name, str(info.st_size), str(info.st_mtime_ns)]
    return use_cache.cache_root() / f"wordfreq-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:20]}"


def _table(folder: Path, fallback: Lookup) -> Lookup:
    """A lookup reading the unpacked table (plain words) and asking ``fallback`` for any other word."""
    # Plain arrays over the mapped files: a memmap's own indexing costs a lookup more than the search.
    words = np.asarray(np.load(folder / "words.npy", mmap_mode="r"))
    values = np.asarray(np.load(folder / "zipf.npy", mmap_mode="r"))
    if words.ndim != 1 or words.dtype.kind != "S" or values.shape != (len(words) + 1,):
        raise ValueError(f"{folder} does not hold a word table")
    width = words.dtype.itemsize
    search = words.searchsorted
    missing = float(values[-1])
    size = len(words)

    def lookup(word: str) -> float:
        if not (word.isascii() and word.isalpha() and word.islower()):  # PLAIN_RE, in three C calls
            return fallback(word)
        if len(word) > width:
            return missing
        key = word.encode("ascii")
        at = int(search(key))
        return float(values[at]) if at < size and words[at] == key else missing

    return lookup


def _save(folder: Path) -> None:
    """Write the plain words of wordfreq's English list with their Zipf values: checked, then renamed into place."""
    from wordfreq import get_frequency_dict, zipf_frequency

    root = folder.parent
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not use_cache.is_private(root):
        raise ValueError(f"{root} is not a private folder of this user")
    frequencies = get_frequency_dict("en")
    words = sorted(word for word in frequencies if PLAIN_RE.fullmatch(word))
    band: dict[float, float] = {}  # one Zipf value per frequency band, as wordfreq rounds it
    for word in words:
        if frequencies[word] not in band:
            band[frequencies[word]] = float(zipf_frequency(word, "en"))
    values = np.array([*(band[frequencies[word]] for word in words), zipf_frequency(MISSING_PROBE, "en")],
                      dtype=np.float64)
    work = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=root))
    try:
        np.save(work / "words.npy", np.array([word.encode("ascii") for word in words]), allow_pickle=False)
        np.save(work / "zipf.npy", values, allow_pickle=False)
        table = _table(work, _wordfreq())
        for word in [*words[::CHECK_EVERY], MISSING_PROBE, "the", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"]:
            if table(word) != zipf_frequency(word, "en"):
                raise ValueError(f"the unpacked word table gives {word!r} another frequency than wordfreq")
        os.rename(work, folder)  # another process may have unpacked it first: then its folder stays
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_lookup() -> Lookup:
    """The fastest lookup this process can have: the user's unpacked table, else wordfreq alone."""
    listed = _list_file()
    if listed is None:
        return _wordfreq()
    try:
        folder = _folder(listed)
    except (OSError, RuntimeError):  # no home folder
        return _wordfreq()
    fallback: list[Lookup] = []

    def lazily(word: str) -> float:  # words the table does not answer import wordfreq only when one comes
        if not fallback:
            fallback.append(_wordfreq())
        return fallback[0](word)

    if not (use_cache.is_private(folder.parent) and use_cache.is_private(folder)):
        try:
            _save(folder)
        except (OSError, ValueError, TypeError) as error:  # another process's folder may be in place by now
            LOG.info("word table not unpacked into %s (%s)", folder, error)
    if use_cache.is_private(folder.parent) and use_cache.is_private(folder):
        try:
            return _table(folder, lazily)
        except (OSError, ValueError, EOFError) as error:
            LOG.warning("word table not read from %s (%s): removed, to be unpacked again", folder, error)
            shutil.rmtree(folder, ignore_errors=True)
    return _wordfreq()


def zipf_lookup() -> Lookup:
    """``word -> wordfreq.zipf_frequency(word, "en")`` for this process (loaded once, thread-safe)."""
    if not _LOADED:
        with _LOCK:
            if not _LOADED:
                _LOADED.append(load_lookup())
    return _LOADED[0]
