"""Facts and sentence pairs across languages, on real translated news (bench/data/real/xlang: WMT22 ru-en)."""

from __future__ import annotations

import hashlib
import math

import pytest

from bench.real import REAL, load_cross
from parallax.engine.align import align
from parallax.engine.facts.across import across_differences, fold_name_word
from parallax.model import DEFAULT_IGNORE
from parallax.text import cut_sentences, plain_document

RU_EN = ("ru", "en")
#: Real sentences of Gazeta.ru and Izvestiya with their translators' English (WMT22 general test set).
WAGNER = ("В Ливии находятся более 7 тыс. наемников частной военной компании (ЧВК) \"Вагнер\".",
          "In Libya there are more than 7 thousand mercenaries from the private military company (PMC) Wagner.")
MISHRI = ("Об этом заявил в воскресенье, 12 декабря, председатель Высшего государственного совета республики Халед "
          "аль-Мишри.", "This was announced by Khaled al-Mishri, chairman of the Supreme State Council of the "
          "Republic, on Sunday, December 12.")
TURNOUT = ("Против независимости высказались 96,5% проголосовавших.", "96.5% of voters opposed independence.")
PESKOV = ("Ранее пресс-секретарь президента России Дмитрий Песков подчеркнул, что у Москвы отсутствуют намерения по "
          "вторжению на территорию Украины.", "Earlier, Dmitry Peskov, press secretary to the Russian President, "
          "emphasized that Moscow had no intentions to invade Ukraine.")
BIDEN = ("Далее министры призывают Россию соблюдать свои обязательства, о чем президент США Байден говорил во время "
         "видеозвонка президенту РФ Путину 7 декабря.", "Furthermore, the ministers call on Russia to abide by its "
         "commitments, recalling the words that U.S. President Biden said in a video call with Russian President "
         "Putin on December 7.")


def labels(pair: tuple[str, str], languages: tuple[str, str] = RU_EN) -> list[str]:
    return [d.label for d in across_differences(*pair, languages, ("Gazeta.ru", "Reuters"))]


@pytest.mark.parametrize("pair", [WAGNER, MISHRI, TURNOUT, PESKOV, BIDEN])
def test_a_faithful_translation_states_the_same_facts(pair: tuple[str, str]) -> None:
    # "7 тыс." is 7 thousand, "96,5%" is 96.5%, "12 декабря" is December 12, "воскресенье" Sunday, Песков Peskov,
    # Байден Biden, Путину Putin; an organisation translated word by word and an acronym are wording.
    assert labels(pair) == []


def test_numbers_that_differ_across_languages_are_named() -> None:
    assert labels((TURNOUT[0], "95.6% of voters opposed independence.")) == ["96,5% → 95.6%"]
    assert labels((WAGNER[0], WAGNER[1].replace("7 thousand", "8,000"))) == ["7 тыс. → more than 8,000"]
    assert labels(("Погибли двое.", "Three people died.")) == ["двое → Three people"]


def test_dates_and_weekdays_that_differ_across_languages_are_named() -> None:
    changed = MISHRI[1].replace("Sunday, December 12", "Saturday, December 11")
    assert labels((MISHRI[0], changed)) == ["воскресенье → Saturday", "12 декабря → December 11"]
    assert labels(("Этот орган призывал к переносу голосования с 24 декабря на февраль 2022 года.",
                   "This body called for postponing the vote from December 24 to February 2023.")) == [
        "февраль 2022 года → February 2023"]
    assert labels(("2021年12月10日，民主峰会闭幕。", "The democracy summit closed on December 9, 2021."),
                  ("zh", "en")) == ["2021年12月10日 → December 9, 2021"]
    assert labels(("태풍이 12월 5일 필리핀을 강타했다.", "The typhoon hit the Philippines on December 5."),
                  ("ko", "en")) == []


def test_names_are_compared_across_scripts() -> None:
    assert fold_name_word("Ким") == fold_name_word("Kim")
    assert fold_name_word("Байден") == fold_name_word("Biden")
    assert fold_name_word("Каледонии") == fold_name_word("Caledonia")
    assert labels(("Ким Чен Ын прибыл в Россию на бронепоезде.",
                   "Kim Jong Un arrived in Russia by armoured train.")) == []
    assert sorted(labels((PESKOV[0], PESKOV[1].replace("Dmitry Peskov", "Sergei Lavrov")))) == [
        "Sergei Lavrov: only in Reuters", "Дмитрий Песков: only in Gazeta.ru"]
    assert sorted(labels((BIDEN[0], BIDEN[1].replace("President Biden", "Secretary Blinken")))) == [
        "Blinken: only in Reuters", "Байден: only in Gazeta.ru"]


def _rows(left: str, right: str, languages: tuple[str, str]) -> list[tuple[str, str]]:
    a = cut_sentences(plain_document(left, languages[0]), DEFAULT_IGNORE)
    b = cut_sentences(plain_document(right, languages[1]), DEFAULT_IGNORE)
    pairs, done = align(a, b, range(len(a)), range(len(b)), lambda: math.inf, languages=languages)
    assert done == "complete"
    return [("".join(s.text for s in a[p.left:p.left_end]), "".join(s.text for s in b[p.right:p.right_end]))
            for p in pairs]


def test_a_russian_article_pairs_with_its_english_translation_sentence_by_sentence() -> None:
    pair = next(p for p in load_cross(REAL / "xlang") if p.id == "ru-en-izvestiya-97208")
    rows = _rows(pair.left, pair.right, pair.languages)
    found = {(a, b) for a, b in pair.links if any(a in left and b in right for left, right in rows)}
    assert len(found) >= 0.8 * len(pair.links)
    wrong = [(left, right) for left, right in rows if not any(a in left and b in right for a, b in pair.links)]
    assert len(wrong) <= 1
    # Swapping the sides swaps the pairs.
    assert sorted((b, a) for a, b in _rows(pair.right, pair.left, pair.languages[::-1])) == sorted(rows)


def test_unrelated_articles_in_two_languages_pair_almost_nothing() -> None:
    pairs = {p.id: p for p in load_cross(REAL / "xlang")}
    russian, english = pairs["ru-en-izvestiya-97208"], pairs["ru-en-lenta-ru-89666"]
    assert len(_rows(russian.left, english.right, RU_EN)) <= 1


def test_a_comparison_across_languages_reads_rows_whole_says_the_languages_and_names_the_facts() -> None:
    from parallax.engine.compare import CompareOptions, compare
    from parallax.story.speakers import side_speakers
    from parallax.story.summary import summarise

    pair = next(p for p in load_cross(REAL / "xlang") if p.id == "ru-en-izvestiya-97208")
    english = pair.right.replace("96.5% of voters", "95.6% of voters")
    result = compare(plain_document(pair.left, "ru"), plain_document(english, "en"), CompareOptions(time_budget=30),
                     ("Izvestiya", "Reuters"))
    paired = [row for row in result.rows if row.left and row.right]
    assert len(paired) >= 12
    assert {row.languages for row in paired} == {"ru → en"}
    assert all(row.whole and row.kind in ("reworded", "same", "changed") for row in paired)
    assert [f.label for row in paired for f in row.facts] == ["96,5% → 95.6%"]
    assert result.to_dict()["rows"][0]["languages"] == "ru → en"
    text = summarise(result.rows, "Izvestiya", "Reuters", side_speakers(result.rows)).text
    assert text.startswith("Izvestiya is in Russian and Reuters in English: their wording differs as a translation's")
    assert "1 fact differs: 96,5% → 95.6%." in text
    # The same texts read as one language pair nothing by words: the rows say no languages.
    same = compare(plain_document(pair.left, "en"), plain_document(english, "en"), CompareOptions(time_budget=30))
    assert {row.languages for row in same.rows} == {""}


@pytest.mark.parametrize(("text", "quoted"), [
    ("«Это будет полноценный визит», — сказал Песков.", ["Это будет полноценный визит"]),
    ("Песков sagte: „Es wird ein vollwertiger Besuch“, und ging.", ["Es wird ein vollwertiger Besuch"]),
    ("佩斯科夫说：「这将是一次全面访问」。", ["这将是一次全面访问"]),
    ("ペスコフ氏は『本格的な訪問になる』と述べた。", ["本格的な訪問になる"]),
    ("“It will be a full-fledged visit,” Peskov said.", ["It will be a full-fledged visit,"]),
])
def test_quotation_marks_of_each_language_are_recognised(text: str, quoted: list[str]) -> None:
    from parallax.engine.lexicon import quote_spans

    assert [text[s.start:s.end] for s in quote_spans(text)] == quoted
    assert all(s.closed for s in quote_spans(text))


def test_a_quotation_is_grouped_with_its_translation_and_keeps_its_speaker() -> None:
    from parallax.corpus import Source
    from parallax.story import quotes

    def source(source_id: str, outlet: str, body: str, language: str) -> Source:
        return Source(id=source_id, story="s", format="text", body=body, path=f"{source_id}.txt", outlet=outlet,
                      language=language, sha256=hashlib.sha256(body.encode()).hexdigest())

    ria = source("ria", "RIA Novosti", "Песков рассказал о визите Ким Чен Ына.\n\n«Это будет полноценный визит, "
                 "переговоры пройдут в широком составе», — сказал он журналистам.\n\n«Погода во Владивостоке сегодня "
                 "хорошая, все готово к встрече гостей», — добавил губернатор.\n", "ru")
    tv = source("press-tv", "Press TV", "“It will be a full-fledged visit, and the talks will be held in a broad "
                "format,” Kremlin spokesman Dmitry Peskov said.\n\n“We expect new sanctions against the two "
                "countries very soon,” said a State Department official.\n", "en")
    groups, _ = quotes.story_quotes([ria, tv])
    visit = next(g for g in groups if any("full-fledged" in v.text for v in g.variants))
    assert visit.outlets == ["Press TV", "RIA Novosti"] or visit.outlets == ["RIA Novosti", "Press TV"]
    assert visit.speaker == "Dmitry Peskov"
    # The first wording (RIA's, first in the story) is the quotation; Press TV's English is marked its translation.
    assert {v.language: v.translation for v in visit.variants} == {"ru": False, "en": True}
    assert visit.variants[0].text.startswith("Это будет полноценный визит")
    # The governor's remark about the weather is no translation of anything Press TV quotes.
    weather = next(g for g in groups if any("Погода" in v.text for v in g.variants))
    assert weather.outlets == ["RIA Novosti"]


#: Kommersant on the G7 ministers (WMT22): Russia named by an adjective, the United Kingdom as Великобритания /
#: "British", NATO as the North Atlantic alliance, Normandy by the adjective of the "нормандском формате".
NATO = ("За диалог по Украине в \"нормандском формате\" выступил и Североатлантический альянс.",
        "The North Atlantic Alliance also spoke in favor of the \"Normandy format\" dialog on Ukraine.")
BUILD_UP = ("Министры стран G7 и верховный представитель ЕС отметили, что \"едины в своем осуждении российского "
            "вооруженного усиления и агрессивной риторики в адрес Украины\".", "The G7 ministers and the EU High "
            "Representative noted that they were \"united in their condemnation of Russia's military build-up and "
            "aggressive rhetoric towards Ukraine.\"")
TRUSS = ("Глава МИД Великобритании Элизабет Трасс заявила, что Россия должна отказаться от агрессии.",
         "British Foreign Secretary Elizabeth Truss said that Russia must renounce aggression.")


@pytest.mark.parametrize("pair", [NATO, BUILD_UP, TRUSS], ids=["nato-normandy", "russian-adjective", "british"])
def test_names_a_translation_gives_as_adjectives_or_other_words_are_no_difference(pair: tuple[str, str]) -> None:
    assert [d.label for d in across_differences(*pair, RU_EN)] == []


def test_translated_ordinary_words_are_no_names_yet_a_missing_name_still_is() -> None:
    """"Запад" and "the West" are translated, not spelt: neither is a name one side alone states; a person one
    side alone names still is; a weekday's stem inside another word ("Средиземного": среда) is no date."""
    west = ("Запад обвиняет Россию в наращивании войск.", "The West accuses Russia of a military build-up.")
    assert across_differences(*west, RU_EN) == []
    sea = ("Мигранты пересекают Средиземное море.", "Migrants cross the Mediterranean Sea.")
    assert "date" not in [d.kind for d in across_differences(*sea, RU_EN)]
    named = ("Это заявила Мария Захарова.", "This was stated by the ministry.")
    assert [d.label for d in across_differences(*named, RU_EN, ("RIA", "RIA English"))] == [
        "Мария Захарова: only in RIA"]


KO_EN = ("ko", "en")
#: Korean news and its English (bench/data/real/xlang): Korean numbers in parts ("27만5000", "1억1천만"), a day of
#: the month where the English gives the weekday.
EVACUATED = ("신화통신은 푸젠성 당국이 태풍이 접근하자 주민 27만5000명을 대피시켰다고 27일 보도했다.",
             "Fujian authorities evacuated about 275,000 people on Sunday as the storm approached, Xinhua reported.")
MISSING = ("필리핀 뉴스통신은 28일 태풍의 영향으로 2명이 실종됐다고 보도했다.",
           "Two people were reported missing by authorities, the Philippines News Agency reported Monday.")
WONDER = ("정부의 연구학자들이 이 1억1천만 달러 짜리 경이로운 설비를 공개했다.",
          "Government researchers showed off the $110 million wonder.")


@pytest.mark.parametrize("pair", [EVACUATED, MISSING, WONDER], ids=["275000-sunday", "monday", "110-million"])
def test_korean_numbers_in_parts_and_days_of_the_month_read_as_the_english_says(pair: tuple[str, str]) -> None:
    assert [d.label for d in across_differences(*pair, KO_EN)] == []


def test_a_korean_number_that_differs_is_still_named() -> None:
    changed = (EVACUATED[0].replace("27만5000", "17만5000"), EVACUATED[1])
    assert [d.label for d in across_differences(*changed, KO_EN)] == ["17만5000 → about 275,000 people"]
