"""Sentence positions of a source's reading text: the ``s<N>`` anchors the source page, search hits, shared
passages and the reuse index all refer to, cut as the comparison engine cuts sentences."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from cachetools import LRUCache, cached

from parallax.corpus import Source
from parallax.model import DEFAULT_IGNORE
from parallax.text import Document, cut_sentences


@dataclass(frozen=True)
class SentenceSpan:
    """One sentence of a source's reading text: its position (the ``s<N>`` anchor) and its span."""

    pos: int
    start: int
    end: int
    boilerplate: bool


def reading_document(source: Source) -> Document:
    """The reading text every sentence position refers to (markup stripped, as the source page shows it)."""
    return source.document(frozenset({"markup"}))


def sentence_spans(document: Document) -> list[SentenceSpan]:
    """Sentences of a document with their whitespace trimmed, numbered as the comparison engine numbers them."""
    spans = []
    for pos, sentence in enumerate(cut_sentences(document, DEFAULT_IGNORE)):
        lead = len(sentence.text) - len(sentence.text.lstrip())
        trail = len(sentence.text.rstrip())
        if trail > lead:
            spans.append(SentenceSpan(pos, sentence.start + lead, sentence.start + trail, sentence.boilerplate))
    return spans


_SPANS: LRUCache[str, tuple[SentenceSpan, ...]] = LRUCache(maxsize=256)
_SPANS_LOCK = threading.Lock()


@cached(_SPANS, key=lambda source: source.content_key, lock=_SPANS_LOCK)
def source_spans(source: Source) -> tuple[SentenceSpan, ...]:
    """Sentence spans of a source's reading text, cached per content key (the source page asks on every view)."""
    return tuple(sentence_spans(reading_document(source)))


def paragraph_sentences(document: Document, spans: Sequence[SentenceSpan] | None = None
                        ) -> list[list[tuple[int, str]]]:
    """Per paragraph, its sentences as (position, text) pieces, clipped to the paragraph, for ``s<N>`` anchors."""
    spans = sentence_spans(document) if spans is None else spans
    out: list[list[tuple[int, str]]] = []
    for passage in document.passages:
        pieces = []
        inside = [s for s in spans if s.end > passage.start and s.start < passage.end]
        for n, span in enumerate(inside):
            start = passage.start if n == 0 else max(span.start, passage.start)
            end = passage.end if n == len(inside) - 1 else inside[n + 1].start
            pieces.append((span.pos, document.text[start:end]))
        out.append(pieces or [(-1, document.text[passage.start:passage.end])])
    return out
