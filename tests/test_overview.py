"""Story overview domain: similarity matrix, cluster order, coverage and unique passages on the seed corpus."""

from __future__ import annotations

import dataclasses

import pytest

from parallax import overview
from parallax.corpus import Corpus, load_corpus
from tests.conftest import BUNDLED, STORY


@pytest.fixture(scope="module")
def seed() -> Corpus:
    """The bundled corpus, loaded once."""
    return load_corpus(BUNDLED)


@pytest.fixture(scope="module")
def model(seed: Corpus) -> overview.StoryModel:
    """The overview model of the seed story."""
    return overview.story_model(seed.story_sources(STORY))


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
    assert all(c.kind == "changed" for c in washington.carriers)


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


def test_model_cached_per_corpus_state(seed: Corpus) -> None:
    """The same sources give the same model object; an edited body gives a new one."""
    sources = seed.story_sources(STORY)
    first = overview.story_model(sources)
    assert overview.story_model(list(sources)) is first
    edited = [dataclasses.replace(sources[0], body=sources[0].body + "\nA new line.", sha256="x" * 64),
              *sources[1:]]
    assert overview.story_model(edited) is not first


def test_shingles_and_dice() -> None:
    """Word 3-shingles of short and long word lists; Dice of sets."""
    assert len(overview.shingles(["a", "b", "c", "d"])) == 2
    assert len(overview.shingles(["a"])) == 1
    assert overview.shingles([]) == frozenset()
    assert overview.dice(frozenset({1, 2}), frozenset({2, 3})) == 0.5
