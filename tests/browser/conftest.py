"""Browser fixtures: Debian's Chromium driven by Playwright against the app served on loopback."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium (Playwright's own browser download does not work here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (make test does) "
                    "or set CHROMIUM_PATH")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]}


@pytest.fixture()
def serve() -> Iterator[Callable[[Flask], str]]:
    """Serve an app on a free loopback port in a thread; returns its base URL."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture()
def live_url(app: Flask, serve: Callable[[Flask], str]) -> str:
    """Base URL of the test app (bundled corpus copy) served on loopback."""
    return serve(app)


@pytest.fixture()
def console_errors(page: Page) -> list[str]:
    """JavaScript errors and console errors seen on the page during the test."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    return errors


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core violations (WCAG 2.1 A/AA and best practices) on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


@pytest.fixture()
def axe_page(browser: Any) -> Iterator[Page]:
    """A page whose context may inject axe-core despite the strict Content-Security-Policy."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()
