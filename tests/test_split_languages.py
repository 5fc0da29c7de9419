"""Sentences are cut by the rules of the text's own language (Russian abbreviations, Korean and Persian ends)."""

from __future__ import annotations

import json
from pathlib import Path

from parallax.corpus import parse_source
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, plain_document

DATA = Path(__file__).parent.parent / "bench" / "data" / "real" / "xlang"


def sentences(text: str, language: str) -> list[str]:
    return [s.text.strip() for s in cut_sentences(plain_document(text, language), DEFAULT_IGNORE)]


def test_russian_abbreviations_do_not_end_a_sentence() -> None:
    """Izvestiya: "20 тыс. километров" (20 thousand kilometres) is inside the sentence, not its end."""
    text = (DATA / "ru-en-izvestiya-97208" / "left.txt").read_text(encoding="utf-8")
    cut = sentences(text, "ru")
    assert "Новая Каледония находится почти в 20 тыс. километров от материковой Франции." in cut
    assert "Новая Каледония находится почти в 20 тыс." in sentences(text, "en")  # the English rules cut it


def test_real_russian_korean_and_chinese_articles_split_at_their_sentence_ends() -> None:
    """Each translators' segment of these articles is one sentence: cut in its own language, none is split."""
    for pair in ("ru-en-izvestiya-97208", "ko-en-typhoon-fung-wong", "zh-en-hunan-daily-plenum"):
        meta = json.loads((DATA / pair / "pair.json").read_text(encoding="utf-8"))
        language = meta["left"]["language"]
        cut = sentences((DATA / pair / "left.txt").read_text(encoding="utf-8"), language)
        segments = [link["left"].strip() for link in meta["links"]]
        assert set(segments) <= set(cut), set(segments) - set(cut)


def test_persian_question_and_full_stop_end_sentences() -> None:
    text = "آیا این دیدار کامل خواهد بود؟ پسکوف گفت این یک دیدار کامل خواهد بود. رهبر کره شمالی وارد روسیه شد."
    assert len(sentences(text, "fa")) == 3


def test_a_source_cuts_by_its_own_language() -> None:
    body = (DATA / "ru-en-izvestiya-97208" / "left.txt").read_text(encoding="utf-8")
    source = parse_source(f"---\nid: izv\nstory: s\noutlet: Izvestiya\n---\n{body}".encode(), "s/izv.txt", 10**6)
    assert source.language == "ru"
    cut = [s.text.strip() for s in cut_sentences(source.document(DEFAULT_IGNORE), DEFAULT_IGNORE)]
    assert "Новая Каледония находится почти в 20 тыс. километров от материковой Франции." in cut
