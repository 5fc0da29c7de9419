"""Steps of the add-a-source flow shared by its tests: start, confirm, paste, upload, and what a clean corpus
reports."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import csrf_of

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STORY = "kim-putin-2023"
TOKEN = "s3cret-editor-token"  # noqa: S105 - a test token
PREFIX = "/parallax"
PREFIX_BASE = f"http://localhost{PREFIX}"  # the test client's way of setting SCRIPT_NAME


def start(client: FlaskClient, data: dict[str, Any], content_type: str | None = None) -> Any:
    """Step 1: open /add and submit one of its forms."""
    token = csrf_of(client.get("/add").data)
    return client.post("/add", data={"csrf_token": token, **data}, content_type=content_type)


def confirm(client: FlaskClient, location: str, **changes: str) -> Any:
    """Step 2: open the confirm page and submit it with its prefilled values plus changes."""
    page = client.get(location)
    assert page.status_code == 200
    html = page.data.decode()
    form = dict(re.findall(r'<input id="c-[^"]*" name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    for name in ("format", "attribution", "story", "version_of"):
        select = re.search(rf'<select id="c-[^"]*" name="{name}">(.*?)</select>', html, re.S)
        assert select
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(1))
        form[name] = chosen.group(1) if chosen else ""
    form = {k: v.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"') for k, v in form.items()}
    if not form.get("outlet"):
        form["outlet"] = "Test Wire"  # the outlet is required; an editor types it when nothing was found
    return client.post(location, data={**form, **changes, "csrf_token": csrf_of(page.data)})


def paste(client: FlaskClient, text: str, fmt: str = "text", story: str = STORY) -> Any:
    """Steps 1 and 2 for pasted text."""
    first = start(client, {"kind": "paste", "text": text, "format": fmt, "story": story})
    assert first.status_code == 303, first.data
    return first


def upload(client: FlaskClient, name: str, raw: bytes, story: str = STORY) -> Any:
    """Step 1 with an uploaded file."""
    return start(client, {"kind": "upload", "story": story, "file": (io.BytesIO(raw), name)},
                 content_type="multipart/form-data")


def no_problems(client: FlaskClient) -> dict[str, Any]:
    """The index JSON, asserting that no corpus file failed to load."""
    index = client.get("/index.json").get_json()
    assert index["problems"] == []
    return index  # type: ignore[no-any-return]
