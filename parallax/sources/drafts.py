"""Drafts: the text between the add form's input step and its confirm step, kept server-side in a private folder
outside the corpus (or, on app servers reading PostgreSQL, in the store's drafts table: ``parallax.store.drafts``, so
a draft saved through one server is confirmed through any other), keyed by a random token.

A hidden form field would pass the body through the browser, which rewrites newlines in form fields (so the body
would not stay byte for byte) and would send megabytes back and forth; a draft keeps the body exact and the confirm
page small. Drafts expire after a day.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from dataclasses import fields
from pathlib import Path
from typing import Protocol

from parallax.sources.extract import Extracted, IngestError, surrogate_field
from parallax.sources.storage import write_exclusive

DRAFT_TTL_SECONDS = 24 * 3600
_DRAFT_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def draft_dir(configured: str) -> Path:
    """The drafts folder, created private to this user: DRAFT_DIR, else ``parallax-drafts-<uid>`` in the temp folder.

    A folder that already exists is used only if it is a real folder (not a symlink) owned by this user with no
    access for group or others: in a shared temp folder another user could have created it first.
    """
    import tempfile

    uid = os.geteuid()
    folder = Path(configured) if configured else Path(tempfile.gettempdir()) / f"parallax-drafts-{uid}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder (a symlink or a file)"
    elif info.st_uid != uid:
        problem = f"belongs to user {info.st_uid}, not to this user ({uid})"
    elif info.st_mode & 0o077:
        problem = f"is open to group or others (mode {stat.S_IMODE(info.st_mode):o}, not 700)"
    else:
        return folder
    raise IngestError(f"the drafts folder {folder} {problem}; remove it or make it private to this user "
                      "(chmod 700), or set PARALLAX_DRAFT_DIR to another folder", "storage")


class DraftPlace(Protocol):
    """Where drafts are kept: each one's bytes under its token, with the time it was made."""

    def write(self, token: str, data: bytes, created: float) -> bool:
        """Keep a new draft; False when the token is taken."""

    def read(self, token: str) -> bytes | None:
        """A draft's bytes, or None."""

    def remove(self, token: str) -> None:
        """Drop a draft (nothing when there is none)."""

    def sweep(self, before: float) -> None:
        """Drop the drafts made before this time."""


class DraftFolder:
    """Drafts as files ``<token>.json`` in a private folder (``draft_dir``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, token: str, data: bytes, created: float) -> bool:
        """A new file, never over another."""
        return write_exclusive(self.folder / f"{token}.json", data)

    def read(self, token: str) -> bytes | None:
        """The file's bytes, or None when it cannot be read."""
        try:
            return (self.folder / f"{token}.json").read_bytes()
        except OSError:
            return None

    def remove(self, token: str) -> None:
        """The file deleted."""
        (self.folder / f"{token}.json").unlink(missing_ok=True)

    def sweep(self, before: float) -> None:
        """Files last written before this time deleted."""
        for path in self.folder.glob("*.json"):
            try:
                if path.stat().st_mtime < before:
                    path.unlink(missing_ok=True)
            except OSError:
                continue


def _place(where: Path | DraftPlace) -> DraftPlace:
    """A folder as a place for drafts; any other place as it is."""
    return DraftFolder(where) if isinstance(where, Path) else where


def save_draft(where: Path | DraftPlace, extracted: Extracted, extra: dict[str, str] | None = None) -> str:
    """Store extracted text and metadata as a draft (in a folder or another place); return its token."""
    place = _place(where)
    now = time.time()
    place.sweep(now - DRAFT_TTL_SECONDS)
    token = secrets.token_urlsafe(24)
    payload = {**extracted.to_dict(), "extra": extra or {}, "created": now}
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if not place.write(token, data, now):
        raise IngestError("could not store the draft", "storage")
    return token


def load_draft(where: Path | DraftPlace, token: str) -> tuple[Extracted, dict[str, str]] | None:
    """The draft with this token, or None when it does not exist, expired or the token is malformed."""
    if not _DRAFT_TOKEN_RE.match(token):
        return None
    raw = _place(where).read(token)
    try:
        payload = json.loads(raw.decode("utf-8")) if raw is not None else None
        created = float(payload.get("created", 0)) if payload is not None else 0.0
    except (ValueError, TypeError, AttributeError):
        return None
    if payload is None or time.time() - created > DRAFT_TTL_SECONDS:
        return None
    known = {f.name: payload[f.name] for f in fields(Extracted) if f.name in payload}  # from any version
    extra = payload.get("extra", {})
    if not isinstance(known.get("body"), str) or not all(isinstance(v, str) for v in known.values()):
        return None
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        return None
    if surrogate_field({**known, **extra}):  # text that could never be shown or stored
        return None
    return Extracted(**known), extra


def delete_draft(where: Path | DraftPlace, token: str) -> None:
    """Remove a draft once it is saved."""
    if _DRAFT_TOKEN_RE.match(token):
        _place(where).remove(token)
