"""How the processes serving one corpus tell each other what the app changed in it, and see what changed.

``.parallax/generation`` starts with a token that every change the app makes replaces (under the corpus's write
lock), followed by a log of the last ``LOG_SIZE`` changes: each change's token and the story folders it touched
(or ``null``: not known). A process that last saw token T looks, at its next look, only at the folders the changes
after T touched; one that missed more changes than the log holds, or a change that did not say what it touched,
looks at every folder.

A folder is seen to change by its modification time, which moves in ticks of the kernel's clock (a few
milliseconds): a file created in the same tick as the time was noted leaves it unchanged, so a folder whose time
was that close to when it was noted is looked at again next time (as git treats "racily clean" files).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

STATE_FOLDER = ".parallax"  # the app's own files in the corpus (hidden: the loader never reads hidden folders)
GENERATION_FILE = Path(STATE_FOLDER) / "generation"  # replaced after every change the app makes to the corpus
#: Held while the generation file is rewritten (beside it).
LOG_LOCK = "generation.lock"
#: Changes the log keeps: a process that missed more looks at every folder's time, and stats every file in the
#: background (``CataloguedStore.behind``).
LOG_SIZE = 256
#: How close to when it was noted a folder's time must be to be looked at again (see the module's description).
RACY_NS = 50_000_000


def mark_changed(root: Path, folders: Collection[str] | None = None) -> None:
    """Tell every process serving this corpus that it changed, in these story folders ('' is the corpus folder
    itself; None: not known): called by the app's writers, and by the server's watcher for changes made outside it.
    The log is rewritten under its own file lock, so no two processes' entries overwrite each other."""
    path = Path(root) / GENERATION_FILE
    path.parent.mkdir(exist_ok=True)
    fd = os.open(path.with_name(LOG_LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        log = _log(path)[-(LOG_SIZE - 1):]
        token = secrets.token_hex(8)
        log.append((token, None if folders is None else sorted(set(folders))))
        # ASCII escapes: a folder name that is not valid UTF-8 (a surrogate escape) is written and read back as is.
        text = token + "\n" + "".join(json.dumps(entry) + "\n" for entry in log)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, path)  # readers see the old file or the new one, never half of one
        finally:
            temp.unlink(missing_ok=True)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_generation(root: Path) -> str:
    """The corpus's change marker ('' when the app never changed it or it cannot be read)."""
    try:
        with open(Path(root) / GENERATION_FILE, "rb") as file:
            return file.read(64).split(b"\n", 1)[0].decode("ascii", "replace")
    except OSError:
        return ""


def changed_since(root: Path, token: str) -> set[str] | None:
    """The story folders the app changed after the change whose marker was ``token``; None when that cannot be told
    (the token is not in the log, or a change did not say what it touched): then every folder may have changed."""
    log = _log(Path(root) / GENERATION_FILE)
    if token:
        seen = next((n for n, (entry, _) in enumerate(log) if entry == token), None)
    else:  # no change was marked when the process last looked: every change since is in the log, unless it is full
        seen = -1 if 0 < len(log) < LOG_SIZE else None
    if seen is None:
        return None
    folders: set[str] = set()
    for _, touched in log[seen + 1:]:
        if touched is None:
            return None
        folders.update(touched)
    return folders


def _log(path: Path) -> list[tuple[str, list[str] | None]]:
    """The change log of the generation file (empty when there is none, or it is of an older form)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
    except (OSError, UnicodeDecodeError):
        return []
    log = []
    for line in lines:
        try:
            token, folders = json.loads(line)
        except (ValueError, TypeError):
            return []
        log.append((str(token), None if folders is None else [str(f) for f in folders]))
    return log


@dataclass(frozen=True)
class FolderTimes:
    """The story folders' modification times (by name; '' is the corpus folder) and when they were noted."""

    taken: int
    times: dict[str, int]

    def racy(self) -> set[str]:
        """Folders that may have changed within the clock tick their time was noted in."""
        return {name for name, mtime in self.times.items() if mtime >= self.taken - RACY_NS}

    def updated(self, root: Path, names: Iterable[str]) -> FolderTimes:
        """These times with the named folders' times taken again now (a folder gone is dropped)."""
        taken, times = time.time_ns(), dict(self.times)
        for name in names:
            mtime = folder_time(root / name if name else root)
            if mtime < 0 and name:
                times.pop(name, None)
            else:
                times[name] = mtime
        return FolderTimes(taken, times)


def folder_time(path: Path | str) -> int:
    """A folder's modification time in nanoseconds (-1 when it cannot be read)."""
    try:
        return os.stat(path, follow_symlinks=False).st_mtime_ns
    except OSError:
        return -1
