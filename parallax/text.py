"""Text pipeline: markdown or plain text to reading passages, sentences and normalised keys."""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import nh3
import sentencex

from parallax.cosmetic import is_stamp_line
from parallax.model import IGNORABLE

if TYPE_CHECKING:  # markdown_it loads with the first markdown text
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'", "`": "'"})
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                         "\u2015": "-", "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-"})
_QUOTES_AND_DASHES = {**_QUOTES, **_DASHES}
_SPACE_RE = re.compile(r"\s+")
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v]*\n")
_LINE_RE = re.compile(r"\n")
_INNER_HYPHEN_RE = re.compile(r"(?<=\w)-(?=\w)")
_HEADING_RE = re.compile(r"<(/?)h([1-6])>")
#: Two or more hyphens typed for a dash ("--", "---"): a dash, not hyphens, when dashes are ignored.
_TYPED_DASH_RE = re.compile(r"-{2,}")
#: Compatibility decompositions that change only how a character looks (full-width, small, font variants,
#: no-break forms, ligatures), folded for matching; others (superscripts, fractions, circled numbers) keep meaning.
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_PRESENTATION_TAGS = ("<wide>", "<narrow>", "<font>", "<noBreak>", "<small>")
#: A sentence split that cut a wire token in two: ".SPX", "GS.N", "CBS.MarketWatch.com", "SoBig.F" (a full stop
#: with no space after it and a letter or digit right behind).
_INSIDE_TOKEN_RE = re.compile(r"\.\Z")
#: Clock times and their zone ("6 p.m. GMT"): the abbreviation's full stop does not end the sentence.
_CLOCK_END_RE = re.compile(r"\b[ap]\.m\.\s+$", re.IGNORECASE)
_ZONE_START_RE = re.compile(r"(?:GMT|UTC|BST|CET|CEST|[ECMP][SD]?T|JST|KST|MSK|IST|AEST|AEDT|HKT|SGT)\b")
#: Combining marks: a decomposed accent ("e" + U+0301) belongs to the word it sits on, so NFD text counts as NFC.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
#: What counts as one word everywhere (word counts, word sets, word bags): word characters joined by inner
#: apostrophes or hyphens, so "Jong-un" and "Un’s" are one word each.
WORD_RE = re.compile(rf"\w[\w{_MARKS}]*(?:['\u2019-]\w[\w{_MARKS}]*)*")



@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The markdown parser, made on first use (plain text never needs it, and its import is a tenth of a start)."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False})
    parser.add_render_rule("image", _image_as_text)
    return parser


def _image_as_text(self: object, tokens: Sequence[Token], idx: int, options: object, env: object) -> str:
    """Render an image as its alt text: remote images would be blocked by the page's CSP and leak readers."""
    from markdown_it.common.utils import escapeHtml

    alt = _inline_words(tokens[idx].children or []) or "image"
    return f"<span>[image: {escapeHtml(alt)}]</span>"

_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "blockquote"}
_ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "em", "strong",
                 "a", "code", "pre", "br", "hr", "span", "table", "thead", "tbody", "tr", "th", "td"}


@dataclass(frozen=True)
class Passage:
    """One paragraph of a document: its span in ``Document.text`` and whether it is boilerplate."""

    start: int
    end: int
    boilerplate: bool = False


@dataclass(frozen=True)
class Document:
    """The exact text a comparison reads, cut into passages (paragraphs)."""

    text: str
    passages: tuple[Passage, ...]
    #: The language the text is in (a tag such as "ru"): sentences are cut by that language's rules.
    language: str = "en"


def check_ignore(ignore: Iterable[str]) -> frozenset[str]:
    """Validate a set of ignore options, raising ValueError naming any unknown one."""
    chosen = frozenset(ignore)
    unknown = sorted(chosen - set(IGNORABLE))
    if unknown:
        raise ValueError(f"unknown ignore option(s) {', '.join(unknown)}; allowed: {', '.join(IGNORABLE)}")
    return chosen


@lru_cache(maxsize=4096)
def _presentation_form(char: str) -> str:
    """A character's plain form when it differs only in presentation (full-width, ligature...), else itself."""
    decomposition = unicodedata.decomposition(char)
    if decomposition.startswith(_PRESENTATION_TAGS) or (decomposition.startswith("<compat>") and
                                                        "LIGATURE" in unicodedata.name(char, "")):
        return unicodedata.normalize("NFKC", char)
    return char


def normalize(text: str) -> str:
    """Canonical form for matching: NFC (so "e" + U+0301 is "é"), presentation-only variants folded (NFKC)."""
    if text.isascii():
        return text
    return _NON_ASCII_RE.sub(_presentation_match, unicodedata.normalize("NFC", text))


def _presentation_match(match: re.Match[str]) -> str:
    """``_presentation_form`` of a regex match (one non-ASCII character)."""
    return _presentation_form(match.group())


def fold(text: str, ignore: frozenset[str]) -> str:
    """Normalise text for matching under the given ignore options (never for display)."""
    text = normalize(text)
    if "quotes" in ignore and "dashes" in ignore:
        text = text.translate(_QUOTES_AND_DASHES)  # one pass for the default options
    elif "quotes" in ignore:
        text = text.translate(_QUOTES)
    elif "dashes" in ignore:
        text = text.translate(_DASHES)
    if "dashes" in ignore and "-" in text:
        text = _INNER_HYPHEN_RE.sub("", _TYPED_DASH_RE.sub("-", text))
    if "case" in ignore:
        text = text.casefold()
    if "punctuation" in ignore:
        text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    if "whitespace" in ignore or "punctuation" in ignore:
        text = " ".join(text.split())  # as _SPACE_RE.sub(" ", text).strip(), without a regex
    return text


def fold_char(char: str, ignore: frozenset[str]) -> str:
    """Normalise one character to exactly one character, so character diffs keep their positions."""
    if "quotes" in ignore:
        char = char.translate(_QUOTES)
    if "dashes" in ignore:
        char = char.translate(_DASHES)
    if "case" in ignore:
        lowered = char.casefold()
        char = lowered if len(lowered) == 1 else char
    if "punctuation" in ignore and unicodedata.category(char).startswith("P"):
        char = " "
    if "whitespace" in ignore and char.isspace():
        char = " "
    return char


def split_plain(text: str, blocks: bool | None = None) -> list[tuple[int, int]]:
    """Paragraph spans: blank-line blocks (``blocks``), else lines; by default blocks when the text has any."""
    if blocks is None:
        blocks = bool(_BLANK_LINE_RE.search(text))
    separator = _BLANK_LINE_RE if blocks else _LINE_RE
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*separator.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((start + lead, start + len(chunk.rstrip())))
        if match:
            start = match.end()
    return spans


#: Most characters sentencex reads at once. It takes superlinear time on long stretches of punctuation and quote
#: marks (random punctuation: 50k characters 0.2 s, 100k 1.8 s, 200k 38 s in one piece), so a passage is read
#: through a window of this size: the window's sentences but the last are kept and the next window starts at
#: that last one. News sentences are far shorter (the longest in the real-news benchmark: 504 characters).
SPLIT_WINDOW = 2_000
#: A sentence is at most SPLIT_WINDOW characters: a longer run without a sentence end is cut after its last space
#: in the window's second half (or at the window's end if it has none there).
_CUT_FROM = SPLIT_WINDOW // 2
#: The plain rule for text that sentencex does not read: a sentence ends after . ! ? … (closing quotes and
#: brackets included) and the spaces that follow.
_PLAIN_END_RE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+")
#: Punctuation, quote marks and brackets: where more than half of a window's visible characters are these,
#: the plain rule cuts it (sentencex is slowest on them and reads no sentences into them).
_MARKS_SLOW_TO_SPLIT = tuple(".!?\u2026;:,-\"'()[]{}\u201c\u201d\u2018\u2019\u00ab\u00bb")
_UP_TO_LAST_SPACE_RE = re.compile(r".*\s", re.DOTALL)


def split_sentences(text: str, language: str = "en", deadline: float | None = None) -> list[str]:
    """Cut text into sentences that, joined, give back the text exactly (whitespace stays attached).

    Linear in the text's length: sentencex reads at most ``SPLIT_WINDOW`` characters at a time, and no sentence is
    longer than that. A window that is mostly punctuation (more than half of its visible characters punctuation,
    quote marks or brackets), and every window read after ``deadline`` (a ``time.monotonic()`` value), are cut
    by the plain rule instead.
    """
    pieces: list[str] = []
    start, length = 0, len(text)
    joinable = False  # a cut forced by the length cap is never undone
    while start < length:
        window = text[start:start + SPLIT_WINDOW]
        last = start + len(window) >= length
        found = _segment(window, language, deadline)
        forced = False
        if not last:
            if len(found) > 1:
                found = found[:-1]  # the window's last sentence may go on past it: read it again in the next one
            else:
                found, forced = [window[:_forced_cut(text, start, len(window))]], True
        for piece in found:
            if joinable and pieces and len(pieces[-1]) + len(piece) <= SPLIT_WINDOW and (
                    not piece.strip() or not pieces[-1].strip() or _cuts_token(pieces[-1], piece)):
                pieces[-1] += piece
            else:
                pieces.append(piece)
            joinable = True
            start += len(piece)
        joinable = not forced
    return pieces


def _segment(window: str, language: str, deadline: float | None) -> list[str]:
    """Sentences of one window: sentencex's, or the plain rule's past the deadline or on mostly punctuation."""
    marks = sum(map(window.count, _MARKS_SLOW_TO_SPLIT))
    if (deadline is not None and time.monotonic() > deadline) or \
            2 * marks > len(window) - window.count(" ") - window.count("\n"):
        ends = [m.end() for m in _PLAIN_END_RE.finditer(window)]
        return [window[a:b] for a, b in zip([0, *ends], [*ends, len(window)], strict=True) if b > a]
    return [piece for piece in sentencex.segment(language or "en", window) if piece]


def _forced_cut(text: str, start: int, size: int) -> int:
    """Length of the piece cut from a window (``size`` characters of text from ``start``) holding no sentence end:
    up to its last space in the second half, else the whole window less any combining marks that follow it (an
    accent stays with its letter)."""
    spaced = _UP_TO_LAST_SPACE_RE.match(text, start + _CUT_FROM, start + size)
    if spaced:
        return spaced.end() - start
    cut = start + size
    while cut > start + _CUT_FROM and cut < len(text) and unicodedata.combining(text[cut]):
        cut -= 1
    return cut - start


def _cuts_token(before: str, after: str) -> bool:
    """Whether a sentence boundary falls inside a wire token ("GS.|N") or between a clock time and its zone."""
    if _INSIDE_TOKEN_RE.search(before) and after[:1].isalnum():
        return True
    return bool(_CLOCK_END_RE.search(before) and _ZONE_START_RE.match(after))


def _inline_words(children: Sequence[Token]) -> str:
    """The words of an inline token stream: link text, emphasis and image alt text without markup."""
    out: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(_inline_words(child.children or []))
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" " if child.type == "softbreak" else "\n")
    return "".join(out)


@lru_cache(maxsize=256)
def markdown_paragraphs(body: str) -> tuple[str, ...]:
    """Reading paragraphs of a markdown body: headings, paragraphs, list items and code reduced to words."""
    paragraphs: list[str] = []
    tokens = _markdown().parse(body)
    for index, token in enumerate(tokens):
        if token.type == "inline" and index and tokens[index - 1].tag in _BLOCK_TAGS:
            words = _inline_words(token.children or []).strip()
        elif token.type in ("fence", "code_block"):
            words = token.content.strip()
        else:
            continue
        if words:
            paragraphs.append(words)
    return tuple(paragraphs)


def render_markdown(body: str, heading_offset: int = 2) -> str:
    """The original markdown rendered to HTML (raw HTML escaped, headings demoted to fit the page), sanitised."""
    html = _HEADING_RE.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + heading_offset, 6)}>", _markdown().render(body))
    return nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


def is_boilerplate(paragraph: str, markers: Sequence[str]) -> bool:
    """Whether a paragraph starts with one of the boilerplate markers (compared without markup or spacing)."""
    if not any(markers):  # most documents have none: no need to normalise every paragraph
        return False
    plain = _SPACE_RE.sub(" ", paragraph.replace("*", "").replace("_", "")).strip()
    return any(plain.startswith(marker) for marker in markers if marker)


def build_document(body: str, markdown: bool, strip_markup: bool, boilerplate: Sequence[str] = (),
                   boilerplate_from: str = "", stamps: bool = False, language: str = "en") -> Document:
    """The document a comparison reads: reading text for markdown with markup ignored, else the body as stored;
    with ``stamps``, a passage that is only an update stamp or a byline with a time is set apart as boilerplate."""
    if markdown and strip_markup:
        paragraphs = markdown_paragraphs(body)
        text = "\n\n".join(paragraphs)
        spans, offset = [], 0
        for paragraph in paragraphs:
            spans.append((offset, offset + len(paragraph)))
            offset += len(paragraph) + 2
    else:
        text = body
        spans = split_plain(body, blocks=True if markdown else None)  # markdown paragraphs are blank-line blocks
    passages, tail = [], False
    for start, end in spans:
        chunk = text[start:end]
        tail = tail or bool(boilerplate_from and is_boilerplate(chunk, [boilerplate_from]))
        passages.append(Passage(start, end, tail or is_boilerplate(chunk, boilerplate)
                                or (stamps and "\n" not in chunk.strip() and is_stamp_line(chunk))))
    return Document(text, tuple(passages), language)



def plain_document(text: str, language: str = "en") -> Document:
    """A document made from a bare string, for comparing text that has no source file."""
    return build_document(text, markdown=False, strip_markup=False, language=language)


def word_count(text: str) -> int:
    """Number of words in a text (see ``WORD_RE``): the one count behind a source's words and the compare stats."""
    return len(WORD_RE.findall(text))


_WORD_FOLD: frozenset[str] = frozenset({"quotes", "dashes", "case"})


def words_of(text: str) -> list[str]:
    """Folded words of a text (quotes, dashes and case folded), as the story overview and the shared-passage index
    match them."""
    return WORD_RE.findall(fold(text, _WORD_FOLD))


# --- sentences ----------------------------------------------------------------------------------------------

#: Surface words: plain runs of word characters of a folded key, case-folded. The "changed" tier's Dice counts
#: these (edited wording = mostly the same words in the same spelling). Deliberately not text.WORD_RE (the word
#: of counts, which keeps "Un’s" and "Jong-un" whole): here "Un" in "Un’s" is the same word as "Un".
SURFACE_RE = re.compile(r"\w+")
#: Lone surrogates, which the sentence splitter and the tokenizers cannot encode.
SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document: its exact span (trailing whitespace included) and where it stands."""

    start: int
    end: int
    text: str
    key: str
    para_start: bool
    boilerplate: bool


@dataclass
class CutMemo:
    """Sentence splits by passage text and match keys by sentence text, shared by the two documents of one
    comparison: most passages of two versions are the same text, so each is split and folded once."""

    splits: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def cut_sentences(document: Document, ignore: frozenset[str], memo: CutMemo | None = None,
                  deadline: float | None = None) -> list[Sentence]:
    """Sentences of a document that partition its text exactly (separators go with the sentence before); text
    read after ``deadline`` (``time.monotonic()``) is cut by the plain rule of ``split_sentences``."""
    memo = CutMemo() if memo is None else memo
    keys, splits = memo.keys, memo.splits
    text = document.text
    # The sentence splitter cannot encode lone surrogates; only piece lengths are used, so stand-ins do.
    splittable = SURROGATE_RE.sub("\ufffd", text)
    starts: list[tuple[int, bool, bool]] = []
    for passage in sorted(document.passages, key=lambda p: p.start):
        offset = passage.start
        chunk = splittable[passage.start:passage.end]
        pieces = splits.get((document.language, chunk))
        if pieces is None:  # each language by its own rules ("20 тыс. километров" is one sentence in Russian)
            pieces = splits[(document.language, chunk)] = split_sentences(chunk, document.language, deadline)
        for index, piece in enumerate(pieces):
            if piece and (not starts or offset > starts[-1][0]):
                starts.append((offset, index == 0, passage.boilerplate))
            offset += len(piece)
    if text and not starts:
        starts.append((0, True, False))
    sentences: list[Sentence] = []
    for number, (start, para_start, boilerplate) in enumerate(starts):
        begin = 0 if number == 0 else start
        end = starts[number + 1][0] if number + 1 < len(starts) else len(text)
        piece = text[begin:end]
        key = keys.get(piece)
        if key is None:
            key = keys[piece] = match_key(piece, ignore)
        sentences.append(Sentence(begin, end, piece, key, para_start, boilerplate))
    return sentences


def match_key(text: str, ignore: frozenset[str]) -> str:
    """The key sentences are matched on: folded (and Unicode-normalised) text without surrounding whitespace."""
    return fold(text, ignore).strip()

def words(key: str) -> Counter[str]:
    """Surface word multiset of a key, case-folded: the changed tier looks at vocabulary, not spelling of case."""
    return Counter(SURFACE_RE.findall(key.casefold()))

