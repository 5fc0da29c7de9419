"""One change to the corpus applied to the corpus as it was: only the stories, sources and articles the changed files
touch are built again, so adding, editing or removing one article costs the same at any corpus size.

``update_corpus`` gives exactly what ``build_corpus`` over every file would give, or None when the change is one it
does not follow alone (a file that fails to load, an id claimed by another file, a name that needs escaping): the
caller then builds the whole corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from parallax.corpus import Corpus, Problem, Source, Story, capture_order, printable
from parallax.layered import Layered

K = TypeVar("K")
V = TypeVar("V")

Item = Source | Story | Problem


@dataclass(frozen=True)
class Change:
    """One corpus file's item before and after a change (None: the file was not there, or is gone)."""

    rel: str
    old: Item | None
    new: Item | None


def _duplicates_named(problems: Sequence[Problem], ids: set[str]) -> bool:
    """Whether a file is refused for reusing one of these ids (it would get the id once its holder goes)."""
    return any(p.reason.startswith("duplicate id '") and p.reason.split("'", 2)[1] in ids for p in problems)


def _story_members(slug: str, sources: Mapping[str, Source], before: Story | None, dropped: set[str],
                   added: Sequence[Source]) -> tuple[str, ...]:
    """A story's source ids in display order (as ``build_corpus`` orders them), from its members before the change."""
    members = [sources[i] for i in (before.source_ids if before else ()) if i not in dropped and i in sources]
    members += [s for s in added if s.story == slug]
    members = [s for s in members if s.story == slug]
    members.sort(key=lambda s: (s.published or "9999", s.captured or "", s.outlet.casefold(), s.id))
    return tuple(s.id for s in members)


def update_corpus(corpus: Corpus, changes: Sequence[Change], owners: MutableMapping[str, str],
                  declared: Callable[[str], Story | None]) -> Corpus | None:
    """The corpus after these file changes, built from ``corpus`` by touching only what they concern; ``owners``
    (id → file holding it) is brought in step; ``declared(slug)`` is a story's story.yaml after the change, if any.
    None when the whole corpus must be built instead."""
    if not changes:
        return corpus
    dropped: set[str] = set()
    added: list[Source] = []
    slugs: set[str] = set()
    for change in changes:
        if printable(change.rel) != change.rel:
            return None
        for item in (change.old, change.new):
            if isinstance(item, Problem):
                return None
        old, new = change.old, change.new
        if isinstance(old, Source):
            if corpus.sources.get(old.id) is not old or old.path != change.rel:
                return None  # the file did not hold its id: refusals are the full build's to settle
            dropped.add(old.id)
            slugs.add(old.story)
        elif isinstance(old, Story):
            slugs.add(old.slug)
        if isinstance(new, Source):
            added.append(new)
            slugs.add(new.story)
        elif isinstance(new, Story):
            slugs.add(new.slug)
    ids = {s.id for s in added}
    if len(ids) != len(added) or _duplicates_named(corpus.problems, dropped | ids):
        return None
    gone = {c.rel for c in changes if c.new is None}  # files that went hold no id any more
    for source in added:
        holder = owners.get(source.id)
        if (source.id in corpus.sources and source.id not in dropped) or holder not in (None, source.path, *gone):
            return None
    sources = _layered(corpus.sources).updated(((s.id, s) for s in added), dropped - ids)
    stories = dict(corpus.stories)
    for slug in slugs:  # as build_corpus: a story with sources or a story.yaml, its metadata from that file
        members = _story_members(slug, sources, corpus.stories.get(slug), dropped, added)
        base = declared(slug)
        if members or base is not None:  # set in place: a story already there keeps its position
            base = base or Story(slug=slug)
            stories[slug] = Story(base.slug, base.title, base.date, base.summary, members)
        else:
            stories.pop(slug, None)
    if any(slug in stories and slug not in corpus.stories for slug in slugs):  # a new story: slug order kept
        stories = dict(sorted(stories.items()))
    for source_id in dropped - ids:  # a file that is gone holds no id (one still there keeps its claim)
        if owners.get(source_id) in gone:
            del owners[source_id]
    owners.update((s.id, s.path) for s in added)
    updated = Corpus(sources, stories, corpus.problems)
    if "articles" in corpus.__dict__:  # the grouping by article, carried over for the articles not touched
        updated.__dict__["articles"] = _articles(corpus, sources, dropped, added)
    return updated


def _articles(corpus: Corpus, sources: Mapping[str, Source], dropped: set[str],
              added: Sequence[Source]) -> Mapping[str, list[Source]]:
    """``Corpus.articles`` after the change, from the grouping before it: only the touched articles regrouped."""
    before = corpus.articles
    keys = {corpus.sources[i].article_key for i in dropped} | {s.article_key for s in added}
    put, drop = [], []
    for key in keys:
        members = [s for s in before.get(key, ()) if s.id not in dropped] + [s for s in added if s.article_key == key]
        members = [s for s in members if sources.get(s.id) is s]
        if members:
            put.append((key, sorted(members, key=lambda s: (capture_order(s.captured), s.id))))
        else:
            drop.append(key)
    return _layered(before).updated(put, drop)


def _layered(mapping: Mapping[K, V]) -> Layered[K, V]:
    """A mapping as a ``Layered`` one (a plain dict becomes the base, shared, never changed)."""
    return mapping if isinstance(mapping, Layered) else Layered(mapping)
