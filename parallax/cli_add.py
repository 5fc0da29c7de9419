"""``parallax add`` with many items: files, folders (their .txt, .md, .html and .htm files) and a list of URLs.

Each item goes through the one add path (``parallax.sources.batch``) and answers on its own line on stdout, tab
separated: ``saved <id> <path>``, ``duplicate <name> <existing id>`` or ``error <name> <reason>``; a progress bar
runs on a terminal (stderr) and the counts follow it. Exit status: 0 when every item was saved, 1 when some were
duplicates and none failed, 2 when any item failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import click

from parallax.corpus import is_web_url
from parallax.corpus_store import load_corpus
from parallax.sources import adding, batch, ingest

Progress = Callable[[str], AbstractContextManager[Callable[[int, int], None]]]


def items_of(given: Sequence[str], urls: Sequence[str], values: dict[str, str],
             limits: adding.AddLimits) -> Iterator[batch.Item]:
    """The items to add, in the order given: URLs as they are, files and the source files of folders."""
    for name in given:
        if is_web_url(name):
            yield batch.Item(name, {**values, "url": name})
            continue
        for path in batch.expand_paths([name]):
            yield batch.file_item(path, values, limits.max_upload_bytes)
    for url in urls:
        yield batch.Item(url, {**values, "url": url}, problem=None if is_web_url(url) else ingest.IngestError(
            f"not an http(s) URL: {url[:200]!r}", "bad_input", "url"))


def line(result: batch.ItemResult) -> str:
    """One item's answer on stdout."""
    if result.status == "saved":
        return f"saved\t{result.id}\t{result.path}"
    if result.status == "duplicate":
        return f"duplicate\t{result.name}\t{result.id}"
    return f"error\t{result.name}\t{result.error}" + (f" (field {result.field})" if result.field else "")


def add_many(given: Sequence[str], urls: Sequence[str], values: dict[str, str], root: Path,
             limits: adding.AddLimits, progress: Progress) -> int:
    """Add every item, printing a line for each as it is done; the exit status."""
    missing = [name for name in given if not is_web_url(name) and not Path(name).exists()]
    if missing:
        click.echo(f"parallax: {missing[0]}: neither a readable file or folder nor an http(s) URL", err=True)
        return 2
    items = list(items_of(given, urls, values, limits))
    results: list[batch.ItemResult] = []
    with progress("Adding sources") as tick:
        for result in batch.add_many(items, lambda: load_corpus(root, limits.max_source_bytes), limits):
            results.append(result)
            click.echo(line(result))
            tick(len(results), len(items))
    found = batch.counts(results)
    click.echo(batch.summary(found), err=True)
    return 2 if found["error"] else 1 if found["duplicate"] else 0
