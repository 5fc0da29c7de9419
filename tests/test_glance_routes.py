"""The comparison read at a glance, its exports and the story overview by outlet, through the test client."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from parallax import pipeline
from tests.conftest import STORY, front_matter
from tests.long_pair import write_long_pair

PAIR = "/compare/press-tv/the-national"


def page(client: FlaskClient, path: str) -> str:
    """The HTML of a page that must answer 200."""
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_summary_comes_first_and_links_each_difference_to_its_row(client: FlaskClient) -> None:
    """Above the passages: a plain paragraph and the differences, each linking to an anchor that exists."""
    html = page(client, PAIR)
    assert html.index('id="summary-h"') < html.index('id="passages"')
    data = client.get(PAIR + ".json").get_json()
    text, stats = data["digest"]["text"], data["stats"]
    assert f"Press TV alone carries {stats['left_only']} passages" in text
    assert f"The National alone carries {stats['right_only']} passages" in text
    assert "Press TV" in text  # the engine's summary text when it gives one
    summary = html[html.index('id="summary-h"'):html.index('id="stats-h"')]
    assert f'<p class="px-summary-text">{escape(text)}' in summary
    anchors = re.findall(r'href="#(r[\w-]+)"', summary)
    assert anchors and all(f'id="{a}"' in html for a in anchors)
    assert 'href="#r9">' in summary  # the one edited passage: "…Peskov told Russian media" → "Mr Peskov said"
    assert "only in Press TV</a>" in summary and "more differences: see the change list" in summary


def test_summary_more_link_counts_differences_not_change_list_entries(client: FlaskClient) -> None:
    """The chips' "and N more" counts differences (facts and one-sided paragraphs), which the change list does not
    number: the link must not read as N more entries of a list that holds a different count."""
    data = client.get(PAIR + ".json").get_json()
    digest_ = data["digest"]
    html = page(client, PAIR)
    more = digest_["more"]
    assert more > 1 and digest_["total_facts"] != len(digest_["changes"])
    assert f"and {more} more differences: see the change list</a>" in html
    assert f"and {more} more in the change list" not in html

def test_stats_count_added_removed_and_replaced_words_with_labels(client: FlaskClient) -> None:
    """Replaced words are shown beside added and removed ones, each with what it counts."""
    stats = client.get(PAIR + ".json").get_json()["stats"]
    html = page(client, PAIR)
    assert f"<dt>Words replaced</dt><dd>{stats['words_changed']}</dd>" in html and stats["words_changed"] > 0
    assert f"<dt>Words removed</dt><dd>{stats['words_removed']}</dd>" in html
    assert 'title="Words replaced by other words (counted on the longer side of each edit)"' in html
    assert "<dt>Only in Press TV</dt>" in html


def test_change_list_shows_edits_in_context_and_filters_by_kind(client: FlaskClient) -> None:
    """Each change shows its edit with context; ?kind= filters the list without script and opens it."""
    html = page(client, PAIR)
    changes = html[html.index('id="changes"'):html.index('</ol>', html.index('id="changes"'))]
    assert '<del class="px-del">Kremlin spokesman Dmitry Peskov told Russian media</del> <ins class="px-ins">Mr ' \
           'Peskov said</ins>' in changes
    rows = client.get(PAIR + ".json").get_json()["rows"]
    changed = [r for r in rows if r["kind"] != "same" and not r["boilerplate"]]
    assert changes.count("<li value=") == len(changed) and " hidden>" not in changes
    filtered = page(client, PAIR + "?kind=moved")
    listed = filtered[filtered.index('id="changes"'):filtered.index('id="passages"')]
    assert '<details class="px-changes" id="changes" open>' in filtered
    visible = [li for li in re.findall(r"<li [^>]*>", listed) if "hidden" not in li]
    moved = re.findall(r'<li value="\d+" data-kind="moved">', changes)
    assert len(moved) == sum(1 for r in changed if r["kind"] == "moved") and visible == moved
    assert 'data-kind-filter="moved" data-kind-label="moved" aria-current="true"' in listed
    bad = client.get(PAIR + ".json?kind=same")
    assert bad.status_code == 400 and bad.get_json()["option"] == "kind"


def test_every_change_has_a_numbered_anchor(client: FlaskClient) -> None:
    """#c1…#cN exist once each, on the changes' rows, so a shared #c3 opens at the third change."""
    html = page(client, PAIR)
    numbers = [int(n) for n in re.findall(r'<span class="px-anchor" id="c(\d+)">', html)]
    rows = client.get(PAIR + ".json").get_json()["rows"]
    assert sorted(numbers) == list(range(1, 1 + sum(1 for r in rows if r["kind"] != "same" and not r["boilerplate"])))
    assert re.search(r'id="r3-l" data-change data-n="4" tabindex="-1"><span class="px-anchor" id="c4">', html)


def test_focus_folds_unchanged_runs_in_long_comparisons(client: FlaskClient, corpus_dir: Path) -> None:
    """The 5,000-word pair folds its unchanged runs by default; focus=off shows every passage; bad values 400."""
    left, right = write_long_pair(corpus_dir)
    html = page(client, f"/compare/{left}/{right}")
    folds = re.findall(r"<summary>(\d+) unchanged passages — show</summary>", html)
    assert folds and sum(map(int, folds)) > 250
    assert html.count("data-change") == 4
    full = page(client, f"/compare/{left}/{right}?focus=off")
    assert "unchanged passages — show" not in full and full.count('class="px-srow px-k-same') == 297
    assert ">Show every passage</a>" in html and ">Focus on changes</a>" in full
    assert ">Focus on changes</a>" in page(client, "/compare/rt/press-tv")  # short: every passage shown
    assert ">Show every passage</a>" in page(client, "/compare/rt/press-tv?focus=on")
    response = client.get(f"/compare/{left}/{right}?focus=maybe")
    assert response.status_code == 400 and "focus" in response.get_data(as_text=True)


def test_boilerplate_folds_in_place(client: FlaskClient) -> None:
    """Ignored boilerplate is a closed <details> where it stands, not a hidden block."""
    html = page(client, "/compare/moscow-times-plain/moscow-times-markdown")
    assert "px-hidden" not in html
    folds = re.findall(r'<details class="px-fold px-fold--boiler">\s*<summary>(\d+) boilerplate passages?, not '
                       r"compared — show</summary>", html)
    assert sum(map(int, folds)) == 22 and len(folds) >= 3
    assert "Dear readers," in html


def test_cells_name_their_outlet_and_one_sided_rows_say_so_in_words(client: FlaskClient) -> None:
    """Each filled cell carries its outlet's name (shown on phones); one-sided rows carry '[only in …]'."""
    html = page(client, PAIR)
    assert '<span class="px-cell-label">Press TV</span>' in html
    assert '<span class="px-cell-label">The National</span>' in html
    assert "Left: " not in html.split('id="passages"')[1]
    assert '<span class="px-cue">[only in Press TV]</span>' in html
    assert '<span class="px-cue">[only in The National]</span>' in html
    assert '<span class="px-cue">[changed]</span>' in html
    assert '<div class="px-cell px-cell--right px-cell--empty"></div>' in html


def test_pickers_change_either_side(client: FlaskClient) -> None:
    """Two selects on the comparison go through /compare?left=&right=, keeping the options."""
    html = page(client, PAIR + "?unit=char")
    form = html[html.index('class="px-pick px-pick--compare"'):]
    form = form[:form.index("</form>")]
    assert 'action="/compare"' in form and '<option value="press-tv" selected>' in form
    assert 'name="right"' in form and '<option value="the-national" selected>' in form
    assert '<input type="hidden" name="unit" value="char">' in form
    response = client.get("/compare?left=rt&right=the-national&unit=char&focus=off")
    assert response.status_code == 302
    assert response.headers["Location"] == "/compare/rt/the-national?unit=char&focus=off"


def test_source_page_links_its_story_and_offers_compare_with(client: FlaskClient) -> None:
    """The source page names its story and has a 'Compare with…' picker of the story's other sources."""
    html = page(client, "/sources/rt")
    assert f'href="/stories/{STORY}"' in html and "Compare with…" in html
    assert '<input type="hidden" name="left" value="rt">' in html and '<option value="rt">' not in html
    data = client.get("/sources/rt.json").get_json()
    assert data["story"]["href"] == f"/stories/{STORY}" and len(data["compare_with"]) == 4


def test_json_twin_carries_the_digest(client: FlaskClient) -> None:
    """The twin has the summary text, facts with anchors, the change list and export links."""
    data = client.get(PAIR + ".json").get_json()
    digest = data["digest"]
    assert digest["text"] == (data.get("summary") or {}).get("text", digest["text"]) and digest["total_facts"] >= 8
    assert digest["changes"][3] == {**digest["changes"][3], "number": 4, "kind": "moved", "anchor": "r3-l"}
    assert digest["exports"]["csv"].startswith(PAIR + "/export.csv?")
    assert digest["focus"] is True and digest["kind"] is None


def test_html_export_is_one_standalone_file(client: FlaskClient) -> None:
    """One HTML file: styles inlined and allowed by hash only, no script or external request, a download."""
    response = client.get(PAIR + "/export.html?unit=word")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"] == 'attachment; filename="parallax-press-tv-vs-the-national.html"'
    html = response.get_data(as_text=True)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style and ".px-del" in style.group(1)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; ") and f"style-src 'sha256-{digest}'" in csp
    assert "script" not in csp and "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for needle in ("Left: Press TV", "Right: The National", "https://www.presstv.ir/Detail/2023/09/12/", "Exported",
                   "http://localhost/compare/press-tv/the-national?view=side&amp;unit=word", "differences by word",
                   "[only in The National]", "What changed"):
        assert needle in html, needle
    assert client.get(PAIR + "/export.pdf").status_code == 404


def test_csv_export_has_rows_and_facts_and_defuses_formulas(client: FlaskClient, corpus_dir: Path) -> None:
    """Rows and fact differences as CSV records; a cell starting with = is prefixed with a quote."""
    (corpus_dir / STORY / "formula.txt").write_text(
        front_matter(id="formula", story=STORY, outlet="Formula Wire", format="text")
        + '=HYPERLINK("http://evil.example","click") is what the page said.\n\n+1 more line here.\n',
        encoding="utf-8")
    response = client.get("/compare/rt/formula/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="parallax-rt-vs-formula.csv"'
    records = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert records[0][:4] == ["record", "row", "change", "kind"]
    texts = [r[9] for r in records if r[0] == "row" and r[9]]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\") is what the page said." in texts
    assert "'+1 more line here." in texts
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in records for cell in r)
    pair = list(csv.reader(io.StringIO(client.get(PAIR + "/export.csv").get_data(as_text=True))))
    rows = client.get(PAIR + ".json").get_json()["rows"]
    assert sum(r[0] == "row" for r in pair) == len(rows)
    assert next(c for c in pair if c[0] == "fact" and c[3] == "changed")[:4] == ["fact", "9", "10", "changed"]


def test_hostile_text_is_escaped_in_the_export(client: FlaskClient, corpus_dir: Path) -> None:
    """Article markup shows as text in the standalone file too."""
    (corpus_dir / STORY / "hostile.txt").write_text(
        front_matter(id="hostile", story=STORY, outlet="Evil Wire", format="text")
        + "<script>alert('x')</script> and <img src=x onerror=alert(1)> here.\n", encoding="utf-8")
    html = page(client, "/compare/rt/hostile/export.html")
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


def test_reworded_rows_show_both_sentences_whole_with_facts_marked(client: FlaskClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A reworded row (from the engine's new kind) is two whole sentences, shared words and facts marked."""
    real = pipeline.compare_sources

    def with_reworded(*args: Any) -> pipeline.SourceComparison:
        data = dict(real(*args).data)
        rows = [dict(r) for r in data["rows"]]
        rows[0] = {**rows[0], "kind": "reworded", "left": "He left on Tuesday.", "right": "On Monday he departed.",
                   "segments": [{"op": "delete", "text": "He left on Tuesday", "right_text": None},
                                {"op": "insert", "text": "On Monday he departed", "right_text": None},
                                {"op": "equal", "text": ".", "right_text": None}],
                   "facts": [{"kind": "date", "left": "Tuesday", "right": "Monday", "label": "Tuesday → Monday",
                              "left_span": [11, 18], "right_span": [3, 9]}]}
        data.pop("summary", None)  # the engine's summary speaks of the real rows: build one from these
        return pipeline.SourceComparison({**data, "rows": rows})

    monkeypatch.setattr(pipeline, "compare_sources", with_reworded)
    html = page(client, "/compare/rt/press-tv")
    row = html[html.index('id="r0"'):]
    row = row[:row.index('id="r1"')]
    assert '<span class="px-cue">[reworded]</span> He left on <mark class="px-fact">Tuesday</mark>' in row
    assert 'On <mark class="px-fact">Monday</mark> he departed<span class="px-shared">.</span>' in row
    assert "<del" not in row and "<ins" not in row
    assert 'href="#r0"><span class="px-fact-kind">date</span> Tuesday → Monday</a>' in html


def _between(html: str, start: str, end: str) -> str:
    """The HTML from one element id up to another."""
    part = html[html.index(f'id="{start}"'):]
    return part[:part.index(f'id="{end}"')]


def test_moved_reworded_row_reads_whole_not_struck_out(client: FlaskClient) -> None:
    """Press TV's KCNA sentence is moved and reworded in The National: both places show the sentence whole with
    shared words and facts marked, never struck out as if deleted (side by side and inline)."""
    result = client.get(PAIR + ".json").get_json()
    moved = [r for r in result["rows"] if r["kind"] == "moved" and r["whole"]]
    assert moved and moved[0]["left"].startswith("According to North Korea’s official KCNA")
    index = moved[0]["index"]
    side = page(client, PAIR)
    left_place = _between(side, f"r{index}-l", f"r{index + 1}")
    assert "<del" not in left_place and "<ins" not in left_place
    assert '<span class="px-shared">official</span>' in left_place and '<mark class="px-fact">' in left_place
    right_place = side[side.index(f'id="r{index}-r"'):]
    right_place = right_place[:right_place.index('class="px-srow')]
    assert "<del" not in right_place and "<ins" not in right_place and "to visit the Russian Federation”" in right_place
    inline = page(client, PAIR + "?view=inline")
    right_inline = inline[inline.index(f'id="r{index}-r"'):]
    right_inline = right_inline[:right_inline.index("</p>")]
    assert "<del" not in right_inline and "<ins" not in right_inline
    assert right_inline.count('class="px-reworded-side"') == 2

def test_inline_reworded_row_names_the_outlet_of_each_side(client: FlaskClient) -> None:
    """Inline, a reworded row is two whole sentences one above the other: each says which outlet it comes from
    ("more than four years" is The Moscow Times', "four years" Press TV's)."""
    inline = page(client, "/compare/moscow-times-plain/press-tv?view=inline")
    rows = [r for r in client.get("/compare/moscow-times-plain/press-tv.json").get_json()["rows"]
            if r["kind"] == "reworded"]
    assert rows
    row = inline[inline.index(f'id="r{rows[0]["index"]}"'):]
    row = row[:row.index("</p>")]
    sides = row.split('<span class="px-reworded-side">')[1:]
    assert len(sides) == 2
    assert sides[0].startswith('<span class="px-side-name">The Moscow Times</span> <span class="px-shared">Kim</span>')
    assert '<mark class="px-fact">more than four years</mark>' in sides[0]
    assert sides[1].startswith('<span class="px-side-name">Press TV</span> <mark class="px-fact">According to')

def test_story_coverage_counts_outlets_not_captures(client: FlaskClient) -> None:
    """'in 2 of 4 outlets (3 captures)': the two Moscow Times captures are one outlet."""
    data = client.get(f"/stories/{STORY}.json?base=press-tv").get_json()
    passage = next(p for p in data["coverage"]["passages"] if p["text"].startswith("“Obviously, as neighbors"))
    assert (passage["outlets"], passage["outlets_of"], passage["sources"]) == (2, 4, 3)
    html = page(client, f"/stories/{STORY}?base=press-tv")
    assert "in 2 of 4 outlets (3 captures)" in html and "4 outlets (5 captures)" in html


def test_story_unique_content_is_per_outlet_with_captures_folded(client: FlaskClient) -> None:
    """The Moscow Times' unique passages are listed once for both captures."""
    data = client.get(f"/stories/{STORY}.json").get_json()
    outlets = [u["outlet"] for u in data["unique"]]
    assert len(outlets) == len(set(outlets)) == 4
    moscow = next(u for u in data["unique"] if u["outlet"] == "The Moscow Times")
    assert sorted(moscow["ids"]) == ["moscow-times-markdown", "moscow-times-plain"]
    texts = [p["text"] for p in moscow["passages"]]
    assert len(texts) == len(set(texts)) and any(len(p["sources"]) == 2 for p in moscow["passages"])


def test_story_matrix_groups_versions_and_labels_columns_short(client: FlaskClient) -> None:
    """Versions of one article sit together; columns have short labels with the full name for screen readers."""
    data = client.get(f"/stories/{STORY}.json?order=date").get_json()
    order = data["matrix"]["order"]
    assert abs(order.index("moscow-times-plain") - order.index("moscow-times-markdown")) == 1
    html = page(client, f"/stories/{STORY}")
    assert re.search(r'<th scope="col" title="The Moscow Times, plain-text capture \(moscow-times-plain\)" '
                     r'class="px-ov-version"><span aria-hidden="true">MT \d</span><span class="px-sr">', html)
    assert "version 1 of 2" in html and "version 2 of 2" in html


def test_index_tells_captures_apart_by_capture(client: FlaskClient) -> None:
    """The two Moscow Times rows say which capture each is."""
    html = page(client, "/")
    assert '<span class="px-capture">plain-text capture</span>' in html
    assert '<span class="px-capture">markdown capture</span>' in html


def test_story_csv_export(client: FlaskClient) -> None:
    """Coverage per passage, quote variants and unique passages per outlet, as one CSV download."""
    response = client.get(f"/stories/{STORY}/export.csv?base=press-tv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="parallax-story-{STORY}.csv"'
    records = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert records[0] == ["section", "item", "who", "text", "outlets", "of_outlets", "captures", "sources"]
    sections = {r[0] for r in records[1:]}
    assert sections == {"coverage", "quote", "unique"}
    obviously = next(r for r in records if r[0] == "coverage" and r[3].startswith("“Obviously"))
    assert obviously[4:7] == ["2", "4", "3"]
    assert any(r[0] == "quote" and r[2] == "Dmitry Peskov" for r in records)
    assert client.get(f"/stories/{STORY}/export.csv?order=zz").status_code == 400
    assert client.get("/stories/nope/export.csv").status_code == 404
