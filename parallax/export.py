"""Standalone comparison files: one HTML document (the site's styles inlined, no script, no outside request) and
CSV, built alike for the web's download route and the command line.

The HTML is the comparison page's own document (``templates/export.html`` over the ``_rows.html`` macros), rendered
here without a request, so a file exported from the app and one written by ``parallax compare --format html`` are
the same document.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from parallax import __version__, languages
from parallax.model import row_anchor
from parallax.story import digest, edit_kinds

PACKAGE = Path(__file__).parent
#: Filters the comparison's templates use; the app registers the same ones for its pages.
FILTERS: dict[str, Callable[..., Any]] = {"pieces": digest.pieces, "language_name": languages.name,
                                          "row_anchor": row_anchor}
#: The stylesheets an export inlines, in order: the site's, then the export's own.
STYLESHEETS = ("parallax.css", "export.css")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates with the filters the comparison's document uses (the app registers the same ones)."""
    env = Environment(loader=FileSystemLoader(PACKAGE / "templates"), autoescape=select_autoescape(["html"]),
                      auto_reload=False)
    env.filters.update(FILTERS)
    env.globals["config"] = {"VERSION": __version__}
    return env


def style() -> str:
    """The stylesheet a standalone export inlines: the site's styles, then the export's own."""
    return "\n".join((PACKAGE / "static" / name).read_text(encoding="utf-8") for name in STYLESHEETS)


def content_security_policy(inlined: str) -> str:
    """The export's policy: only its own inlined stylesheet (by its SHA-256), no script and no request."""
    sha = base64.b64encode(hashlib.sha256(inlined.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'sha256-{sha}'; img-src data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


def standalone_html(document: Mapping[str, Any], display: Sequence[Sequence[Any]], exported: str,
                    permalink: str | None = None, inlined: str | None = None) -> str:
    """The comparison's document as one HTML file: every passage in reading order, unchanged runs open, when it
    was ``exported`` and (from the web) the comparison's full URL."""
    data = {**document, "display": display, "exported": exported, "permalink_full": permalink,
            "blocks": digest.blocks(document["rows"], display, False, "boilerplate" in document["options"]["ignore"]),
            "numbers": digest.change_numbers(document["rows"], display),
            "edits": edit_kinds.by_row(document.get("summary"))}
    return environment().get_template("export.html").render(data=data, style=style() if inlined is None else inlined)


def csv_text(document: Mapping[str, Any], display: Sequence[Sequence[Any]],
             extra: Iterable[Sequence[str]] = ()) -> str:
    """The comparison as CSV: a record per passage and per fact difference (``digest.comparison_csv_rows``), then
    any ``extra`` records (editors' marks)."""
    names = document["digest"]["names"]
    buffer = io.StringIO()
    rows = digest.comparison_csv_rows({"rows": document["rows"], "display": display}, (names[0], names[1]))
    csv.writer(buffer, lineterminator="\r\n").writerows([*rows, *extra])
    return buffer.getvalue()
