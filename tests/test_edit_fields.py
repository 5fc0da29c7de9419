"""The edit page and API change URL, language, attribution and its note, and version_of, with the checks of
adding a source."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import csrf_of
from tests.test_manage import digest_of

STORY = "kim-putin-2023"
URL = "https://www.themoscowtimes.com/2023/09/12/kim-arrives-a82431"


def form_values(html: str) -> dict[str, str]:
    """The edit form's inputs and selects as the browser would send them."""
    values = dict(re.findall(r'<input id="edit-[a-z-]+" name="([a-z_]+)"[^>]*? value="([^"]*)"', html))
    for name, options in re.findall(r'<select id="edit-[a-z-]+" name="([a-z_]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = chosen.group(1) if chosen else ""
    values["boilerplate"] = ""
    return {k: v.replace("&amp;", "&").replace("&#39;", "'") for k, v in values.items()}


def edit(client: FlaskClient, source_id: str, **changes: str) -> Any:
    """Open the edit form and submit it with its values plus changes."""
    page = client.get(f"/sources/{source_id}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return client.post(f"/sources/{source_id}/edit", data={**form_values(html), **changes,
                                                           "csrf_token": csrf_of(page.data),
                                                           "digest": digest_of(page.data)})


def test_form_shows_and_saves_url_attribution_note_and_version(client: FlaskClient, corpus_dir: Path) -> None:
    """A source saved with no URL gets one; its attribution, note and version_of change; the body stays."""
    path = corpus_dir / STORY / "press-tv.txt"
    body = path.read_bytes().split(b"\n---\n", 1)[1]
    html = client.get("/sources/press-tv/edit").get_data(as_text=True)
    for field in ("url", "attribution", "attribution_note", "version_of"):
        assert f'name="{field}"' in html
    response = edit(client, "press-tv", url="https://www.presstv.ir/Detail/2023/09/12/710691/x", attribution="inferred",
                    attribution_note="Outlet read from the page footer.", version_of="the-national")
    assert response.status_code == 303
    source = client.get("/sources/press-tv.json").get_json()["source"]
    assert source["url"] == "https://www.presstv.ir/Detail/2023/09/12/710691/x"
    assert source["attribution"] == "inferred" and source["attribution_note"] == "Outlet read from the page footer."
    national = client.get("/sources/the-national/edit.json").get_json()["form"]
    stored = client.get("/sources/press-tv/edit.json").get_json()["form"]["version_of"]
    assert stored == (national["version_of"] or national["url"] or "the-national") and stored
    versions = client.get("/sources/press-tv.json").get_json()
    assert "the-national" in str(versions.get("versions"))  # now listed as captures of one article
    assert path.read_bytes().split(b"\n---\n", 1)[1] == body


def test_url_unknown_can_be_given_and_cleared(client: FlaskClient, corpus_dir: Path) -> None:
    """A source saved as "URL unknown" can be given its URL, and a URL can be cleared again."""
    path = corpus_dir / STORY / "rt.txt"
    path.write_text(re.sub(r"(?m)^url: .*\n", "", path.read_text("utf-8"), count=1), "utf-8")
    assert client.get("/sources/rt.json").get_json()["source"]["url"] is None
    assert edit(client, "rt", url=URL).status_code == 303
    assert client.get("/sources/rt.json").get_json()["source"]["url"] == URL
    assert edit(client, "rt", url="").status_code == 303
    assert client.get("/sources/rt.json").get_json()["source"]["url"] is None


@pytest.mark.parametrize(("change", "message"), [
    ({"url": "javascript:alert(1)"}, "url must be an http(s) URL"),
    ({"url": "www.example.com/story"}, "url must be an http(s) URL"),
    ({"language": "English"}, "language must be a language tag"),
    ({"attribution": "certain"}, "attribution must be one of stated, inferred, unknown"),
    ({"version_of": "no-such-source"}, "version_of must be the id of an existing source or an article URL"),
    ({"version_of": "rt"}, "version_of names this source itself"),
])
def test_bad_values_are_refused_as_on_add(client: FlaskClient, corpus_dir: Path, change: dict[str, str],
                                          message: str) -> None:
    """Each bad value is refused with 400 naming the rule, the form kept, and the file unchanged."""
    path = corpus_dir / STORY / "rt.txt"
    before = path.read_bytes()
    response = edit(client, "rt", **change)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert path.read_bytes() == before


def test_api_edits_the_new_fields(client: FlaskClient) -> None:
    """PATCH /api/sources/<id> takes the same fields with the same checks."""
    ok = client.patch("/api/sources/rt", json={"attribution": "inferred", "version_of": URL, "url": URL})
    assert ok.status_code == 200, ok.get_json()
    form = client.get("/sources/rt/edit.json").get_json()["form"]
    assert (form["attribution"], form["version_of"], form["url"]) == ("inferred", URL, URL)
    bad = client.patch("/api/sources/rt", json={"url": "ftp://example.com/x"})
    assert bad.status_code == 400 and "url must be an http(s) URL" in bad.get_json()["error"]
    assert client.get("/sources/rt/edit.json").get_json()["form"]["url"] == URL
