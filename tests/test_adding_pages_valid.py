"""The add page with its multi-file upload, the batch report, the edit page's new fields, the outlet form and the
lineage drawing are valid HTML by the Nu checker."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient

from tests.conftest import csrf_of
from tests.test_html_valid import check


def test_new_page_states_are_valid_html(client: FlaskClient, tmp_path: Path) -> None:
    """Each page state, saved by the test client, has no Nu error."""
    token = csrf_of(client.get("/add").data)
    report = client.post("/add/batch", data={"csrf_token": token, "story": "kim-putin-2023", "outlet": "Gazette",
                                             "files": [(io.BytesIO(b"A short report on the summit, for the test."),
                                                        "a.txt"), (io.BytesIO(b"\xff\xfe\x00"), "b.txt")]},
                         content_type="multipart/form-data")
    assert report.status_code == 200
    refused = client.post("/outlets/edit", data={"csrf_token": token, "name": "PressTV", "kind": "private"})
    assert refused.status_code == 400
    pages = {"add": client.get("/add").data, "batch report": report.data, "edit": client.get("/sources/rt/edit").data,
             "outlet form": client.get("/outlets/edit?name=RT").data, "outlet refused": refused.data,
             "outlets": client.get("/outlets").data, "lineage": client.get("/stories/kim-putin-2023/lineage").data}
    files = []
    for number, html in enumerate(pages.values()):
        file = tmp_path / f"page{number}.html"
        file.write_bytes(html)
        files.append(file)
    names = list(pages)
    errors = [(names[int(Path(str(m["url"])).stem.removeprefix("page"))], m["message"]) for m in check(files)]
    assert errors == []
