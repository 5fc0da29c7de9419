"""The ``parallax`` command line: compare files or sources, check a corpus, add a source, run the servers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from parallax import __version__, model
from parallax.config import SettingError, load_settings
from parallax.model import DEFAULT_IGNORE, IGNORABLE, UNITS, Ignorable
from parallax.store.commands import export_command, migrate_command

if TYPE_CHECKING:  # the reading engine, the corpus and ingest load only in the commands that use them
    from parallax.corpus import Corpus, Source
    from parallax.engine.compare import CompareOptions, Comparison
    from parallax.sources.ingest import NewSource

#: Exit statuses of ``parallax compare``, as ``diff`` and ``git diff --exit-code`` use them.
EXIT_SAME, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2
#: The story the command line's own files are put in when they need one (an export of two files).
CLI_STORY = "command-line"
#: Input files larger than this are refused before reading (the corpus limit applies to sources anyway).
MAX_INPUT_BYTES = 20_000_000


class CliError(click.ClickException):
    """A user-facing error: printed as ``parallax: <message>`` and exits with status 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        """Print the message on stderr."""
        click.echo(f"parallax: {self.format_message()}", err=True)


def _fail(message: str) -> NoReturn:
    """Stop with a clear message and exit status 2."""
    raise CliError(message)


def _corpus_dir(corpus: str | None) -> Path:
    """The corpus folder: the option, else the configured PARALLAX_CORPUS_DIR (the bundled corpus by default)."""
    return Path(corpus) if corpus else Path(load_settings()["CORPUS_DIR"])


def parse_ignore(raw: str | None) -> frozenset[Ignorable]:
    """The ``--ignore`` value as a set of options (model.parse_ignore), or exit 2 naming an unknown one."""
    try:
        return model.parse_ignore(raw)
    except model.BadOption as error:
        _fail(f"unknown --ignore option {error.value!r}; allowed: {', '.join(IGNORABLE)} or none")


@dataclass(frozen=True)
class Input:
    """One side of a comparison: how to name it, and the source it reads as (a file becomes a source too)."""

    label: str
    source: Source


def _as_source(new: NewSource, side: str) -> Source:
    """A source made from a file's text and what is known of it, as the corpus would load it."""
    from parallax.corpus import CorpusError, parse_source
    from parallax.sources.ingest import build_file_text

    raw = build_file_text(side, new).encode("utf-8")
    suffix = ".md" if new.format == "markdown" else ".txt"
    try:
        return parse_source(raw, f"{new.story}/{side}{suffix}", MAX_INPUT_BYTES)
    except CorpusError as error:
        _fail(f"{side}: {error}")


def _input_from_file(path: Path, side: str) -> Input:
    """A text, markdown, HTML or corpus file as a source (HTML through the same extraction as adding one)."""
    from parallax import languages
    from parallax.corpus import CorpusError, parse_source
    from parallax.sources.ingest import IngestError, NewSource, decode_html, from_html, from_upload

    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            _fail(f"{path}: {size} bytes is over the {MAX_INPUT_BYTES}-byte limit")
        raw = path.read_bytes()
    except OSError as error:
        _fail(f"{path}: cannot be read ({error.strerror or error})")
    if raw.startswith(b"---"):  # a corpus file: front matter, then the body as captured
        try:
            source = parse_source(raw, path.name, MAX_INPUT_BYTES)
        except CorpusError as error:
            _fail(f"{path}: {error}")
        return Input(f"{source.outlet or source.id} ({path.name})", source)
    try:
        if path.suffix.lower() in (".html", ".htm"):
            extracted = from_html(decode_html(raw))
        else:
            extracted = from_upload(path.name, raw, MAX_INPUT_BYTES)
    except IngestError as error:
        _fail(f"{path}: {error}")
    new = NewSource(story=CLI_STORY, body=extracted.body, format=extracted.format, outlet=extracted.outlet,
                    title=extracted.title, url=extracted.url, capture=f"file {path.name}",
                    language=extracted.language or languages.detect(extracted.body))
    return Input(path.name, _as_source(new, side))


def resolve(name: str, side: str, corpus_dir: Path, loaded: list[Corpus]) -> Input:
    """The input named: a file path, or else a source id in the corpus (whose loader is imported only then)."""
    path = Path(name)
    if path.is_file():
        return _input_from_file(path, side)
    if not loaded:
        from parallax.corpus_store import load_corpus

        loaded.append(load_corpus(corpus_dir))
    source = loaded[0].get(name)
    if source is None:
        _fail(f"{name!r} is neither a file nor a source id in {corpus_dir}")
    return Input(f"{source.outlet or source.id} ({source.id})", source)


def document(inputs: tuple[Input, Input], options: CompareOptions) -> tuple[dict[str, Any], list[list[Any]]]:
    """The comparison as the web's JSON twin gives it (without the web's links) and its display order; a side
    whose outlet is unknown is named by its label, as the text output names it, and so are both sides in the
    summary and the facts when they share an outlet (its name and each file's)."""
    from cachelib import NullCache

    from parallax import pipeline

    named = [replace(item.source, outlet=item.source.outlet or item.label) for item in inputs]
    names = (inputs[0].label, inputs[1].label) if named[0].outlet == named[1].outlet else None
    return pipeline.comparison_document(named[0], named[1], options, NullCache(), names=names)


def _styled(text: str, op: str, colour: bool) -> str:
    """A removed or added run of text: coloured on a terminal, else marked as ``git diff --word-diff`` does.

    Whitespace around the run stays outside the marks, and line breaks become spaces (one row, one line).
    """
    flat = " ".join(text.split("\n"))
    core = flat.strip()
    if not core or op == "equal":
        return flat
    lead, trail = flat[:len(flat) - len(flat.lstrip())], flat[len(flat.rstrip()):]
    if op == "delete":
        marked = click.style(core, fg="red", strikethrough=True) if colour else f"[-{core}-]"
    else:
        marked = click.style(core, fg="green", underline=True) if colour else f"{{+{core}+}}"
    return lead + marked + trail


def across_header(left: str, right: str) -> str | None:
    """The header line of two texts in different languages (tags): sentences are paired by meaning, not words."""
    from parallax import languages

    if not languages.differ(left, right):
        return None
    return f"{languages.name(left)} ↔ {languages.name(right)}: compared by meaning, across languages"


def text_lines(result: Comparison, labels: tuple[str, str], colour: bool,
               header: str | None = None) -> Iterator[str]:
    """The comparison as reading text: unchanged passages plain, changes marked inside, one row per line; after
    the two labels, ``header`` (the texts' languages when they differ)."""
    yield f"--- {labels[0]}"
    yield f"+++ {labels[1]}"
    if header:
        yield header
    for row in result.rows:
        if row.boilerplate:
            continue
        tag = {"same": " ", "changed": "~", "reworded": "≈", "moved": ">", "left_only": "-",
               "right_only": "+"}.get(row.kind, "?")
        if row.kind == "reworded" or row.whole:
            left = _styled((row.left or "").strip(), "delete", colour)
            right = _styled((row.right or "").strip(), "insert", colour)
            yield f"{tag} {left} {right}"
            continue
        pieces = []
        for segment in row.segments:
            pieces.append(_styled(segment.text, segment.op, colour))
        yield f"{tag} " + " ".join("".join(pieces).split())


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback drawing a bar on a terminal (stderr), and doing nothing when piped."""
    if not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    bar: Any = None

    def tick(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield tick
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _count(number: int, singular: str, plural: str = "") -> str:
    """``1 source``, ``2 sources``."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def is_same(rows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether two texts read the same with these options (every non-boilerplate row is 'same')."""
    return all(row["kind"] == "same" for row in rows if not row["boilerplate"])


class _Commands(click.Group):
    """The command group: a PARALLAX_* variable that cannot be read is one ``parallax:`` line and exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning a bad setting into a CliError."""
        try:
            return super().invoke(ctx)
        except SettingError as error:
            raise CliError(str(error)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="parallax")
def main() -> None:
    """Parallax: read versions of one news story side by side."""


@main.command("compare")
@click.argument("left")
@click.argument("right")
@click.option("--unit", type=click.Choice(UNITS), default="word", show_default=True,
              help="Granularity of the differences.")
@click.option("--ignore", "ignore_raw", metavar="LIST",
              help="Comma list of cosmetic differences to ignore (" + ", ".join(IGNORABLE) + "), or 'none'. "
                   "Default: " + model.ignore_value(DEFAULT_IGNORE) + ".")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--color/--no-color", "colour", default=None, help="Colour changes (default: when on a terminal).")
@click.option("--corpus", type=click.Path(file_okay=False), help="Corpus folder for source ids.")
@click.option("--time-budget", type=click.FloatRange(0.01, 600), default=10.0, show_default=True,
              help="Seconds the engine may spend before falling back to coarser pairing.")
def compare_command(left: str, right: str, unit: str, ignore_raw: str | None, fmt: str, colour: bool | None,
                    corpus: str | None, time_budget: float) -> None:
    """Compare LEFT with RIGHT: files (text, markdown, HTML, corpus files) or source ids.

    Exit status: 0 when they read the same, 1 when they differ, 2 on error.
    """
    ignore = parse_ignore(ignore_raw)
    corpus_dir = _corpus_dir(corpus)
    loaded: list[Corpus] = []
    inputs = (resolve(left, "left", corpus_dir, loaded), resolve(right, "right", corpus_dir, loaded))
    left_label, right_label = inputs[0].label, inputs[1].label
    from parallax.engine.compare import CompareOptions, compare

    options = CompareOptions(unit=model.parse_unit(unit), ignore=ignore, time_budget=time_budget,
                             max_chars=MAX_INPUT_BYTES)
    if fmt == "text":
        result = compare(inputs[0].source.document(ignore), inputs[1].source.document(ignore), options)
        use_colour = sys.stdout.isatty() if colour is None else colour
        header = across_header(inputs[0].source.language, inputs[1].source.language)
        for line in text_lines(result, (left_label, right_label), use_colour, header):
            click.echo(line, color=use_colour)
        # Kinds only: the rows' facts (read lazily) are not printed, so they are not read.
        sys.exit(EXIT_SAME if is_same({"kind": r.kind, "boilerplate": r.boilerplate} for r in result.rows)
                 else EXIT_DIFFERENT)
    from parallax import export

    found, display = document(inputs, options)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        click.echo(export.standalone_html(found, display, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    sys.exit(EXIT_SAME if is_same(found["rows"]) else EXIT_DIFFERENT)


@main.command("check")
@click.argument("corpus", required=False, type=click.Path(file_okay=False))
def check_command(corpus: str | None) -> None:
    """Validate a corpus folder and list every problem (exit status 1 when there is any)."""
    root = _corpus_dir(corpus)
    if not root.is_dir():
        _fail(f"{root}: no such folder")
    from parallax.corpus_store import load_corpus

    with progress_bar("Checking files") as tick:
        found = load_corpus(root, progress=tick)
    problems = [(p.path, p.reason) for p in found.problems]
    for path, reason in problems:
        click.echo(f"{path}: {reason}")
    click.echo(f"{_count(len(found.sources), 'source')} in {_count(len(found.stories), 'story', 'stories')}, "
               f"{_count(len(problems), 'problem')}", err=True)
    sys.exit(1 if problems else 0)


@main.command("index")
@click.argument("corpus", required=False, type=click.Path(file_okay=False))
def index_command(corpus: str | None) -> None:
    """Build or bring up to date the search and shared-passage index of a corpus folder (only what changed)."""
    from parallax.catalogue import CataloguedStore
    from parallax.index.search import build_index

    root = _corpus_dir(corpus)
    if not root.is_dir():
        _fail(f"{root}: no such folder")
    settings = load_settings()
    # The corpus from its catalogue, brought in step by a stat of every file: only new or changed files are parsed.
    store = CataloguedStore(root, settings["MAX_SOURCE_BYTES"], rescan=1.0, watch=False)
    store.prepare()
    with progress_bar("Checking corpus files") as tick:
        loaded = store.reload(tick)
    with progress_bar("Indexing sources") as tick:
        stats = build_index(root, progress=tick, path=settings.get("SEARCH_DB") or None,
                            max_bytes=settings["MAX_SOURCE_BYTES"], corpus=loaded)
    click.echo(f"{_count(stats.added, 'source')} indexed, {_count(stats.removed, 'source')} removed, "
               f"{_count(stats.pairs, 'shared sentence pair')} found in {stats.seconds:.1f} s", err=True)


@main.command("add")
@click.argument("what", nargs=-1)
@click.option("--urls", "urls_file", type=click.File("r", encoding="utf-8"),
              help="A file of URLs to fetch and add, one a line ('-': standard input).")
@click.option("--story", required=True, help="Story slug (a new story is created when it does not exist).")
@click.option("--outlet", default=None, help="Outlet name (else what the page says).")
@click.option("--title", default=None, help="Headline (else what the page or markdown heading says).")
@click.option("--published", default=None, help="Publication date, e.g. 2023-09-12.")
@click.option("--url", "url", default=None, help="The article's URL, for a file captured from it.")
@click.option("--language", default=None, help="Language code (default: detected from the text).")
@click.option("--version-of", "version_of", default=None, help="Id or URL of the article this is a new version of.")
@click.option("--story-title", "story_title", default=None, help="Title of a new story.")
@click.option("--corpus", type=click.Path(file_okay=False), help="Corpus folder (default: PARALLAX_CORPUS_DIR).")
def add_command(what: tuple[str, ...], urls_file: Any, story: str, outlet: str | None, title: str | None,
                published: str | None, url: str | None, language: str | None, version_of: str | None,
                story_title: str | None, corpus: str | None) -> None:
    """Add WHAT (.txt, .md or .html files, folders of them, or http(s) URLs to fetch) to a story, as the JSON API
    does; --urls adds a list of URLs. Many items answer a line each (saved, duplicate or error) with a progress
    bar on a terminal.

    Exit status: 0 when saved, 1 when the text is already in the story, 2 on error (with many items: 1 when any
    was a duplicate, 2 when any failed).
    """
    from parallax.cli_add import add_many
    from parallax.corpus import is_web_url
    from parallax.sources import batch
    from parallax.sources.adding import AddLimits, add_source
    from parallax.sources.fetch import FetchError
    from parallax.sources.ingest import DuplicateError, IngestError

    settings = load_settings()
    root = _corpus_dir(corpus)
    if not root.is_dir():  # adding never creates a corpus: a mistyped --corpus must not make a new tree
        _fail(f"{root}: no such corpus folder")
    limits = AddLimits.from_settings({**settings, "CORPUS_DIR": str(root)})
    values = {k: v for k, v in {"story": story, "outlet": outlet, "title": title, "published": published,
                                "url": url, "language": language, "version_of": version_of,
                                "story_title": story_title}.items() if v is not None}
    urls = batch.read_url_list(urls_file.read()) if urls_file is not None else []
    if not what and not urls:
        _fail("give the files, folders or URLs to add (or --urls FILE)")
    if len(what) != 1 or urls or Path(what[0]).is_dir():
        sys.exit(add_many(what, urls, values, root, limits, progress_bar))
    item = what[0]  # one item: answered as before
    capture = ""
    if is_web_url(item):
        values["url"] = item
    else:
        path = Path(item)
        if not path.is_file():
            _fail(f"{item}: neither a readable file nor an http(s) URL")
        size = path.stat().st_size
        if size > limits.max_upload_bytes:
            _fail(f"{path}: {size:,} bytes is over the MAX_UPLOAD_BYTES limit of {limits.max_upload_bytes:,}")
        from parallax.sources.ingest import decode_html, from_upload

        raw = path.read_bytes()
        try:
            if path.suffix.lower() in (".html", ".htm"):
                values["html"] = decode_html(raw)
            else:
                extracted = from_upload(path.name, raw, limits.max_upload_bytes)
                values["text"] = extracted.body
                values.setdefault("format", extracted.format)
                if extracted.title:
                    values.setdefault("title", extracted.title)
        except IngestError as error:
            _fail(f"{path}: {error}")
        if "html" not in values and not values.get("outlet", "").strip():  # a text file does not name its outlet
            values["outlet"] = _ask_outlet(path)
        capture = f"file {path.name} added from the command line"
    from parallax.corpus_store import load_corpus

    try:
        saved = add_source(values, load_corpus(root, limits.max_source_bytes), limits, capture)
    except DuplicateError as duplicate:
        click.echo(f"already in story {story!r} as {duplicate.existing.id} ({duplicate.existing.path})", err=True)
        sys.exit(1)
    except (IngestError, FetchError) as error:
        field = getattr(error, "field", "")
        _fail(f"{error}" + (f" (field {field})" if field else ""))
    except OSError as error:  # a read-only or full corpus folder: one line, exit 2, not a traceback
        _fail(f"{root}: cannot write the source ({error.strerror or error})")
    click.echo(f"{saved.id}\t{saved.path}")


def _interactive() -> bool:
    """Whether a person answers at a terminal (stdin and stderr both one), so the command may ask a question."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _ask_outlet(path: Path) -> str:
    """The outlet of a text file added without ``--outlet``: asked at a terminal, refused when piped (the web form
    requires an outlet too)."""
    if not _interactive():
        _fail(f"{path}: a text file does not say which outlet published it; give it with --outlet \"Outlet name\"")
    while True:
        answer = str(click.prompt("Outlet (who published this text)", err=True, default="", show_default=False))
        if answer.strip():
            return answer.strip()
        click.echo("An outlet is required (or stop with Ctrl+C and pass --outlet).", err=True)


@main.command("run")
def run_command() -> None:
    """Serve the corpus locally for one reader (PARALLAX_* variables configure it)."""
    from parallax.app import main as run_app

    run_app()


@main.command("serve")
def serve_command() -> None:
    """Run the team server (PARALLAX_* variables configure it)."""
    from parallax.serve import main as serve_main

    serve_main()


main.add_command(migrate_command)
main.add_command(export_command)


if __name__ == "__main__":
    main()
