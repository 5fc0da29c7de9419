"""Fact differences inside aligned sentence pairs: seed examples, no over-reporting, exact spans, linear cost."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parallax.engine.compare import compare
from parallax.engine.facts import FactDiff, fact_differences
from parallax.engine.facts.whole import FactReader
from parallax.text import plain_document
from tests.engine_seeds import seed_text


def labels(left: str, right: str, kind: str | None = None) -> list[str]:
    """Labels of the differences between two sentences (of one kind if given)."""
    return [d.label for d in fact_differences(left, right) if kind is None or d.kind == kind]


def seed_line(prefix: str, phrase: str) -> str:
    """The one line of a seed that holds the phrase."""
    found = [line for line in seed_text(prefix).splitlines() if phrase in line]
    assert len(found) == 1, found
    return found[0]


def check_spans(left: str, right: str, diffs: list[FactDiff]) -> None:
    """Every diff's spans cut exactly its texts from the given strings."""
    for diff in diffs:
        assert (diff.left is None) == (diff.left_span is None)
        assert (diff.right is None) == (diff.right_span is None)
        assert diff.left is not None or diff.right is not None
        if diff.left_span:
            assert left[diff.left_span[0]:diff.left_span[1]] == diff.left
        if diff.right_span:
            assert right[diff.right_span[0]:diff.right_span[1]] == diff.right
        assert diff.label


# ------------------------------------------------------------------------------------------------ seed examples


def test_more_than_four_years_in_press_tv_and_moscow_times() -> None:
    """Press TV says "four years", The Moscow Times "more than four years" (the sentences the engine pairs)."""
    left = seed_line("002", "first trip abroad in four years")
    right = seed_line("000", "more than four years")
    diffs = fact_differences(left, right)
    assert [d.label for d in diffs if d.kind == "number"] == ["four years → more than four years"]
    assert [d.label for d in diffs if d.kind == "date"] == ["Sunday: only in right"]
    check_spans(left, right, diffs)


def test_tuesday_becomes_monday() -> None:
    """A weekday changed in a Moscow Times sentence is a date difference with exact spans."""
    left = seed_line("000", "Russian media reported Tuesday")
    right = left.replace("Tuesday", "Monday")
    diffs = fact_differences(left, right)
    assert [(d.kind, d.label) for d in diffs] == [("date", "Tuesday → Monday")]
    check_spans(left, right, diffs)


def test_said_becomes_told_reporters() -> None:
    """The National's "Mr Peskov said" against "Mr Peskov told reporters": how, not who, differs."""
    left = seed_line("004", "“It will be a full-fledged visit,” Mr Peskov said.")
    right = left.replace("said", "told reporters")
    diffs = fact_differences(left, right)
    assert [(d.kind, d.label) for d in diffs] == [("attribution", "said → told reporters")]
    check_spans(left, right, diffs)


def test_press_tv_and_the_national_attribute_the_full_fledged_visit_differently() -> None:
    """Press TV's "Kremlin spokesman Dmitry Peskov told Russian media" is The National's "Mr Peskov said"."""
    left = seed_line("002", "“It will be a full-fledged visit,”")
    right = seed_line("004", "“It will be a full-fledged visit,”")
    left = left[:left.index("”") + len(" Kremlin spokesman Dmitry Peskov told Russian media. ") + 1]
    assert labels(left, right) == ["told Russian media → said"]


def test_jo_chun_ryong_only_in_the_national() -> None:
    """The National names Jo Chun Ryong (behind his title); a version without that clause does not."""
    right = seed_line("004", "Jo Chun Ryong, suggests")
    left = right.replace(", with the notable presence of Munitions Industry Department Director Jo Chun Ryong", "")
    diffs = fact_differences(left, right)
    assert [(d.kind, d.label) for d in diffs] == [("name", "Jo Chun Ryong: only in right")]
    check_spans(left, right, diffs)


def test_white_house_warned_is_washington_has_said() -> None:
    """Moscow Times "Washington has said" vs The National "The White House recently warned": same speaker."""
    left = seed_line("000", "pay a price")
    right = seed_line("004", "pay a price")
    assert labels(left, right, "attribution") == ["has said → warned"]
    assert labels(left, right, "name") == []
    assert labels(left, right, "quote") == []


def test_peskov_quote_word_changes_are_reported_inside_the_quote() -> None:
    """The two translations of Peskov's neighbours quote differ word by word inside the quotes."""
    left, right = seed_line("000", "In building our relations"), seed_line("004", "As you know")
    diffs = fact_differences(left, right)
    quotes = [d.label for d in diffs if d.kind == "quote"]
    assert "“neighbors” → “neighbours”" in quotes
    assert "“In building” → “As you know, while implementing”" in quotes
    assert [d.label for d in diffs if d.kind == "attribution"] == ["added → was quoted as saying by Russian media"]
    check_spans(left, right, diffs)


def test_every_paired_seed_row_has_exact_spans() -> None:
    """Across all seed pairs, every fact difference of every paired row indexes its sentences exactly."""
    prefixes = ("000", "002", "003", "004")
    seen = 0
    for a in prefixes:
        for b in prefixes:
            result = compare(plain_document(seed_text(a)), plain_document(seed_text(b)))
            for row in result.rows:
                if row.left and row.right:
                    diffs = fact_differences(row.left, row.right)
                    check_spans(row.left, row.right, diffs)
                    seen += len(diffs)
    assert seen > 10


# ------------------------------------------------------------------------------------------------ each kind


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("A two-day visit.", "A three-day visit.", ["two-day → three-day"]),
    ("Prices rose 5% in a year.", "Prices rose 7% in a year.", ["5% → 7%"]),
    ("The deal is worth $5 million.", "The deal is worth $6 million.", ["$5 million → $6 million"]),
    ("Some 300 people came.", "About 400 people came.", ["Some 300 people → About 400 people"]),
    ("It lasted twenty-five days.", "It lasted 24 days.", ["twenty-five days → 24 days"]),
    ("He brought 3 officials.", "He brought officials.", ["3 officials: only in left"]),
])
def test_number_differences(left: str, right: str, expected: list[str]) -> None:
    """Numbers in words or digits, with qualifiers, percentages, money and hyphenated units."""
    assert labels(left, right, "number") == expected


@pytest.mark.parametrize(("left", "right"), [
    ("It cost 1.5 million dollars.", "It cost $1,500,000."),
    ("He had 4 cats.", "He had four cats."),
    ("Turnout was 5% lower.", "Turnout was 5 per cent lower."),
    ("They stayed 12 days.", "They stayed twelve days."),
    ("It took one-on-one talks.", "It took talks in a one-on-one format."),
    ("About 1,200 people left.", "Around 1,200 residents left."),
])
def test_equal_numbers_written_differently_are_no_difference(left: str, right: str) -> None:
    """The same value in another notation is not a fact that differs."""
    assert labels(left, right, "number") == []


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("They met on Sept. 12.", "They met on September 13.", ["Sept. 12 → September 13"]),
    ("They met in 2019.", "They met in 2023.", ["2019 → 2023"]),
    ("They will meet on Monday.", "They will meet this week.", ["Monday → this week"]),
    ("Russia invaded on February 24, 2022.", "Russia invaded on February 24, 2021.",
     ["February 24, 2022 → February 24, 2021"]),
])
def test_date_differences(left: str, right: str, expected: list[str]) -> None:
    """Dates, years, weekdays and relative days."""
    assert labels(left, right, "date") == expected


@pytest.mark.parametrize(("left", "right"), [
    ("They will meet Monday.", "They will meet on Monday."),
    ("They met on Sept. 12.", "They met on September 12, 2023."),
    ("They met on 12 September.", "They met on September 12th."),
])
def test_same_dates_written_differently_are_no_difference(left: str, right: str) -> None:
    """"Monday" and "on Monday" are one date; a date without its year agrees with the full date."""
    assert fact_differences(left, right) == []


@pytest.mark.parametrize(("left", "right"), [
    ("Putin met Kim in Vladivostok.", "Vladimir Putin met Mr Kim in Vladivostok."),
    ("Mr Putin will visit North Korea soon.", "President Vladimir Putin will visit N. Korea soon."),
    ("Sanctions against DPRK were discussed at length.", "Sanctions against Pyongyang were discussed at length."),
    ("Kim Jong Un arrived.", "Kim Jong-un arrived."),
    ("The U.S. and South Korea held drills.", "The US and South Korea held joint drills."),
    ("Experts say the deal is near.", "Analysts say the deal is near, experts say."),
])
def test_same_people_and_places_are_no_name_difference(left: str, right: str) -> None:
    """Titles, first names and common aliases do not make a different name; sentence-initial words are no names."""
    assert labels(left, right, "name") == []


def test_name_on_one_side_only() -> None:
    """A person named on one side alone, titles stripped."""
    left = "The talks were attended by officials."
    right = "The talks were attended by Defense Minister Sergei Shoigu and officials."
    assert labels(left, right) == ["Sergei Shoigu: only in right"]


def test_quoted_word_changes() -> None:
    """Words that differ inside quotes both sides carry; equal quotes give nothing."""
    left = 'Washington said Pyongyang would "pay a price" for it.'
    right = "Washington said Pyongyang would “pay the price” for it."
    assert labels(left, right) == ["“a” → “the”"]
    assert labels(left, left.replace('"', "“", 1).replace('"', "”", 1)) == []


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("Peskov said the talks went well.", "The Kremlin said the talks went well.",
     ["Peskov said → The Kremlin said"]),
    ("Kim left on Sunday, according to KCNA.", "Kim left on Sunday.", ["according to KCNA: only in left"]),
    ("The visit will be long, said Michael Madden.", "The visit will be long, Michael Madden told Reuters.",
     ["said → told Reuters"]),
    ("“It is normal,” he said.", "“It is normal,” Peskov said.", []),
    ("“We will win,” he told the BBC.", "“We will win,” he told Sky News.", ["told the BBC → told Sky News"]),
])
def test_attribution_differences(left: str, right: str, expected: list[str]) -> None:
    """Who said it and how; a pronoun can be anyone, so 'he said' / 'Peskov said' is no difference."""
    assert labels(left, right, "attribution") == expected


def test_identical_sentences_have_no_differences() -> None:
    """Identical text, even full of facts, gives an empty list."""
    text = seed_line("002", "US State Department spokesperson Matthew Miller said")
    assert fact_differences(text, text) == []
    assert fact_differences("", "") == []


# ------------------------------------------------------------------------------------------------ robustness

_VOCAB = ["Monday", "on", "Tuesday", "Sept.", "12", "September", "2019", "four", "years", "more", "than", "1.5",
          "million", "1,500,000", "$", "%", "per", "cent", "two-day", "Mr", "Putin", "Vladimir", "N.", "Korea",
          "North", "DPRK", "said", "told", "reporters", "according", "to", "KCNA", "the", "Kremlin", "“", "”", '"',
          "he", "Peskov", ",", ".", "İ", "ǅ", "١٢", "\u00a0", "\n", "Jo", "Chun", "Ryong", "Director", "'s", "’"]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_spans_index_arbitrary_unicode(left: str, right: str) -> None:
    """Any unicode text: no exception, and every span cuts its text exactly."""
    check_spans(left, right, fact_differences(left, right))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=40), st.lists(st.sampled_from(_VOCAB), max_size=40),
       st.sampled_from([" ", "", "\t"]))
def test_spans_index_fact_dense_text(left: list[str], right: list[str], glue: str) -> None:
    """Text dense with fact words in every arrangement: no exception, exact spans, identical text has none."""
    a, b = glue.join(left), glue.join(right)
    check_spans(a, b, fact_differences(a, b))
    assert fact_differences(a, a) == []


# ------------------------------------------------------------------------------------------------ cost


def _cpu(action: Callable[[], object], repeat: int = 3) -> float:
    """Best CPU time of an action over a few runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        action()
        best = min(best, time.process_time() - start)
    return best


HOSTILE: dict[str, Callable[[int], tuple[str, str]]] = {
    "digits": lambda n: ("1" * n, "2" * n),
    "spaced numbers": lambda n: (" ".join(["123"] * (n // 4)), " ".join(["four years"] * (n // 11))),
    "capitalised words": lambda n: (" ".join(f"Alpha{i % 13}" for i in range(n // 7)),
                                    " ".join(f"Beta{i % 7} Mr" for i in range(n // 10))),
    "attributions": lambda n: (" ".join(["Peskov said"] * (n // 12)),
                               " ".join(["the Kremlin told Reuters"] * (n // 25))),
    "dates and quotes": lambda n: (" ".join(['Sept. 12 "a b"'] * (n // 15)), " ".join(["Monday “a c”"] * (n // 13))),
    "hyphenated name": lambda n: ("A" + "-B" * (n // 2), "C" + "-D" * (n // 2)),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_long_input_is_linear(kind: str) -> None:
    """A 100 KB sentence stays within a CPU budget, and 4x the input costs about 4x (quadratic would be 16x)."""
    make = HOSTILE[kind]
    big = make(100_000)
    assert _cpu(lambda: fact_differences(*big), repeat=1) < 3.0
    small, large = make(10_000), make(40_000)
    assert _cpu(lambda: fact_differences(*large)) < 8 * _cpu(lambda: fact_differences(*small)) + 0.05


def test_possessive_ends_a_name() -> None:
    """"Russia’s Vladimir Putin" is two names, so the other side's "Putin" matches the person, not the country."""
    left = "Talks with Russia’s Vladimir Putin went on."
    right = "Talks with Putin went on."
    assert labels(left, right) == ["Russia: only in left"]


# ------------------------------------------------------------------------------------------ decomposed accents

NFC_SENTENCE = "Le président Müller a déclaré à Genève que 3 soldats sont partis, « selon Müller »."


@pytest.mark.parametrize("form", ["NFD", "NFKD"])
def test_decomposed_accents_state_no_difference(form: Literal["NFD", "NFKD"]) -> None:
    """The same sentence in NFC and with decomposed accents ("Mu\u0308ller") has no name, quote or number fact."""
    decomposed = unicodedata.normalize(form, NFC_SENTENCE)
    assert decomposed != NFC_SENTENCE
    assert fact_differences(NFC_SENTENCE, decomposed) == []
    assert fact_differences(decomposed, NFC_SENTENCE) == []


def test_decomposed_accents_keep_real_differences_with_exact_spans() -> None:
    """A decomposed side still reports what differs, its spans cutting the decomposed text exactly."""
    left = unicodedata.normalize("NFD", "Müller met Schröder in Genève on Monday.")
    right = "Müller met Ségolène in Genève on Tuesday."
    diffs = fact_differences(left, right)
    check_spans(left, right, diffs)
    assert [(d.kind, d.left, d.right) for d in diffs] == [
        ("date", "Monday", "Tuesday"), ("name", unicodedata.normalize("NFD", "Schröder"), None),
        ("name", None, "Ségolène")]


# ------------------------------------------------------------------------------------------ people by pronoun

@pytest.mark.parametrize(("left", "right"), [
    ("He met Putin on Tuesday.", "Kim met Putin on Tuesday."),
    ("Putin met him on Tuesday.", "Putin met Kim on Tuesday."),
    ("The North Korean leader will meet Putin.", "North Korean leader Kim Jong-un will meet Putin."),
    ("She was quoted by the agency.", "Ms Zakharova was quoted by the agency."),
])
def test_person_called_he_or_by_role_is_no_name_difference(left: str, right: str) -> None:
    """A person one side names and the other calls "he" or "the North Korean leader" is one person."""
    assert labels(left, right, "name") == []
    assert labels(right, left, "name") == []


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("He met Putin.", "Shoigu and Kim met Putin.", ["Shoigu: only in right", "Kim: only in right"]),
    ("He said Kim left.", "He said Kim left Pyongyang.", ["Pyongyang: only in right"]),
    ("He arrived.", "He arrived at the Eastern Economic Forum.", ["Eastern Economic Forum: only in right"]),
    ("North Korean leader Kim Jong-un will meet Putin.", "North Korean leader Kim will meet Putin.", []),
])
def test_pronoun_does_not_hide_names_it_cannot_stand_for(left: str, right: str, expected: list[str]) -> None:
    """Two names for one "he", a pronoun both sides use, and names of events or places stay reported."""
    assert labels(left, right, "name") == expected


def test_seed_pair_kim_called_he_reports_only_real_name_differences() -> None:
    """Press TV's "Kim … left for Russia from Pyongyang" against The National's "He “left here …”": Kim is no
    difference, the party the two outlets name is."""
    left = seed_line("002", "According to North Korea’s official KCNA news agency, Kim")
    right = seed_line("004", "He “left here by his train")
    found = labels(left, right, "name")
    assert "Kim: only in left" not in found
    assert "Communist Party: only in right" in found


# ------------------------------------------------------------------------------------- attribution wording only

def test_speaker_both_sides_name_is_no_one_sided_attribution() -> None:
    """Press TV's "Peskov downplayed …, saying “…”" against The National's "…,” Mr Peskov was quoted as saying by
    Russian media": both attribute the quote to Peskov, so only the way of saying it is one-sided."""
    left = seed_line("002", "Peskov downplayed US")
    right = seed_line("004", "Mr Peskov was quoted as saying")
    diffs = [d for d in fact_differences(left, right) if d.kind == "attribution"]
    check_spans(left, right, diffs)
    assert [d.label for d in diffs] == ["was quoted as saying by Russian media: only in right"]
    assert labels(right, left, "attribution") == ["was quoted as saying by Russian media: only in left"]


def test_speaker_the_other_side_does_not_name_stays_one_sided() -> None:
    """Who said it is one-sided when the other side does not name that speaker at all."""
    assert labels("Kim left on Sunday, according to KCNA.", "Kim left on Sunday.", "attribution") == [
        "according to KCNA: only in left"]
    assert labels("The visit is long, Peskov said.", "The visit is long, Putin thinks.", "attribution") == [
        "Peskov said: only in left"]


# ------------------------------------------------------------------------------------- noise in real news sentences

#: The National (bundled corpus, kim-putin-2023) calls North Korea "the North".
THE_NORTH = ("Washington and its allies have expressed concern at recent signs of closer military cooperation between "
             "Russia and the nuclear-armed North.")
#: The Week (bench/data/real/versions/theweek-ukraine-war-update) names North Korea in full.
NORTH_KOREA = ('On the other hand, Russia "makes most of its own weapons" and is "buying drones from Iran and '
               'ammunition from North Korea" with no limitations on how they are used.')


def test_part_of_a_longer_name_the_other_side_carries_is_no_fact() -> None:
    """"The North" is part of the other side's "North Korea" (an alias-keyed name): neither is a fact one side alone
    states, in a pair of sentences or against a whole text."""
    assert labels(THE_NORTH, NORTH_KOREA, "name") == ["Washington: only in left", "Iran: only in right"]
    read = FactReader([THE_NORTH], [NORTH_KOREA], ("The National", "The Week"))
    assert [d.label for d in read.one_sided(THE_NORTH, 0) if d.kind == "name"] == ["Washington: only in The National"]
    assert [d.label for d in read.one_sided(NORTH_KOREA, 1) if d.kind == "name"] == ["Iran: only in The Week"]


def test_name_joined_by_and_the_is_two_names() -> None:
    """The National's "North Korea and the UN Security Council" is two names: only the council is missing from The
    Week's sentence naming North Korea."""
    left = ("Discussions could also include humanitarian aid to North Korea and the UN Security Council resolutions "
            "imposed against Pyongyang, Russian officials said.")
    assert labels(left, NORTH_KOREA, "name") == ["UN Security Council: only in left", "Iran: only in right"]


#: CNN and USA Today on Putin ordering troops into eastern Ukraine (bench/data/real/cross/e00-…-n15).
CNN_DECREES = ("US President Joe Biden then signed an executive order prohibiting new investment, trade and financing "
               "by US persons to, from, and in the “so-called Donetsk People’s Republic or Luhansk People’s Republic "
               "regions.”")
USA_TODAY_ORDER = ("It came as President Joe Biden signed an executive order to sanction any Americans who invest in "
                   "the eastern Ukraine regions of Donetsk and Luhansk, the two breakaway areas that Putin recognized "
                   "as independent.")


def test_peoples_republic_is_one_name_not_republic() -> None:
    """"Donetsk People’s Republic" is not cut at its possessive into a name "Republic" the other side lacks, and
    "Americans" is a nationality, not a name."""
    found = labels(CNN_DECREES, USA_TODAY_ORDER, "name")
    assert found == ["Ukraine: only in right", "Putin: only in right"]


def test_adjective_made_of_a_name_is_no_name() -> None:
    """CNN's "Moscow-backed regions" against USA Today's "Russian-backed areas" (e00-…-n15): no name differs."""
    left = ("Russian President Vladimir Putin has ordered troops into separatist-held parts of eastern Ukraine in what "
            "the Kremlin called a “peacekeeping” mission, just hours after he signed decrees recognizing the "
            "independence of the Moscow-backed regions.")
    right = ("Russian President Vladimir Putin ordered troops Monday to \"maintain peace\" in two separatist "
             "territories in eastern Ukraine shortly after recognizing the Russian-backed areas as independent, "
             "stoking fears that a Russian invasion could be coming soon.")
    assert labels(left, right, "name") == []


@pytest.mark.parametrize(("left", "right", "expected"), [
    # Reuters/CNN and USA Today on the Great Barrier Reef (e11-…-n01): "around one third" is a share, not "one".
    ("An AIMS survey of 87 reefs found that between August 2021 and May 2022, average hard coral cover in the upper "
     "region and central areas of the reef increased by around one third.",
     "Among the 87 reefs surveyed for the latest report, average hard coral cover in the north increased to 36%, up "
     "from 27% in 2021, and to 33% in the central reef from 26% last year.",
     ["36%: only in right", "27%: only in right", "33%: only in right", "26%: only in right"]),
    # CNN and USA Today on the air-quality report (e16-…-n06): "at least one form" is no count.
    ("They were 61% more likely than White people to live in a county with a failing grade for at least one form of "
     "pollution and 3.6 times more likely to live in a county that fails for all three forms measured: year-round "
     "particle pollution, short-term particle pollution and ozone.",
     "The rankings are based on three categories: ozone pollution, year-round particle pollution and short-term "
     "exposure particle pollution over 24 hours.",
     ["61% → over 24 hours", "3.6 times: only in left"]),
])
def test_vague_one_is_no_number(left: str, right: str, expected: list[str]) -> None:
    """"around one third", "at least one": vague quantities are not read as the number one."""
    assert labels(left, right, "number") == expected
