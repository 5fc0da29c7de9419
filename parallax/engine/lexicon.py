"""The words of English that the fact and quote readers know: quote marks, speech verbs, titles, name patterns.

The fact differences (``parallax.engine.facts``), the quote tracker (``parallax.story.quotes``) and the
comparison summary (``parallax.story.summary``) read quotations, speakers and names with these lists and
patterns, so a language is taught to all of them in one place.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# ---------------------------------------------------------------------------------------------------- quote marks

#: Curly, angle and corner marks that open a quotation (English “…”, Russian «…» and „…“, Chinese and Japanese
#: 「…」 and 『…』).
OPEN_QUOTES = "“„«「『"
#: Curly, angle and corner marks that close one.
CLOSE_QUOTES = "”»」』"
#: An opening mark whose quotation a mark that otherwise opens closes: „…“ (German, Russian inner quotes).
CLOSED_BY = {"„": "“”"}
#: The straight mark: it opens unless it follows a letter or digit, and closes whatever is open.
STRAIGHT_QUOTE = '"'
#: Every quote mark, for a quick test of whether a text can hold a quotation.
QUOTE_MARKS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTE
_QUOTE_MARK_RE = re.compile(f"[{QUOTE_MARKS}]")


class QuoteSpan(NamedTuple):
    """A quoted span: offsets of its text (marks excluded) and whether a closing mark ended it."""

    start: int
    end: int
    closed: bool


def quote_spans(text: str) -> list[QuoteSpan]:
    """Quoted spans of a text; curly and straight marks; an unclosed quote runs to the text's end (or to the next
    opening mark). Only the marks are visited, so a long text without quotes costs one scan in C."""
    spans: list[QuoteSpan] = []
    start: int | None = None
    opener = ""
    for mark in _QUOTE_MARK_RE.finditer(text):
        index, char = mark.start(), mark.group(0)
        if start is None:
            if char in OPEN_QUOTES or (char == STRAIGHT_QUOTE and (index == 0 or not text[index - 1].isalnum())):
                start, opener = index + 1, char
        elif char in CLOSE_QUOTES or char == STRAIGHT_QUOTE or char in CLOSED_BY.get(opener, ""):
            spans.append(QuoteSpan(start, index, True))
            start = None
        else:
            spans.append(QuoteSpan(start, index, False))
            start, opener = index + 1, char
    if start is not None:
        spans.append(QuoteSpan(start, len(text), False))
    return [s for s in spans if text[s.start:s.end].strip()]


# ---------------------------------------------------------------------------------------------------- speech verbs

#: Verbs that report speech ("Peskov said", "said Madden", "he warned"): the quote tracker attributes quotes by
#: them and the summary finds speakers with them.
SPEECH_VERBS = ("said", "says", "say", "told", "tells", "added", "adds", "warned", "warns", "stated", "states",
                "noted", "notes", "reported", "reports", "explained", "insisted", "stressed", "wrote", "writes",
                "asked", "asks", "continued", "declared", "replied", "claimed", "argued", "announced", "confirmed",
                "quoted", "commented", "emphasized", "emphasised", "remarked", "urged", "recalled")
#: The same verbs as a regular-expression alternation.
SPEECH_VERB_PATTERN = "|".join(SPEECH_VERBS)
#: Other words that introduce a source ("according to", "cited by").
SOURCE_WORDS = frozenset({"according", "cited"})

# ---------------------------------------------------------------------------------------------------- names

#: Upper-case letters a name may start with (Latin script with accents).
UPPER = "A-ZÀ-ÖØ-Þ"
#: A capitalised word or initials ("Kim", "U.S.", "J. R."): the unit of a name.
CAP_WORD = rf"(?:(?:[{UPPER}]\.){{1,4}}(?=\s+[{UPPER}])|(?:[{UPPER}]\.){{2,4}}|[{UPPER}][\w’'\-]*)"
#: Lower-case words inside names ("Bank of England", "Ursula von der Leyen"); "and the" joins two names ("North
#: Korea and the UN Security Council"), not the words of one.
NAME_CONNECTORS = r"(?:of|de|da|del|van|von|bin|al|el|du|der|la|le|of\s+the)"
#: A speaker's name: a capitalised word and at most four more name words. The bound keeps matching linear:
#: unbounded, a run of n capitalised words with no speech verb after it was re-tried from every word start, O(n²).
#: Each word is at most 40 characters for the same reason: tried from every capital of one 32 KB word ("AAAA…",
#: "U.S.U.S.…"), an unbounded word took a minute.
SPEAKER_NAME = r"(?:[A-Z][\w’'.\-]{0,40})(?:\s+(?:[A-Z][\w’'\-]{0,40}|de|van|von|bin|al)){0,4}"
#: A word of a name kept whole: initials ("U.S.") or a capitalised word ("Peskov", "CNN’s", "NOLA.com"), at most
#: 40 characters and only ever whole (never from inside a word, never cut short), so matching stays linear on any
#: text: a run of 200,000 capitals is tried once, not from every letter.
NAME_WORD = (rf"(?<![\w’'&.\-])(?:(?:[{UPPER}]\.){{2,4}}|(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|St)\."
             rf"(?=[ \t]+[{UPPER}])|[{UPPER}][\w’'&\-]{{0,40}}(?:\.(?:com|org|net|gov)\b)?)(?![\w’'&\-])")
#: Lower-case words inside a name kept whole ("Centers for Disease Control and Prevention", "National Air and
#: Space Museum", "Department of the Interior"); "the" only after another ("In February the State Department" is
#: two names).
WHOLE_NAME_CONNECTORS = r"(?:of|and|for|de|da|del|du|des|van|von|der|bin|al|la|le|&)(?:[ \t]+the)?"
#: A name kept whole: capitalised words on one line joined by those connectors, at most eight capitalised words,
#: taken whole (possessive: never backtracked into, so a run of capitals costs linear time). ``name_parts`` cuts
#: names joined by "and" back apart.
WHOLE_NAME = rf"{NAME_WORD}(?:[ \t]+(?:{WHOLE_NAME_CONNECTORS}[ \t]+){{0,2}}{NAME_WORD}){{0,7}}+"
#: Words that make a name joined by "and" one organisation ("National Air and Space Museum") rather than two names
#: ("Putin and Kim").
ORGANISATION_WORDS = frozenset("""museum museums center centre centers centres service services department agency
institute institution university college school association council commission committee ministry office
administration bureau prevention foundation society organization organisation board authority group company
corporation bank fund court party union forces force network press news times post space research studies
development security science sciences technology health human rights affairs control survey trust laboratory
hospital church republic federation coalition alliance league club reserve exchange media sport
culture""".replace("\n", " ").split(" "))


def name_parts(name: str) -> list[str]:
    """The names in a whole name: one organisation ("National Air and Space Museum") stays one; names joined by
    "and" ("Putin and Kim", "Reuters and AP") are cut apart."""
    words = (w.casefold().removesuffix("’s").removesuffix("'s") for w in name.split())
    if " and " not in name or any(w in ORGANISATION_WORDS for w in words):
        return [name]
    return [part.strip() for part in name.split(" and ") if part.strip()]


#: Titles and roles before a name: dropped from a name, so "Mr Peskov" and "Dmitry Peskov" are one person.
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "president", "comrade", "sir", "dame",
                    "lord", "lady", "king", "queen", "prince", "princess", "pope", "premier", "minister",
                    "secretary", "director", "spokesman", "spokeswoman", "spokesperson", "chairman",
                    "chairwoman", "chancellor", "governor", "mayor", "senator", "sen", "rep", "ambassador", "gen",
                    "admiral", "colonel", "col", "lt", "captain", "capt", "commander", "judge", "sheikh", "leader"})
#: Forms of address the quote tracker drops before a speaker's name (a role such as "minister" stays: it may be
#: the only name a quote has).
ADDRESS_TITLES = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "president", "comrade", "sir",
                            "prof", "prof."})
#: Words that start sentences without being names.
SENTENCE_STARTERS = frozenset("""a an the this that these those he she it they we i you his her its their our my your
but and or so yet if as at in on of for from to by with without after before while when where why how what who
which there here then than also earlier later meanwhile however although though because since until both each
every all some many most few no not nor one another such other others only even still just now today yesterday
tomorrow last next according asked speaking commenting despite amid under over about around between during
against into onto upon through across along among beyond following including instead once unlike whether
ms mr mrs dr""".replace("\n", " ").split(" "))
#: Capitalised words before a speech verb that are not a speaker's name.
NOT_SPEAKER_NAMES = frozenset({"he", "she", "it", "they", "we", "i", "you", "the", "this", "that", "but", "and", "a",
                               "an", "there", "his", "her", "its", "their", "on", "in", "as", "after", "earlier",
                               "later", "then"})
_ALIAS_GROUPS = {
    "north korea": ("north korea", "n korea", "n. korea", "dprk", "d.p.r.k.", "pyongyang",
                    "democratic people’s republic of korea", "democratic people's republic of korea"),
    "south korea": ("south korea", "s korea", "s. korea", "rok", "seoul", "republic of korea"),
    "russia": ("russia", "russian federation", "the russian federation", "moscow", "kremlin", "the kremlin"),
    "united states": ("us", "u.s.", "usa", "u.s.a.", "united states", "the united states", "america",
                      "washington", "united states of america", "white house", "the white house"),
    "united kingdom": ("uk", "u.k.", "britain", "great britain", "united kingdom", "london"),
    "china": ("china", "prc", "beijing", "people’s republic of china", "people's republic of china"),
    "ukraine": ("ukraine", "kyiv", "kiev"),
    "united nations": ("un", "u.n.", "united nations"),
    "european union": ("eu", "e.u.", "european union", "brussels"),
    "kcna": ("kcna", "korean central news agency"),
    "ria novosti": ("ria", "ria novosti"),
}
#: Alias table: a folded name → the one key its aliases share ("N. Korea", "DPRK" and "Pyongyang" → north korea).
ALIASES = {alias: "@" + key for key, aliases in _ALIAS_GROUPS.items() for alias in aliases}
#: Adjectives of nationality: they match the country's names but are never reported themselves.
DEMONYMS = {"russian": "@russia", "north korean": "@north korea", "south korean": "@south korea",
            "american": "@united states", "ukrainian": "@ukraine", "chinese": "@china", "british": "@united kingdom"}
