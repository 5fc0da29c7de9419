"""Quote tracker: extraction, attribution and grouping, checked against the seed corpus."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from parallax.corpus import Corpus, Source
from parallax.story import quotes, speakers
from tests.conftest import STORY


def _find(found: list[quotes.Quote], start: str) -> quotes.Quote:
    """The quote whose text starts with the given words."""
    hits = [q for q in found if q.text.startswith(start)]
    assert len(hits) == 1, [q.text[:40] for q in found]
    return hits[0]


def _source(body: str, source_id: str = "t") -> Source:
    """A plain-text source made from a body."""
    return Source(id=source_id, story="s", format="text", body=body, path=f"{source_id}.txt",
                  sha256=hashlib.sha256(body.encode()).hexdigest(), outlet=source_id.upper())


def test_pronoun_resolves_to_last_named_speaker(bundled_corpus: Corpus) -> None:
    """Moscow Times: 'Kremlin spokesman Dmitry Peskov told…' then '"Obviously…," he said' is Peskov's."""
    quote = _find(quotes.extract(bundled_corpus.sources["moscow-times-plain"]), "Obviously, as neighbors")
    assert quote.speaker == "Dmitry Peskov"
    assert quote.speaker_key == "peskov"


def test_speaker_before_the_quote(bundled_corpus: Corpus) -> None:
    """Press TV: 'US State Department spokesperson Matthew Miller said, “I will remind…”'."""
    quote = _find(quotes.extract(bundled_corpus.sources["press-tv"]), "I will remind both countries")
    assert quote.speaker == "Matthew Miller"


def test_speaker_after_said(bundled_corpus: Corpus) -> None:
    """The National: '“The presence of Jo Chun Ryong…,” said Michael Madden, a …' is Madden's."""
    quote = _find(quotes.extract(bundled_corpus.sources["the-national"]), "The presence of Jo Chun Ryong")
    assert quote.speaker == "Michael Madden"


def test_quotation_then_attribution_sentence_then_quotation_is_two_quotes(bundled_corpus: Corpus) -> None:
    """Press TV: '“It will be a full-fledged visit,” Peskov told Russian media. “There will be…”' is two quotes.

    The attribution ends a sentence, so the second quotation is a quote of its own (same speaker), never stitched.
    """
    found = quotes.extract(bundled_corpus.sources["press-tv"])
    first = _find(found, "It will be a full-fledged visit")
    second = _find(found, "There will be negotiations")
    assert first.parts == ("It will be a full-fledged visit,",)
    assert first.speaker == second.speaker == "Dmitry Peskov"


def test_quote_interrupted_mid_sentence_stays_one_quote() -> None:
    """'“We will,” she said, “rebuild it.”' is one quotation cut by its attribution: one quote of two parts."""
    found = quotes.extract(_source("“We will rebuild the bridge,” Jane Doe said, “before the winter comes.”\n"))
    assert len(found) == 1 and found[0].parts == ("We will rebuild the bridge,", "before the winter comes.")
    assert found[0].speaker == "Jane Doe"


def test_closed_quote_paragraph_after_an_attributed_quote_is_a_new_quote(bundled_corpus: Corpus) -> None:
    """The National: Miller's '…him begging for assistance' and the next paragraph's closed quotation
    '“President Putin launched this war…”' are two quotes (the second keeps Miller as its speaker)."""
    found = quotes.extract(bundled_corpus.sources["the-national"])
    begging = _find(found, "Having to travel across")
    war = _find(found, "President Putin launched this war")
    assert begging.parts[-1].endswith("him begging for assistance,")
    assert len(begging.parts) == 1
    assert begging.speaker == war.speaker == "Matthew Miller"


def test_quote_spanning_paragraphs_without_closing_mark() -> None:
    """A paragraph that opens a quote and never closes it continues into the next quoted paragraph."""
    body = ("Jane Doe, the mayor, said on Monday that work would start soon.\n\n"
            "“We will rebuild the bridge before winter comes,” she said. “And we will pay for it ourselves.\n\n"
            "“Nobody else is going to do it for us,” she added.\n\n"
            "The council met later.\n")
    found = quotes.extract(_source(body))
    assert [q.parts for q in found] == [("We will rebuild the bridge before winter comes,",),
                                        ("And we will pay for it ourselves.", "Nobody else is going to do it for us,")]
    assert [q.speaker for q in found] == ["Jane Doe", "Jane Doe"]


def test_straight_quotes_and_short_phrases() -> None:
    """Straight quotes count; fragments under MIN_QUOTE_WORDS words are phrases, not grouped quotes."""
    body = 'Officials called the plan "sensitive" on Monday.\n\n"This plan will change the city," John Smith said.\n'
    found = quotes.extract(_source(body))
    assert [q.text for q in found] == ["sensitive", "This plan will change the city,"]
    assert found[1].speaker == "John Smith"
    assert [p.text for p in quotes.phrases(found)] == ["sensitive"]
    assert [g.variants[0].text for g in quotes.group_quotes(found)] == ["This plan will change the city,"]


def test_translation_variants_grouped(bundled_corpus: Corpus) -> None:
    """The two translations of Peskov's 'not Washington's warnings' are one group carried by three outlets."""
    groups, _ = quotes.story_quotes(bundled_corpus.story_sources(STORY))
    group = next(g for g in groups if any("not warnings from Washington" in v.text for v in g.variants))
    assert any(v.text.startswith("In building our relations") for v in group.variants)
    assert set(group.sources) == {"press-tv", "moscow-times-plain", "moscow-times-markdown", "the-national"}
    assert len(group.outlets) == 3
    assert group.speaker == "Dmitry Peskov"
    assert groups[0] is group  # most outlets first
    # The differing wording is marked word by word against the first wording.
    other = next(v for v in group.variants if v.text.startswith("As you know"))
    assert any(s.op == "insert" and "implementing" in s.text for s in other.segments)
    assert any(s.op == "equal" and "North Korea" in s.text for s in other.segments)


def test_unrelated_quotes_not_grouped(bundled_corpus: Corpus) -> None:
    """Peskov's 'Obviously, as neighbors…' and his 'In building…' stay apart; so do Miller's and Madden's."""
    groups, phrases = quotes.story_quotes(bundled_corpus.story_sources(STORY))
    for group in groups:
        texts = " ".join(v.text for v in group.variants)
        assert not ("Obviously" in texts and "In building" in texts)
        assert not ("Jo Chun Ryong" in texts and "international pariah" in texts)
        assert len({speakers.speaker_key(q.speaker) for q in group.quotes if q.speaker}) <= 1
    madden = next(g for g in groups if any("Jo Chun Ryong" in v.text for v in g.variants))
    assert madden.sources == ["the-national"]
    assert "pay a price" in [p.text for p in phrases]
    assert not any(v.text.strip(",. ") == "pay a price" for g in groups for v in g.variants)


def test_same_quote_needs_the_same_speaker() -> None:
    """Identical words from two different named speakers are two quotes."""
    words = quotes.content_words("The interests of our two countries are important to us")
    assert quotes.same_quote(words, words, "peskov", "peskov")
    assert not quotes.same_quote(words, words, "peskov", "miller")


def test_stem_folds_spelling_and_endings() -> None:
    """British and US spellings and simple inflections meet."""
    assert quotes.stem("neighbours") == quotes.stem("neighbors") == quotes.stem("neighbor")
    assert quotes.stem("countries") == quotes.stem("country")
    assert quotes.stem("realised") == quotes.stem("realized")
    assert quotes.stem("promising") != quotes.stem("promizing")


def _cpu_seconds(body: str, runs: int = 1) -> float:
    """Least CPU time (immune to other processes' load) of extracting the quotes of a body."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        quotes.extract(_source(body))
        best = min(best, time.process_time() - start)
    return best


def _capitalised(count: int) -> str:
    """A paragraph of capitalised words with no speech verb, then a quote attributed by pronoun."""
    words = " ".join(f"Alpha{n % 13}" for n in range(count))
    return f"{words}.\n\n“This is a perfectly ordinary quote,” she said.\n"


def test_run_of_capitalised_words_is_linear() -> None:
    """A name is at most five words: 4,000 capitalised words used to take seconds (O(n²) backtracking)."""
    assert _cpu_seconds(_capitalised(4000)) < 0.5
    # Linear, not just fast here: four times the words cost about four times the time (quadratic would be 16).
    small, large = _cpu_seconds(_capitalised(2000), 3), _cpu_seconds(_capitalised(8000), 3)
    assert large < 8 * small + 0.02


def test_bounded_names_still_attribute() -> None:
    """Multi-word names still match; a name at the end of a long capitalised run keeps its surname."""
    assert speakers.named_speakers("Kremlin spokesman Dmitry Sergeyevich Peskov said on Tuesday") == [
        (18, "Dmitry Sergeyevich Peskov")]
    long_run = " ".join(f"Alpha{n}" for n in range(50)) + " Maria Lopez said on Monday."
    assert [speakers.speaker_key(n) for _, n in speakers.named_speakers(long_run)] == ["lopez"]
    assert [speakers.speaker_key(n) for _, n in speakers.named_speakers("said Kim Jong Un.")] == ["un"]


def test_quotes_without_content_words_are_not_one_quote() -> None:
    """The shared Dice scores two empty content-word sets 0 for quotes (the overview chooses 1)."""
    empty = quotes.content_words("it is what it is")
    assert empty == frozenset()
    assert not quotes.same_quote(empty, empty, None, None)


def test_name_words_are_bounded_so_one_huge_capitalised_word_is_cheap() -> None:
    """A 32 KB word of capitals ("AAAA…", "U.S.U.S.…") took a minute, tried from every capital; names are at
    most 41 characters a word, and ordinary names are still found."""
    assert speakers.named_speakers("Z" + "a" * 60 + " said it.") == []
    for unit in ("A", "U.S."):
        text = "\u201cWe will win,\u201d " + unit * (32_000 // len(unit)) + " smiled, Dmitry Peskov said."
        assert [name for _, name in speakers.named_speakers(text)] == ["Dmitry Peskov"]


def test_attribution_looks_a_bounded_way_back_so_many_quotes_cost_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each quote's speaker is looked for in at most ATTRIBUTION_REACH characters before it (the whole paragraph
    before every quote made 2,000 quotes in one paragraph take 17 s); attributions near a quote still work."""
    seen: list[int] = []
    original = speakers.attribute

    def spy(before: str, after: str, glue: Any) -> Any:
        seen.append(len(before))
        return original(before, after, glue)

    monkeypatch.setattr(quotes, "attribute", spy)
    body = ("\u201cThe talks went well,\u201d Dmitry Peskov said. " + "\u201cAnother word here.\u201d " * 499
            + "As Peskov put it, the minister said: \u201cWe are ready.\u201d")
    found = quotes.extract(_source(body + "\n"))
    assert len(found) >= 400 and found[0].speaker == "Dmitry Peskov" and "We are ready." in found[-1].parts
    assert max(seen) <= quotes.ATTRIBUTION_REACH < len(body)
