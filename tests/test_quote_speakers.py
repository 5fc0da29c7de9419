"""Quote speakers on real sentences: the quote's own sentence names the speaker first; organisations stay whole."""

from __future__ import annotations

import hashlib

import pytest

from parallax.corpus import Source
from parallax.story import quotes


def speakers(body: str) -> list[tuple[str, str | None]]:
    """(first words, speaker) of every quote of at least MIN_QUOTE_WORDS words in a one-source body."""
    source = Source(id="t", story="s", format="text", body=body + "\n", path="t.txt",
                    sha256=hashlib.sha256(body.encode()).hexdigest(), outlet="T")
    return [(" ".join(q.text.split()[:3]), q.speaker) for q in quotes.extract(source)
            if q.words >= quotes.MIN_QUOTE_WORDS]


@pytest.mark.parametrize(("body", "speaker"), [
    # USA Today, ICE protests live page: not "Homeland Security".
    ('"DHS has become aware of 4 detainees at the privately held Delaney Hall Detention Facility escaping," the '
     "Department of Homeland Security said in an emailed statement to USA TODAY.", "Department of Homeland Security"),
    # USA Today, Russia invades Ukraine: not "Seven".
    ('G-7 LEADERS RESPOND: "This has fundamentally changed the Euro-Atlantic security situation," the Group of Seven '
     "said in a statement issued at midday.", "Group of Seven"),
    # The museum's own words: not "Space Museum".
    ("“Free timed-entry passes are required to visit,” the National Air and Space Museum said.",
     "National Air and Space Museum"),
    # USA Today, measles: the title's full stop does not end the name.
    ("“Measles is the tip of the iceberg,” said Dr. Daniel Kuritzkes, chief of the infectious diseases division at "
     "Brigham and Women’s Hospital and a professor at Harvard Medical School.", "Daniel Kuritzkes"),
])
def test_organisations_and_titled_names_stay_whole(body: str, speaker: str) -> None:
    assert [s for _, s in speakers(body)] == [speaker]


@pytest.mark.parametrize(("body", "speaker"), [
    # CNN, Putin orders troops: the name before the verb, words after it, then the quote.
    ("Biden said last month that “if any assembled Russian units move across Ukrainian border, that is an "
     "invasion” and would be met with a “severe and coordinated economic response.”", "Biden"),
    # CNN: a role after the verb, then the name and where it was said.
    ("“These are among the darkest hours for Europe since the end of World War II. A major nuclear power has "
     "attacked a neighbor country and is threatening reprisals of any other states that may come to rescue,” said "
     "EU foreign policy chief Josep Borrell in Brussels.", "Josep Borrell"),
    # CNN: a spokesperson of a named body.
    ("“We plan to announce new sanctions on Russia tomorrow in response to Moscow’s decisions and actions today,” "
     "a White House spokesperson confirmed late Monday night.", "White House spokesperson"),
    # The Moscow Times, bundled: told whom, then a colon, then the quote.
    ("Kremlin spokesman Dmitry Peskov told Russian media: “The two leaders will discuss sensitive subjects.”",
     "Dmitry Peskov"),
])
def test_the_quotes_own_sentence_names_its_speaker(body: str, speaker: str) -> None:
    assert speakers(body)[0][1] == speaker


def test_a_quote_continuing_the_speaker_keeps_them_and_a_day_is_no_speaker() -> None:
    """The second quote of the White House paragraph is the spokesperson's; "said Tuesday" names nobody."""
    body = ("“We plan to announce new sanctions on Russia tomorrow in response to Moscow’s decisions and actions "
            "today,” a White House spokesperson confirmed late Monday night. “We are coordinating with Allies and "
            "partners on that announcement.”")
    assert [s for _, s in speakers(body)] == ["White House spokesperson"] * 2
    assert speakers("“We will not stand for this at all,” said Tuesday.") == [("We will not", None)]
