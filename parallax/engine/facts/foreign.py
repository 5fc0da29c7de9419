"""Words of other languages the cross-language fact reader (``parallax.engine.facts.across``) knows.

Number and scale words ("тыс.", "万", "억"), month and weekday names, yesterday/today/tomorrow, and countries and
bodies by their names in other languages: "России" and "Russia", "Великобритании" and "United Kingdom",
"российских" and "Russia's". A translation names a country by its exonym or an adjective, not by a spelling of
the same sounds; each maps to one key ("@russia"), so the reader sees one name where the words differ.
"""

from __future__ import annotations

import re

#: Names of countries and capitals in other languages whose transliteration does not meet the English name.
EXONYMS = {"росси": "@russia", "рф": "@russia", "кремл": "@russia", "москв": "@russia", "сша": "@united states",
           "америк": "@united states", "вашингтон": "@united states", "кита": "@china", "пекин": "@china",
           "кнр": "@china", "япони": "@japan", "токи": "@japan", "германи": "@germany", "берлин": "@germany",
           "кндр": "@north korea", "фрг": "@germany", "пхеньян": "@north korea", "сеул": "@south korea",
           "великобритани": "@united kingdom", "британи": "@united kingdom",
           "лондон": "@united kingdom", "украин": "@ukraine", "киев": "@ukraine",
           "евросоюз": "@european union", "ес": "@european union", "оон": "@united nations", "нато": "@nato",
           "франци": "@france", "париж": "@france", "польш": "@poland", "варшав": "@poland", "чехи": "@czechia",
           "прага": "@czechia", "грузи": "@georgia", "швеци": "@sweden", "финлянди": "@finland", "турци": "@turkey",
           "израил": "@israel", "египт": "@egypt", "инди": "@india", "иран": "@iran", "сири": "@syria",
           "белорус": "@belarus", "беларус": "@belarus", "европ": "@europe", "герман": "@germany",
           "российск": "@russia", "британск": "@united kingdom", "американск": "@united states",
           "китайск": "@china", "японск": "@japan", "немецк": "@germany", "украинск": "@ukraine",
           "французск": "@france", "польск": "@poland", "северокорейск": "@north korea",
           "южнокорейск": "@south korea", "израильск": "@israel", "иранск": "@iran", "турецк": "@turkey",
           "индийск": "@india", "сирийск": "@syria", "египетск": "@egypt", "североатлант": "@nato"}
ENGLISH_EXONYMS = {"russia": "@russia", "russian": "@russia", "kremlin": "@russia", "moscow": "@russia",
                   "us": "@united states", "u.s.": "@united states", "america": "@united states",
                   "american": "@united states", "washington": "@united states", "china": "@china",
                   "chinese": "@china", "beijing": "@china", "japan": "@japan", "tokyo": "@japan",
                   "germany": "@germany", "berlin": "@germany", "dprk": "@north korea", "pyongyang": "@north korea",
                   "seoul": "@south korea", "britain": "@united kingdom", "uk": "@united kingdom",
                   "london": "@united kingdom", "ukraine": "@ukraine", "kyiv": "@ukraine", "kiev": "@ukraine",
                   "eu": "@european union", "un": "@united nations", "nato": "@nato", "france": "@france",
                   "paris": "@france", "belarus": "@belarus", "poland": "@poland", "polish": "@poland",
                   "warsaw": "@poland", "czech": "@czechia", "czechia": "@czechia", "prague": "@czechia",
                   "georgia": "@georgia", "sweden": "@sweden", "finland": "@finland", "turkey": "@turkey",
                   "türkiye": "@turkey", "israel": "@israel", "egypt": "@egypt", "india": "@india", "iran": "@iran",
                   "syria": "@syria", "german": "@germany", "europe": "@europe", "european": "@europe",
                   "british": "@united kingdom", "ukrainian": "@ukraine", "french": "@france",
                   "japanese": "@japan", "iranian": "@iran", "israeli": "@israel", "syrian": "@syria",
                   "indian": "@india", "turkish": "@turkey", "egyptian": "@egypt", "belarusian": "@belarus"}
#: Names of several English words that stand for one country or body ("United Kingdom" is Великобритания).
ENGLISH_PHRASES = {"united kingdom": "@united kingdom", "united states": "@united states",
                   "north korea": "@north korea", "south korea": "@south korea", "european union": "@european union",
                   "united nations": "@united nations", "north atlantic": "@nato", "soviet union": "@russia"}

SCALE_WORDS = {"тыс": 1e3, "тысяч": 1e3, "тысячи": 1e3, "тысяча": 1e3, "тысячу": 1e3, "млн": 1e6, "миллион": 1e6,
               "миллиона": 1e6, "миллионов": 1e6, "млрд": 1e9, "миллиард": 1e9, "миллиарда": 1e9,
               "миллиардов": 1e9, "трлн": 1e12, "триллион": 1e12, "триллиона": 1e12, "триллионов": 1e12,
               "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "천": 1e3, "만": 1e4, "억": 1e8, "조": 1e12,
               "천만": 1e7, "백만": 1e6, "십만": 1e5, "천억": 1e11, "백억": 1e10, "십억": 1e9,
               "千万": 1e7, "百万": 1e6, "十万": 1e5, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "千億": 1e11,
               "هزار": 1e3, "میلیون": 1e6, "میلیارد": 1e9, "ألف": 1e3, "مليون": 1e6, "مليار": 1e9}
#: The scale characters of Korean and Chinese numbers, whose parts follow each other ("1억 1천만": 110 million).
CJK_SCALE_CHARS = frozenset("千万萬亿億천만억조")
RU_NUMBER_WORDS = {
    2: "два две двух двум двумя двое двоих", 3: "три трех трёх трем трём тремя трое троих",
    4: "четыре четырех четырёх четырем четырьмя четверо", 5: "пять пяти пятью пятеро", 6: "шесть шести шестью шестеро",
    7: "семь семи семью", 8: "восемь восьми восемью", 9: "девять девяти девятью", 10: "десять десяти десятью",
    11: "одиннадцать одиннадцати", 12: "двенадцать двенадцати", 15: "пятнадцать пятнадцати", 20: "двадцать двадцати",
    30: "тридцать тридцати", 40: "сорок сорока", 50: "пятьдесят пятидесяти", 100: "сто ста сотни",
    1000: "тысяча тысячи тысячу"}
#: Number words of the languages read here, folded, with their values.
NUMBER_WORDS = {form: float(value) for value, forms in RU_NUMBER_WORDS.items() for form in forms.split()}
#: Month names by the stem their forms start with (Russian, Arabic), with their numbers.
MONTH_STEMS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
               "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
ARABIC_MONTHS = {"يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7, "أغسطس": 8,
                 "سبتمبر": 9, "أكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12}
WEEKDAYS = {"понедельник": "monday", "вторник": "tuesday", "сред": "wednesday", "четверг": "thursday",
            "пятниц": "friday", "суббот": "saturday", "воскресень": "sunday", "월요일": "monday",
            "화요일": "tuesday", "수요일": "wednesday", "목요일": "thursday", "금요일": "friday", "토요일": "saturday",
            "일요일": "sunday", "星期一": "monday", "星期二": "tuesday", "星期三": "wednesday", "星期四": "thursday",
            "星期五": "friday", "星期六": "saturday", "星期日": "sunday", "星期天": "sunday", "周一": "monday",
            "周二": "tuesday", "周三": "wednesday", "周四": "thursday", "周五": "friday", "周六": "saturday",
            "周日": "sunday", "الاثنين": "monday", "الثلاثاء": "tuesday", "الأربعاء": "wednesday",
            "الخميس": "thursday", "الجمعة": "friday", "السبت": "saturday", "الأحد": "sunday"}
RELATIVE_DAYS = {"вчера": "yesterday", "сегодня": "today", "завтра": "tomorrow", "昨天": "yesterday", "今天": "today",
                 "明天": "tomorrow", "어제": "yesterday", "오늘": "today", "내일": "tomorrow", "أمس": "yesterday",
                 "اليوم": "today", "غدا": "tomorrow", "دیروز": "yesterday", "امروز": "today", "فردا": "tomorrow"}

_RU_MONTH = r"(?P<month>январ[ьяе]|феврал[ьяе]|март[аеу]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[аеу]?" \
            r"|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
#: Dates written in other languages: Russian and Arabic month names, CJK year-month-day marks, years, "27일".
DATE_PATTERNS = (
    re.compile(rf"(?<!\d)(?:(?P<day>[12]\d|3[01]|0?[1-9])[ \u00a0]+)?{_RU_MONTH}(?![\w])"
               rf"(?:[ \u00a0]+{_YEAR}(?:[ \u00a0]?(?:г\.|года?|году))?)?", re.IGNORECASE),
    re.compile(rf"(?<!\d)(?:(?P<day>[12]\d|3[01]|0?[1-9])[ \u00a0]+)?(?P<month>{'|'.join(ARABIC_MONTHS)})"
               rf"(?:[ \u00a0]+{_YEAR})?"),
    re.compile(rf"(?:{_YEAR}[ \u00a0]?[年년][ \u00a0]?)?(?:(?P<month>1[0-2]|0?[1-9])[ \u00a0]?[月월]"
               r"(?:[ \u00a0]?(?P<day>[12]\d|3[01]|0?[1-9])[ \u00a0]?[日일])?)?"),
    re.compile(rf"(?<!\d){_YEAR}(?:[ \u00a0]?(?:г\.|год\w*))?(?![\d,.٫]\d|[ \u00a0]?[%％]|(?!년)[가-힣])"),
    re.compile(r"(?<![\d.,])(?P<day>[12]\d|3[01]|0?[1-9])[ \u00a0]?[日일](?!본|요일)"),  # "27일": the 27th
)
#: Weekdays and relative days (yesterday, today, tomorrow) in the languages above.
DAY_WORD_PATTERN = re.compile("(?<![\\w])(?P<word>" + "|".join(
    sorted([*(re.escape(w) + ("\\w{0,3}(?!\\w)" if w[-1] in "кцтьд" else "") for w in WEEKDAYS), *RELATIVE_DAYS],
           key=len, reverse=True)) + ")", re.IGNORECASE)
