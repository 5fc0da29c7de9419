"""Shared passages across sources, lineage of shared text, attributions and story suggestions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from parallax.corpus import load_corpus
from parallax.index import reuse
from parallax.index.search import CorpusIndex, reading_document, sentence_spans
from parallax.story import lineage
from tests.conftest import BUNDLED, STORY, front_matter


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


def test_rt_shares_little(seeds: CorpusIndex, corpus_dir: Path) -> None:
    """RT's report has passages of its own and at most one of them is found elsewhere in the seeds; the same
    index finds RT's paragraphs once another outlet carries them word for word."""
    assert len(eligible("rt")) >= 5
    assert sum(len(s.sentences) for s in shared(seeds, "rt").values()) <= 1
    rt = load_corpus(corpus_dir).sources["rt"]
    document = reading_document(rt)
    spans = [s for s in sentence_spans(document) if s.pos in set(eligible("rt")) - {0}][:4]  # 0: the headline
    copied = " ".join(document.text[s.start:s.end] for s in spans)
    (corpus_dir / STORY / "copier.txt").write_text(
        front_matter(id="copier", story=STORY, outlet="Copier") + copied + "\n", encoding="utf-8")
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


def test_attribution_rules() -> None:
    found = lineage.attributions("Text.\nAFP contributed reporting.\nSource: The National\n"
                                 "MOSCOW (Reuters) - more, according to KCNA.")
    assert {(a.kind, a.name) for a in found} >= {("contributed", "AFP"), ("source", "National"),
                                                 ("dateline", "Reuters"), ("according to", "KCNA")}
    assert lineage.credits(found, "Some Outlet")  # agencies count as credit
    assert not lineage.credits(lineage.attributions("He said it was fine."), "The Moscow Times")


def test_time_gap_in_words() -> None:
    assert lineage.time_gap("2023-09-12T08:00:00", "2023-09-12T10:00:00") == "2 h earlier"
    assert lineage.time_gap("2023-09-12", "2023-09-12") == "the same day"
    assert lineage.time_gap("2023-09-13", "2023-09-12") == "1 day later"
    assert lineage.time_gap("", "2023-09-12") == ""


WIRE = ("Kim Jong Un's armoured train crossed the border into Russia's Far East early on Tuesday morning. "
        "The North Korean leader is expected to meet Vladimir Putin at the Vostochny space launch centre. "
        "Western officials fear the two leaders will agree a deal on artillery shells for the war in Ukraine.")


def write(folder: Path, source_id: str, outlet: str, captured: str, body: str, story: str = "wire-story") -> None:
    """A source file in a test story."""
    (folder / story).mkdir(exist_ok=True)
    (folder / story / f"{source_id}.txt").write_text(
        front_matter(id=source_id, story=story, outlet=outlet, captured=captured) + body + "\n", encoding="utf-8")


def test_lineage_runs_from_the_earliest_carrier(client: FlaskClient, corpus_dir: Path) -> None:
    write(corpus_dir, "agency", "Agency Wire", "2023-09-12T06:00:00", WIRE)
    write(corpus_dir, "paper", "Daily Paper", "2023-09-12T08:30:00", WIRE + "\nAgency Wire contributed reporting.")
    write(corpus_dir, "blog", "Copy Blog", "2023-09-12T11:00:00", "Our take.\n" + WIRE.replace("Tuesday", "Tue"))
    response = client.get("/stories/wire-story/lineage.json")
    assert response.status_code == 200
    data = response.get_json()
    assert [n["id"] for n in data["nodes"]] == ["agency", "paper", "blog"]
    edges = {(e["origin"], e["carrier"]): e for e in data["edges"]}
    assert set(edges) == {("agency", "paper"), ("agency", "blog")}
    assert edges[("agency", "paper")]["attributed"] and not edges[("agency", "paper")]["flagged"]
    assert edges[("agency", "blog")]["flagged"] and edges[("agency", "blog")]["gap"] == "5 h earlier"
    assert edges[("agency", "paper")]["sentences"] == 3 and edges[("agency", "paper")]["passages"] == 1
    html = client.get("/stories/wire-story/lineage").get_data(as_text=True)
    assert "<svg" in html and "no credit found" in html and "<table" in html


def test_source_page_says_what_it_shares_and_with_whom(client: FlaskClient, corpus_dir: Path) -> None:
    write(corpus_dir, "agency", "Agency Wire", "2023-09-12T06:00:00", WIRE)
    write(corpus_dir, "paper", "Daily Paper", "2023-09-12T08:30:00", WIRE)
    data = client.get("/sources/paper.json").get_json()
    assert [(s["id"], len(s["passages"]), s["gap"]) for s in data["shared"]] == [("agency", 1, "2 h earlier")]
    assert data["shared"][0]["passages"][0]["href"] == "/sources/agency#s0"
    assert all("sentences" in p for p in data["paragraphs"])
    html = client.get("/sources/paper").get_data(as_text=True)
    assert "1 passage (3 sentences) also there, captured 2 h earlier" in html
    assert 'id="s0"' in html and 'id="s2"' in html


def test_story_overview_links_to_the_lineage(client: FlaskClient) -> None:
    html = client.get(f"/stories/{STORY}").get_data(as_text=True)
    assert f'href="/stories/{STORY}/lineage"' in html
    assert client.get("/stories/no-such-story/lineage").status_code == 404
    assert client.get("/stories/no-such-story/lineage.json").get_json()["status"] == 404


def test_seed_lineage_has_no_order_between_same_day_sources(client: FlaskClient) -> None:
    data = client.get(f"/stories/{STORY}/lineage.json").get_json()
    pairs = {(e["origin"], e["carrier"]) for e in data["edges"]}
    assert ("moscow-times-markdown", "moscow-times-plain") in pairs
    assert not any(e["ordered"] for e in data["edges"])  # every seed is dated 2023-09-12 or undated
    assert all("rt" not in (e["origin"], e["carrier"]) for e in data["edges"])


def test_suggest_story_from_overlap(client: FlaskClient, corpus_dir: Path) -> None:
    write(corpus_dir, "agency", "Agency Wire", "2023-09-12T06:00:00", WIRE)
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


def test_suggest_story_domain_function(seeds: CorpusIndex) -> None:
    from parallax.web.search import suggest_story

    text = load_corpus(BUNDLED).sources["press-tv"].body
    assert suggest_story(text, seeds)[0][0] == STORY
    assert suggest_story("Short.", seeds) == []
