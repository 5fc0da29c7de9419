"""The file-system watcher of a server's corpus, in a process of its own (``python -m parallax.corpus_watcher ROOT
PARENT``), started by the server's leading process (``parallax.corpus_follow``).

It waits for inotify to report files added, edited or removed under the corpus folder (watchfiles) and publishes
the folders they are in to the corpus's change log (``parallax.changes.mark_changed``): every process serving the
corpus, the leader too, reads just those folders at its next look. In a process of its own because setting up the
watches of a large corpus holds the interpreter for seconds (125,000 folders: about 3 s), which would stall the
pages of the worker that ran it. It names itself in ``WATCHING`` once its watches are in place, and ends when the
process that started it does.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path

from parallax.changes import STATE_FOLDER, mark_changed

log = logging.getLogger("parallax.catalogue")

#: The process id of the server's watcher while its watches are in place: a look for an unknown id then waits for
#: the watcher to report a new file instead of looking for it in every story folder.
WATCHING = Path(STATE_FOLDER) / "watching"


def folders_of(root: Path, names: Iterable[str]) -> set[str]:
    """The folders (relative to the corpus, '' for the corpus folder) whose files these reported names concern;
    a reported folder counts itself too (it may have been created or moved in whole). Hidden ones are left out."""
    prefix = os.path.join(root, "")
    folders: set[str] = set()
    for name in names:
        if not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        folders.add(rel.rpartition("/")[0])
        if os.path.isdir(name):
            folders.add(rel)
    return folders


def watching_pid(root: Path) -> int | None:
    """The process id ``WATCHING`` names, when that process is alive."""
    try:
        pid = int((root / WATCHING).read_text(encoding="ascii").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _note(root: Path, present: bool) -> None:
    """Name this process in ``WATCHING`` (or take its name away)."""
    path = root / WATCHING
    try:
        if present:
            temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
            temp.write_text(str(os.getpid()), encoding="ascii")
            os.replace(temp, path)
        elif path.read_text(encoding="ascii").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass  # without the note the others look for unknown ids in every folder, as without a watcher


def run(root: Path, parent: int) -> int:
    """Watch until the parent process ends; 1 when the watcher cannot run (the others then rely on rescans)."""
    import watchfiles

    noted = False
    try:
        for changes in watchfiles.watch(root, watch_filter=None, debounce=400, step=20, rust_timeout=1000,
                                        yield_on_timeout=True, raise_interrupt=False, ignore_permission_denied=True):
            if os.getppid() != parent:
                return 0
            if not noted:  # the first report (or a second without one): the watches are in place
                _note(root, True)
                noted = True
            touched = folders_of(root, (name for _, name in changes))
            if touched:
                mark_changed(root, touched)
    except Exception as error:  # noqa: BLE001 - inotify limits, a vanished folder: the safety-net rescan carries on
        log.warning("corpus watcher stopped (%s: %s): changes are noticed by the full rescan only",
                    type(error).__name__, error)
        return 1
    finally:
        _note(root, False)
    return 0


def main(argv: list[str]) -> int:
    """``ROOT PARENT``: watch the corpus folder ROOT while process PARENT lives."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    return run(Path(argv[0]).resolve(), int(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
