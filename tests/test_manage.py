"""Managing sources (edit front matter, trash, restore), watch lists and timelines through the web app."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parallax.corpus_store import CorpusStore, load_corpus
from parallax.sources import manage, state, watch
from tests.conftest import STORY, csrf_of

TOKEN = "editor-secret-token"  # noqa: S105 - a test value


def digest_of(html: bytes) -> str:
    """The file digest in the edit form."""
    match = re.search(rb'name="digest" value="([0-9a-f]{64})"', html)
    assert match
    return match.group(1).decode()


def edit(client: FlaskClient, source_id: str, **changes: str) -> Any:
    """Open the edit form and submit it with some fields changed."""
    form_page = client.get(f"/sources/{source_id}/edit")
    assert form_page.status_code == 200
    fields = dict(re.findall(rb'<input id="edit-[a-z]+" name="([a-z]+)" value="([^"]*)"', form_page.data))
    values = {k.decode(): v.decode() for k, v in fields.items()}
    values["boilerplate"] = ""
    values.update(changes)
    return client.post(f"/sources/{source_id}/edit", data={**values, "csrf_token": csrf_of(form_page.data),
                                                           "digest": digest_of(form_page.data)})


# ---- edit ------------------------------------------------------------------------------------------------------

def test_edit_rewrites_only_the_front_matter(client: FlaskClient, corpus_dir: Path) -> None:
    path = corpus_dir / STORY / "rt.txt"
    before = path.read_bytes()
    body = before.split(b"\n---\n", 1)[1]
    response = edit(client, "rt", outlet="RT (Russia Today)", title="A new headline", published="2023-09-13",
                    boilerplate="Subscribe to our newsletter\n")
    assert response.status_code == 303 and response.headers["Location"].endswith("/sources/rt")
    after = path.read_bytes()
    assert after.endswith(body) and after.split(b"\n---\n", 1)[1] == body
    source = load_corpus(corpus_dir).get("rt")
    assert source is not None and source.outlet == "RT (Russia Today)" and source.title == "A new headline"
    assert source.published == "2023-09-13" and source.boilerplate == ("Subscribe to our newsletter",)
    assert not list(path.parent.glob(".*.tmp"))
    events = client.get("/trash.json").get_json()["events"]
    assert events[0]["action"] == "edit" and events[0]["subject"] == "rt"


def test_edit_keeps_crlf_and_byte_exact_bodies(client: FlaskClient, corpus_dir: Path) -> None:
    path = corpus_dir / STORY / "crlf.txt"
    body = b"Line one\r\nLine two  \r\n\r\n\tIndented \xc3\xa9t\xc3\xa9\r\n"
    path.write_bytes(b"---\nid: crlf\nstory: " + STORY.encode() + b"\noutlet: X\n---\n" + body)
    assert edit(client, "crlf", outlet="Y").status_code == 303
    assert path.read_bytes().endswith(b"---\n" + body)


@pytest.mark.parametrize(("change", "message"), [
    ({"published": "13/09/2023"}, "published must be a date"), ({"captured": "yesterday"}, "captured must be"),
    ({"story": "Not a slug"}, "story must be a slug")])
def test_bad_edits_are_refused_and_change_nothing(client: FlaskClient, corpus_dir: Path, change: dict[str, str],
                                                  message: str) -> None:
    before = (corpus_dir / STORY / "rt.txt").read_bytes()
    response = edit(client, "rt", **change)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert (corpus_dir / STORY / "rt.txt").read_bytes() == before


def test_edit_of_a_file_changed_meanwhile_is_a_conflict(client: FlaskClient, corpus_dir: Path) -> None:
    form_page = client.get("/sources/rt/edit")
    path = corpus_dir / STORY / "rt.txt"
    changed = path.read_bytes().replace(b"outlet:", b"attribution_note: edited by hand\noutlet:", 1)
    path.write_bytes(changed)
    response = client.post("/sources/rt/edit", data={"csrf_token": csrf_of(form_page.data), "digest":
                                                  digest_of(form_page.data), "outlet": "Z", "story": STORY})
    assert response.status_code == 409 and "changed by someone else" in response.get_data(as_text=True)
    assert path.read_bytes() == changed


def test_fields_left_out_of_the_form_are_kept(client: FlaskClient, corpus_dir: Path) -> None:
    before = load_corpus(corpus_dir).get("rt")
    page = client.get("/sources/rt/edit")
    response = client.post("/sources/rt/edit", data={"csrf_token": csrf_of(page.data), "digest": digest_of(page.data),
                                                  "outlet": "Only the outlet"})
    assert response.status_code == 303
    after = load_corpus(corpus_dir).get("rt")
    assert before is not None and after is not None and after.outlet == "Only the outlet"
    assert (after.title, after.published, after.story) == (before.title, before.published, before.story)


def test_edit_to_another_story_moves_the_file(client: FlaskClient, corpus_dir: Path) -> None:
    assert edit(client, "rt", story="other-story").status_code == 303
    assert not (corpus_dir / STORY / "rt.txt").exists() and (corpus_dir / "other-story" / "rt.txt").is_file()
    source = load_corpus(corpus_dir).get("rt")
    assert source is not None and source.story == "other-story"


def test_edit_and_remove_need_csrf_and_the_token_beyond_loopback(make_app: Callable[..., Flask],
                                                                 corpus_dir: Path) -> None:
    local = make_app().test_client()
    assert local.post("/sources/rt/edit", data={"outlet": "X"}).status_code == 400
    assert local.post("/sources/rt/remove").status_code == 400
    public = make_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - the point of the test
    token = csrf_of(public.get("/sources/rt/edit").data)
    refused = public.post("/sources/rt/remove", data={"csrf_token": token})
    assert refused.status_code == 403 and "editor token" in refused.get_data(as_text=True)
    assert (corpus_dir / STORY / "rt.txt").exists()
    signin = public.get("/add/sign-in")
    public.post("/add/sign-in", data={"csrf_token": csrf_of(signin.data), "token": TOKEN, "next": "/trash"})
    assert public.post("/sources/rt/remove", data={"csrf_token": token}).status_code == 303
    assert not (corpus_dir / STORY / "rt.txt").exists()


# ---- trash -----------------------------------------------------------------------------------------------------

def test_remove_then_restore(client: FlaskClient, corpus_dir: Path) -> None:
    original = (corpus_dir / STORY / "rt.txt").read_bytes()
    token = csrf_of(client.get("/sources/rt/edit").data)
    removed = client.post("/sources/rt/remove", data={"csrf_token": token})
    assert removed.status_code == 303 and removed.headers["Location"].endswith("/trash")
    assert client.get("/sources/rt").status_code == 404
    assert load_corpus(corpus_dir).problems == ()  # the trash is not loaded
    trash = client.get("/trash.json").get_json()
    assert [e["source_id"] for e in trash["entries"]] == ["rt"] and trash["events"][0]["action"] == "remove"
    page = client.get("/trash")
    assert b"Restore" in page.data
    restored = client.post(trash["entries"][0]["restore"], data={"csrf_token": csrf_of(page.data)})
    assert restored.status_code == 303 and restored.headers["Location"].endswith("/sources/rt")
    assert (corpus_dir / STORY / "rt.txt").read_bytes() == original
    assert client.get("/sources/rt").status_code == 200 and client.get("/trash.json").get_json()["entries"] == []


def test_restore_refuses_a_taken_id_and_unknown_entries(client: FlaskClient, corpus_dir: Path) -> None:
    entry = manage.remove_source(CorpusStore(corpus_dir, 2_000_000, rescan=0), "rt")
    (corpus_dir / STORY / "rt.txt").write_text(f"---\nid: rt\nstory: {STORY}\n---\nAnother text.\n", "utf-8")
    page = client.get("/trash")
    response = client.post(f"/trash/{entry.trash_id}/restore", data={"csrf_token": csrf_of(page.data)})
    assert response.status_code == 409 and "exists again" in response.get_data(as_text=True)
    missing = client.post("/trash/../../etc/restore", data={"csrf_token": csrf_of(page.data)})
    assert missing.status_code == 404
    assert client.post("/trash/20240101T000000Z-nope-abcd/restore",
                    data={"csrf_token": csrf_of(page.data)}).status_code == 404


# ---- the page as fetched -----------------------------------------------------------------------------------------

def test_original_page_is_served_as_sandboxed_text(client: FlaskClient, corpus_dir: Path) -> None:
    assert client.get("/sources/rt/original-page").status_code == 404
    assert b"Original page as fetched" not in client.get("/sources/rt").data
    (corpus_dir / STORY / "w.txt").write_text(f"---\nid: w\nstory: {STORY}\ncapture: 'watched: fetched from "
                                              "https://x.example/'\n---\nHi\n", "utf-8")
    source = load_corpus(corpus_dir).get("w")
    assert source is not None
    assert client.get("/sources/w/original-page").status_code == 404  # the kept page is missing: said so, no 500
    watch.keep_original(corpus_dir, source, b"<html><script>alert(1)</script><p>Hi</p></html>")
    response = client.get("/sources/w/original-page")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == b"<html><script>alert(1)</script><p>Hi</p></html>"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"  # one charset, said once
    assert b'href="/sources/w/original-page"' in client.get("/sources/w").data
    watch.original_path(corpus_dir, source).unlink()
    watch.keep_original(corpus_dir, source, b"<p>caf\xe9</p>")  # Latin-1 bytes: no charset is claimed for them
    assert client.get("/sources/w/original-page").headers["Content-Type"] == "text/plain"


# ---- watch lists -------------------------------------------------------------------------------------------------

def test_watch_form_adds_pauses_resumes_and_removes(client: FlaskClient) -> None:
    page = client.get(f"/stories/{STORY}/watches")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = csrf_of(page.data)
    added = client.post("/watches", data={"csrf_token": token, "story": STORY, "kind": "feed", "back": STORY,
                                       "url": "https://news.example/rss", "interval": "600", "item_limit": "5"})
    assert added.status_code == 303 and added.headers["Location"].endswith(f"/stories/{STORY}/watches")
    listed = client.get(f"/stories/{STORY}/watches.json").get_json()["watches"]
    assert [(w["kind"], w["url"], w["interval"], w["item_limit"]) for w in listed] == [
        ("feed", "https://news.example/rss", 600, 5)]
    watch_id = listed[0]["id"]
    assert client.post(f"/watches/{watch_id}/pause", data={"csrf_token": token}).status_code == 303
    assert client.get(f"/watches/{watch_id}.json").get_json()["watch"]["paused"] is True
    assert b"Resume" in client.get("/watches").data
    assert client.post(f"/watches/{watch_id}/resume", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/watches/{watch_id}/remove", data={"csrf_token": token}).status_code == 303
    assert client.get("/watches.json").get_json()["watches"] == []
    assert client.post(f"/watches/{watch_id}/remove", data={"csrf_token": token}).status_code == 404


def test_source_page_links_to_a_prefilled_watch_form(client: FlaskClient) -> None:
    source_page = client.get("/sources/press-tv").get_data(as_text=True)
    link = re.search(r'href="(/stories/[^"]+/watches\?url=[^"]+)"', source_page)
    assert link, "no 'watch for new versions' link"
    form = client.get(link.group(1).replace("&amp;", "&").split("#")[0]).get_data(as_text=True)
    assert 'value="https://www.presstv.ir/Detail/2023/09/12/710691/North-Korea-Kim-arrives-Russia-Putin-talks"' in form
    assert "prefill" not in client.get(f"/stories/{STORY}/watches.json?url=x").get_json()


def test_watch_form_errors_are_shown_not_500(client: FlaskClient) -> None:
    token = csrf_of(client.get("/watches").data)
    response = client.post("/watches", data={"csrf_token": token, "story": STORY, "url": "javascript:alert(1)"},
                        follow_redirects=True)
    assert response.status_code == 200 and "Not added: only http and https" in response.get_data(as_text=True)
    assert client.post("/watches", data={"story": STORY, "url": "https://a.example/"}).status_code == 400  # no CSRF


def test_watch_api(make_app: Callable[..., Flask]) -> None:
    client = make_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - token rules apply
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"story": STORY, "url": "https://news.example/a", "interval": 900}
    assert client.post("/api/watches", json=body).status_code == 403
    assert client.post("/api/watches", data="x", headers=auth).status_code == 415
    created = client.post("/api/watches", json=body, headers=auth)
    assert created.status_code == 201 and created.get_json()["watch"]["interval"] == 900
    watch_id = created.get_json()["watch"]["id"]
    assert created.headers["Location"].endswith(f"/watches/{watch_id}")
    assert client.post("/api/watches", json=body, headers=auth).status_code == 409
    for bad, message in (({"story": STORY, "url": "https://x.example", "extra": 1}, "Unknown field"),
                         ({"story": STORY, "url": "https://x.example", "interval": "soon"}, "whole number"),
                         ({"story": STORY, "url": "https://x.example", "interval": None}, "whole number"),
                         ({"story": STORY, "url": "https://x.example", "item_limit": 2.5}, "whole number"),
                         ({"story": STORY, "url": 5}, "must be a string"),
                         ({"story": STORY, "url": "https://x.example", "interval": 1}, "interval must be")):
        refused = client.post("/api/watches", json=bad, headers=auth)
        assert refused.status_code == 400 and message in refused.get_json()["error"], bad
    assert client.post(f"/api/watches/{watch_id}/pause", json={}).status_code == 403
    assert client.post(f"/api/watches/{watch_id}/pause", data="", headers=auth).status_code == 415
    paused = client.post(f"/api/watches/{watch_id}/pause", json={}, headers=auth)
    assert paused.status_code == 200 and paused.get_json()["watch"]["paused"] is True
    assert client.post(f"/api/watches/{watch_id}/resume", json={}, headers=auth).get_json()["watch"]["paused"] is False
    assert client.delete(f"/api/watches/{watch_id}").status_code == 403
    assert client.delete(f"/api/watches/{watch_id}", headers=auth).status_code == 200
    assert client.delete(f"/api/watches/{watch_id}", headers=auth).status_code == 404
    assert client.get(f"/watches/{watch_id}.json").status_code == 404


def test_reading_watch_pages_does_not_create_the_database(client: FlaskClient, corpus_dir: Path) -> None:
    for url in ("/watches", "/watches.json", f"/stories/{STORY}/watches.json", "/trash", "/sources/rt/timeline"):
        assert client.get(url).status_code == 200, url
    assert not (corpus_dir / ".parallax" / "state.db").exists()


# ---- timelines ---------------------------------------------------------------------------------------------------

def add_version(corpus_dir: Path, name: str, captured: str, title: str, body: str) -> None:
    """Write a capture of the Moscow Times article."""
    (corpus_dir / STORY / f"{name}.txt").write_text(
        f"---\nid: {name}\nstory: {STORY}\noutlet: The Moscow Times\ntitle: {title}\nversion_of: moscow-times\n"
        f"published: 2023-09-12\ncaptured: {captured}\n---\n{body}", "utf-8")


def test_source_timeline_lists_captures_with_changes_and_headlines(client: FlaskClient, corpus_dir: Path) -> None:
    add_version(corpus_dir, "mt-1", "2023-09-12T08:00:00+00:00", "Kim arrives",
                "Kim Jong Un arrived in Russia.\n\nHe met Putin at a space port.\n")
    add_version(corpus_dir, "mt-2", "2023-09-12T12:00:00+00:00", "Kim meets Putin",
                "Kim Jong Un arrived in Russia by train.\n\nHe met Putin at a space port.\n\nThey talked for hours.\n")
    with state.opened(state.db_path(corpus_dir)) as conn:
        state.record_headline(conn, "moscow-times", "2023-09-12T14:00:00+00:00", "Kim and Putin meet", "mt-2")
    data = client.get("/sources/mt-2/timeline.json").get_json()
    assert [s["id"] for s in data["steps"]] == ["mt-1", "mt-2"]
    assert data["steps"][0]["counts"] is None
    counts = data["steps"][1]["counts"]
    assert counts["added"] == 1 and counts["changed"] == 1 and counts["same"] == 1
    assert data["steps"][1]["compare"] == "/compare/mt-1/mt-2" and data["first_with_latest"] == "/compare/mt-1/mt-2"
    assert [h["title"] for h in data["headlines"]] == ["Kim arrives", "Kim meets Putin", "Kim and Putin meet"]
    page = client.get("/sources/mt-1/timeline")
    assert page.status_code == 200 and b"1 added" in page.data and b'href="/compare/mt-1/mt-2"' in page.data
    assert b"/sources/mt-1/timeline" in client.get("/sources/mt-1").data
    assert client.get("/sources/nope/timeline.json").status_code == 404


def test_timeline_counts_only_the_latest_steps(client: FlaskClient, corpus_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from parallax.web import timeline_views as timeline_view

    monkeypatch.setattr(timeline_view, "MAX_COUNTED_STEPS", 1)
    for n in range(3):
        add_version(corpus_dir, f"mt-{n}", f"2023-09-12T0{n}:00:00+00:00", "A", f"Version {n} of the text.\n")
    steps = client.get("/sources/mt-0/timeline.json").get_json()["steps"]
    assert [s["counts"] is None for s in steps] == [True, True, False]
    assert steps[1]["compare"] == "/compare/mt-0/mt-1"
    assert "Changes are counted for the latest 1 captures only" in client.get("/sources/mt-0/timeline").get_data(
        as_text=True)


def test_timeline_stops_comparing_when_its_time_budget_is_spent(make_app: Callable[..., Flask],
                                                                 corpus_dir: Path) -> None:
    """With no time left, steps link to their comparison without counts, and the page says how many (a cold
    timeline of many captures no longer runs one comparison after another for a minute)."""
    for n in range(4):
        add_version(corpus_dir, f"mt-{n}", f"2023-09-12T0{n}:00:00+00:00", "A", f"Version {n} of the text.\n")
    client = make_app(TIMELINE_TIME_BUDGET=0.0).test_client()
    data = client.get("/sources/mt-0/timeline.json").get_json()
    assert [s["counts"] for s in data["steps"]] == [None] * 4
    assert [s["compare"] for s in data["steps"][1:]] == [f"/compare/mt-{n}/mt-{n + 1}" for n in range(3)]
    assert data["limits"] == ["time budget of 0 s reached: 3 steps shown without counts; open each step's "
                              "comparison to see what changed"]
    page = client.get("/sources/mt-0/timeline")
    assert page.status_code == 200 and 'class="px-limit" role="note">time budget of 0 s' in page.get_data(as_text=True)
    relaxed = make_app().test_client().get("/sources/mt-0/timeline.json").get_json()
    assert relaxed["limits"] == [] and all(s["counts"] is not None for s in relaxed["steps"][1:])


def test_timeline_shows_the_fact_differences_of_each_step(client: FlaskClient, corpus_dir: Path) -> None:
    add_version(corpus_dir, "mt-1", "2023-09-12T08:00:00+00:00", "A", "At least 10 people were hurt in the blast.\n")
    add_version(corpus_dir, "mt-2", "2023-09-12T09:00:00+00:00", "A", "At least 12 people were hurt in the blast.\n")
    data = client.get("/sources/mt-2/timeline.json").get_json()
    step = data["steps"][1]
    assert [(f["kind"], f["left"], f["right"]) for f in step["facts"]] == [("number", "At least 10 people",
                                                                         "At least 12 people")]
    assert step["counts"]["changed"] == 1 and step["compare"] == "/compare/mt-1/mt-2"
    assert "At least 10 people → At least 12 people" in client.get("/sources/mt-2/timeline").get_data(as_text=True)


def test_story_publication_timeline_chart_and_table(client: FlaskClient, corpus_dir: Path) -> None:
    add_version(corpus_dir, "mt-1", "2023-09-12T08:00:00+00:00", "Kim arrives", "Kim Jong Un arrived.\n")
    add_version(corpus_dir, "mt-2", "2023-09-13T08:00:00+00:00", "Kim arrives", "Kim Jong Un arrived by train.\n")
    data = client.get(f"/stories/{STORY}/timeline.json").get_json()
    rows = {r["id"]: r for r in data["chart"]["rows"]}
    assert rows["mt-2"]["versions"] == ["mt-1", "mt-2"]
    xs = [m["x"] for m in rows["mt-2"]["marks"]]
    assert xs == sorted(xs) and all(data["chart"]["left"] <= x <= data["chart"]["right"] for x in xs)
    page = client.get(f"/stories/{STORY}/timeline")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "<table" in html and "<script" not in html.split("<main")[1]
    assert f"/stories/{STORY}/timeline" in client.get(f"/stories/{STORY}").get_data(as_text=True)
    assert client.get("/stories/nope/timeline.json").status_code == 404


def test_unreadable_state_database_answers_503_not_500(client: FlaskClient, corpus_dir: Path) -> None:
    folder = corpus_dir / ".parallax"
    folder.mkdir()
    (folder / "state.db").write_bytes(b"this is not a database" * 100)
    response = client.get("/watches.json")
    assert response.status_code == 503 and "state database" in response.get_json()["error"]
    assert client.get("/trash").status_code == 503
    assert client.get("/sources/rt/timeline.json").status_code == 200  # headline notes left out, the rest shown


def test_manage_api(make_app: Callable[..., Flask], corpus_dir: Path) -> None:
    client = make_app(HOST="0.0.0.0", EDITOR_TOKEN=TOKEN).test_client()  # noqa: S104 - token rules apply
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = (corpus_dir / STORY / "rt.txt").read_bytes().split(b"\n---\n", 1)[1]
    assert client.patch("/api/sources/rt", json={"outlet": "X"}).status_code == 403
    assert client.patch("/api/sources/rt", data="outlet=X", headers=auth).status_code == 415
    assert client.patch("/api/sources/rt", json={"body": "new"}, headers=auth).status_code == 400
    digest = client.get("/sources/rt/edit.json").get_json()["digest"]
    edited = client.patch("/api/sources/rt", json={"outlet": "RT API", "boilerplate": ["Read more"],
                                                   "digest": digest}, headers=auth)
    assert edited.status_code == 200 and edited.get_json()["path"] == f"{STORY}/rt.txt"
    assert (corpus_dir / STORY / "rt.txt").read_bytes().endswith(body)
    stale = client.patch("/api/sources/rt", json={"outlet": "Again", "digest": digest}, headers=auth)
    assert stale.status_code == 409
    assert client.patch("/api/sources/rt", json={"published": "soon"}, headers=auth).status_code == 400
    assert client.delete("/api/sources/rt").status_code == 403
    removed = client.delete("/api/sources/rt", headers=auth)
    assert removed.status_code == 200 and not (corpus_dir / STORY / "rt.txt").exists()
    assert client.delete("/api/sources/rt", headers=auth).status_code == 404
    restore = removed.get_json()["restore"]
    assert client.post(restore, json={}).status_code == 403
    restored = client.post(restore, json={}, headers=auth)
    assert restored.status_code == 200 and restored.get_json()["id"] == "rt"
    source = load_corpus(corpus_dir).get("rt")
    assert source is not None and source.outlet == "RT API" and source.boilerplate == ("Read more",)
    assert client.post(restore, json={}, headers=auth).status_code == 404
    actions = [e["action"] for e in client.get("/trash.json").get_json()["events"]]
    assert actions[:3] == ["restore", "remove", "edit"]


def test_every_write_view_is_behind_editor_write(app: Flask) -> None:
    """Forms and API calls of the watch, timeline and manage blueprints all pass the one write gate."""
    writes = [rule for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in ("watches", "manage", "timeline")
              and (rule.methods or set()) & {"POST", "PATCH", "DELETE", "PUT"}]
    assert len(writes) == 11  # watches: 2 forms, 3 API calls; manage: 3 forms, 3 API calls
    for rule in writes:
        assert getattr(app.view_functions[rule.endpoint], "editor_write", None) is not None, rule.rule
