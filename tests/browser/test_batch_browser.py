"""Uploading many files on the add page in Chromium: a progress bar and a report row per file as each is done."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import axe_violations
from tests.test_batch import article


def test_two_hundred_files_with_progress_and_report(axe_page: Page, live_url: str, corpus_dir: Path) -> None:
    """200 files go up one request each: the progress bar moves to 200 of 200, the status counts them, every file
    has its report row (a duplicate and an unreadable file named with their reasons), and axe finds nothing
    before, during and after."""
    page = axe_page
    page.goto(live_url + "/add")
    assert [v["id"] for v in axe_violations(page)] == []
    files: list[FilePayload] = [{"name": f"report-{n:03}.txt", "mimeType": "text/plain", "buffer": article(n).encode()}
             for n in range(198)]
    files.append({"name": "again.txt", "mimeType": "text/plain", "buffer": article(7).encode()})
    files.append({"name": "broken.txt", "mimeType": "text/plain", "buffer": b"\xff\xfe\x00\x00binary"})
    page.get_by_label("Files (.txt, .md, .html or .htm)").set_input_files(files)
    page.get_by_label("Story for every file").select_option("__new__")
    page.get_by_label("New story slug (a-z, 0-9 and -)").fill("bridges")
    page.get_by_label("Outlet (required for text and markdown files; HTML pages may name their own)").fill("Gazette")
    page.get_by_role("button", name="Upload all").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_be_visible()
    expect(page.locator(".px-batch-status")).to_contain_text(" of 200 files: ")
    midway = int(progress.get_attribute("value") or progress.evaluate("p => p.value"))
    assert [v["id"] for v in axe_violations(page)] == []
    expect(page.locator(".px-batch-status")).to_have_text(
        "Done. 200 of 200 files: 198 saved, 1 duplicate, 1 error.", timeout=120_000)
    assert progress.evaluate("p => [p.value, p.max]") == [200, 200]
    assert midway < 200
    rows = page.locator(".px-batch-report tbody tr")
    expect(rows).to_have_count(200)
    expect(rows.nth(0)).to_contain_text("report-000.txt")
    expect(rows.nth(198)).to_contain_text("already in the story as")
    expect(rows.nth(199)).to_contain_text("broken.txt")
    expect(rows.nth(199)).to_contain_text("error")
    assert page.locator(".px-batch-report tbody tr.px-batch-saved").count() == 198
    rows.nth(0).get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("Report 0: the harbour bridge")
    assert len(list((corpus_dir / "bridges").glob("*.txt"))) == 198
    page.go_back()
    assert [v["id"] for v in axe_violations(page)] == []
