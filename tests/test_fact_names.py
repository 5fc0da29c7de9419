"""Names on real news: a party's or a group's adjective is no name, and a table row of places is several names."""

from __future__ import annotations

from parallax.engine.facts import fact_differences

#: The air-quality report's table of the best countries and regions, one line without commas (USA Today,
#: bench/data/real/cross e14-…-n04).
BEST_TABLE = "New Caledonia U.S Virgin Islands Puerto Rico Cape Verde Saba Finland Grenada Bahamas Australia Estonia"


def names(left: str, right: str) -> list[str]:
    """Labels of the names one sentence has and the other lacks."""
    return [d.label for d in fact_differences(left, right) if d.kind == "name"]


def test_party_adjective_is_no_name() -> None:
    """"the Democratic primary" against "the primary": no name differs (a party's adjective says which side)."""
    assert names("Maxwell Frost won the Democratic primary for Florida's 10th district on Tuesday.",
                 "Maxwell Frost won the primary for Florida's 10th district on Tuesday.") == []
    assert names("A Republican senator blocked the bill.", "A senator blocked the bill.") == []


def test_party_name_stays_a_name() -> None:
    assert names("The Democratic Party chose Frost on Tuesday.", "The party chose Frost on Tuesday.") == [
        "Democratic Party: only in left"]


def test_colour_of_a_group_of_people_is_no_name() -> None:
    """"White voters", "White people": a group of people, not someone called White."""
    assert names("He showed he could win White voters across the state.",
                 "He showed he could win voters across the state.") == []
    assert names("They were 61% more likely than White people to live in a failing county.",
                 "They were 61% more likely to live in a failing county.") == []
    assert names("The poll found Black Americans were hit hardest.", "The poll found families were hit hardest.") == []


def test_surname_white_stays_a_name() -> None:
    assert names("Kim met White, the coach, on Monday.", "Kim met the coach on Monday.") == ["White: only in left"]


def test_table_row_of_places_is_several_names() -> None:
    """A comma-less row of places is read word by word: the places both sides name are not reported, the others
    are, each on its own."""
    found = names(BEST_TABLE, "Finland, Estonia, Australia and the Bahamas ranked among the best.")
    reported = [label.split(":")[0] for label in found]
    assert "Grenada" in reported and "Saba" in reported
    assert not {"Finland", "Estonia", "Australia", "Bahamas"} & set(reported)
    assert all(len(name.split()) == 1 for name in reported)
