"""The outlet registry: loading corpus/outlets.yaml, its facts on every page that names an outlet, the filter."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask.testing import FlaskClient

from parallax.sources import outlets


def test_bundled_registry_marks_rt_and_press_tv_as_state_affiliated(corpus_dir: Path) -> None:
    registry = outlets.load(corpus_dir)
    assert registry.problems == ()
    assert registry.kind_of("RT") == "state-affiliated"
    assert registry.kind_of("  press   tv ") == "state-affiliated"  # case and spacing aside
    assert registry.kind_of("Russia Today") == "state-affiliated"  # an alias
    assert registry.kind_of("The Moscow Times") == "private"
    assert registry.kind_of("The National") == "unknown"  # the capture does not say which paper
    assert registry.kind_of("Nobody Weekly") == "unknown"
    for outlet in registry.outlets:  # every fact given names where it comes from
        facts = {"country": outlet.country, "language": outlet.language, "owner": outlet.owner, "kind": outlet.kind}
        assert {fact for fact, value in facts.items() if value and value != "unknown"} <= dict(outlet.sources).keys()


def test_bad_entries_are_skipped_and_named(tmp_path: Path) -> None:
    (tmp_path / "outlets.yaml").write_text(
        "outlets:\n  - name: A\n    kind: state-run\n  - name: B\n    kind: wire\n  - name: b\n  - [1]\n",
        encoding="utf-8")
    registry = outlets.load(tmp_path)
    assert [o.name for o in registry.outlets] == ["B"]
    assert any("state-run" in p for p in registry.problems)
    assert any("already B's" in p for p in registry.problems)
    assert any("entry 4" in p for p in registry.problems)
    (tmp_path / "outlets.yaml").write_bytes(b"outlets: [\xff")
    assert outlets.load(tmp_path).problems == ("outlets.yaml is not valid UTF-8",)
    assert outlets.load(tmp_path / "none").outlets == ()


def test_pages_and_twins_name_the_kind(client: FlaskClient) -> None:
    for url in ("/sources/rt", "/compare/rt/press-tv", "/stories/kim-putin-2023", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "state-affiliated media" in html, url
    assert client.get("/sources/press-tv.json").get_json()["source"]["outlet_info"]["state_affiliated"] is True
    twin = client.get("/compare/rt/the-national.json").get_json()
    assert twin["left"]["outlet_info"]["kind"] == "state-affiliated"
    assert twin["right"]["outlet_info"]["kind"] == "unknown"
    story = client.get("/stories/kim-putin-2023.json").get_json()
    assert {s["id"]: s["outlet_info"]["kind"] for s in story["sources"]}["press-tv"] == "state-affiliated"


def test_only_state_media_filter(client: FlaskClient) -> None:
    listed = client.get("/index.json?outlet_kind=state-affiliated").get_json()
    assert sorted(s["id"] for st in listed["stories"] for s in st["sources"]) == ["press-tv", "rt"]
    hits = client.get("/search.json?q=kim&outlet_kind=state-affiliated").get_json()
    outlets_hit = {h["outlet"] for r in hits["results"] for h in r["hits"]}
    assert outlets_hit and outlets_hit <= {"RT", "Press TV"}
    assert client.get("/search.json?q=kim").get_json()["count"] > hits["count"]
    bad = client.get("/index.json?outlet_kind=state")
    assert bad.status_code == 400 and bad.get_json()["option"] == "outlet_kind"


def test_registry_page_csv_and_edits_picked_up(client: FlaskClient, corpus_dir: Path) -> None:
    page = client.get("/outlets")
    assert page.status_code == 200 and "wikipedia.org/wiki/Press_TV" in page.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/outlets.csv").get_data(as_text=True))))
    assert {r["name"]: r["kind"] for r in rows}["RT"] == "state-affiliated"
    assert rows[0]["kind_source"]
    assert client.get("/sources/the-national.json").get_json()["source"]["outlet_info"]["kind"] == "unknown"
    path = corpus_dir / "outlets.yaml"  # an edit shows at once, even on pages kept in the page cache
    path.write_text(path.read_text(encoding="utf-8").replace("kind: unknown", "kind: private"), encoding="utf-8")
    assert client.get("/sources/the-national.json").get_json()["source"]["outlet_info"]["kind"] == "private"
    path.write_text("outlets: {", encoding="utf-8")
    broken = client.get("/outlets.json").get_json()
    assert broken["outlets"] == [] and "not valid YAML" in broken["problems"][0]
    assert client.get("/sources/rt").status_code == 200
