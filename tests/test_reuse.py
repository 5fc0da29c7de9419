"""Shared passages across sources (the reuse index): what sources share, the source page saying so, and story
suggestions from overlap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from parallax.corpus_store import load_corpus
from parallax.index import reuse
from parallax.index.search import CorpusIndex
from parallax.index.spans import reading_document, sentence_spans
from tests.conftest import BUNDLED, STORY, WIRE, write_source


@pytest.fixture(scope="module")
def seeds() -> CorpusIndex:
    """An in-memory index of the bundled corpus."""
    index = CorpusIndex(None)
    index.sync(load_corpus(BUNDLED))
    return index


def shared(index: CorpusIndex, source_id: str) -> dict[str, reuse.Sharing]:
    """What a source shares, by the other source's id."""
    return {s.other: s for s in reuse.shared_of(index.db, source_id)}


def eligible(source_id: str) -> list[int]:
    """Positions of a seed source's sentences long enough to count as passages (boilerplate left out)."""
    source = load_corpus(BUNDLED).sources[source_id]
    document = reading_document(source)
    return [s.pos for s in sentence_spans(document)
            if not s.boilerplate and reuse.prepare(document.text[s.start:s.end]) is not None]


def test_the_two_moscow_times_captures_share_everything(seeds: CorpusIndex) -> None:
    found = shared(seeds, "moscow-times-plain")["moscow-times-markdown"]
    assert {s.pos for s in found.sentences} == set(eligible("moscow-times-plain"))
    assert len(found.passages) == 1  # one run: the whole article
    back = shared(seeds, "moscow-times-markdown")["moscow-times-plain"]
    assert {s.pos for s in back.sentences} >= set(eligible("moscow-times-markdown")) - {0}  # 0: the headline


def test_press_tv_and_the_moscow_times_share_the_peskov_paragraph(seeds: CorpusIndex) -> None:
    found = shared(seeds, "press-tv")
    assert {"moscow-times-plain", "moscow-times-markdown"} <= set(found)
    document = reading_document(load_corpus(BUNDLED).sources["press-tv"])
    texts = {document.text[s.start:s.end] for s in sentence_spans(document)
             if s.pos in {x.pos for x in found["moscow-times-plain"].sentences}}
    assert any(t.startswith("“Obviously, as neighbors") for t in texts)
    assert any("In building our relations with our neighbors" in t for t in texts)
    assert len(found["moscow-times-plain"].sentences) <= 3  # the quotes only, not the reporting around them


def sentence_of(source_id: str, words: str) -> int:
    """Position of the seed source's one sentence holding these words."""
    document = reading_document(load_corpus(BUNDLED).sources[source_id])
    found = [s.pos for s in sentence_spans(document) if words in document.text[s.start:s.end]]
    assert len(found) == 1, (source_id, words, found)
    return found[0]


def test_rt_shares_nothing_but_what_others_copy_word_for_word(seeds: CorpusIndex, corpus_dir: Path) -> None:
    """RT words everything its own way: of its passages (at least five) none is shared with any seed, in either
    direction, while the same index pairs the delegations quote Press TV and The National both carry; RT's report
    of that fact, reworded, is not shared. The index finds RT's paragraphs once another outlet copies them."""
    assert len(eligible("rt")) >= 5
    assert shared(seeds, "rt") == {}
    assert all("rt" not in shared(seeds, other) for other in ("press-tv", "the-national", "moscow-times-plain"))
    quote = "There will be negotiations between two delegations"
    assert {s.pos for s in shared(seeds, "press-tv")["the-national"].sentences} == {sentence_of("press-tv", quote)}
    assert {s.pos for s in shared(seeds, "the-national")["press-tv"].sentences} == {
        sentence_of("the-national", quote)}
    assert sentence_of("rt", "both with Russian and North Korean delegations present") in eligible("rt")
    rt = load_corpus(corpus_dir).sources["rt"]
    document = reading_document(rt)
    spans = [s for s in sentence_spans(document) if s.pos in set(eligible("rt")) - {0}][:4]  # 0: the headline
    copied = " ".join(document.text[s.start:s.end] for s in spans)
    write_source(corpus_dir, STORY, "copier", copied, outlet="Copier")
    index = CorpusIndex(None)
    index.sync(load_corpus(corpus_dir))
    assert {s.pos for s in shared(index, "rt")["copier"].sentences} == {s.pos for s in spans}


def test_lightly_edited_sentence_is_shared_but_a_paraphrase_is_not() -> None:
    original = "Kremlin spokesman Dmitry Peskov told Russian media that the two leaders would be joined by delegations."
    edited = "Kremlin spokesman Dmitry Peskov told reporters that the two leaders would be joined by their delegations."
    paraphrase = "The two leaders will bring delegations, Peskov, who speaks for the Kremlin, said to the press."
    assert reuse.score(original, edited) >= reuse.THRESHOLD
    assert reuse.score(original, paraphrase) < reuse.THRESHOLD
    assert reuse.prepare("Read more: Kim arrives in Russia for talks with Vladimir Putin today") is None
    assert reuse.prepare("MOSCOW (Reuters) -") is None


def test_boilerplate_declared_in_front_matter_is_not_a_passage(seeds: CorpusIndex) -> None:
    with seeds.lock:
        rows = seeds.db.execute("SELECT count(*) FROM sketch JOIN sent ON sent.id = sketch.sid "
                                "WHERE sent.boilerplate = 1").fetchone()
    assert rows[0] == 0


def test_source_page_says_what_it_shares_and_with_whom(client: FlaskClient, corpus_dir: Path) -> None:
    write_source(corpus_dir, "wire-story", "agency", WIRE, outlet="Agency Wire", captured="2023-09-12T06:00:00")
    write_source(corpus_dir, "wire-story", "paper", WIRE, outlet="Daily Paper", captured="2023-09-12T08:30:00")
    data = client.get("/sources/paper.json").get_json()
    assert [(s["id"], len(s["passages"]), s["gap"]) for s in data["shared"]] == [("agency", 1, "2 h earlier")]
    assert data["shared"][0]["passages"][0]["href"] == "/sources/agency#s0"
    assert all("sentences" in p for p in data["paragraphs"])
    html = client.get("/sources/paper").get_data(as_text=True)
    assert "1 passage (3 sentences) also there, captured 2 h earlier" in html
    assert 'id="s0"' in html and 'id="s2"' in html


def test_suggest_story_from_overlap(client: FlaskClient, corpus_dir: Path) -> None:
    write_source(corpus_dir, "wire-story", "agency", WIRE, outlet="Agency Wire", captured="2023-09-12T06:00:00")
    text = load_corpus(BUNDLED).sources["moscow-times-plain"].body
    response = client.get("/api/suggest-story", query_string={"text": text[:3000]})
    assert response.status_code == 200
    suggestions: list[dict[str, Any]] = response.get_json()["suggestions"]
    assert suggestions[0]["story"] == STORY and suggestions[0]["score"] >= 0.4
    posted = client.post("/api/suggest-story", json={"text": WIRE})
    assert posted.get_json()["suggestions"][0]["story"] == "wire-story"
    form = client.post("/api/suggest-story", data={"text": "Nothing like anything in the corpus at all, really."})
    assert form.status_code == 200 and form.get_json()["suggestions"] == []


@pytest.mark.parametrize("params", [{}, {"text": "   "}, {"text": "x" * 200_001}, {"text": "a\x00b"}])
def test_suggest_story_refuses_bad_text(client: FlaskClient, params: dict[str, str]) -> None:
    response = client.get("/api/suggest-story", query_string=params)
    assert response.status_code == 400 and response.get_json()["ok"] is False


def test_suggest_story_from_the_index(seeds: CorpusIndex) -> None:
    text = load_corpus(BUNDLED).sources["press-tv"].body
    assert seeds.suggest_story(text)[0][0] == STORY
    assert len(seeds.suggest_story(text, most=1)) == 1
    assert seeds.suggest_story("Short.") == []
