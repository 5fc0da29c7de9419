"""Editors' marks and notes on changes, and the story rules a cosmetic mark can become.

A mark says how much a change matters — significant, minor or cosmetic — with a short note, who gave it and when.
It is given to one changed row of a comparison (named by ``row_key``, a digest of the row's two texts, so it holds
whatever page or options the comparison is opened with) or to a whole step of an article's timeline (``row_key``
empty: the comparison of a capture with the one before). Marks live in the state database, never in the corpus: this
server's SQLite database, or the PostgreSQL store's state tables when the app reads one (the statements here are
those both dialects take).

A story rule ("ignore changes like this in this story") is a phrase (matched without regard to case) or a regular
expression: text it matches is taken out before the watcher decides whether a page changed, and a changed row of a
comparison that reads the same once it is taken out on both sides is shown as cosmetic, out of the change list.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parallax.errors import ParallaxError
from parallax.sources import state

MARKS = ("significant", "minor", "cosmetic")
MAX_NOTE = 2000
MAX_AUTHOR = 80
MAX_PATTERN = 200
MAX_EXCERPT = 300


class NoteError(ParallaxError, ValueError):
    """A mark, note or rule that cannot be kept; the message says why and ``field`` names the field at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, None, field)


@dataclass(frozen=True)
class Rule:
    """A story rule: text matching it is cosmetic in this story."""

    id: int
    story: str
    pattern: str
    regex: bool
    note_id: int | None
    author: str
    at: str

    def compiled(self) -> re.Pattern[str]:
        """The rule as a regular expression (a phrase matches literally, case aside, with any spacing)."""
        if self.regex:
            return re.compile(self.pattern, re.IGNORECASE)
        return re.compile(r"\s+".join(re.escape(word) for word in self.pattern.split()), re.IGNORECASE)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for pages and JSON."""
        return {"id": self.id, "story": self.story, "pattern": self.pattern, "regex": self.regex,
                "note_id": self.note_id, "author": self.author or None, "at": self.at}


def row_key(left: str | None, right: str | None) -> str:
    """The key of a comparison row: a digest of its two texts (a missing side counts as empty)."""
    raw = f"{left or ''}\x00{right or ''}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _clean(value: Any, name: str, limit: int) -> str:
    """A text field trimmed, or NoteError when it is not text or is too long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NoteError(f"'{name}' must be text", name)
    text = str(value).strip()
    if len(text) > limit:
        raise NoteError(f"'{name}' is longer than {limit} characters", name)
    if any(not c.isprintable() and c not in "\n\t" for c in text):
        raise NoteError(f"'{name}' contains control characters", name)
    return text


def check_pattern(pattern: Any, regex: bool) -> str:
    """A rule's pattern, checked: short, not empty, a regular expression that compiles and matches no empty text."""
    text = _clean(pattern, "pattern", MAX_PATTERN)
    if not text:
        raise NoteError("a rule needs a phrase or pattern", "pattern")
    try:
        compiled = Rule(0, "", text, regex, None, "", "").compiled()
    except re.error as error:
        raise NoteError(f"the pattern is not a valid regular expression: {error}", "pattern") from None
    if compiled.fullmatch(""):
        raise NoteError("the pattern matches empty text, so it would match everywhere", "pattern")
    return text


def add_note(conn: state.Connection, story: str, left_id: str, right_id: str, mark: str, note: Any = "",
             author: Any = "", key: str = "", excerpt: str = "") -> dict[str, Any]:
    """Keep a mark (and note) on a row of the comparison ``left_id`` → ``right_id`` (or the whole step)."""
    if mark not in MARKS:
        raise NoteError(f"mark must be one of {', '.join(MARKS)}, not {mark!r}", "mark")
    if key and not re.fullmatch(r"[0-9a-f]{20}", key):
        raise NoteError("row must be a row key from the comparison's JSON (20 hexadecimal digits)", "row")
    text, who = _clean(note, "note", MAX_NOTE), _clean(author, "by", MAX_AUTHOR)
    cursor = conn.execute(
        "INSERT INTO notes (story, left_id, right_id, row_key, excerpt, mark, note, author, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (story, left_id, right_id, key, " ".join(excerpt.split())[:MAX_EXCERPT], mark, text, who,
         state.iso(time.time())))
    return get_note(conn, int(cursor.lastrowid or 0)) or {}


def _note(row: Any) -> dict[str, Any]:
    """A note as plain data."""
    return {"id": row["id"], "story": row["story"], "left": row["left_id"], "right": row["right_id"],
            "row": row["row_key"] or None, "excerpt": row["excerpt"] or None, "mark": row["mark"],
            "note": row["note"], "by": row["author"] or None, "at": row["at"]}


def get_note(conn: state.Connection, note_id: int) -> dict[str, Any] | None:
    """The note with this id, or None."""
    row = conn.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
    return _note(row) if row else None


def remove_note(conn: state.Connection, note_id: int) -> bool:
    """Delete a note; False when there is none with this id."""
    return bool(conn.execute("DELETE FROM notes WHERE id = ?", (note_id,)).rowcount)


def story_notes(conn: state.Connection, story: str, mark: str | None = None) -> list[dict[str, Any]]:
    """A story's notes, newest first (only those with this mark, when given)."""
    rows = conn.execute("SELECT * FROM notes WHERE story = ? AND (CAST(? AS TEXT) IS NULL OR mark = ?) "
                        "ORDER BY id DESC", (story, mark, mark))
    return [_note(r) for r in rows]


Pair = tuple[str, str]  # a comparison: (left id, right id)


def pair_notes(conn: state.Connection, pairs: Iterable[Pair]) -> dict[Pair, list[dict[str, Any]]]:
    """Notes on each of these comparisons (left, right), oldest first."""
    found: dict[Pair, list[dict[str, Any]]] = {}
    for left, right in set(pairs):
        rows = conn.execute("SELECT * FROM notes WHERE left_id = ? AND right_id = ? ORDER BY id", (left, right))
        found[(left, right)] = [_note(r) for r in rows]
    return found


def revision(conn: state.Connection) -> tuple[int, ...]:
    """Changes whenever a note or rule is added or removed (for caches of pages that show them)."""
    row = conn.execute("SELECT (SELECT COALESCE(MAX(id), 0) FROM notes), (SELECT COUNT(*) FROM notes), "
                       "(SELECT COALESCE(MAX(id), 0) FROM rules), (SELECT COUNT(*) FROM rules)").fetchone()
    return tuple(int(v) for v in row)


# ---- rules -------------------------------------------------------------------------------------------------------

def _rule(row: Any) -> Rule:
    """A Rule from its database row."""
    return Rule(id=row["id"], story=row["story"], pattern=row["pattern"], regex=bool(row["regex"]),
                note_id=row["note_id"], author=row["author"], at=row["at"])


def add_rule(conn: state.Connection, story: str, pattern: Any, regex: bool = False, note_id: int | None = None,
             author: Any = "") -> Rule:
    """Keep a story rule (NoteError when its pattern cannot be used)."""
    text = check_pattern(pattern, regex)
    cursor = conn.execute("INSERT INTO rules (story, pattern, regex, note_id, author, at) VALUES (?, ?, ?, ?, ?, ?)",
                          (story, text, int(regex), note_id, _clean(author, "by", MAX_AUTHOR),
                           state.iso(time.time())))
    row = conn.execute("SELECT * FROM rules WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _rule(row)


def story_rules(conn: state.Connection, story: str) -> list[Rule]:
    """A story's rules, oldest first."""
    return [_rule(r) for r in conn.execute("SELECT * FROM rules WHERE story = ? ORDER BY id", (story,))]


def remove_rule(conn: state.Connection, rule_id: int) -> bool:
    """Delete a rule; False when there is none with this id."""
    return bool(conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount)


def strip_rules(text: str, rules: Sequence[Rule]) -> str:
    """The text with whatever the rules match taken out, spacing collapsed."""
    for rule in rules:
        text = rule.compiled().sub(" ", text)
    return " ".join(text.split())


def ruled_rows(rows: Sequence[Mapping[str, Any]], rules: Sequence[Rule]) -> dict[int, int]:
    """Changed rows that read the same on both sides once the rules' matches are taken out: row index → the id of
    the first rule that made the difference vanish."""
    found: dict[int, int] = {}
    if not rules:
        return found
    for row in rows:
        if row["kind"] == "same" or (row.get("boilerplate") and row["kind"] not in ("left_only", "right_only")):
            continue
        left, right = row.get("left") or "", row.get("right") or ""
        if strip_rules(left, rules) != strip_rules(right, rules):
            continue
        found[int(row["index"])] = next((r.id for r in rules if strip_rules(left, [r]) == strip_rules(right, [r])),
                                        rules[0].id)
    return found


def latest_marks(notes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest note on each row key ('' for the whole step)."""
    found: dict[str, dict[str, Any]] = {}
    for note in notes:
        found[note["row"] or ""] = dict(note)
    return found
