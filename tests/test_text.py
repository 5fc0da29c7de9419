"""Text pipeline: reading text from markdown, sentences with news abbreviations, normalisation."""

from __future__ import annotations

import pytest

from parallax import text
from parallax.corpus_store import load_corpus
from parallax.engine.compare import CompareOptions, compare
from tests.conftest import BUNDLED


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    """The bundled corpus, loaded once."""
    return load_corpus(BUNDLED)


def _passages(document: text.Document) -> list[str]:
    """The text of each passage of a document."""
    return [document.text[p.start:p.end] for p in document.passages]


def test_markdown_reading_text_keeps_words_and_drops_markup(corpus) -> None:  # type: ignore[no-untyped-def]
    """Links, emphasis, headings reduce to their words; paragraphs are kept."""
    paragraphs = _passages(corpus.sources["moscow-times-markdown"].document(frozenset({"markup"})))
    assert paragraphs[0] == "N. Korea's Kim Arrives in Russia for Putin Talks"
    assert paragraphs[3] == "Updated with Peskov's remarks about Sergei Shoigu."
    assert "Russian media reported Tuesday." in paragraphs[4]
    assert not any(mark in p for p in paragraphs for mark in ("](#)", "**", "# ", "<https"))
    assert "https://www.themoscowtimes.com/2023/09/12/n-koreas-kim-arrives-in-russia-for-putin-talks-a82429" \
        in paragraphs


def test_markdown_images_keep_alt_text_and_raw_html_stays_text() -> None:
    """An image becomes its alt text; raw HTML in markdown is text, not markup."""
    assert text.markdown_paragraphs("![Kim *waving*](x.png)\n\n<b>bold</b> claim") == ("Kim waving",
                                                                                      "<b>bold</b> claim")


def test_plain_text_paragraphs_are_lines_or_blank_line_blocks() -> None:
    """Plain text: one paragraph a line, or blank-line blocks when the text has them."""
    assert _passages(text.plain_document("One.\nTwo.\n")) == ["One.", "Two."]
    assert _passages(text.plain_document("One\nwrapped.\n\nTwo.")) == ["One\nwrapped.", "Two."]


def test_rendered_markdown_is_sanitised() -> None:
    """The original markdown renders to HTML with scripts, handlers and javascript: links removed."""
    html = text.render_markdown("<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>")
    assert "<script" not in html and "onerror=" not in html.replace("onerror=alert(3)&gt;", "")
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(("source_id", "sentence"), [
    ("moscow-times-markdown", "Both leaders would ignore U.S. \"warnings\" over the talks, Peskov told reporters."),
    ("moscow-times-plain", "Both leaders would ignore U.S. “warnings\" over the talks, Peskov told reporters."),
    ("moscow-times-markdown", "Related article: N. Korea's Kim to Meet with Putin in Russia, Kremlin Confirms"),
    ("moscow-times-markdown", "N. Korea's Kim Arrives in Russia for Putin Talks"),
    ("the-national", "Experts suggest Mr Putin is seeking artillery shells and anti-tank missiles from North Korea"
                     " for Moscow’s war in Ukraine."),
    ("the-national", "It will be Mr Kim’s second summit with Putin, after they met in 2019 on his last trip abroad."),
    ("press-tv", "US State Department spokesperson Matthew Miller said, “I will remind both countries that any"
                 " transfer of arms from North Korea to Russia would be in violation of multiple United Nations"
                 " Security Council resolutions.”"),
])
def test_sentences_survive_news_abbreviations(corpus, source_id: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    """N. Korea's, U.S. “warnings", Mr Putin: each seed sentence comes out whole."""
    document = corpus.sources[source_id].document(frozenset({"markup"}))
    sentences = [s.strip() for p in _passages(document) for s in text.split_sentences(p)]
    assert sentence in sentences


def test_sentences_rebuild_the_text_exactly() -> None:
    """Splitting never loses or adds a character."""
    sample = "  N. Korea's Kim arrived.\r\n\r\nMr Putin waited. “Quote.” he said.\n"
    assert "".join(text.split_sentences(sample)) == sample


@pytest.mark.parametrize(("option", "left", "right"), [
    ("quotes", "Kim Jong Un’s “armored” train", "Kim Jong Un's \"armored\" train"),
    ("dashes", "anti–tank — missiles", "anti-tank - missiles"),
    ("whitespace", "in Russia's\n\nAmur region", "in Russia's Amur region"),
    ("case", "Kremlin Spokesman", "kremlin spokesman"),
    ("punctuation", "Kim, Putin; talks!", "Kim Putin talks"),
])
def test_each_ignore_option_folds_only_its_difference(option: str, left: str, right: str) -> None:
    """With the option the two spellings match; without it they do not."""
    assert text.fold(left, frozenset({option})) == text.fold(right, frozenset({option}))
    assert text.fold(left, frozenset()) != text.fold(right, frozenset())


def test_unknown_ignore_option_is_named() -> None:
    """check_ignore rejects a misspelt option by name."""
    with pytest.raises(ValueError, match="quote"):
        text.check_ignore({"quote"})


def test_moscow_times_captures_are_identical_in_the_article_body(corpus) -> None:  # type: ignore[no-untyped-def]
    """Plain and markdown captures of The Moscow Times differ only in headline, date and boilerplate."""
    plain, markdown = corpus.sources["moscow-times-plain"], corpus.sources["moscow-times-markdown"]
    options = CompareOptions()
    result = compare(plain.document(options.ignore), markdown.document(options.ignore), options)
    article = [row for row in result.rows if not row.boilerplate]
    differing = [row for row in article if row.kind != "same"]
    assert {(row.kind, (row.left or row.right or "").strip()) for row in differing} == {
        ("right_only", "N. Korea's Kim Arrives in Russia for Putin Talks"),
        ("right_only", "September 12, 2023"),
    }
    assert sum(row.kind == "same" for row in article) >= 13
    boiler_left = " ".join(row.left or "" for row in result.rows if row.boilerplate)
    boiler_right = " ".join(row.right or "" for row in result.rows if row.boilerplate)
    assert "A Message from The Moscow Times" in boiler_left and "Remind me later." in boiler_left
    assert "Kim Jong Un waving" in boiler_right and "Original url:" in boiler_right


def test_without_ignoring_quotes_the_captures_differ_in_quotes(corpus) -> None:  # type: ignore[no-untyped-def]
    """The typographic apostrophe in the plain capture shows once quotes are no longer ignored."""
    plain, markdown = corpus.sources["moscow-times-plain"], corpus.sources["moscow-times-markdown"]
    options = CompareOptions(ignore=frozenset({"whitespace", "markup", "boilerplate"}))
    result = compare(plain.document(options.ignore), markdown.document(options.ignore), options)
    changed = [row for row in result.rows if row.kind == "changed"]
    assert any("Kim Jong Un’s armored train" in (row.left or "") for row in changed)


def test_rendered_markdown_shows_images_as_their_alt_text() -> None:
    """Images are not loaded (the CSP would block them and they would tell a remote host who reads): alt text."""
    html = text.render_markdown("![Kim *waving* <b>x</b>](https://tracker.example/p.png)")
    assert "<img" not in html and "tracker.example" not in html
    assert "[image: Kim waving &lt;b&gt;x&lt;/b&gt;]" in html


def test_one_word_count_for_sources_and_comparisons(corpus) -> None:  # type: ignore[no-untyped-def]
    """text.WORD_RE is the one word: a source's word count equals the words a comparison reports for it."""
    from parallax.engine import diffing
    from parallax.engine.diffing import Segment

    assert text.WORD_RE.findall("Kim Jong-un’s don't  stop-") == ["Kim", "Jong-un’s", "don't", "stop"]
    assert text.word_count("Kim Jong-un’s armored train") == 4
    source = corpus.sources["the-national"]
    assert "Jong-un" in source.body  # so the two old counts disagreed on it
    reading = source.document(frozenset({"markup"}))
    # Everything is new against an empty text: the comparison's "words added" is the source's word count.
    result = compare(text.plain_document(""), reading, CompareOptions(ignore=frozenset({"markup"})))
    assert result.stats.words_added == source.words
    assert diffing.change_counts([Segment("insert", reading.text)])[0] == source.words


@pytest.mark.parametrize("sentence", ["The .SPX index rose 1% on Friday.", "GS.N shares fell 2% in early trade.",
                                  "Markets close at 6 p.m. GMT on Friday.", "Visit CBS.MarketWatch.com for more.",
                                  "The SoBig.F worm spread quickly."])
def test_split_sentences_keeps_wire_tokens_whole(sentence: str) -> None:
    """Tickers, RICs, clock times with zones, dotted site names and virus names do not end a sentence."""
    assert text.split_sentences(f"{sentence} Next one follows.") == [f"{sentence} ", "Next one follows."]
