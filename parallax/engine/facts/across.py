"""Facts of two sentences in different languages: numbers, dates and names compared across languages and scripts.

A translation words everything differently, so only what carries the same value in any language is compared:
numbers (digits of any script, a decimal comma, thousands written with spaces, scale words such as "тыс.", "млн",
"万", "억", number words of English and Russian), dates (month and weekday names, "12 декабря", "12月12日",
"12월 12일", years, yesterday/today/tomorrow) and names (read by capitals where a script has them, transliterated
with anyascii and keyed by their first letters folded, so "Ким Чен Ын" is "Kim Jong Un" and "Новой Каледонии" is
"New Caledonia"). English text is read by the English readers; every other language by the tables here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from anyascii import anyascii

from parallax.engine.facts.dates import date_mentions, dates_agree
from parallax.engine.facts.foreign import (
    ARABIC_MONTHS,
    CJK_SCALE_CHARS,
    DATE_PATTERNS,
    DAY_WORD_PATTERN,
    ENGLISH_EXONYMS,
    ENGLISH_PHRASES,
    EXONYMS,
    MONTH_STEMS,
    NUMBER_WORDS,
    RELATIVE_DAYS,
    SCALE_WORDS,
    WEEKDAYS,
)
from parallax.engine.facts.mention import FactDiff, Mention
from parallax.engine.facts.names import name_mentions
from parallax.engine.facts.numbers import number_mentions
from parallax.engine.facts.pairing import pair_leftovers
from parallax.languages import primary
from parallax.model import FactKind

#: Consonants of a transliterated name word that key it ("Kaledonii" and "Caledonia" are both "kldn", "Байден"
#: and "Biden" "bdn"): vowels are what transliterations and case endings change most.
NAME_KEY_LETTERS = 4
#: Languages writing a decimal comma ("96,5%") and grouping thousands with spaces ("20 000").
DECIMAL_COMMA = frozenset({"ru", "uk", "be", "bg", "de", "fr", "es", "it", "pt", "pl", "nl", "tr", "cs", "sk", "ro",
                           "sv", "da", "no", "fi", "hu", "id", "vi", "el", "sr", "hr", "fa", "az", "kk"})

_NUMBER_RE = re.compile(
    r"(?<![\dA-Za-z.,٫])(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])(?:[.,٫]\d+)?|\d+(?:[.,٫٬]\d+)*)"
    r"(?:[ \u00a0]?(?P<scale>(?:" + "|".join(sorted((w for w in SCALE_WORDS if len(w) > 1), key=len, reverse=True))
    + r")(?![^\W\d_])\.?|[" + "".join(w for w in SCALE_WORDS if len(w) == 1) + "]))?"
    r"(?:[ \u00a0]?(?P<pct>[%％٪]|процент\w*|퍼센트|درصد))?")
_WORD_RE = re.compile(r"[^\W\d_]+")

_FOLD = (("dzh", "j"), ("zh", "j"), ("sch", "sh"), ("ts", "z"), ("kh", "h"), ("ph", "f"), ("th", "t"), ("ck", "k"),
         ("c", "k"), ("q", "k"),
         ("w", "v"), ("b", "v"), ("x", "ks"))
#: Scripts without capital letters: names cannot be told from other words there (Latin words inside still count).
_CASELESS = frozenset({"zh", "ja", "ko", "ar", "fa", "he", "hi", "th", "ur", "ps"})
_ADJECTIVE_ENDINGS = ("an", "ch", "sh", "ese", "ic", "ern", "i")
#: Endings of Russian adjectives: an organisation's name capitalises its first word only ("Высшего совета").
_ADJECTIVE_FORMS = ("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему", "ых", "их",
                    "ую", "юю", "ым", "им", "ом", "ем")
_WORD_RUN_RE = re.compile(r"[^\W\d_][\w.’'\-]*")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?…:;»”\"]\s+|[\n\r]\s*)[«„“\"'(\[—–-]*\s*$")


def fold_name_word(word: str) -> str:
    """A name word's key: transliterated, folded to how its sound is most often spelt, its first consonants."""
    text = anyascii(word).casefold()
    for old, new in _FOLD:
        text = text.replace(old, new)
    text = re.sub(r"[^a-z]|[aeiouy]", "", text)
    text = re.sub(r"(.)\1+", r"\1", text)
    return text[:NAME_KEY_LETTERS]


def _english(language: str) -> bool:
    return primary(language) == "en"


# ---------------------------------------------------------------------------------------------------- numbers


def _value(raw: str, language: str) -> float | None:
    """The value of a digit string as the language writes numbers, None when it cannot be read."""
    text = raw.replace("\u00a0", " ").replace("\u202f", " ").replace("٬", "").replace("٫", ".")
    if " " in text:
        text = text.replace(" ", "")
    if "," in text:
        groups = text.split(",")
        thousands = all(len(g) == 3 for g in groups[1:]) and "." not in text
        if primary(language) in DECIMAL_COMMA and len(groups) == 2:
            thousands = False
        text = text.replace(",", "") if thousands else text.replace(",", ".", 1).replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def number_marks(text: str, language: str, skip: Sequence[tuple[int, int]] = ()) -> list[Mention]:
    """Numbers of a text in any language, keyed by their value (a percentage keyed apart)."""
    if _english(language):
        return [Mention(m.start, m.end, m.text, (m.key[1], m.key[2] == "%"))
                for m in number_mentions(text, skip)]
    found: list[Mention] = []
    for match in _NUMBER_RE.finditer(text):
        if any(a < match.end("num") and match.start("num") < b for a, b in skip):
            continue
        value = _value(match["num"], language)
        if value is None:
            continue
        if match["scale"]:
            value *= SCALE_WORDS[match["scale"].casefold().rstrip(".")]
        previous = found[-1] if found else None
        if (previous is not None and previous.text[-1:] in CJK_SCALE_CHARS
                and not text[previous.end:match.start()].strip()
                and previous.key[0] > value and not previous.key[1]):  # "12조 3천억": one number, 12.3 trillion
            value += previous.key[0]
            found[-1] = Mention(previous.start, match.end(), text[previous.start:match.end()].rstrip(),
                                (float(f"{value:.9g}"), bool(match["pct"])))
            continue
        found.append(Mention(match.start(), match.end(), match.group(0).rstrip(), (float(f"{value:.9g}"),
                                                                                   bool(match["pct"]))))
    for match in _WORD_RE.finditer(text):
        value = NUMBER_WORDS.get(match.group(0).casefold())
        if value is not None:
            found.append(Mention(match.start(), match.end(), match.group(0), (value, False)))
    return sorted(found)


# ---------------------------------------------------------------------------------------------------- dates


def _month_number(word: str) -> int:
    folded = word.casefold()
    if folded in ARABIC_MONTHS:
        return ARABIC_MONTHS[folded]
    return next(n for stem, n in sorted(MONTH_STEMS.items(), key=lambda item: -len(item[0]))
                if folded.startswith(stem))


def date_marks(text: str, language: str) -> list[Mention]:
    """Dates of a text in any language, keyed as the English reader keys them: ("date", month, day, year),
    ("weekday", name) or ("relative", "yesterday")."""
    if _english(language):
        return [m for m in date_mentions(text)
                if m.key[0] != "relative" or m.key[1] in ("yesterday", "today", "tomorrow")]
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if match.end() <= match.start() or any(a < match.end() and match.start() < b for a, b in taken):
                continue
            groups = match.groupdict()
            month = groups.get("month")
            number = (int(month) if month.isdigit() else _month_number(month)) if month else None
            key: tuple[Any, ...] = ("date", number, int(groups["day"]) if groups.get("day") else None,
                                    groups.get("year"))
            if key[1:] == (None, None, None):
                continue
            taken.append(match.span())
            found.append(Mention(match.start(), match.end(), match.group(0).strip(), key, "date"))
    for match in DAY_WORD_PATTERN.finditer(text):
        word = match["word"].casefold()
        if word in RELATIVE_DAYS:
            key = ("relative", RELATIVE_DAYS[word])
        else:
            key = ("weekday", next(day for stem, day in WEEKDAYS.items() if word.startswith(stem)))
        found.append(Mention(match.start(), match.end(), match.group(0), key, key[0]))
    return sorted(found)


# ---------------------------------------------------------------------------------------------------- names


@lru_cache(maxsize=4096)
def _ordinary(word: str, language: str) -> bool:
    """Whether a capitalised word at a sentence's start is an ordinary word of its language (lower-case lemma)."""
    import simplemma  # imported when a fact is first read: its import compiles hundreds of rules

    folded = word.casefold()
    try:
        if not simplemma.is_known(folded, lang=language):
            return False
        return simplemma.lemmatize(folded, lang=language)[:1].islower()
    except ValueError:  # a language simplemma does not know
        return False


def _exonym(word: str) -> str | None:
    """The country key of a word of another language naming a country or its capital ("России", "США")."""
    folded = word.casefold()
    return next((key for stem, key in EXONYMS.items() if folded.startswith(stem) and (len(stem) > 3 or folded == stem)),
                None)


def _name_key(words: Sequence[str], english: bool) -> frozenset[str]:
    """The keys of a name's words (a country or capital by its one key)."""
    keys: set[str] = set()
    if english:
        phrase = " ".join(w.casefold().removesuffix("’s").removesuffix("'s") for w in words)
        found = [key for name, key in ENGLISH_PHRASES.items() if name in phrase]
        if found:
            keys.update(found)
            words = [w for w in words if not any(w.casefold().strip(".,’'s") in name.split()
                                                 for name in ENGLISH_PHRASES if ENGLISH_PHRASES[name] in found)]
    for word in words:
        folded = word.casefold().removesuffix("’s").removesuffix("'s")
        if english:
            alias = ENGLISH_EXONYMS.get(folded) if len(folded) > 2 or word.isupper() else None
        else:
            alias = _exonym(word)
        if alias:
            keys.add(alias)
            continue
        keys.update(key for key in map(fold_name_word, re.split(r"[.\-]", folded)) if len(key) >= 2)
    return frozenset(keys)


def name_marks(text: str, language: str) -> list[Mention]:
    """Names of a text in any language, keyed by their words' transliterated keys (quiet nationality adjectives
    of English text keep their country's key but are never reported)."""
    english = _english(language)
    if english:
        return [Mention(m.start, m.end, m.text, _name_key(m.text.split(), True),
                        "quiet" if m.group == "quiet" or not _reportable(m.text, "en") else "")
                for m in name_mentions(text) if _name_key(m.text.split(), True)]
    lang = primary(language)
    found: list[Mention] = []
    runs: list[list[tuple[int, str, bool]]] = [[]]  # (start, word, at a sentence's start)
    for match in _WORD_RUN_RE.finditer(text):
        word = match.group(0).rstrip(".,;:!?»”\"')")
        at_start = bool(_SENTENCE_START_RE.search(text, max(0, match.start() - 6), match.start()))
        gap = text[runs[-1][-1][0] + len(runs[-1][-1][1]):match.start()] if runs[-1] else ""
        if runs[-1] and gap.strip():  # a comma or a dash ends a name
            runs.append([])
        if not word[:1].isupper() or (lang in _CASELESS and not word.isascii()) or (
                at_start and _ordinary(word, lang)):
            runs.append([])
        elif _exonym(word):  # "президента России Дмитрий Песков": a country, then a person
            runs.extend([[(match.start(), word, at_start)], []])
        else:
            runs[-1].append((match.start(), word, at_start))
    for run in runs:
        if not run:
            continue
        start, end = run[0][0], run[-1][0] + len(run[-1][1])
        key = _name_key([w for _, w, _ in run], False)
        if key:
            # A sentence's first word may be an ordinary word the dictionary does not know ("Ранее"): it matches
            # names on the other side but is never reported alone.
            quiet = not _reportable(text[start:end], lang) or (len(run) == 1 and run[0][2]
                                                                and not _proper(run[0][1], lang))
            found.append(Mention(start, end, text[start:end], key, "quiet" if quiet else ""))
    return found


def _proper(word: str, language: str) -> bool:
    """Whether the dictionary knows a word as a name (its lemma capitalised: "Россия", "Caledonia")."""
    import simplemma

    folded = word.casefold()
    try:
        return simplemma.is_known(folded, lang=language) and simplemma.lemmatize(folded, lang=language)[:1].isupper()
    except ValueError:
        return False


def _reportable(name: str, language: str) -> bool:
    """Whether a name one side alone carries is worth reporting: not an acronym (translated, not transliterated:
    "ЧВК" is "PMC"), not a name made of ordinary words alone ("Высшего государственного совета", "Supreme State
    Council": organisations are translated word by word), not an adjective of nationality ("French")."""
    words = name.split()
    words = [w for w in words if not (w.isupper() or any(c.isdigit() for c in w))]  # acronyms are translated
    if not words:
        return False
    if len(words) == 1 and ( (language == "en" and _adjective(name)) or (
            language != "en" and words[0].casefold().endswith(_ADJECTIVE_FORMS) and _ordinary(words[0], language))):
        return False
    if len(words) == 1 and _ordinary(words[0].strip(".,’'"), language):  # "West" / "Запад": translated, not spelt
        return False
    return len(words) == 1 or not all(_ordinary(word.strip(".,’'"), language) for word in words)


def _adjective(name: str) -> bool:
    """Whether an English name is one word of nationality or direction ("French", "Western", "Islamic")."""
    import simplemma

    folded = name.casefold()
    return " " not in folded and folded.endswith(_ADJECTIVE_ENDINGS) and simplemma.is_known(folded, lang="en")


def _near(a: str, b: str) -> bool:
    """Whether two name-word keys are one name: equal, or of three letters or more and one letter apart
    ("Венгрия" vngr, "Hungary" hngr)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1 or a.startswith("@") or b.startswith("@"):
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:n] + long[n + 1:] == short for n in range(len(long)))


def _shares_word(key: frozenset[str], words: frozenset[str] | set[str]) -> bool:
    """Whether a name shares a word with a set of name words (exactly, or nearly: see ``_near``)."""
    return bool(key & words) or any(_near(a, b) for a in key for b in words)


def word_keys(text: str, language: str) -> frozenset[str]:
    """Name keys a text carries in words that are not names: a country named by a lower-case adjective
    ("российских" for Russia, "британского"), and in an inflected language any adjective made from a name
    ("в нормандском формате": Normandy). A name the other language states only so is no fact difference."""
    english = _english(language)
    keys = set()
    for match in _WORD_RUN_RE.finditer(text):
        word = match.group(0).rstrip(".,;:!?»”\"')").casefold()
        alias = ENGLISH_EXONYMS.get(word) if english else _exonym(word)
        if alias:
            keys.add(alias)
        elif not english and primary(language) not in _CASELESS and word.endswith(_ADJECTIVE_FORMS):
            key = fold_name_word(word)
            if len(key) >= 3:
                keys.add(key)
    return frozenset(keys)


def _unmatched(mine: Sequence[Mention], theirs: Sequence[Mention],
               their_words: frozenset[str] = frozenset()) -> list[Mention]:
    """Names of one side none of whose words the other side's names (or its other words: ``word_keys``) share."""
    their_words = their_words | {word for mention in theirs for word in mention.key}
    seen: set[frozenset[str]] = set()
    out = []
    for mention in mine:
        if mention.group == "quiet" or mention.key in seen or _shares_word(mention.key, their_words):
            continue
        seen.add(mention.key)
        out.append(mention)
    return out


# ---------------------------------------------------------------------------------------------------- pairing


def marks(text: str, language: str) -> tuple[frozenset[float], frozenset[str]]:
    """What the same-fact judge compares across languages: the values of a sentence's numbers (dates' numbers
    included) and the keys of its names' words."""
    values = {m.key[0] for m in number_marks(text, language)}
    for date in date_marks(text, language):
        values.update(float(part) for part in date.key[1:] if isinstance(part, int | str) and str(part).isdigit())
    return frozenset(values), frozenset(word for m in name_marks(text, language) for word in m.key)


def _numbers_agree(a: tuple[float, bool], b: tuple[float, bool]) -> bool:
    return a[0] == b[0]


def across_differences(left: str, right: str, languages: tuple[str, str],
                       names: tuple[str, str] = ("left", "right")) -> list[FactDiff]:
    """The numbers, dates and names that differ between a sentence and its counterpart in another language,
    in reading order; a fact one side alone states is named by that side's outlet (``names``)."""
    left_dates, right_dates = date_marks(left, languages[0]), date_marks(right, languages[1])
    left_numbers = number_marks(left, languages[0], [(m.start, m.end) for m in left_dates])
    right_numbers = number_marks(right, languages[1], [(m.start, m.end) for m in right_dates])
    diffs = [*pair_leftovers("number", left, right, left_numbers, right_numbers, _numbers_agree),
             *pair_leftovers("date", left, right, left_dates, right_dates, dates_agree)]
    left_names, right_names = name_marks(left, languages[0]), name_marks(right, languages[1])
    missing_sides = (_unmatched(left_names, right_names, word_keys(right, languages[1])),
                     _unmatched(right_names, left_names, word_keys(left, languages[0])))
    for side, missing in enumerate(missing_sides):
        if primary(languages[1 - side]) in _CASELESS:
            continue  # the other script has no capitals: its names cannot be told from its other words
        for mention in missing:
            span = (mention.start, mention.end)
            diffs.append(FactDiff("name", mention.text if side == 0 else None, mention.text if side else None,
                                  span if side == 0 else None, span if side else None, ""))
    named = []
    for diff in diffs:
        if diff.left is not None and diff.right is not None:
            named.append(replace(diff, label=f"{diff.left} → {diff.right}"))
        else:
            side = 0 if diff.right is None else 1
            named.append(replace(diff, label=f"{diff.left or diff.right}: only in {names[side]}", outlet=names[side]))
    return sorted(named, key=lambda d: (d.left_span or d.right_span or (0, 0))[0])


class AcrossReader:
    """The fact differences of a comparison's rows when its two texts are in different languages: a paired row's
    numbers, dates and names compared across the languages; a passage one side alone carries lists those the other
    whole text states nowhere. Each is named by the outlet stating it alone."""

    def __init__(self, left: Sequence[str], right: Sequence[str], languages: tuple[str, str],
                 names: tuple[str, str] = ("left", "right")) -> None:
        """Both texts as their sentences, their languages and the outlet of each side."""
        self.texts = ("\n".join(left), "\n".join(right))
        self.languages = languages
        self.names = names if names[0] != names[1] else ("the left version", "the right version")
        self._stated: list[tuple[frozenset[Any], list[Mention], frozenset[str]] | None] = [None, None]

    def paired(self, left: str, right: str) -> list[FactDiff]:
        """Numbers, dates and names that differ between a passage and its counterpart in the other language."""
        return across_differences(left, right, self.languages, self.names)

    def stated(self, side: int) -> tuple[frozenset[Any], list[Mention], frozenset[str]]:
        """What one whole text states: its numbers' keys, its dates, its names' word keys (read once)."""
        found = self._stated[side]
        if found is None:
            text, language = self.texts[side], self.languages[side]
            dates = date_marks(text, language)
            numbers = frozenset(m.key for m in number_marks(text, language, [(m.start, m.end) for m in dates]))
            found = self._stated[side] = (numbers, dates, frozenset(w for m in name_marks(text, language)
                                                                    for w in m.key) | word_keys(text, language))
        return found

    def one_sided(self, text: str, side: int) -> list[FactDiff]:
        """The numbers, dates and names of a passage one side alone carries that the other text states nowhere."""
        if not text.strip():
            return []
        language = self.languages[side]
        numbers, dates, names = self.stated(1 - side)
        own_dates = date_marks(text, language)
        found: list[tuple[Mention, FactKind]] = [(m, "date") for m in own_dates
                                                 if not any(dates_agree(m.key, d.key) for d in dates)]
        found += [(m, "number") for m in number_marks(text, language, [(m.start, m.end) for m in own_dates])
                  if not any(m.key[0] == key[0] for key in numbers)]
        found += [(m, "name") for m in name_marks(text, language) if m.group != "quiet"
                  and not _shares_word(m.key, names)]
        out = []
        for mention, kind in sorted(found, key=lambda item: item[0].start):
            span = (mention.start, mention.end)
            out.append(FactDiff(kind, mention.text if side == 0 else None, mention.text if side else None,
                                span if side == 0 else None, span if side else None,
                                f"{mention.text}: only in {self.names[side]}", self.names[side]))
        return out
