"""Pairing quality rules: candidate lookup, swap symmetry, Unicode, substance, over-merging, credits, tiers."""

from __future__ import annotations

import itertools
import random
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parallax.engine import diffing
from parallax.engine.compare import CompareOptions, Comparison, compare
from parallax.engine.similarity import judge_pair
from parallax.text import plain_document, word_count
from tests.conftest import compare_texts
from tests.engine_seeds import seed_text

SEEDS = ("000", "001", "002", "003", "004")
#: Ordinary English content words: the shared body of a planted pair and of its unrelated neighbours.
COMMON = ["council", "members", "argued", "about", "school", "budgets", "while", "road", "repairs", "waited", "until",
          "spring", "because", "heavy", "snow", "delayed", "every", "contractor", "across", "the",
          "eastern", "district", "where", "residents", "demanded", "answers", "from", "officials", "about",
          "library", "funding", "hospital", "staffing", "water", "prices", "parking", "fees", "bridge",
          "safety", "and", "tram", "schedules"]
UNRELATED = [
    "Shares of airline companies fell sharply after fuel prices climbed again on Thursday.",
    "The orchestra will tour four cities next summer with a new conductor.",
    "Scientists observed a rare comet passing close to the planet last night.",
    "Farmers expect a smaller wheat harvest after months of drought.",
    "The museum reopened its modern art wing following lengthy renovations.",
    "A local bakery won the regional prize for its sourdough bread.",
    "Tennis fans queued overnight for tickets to the final match.",
    "The railway operator promised faster trains between the two ports.",
]


def _paired(result: Comparison) -> list[tuple[int | None, int | None, str, float]]:
    """Paired rows as (left_pos, right_pos, kind, similarity), sorted."""
    return sorted((r.left_pos, r.right_pos, r.kind, r.similarity) for r in result.rows
                  if r.left_pos is not None and r.right_pos is not None)


def _mirrored(result: Comparison) -> list[tuple[int | None, int | None, str, float]]:
    """Paired rows of a comparison seen from the other side."""
    return sorted((right, left, kind, similarity) for left, right, kind, similarity in _paired(result))


def _positions(result: Comparison, kind: str) -> list[int]:
    """Sorted positions of a comparison's one-sided rows of ``kind``, on the side each stands on."""
    positions = [row.left_pos if kind == "left_only" else row.right_pos for row in result.rows if row.kind == kind]
    assert None not in positions, f"a {kind} row without its position"
    return sorted(p for p in positions if p is not None)


# --- candidate lookup ------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(min_value=3, max_value=40),
       st.lists(st.text("bcdfghjklmnpqrstvwxz", min_size=6, max_size=9), min_size=8, max_size=8, unique=True))
def test_reworded_sentence_is_found_among_unrelated_ones(rng: random.Random, count: int, own: list[str]) -> None:
    """A sentence whose edited version adds 4 rare words of its own on each side pairs, wherever it is planted."""
    body = rng.sample(COMMON, 12)
    left_sentence = " ".join(["Officials", *body[:6], *own[:4], *body[6:]]) + "."
    right_sentence = " ".join(["Officials", *body[:6], *own[4:], *body[6:]]) + "."
    others = [rng.choice(UNRELATED).replace(".", f" {n}.") for n in range(count)]
    spot = rng.randrange(count + 1)
    left = " ".join([*others[:spot], left_sentence])
    right = " ".join([*others[count // 2:], right_sentence, *others[:count // 2]])
    result = compare_texts(left, right)
    row = next(r for r in result.rows if r.left and left_sentence in r.left)
    assert row.right is not None and right_sentence in row.right and row.kind in ("changed", "moved")


# --- swap symmetry ---------------------------------------------------------------------------------------------

#: A comparison's time budget no load exhausts on these texts: swap symmetry is a property of the complete result; a
#: comparison the budget cuts short is bounded, not symmetric (on a loaded machine the default 2 s could end one
#: direction's anchoring passes early and not the other's).
UNHURRIED = 600.0


@pytest.fixture()
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's small diffs (a sentence pair's words, identical lines in a gap) without their time limit, which
    a busy machine can reach in one direction only; 0 is diff-match-patch's 'unlimited'."""
    monkeypatch.setattr(diffing, "timelimit", lambda _seconds: 0)


def _assert_symmetric(left: str, right: str) -> None:
    """Comparing right with left mirrors left with right: pairs, kinds, moved, similarity, added/removed (both
    complete: no limit reached)."""
    forward = compare_texts(left, right, time_budget=UNHURRIED)
    backward = compare_texts(right, left, time_budget=UNHURRIED)
    assert forward.limits == [] and backward.limits == []
    assert _paired(backward) == _mirrored(forward)
    assert _positions(forward, "left_only") == _positions(backward, "right_only")
    assert _positions(forward, "right_only") == _positions(backward, "left_only")
    assert (forward.stats.left_only, forward.stats.right_only) == (backward.stats.right_only, backward.stats.left_only)
    assert (forward.stats.words_added, forward.stats.words_removed) == (
        backward.stats.words_removed, backward.stats.words_added)
    assert forward.stats.similarity == pytest.approx(backward.stats.similarity)


@pytest.mark.usefixtures("unhurried")
@pytest.mark.parametrize(("left", "right"), list(itertools.combinations(SEEDS, 2)))
def test_seed_pairs_are_swap_symmetric(left: str, right: str) -> None:
    """Every seed pair gives the same pairs whichever side it is read from."""
    _assert_symmetric(seed_text(left), seed_text(right))


SENTENCES = [*UNRELATED, "Officials said the council met on Monday.", "The council met on Monday, officials said.",
             "Members argued for hours about schools.", "Members argued about schools for hours.", "94.", "95.",
             "Getty Images", "The mayor blamed the weather for the delay.", "The mayor blamed snow for the delay."]


@pytest.mark.usefixtures("unhurried")  # the same for every example: function scope is right
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SENTENCES), max_size=14), st.lists(st.sampled_from(SENTENCES), max_size=14),
       st.booleans())
def test_random_documents_are_swap_symmetric(left: list[str], right: list[str], paragraphs: bool) -> None:
    """Random documents (with repeats, ties, list numbers and credits) compare the same both ways round."""
    joiner = "\n\n" if paragraphs else " "
    _assert_symmetric(joiner.join(left), joiner.join(right))


# --- Unicode, dashes and displayed similarity ------------------------------------------------------------------

def test_decomposed_accents_and_typed_dashes_are_same() -> None:
    """NFD "Galápagos" equals NFC, "--" equals an em dash, full-width letters equal plain ones: all same rows."""
    result = compare_texts("The Gala\u0301pagos tour -- a long trip -- sold out at ＡＢＣ Travel.",
                           "The Galápagos tour \u2014 a long trip \u2014 sold out at ABC Travel.")
    assert [r.kind for r in result.rows] == ["same"] and result.rows[0].similarity == 1.0


def test_decomposed_accents_count_as_the_same_words() -> None:
    """All rows same between NFC and NFD text: the shared wording is 100%, no word added or removed."""
    nfc = "Le président Müller a déclaré à Genève que l’accord était signé. Café crème coûte 3 €."
    result = compare_texts(nfc, unicodedata.normalize("NFD", nfc))
    assert {r.kind for r in result.rows} == {"same"}
    stats = result.stats
    assert (stats.similarity, stats.words_added, stats.words_removed, stats.words_changed) == (1.0, 0, 0, 0)
    assert word_count(unicodedata.normalize("NFD", "Müller à Genève")) == word_count("Müller à Genève") == 3


def test_paired_row_shows_the_score_that_paired_it() -> None:
    """A pair found by word overlap but with little in order shows that overlap, never 0.00."""
    result = compare_texts("Kim Jong Un met Putin at the cosmodrome on Wednesday to discuss weapons.",
                           "Weapons to discuss, Wednesday on cosmodrome the at Putin met Un Jong Kim.")
    row = result.rows[0]
    assert row.kind in ("changed", "reworded") and row.similarity >= 0.5 and row.whole


# --- substance ---------------------------------------------------------------------------------------------------

COMPANIES = ["Apple sells phones and laptops worldwide", "Banana Republic sells clothing in malls",
             "Chevron pumps oil in Texas and abroad", "Delta flies passengers across the Atlantic",
             "Exxon refines crude into petrol", "Ford builds pickup trucks in Michigan",
             "Google runs the largest search engine", "Hershey makes chocolate in Pennsylvania"]


def _ranked(items: list[str]) -> str:
    """A ranked list: the rank on its own line, then the entry."""
    return "\n".join(f"{rank}.\n{item}." for rank, item in enumerate(items, 1))


def test_ranked_list_with_an_item_added_on_top_reads_as_changed_numbers() -> None:
    """Every rank +1: the entries stay same rows in order, the numbers pair as changed, nothing is moved."""
    result = compare_texts(_ranked(COMPANIES), _ranked(["Intel designs processors in California", *COMPANIES]))
    kinds = [r.kind for r in result.rows]
    assert "moved" not in kinds
    assert sum(1 for r in result.rows if r.kind == "same" and "sells" in (r.left or "") + "") >= 2
    assert all(r.kind == "same" for r in result.rows if r.left and r.left.rstrip().rstrip(".").isalpha() is False
               and any(c in r.left for c in COMPANIES[1:]))
    numbers = [r for r in result.rows if r.kind == "changed"]
    assert len(numbers) >= len(COMPANIES) - 1
    assert all((r.left or "").strip().rstrip(".").isdigit() and (r.right or "").strip().rstrip(".").isdigit()
               for r in numbers)


def test_lone_word_and_credit_lines_do_not_anchor_or_move() -> None:
    """A credit line and a lone word repeated out of order stay one-sided instead of becoming moved rows."""
    body = ["Officials said the bridge will close for repairs in March.",
            "Drivers should expect delays on the eastern bypass until June."]
    left = "\n".join([*body, "Chris Marion/NBAE/Getty Images", "Updated."])
    right = "\n".join(["Updated.", "Chris Marion/NBAE/Getty Images", *body])
    result = compare_texts(left, right)
    assert result.stats.moved == 0 and result.stats.same == 2
    assert sorted(r.kind for r in result.rows if "Getty" in (r.left or r.right or "")) == ["left_only", "right_only"]


def test_credit_lines_do_not_pair_by_similarity() -> None:
    """Two different photo credits are not a changed pair."""
    result = compare_texts("Chris Marion/NBAE/Getty Images", "Jesse D. Garrabrant/NBAE/Getty Images")
    assert sorted(r.kind for r in result.rows) == ["left_only", "right_only"]


# --- no over-merge -------------------------------------------------------------------------------------------

def test_unrelated_next_sentence_does_not_ride_along() -> None:
    """An edited sentence pairs alone; the unrelated sentence after it on one side stays one-sided."""
    left = ("Alphabet said on Tuesday that its quarterly profit rose in the third quarter of the year, helped by "
            "strong demand for its cloud services in the region.")
    right = ("Alphabet said its quarterly profit rose in the third quarter, helped by demand for cloud services. "
             "Meta Platforms Inc. reported its revenue declined in the quarter for the first time.")
    result = compare_texts(left, right)
    meta = [r for r in result.rows if "Meta Platforms" in (r.right or "")]
    assert len(meta) == 1 and meta[0].kind == "right_only"
    assert any(r.kind == "changed" and "Alphabet" in (r.right or "") for r in result.rows)


# --- tiers on the seeds ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("left", "right"), [
    ("Putin is currently in Vladivostok for an annual economic forum.",
     "Vladimir Putin arrived in Vladivostok on Monday on a two-day visit to attend the Eastern Economic Forum."),
    ('"In building our relations with our neighbors, including North Korea, the important thing for us is the '
     "interests of our two countries, not Washington's warnings,\" Peskov added.",
     "“As you know, while implementing our relations with our neighbours, including North Korea, the interests of "
     "our two countries are important to us, and not warnings from Washington,” Mr Peskov was quoted as saying by "
     "Russian media."),
])
def test_judge_pair_finds_the_same_fact_reworded(left: str, right: str) -> None:
    """Two outlets' wordings of one fact are a reworded pair."""
    assert judge_pair(left, right)[0] == "reworded"


@pytest.mark.parametrize(("left", "right"), [
    ("The last meeting between Putin and Kim took place in Vladivostok in 2019.",
     "Putin is currently in Vladivostok for an annual economic forum."),
    ('Washington has said North Korea would "pay a price" if it supplies Moscow with weapons for the war in Ukraine.',
     "Moscow has frequently warned that a continued supply of Western arms and military equipment for the Ukrainian "
     "military would only prolong the war."),
    ('Kremlin spokesman Dmitry Peskov told Russian media that the two leaders would be joined by Defense Minister '
     'Sergei Shoigu during their talks to discuss "sensitive" subjects.',
     "“It will be a full-fledged visit,” Kremlin spokesman Dmitry Peskov told Russian media."),
])
def test_judge_pair_keeps_different_facts_apart(left: str, right: str) -> None:
    """Different facts about the same people are no pair."""
    assert judge_pair(left, right)[0] is None


def test_judge_pair_same_and_changed() -> None:
    """Identical after normalisation is same; an edited sentence is changed."""
    assert judge_pair("The Gala\u0301pagos tour sold out.", "The Galápagos tour sold out.") == ("same", 1.0)
    kind, score = judge_pair("At least two people were killed and 14 injured, the fire service said.",
                             "At least three people were killed and 14 injured, the fire service said.")
    assert kind == "changed" and 0.8 < score < 1.0


def test_split_sentence_pairs_with_both_halves_as_reworded() -> None:
    """The Moscow Times' one sentence on what Moscow seeks pairs with The National's two."""
    result = compare_texts(seed_text("000"), seed_text("004"))
    row = next(r for r in result.rows if "antitank" in (r.left or ""))
    assert row.kind == "reworded" and "anti-tank" in (row.right or "") and "submarines" in (row.right or "")


def test_moscow_times_and_rt_pair_the_train_and_the_forum() -> None:
    """RT vs The Moscow Times: the train crossing and Putin at the Vladivostok forum pair; 2019 stays apart."""
    result = compare_texts(seed_text("000"), seed_text("003"))
    paired = [r for r in result.rows if r.kind not in ("left_only", "right_only")]
    texts = [(r.left or "") + (r.right or "") for r in paired]
    assert any("armored train" in t for t in texts) and any("Eastern Economic Forum" in t for t in texts)
    assert not any("2019" in t for t in texts)


def test_similarity_pairing_stops_when_the_time_budget_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget bounds the lookup too: with the clock run out after a few looks, pairing stops part-way, says so,
    and has not profiled every sentence (before, a 2 MB source took 5 s against a 2 s budget)."""
    from parallax.engine.align import CLOCK_EVERY, Aligner, align
    from parallax.model import DEFAULT_IGNORE
    from parallax.text import cut_sentences

    left = plain_document("\n\n".join(f"Train {n} crossed the border at dawn near the river town of Khasan."
                                      for n in range(4 * CLOCK_EVERY)))
    right = plain_document("\n\n".join(f"Convoy {n} reached the frontier before sunrise by the Khasan river."
                                       for n in range(4 * CLOCK_EVERY)))
    lefts, rights = cut_sentences(left, DEFAULT_IGNORE), cut_sentences(right, DEFAULT_IGNORE)
    looks = iter([1.0, 1.0, 1.0])  # time for the anchors, the start of pairing and one look inside it

    def remaining() -> float:
        return next(looks, -1.0)

    profiled: list[int] = []
    real = Aligner.profile

    def counting(self: Aligner, side: int, index: int) -> object:
        profiled.append(index)
        return real(self, side, index)

    monkeypatch.setattr(Aligner, "profile", counting)
    _pairs, done = align(lefts, rights, range(len(lefts)), range(len(rights)), remaining)
    assert done == "partial"
    assert len(set(profiled)) < len(lefts) // 2
    result = compare(left, right, CompareOptions(time_budget=0.0))
    assert result.limits and "time budget of 0.0 s reached" in result.limits[0]
