"""Story overview domain: similarity matrix, cluster order, coverage and unique passages on the seed corpus."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import time
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.corpus import Corpus, Source
from parallax.engine.similarity import dice
from parallax.memo import Memo
from parallax.story import overview, quotes
from tests.conftest import STORY


@pytest.fixture(scope="module")
def model(bundled_corpus: Corpus) -> overview.StoryModel:
    """The overview model of the seed story."""
    return overview.story_model(bundled_corpus.story_sources(STORY))


def _at(model: overview.StoryModel, source_id: str) -> int:
    """Index of a source in the model."""
    return [p.id for p in model.prepared].index(source_id)


def test_matrix_is_symmetric_with_unit_diagonal(model: overview.StoryModel) -> None:
    """Every pair once, the same both ways, 1.0 against itself, values in [0, 1]."""
    n = len(model.prepared)
    assert n == 5
    for i in range(n):
        assert model.matrix[i][i] == 1.0
        for j in range(n):
            assert model.matrix[i][j] == model.matrix[j][i]
            assert 0.0 <= model.matrix[i][j] <= 1.0


def test_matrix_reflects_shared_wording(model: overview.StoryModel) -> None:
    """The two Moscow Times captures are near-identical; Press TV shares more with them than RT does."""
    plain, markdown = _at(model, "moscow-times-plain"), _at(model, "moscow-times-markdown")
    press, rt = _at(model, "press-tv"), _at(model, "rt")
    assert model.matrix[plain][markdown] > 0.9
    assert model.matrix[press][plain] > model.matrix[rt][plain]
    assert model.matrix[rt][plain] < 0.2


def test_cluster_order_keeps_similar_sources_together(model: overview.StoryModel) -> None:
    """Clustered order is a permutation with the two Moscow Times captures adjacent; date order keeps dated first."""
    order = model.orders["cluster"]
    assert sorted(order) == list(range(5))
    ids = [model.prepared[i].id for i in order]
    assert abs(ids.index("moscow-times-plain") - ids.index("moscow-times-markdown")) == 1
    dated = [model.prepared[i].published for i in model.orders["date"]]
    assert dated == sorted(dated, key=lambda d: d or "9999")


def test_cluster_order_on_a_made_up_matrix() -> None:
    """Two obvious clusters come out as two runs."""
    m = [[1, .9, .1, .1], [.9, 1, .1, .1], [.1, .1, 1, .8], [.1, .1, .8, 1]]
    order = overview.cluster_order(m)
    assert {frozenset(order[:2]), frozenset(order[2:])} == {frozenset({0, 1}), frozenset({2, 3})}


def test_coverage_counts_carriers(model: overview.StoryModel) -> None:
    """Press TV's 'Obviously, as neighbors…' is in both Moscow Times captures word for word; its SMO line only here."""
    press = _at(model, "press-tv")
    cover = model.coverage(press)
    obviously = next(c for c in cover if c.sent.text.startswith("“Obviously, as neighbors"))
    assert {model.prepared[c.source].id: c.kind for c in obviously.carriers} == {
        "moscow-times-plain": "same", "moscow-times-markdown": "same"}
    smo = next(c for c in cover if "special military operation" in c.sent.text)
    assert smo.carriers == ()
    washington = next(c for c in cover if "not Washington’s warnings" in c.sent.text)
    assert {model.prepared[c.source].id for c in washington.carriers} >= {"moscow-times-plain", "the-national"}
    # As the comparison pages pair it: edited wording in The Moscow Times, the same fact reworded in The National.
    kinds = {model.prepared[c.source].id: c.kind for c in washington.carriers}
    assert kinds["moscow-times-plain"] == kinds["moscow-times-markdown"] == "changed"
    assert kinds["the-national"] == "reworded"


def test_coverage_skips_boilerplate(model: overview.StoryModel) -> None:
    """The Moscow Times reader appeal is boilerplate: not a passage to cover."""
    cover = model.coverage(_at(model, "moscow-times-plain"))
    assert cover
    assert not any("Dear readers" in c.sent.text or "undesirable" in c.sent.text for c in cover)


def test_unique_content(model: overview.StoryModel) -> None:
    """Press TV's 'special military operation' and The National's Madden quote are unique to them."""
    unique = {p.id: " ".join(s.text for run in runs for s in run) for p, runs in zip(model.prepared, model.unique,
                                                                                    strict=True)}
    assert "special military operation" in unique["press-tv"]
    assert "Michael Madden" in unique["the-national"]
    for other in ("rt", "the-national", "moscow-times-plain", "moscow-times-markdown"):
        assert "special military operation" not in unique[other]
    # Shared passages are not unique; boilerplate never is.
    assert "Obviously, as neighbors" not in unique["press-tv"]
    assert "Dear readers" not in unique["moscow-times-plain"]
    assert "Source: The National" not in unique["the-national"]


def test_model_cached_per_corpus_state(bundled_corpus: Corpus) -> None:
    """The same sources give the same model object from one memo; an edited body gives a new one."""
    sources = bundled_corpus.story_sources(STORY)
    memo = Memo()
    first = overview.story_model(sources, memo=memo)
    assert overview.story_model(list(sources), memo=memo) is first
    assert overview.story_model(list(sources), memo=Memo()) is not first  # another app's memo: its own model
    assert overview.story_model(list(sources)) is not first  # no memo: computed afresh
    edited = [dataclasses.replace(sources[0], body=sources[0].body + "\nA new line.", sha256="x" * 64),
              *sources[1:]]
    assert overview.story_model(edited, memo=memo) is not first


def test_each_app_owns_its_memo(make_app: Callable[..., Flask]) -> None:
    """Two apps never share derived data: each has its own memo, which fills as its pages are read."""
    first, second = make_app(), make_app()
    assert first.extensions["parallax.memo"] is not second.extensions["parallax.memo"]
    assert first.test_client().get(f"/stories/{STORY}.json").status_code == 200
    models = first.extensions["parallax.memo"]._caches["models"]
    assert len(models) == 1 and len(second.extensions["parallax.memo"]._caches["models"]) == 0


def test_shingles_and_dice() -> None:
    """Word 3-shingles of short and long word lists; Dice of sets."""
    assert len(overview.shingles(["a", "b", "c", "d"])) == 2
    assert len(overview.shingles(["a"])) == 1
    assert overview.shingles([]) == frozenset()
    assert dice(frozenset({1, 2}), frozenset({2, 3}), empty=1.0) == 0.5


def test_dice_of_two_empty_sets_is_the_callers_choice() -> None:
    """One Dice for the engine, the overview, the quote tracker and the shared-passage index; what two empty sets
    score is an explicit argument; Counters count a word as often as it occurs."""
    assert dice(frozenset(), frozenset(), empty=1.0) == 1.0
    assert dice(frozenset(), frozenset()) == 0.0
    assert dice(frozenset({"a"}), frozenset(), empty=1.0) == 0.0
    assert dice(Counter("aab"), Counter("ab")) == 0.8
    assert vars(quotes)["dice"] is dice


def _source(source_id: str, body: str) -> Source:
    """A plain-text source of the test story."""
    return Source(id=source_id, story="s", format="text", body=body, path=f"{source_id}.txt",
                  sha256=hashlib.sha256(body.encode()).hexdigest(), outlet=source_id.upper())


_BODY_A = ("The council met on Monday to discuss the new harbour bridge.\n\n"
           "“This bridge will change the whole city for the better,” Mayor Jane Doe said.\n\n"
           "Subscribe to our newsletter for more stories like this one.\n")
_BODY_B = ("The council met on Monday to discuss the new harbour bridge.\n\n"
           "“This bridge will change the whole city for the better,” Mayor Jane Doe told reporters.\n")


def test_front_matter_edit_with_the_same_body_is_never_served_stale() -> None:
    """Adding boilerplate_from (same body, same sha256) changes the overview and the quotes; so does an outlet."""
    a, b = _source("a", _BODY_A), _source("b", _BODY_B)
    memo = Memo()
    before_model, before_quotes = overview.story_model([a, b], memo=memo), quotes.story_quotes([a, b], memo)
    unique_before = " ".join(s.text for run in before_model.unique[0] for s in run)
    assert "newsletter" in unique_before
    assert any("change the whole city" in g.variants[0].text for g in before_quotes[0])
    # The quote paragraph onwards becomes boilerplate: neither the overview nor the quotes may still show it.
    edited = dataclasses.replace(a, boilerplate_from="“This bridge")
    assert edited.sha256 == a.sha256 and edited.content_key != a.content_key
    after_model, after_quotes = overview.story_model([edited, b], memo=memo), quotes.story_quotes([edited, b], memo)
    assert after_model is not before_model
    assert all(s.boilerplate for s in after_model.prepared[0].sentences[1:])
    assert "newsletter" not in " ".join(s.text for run in after_model.unique[0] for s in run)
    assert [g.sources for g in after_quotes[0] if "change the whole city" in g.variants[0].text] == [["b"]]
    assert overview.similarity([edited, b]) == after_model.matrix != before_model.matrix
    # Metadata the pages show is part of the key too: a new outlet name is never served from the cache.
    renamed = dataclasses.replace(a, outlet="Renamed Daily")
    assert overview.story_model([renamed, b]).prepared[0].outlet == "Renamed Daily"
    assert {q.outlet for g in quotes.story_quotes([renamed, b])[0] for q in g.quotes} == {"Renamed Daily", "B"}


def test_caches_are_keyed_on_content_not_on_the_source_object() -> None:
    """A source re-read with the same content (new path, title, capture time) reuses the prepared data."""
    a = _source("a", _BODY_A)
    again = dataclasses.replace(a, path="moved/a.txt", title="A new headline", captured="2024-01-01T00:00:00")
    assert again is not a and again != a
    memo = Memo()
    assert overview.prepare(again, memo) is overview.prepare(a, memo)
    assert quotes.source_quotes(again, memo) is quotes.source_quotes(a, memo)


def test_caches_do_not_keep_sources_alive() -> None:
    """No cache holds a Source (and its up to 2 MB body) once the corpus has let go of it."""
    a, b = _source("gone-a", _BODY_A + "Gone.\n"), _source("gone-b", _BODY_B + "Gone.\n")
    memo = Memo()
    overview.story_model([a, b], memo=memo)
    overview.similarity([a, b], memo)
    quotes.story_quotes([a, b], memo)
    refs = [weakref.ref(a), weakref.ref(b)]
    del a, b
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_similarity_is_the_models_matrix_cached_per_content(bundled_corpus: Corpus) -> None:
    """overview.similarity: the story model's matrix without building the model, cached per content keys."""
    sources = bundled_corpus.story_sources(STORY)
    memo = Memo()
    matrix = overview.similarity(sources, memo)
    assert matrix == overview.build_model(sources).matrix
    assert overview.similarity(list(sources), memo) is matrix
    edited = [dataclasses.replace(sources[0], body=sources[0].body + "\nA new line.", sha256="y" * 64),
              *sources[1:]]
    assert overview.similarity(edited, memo) is not matrix
    assert overview.similarity(sources[:1]) == [[1.0]]
    assert overview.similarity([]) == []


# ---- repetitive text stays linear; the time budget cuts the overview short and says so ----------------------

#: A sentence no seed source reports in any words (the seeds do report Kim's arrival by train, in other words).
_REPEATED = "The harbour council met on Monday to discuss the new bridge over the river."


class _CountingHits(list[tuple[int, int]]):
    """An index hit list that counts every element read (by iteration or by position)."""

    reads = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in super().__iter__():
            _CountingHits.reads += 1
            yield item

    def __getitem__(self, at):  # type: ignore[no-untyped-def]
        _CountingHits.reads += 1
        return super().__getitem__(at)


def _hit_reads(bundled_corpus: Corpus, repeats: int) -> int:
    """Index hits read by unique passages and the coverage of a source repeating one sentence ``repeats`` times."""
    body = "\n\n".join([_REPEATED] * repeats) + "\n"
    sources = [*bundled_corpus.story_sources(STORY), _source("repeated", body)]
    index = overview.SentenceIndex([overview.prepare(s) for s in sources])
    tables: list[dict[Any, list[tuple[int, int]]]] = [index.by_key, index.by_gram]
    for table in tables:
        for key in list(table):
            table[key] = _CountingHits(table[key])
    _CountingHits.reads = 0
    unique, checked = overview.unique_passages(index)
    assert checked == overview.matchable(index.prepared)
    assert len(unique[-1]) == repeats  # one run per paragraph: nobody else carries it
    found = overview.coverage(index, len(sources) - 1)
    assert len(found) == repeats and all(not item.carriers for item in found)
    return _CountingHits.reads


def test_repeated_sentences_cost_linear_index_reads(bundled_corpus: Corpus) -> None:
    """Doubling the repeats about doubles the work: a source's own hits are skipped as a block, not one by one."""
    small, large = _hit_reads(bundled_corpus, 300), _hit_reads(bundled_corpus, 600)
    assert large / small < 2.6, (small, large)  # quadratic walking read 4x as many
    assert large < 400 * 600, large  # about 230 reads per sentence (log n per skipped block)


def test_overview_past_its_deadline_says_so_and_is_not_cached(bundled_corpus: Corpus) -> None:
    sources = bundled_corpus.story_sources(STORY)
    memo = Memo()
    cut = overview.story_model(sources, 0.5, deadline=time.monotonic() - 1, memo=memo)
    total = overview.matchable(cut.prepared)
    assert cut.limits == (f"time budget of 0.5 s reached: unique content checked {overview.CLOCK_EVERY - 1} of "
                          f"{total:,} passages; the rest are not listed",
                          f"time budget of 0.5 s reached: {total} of {total} passages were not looked for in other "
                          "words",
                          f"time budget of 0.5 s reached while cutting sentences: {len(sources)} of {len(sources)} "
                          "sources were cut after every full stop, question or exclamation mark")
    whole = overview.story_model(sources, memo=memo)
    assert whole is not cut and whole.limits == ()
    assert overview.story_model(sources, 0.0, deadline=time.monotonic() - 1, memo=memo) is whole  # reused whole
    base = [p.id for p in whole.prepared].index("press-tv")
    passages, done = whole.coverage_within(base, time.monotonic() - 1)
    assert done is (len(passages) == overview.matchable(whole.prepared[base:base + 1]))


def test_story_page_reports_the_time_budget(make_app: Callable[..., Flask]) -> None:
    client = make_app(OVERVIEW_TIME_BUDGET=0.0).test_client()
    data = client.get(f"/stories/{STORY}.json").get_json()
    assert data["limits"] and all(note.startswith("time budget of 0 s reached") for note in data["limits"])
    page = client.get(f"/stories/{STORY}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'class="px-limit" role="note">time budget of 0 s reached' in page.get_data(as_text=True)
    relaxed = make_app(OVERVIEW_TIME_BUDGET=60.0).test_client().get(f"/stories/{STORY}.json")
    assert relaxed.status_code == 200 and relaxed.get_json()["limits"] == []


def test_coverage_counts_a_sentence_carried_in_other_words(model: overview.StoryModel) -> None:
    """The Moscow Times' "Putin is currently in Vladivostok" is carried by RT in other words (reworded)."""
    base = _at(model, "moscow-times-plain")
    row = next(c for c in model.coverage(base) if c.sent.text.startswith("Putin is currently in Vladivostok"))
    carriers = {model.prepared[c.source].id: c.kind for c in row.carriers}
    assert carriers.get("rt") == "reworded"


def test_unique_content_leaves_out_what_another_outlet_says_in_other_words(model: overview.StoryModel) -> None:
    """RT's "Vladimir Putin arrived in Vladivostok…" is reported by The Moscow Times in other words: not unique;
    RT's note on the 2019 meeting has no counterpart anywhere: unique."""
    runs = model.unique[_at(model, "rt")]
    texts = [sent.text for run in runs for sent in run]
    assert not any(text.startswith("Vladimir Putin arrived in Vladivostok") for text in texts)
    assert any("took place in Vladivostok in 2019" in text for text in texts)


def test_coverage_says_changed_or_reworded_as_the_comparison_row_it_links_to(client: FlaskClient) -> None:
    """Each carrier of every seed's coverage links to a row of the comparison: where that row pairs the sentence as
    edited wording or as the same fact reworded, the story page says the same ("changed wording" / "in other
    words"), never the other."""
    checked, wrong = 0, []
    for base in ("press-tv", "moscow-times-markdown", "moscow-times-plain", "rt", "the-national"):
        coverage = client.get(f"/stories/{STORY}.json?base={base}").get_json()["coverage"]
        for passage in coverage["passages"]:
            for carrier in passage["carriers"]:
                path, anchor = carrier["href"].split("#")
                rows = client.get(path + ".json").get_json()["rows"]
                row = rows[int(anchor[1:].split("-")[0])]
                if row["kind"] in ("changed", "reworded"):
                    checked += 1
                    if row["kind"] != carrier["kind"]:
                        wrong.append((base, carrier["id"], carrier["kind"], row["kind"], passage["text"][:40]))
    assert checked >= 10 and wrong == []
