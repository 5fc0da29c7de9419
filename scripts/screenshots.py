"""Take the screenshots in docs/ with Debian's Chromium: the comparison (light, dark, phone) and the overview."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
SHOTS = [("screenshot-compare.png", "/compare/moscow-times-plain/press-tv", "light", 1400),
         ("screenshot-compare-dark.png", "/compare/press-tv/the-national?view=side", "dark", 1400),
         ("screenshot-inline.png", "/compare/press-tv/the-national?view=inline", "light", 1100),
         ("screenshot-index.png", "/", "light", 1400),
         ("screenshot-story.png", "/stories/kim-putin-2023", "light", 1400),
         ("screenshot-phone.png", "/compare/rt/the-national", "light", 390),
         ("screenshot-story-phone.png", "/stories/kim-putin-2023", "light", 390)]


def main() -> None:
    """Serve the bundled corpus on loopback and save one PNG per view."""
    sys.path.insert(0, str(ROOT))
    from parallax.app import create_app

    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        warm = browser.new_page()
        warm.goto(base + "/compare/rt/rt")  # loads the engine's models, so no shot is cut by the time budget
        warm.close()
        for name, path, scheme, width in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
            page.goto(base + path)
            page.screenshot(path=str(ROOT / "docs" / name))
            page.close()
            print("docs/" + name)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
